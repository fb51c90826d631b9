package e2e_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// TestWorkerKilledAndRestartedReattaches kills the worker with SIGKILL while
// its task runs and starts a new one: the workflow completes with the same
// task, after one RunTask, and no log line is streamed twice. The local ECS
// endpoint runs in the test process, so that it outlives the worker.
func TestWorkerKilledAndRestartedReattaches(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	srv, cfg := ecslocaltest.Start(t, ecslocal.Options{
		AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, StopTimeout: 5 * time.Second,
	})
	queue := "e2e-crash-" + uuid.NewString()[:8]
	env := []string{"AWS_ENDPOINT_URL=" + aws.ToString(cfg.BaseEndpoint)}
	var worker *process
	startWorker := func() {
		var err error
		worker, err = h.startWorker(ctx, "crash-worker", env, "--task-queue="+queue)
		require.NoError(t, err)
	}
	startWorker()
	t.Cleanup(func() { assert.NoError(t, worker.stop(30*time.Second)) })

	gate := filepath.Join(t.TempDir(), "go")
	before := []string{"before 1", "before 2", "before 3"}
	after := []string{"after 1", "after 2", "after 3"}
	run := h.startJob(ctx, t, shellJob(gated(gate, before, after)), queue)
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning
	})

	// Kill the worker once it has streamed the first lines and Temporal has
	// recorded a heartbeat whose log cursor is past them.
	require.NoError(t, waitFor(ctx, worker, "the worker to stream the first lines", func() bool {
		return len(streamedLines(t, run.GetID(), worker.log)) == len(before)
	}))
	require.Equal(t, before, logLines(ctx, t, cfg, st.LogGroup, st.LogStream))
	end := cursorAtEnd(logEvents(ctx, t, cfg, st.LogGroup, st.LogStream))
	require.NoError(t, waitFor(ctx, worker, "a heartbeat with the log cursor past the first lines", func() bool {
		cur := heartbeatCursor(t, h, run.GetID(), run.GetRunID())
		return cur != nil && cur.LastTimestamp == end.LastTimestamp && cur.SeenAtLast == end.SeenAtLast
	}))
	worker.kill()

	startWorker()
	require.NoError(t, os.WriteFile(gate, nil, 0o644))

	var res activities.TaskResult
	require.NoError(t, run.Get(ctx, &res))
	assert.Equal(t, st.TaskArn, res.TaskArn, "the workflow reattached to the same task")
	assert.Equal(t, 0, res.ExitCode)
	assert.EqualValues(t, 1, srv.Stats()["ecs:RunTask"], "one RunTask")
	assert.Equal(t, append(before, after...), streamedLines(t, run.GetID(), worker.log),
		"every line streamed once, in order, across both workers")
}

// cursorAtEnd returns the time part of a log cursor past events.
func cursorAtEnd(events []cwtypes.OutputLogEvent) activities.LogCursor {
	var c activities.LogCursor
	for _, ev := range events {
		switch ts := aws.ToInt64(ev.Timestamp); {
		case ts > c.LastTimestamp:
			c.LastTimestamp, c.SeenAtLast = ts, 1
		case ts == c.LastTimestamp:
			c.SeenAtLast++
		}
	}
	return c
}

// heartbeatCursor returns the log cursor of the last heartbeat Temporal
// recorded for the workflow's WaitForTaskFinish, nil when none.
func heartbeatCursor(t *testing.T, h *harness, workflowID, runID string) *activities.LogCursor {
	t.Helper()
	desc, err := h.tc.DescribeWorkflow(t.Context(), workflowID, runID)
	if err != nil {
		return nil
	}
	for _, pa := range desc.RawResponse.GetPendingActivities() {
		if pa.GetActivityType().GetName() != "WaitForTaskFinish" || pa.GetHeartbeatDetails() == nil {
			continue
		}
		var progress struct {
			LogCursor *activities.LogCursor `json:"logCursor"`
		}
		if converter.GetDefaultDataConverter().FromPayloads(pa.GetHeartbeatDetails(), &progress) == nil {
			return progress.LogCursor
		}
	}
	return nil
}
