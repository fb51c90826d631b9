package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

func runFailure(retryable bool) error {
	return temporal.NewNonRetryableApplicationError("failed to run ECS task: RESOURCE:MEMORY", activities.ErrRunTaskFailed, nil,
		activities.RunFailure{Reason: "RESOURCE:MEMORY", Retryable: retryable})
}

// ECS's failures started no task: the workflow retries them, each under a
// new client token recorded in history, so that a retried activity can
// never replay an answered token nor start a second task.
func TestRunTaskFailuresAreRetriedUnderNewTokens(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{runFailure(true), runFailure(true)}
	env := newEnv(t, f)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	require.Len(t, f.runs, 3)
	tokens := map[string]bool{}
	for _, in := range f.runs {
		tokens[in.ClientToken] = true
		assert.Equal(t, f.runs[0].Owner, in.Owner)
	}
	assert.Len(t, tokens, 3, "one token per RunTask")
	assert.Equal(t, 1, f.calls().start)
}

func TestRunTaskFailuresGiveUpAfterTheAttempts(t *testing.T) {
	f := newFakes()
	for range runTaskFailureAttempts + 1 {
		f.runErrs = append(f.runErrs, runFailure(true))
	}
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, activities.ErrRunTaskFailed, appError(t, env).Type())
	assert.Equal(t, runTaskFailureAttempts, f.calls().run)
}

func TestRunTaskFailureRetryingCannotFixIsNotRetried(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{runFailure(false)}
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, activities.ErrRunTaskFailed, appError(t, env).Type())
	assert.Equal(t, 1, f.calls().run)
}

// Cancelled during the backoff, the workflow starts nothing more.
func TestCancelDuringTheRunTaskBackoffStartsNothingMore(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{runFailure(true)}
	env := newEnv(t, f)
	cancelAfter(env, f.prepareIn+f.registerIn+time.Second)
	execute(t, env)

	requireCancelled(t, env)
	assert.Equal(t, 1, f.calls().run)
}

// The waits run on the wait queue, with slots of their own; RunTask and
// StopTask on the workflow's queue.
func TestWaitsRunOnTheWaitQueue(t *testing.T) {
	f := newFakes()
	env := newEnv(t, f)
	cancelAfter(env, 5*time.Minute)
	execute(t, env)

	requireCancelled(t, env)
	queue := f.queues["RunTask"]
	require.NotEmpty(t, queue)
	assert.Equal(t, WaitQueue(queue), f.queues["WaitForTaskStart"])
	assert.Equal(t, WaitQueue(queue), f.queues["WaitForTaskFinish"])
	assert.Equal(t, queue, f.queues["StopTask"])
}

// A stop names the owner, so that StopTask checks the task's tags before
// stopping it.
func TestStopNamesTheTasksOwner(t *testing.T) {
	f := newFakes()
	env := newEnv(t, f)
	cancelAfter(env, 5*time.Minute)
	execute(t, env)

	requireCancelled(t, env)
	require.Len(t, f.stops, 1)
	require.NotNil(t, f.stops[0].Owner)
	assert.Equal(t, f.runs[0].Owner, f.stops[0].Owner)
}

func TestStopIsRetriedUntilItSucceeds(t *testing.T) {
	o := stopUntilDoneOptions(stopOptions("StopTask"))
	assert.Zero(t, o.ScheduleToCloseTimeout, "no total: cleanup never gives up while the task may run")
	assert.Zero(t, o.RetryPolicy.MaximumAttempts)
	assert.Contains(t, o.RetryPolicy.NonRetryableErrorTypes, activities.ErrTaskNotOwned)
}
