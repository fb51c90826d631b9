package e2e_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// gated returns a script that prints before, waits until the file gate
// exists, then prints after: the test decides when the task finishes.
func gated(gate string, before, after []string) string {
	var b strings.Builder
	for _, l := range before {
		fmt.Fprintf(&b, "echo '%s'; ", l)
	}
	fmt.Fprintf(&b, "while [ ! -e '%s' ]; do sleep 0.05; done; ", gate)
	for _, l := range after {
		fmt.Fprintf(&b, "echo '%s'; ", l)
	}
	return b.String() + "exit 0"
}

func TestStarterRunStreamsLinesInOrderAndExitsZero(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	gate := filepath.Join(t.TempDir(), "go")
	want := []string{"line 1", "line 2", "line 3", "line 4", "line 5"}
	id := workflowID(t)

	cmd, stdout, stderr := h.starter(ctx, "run", "--workflow-id", id, "--poll", "200ms",
		"--image", "alpine:3.20", "--poll-interval", "0.5", "--", "sh", "-c", gated(gate, want[:2], want[2:]))
	require.NoError(t, cmd.Start())
	run := h.tc.GetWorkflow(ctx, id, "")
	// The task runs and the worker's wait for its end streams its output.
	h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning
	})
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	code := exitCode(t, cmd.Wait())
	require.Equal(t, 0, code, "starter run: %s", stderr)

	assert.Equal(t, want, lines(stdout.String()), "starter run prints the container's lines, in order, on stdout")
	assert.Contains(t, stderr.String(), "started workflow "+id)
	assert.Contains(t, stderr.String(), workflows.PhaseRunning)

	var res activities.TaskResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, "STOPPED", res.LastStatus)
	assert.Equal(t, want, logLines(ctx, t, h.aws, res.LogGroup, res.LogStream), "CloudWatch stream")
	assert.Equal(t, want, streamedLines(t, id, h.worker.log), "lines the worker streamed into its log")
}

func TestNonZeroExitFailsWorkflowWithExitCode(t *testing.T) {
	h := need(t)
	ctx := testContext(t)

	run := h.startJob(ctx, t, shellJob("echo failing; exit 3"))
	err := run.Get(ctx, nil)
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.ErrorAs(t, err, &app)
	assert.Equal(t, workflows.ErrTaskExitedNonZero, app.Type())
	assert.True(t, app.NonRetryable())
	var res activities.TaskResult
	require.NoError(t, app.Details(&res), "the error's details carry the task's result")
	assert.Equal(t, 3, res.ExitCode)
	assert.Equal(t, []string{"failing"}, logLines(ctx, t, h.aws, res.LogGroup, res.LogStream))

	desc, err := h.tc.DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, desc.Status)
}

func TestStarterRunExitsWithContainerExitCode(t *testing.T) {
	h := need(t)
	ctx := testContext(t)

	r := h.runStarter(ctx, t, "run", "--poll", "200ms", "--image", "alpine:3.20", "--poll-interval", "0.5",
		"--", "sh", "-c", "echo about to fail; exit 3")
	assert.Equal(t, 3, r.code, "stderr: %s", r.stderr)
	assert.Equal(t, []string{"about to fail"}, lines(r.stdout))
	assert.Contains(t, r.stderr, "exited with code 3")

	r = h.runStarter(ctx, t, "run", "--allow-non-zero-exit", "--image", "alpine:3.20", "--poll-interval", "0.5",
		"--", "sh", "-c", "exit 4")
	assert.Equal(t, 4, r.code, "allowNonZeroExit completes the workflow; the starter still exits with the code: %s", r.stderr)
}

func TestStarterRunReportsInvalidJob(t *testing.T) {
	h := need(t)
	ctx := testContext(t)

	r := h.runStarter(ctx, t, "run", "--image", "alpine:3.20", "--launch-type", "MAINFRAME", "--", "true")
	assert.Equal(t, 1, r.code)
	assert.Contains(t, r.stderr, "failed: could not prepare the job: invalid job configuration: launchType", "the message names the field")
	assert.NotContains(t, r.stderr, "scheduledEventID", "no SDK envelope")
	assert.Empty(t, r.stdout)
}

func TestTemporalCLIWorkflowStart(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	id := workflowID(t)
	input, err := json.Marshal(shellJob("echo hello from the temporal CLI"))
	require.NoError(t, err)

	out, err := exec.CommandContext(ctx, h.temporalBin, "workflow", "start", "--address", h.address,
		"--type", workflows.WorkflowName, "--task-queue", workflows.TaskQueue,
		"--workflow-id", id, "--input", string(input)).CombinedOutput()
	require.NoError(t, err, "%s", out)

	var res activities.TaskResult
	require.NoError(t, h.tc.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, []string{"hello from the temporal CLI"}, logLines(ctx, t, h.aws, res.LogGroup, res.LogStream))
}

// trapScript prints "ready", then loops until SIGTERM, which it reports.
const trapScript = `trap "echo got TERM; exit 143" TERM; echo ready; while :; do sleep 0.1; done`

func TestCancelWhileRunningStopsTask(t *testing.T) {
	h := need(t)
	ctx := testContext(t)

	before := h.localStats(ctx, t) // the tests run one at a time
	run := h.startJob(ctx, t, shellJob(trapScript))
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning && s.LogStream != ""
	})
	waitLogLine(ctx, t, h.aws, st.LogGroup, st.LogStream, "ready")

	require.NoError(t, h.tc.CancelWorkflow(ctx, run.GetID(), run.GetRunID()))
	err := run.Get(ctx, nil)
	var canceled *temporal.CanceledError
	require.ErrorAs(t, err, &canceled, "the workflow ends cancelled")
	after := h.localStats(ctx, t)
	assert.EqualValues(t, 1, after["ecs:RunTask"]-before["ecs:RunTask"], "one RunTask")
	assert.EqualValues(t, 1, after["ecs:StopTask"]-before["ecs:StopTask"], "one StopTask")

	task := describeTask(ctx, t, h.aws, st.Cluster, st.TaskArn)
	assert.Equal(t, "STOPPED", *task.LastStatus)
	assert.Equal(t, "UserInitiated", string(task.StopCode))
	require.Len(t, task.Containers, 1)
	require.NotNil(t, task.Containers[0].ExitCode)
	assert.EqualValues(t, 143, *task.Containers[0].ExitCode, "the container handled SIGTERM")
	assert.Contains(t, logLines(ctx, t, h.aws, st.LogGroup, st.LogStream), "got TERM", "the container received SIGTERM")

	desc, err := h.tc.DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, desc.Status)
}

func TestStarterRunInterruptCancelsWorkflow(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	id := workflowID(t)

	cmd, out, stderr := h.startStarterLines(ctx, t, "run", "--workflow-id", id, "--poll", "200ms",
		"--image", "alpine:3.20", "--poll-interval", "0.5", "--", "sh", "-c", trapScript)
	got := readUntil(out, "ready")
	require.Equal(t, []string{"ready"}, got, "starter run prints the container's output as it arrives")

	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	for l := range out {
		got = append(got, l)
	}
	code := exitCode(t, cmd.Wait())
	assert.Equal(t, 130, code, "stderr: %s", stderr)
	require.NotEmpty(t, got)
	assert.Equal(t, "ready", got[0])
	assert.Contains(t, got, "got TERM", "the container got SIGTERM and the starter printed its last lines")

	desc, err := h.tc.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, desc.Status)
}

func TestStarterStartStatusLogsCancel(t *testing.T) {
	h := need(t)
	ctx := testContext(t)

	r := h.runStarter(ctx, t, "start", "--image", "alpine:3.20", "--stream-output", "--poll-interval", "0.5",
		"--", "sh", "-c", trapScript)
	require.Equal(t, 0, r.code, r.stderr)
	id := strings.TrimSpace(r.stdout)
	require.NotEmpty(t, id, "start prints the workflow ID")
	run := h.tc.GetWorkflow(ctx, id, "")
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning && s.LogStream != ""
	})
	waitLogLine(ctx, t, h.aws, st.LogGroup, st.LogStream, "ready")

	r = h.runStarter(ctx, t, "status", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Regexp(t, `Phase:\s+running`, r.stdout)
	assert.Contains(t, r.stdout, st.TaskArn)

	r = h.runStarter(ctx, t, "status", "--json", id)
	require.Equal(t, 0, r.code, r.stderr)
	var js workflows.Status
	require.NoError(t, json.Unmarshal([]byte(r.stdout), &js))
	assert.Equal(t, st.TaskArn, js.TaskArn)

	r = h.runStarter(ctx, t, "logs", id)
	require.Equal(t, 0, r.code, r.stderr)
	assert.Equal(t, []string{"ready"}, lines(r.stdout))

	// logs -f stops on Ctrl-C with the shell's 130.
	interrupted, out, _ := h.startStarterLines(ctx, t, "logs", "-f", "--poll", "200ms", id)
	assert.Equal(t, []string{"ready"}, readUntil(out, "ready"))
	require.NoError(t, interrupted.Process.Signal(os.Interrupt))
	for range out {
	}
	assert.Equal(t, 130, exitCode(t, interrupted.Wait()))

	follow, followOut, followErr := h.starter(ctx, "logs", "-f", "--poll", "200ms", id)
	require.NoError(t, follow.Start())

	r = h.runStarter(ctx, t, "cancel", "--wait", id)
	require.Equal(t, 0, r.code, r.stderr)
	require.Equal(t, 0, exitCode(t, follow.Wait()), "logs -f ends with the workflow: %s", followErr)
	followed := lines(followOut.String())
	require.NotEmpty(t, followed)
	assert.Equal(t, "ready", followed[0])
	assert.Contains(t, followed, "got TERM", "logs -f printed the lines written until the workflow closed")
	assert.Contains(t, r.stderr, "cancelled")
	task := describeTask(ctx, t, h.aws, st.Cluster, st.TaskArn)
	assert.Equal(t, "STOPPED", *task.LastStatus)
	assert.Equal(t, "UserInitiated", string(task.StopCode))

	r = h.runStarter(ctx, t, "logs", id)
	require.Equal(t, 0, r.code, r.stderr)
	closed := lines(r.stdout)
	require.NotEmpty(t, closed)
	assert.Equal(t, "ready", closed[0])
	assert.Contains(t, closed, "got TERM", "logs of a closed workflow")
}
