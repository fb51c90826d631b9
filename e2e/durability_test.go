package e2e_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// tasksOf lists the tasks, running or stopped, that the workflow ID's runs
// started in the default cluster: those whose startedBy is its digest.
func tasksOf(ctx context.Context, t *testing.T, cfg aws.Config, workflowID string) []string {
	t.Helper()
	startedBy := job.Owner{Namespace: "default", WorkflowID: workflowID}.StartedBy()
	var arns []string
	for _, status := range []ecstypes.DesiredStatus{ecstypes.DesiredStatusRunning, ecstypes.DesiredStatusStopped} {
		out, err := ecs.NewFromConfig(cfg).ListTasks(ctx, &ecs.ListTasksInput{StartedBy: aws.String(startedBy), DesiredStatus: status})
		require.NoError(t, err)
		arns = append(arns, out.TaskArns...)
	}
	return arns
}

// startOn starts RunECSTask on job under the workflow ID id on queue.
func (h *harness) startOn(ctx context.Context, t *testing.T, id, queue string, job map[string]any) client.WorkflowRun {
	t.Helper()
	raw, err := json.Marshal(job)
	require.NoError(t, err)
	run, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: queue}, workflows.WorkflowName, json.RawMessage(raw))
	require.NoError(t, err)
	return run
}

// requireCancelled waits for the run's end and requires a cancellation.
func requireCancelled(ctx context.Context, t *testing.T, run client.WorkflowRun) {
	t.Helper()
	var canceled *temporal.CanceledError
	require.ErrorAs(t, run.Get(ctx, nil), &canceled)
}

// The standard repair after a bad deploy, a reset to the first workflow
// task while the task runs, starts no second task: the reset run gets back
// the task of the run it replaced, watches it, and stops it when cancelled.
func TestResetWhileRunningKeepsOneTask(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	run := h.startJob(ctx, t, shellJob(trapScript))
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning && s.LogStream != ""
	})
	waitLogLine(ctx, t, h.aws, st.LogGroup, st.LogStream, "ready")

	out, err := exec.CommandContext(ctx, h.temporalBin, "workflow", "reset", "--address", h.address, "--namespace", "default",
		"--workflow-id", run.GetID(), "--type", "FirstWorkflowTask", "--reason", "e2e: redeploy").CombinedOutput()
	require.NoError(t, err, "%s", out)

	reset := h.tc.GetWorkflow(ctx, run.GetID(), "")
	require.NoError(t, waitFor(ctx, nil, "the reset run to start", func() bool {
		d, err := h.tc.DescribeWorkflow(ctx, run.GetID(), "")
		if err != nil || d.WorkflowExecution.RunID == run.GetRunID() {
			return false
		}
		reset = h.tc.GetWorkflow(ctx, run.GetID(), d.WorkflowExecution.RunID)
		return true
	}))
	again := h.waitStatus(ctx, t, reset, "the reset run to watch the task", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning
	})
	assert.Equal(t, st.TaskArn, again.TaskArn, "the reset run watches the task the first run started")
	assert.Equal(t, []string{st.TaskArn}, tasksOf(ctx, t, h.aws, run.GetID()), "one task in all")

	require.NoError(t, h.tc.CancelWorkflow(ctx, run.GetID(), reset.GetRunID()))
	requireCancelled(ctx, t, reset)
	task := describeTask(ctx, t, h.aws, "default", st.TaskArn)
	assert.Equal(t, "STOPPED", aws.ToString(task.LastStatus))
	assert.Contains(t, logLines(ctx, t, h.aws, st.LogGroup, st.LogStream), "got TERM")
}

// A worker whose every control slot is free of waits: with two slots and
// two running jobs, cancelling both stops both tasks, because the waits
// hold slots of their own (the wait queue), never RunTask's and StopTask's.
func TestCancelStopsEveryTaskWhenRunningJobsFillTheSlots(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	queue := "e2e-slots-" + uuid.NewString()[:8]
	w, err := h.startWorker(ctx, "slots-worker", []string{"AWS_ENDPOINT_URL=http://" + h.localECS},
		"--task-queue="+queue, "--max-concurrent-activities=2")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })

	var runs []client.WorkflowRun
	var arns []string
	for i := range 2 {
		run := h.startOn(ctx, t, workflowID(t)+"-"+string(rune('a'+i)), queue, shellJob(trapScript))
		st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
			return s.Phase == workflows.PhaseRunning
		})
		runs, arns = append(runs, run), append(arns, st.TaskArn)
	}
	deadline, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	for _, run := range runs {
		require.NoError(t, h.tc.CancelWorkflow(deadline, run.GetID(), run.GetRunID()))
	}
	for i, run := range runs {
		requireCancelled(deadline, t, run)
		assert.Equal(t, "STOPPED", aws.ToString(describeTask(ctx, t, h.aws, "default", arns[i]).LastStatus))
	}
}

// Workflow IDs that sanitising used to merge (a.b and a_b) have distinct
// tasks: the cleanup after a.b's RunTask gave up stops a.b's task only.
func TestCleanupOfOneWorkflowNeverStopsAnothersTask(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	l := h.startLocalECS(ctx, t)
	queue := "e2e-collision-" + uuid.NewString()[:8]
	w, err := h.startWorker(ctx, "collision-worker", []string{"AWS_ENDPOINT_URL=" + l.endpoint}, "--task-queue="+queue)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })

	base := workflowID(t)
	other := h.startOn(ctx, t, base+"-a_b", queue, shellJob("sleep 600"))
	st := h.waitStatus(ctx, t, other, "a_b's task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning
	})
	t.Cleanup(func() { _ = h.tc.CancelWorkflow(context.Background(), other.GetID(), other.GetRunID()) })

	// Every RunTask of a.b starts its task and loses the response, until
	// the workflow gives up and cleans up after it.
	l.loseResponses(ctx, t, "ecs:RunTask", 1000)
	gaveUp := h.startOn(ctx, t, base+"-a.b", queue, shellJob("sleep 600"))
	require.Error(t, gaveUp.Get(ctx, nil), "a.b's RunTask gives up")
	l.resetFaults(ctx, t)

	orphans := tasksOf(ctx, t, l.aws, gaveUp.GetID())
	require.Len(t, orphans, 1, "the lost responses' retries started one task")
	assert.Equal(t, "STOPPED", aws.ToString(describeTask(ctx, t, l.aws, "default", orphans[0]).LastStatus), "a.b's orphan is stopped")
	assert.Equal(t, "RUNNING", aws.ToString(describeTask(ctx, t, l.aws, "default", st.TaskArn).LastStatus), "a_b's task runs on")
	desc, err := h.tc.DescribeWorkflow(ctx, other.GetID(), other.GetRunID())
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.Status)
}
