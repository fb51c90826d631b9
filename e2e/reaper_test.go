package e2e_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// reapInterval is the --reap-interval of the reaper tests' workers.
const reapInterval = 5 * time.Second

// reaperCase starts a worker whose reaper sweeps every reapInterval, with
// a local ECS endpoint of its own in the test process (so that no other
// worker's reaper sweeps it), and starts a ten-minute job on it with opts.
// end makes the workflow end without stopping its task; the task must then
// be stopped by the reaper within the interval plus one minute, with a
// reason naming the workflow and status.
func reaperCase(t *testing.T, opts client.StartWorkflowOptions, status string, end func(ctx context.Context, run client.WorkflowRun)) {
	h := need(t)
	ctx := testContext(t)
	_, cfg := ecslocaltest.Start(t, ecslocal.Options{
		AccessKeyID: accessKeyID, SecretAccessKey: secretAccessKey, StopTimeout: 5 * time.Second,
	})
	queue := "e2e-reaper-" + uuid.NewString()[:8]
	worker, err := h.startWorker(ctx, "reaper-worker-"+unsafeID.ReplaceAllString(t.Name(), "-"),
		[]string{"AWS_ENDPOINT_URL=" + aws.ToString(cfg.BaseEndpoint)},
		"--task-queue="+queue, "--reap-interval="+reapInterval.String())
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, worker.stop(30*time.Second)) })

	raw, err := json.Marshal(shellJob("sleep 600"))
	require.NoError(t, err)
	opts.ID, opts.TaskQueue = workflowID(t), queue
	run, err := h.tc.ExecuteWorkflow(ctx, opts, workflows.WorkflowName, json.RawMessage(raw))
	require.NoError(t, err)
	st := h.waitStatus(ctx, t, run, "the task to be running", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseRunning
	})

	end(ctx, run)
	require.Error(t, run.Get(ctx, nil), "the workflow ended without completing")

	deadline, cancel := context.WithTimeout(ctx, reapInterval+time.Minute)
	defer cancel()
	require.NoError(t, waitFor(deadline, worker, "the reaper to stop the task", func() bool {
		return aws.ToString(describeTask(ctx, t, cfg, st.Cluster, st.TaskArn).LastStatus) == "STOPPED"
	}))
	task := describeTask(ctx, t, cfg, st.Cluster, st.TaskArn)
	assert.Equal(t, "temporal-ecs reaper: workflow "+run.GetID()+" is "+status, aws.ToString(task.StoppedReason))
	assert.EqualValues(t, "UserInitiated", task.StopCode)

	records, err := readJSONLog(worker.log)
	require.NoError(t, err)
	var reaped []logRecord
	for _, r := range records {
		if r.str("msg") == "Reaper stopped the ECS task of a closed workflow" && r.str("workflowId") == run.GetID() {
			reaped = append(reaped, r)
		}
	}
	require.Len(t, reaped, 1, "one warning for the task")
	assert.Equal(t, "WARN", reaped[0].str("level"))
	assert.Equal(t, st.TaskArn, reaped[0].str("taskArn"))
	assert.Equal(t, status, reaped[0].str("workflowStatus"))
}

func TestReaperStopsTheTaskOfAWorkflowPastItsExecutionTimeout(t *testing.T) {
	reaperCase(t, client.StartWorkflowOptions{WorkflowExecutionTimeout: 20 * time.Second}, "TIMED_OUT",
		func(context.Context, client.WorkflowRun) {})
}

func TestReaperStopsTheTaskOfAWorkflowPastItsRunTimeout(t *testing.T) {
	reaperCase(t, client.StartWorkflowOptions{WorkflowRunTimeout: 20 * time.Second}, "TIMED_OUT",
		func(context.Context, client.WorkflowRun) {})
}

func TestReaperStopsTheTaskOfATerminatedWorkflow(t *testing.T) {
	reaperCase(t, client.StartWorkflowOptions{}, "TERMINATED", func(ctx context.Context, run client.WorkflowRun) {
		require.NoError(t, h.tc.TerminateWorkflow(ctx, run.GetID(), run.GetRunID(), "e2e: end without cleanup"))
	})
}
