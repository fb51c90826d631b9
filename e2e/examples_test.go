package e2e_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/examples"
	"github.com/temporal-ecs/temporal-ecs/examples/fanout"
	"github.com/temporal-ecs/temporal-ecs/examples/sequence"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// startExamplesWorker hosts the example parents on a queue of the test;
// their RunECSTask children run on the shared worker.
func startExamplesWorker(t *testing.T) string {
	t.Helper()
	queue := examples.TaskQueue + "-" + uuid.NewString()[:8]
	w := worker.New(h.tc, queue, worker.Options{})
	examples.Register(w)
	require.NoError(t, w.Start())
	t.Cleanup(w.Stop)
	return queue
}

func shellConfig(script string) job.Config {
	return job.Config{Image: "alpine:3.20", Command: job.Command{"sh", "-c", script}, PollIntervalSeconds: new(0.5), HeartbeatTimeoutSeconds: new(10)}
}

func TestExamplesSequenceAndFanOut(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	queue := startExamplesWorker(t)

	run, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID(t) + "-sequence", TaskQueue: queue},
		sequence.ExtractLoad, sequence.Input{Extract: shellConfig("echo extract"), Load: shellConfig("echo load")})
	require.NoError(t, err)
	var seq sequence.Output
	require.NoError(t, run.Get(ctx, &seq))
	assert.NotEmpty(t, seq.ExtractTaskArn)
	assert.NotEqual(t, seq.ExtractTaskArn, seq.LoadTaskArn)

	run, err = h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID(t) + "-fanout", TaskQueue: queue},
		fanout.Parallel, []job.Config{shellConfig("exit 0"), shellConfig("exit 3"), shellConfig("exit 5")})
	require.NoError(t, err)
	var out []fanout.Outcome
	require.NoError(t, run.Get(ctx, &out))
	assert.Equal(t, []fanout.Outcome{
		{ExitCode: 0}, {ExitCode: 3, Failure: workflows.ErrTaskExitedNonZero}, {ExitCode: 5, Failure: workflows.ErrTaskExitedNonZero},
	}, out)
}

// Cancelling the parent stops the task of every child.
func TestExamplesCancellingTheFanOutStopsEveryTask(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	queue := startExamplesWorker(t)
	run, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID(t), TaskQueue: queue},
		fanout.Parallel, []job.Config{shellConfig(trapScript), shellConfig(trapScript), shellConfig(trapScript)})
	require.NoError(t, err)

	var arns []string
	require.NoError(t, waitFor(ctx, nil, "every child's task to run", func() bool {
		d, err := h.tc.DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
		if err != nil || len(d.RawResponse.GetPendingChildren()) != 3 {
			return false
		}
		arns = arns[:0]
		for _, c := range d.RawResponse.GetPendingChildren() {
			st, err := h.status(ctx, h.tc.GetWorkflow(ctx, c.WorkflowId, c.RunId))
			if err != nil || st.Phase != workflows.PhaseRunning {
				return false
			}
			arns = append(arns, st.TaskArn)
		}
		return true
	}))
	require.NoError(t, h.tc.CancelWorkflow(ctx, run.GetID(), run.GetRunID()))
	require.Error(t, run.Get(ctx, nil))
	deadline, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, arn := range arns {
		require.NoError(t, waitFor(deadline, nil, "task "+arn+" to stop", func() bool {
			return aws.ToString(describeTask(ctx, t, h.aws, "default", arn).LastStatus) == "STOPPED"
		}))
	}
}
