package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// TestWorkerKilledRightAfterALineLosesNoLineAndEachReaderSeesItOnce kills
// the worker with SIGKILL while its task prints 30 numbered lines, right
// after the worker has written a line to its log: a moment that ignores
// heartbeats, so the last heartbeat Temporal received (the SDK sends them
// at most every 0.8 × the heartbeat timeout) is behind the lines written.
// A new worker reattaches to the same task after one RunTask, and:
//   - the worker's log has every line at least once, each record carrying
//     its position (log stream, eventTimestamp, eventIndex), a repeat the
//     same position as the line it repeats;
//   - `starter run`, which followed throughout, printed each line once, in
//     order, and exited with the container's code;
//   - `starter logs` afterwards prints each line once, in order;
//   - the result says the output was read completely.
//
// The local ECS endpoint runs in the test process, so that it outlives
// the worker.
func TestWorkerKilledRightAfterALineLosesNoLineAndEachReaderSeesItOnce(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	srv, cfg := ecslocaltest.Start(t, ecslocal.Options{
		AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, StopTimeout: 5 * time.Second,
	})
	endpoint := "AWS_ENDPOINT_URL=" + aws.ToString(cfg.BaseEndpoint)
	queue := "e2e-crash-" + uuid.NewString()[:8]
	var worker *process
	startWorker := func() {
		var err error
		worker, err = h.startWorker(ctx, "crash-worker-"+queue, []string{endpoint}, "--task-queue="+queue)
		require.NoError(t, err)
	}
	startWorker()
	t.Cleanup(func() { assert.NoError(t, worker.stop(30*time.Second)) })

	const n, killAfter = 30, 10
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, fmt.Sprintf("line %d", i))
	}
	id := workflowID(t)
	// `starter run` starts the job and follows it; it reads the lines
	// itself, with the same endpoint. The waits' heartbeat timeout is the
	// shortest a job may ask, so that the new worker resumes soon: the
	// SDK sends a heartbeat at most every 8s then.
	run, stdout, stderr := h.starter(ctx, "run", "--task-queue", queue, "--workflow-id", id, "--poll", "200ms",
		"--input", "-", "--image", "alpine:3.20", "--poll-interval", "0.5", "--",
		"sh", "-c", fmt.Sprintf(`for i in $(seq 1 %d); do echo "line $i"; sleep 0.2; done`, n))
	run.Env = append(run.Env, endpoint)
	run.Stdin = strings.NewReader(`{"heartbeatTimeoutSeconds": 10}`)
	require.NoError(t, run.Start())

	// Killed right after it wrote line 10, whatever it has heartbeated.
	require.NoError(t, waitFor(ctx, worker, "the worker to stream line 10", func() bool {
		return len(streamedLines(t, id, worker.log)) >= killAfter
	}))
	worker.kill()
	killedAt := len(streamedLines(t, id, worker.log))
	startWorker()

	require.NoError(t, run.Wait(), "starter run: %s", stderr)
	assert.Equal(t, want, lines(stdout.String()), "starter run printed each line once, in order; stderr: %s", stderr)

	logsCmd, logsOut, logsErr := h.starter(ctx, "logs", id)
	logsCmd.Env = append(logsCmd.Env, endpoint)
	require.NoError(t, logsCmd.Run(), "starter logs: %s", logsErr)
	assert.Equal(t, want, lines(logsOut.String()), "starter logs prints each line once, in order")
	assert.Empty(t, logsErr.String())

	// The worker's log: every line at least once, each with its position.
	records, err := readJSONLog(worker.log)
	require.NoError(t, err)
	byPos := map[string]string{}
	var order []string
	streamedTotal := 0
	for _, r := range records {
		if r.str("workflowId") != id || r["eventTimestamp"] == nil {
			continue
		}
		streamedTotal++
		require.NotEmpty(t, r.str("logStream"), "record %v", r)
		require.Contains(t, r, "eventIndex", "record %v", r)
		pos := fmt.Sprintf("%s/%v/%v", r.str("logStream"), r["eventTimestamp"], r["eventIndex"])
		msg := strings.TrimRight(r.str("msg"), "\n")
		if prev, ok := byPos[pos]; ok {
			require.Equal(t, prev, msg, "a repeated line has the position of the line it repeats")
			continue
		}
		byPos[pos] = msg
		order = append(order, msg)
	}
	assert.Equal(t, want, order, "every line reached the worker's log, at least once, in order")
	t.Logf("the worker was killed after streaming %d lines; %d records for %d lines: %d repeated after the restart",
		killedAt, streamedTotal, n, streamedTotal-n)

	var res activities.TaskResult
	require.NoError(t, h.tc.GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, 0, res.ExitCode)
	require.NotNil(t, res.Output)
	assert.True(t, res.Output.Complete, res.Output.Reason)
	assert.EqualValues(t, n, res.Output.Lines)
	assert.EqualValues(t, 1, srv.Stats()["ecs:RunTask"], "one RunTask: the new worker reattached to the same task")
}
