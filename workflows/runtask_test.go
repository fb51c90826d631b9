package workflows

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

const testNewTaskDefArn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/temporal-ecs:8"

// lostResponses are RunTask failures after which a task may run: every
// response lost, or a non-retryable error after an attempt whose response
// was.
var lostResponses = map[string][]error{
	"every response lost": {
		errors.New("read tcp: i/o timeout"), errors.New("read tcp: i/o timeout"), errors.New("read tcp: i/o timeout"),
		errors.New("read tcp: i/o timeout"), errors.New("read tcp: i/o timeout"),
	},
	"non-retryable after a lost response": {
		errors.New("read tcp: connection reset by peer"),
		temporal.NewNonRetryableApplicationError("subnet-1 not found", activities.ErrNetworkConfiguration, nil),
	},
}

// No task outlives its workflow, not even one RunTask started and never
// reported: when RunTask gives up, the tasks of the workflow's startedBy
// are stopped before it ends.
func TestRunTaskGivesUpStopsTheTasksItMayHaveStarted(t *testing.T) {
	for name, errs := range lostResponses {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			f.prepared.RoleArn = "arn:aws:iam::123456789012:role/jobs"
			f.runErrs = errs
			f.orphans = []string{testTaskArn}
			env := newEnv(t, f)
			execute(t, env)

			app := appError(t, env)
			assert.Contains(t, app.Error(), errs[len(errs)-1].Error(), "the workflow fails with RunTask's error")
			c := f.calls()
			assert.Equal(t, len(errs), c.run)
			require.Equal(t, 1, c.stopOrphans)
			assert.Equal(t, activities.StopStartedByInput{
				Region: "eu-west-1", RoleArn: "arn:aws:iam::123456789012:role/jobs", Cluster: "jobs",
				StartedBy: f.runs[0].StartedBy, Reason: "workflow failed: RunTask gave up", Owner: f.runs[0].Owner,
			}, f.orphanStops[0])
			require.NotNil(t, f.runs[0].Owner, "the cleanup stops only the tasks tagged as the workflow's")
			assert.Zero(t, c.stop+c.start+c.finish, "no task known to stop or wait for")
			assert.Equal(t, 1, c.deregister)
			st := queryStatus(t, env)
			assert.Equal(t, PhaseFailed, st.Phase)
			require.Len(t, st.Warnings, 1)
			assert.Contains(t, st.Warnings[0], "stopped 1 task(s)")
			assert.Contains(t, st.Warnings[0], testTaskArn)
		})
	}
}

func TestRunTaskGivesUpAndTheCleanupFails(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{temporal.NewNonRetryableApplicationError("no capacity", activities.ErrRunTaskFailed, nil)}
	f.orphansErr = temporal.NewNonRetryableApplicationError("not authorized to perform ecs:ListTasks", "AccessDeniedException", nil)
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, activities.ErrRunTaskFailed, app.Type(), "the original error is returned")
	assert.Equal(t, 1, f.calls().stopOrphans)
	st := queryStatus(t, env)
	require.Len(t, st.Warnings, 1)
	assert.Contains(t, st.Warnings[0], "could not stop the tasks started by")
	assert.Contains(t, st.Warnings[0], "ecs:ListTasks")
}

// A cluster that does not exist has no task to stop.
func TestRunTaskClusterNotFoundNeedsNoCleanup(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{temporal.NewNonRetryableApplicationError("cluster jobs not found", activities.ErrClusterNotFound, nil)}
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, activities.ErrClusterNotFound, appError(t, env).Type())
	assert.Zero(t, f.calls().stopOrphans)
}

// Executions whose RunTask failed before changeStopOrphans end as they did.
func TestRunTaskGivesUpBeforeStopOrphans(t *testing.T) {
	f := newFakes()
	f.runErrs = lostResponses["non-retryable after a lost response"]
	env := newEnv(t, f)
	env.OnGetVersion(changeStopOrphans, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	execute(t, env)

	assert.Equal(t, activities.ErrNetworkConfiguration, appError(t, env).Type())
	assert.Zero(t, f.calls().stopOrphans)
}

func inactive(arn string) error {
	return temporal.NewNonRetryableApplicationError("task definition "+arn+" is INACTIVE", activities.ErrTaskDefinitionInactive, nil)
}

// fakesWithAnInactiveRevision returns fakes whose first RunTask finds the
// registered revision INACTIVE, failing with moreRunErrs after that, and
// whose next registration returns a new revision.
func fakesWithAnInactiveRevision(moreRunErrs ...error) *fakes {
	f := newFakes()
	f.reregistered = &activities.RegisterResult{TaskDefinitionArn: testNewTaskDefArn, Registered: true}
	f.runErrs = append([]error{inactive(testTaskDefArn)}, moreRunErrs...)
	return f
}

// Job B got from the cache a revision that job A deregistered before B's
// RunTask: B registers the definition again and runs with it.
func TestRunTaskWithAnInactiveSharedRevisionRegistersAgain(t *testing.T) {
	f := fakesWithAnInactiveRevision()
	f.registered.Registered = false // shared, from the cache
	env := newEnv(t, f)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	c := f.calls()
	assert.Equal(t, 2, c.register)
	require.Equal(t, 2, c.run)
	assert.Equal(t, testTaskDefArn, f.runs[0].TaskDefinitionArn)
	assert.Equal(t, testNewTaskDefArn, f.runs[1].TaskDefinitionArn)
	assert.Len(t, f.runs[1].ClientToken, 64)
	assert.NotEqual(t, f.runs[0].ClientToken, f.runs[1].ClientToken,
		"ECS ties a client token to its request: another definition needs another token")
	assert.Equal(t, f.runs[0].StartedBy, f.runs[1].StartedBy)
	require.Equal(t, 1, c.stopOrphans, "a task the first RunTask may have started is stopped")
	assert.Equal(t, []int{1}, f.runsAtOrphanStops, "before the second RunTask, which it would stop too")
	assert.Contains(t, f.orphanStops[0].Reason, "INACTIVE")
	assert.Equal(t, 1, c.start)
	require.Equal(t, 1, c.deregister)
	assert.Equal(t, testNewTaskDefArn, f.deregisters[0].TaskDefinitionArn, "the revision this run registered")
	assert.Equal(t, testNewTaskDefArn, queryStatus(t, env).TaskDefinitionArn)
}

func TestRunTaskWithAnInactiveRevisionTwice(t *testing.T) {
	f := fakesWithAnInactiveRevision(inactive(testNewTaskDefArn))
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, activities.ErrTaskDefinitionInactive, app.Type())
	c := f.calls()
	assert.Equal(t, 2, c.register, "registered again once only")
	assert.Equal(t, 2, c.run)
	assert.Equal(t, 2, c.stopOrphans, "before the second RunTask and after it gave up")
	assert.Equal(t, "workflow failed: RunTask gave up", f.orphanStops[1].Reason)
	assert.Zero(t, c.start)
}

// A revision the job named is the job's to fix: it is not replaced.
func TestRunTaskWithAnInactiveNamedRevision(t *testing.T) {
	f := newFakes()
	f.prepared.TaskDefinitionArn = testTaskDefArn
	f.registered.Registered = false
	f.runErrs = []error{inactive(testTaskDefArn)}
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, activities.ErrTaskDefinitionInactive, appError(t, env).Type())
	c := f.calls()
	assert.Equal(t, 1, c.register)
	assert.Equal(t, 1, c.run)
	assert.Equal(t, 1, c.stopOrphans)
}

// Cancelled while the first RunTask was in flight, the workflow starts no
// new task.
func TestRunTaskWithAnInactiveRevisionWhenCancelled(t *testing.T) {
	f := fakesWithAnInactiveRevision()
	f.runIn = time.Minute
	env := newEnv(t, f)
	cancelAfter(env, 30*time.Second)
	execute(t, env)

	requireCancelled(t, env)
	c := f.calls()
	assert.Equal(t, 1, c.register)
	assert.Equal(t, 1, c.run)
	require.Equal(t, 1, c.stopOrphans)
	assert.Equal(t, "workflow cancelled: RunTask gave up", f.orphanStops[0].Reason)
}

// Cancelled while registering again, the workflow starts no new task.
func TestRunTaskCancelledWhileRegisteringAgain(t *testing.T) {
	f := fakesWithAnInactiveRevision()
	f.registerIn = time.Minute
	env := newEnv(t, f)
	cancelAfter(env, 90*time.Second)
	execute(t, env)

	requireCancelled(t, env)
	c := f.calls()
	assert.Equal(t, 1, c.run)
	assert.Equal(t, 1, c.stopOrphans)
	assert.Zero(t, c.stop+c.start)
}

func TestRunTaskWithAnInactiveRevisionBeforeTheChange(t *testing.T) {
	f := fakesWithAnInactiveRevision()
	env := newEnv(t, f)
	env.OnGetVersion(changeReregisterInactive, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	execute(t, env)

	assert.Equal(t, activities.ErrTaskDefinitionInactive, appError(t, env).Type())
	c := f.calls()
	assert.Equal(t, 1, c.register)
	assert.Equal(t, 1, c.run)
}
