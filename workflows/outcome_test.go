package workflows

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

func intp(v int) *int { return &v }

// stoppedBy is the fakes' result of a task stopped with code and reason,
// its container having exited with exit.
func stoppedBy(f *fakes, code, reason string, exit int) activities.TaskResult {
	r := f.finished
	r.StopCode, r.StoppedReason, r.ExitCode = code, reason, exit
	r.Containers = []activities.ContainerResult{{Name: "main", ExitCode: intp(exit), Essential: true}}
	return r
}

// requireFailure runs the workflow and requires a non-retryable failure of
// type typ carrying the task's result, which it returns.
func requireFailure(t *testing.T, f *fakes, typ string) (*temporal.ApplicationError, activities.TaskResult) {
	t.Helper()
	env := newEnv(t, f)
	execute(t, env)
	app := appError(t, env)
	require.Equal(t, typ, app.Type(), app.Error())
	assert.True(t, app.NonRetryable())
	var res activities.TaskResult
	require.NoError(t, app.Details(&res))
	assert.Equal(t, PhaseFailed, queryStatus(t, env).Phase)
	return app, res
}

// A well-behaved entrypoint exits 0 on SIGTERM: a task stopped from
// outside is no success, whatever its exit code.
func TestTaskStoppedFromOutsideIsNoSuccess(t *testing.T) {
	for _, code := range []string{"UserInitiated", "SpotInterruption", "TerminationNotice", "ServiceSchedulerInitiated", "InfrastructureHealth"} {
		t.Run(code, func(t *testing.T) {
			f := newFakes()
			f.prepared.AllowNonZeroExit = true // excuses exit codes only
			f.finished = stoppedBy(f, code, "stopped by someone", 0)
			app, res := requireFailure(t, f, code)
			assert.Contains(t, app.Error(), "stopped by someone")
			assert.Contains(t, app.Error(), `container "main" exited with code 0`)
			assert.Equal(t, []activities.TaskAttempt{{TaskArn: testTaskArn, StopCode: code, StoppedReason: "stopped by someone"}}, res.Attempts)
			require.Len(t, res.Containers, 1)
			assert.Equal(t, 1, f.calls().run, "not retried without retryOnInterruption")
		})
	}
}

func TestEssentialSidecarFailureFailsTheJob(t *testing.T) {
	f := newFakes()
	f.finished.Containers = []activities.ContainerResult{
		{Name: "main", ExitCode: intp(0), Essential: true},
		{Name: "proxy", ExitCode: intp(1), Essential: true, Reason: "crashed"},
		{Name: "metrics", ExitCode: intp(2)},
	}
	app, res := requireFailure(t, f, ErrEssentialContainerFailed)
	assert.Contains(t, app.Error(), `essential container "proxy"`)
	assert.Contains(t, app.Error(), "exited with code 1 (crashed)")
	assert.Len(t, res.Containers, 3, "every container's exit code in the details")
}

func TestNonEssentialSidecarFailureIsNoFailure(t *testing.T) {
	f := newFakes()
	f.finished.Containers = []activities.ContainerResult{
		{Name: "main", ExitCode: intp(0), Essential: true},
		{Name: "metrics", ExitCode: intp(2)},
	}
	env := newEnv(t, f)
	execute(t, env)
	require.NoError(t, env.GetWorkflowError())
	var res activities.TaskResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Len(t, res.Attempts, 1)
}

// An interrupted task runs again, as a new task under a new token, on the
// fallback capacity, and every attempt is in the result and the status.
func TestInterruptedTaskRunsAgain(t *testing.T) {
	f := newFakes()
	f.prepared.RetryOnInterruption = 1
	f.finishes = []activities.TaskResult{stoppedBy(f, "SpotInterruption", "Your Spot Task was interrupted.", 0)}
	env := newEnv(t, f)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	var res activities.TaskResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Len(t, f.runs, 2)
	assert.NotEqual(t, f.runs[0].ClientToken, f.runs[1].ClientToken, "a new task, a new token")
	assert.False(t, f.runs[0].OnFallback)
	assert.True(t, f.runs[1].OnFallback)
	assert.False(t, f.runs[1].Adopt)
	require.Len(t, res.Attempts, 2)
	assert.Equal(t, "SpotInterruption", res.Attempts[0].StopCode)
	assert.Equal(t, "EssentialContainerExited", res.Attempts[1].StopCode)
	st := queryStatus(t, env)
	assert.Equal(t, PhaseCompleted, st.Phase)
	assert.Equal(t, res.Attempts, st.Attempts)
	assert.Equal(t, 2, f.calls().finish)
	assert.Equal(t, 1, f.calls().deregister, "deregistered once, at the end")
}

func TestInterruptionsPastTheRetriesFailTheJob(t *testing.T) {
	f := newFakes()
	f.prepared.RetryOnInterruption = 1
	spot := stoppedBy(f, "SpotInterruption", "Your Spot Task was interrupted.", 0)
	f.finishes = []activities.TaskResult{spot, spot}
	_, res := requireFailure(t, f, "SpotInterruption")
	assert.Len(t, res.Attempts, 2)
	assert.Equal(t, 2, f.calls().run)
}

// Only the infrastructure's interruptions are retried: a scheduler's or a
// user's stop is the job's outcome.
func TestOnlyInterruptionsAreRetried(t *testing.T) {
	f := newFakes()
	f.prepared.RetryOnInterruption = 3
	f.finished = stoppedBy(f, "ServiceSchedulerInitiated", "scaled in", 0)
	requireFailure(t, f, "ServiceSchedulerInitiated")
	assert.Equal(t, 1, f.calls().run)
}
