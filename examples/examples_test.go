package examples_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/examples"
	"github.com/temporal-ecs/temporal-ecs/examples/fanout"
	"github.com/temporal-ecs/temporal-ecs/examples/sequence"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// fakeECS stands in for RunECSTask, registered under its name: a job
// "exit N" ends with exit code N (a failure unless 0); "wait" runs until
// cancelled, as a task does until the workflow stops it.
type fakeECS struct {
	mu        sync.Mutex
	started   []string
	cancelled []string
}

func (f *fakeECS) run(ctx workflow.Context, raw json.RawMessage) (*activities.TaskResult, error) {
	var cfg job.Config
	if err := json.Unmarshal(raw, &cfg); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), workflows.ErrInvalidJobConfiguration, nil)
	}
	script := cfg.Command[len(cfg.Command)-1]
	f.mu.Lock()
	f.started = append(f.started, script)
	f.mu.Unlock()
	res := &activities.TaskResult{TaskArn: "arn:aws:ecs:us-east-1:1:task/" + script, StopCode: "EssentialContainerExited"}
	if script == "wait" {
		_ = workflow.Await(ctx, func() bool { return false })
		f.mu.Lock()
		f.cancelled = append(f.cancelled, script)
		f.mu.Unlock()
		res.StopCode, res.ExitCode = "UserInitiated", 143
		return nil, temporal.NewCanceledError(res)
	}
	code, err := strconv.Atoi(strings.TrimPrefix(script, "exit "))
	if err != nil {
		return nil, err
	}
	res.ExitCode = code
	if code != 0 {
		return nil, temporal.NewNonRetryableApplicationError("container exited with code "+strconv.Itoa(code), workflows.ErrTaskExitedNonZero, nil, res)
	}
	return res, nil
}

func newEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *fakeECS) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	f := &fakeECS{}
	env.RegisterWorkflowWithOptions(f.run, workflow.RegisterOptions{Name: workflows.WorkflowName})
	examples.Register(env)
	t.Cleanup(func() { env.AssertExpectations(t) })
	return env, f
}

func shell(script string) job.Config {
	return job.Config{Image: "alpine:3.20", Command: job.Command{"sh", "-c", script}}
}

func TestSequenceRunsTheLoadAfterTheExtract(t *testing.T) {
	env, f := newEnv(t)
	env.ExecuteWorkflow(sequence.ExtractLoad, sequence.Input{Extract: shell("exit 0"), Load: shell("exit 0")})
	require.NoError(t, env.GetWorkflowError())
	var out sequence.Output
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, "arn:aws:ecs:us-east-1:1:task/exit 0", out.ExtractTaskArn)
	assert.Len(t, f.started, 2)
}

func TestSequenceStopsAtAFailedExtract(t *testing.T) {
	env, f := newEnv(t)
	env.ExecuteWorkflow(sequence.ExtractLoad, sequence.Input{Extract: shell("exit 3"), Load: shell("exit 0")})
	err := env.GetWorkflowError()
	require.Error(t, err)
	assert.Equal(t, workflows.ErrTaskExitedNonZero, workflows.FailureType(err))
	require.NotNil(t, workflows.ResultOf(err))
	assert.Equal(t, 3, workflows.ResultOf(err).ExitCode)
	assert.Equal(t, []string{"exit 3"}, f.started, "no load after a failed extract")
}

func TestFanOutCollectsEveryExitCode(t *testing.T) {
	env, _ := newEnv(t)
	env.ExecuteWorkflow(fanout.Parallel, []job.Config{shell("exit 0"), shell("exit 3"), shell("exit 0")})
	require.NoError(t, env.GetWorkflowError())
	var out []fanout.Outcome
	require.NoError(t, env.GetWorkflowResult(&out))
	assert.Equal(t, []fanout.Outcome{{ExitCode: 0}, {ExitCode: 3, Failure: workflows.ErrTaskExitedNonZero}, {ExitCode: 0}}, out)
}

// Cancelling the parent cancels every child: each stops its task.
func TestCancellingTheFanOutCancelsEveryChild(t *testing.T) {
	env, f := newEnv(t)
	env.RegisterDelayedCallback(env.CancelWorkflow, time.Minute)
	env.ExecuteWorkflow(fanout.Parallel, []job.Config{shell("wait"), shell("wait"), shell("wait")})
	var canceled *temporal.CanceledError
	require.ErrorAs(t, env.GetWorkflowError(), &canceled)
	assert.Len(t, f.cancelled, 3)
}
