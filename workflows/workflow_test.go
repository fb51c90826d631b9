package workflows

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestRunECSTaskSequence(t *testing.T) {
	f := newFakes()
	env := newEnv(t, f)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	var res activities.TaskResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, f.finished.TaskArn, res.TaskArn)
	assert.Equal(t, 0, res.ExitCode)

	assert.Equal(t, calls{prepare: 1, register: 1, run: 1, start: 1, finish: 1, deregister: 1}, f.calls())
	assert.JSONEq(t, string(testJob), string(f.prepares[0].Job), "the job reaches PrepareTaskDefinition verbatim")
	assert.Equal(t, "temporal-ecs", f.registers[0].TaskDefinition["family"])
	run := f.runs[0]
	assert.Equal(t, testTaskDefArn, run.TaskDefinitionArn)
	assert.Equal(t, "alpine:3.20", run.Job.Image)
	assert.Len(t, run.ClientToken, 64)
	assert.NotEmpty(t, run.StartedBy)
	want := f.ref
	want.Owner = f.runs[0].Owner
	assert.Equal(t, want, f.startWaits[0].Task)
	assert.Equal(t, 5.0, f.startWaits[0].PollIntervalSeconds)
	assert.Equal(t, 300, f.startWaits[0].StartTimeoutSeconds)
	assert.True(t, f.startWaits[0].StreamOutput, "a task that runs between two polls has its output streamed by the start wait")
	assert.Equal(t, want, f.finishWaits[0].Task)
	assert.True(t, f.finishWaits[0].StreamOutput)
	assert.NotEmpty(t, f.finishWaits[0].WorkflowID)
	assert.Equal(t, activities.DeregisterInput{Region: "eu-west-1", TaskDefinitionArn: testTaskDefArn}, f.deregisters[0])

	st := queryStatus(t, env)
	assert.Equal(t, PhaseCompleted, st.Phase)
	require.NotNil(t, st.ExitCode)
	assert.Equal(t, 0, *st.ExitCode)
	assert.Equal(t, "STOPPED", st.LastStatus)
}

func TestRunECSTaskDeregistersOnlyWhatItRegisteredWhenConfigured(t *testing.T) {
	for name, tc := range map[string]struct {
		auto, registered bool
		want             int
	}{
		"auto and registered":   {true, true, 1},
		"auto, reused revision": {true, false, 0},
		"not auto, registered":  {false, true, 0},
		"not auto, reused":      {false, false, 0},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			f.prepared.AutoDeregister = tc.auto
			f.registered.Registered = tc.registered
			env := newEnv(t, f)
			execute(t, env)
			require.NoError(t, env.GetWorkflowError())
			assert.Equal(t, tc.want, f.calls().deregister)
		})
	}
}

func TestRunECSTaskDeregisterFailureIsAWarning(t *testing.T) {
	f := newFakes()
	f.deregisterErr = temporal.NewNonRetryableApplicationError("access denied", "AccessDenied", nil)
	env := newEnv(t, f)
	execute(t, env)
	require.NoError(t, env.GetWorkflowError())
	st := queryStatus(t, env)
	assert.Equal(t, PhaseCompleted, st.Phase)
	require.Len(t, st.Warnings, 1)
	assert.Contains(t, st.Warnings[0], "could not deregister")
}

func TestRunECSTaskInvalidJob(t *testing.T) {
	f := newFakes()
	f.prepareErr = temporal.NewNonRetryableApplicationError(`unknown field "imag" (did you mean "image"?)`,
		activities.ErrInvalidJobConfiguration, nil)
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, activities.ErrInvalidJobConfiguration, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Contains(t, app.Error(), `unknown field "imag"`)
	assert.Equal(t, calls{prepare: 1}, f.calls())
	st := queryStatus(t, env)
	assert.Equal(t, PhaseFailed, st.Phase)
	assert.Contains(t, st.Error, "imag")
}

func TestRunECSTaskRegisterFailure(t *testing.T) {
	f := newFakes()
	f.registerErr = temporal.NewNonRetryableApplicationError("not authorized to perform ecs:RegisterTaskDefinition",
		"AccessDeniedException", nil)
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, "AccessDeniedException", appError(t, env).Type())
	assert.Equal(t, calls{prepare: 1, register: 1}, f.calls())
}

func TestRunECSTaskRunTaskCapacityFailureIsRetried(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{temporal.NewApplicationError("RESOURCE:MEMORY", activities.ErrRunTaskFailed)}
	env := newEnv(t, f)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	assert.Equal(t, 2, f.calls().run, "a retryable RunTaskFailed is retried")
}

func TestRunECSTaskRunTaskFailure(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{temporal.NewNonRetryableApplicationError("cluster jobs not found", activities.ErrClusterNotFound, nil)}
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, activities.ErrClusterNotFound, app.Type())
	assert.Contains(t, app.Error(), "cluster jobs not found")
	// No task to stop (none can run in a cluster that does not exist); the
	// definition this run registered is deregistered.
	assert.Equal(t, calls{prepare: 1, register: 1, run: 1, deregister: 1}, f.calls())
}

func TestRunECSTaskRunTaskRetriesWithTheSameClientToken(t *testing.T) {
	f := newFakes()
	f.runErrs = []error{
		errors.New("connection reset by peer"),
		temporal.NewApplicationError("throttled", "ThrottlingException"),
	}
	env := newEnv(t, f)
	env.SetStartWorkflowOptions(client.StartWorkflowOptions{ID: "nightly:report v2"})
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	require.Len(t, f.runs, 3)
	for _, in := range f.runs[1:] {
		assert.Equal(t, f.runs[0].ClientToken, in.ClientToken)
		assert.Equal(t, f.runs[0].StartedBy, in.StartedBy)
	}
	require.NotNil(t, f.runs[0].Owner)
	assert.Equal(t, job.Owner{
		Namespace: "default-test-namespace", WorkflowID: "nightly:report v2",
		RunID: "default-test-run-id", OriginalRunID: "default-test-run-id",
	}, *f.runs[0].Owner, "the task is tagged with the full workflow ID")
	assert.Equal(t, f.runs[0].Owner.StartedBy(), f.runs[0].StartedBy)
	assert.False(t, f.runs[0].Adopt, "a run that is not a reset starts its task")
	assert.Equal(t, 1, f.calls().start, "one task, one wait")
}

func TestRunECSTaskFailedToStart(t *testing.T) {
	f := newFakes()
	f.stopped.StopCode, f.stopped.StoppedReason, f.stopped.ExitCode = "TaskFailedToStart", "CannotPullContainerError", -1
	f.startErr = temporal.NewNonRetryableApplicationError(
		"CannotPullContainerError: pull image manifest has been retried 5 time(s)", "TaskFailedToStart", nil, f.stopped)
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, "TaskFailedToStart", app.Type(), "the stopCode is the failure type")
	assert.True(t, app.NonRetryable())
	assert.Contains(t, app.Error(), "CannotPullContainerError")
	var res activities.TaskResult
	require.NoError(t, app.Details(&res), "the task's result is carried up")
	assert.Equal(t, "TaskFailedToStart", res.StopCode)
	assert.Equal(t, -1, res.ExitCode)
	c := f.calls()
	assert.Equal(t, 1, c.stop, "a stopped task is stopped again, harmlessly: no task outlives its workflow")
	assert.Equal(t, 1, c.deregister)
	st := queryStatus(t, env)
	assert.Equal(t, PhaseFailed, st.Phase)
	assert.Equal(t, "TaskFailedToStart", st.StopCode)
}

// WaitForTaskStart returns TaskStartTimeout only once it has stopped the
// task: the workflow does not stop it again, but still waits (bounded)
// until it is STOPPED, for its result and any output.
func TestRunECSTaskStartTimeout(t *testing.T) {
	f := newFakes()
	f.startErr = temporal.NewNonRetryableApplicationError("task not RUNNING after 300s; it was stopped", activities.ErrTaskStartTimeout, nil)
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, activities.ErrTaskStartTimeout, app.Type())
	assert.True(t, app.NonRetryable())
	c := f.calls()
	assert.Zero(t, c.stop, "the start wait has stopped the task")
	assert.Equal(t, 1, c.finish, "a bounded wait until STOPPED")
	assert.True(t, f.finishWaits[0].StreamOutput, "nothing was streamed yet")
	assert.Equal(t, 1, c.deregister)
	st := queryStatus(t, env)
	assert.Equal(t, PhaseFailed, st.Phase)
	assert.Equal(t, "STOPPED", st.LastStatus)
}

// When the start wait could not stop the task itself, its error is another
// (retried until the wait is out of time): the workflow stops the task.
func TestRunECSTaskStartTimeoutWhenTheWaitCouldNotStopTheTask(t *testing.T) {
	f := newFakes()
	f.startErr = errors.New("ECS task did not start within 5m0s, and stopping it failed: ThrottlingException")
	env := newEnv(t, f)
	execute(t, env)

	appError(t, env)
	c := f.calls()
	assert.Greater(t, c.start, 1)
	assert.Equal(t, 1, c.stop, "the workflow stops the task")
	assert.Equal(t, "workflow failed", f.stops[0].Reason)
	assert.Equal(t, 1, c.finish)
}

// Executions past the start wait before changeStartTimeoutStopped stop the
// task again, as they did.
func TestRunECSTaskStartTimeoutBeforeTheChange(t *testing.T) {
	f := newFakes()
	f.startErr = temporal.NewNonRetryableApplicationError("task not RUNNING after 300s; it was stopped", activities.ErrTaskStartTimeout, nil)
	env := newEnv(t, f)
	env.OnGetVersion(changeStartTimeoutStopped, workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	execute(t, env)

	assert.Equal(t, activities.ErrTaskStartTimeout, appError(t, env).Type())
	assert.Equal(t, 1, f.calls().stop)
	assert.Equal(t, 1, f.calls().finish)
}

// A wait that keeps failing with retryable errors gives up at its
// ScheduleToClose (the test environment reports the last failure; a real
// server also marks it out of time: see TestStepError) and the task is
// stopped.
func TestRunECSTaskStartWaitGivesUp(t *testing.T) {
	f := newFakes()
	f.startErr = errors.New("DescribeTasks: connection refused")
	env := newEnv(t, f)
	execute(t, env)

	assert.Contains(t, appError(t, env).Error(), "connection refused")
	c := f.calls()
	assert.Greater(t, c.start, 1, "retried until its ScheduleToClose")
	assert.Equal(t, 1, c.stop)
	assert.Equal(t, PhaseFailed, queryStatus(t, env).Phase)
}

func TestRunECSTaskNonZeroExit(t *testing.T) {
	f := newFakes()
	three := 3
	f.finished.ExitCode = 3
	f.finished.Containers[0].ExitCode = &three
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, ErrTaskExitedNonZero, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Contains(t, app.Error(), "exited with code 3")
	var res activities.TaskResult
	require.NoError(t, app.Details(&res))
	assert.Equal(t, 3, res.ExitCode)
	assert.Equal(t, testTaskArn, res.TaskArn)
	c := f.calls()
	assert.Zero(t, c.stop, "the task stopped by itself")
	assert.Equal(t, 1, c.deregister)
	st := queryStatus(t, env)
	assert.Equal(t, PhaseFailed, st.Phase)
	require.NotNil(t, st.ExitCode)
	assert.Equal(t, 3, *st.ExitCode)
}

func TestRunECSTaskNoExitCode(t *testing.T) {
	f := newFakes()
	f.finished.ExitCode = -1
	env := newEnv(t, f)
	execute(t, env)

	app := appError(t, env)
	assert.Equal(t, ErrTaskExitedNonZero, app.Type())
	assert.Contains(t, app.Error(), "without an exit code")
}

func TestRunECSTaskAllowNonZeroExit(t *testing.T) {
	f := newFakes()
	f.prepared.AllowNonZeroExit = true
	f.finished.ExitCode = 3
	env := newEnv(t, f)
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	var res activities.TaskResult
	require.NoError(t, env.GetWorkflowResult(&res))
	assert.Equal(t, 3, res.ExitCode)
	assert.Equal(t, PhaseCompleted, queryStatus(t, env).Phase)
}

func TestRunECSTaskFinishedWhileWaitingForStart(t *testing.T) {
	for name, code := range map[string]int{"exit 0": 0, "exit 7": 7} {
		t.Run(name, func(t *testing.T) {
			f := newFakes()
			done := f.finished
			done.ExitCode = code
			f.started = activities.WaitForStartResult{LastStatus: "STOPPED", Finished: &done}
			env := newEnv(t, f)
			execute(t, env)

			c := f.calls()
			assert.True(t, f.startWaits[0].StreamOutput, "the start wait streams the output, since no finish wait follows")
			assert.Zero(t, c.finish, "no wait for a task that already finished")
			assert.Zero(t, c.stop)
			assert.Equal(t, 1, c.deregister)
			if code == 0 {
				require.NoError(t, env.GetWorkflowError())
				var res activities.TaskResult
				require.NoError(t, env.GetWorkflowResult(&res))
				assert.Equal(t, testTaskArn, res.TaskArn)
				return
			}
			assert.Equal(t, ErrTaskExitedNonZero, appError(t, env).Type())
		})
	}
}

// A failure after RunTask stops the task: here the watch loses the task.
func TestRunECSTaskFailureAfterRunTaskStopsTheTask(t *testing.T) {
	f := newFakes()
	f.finishErr = temporal.NewNonRetryableApplicationError("task no longer described by ECS", activities.ErrTaskNotFound, nil)
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, activities.ErrTaskNotFound, appError(t, env).Type())
	c := f.calls()
	assert.Equal(t, 1, c.stop)
	assert.Equal(t, activities.StopInput{Region: "eu-west-1", Cluster: "jobs", Identifier: "jobs::" + testTaskArn,
		Reason: "workflow failed", Owner: f.runs[0].Owner}, f.stops[0])
	assert.Equal(t, 2, c.finish, "a bounded wait until STOPPED follows StopTask")
	assert.False(t, f.finishWaits[1].StreamOutput, "lines already streamed are not streamed again")
	assert.Equal(t, 1, c.deregister)
	assert.Equal(t, PhaseFailed, queryStatus(t, env).Phase)
}
