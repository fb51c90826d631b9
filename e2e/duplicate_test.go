package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// A workflow ID that a running job has is refused by `starter run` and
// `starter start`, which leave that job alone; `starter run --attach`
// follows it instead, Ctrl-C detaching without cancelling it.
func TestStarterRunRefusesARunningWorkflowIDAndAttachFollowsIt(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	gate := filepath.Join(t.TempDir(), "go")
	script := fmt.Sprintf("echo before; while [ ! -e '%s' ]; do sleep 0.05; done; echo after; exit 7", gate)
	run := h.startJob(ctx, t, shellJob(script))
	id := run.GetID()
	t.Cleanup(func() { h.cancelOpen(t, id) })
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning && s.LogStream != ""
	})
	waitLogLine(ctx, t, h.aws, st.LogGroup, st.LogStream, "before")

	// Refused: nothing started, nothing cancelled.
	before := h.localStats(ctx, t) // the tests run one at a time
	for _, cmd := range []string{"run", "start"} {
		r := h.runStarter(ctx, t, cmd, "--workflow-id", id, "--image", "alpine:3.20", "--poll-interval", "0.5",
			"--", "sh", "-c", "echo intruder")
		assert.Equal(t, 1, r.code, "%s: stderr: %s", cmd, r.stderr)
		errLines := lines(r.stderr)
		require.Len(t, errLines, 1, "%s prints one line: %s", cmd, r.stderr)
		assert.Contains(t, errLines[0], "starter "+cmd+": workflow "+id+" is already running")
		assert.Contains(t, errLines[0], "`starter run --attach --workflow-id "+id+"`", "it says how to follow the job")
		assert.Empty(t, r.stdout)
	}
	after := h.localStats(ctx, t)
	assert.Equal(t, before["ecs:RunTask"], after["ecs:RunTask"], "no task started")
	assert.Equal(t, before["ecs:StopTask"], after["ecs:StopTask"], "no task stopped")
	h.requireOnlyRun(ctx, t, id, run.GetRunID())
	now, err := h.status(ctx, run)
	require.NoError(t, err)
	assert.Equal(t, workflows.PhaseRunning, now.Phase)
	assert.Equal(t, st.TaskArn, now.TaskArn, "the first job's task is untouched")

	// Attached, Ctrl-C stops following; the job goes on.
	cmd, out, stderr := h.startStarterLines(ctx, t, "run", "--attach", "--workflow-id", id, "--poll", "200ms")
	require.Equal(t, []string{"before"}, readUntil(out, "before"), "attach prints the job's lines from the start")
	require.NoError(t, cmd.Process.Signal(os.Interrupt))
	for range out {
	}
	assert.Equal(t, 130, exitCode(t, cmd.Wait()), "stderr: %s", stderr)
	assert.Contains(t, stderr.String(), "stopped following workflow "+id)
	h.requireOnlyRun(ctx, t, id, run.GetRunID())
	assert.False(t, h.cancelRequested(ctx, t, id, run.GetRunID()), "Ctrl-C of attach does not cancel the job")

	// Attached to the end: the job's lines and its container's exit code.
	cmd, out, stderr = h.startStarterLines(ctx, t, "run", "--attach", "--workflow-id", id, "--poll", "200ms")
	got := readUntil(out, "before")
	require.Equal(t, []string{"before"}, got)
	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	for l := range out {
		got = append(got, l)
	}
	assert.Equal(t, 7, exitCode(t, cmd.Wait()), "attach exits with the container's exit code: %s", stderr)
	assert.Equal(t, []string{"before", "after"}, got)
	assert.Contains(t, stderr.String(), "exited with code 7")
	assert.NotContains(t, stderr.String(), "started workflow")
	desc, err := h.tc.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, desc.Status, "TaskExitedNonZero")
	assert.Equal(t, run.GetRunID(), desc.WorkflowExecution.RunID)
	assert.False(t, h.cancelRequested(ctx, t, id, run.GetRunID()))

	// Closed: attach refuses; run starts a new run, as before.
	r := h.runStarter(ctx, t, "run", "--attach", "--workflow-id", id)
	assert.Equal(t, 1, r.code)
	assert.Len(t, lines(r.stderr), 1, r.stderr)
	assert.Contains(t, r.stderr, "workflow "+id+" is not running")

	r = h.runStarter(ctx, t, "run", "--workflow-id", id, "--poll", "200ms", "--image", "alpine:3.20",
		"--poll-interval", "0.5", "--", "sh", "-c", "echo second run")
	assert.Equal(t, 0, r.code, "stderr: %s", r.stderr)
	assert.Equal(t, []string{"second run"}, lines(r.stdout))
	desc, err = h.tc.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	assert.NotEqual(t, run.GetRunID(), desc.WorkflowExecution.RunID, "a new run of the closed workflow's ID")
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, desc.Status)
}

// requireOnlyRun asserts that workflow id is running as runID, its only run.
func (h *harness) requireOnlyRun(ctx context.Context, t *testing.T, id, runID string) {
	t.Helper()
	desc, err := h.tc.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	require.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.Status)
	require.Equal(t, runID, desc.WorkflowExecution.RunID, "the latest run is the first job's")
	var runs []string
	// Visibility lags behind a start; the first job started well before.
	err = waitFor(ctx, nil, "the workflow in the visibility store", func() bool {
		resp, err := h.tc.ListWorkflow(ctx, &workflowservice.ListWorkflowExecutionsRequest{
			Query: fmt.Sprintf("WorkflowId = '%s'", id)})
		if err != nil {
			return false
		}
		runs = runs[:0]
		for _, e := range resp.Executions {
			runs = append(runs, e.GetExecution().GetRunId())
		}
		return len(runs) > 0
	})
	require.NoError(t, err)
	require.Equal(t, []string{runID}, runs, "one run of workflow %s", id)
}

// cancelRequested reports whether the run's history records a cancellation request.
func (h *harness) cancelRequested(ctx context.Context, t *testing.T, id, runID string) bool {
	t.Helper()
	it := h.tc.GetWorkflowHistory(ctx, id, runID, false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED {
			return true
		}
	}
	return false
}

// cancelOpen cancels the latest run of workflow id unless it has closed,
// and waits for it to close: its task is stopped before the next test.
func (h *harness) cancelOpen(t *testing.T, id string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := h.tc.CancelWorkflow(ctx, id, "")
	switch {
	case errors.As(err, new(*serviceerror.NotFound)): // closed already
	case err != nil:
		t.Errorf("cleanup: cancel workflow %s: %v", id, err)
	default:
		var canceled *temporal.CanceledError
		if err := h.tc.GetWorkflow(ctx, id, "").Get(ctx, nil); err != nil && !errors.As(err, &canceled) {
			t.Logf("cleanup: workflow %s: %v", id, err)
		}
	}
}
