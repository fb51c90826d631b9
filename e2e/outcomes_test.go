package e2e_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// politeScript handles SIGTERM as well-behaved entrypoints do: it exits 0.
const politeScript = `trap "echo got TERM; exit 0" TERM; echo ready; while :; do sleep 0.1; done`

// outcomeEnv is a worker of its own on a standalone endpoint, whose admin
// API stops tasks as ECS itself would.
type outcomeEnv struct {
	l     *standaloneECS
	queue string
}

func (h *harness) outcomeEnv(ctx context.Context, t *testing.T) outcomeEnv {
	t.Helper()
	l := h.startLocalECS(ctx, t)
	queue := "e2e-outcome-" + uuid.NewString()[:8]
	w, err := h.startWorker(ctx, "outcome-worker-"+unsafeID.ReplaceAllString(t.Name(), "-"),
		[]string{"AWS_ENDPOINT_URL=" + l.endpoint}, "--task-queue="+queue)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })
	return outcomeEnv{l: l, queue: queue}
}

// runningTask waits until the run's task is RUNNING and has printed ready.
func (h *harness) runningTask(ctx context.Context, t *testing.T, e outcomeEnv, run client.WorkflowRun) workflows.Status {
	t.Helper()
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning && s.LogStream != ""
	})
	waitLogLine(ctx, t, e.l.aws, st.LogGroup, st.LogStream, "ready")
	return st
}

// requireTaskFailure requires the run to fail with typ, carrying the
// task's result, and returns that result.
func requireTaskFailure(ctx context.Context, t *testing.T, run client.WorkflowRun, typ string) (*temporal.ApplicationError, activities.TaskResult) {
	t.Helper()
	var app *temporal.ApplicationError
	require.ErrorAs(t, run.Get(ctx, nil), &app)
	require.Equal(t, typ, app.Type(), app.Error())
	var res activities.TaskResult
	require.NoError(t, app.Details(&res))
	return app, res
}

// A task stopped from outside (the console, another tool) whose container
// handles SIGTERM and exits 0 is no success: the workflow fails as
// UserInitiated, and starter run exits non-zero naming the stop code.
func TestTaskStoppedFromOutsideFailsAsUserInitiated(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	e := h.outcomeEnv(ctx, t)
	id := workflowID(t)
	cmd, out, stderr := h.starter(ctx, "run", "--task-queue", e.queue, "--workflow-id", id, "--poll", "200ms",
		"--image", "alpine:3.20", "--poll-interval", "0.5", "--", "sh", "-c", politeScript)
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL="+e.l.endpoint)
	require.NoError(t, cmd.Start())
	run := h.tc.GetWorkflow(ctx, id, "")
	require.NoError(t, waitFor(ctx, nil, "the workflow to start", func() bool {
		_, err := h.tc.DescribeWorkflow(ctx, id, "")
		return err == nil
	}))
	st := h.runningTask(ctx, t, e, run)

	_, err := ecs.NewFromConfig(e.l.aws).StopTask(ctx, &ecs.StopTaskInput{Task: aws.String(st.TaskArn), Reason: aws.String("stopped in the console")})
	require.NoError(t, err)

	code := exitCode(t, cmd.Wait())
	assert.Equal(t, 1, code, "stdout: %s\nstderr: %s", out, stderr)
	assert.Contains(t, stderr.String(), "UserInitiated")
	assert.Contains(t, out.String(), "got TERM")
	app, res := requireTaskFailure(ctx, t, run, "UserInitiated")
	assert.Contains(t, app.Error(), "stopped in the console")
	assert.Equal(t, 0, res.ExitCode, "the container exited 0, and the job still failed")
}

func TestSpotInterruptionFailsTheJob(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	e := h.outcomeEnv(ctx, t)
	run := h.startOn(ctx, t, workflowID(t), e.queue, shellJob(politeScript))
	st := h.runningTask(ctx, t, e, run)
	e.l.stopTask(ctx, t, st.TaskArn, "SpotInterruption", "Your Spot Task was interrupted.")
	_, res := requireTaskFailure(ctx, t, run, "SpotInterruption")
	require.Len(t, res.Attempts, 1)
	assert.Equal(t, "SpotInterruption", res.Attempts[0].StopCode)
}

// With retryOnInterruption, an interrupted task runs again as a new task
// under a new token, on the fallback capacity, and the job completes.
func TestInterruptedTaskRunsAgainOnTheFallback(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	e := h.outcomeEnv(ctx, t)
	// The first task loops; once the gate exists, a task exits 0 at once.
	gate := filepath.Join(t.TempDir(), "second")
	job := shellJob(fmt.Sprintf(`if [ -f %s ]; then echo second; exit 0; fi; `, gate) + politeScript)
	job["launchType"] = "FARGATE_SPOT"
	job["retryOnInterruption"] = 1
	job["interruptionFallback"] = map[string]any{"launchType": "FARGATE"}
	run := h.startOn(ctx, t, workflowID(t), e.queue, job)
	st := h.runningTask(ctx, t, e, run)
	first := describeTask(ctx, t, e.l.aws, "default", st.TaskArn)
	assert.Equal(t, "FARGATE_SPOT", aws.ToString(first.CapacityProviderName))

	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	e.l.stopTask(ctx, t, st.TaskArn, "SpotInterruption", "Your Spot Task was interrupted.")
	var res activities.TaskResult
	require.NoError(t, run.Get(ctx, &res), "the second task completes the job")
	require.Len(t, res.Attempts, 2)
	assert.Equal(t, st.TaskArn, res.Attempts[0].TaskArn)
	assert.Equal(t, "SpotInterruption", res.Attempts[0].StopCode)
	assert.NotEqual(t, st.TaskArn, res.TaskArn, "a new task")
	assert.Equal(t, "EssentialContainerExited", res.StopCode)
	second := describeTask(ctx, t, e.l.aws, "default", res.TaskArn)
	assert.EqualValues(t, "FARGATE", second.LaunchType, "the retry runs on the fallback capacity")
	assert.Empty(t, aws.ToString(second.CapacityProviderName))
	assert.Len(t, tasksOf(ctx, t, e.l.aws, run.GetID()), 2)
	final, err := h.status(ctx, run)
	require.NoError(t, err)
	assert.Equal(t, res.Attempts, final.Attempts)
}

// An essential sidecar that fails while the main container exits 0 fails
// the job, naming the sidecar.
func TestEssentialSidecarFailureFailsTheJob(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	e := h.outcomeEnv(ctx, t)
	job := shellJob(politeScript)
	job["taskDefinition"] = map[string]any{"containerDefinitions": []map[string]any{
		{"name": "main", "image": "alpine:3.20"},
		{"name": "proxy", "image": "alpine:3.20", "essential": true, "command": []string{"sh", "-c", "sleep 2; exit 1"}},
	}}
	run := h.startOn(ctx, t, workflowID(t), e.queue, job)
	app, res := requireTaskFailure(ctx, t, run, workflows.ErrEssentialContainerFailed)
	assert.Contains(t, app.Error(), `essential container "proxy"`)
	assert.Equal(t, 0, res.ExitCode, "the main container exited 0 on SIGTERM")
	require.Len(t, res.Containers, 2)
}
