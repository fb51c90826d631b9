package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// cancelAfter cancels the workflow once d has passed on the test clock.
func cancelAfter(env *testsuite.TestWorkflowEnvironment, d time.Duration) {
	env.RegisterDelayedCallback(env.CancelWorkflow, d)
}

// requireCancelled asserts that the workflow ended cancelled and returns
// the task result its cancellation carries, if any.
func requireCancelled(t *testing.T, env *testsuite.TestWorkflowEnvironment) *activities.TaskResult {
	t.Helper()
	err := env.GetWorkflowError()
	require.Error(t, err)
	var canceled *temporal.CanceledError
	require.True(t, errors.As(err, &canceled), "not cancelled: %v", err)
	assert.Equal(t, PhaseCancelled, queryStatus(t, env).Phase)
	if !canceled.HasDetails() {
		return nil
	}
	var res *activities.TaskResult
	require.NoError(t, canceled.Details(&res))
	return res
}

func TestCancelBeforeRunTaskStartsNoTask(t *testing.T) {
	for name, slow := range map[string]func(*fakes){
		"while preparing":   func(f *fakes) { f.prepareIn = time.Minute },
		"while registering": func(f *fakes) { f.registerIn = time.Minute },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			slow(f)
			env := newEnv(t, f)
			cancelAfter(env, 30*time.Second)
			execute(t, env)

			requireCancelled(t, env)
			c := f.calls()
			assert.Zero(t, c.run, "no task is started")
			assert.Zero(t, c.stop+c.stopOrphans)
			assert.Zero(t, c.start+c.finish)
		})
	}
}

func TestCancelWhileRunTaskIsInFlightStopsTheTaskItStarted(t *testing.T) {
	f := newFakes()
	f.runIn = time.Minute
	env := newEnv(t, f)
	cancelAfter(env, 30*time.Second)
	execute(t, env)

	res := requireCancelled(t, env)
	c := f.calls()
	assert.Equal(t, 1, c.run, "the RunTask attempt is not abandoned: its result names the task")
	assert.Equal(t, 1, c.stop)
	assert.Equal(t, activities.StopInput{Region: "eu-west-1", Cluster: "jobs", Identifier: "jobs::" + testTaskArn,
		Reason: "workflow cancelled", Owner: f.runs[0].Owner}, f.stops[0])
	assert.Zero(t, c.start, "no wait for the start of a task being stopped")
	assert.Equal(t, 1, c.finish, "a bounded wait until STOPPED")
	assert.True(t, f.finishWaits[0].StreamOutput, "nothing streamed yet")
	assert.Equal(t, 1, c.deregister)
	require.NotNil(t, res)
	assert.Equal(t, "UserInitiated", res.StopCode)
}

func TestCancelWhileRunTaskFailsEndsCancelled(t *testing.T) {
	f := newFakes()
	f.runIn = time.Minute
	f.runErrs = []error{temporal.NewNonRetryableApplicationError("no capacity", activities.ErrRunTaskFailed, nil)}
	env := newEnv(t, f)
	cancelAfter(env, 30*time.Second)
	execute(t, env)

	requireCancelled(t, env)
	c := f.calls()
	assert.Zero(t, c.stop, "no task known to stop")
	require.Equal(t, 1, c.stopOrphans, "but an attempt whose response was lost may have started one")
	assert.Equal(t, "workflow cancelled: RunTask gave up", f.orphanStops[0].Reason)
	assert.Equal(t, 1, c.deregister)
}

// Cancelled while waiting for the start, the task is stopped and the
// WaitForTaskStart in flight, which may be streaming the output of a task
// that ran between two polls, is not cancelled: it observes the stop.
func TestCancelWhileWaitingForStart(t *testing.T) {
	f := newFakes()
	f.startIn = 2 * time.Minute
	env := newEnv(t, f)
	cancelAfter(env, time.Minute)
	execute(t, env)

	res := requireCancelled(t, env)
	c := f.calls()
	assert.Equal(t, 1, c.stop)
	assert.Equal(t, "workflow cancelled", f.stops[0].Reason)
	assert.Empty(t, f.cancelled, "the start wait is not cancelled")
	assert.Zero(t, c.finish, "the start wait saw the task stop before it ran: nothing left to wait for")
	assert.Equal(t, 1, c.deregister)
	require.NotNil(t, res)
	assert.Equal(t, "STOPPED", res.LastStatus)
	assert.Equal(t, "UserInitiated", res.StopCode)
	st := queryStatus(t, env)
	assert.Equal(t, "STOPPED", st.LastStatus)
	require.NotNil(t, st.ExitCode)
	assert.Equal(t, -1, *st.ExitCode)
}

func TestCancelWhileWaitingForStartStreamsEachLineOnce(t *testing.T) {
	for name, tc := range map[string]struct {
		afterStop    activities.WaitForStartResult
		finishWaits  int
		wantStopCode string
	}{
		// It ran and stopped between two polls: the start wait streamed its
		// output, so no other wait may stream it again.
		"ran between polls": {
			afterStop:   activities.WaitForStartResult{LastStatus: "STOPPED", Finished: &activities.TaskResult{TaskArn: testTaskArn, LastStatus: "STOPPED", ExitCode: 143, StopCode: "UserInitiated"}},
			finishWaits: 0, wantStopCode: "UserInitiated",
		},
		// It reached RUNNING just before the stop: the start wait streamed
		// nothing, a fresh wait confirms the stop and streams the output.
		"seen running": {
			afterStop:   activities.WaitForStartResult{LastStatus: "RUNNING"},
			finishWaits: 1, wantStopCode: "UserInitiated",
		},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			f.startIn = 2 * time.Minute
			f.startedAfterStop = &tc.afterStop
			env := newEnv(t, f)
			cancelAfter(env, time.Minute)
			execute(t, env)

			res := requireCancelled(t, env)
			require.NotNil(t, res)
			assert.Equal(t, tc.wantStopCode, res.StopCode)
			c := f.calls()
			assert.Equal(t, 1, c.stop)
			assert.Empty(t, f.cancelled)
			require.Len(t, f.startWaits, 1)
			assert.True(t, f.startWaits[0].StreamOutput)
			assert.Equal(t, tc.finishWaits, c.finish)
			for _, w := range f.finishWaits {
				assert.True(t, w.StreamOutput, "nothing was streamed yet")
			}
		})
	}
}

// Executions that began waiting for the start before changeStartWaitStreams
// keep their behaviour: a start wait that streams nothing, cancelled, and a
// fresh wait that streams after StopTask.
func TestCancelWhileWaitingForStartBeforeStartWaitStreams(t *testing.T) {
	f := newFakes()
	f.startIn = 2 * time.Minute
	env := newEnv(t, f)
	env.OnGetVersion(changeStartWaitStreams, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	cancelAfter(env, time.Minute)
	execute(t, env)

	res := requireCancelled(t, env)
	c := f.calls()
	assert.Equal(t, 1, c.stop)
	assert.Equal(t, []string{"WaitForTaskStart"}, f.cancelled)
	assert.Equal(t, 1, c.finish)
	assert.True(t, f.finishWaits[0].StreamOutput)
	require.NotNil(t, res)
	assert.Equal(t, 143, res.ExitCode)
}

// Cancelled while running, the task is stopped and the WaitForTaskFinish in
// flight sees it stop: no second wait, no log line streamed twice.
func TestCancelWhileRunning(t *testing.T) {
	for name, autoDeregister := range map[string]bool{"deregister": true, "keep definition": false} {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			f.prepared.AutoDeregister = autoDeregister
			f.finishIn = 5 * time.Minute
			env := newEnv(t, f)
			cancelAfter(env, 4*time.Minute)
			execute(t, env)

			res := requireCancelled(t, env)
			c := f.calls()
			assert.Equal(t, 1, c.stop, "StopTask exactly once")
			assert.Equal(t, "workflow cancelled", f.stops[0].Reason)
			assert.Equal(t, 1, c.finish, "the wait in flight observes the stop")
			if autoDeregister {
				assert.Equal(t, 1, c.deregister)
			} else {
				assert.Zero(t, c.deregister)
			}
			require.NotNil(t, res)
			assert.Equal(t, "UserInitiated", res.StopCode)
			st := queryStatus(t, env)
			require.NotNil(t, st.ExitCode)
			assert.Equal(t, 143, *st.ExitCode)
		})
	}
}

// A task that does not stop within the bound does not hold the workflow.
func TestCancelWhileRunningTaskThatWillNotStop(t *testing.T) {
	f := newFakes()
	f.finishIn = 3 * time.Hour
	env := newEnv(t, f)
	cancelAfter(env, 4*time.Minute)
	execute(t, env)

	assert.Nil(t, requireCancelled(t, env))
	c := f.calls()
	assert.Equal(t, 1, c.stop)
	assert.Equal(t, 1, c.deregister)
	st := queryStatus(t, env)
	require.NotEmpty(t, st.Warnings)
	assert.Contains(t, st.Warnings[0], "could not confirm")
}

func TestCancelWhenTheTaskCannotBeStopped(t *testing.T) {
	f := newFakes()
	f.finishIn = time.Hour
	f.stopErr = temporal.NewNonRetryableApplicationError("not authorized to perform ecs:StopTask", "AccessDeniedException", nil)
	env := newEnv(t, f)
	cancelAfter(env, 4*time.Minute)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, ErrStopTaskFailed, app.Type())
	assert.Contains(t, app.Error(), testTaskArn)
	assert.Contains(t, app.Error(), "ecs:StopTask")
	assert.Equal(t, 1, f.calls().stop)
}

// A cancellation that arrives once the task has stopped by itself changes
// nothing: the workflow completes with the task's result.
func TestCancelAfterTheTaskStopped(t *testing.T) {
	f := newFakes()
	f.deregisterErr = errors.New("throttled") // retried: the cancellation arrives meanwhile
	env := newEnv(t, f)
	cancelAfter(env, 10*time.Minute+30*time.Second+time.Second)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	assert.Zero(t, f.calls().stop)
}
