package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

const (
	testTaskDefArn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/temporal-ecs:7"
	testTaskArn    = "arn:aws:ecs:eu-west-1:123456789012:task/jobs/0f1e2d3c4b5a"
	testClusterArn = "arn:aws:ecs:eu-west-1:123456789012:cluster/jobs"
)

var testJob = json.RawMessage(`{"image":"alpine:3.20","cluster":"jobs","command":"echo hi","streamOutput":true}`)

// fakes scripts the activities of one workflow run and records their
// inputs. Each behaviour is a result or an error and a duration (on the test
// environment's clock) the activity takes.
type fakes struct {
	prepared   job.Prepared
	prepareErr error
	prepareIn  time.Duration

	registered  activities.RegisterResult
	registerErr error
	registerIn  time.Duration
	// reregistered, when set, is what the calls after the first return.
	reregistered *activities.RegisterResult

	ref     activities.TaskRef
	runErrs []error // returned by the first attempts, in order
	runIn   time.Duration

	started  activities.WaitForStartResult
	startErr error
	startIn  time.Duration
	// startedAfterStop is what WaitForTaskStart returns when StopTask was
	// called while it waited; nil: the error of a task stopped before it
	// ran (type UserInitiated, with stoppedBeforeRun as details).
	startedAfterStop *activities.WaitForStartResult
	stoppedBeforeRun activities.TaskResult

	finished activities.TaskResult
	// finishes, when set, are what the first WaitForTaskFinish calls
	// return, in order; finished follows.
	finishes  []activities.TaskResult
	finishErr error
	finishIn  time.Duration
	// stoppedIn is how long WaitForTaskFinish takes once StopTask was
	// called (the wait that follows a stop).
	stoppedIn  time.Duration
	stopped    activities.TaskResult
	stoppedErr error // fails the wait after StopTask instead

	stopErr       error
	deregisterErr error

	// orphans are the ARNs StopTasksStartedBy returns, or orphansErr fails it.
	orphans    []string
	orphansErr error

	mu          sync.Mutex
	prepares    []activities.PrepareInput
	registers   []*job.Prepared
	runs        []activities.RunTaskInput
	startWaits  []activities.WaitInput
	finishWaits []activities.WaitInput
	stops       []activities.StopInput
	deregisters []activities.DeregisterInput
	orphanStops []activities.StopStartedByInput
	// runsAtOrphanStops is how many RunTask calls preceded each of them.
	runsAtOrphanStops []int
	cancelled         []string // activity types, as the workflow cancelled them
	// queues is the task queue each activity type was scheduled on, last.
	queues map[string]string
}

// newFakes returns the fakes of a job that registers a definition, runs a
// task that starts after 30s and exits 0 after 10 minutes.
func newFakes() *fakes {
	zero := 0
	result := activities.TaskResult{
		Identifier:        "jobs::" + testTaskArn,
		TaskArn:           testTaskArn,
		ClusterArn:        testClusterArn,
		TaskDefinitionArn: testTaskDefArn,
		LastStatus:        "STOPPED",
		ExitCode:          0,
		StopCode:          "EssentialContainerExited",
		StoppedReason:     "Essential container in task exited",
		Containers:        []activities.ContainerResult{{Name: "main", ExitCode: &zero}},
		LogGroup:          "temporal-ecs",
		LogStream:         "temporal-ecs/main/0f1e2d3c4b5a",
	}
	stopped := result
	stopped.ExitCode, stopped.StopCode, stopped.StoppedReason = 143, "UserInitiated", "workflow cancelled"
	stoppedBeforeRun := stopped
	stoppedBeforeRun.ExitCode, stoppedBeforeRun.Containers = -1, []activities.ContainerResult{{Name: "main"}}
	return &fakes{
		prepared: job.Prepared{
			Region:              "eu-west-1",
			Cluster:             "jobs",
			ContainerName:       "main",
			TaskDefinition:      map[string]any{"family": "temporal-ecs"},
			RunRequest:          map[string]any{"cluster": "jobs"},
			Image:               "alpine:3.20",
			StartTimeoutSeconds: 300,
			PollIntervalSeconds: 5,
			StreamOutput:        true,
			AutoDeregister:      true,
		},
		registered: activities.RegisterResult{TaskDefinitionArn: testTaskDefArn, Registered: true},
		ref: activities.TaskRef{
			Region:            "eu-west-1",
			Cluster:           "jobs",
			ClusterArn:        testClusterArn,
			TaskArn:           testTaskArn,
			Identifier:        "jobs::" + testTaskArn,
			TaskDefinitionArn: testTaskDefArn,
			ContainerName:     "main",
			LastStatus:        "PROVISIONING",
			LogGroup:          "temporal-ecs",
			LogStream:         "temporal-ecs/main/0f1e2d3c4b5a",
			LogRegion:         "eu-west-1",
		},
		startIn:          30 * time.Second,
		started:          activities.WaitForStartResult{LastStatus: "RUNNING"},
		finishIn:         10 * time.Minute,
		finished:         result,
		stoppedIn:        20 * time.Second,
		stopped:          stopped,
		stoppedBeforeRun: stoppedBeforeRun,
	}
}

func (f *fakes) install(env *testsuite.TestWorkflowEnvironment) {
	var a *activities.Activities
	env.SetOnActivityCanceledListener(func(info *activity.Info) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.cancelled = append(f.cancelled, info.ActivityType.Name)
	})
	env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		f.mu.Lock()
		defer f.mu.Unlock()
		if f.queues == nil {
			f.queues = map[string]string{}
		}
		f.queues[info.ActivityType.Name] = info.TaskQueue
	})
	env.OnActivity(a.PrepareTaskDefinition, mock.Anything, mock.Anything).After(f.prepareIn).Return(
		func(_ context.Context, in activities.PrepareInput) (*job.Prepared, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.prepares = append(f.prepares, in)
			if f.prepareErr != nil {
				return nil, f.prepareErr
			}
			p := f.prepared
			return &p, nil
		})
	env.OnActivity(a.GetOrRegisterTaskDefinition, mock.Anything, mock.Anything).After(f.registerIn).Return(
		func(_ context.Context, p *job.Prepared) (*activities.RegisterResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.registers = append(f.registers, p)
			if f.registerErr != nil {
				return nil, f.registerErr
			}
			r := f.registered
			if len(f.registers) > 1 && f.reregistered != nil {
				r = *f.reregistered
			}
			return &r, nil
		})
	env.OnActivity(a.RunTask, mock.Anything, mock.Anything).After(f.runIn).Return(
		func(_ context.Context, in activities.RunTaskInput) (*activities.TaskRef, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.runs = append(f.runs, in)
			if n := len(f.runs); n <= len(f.runErrs) {
				return nil, f.runErrs[n-1]
			}
			ref := f.ref
			ref.TaskDefinitionArn = in.TaskDefinitionArn
			ref.Owner = in.Owner
			return &ref, nil
		})
	env.OnActivity(a.WaitForTaskStart, mock.Anything, mock.Anything).After(f.startIn).Return(
		func(_ context.Context, in activities.WaitInput) (*activities.WaitForStartResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.startWaits = append(f.startWaits, in)
			if len(f.stops) > 0 {
				if f.startedAfterStop != nil {
					r := *f.startedAfterStop
					return &r, nil
				}
				return nil, temporal.NewNonRetryableApplicationError("Task stopped by user", "UserInitiated", nil, f.stoppedBeforeRun)
			}
			if f.startErr != nil {
				return nil, f.startErr
			}
			r := f.started
			return &r, nil
		})
	// The first WaitForTaskFinish takes finishIn, one scheduled after
	// StopTask stoppedIn.
	env.OnActivity(a.WaitForTaskFinish, mock.Anything, mock.Anything).AfterFn(func() time.Duration {
		f.mu.Lock()
		defer f.mu.Unlock()
		if len(f.stops) > 0 {
			return f.stoppedIn
		}
		return f.finishIn
	}).Return(
		func(_ context.Context, in activities.WaitInput) (*activities.TaskResult, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.finishWaits = append(f.finishWaits, in)
			if len(f.stops) > 0 {
				if f.stoppedErr != nil {
					return nil, f.stoppedErr
				}
				r := f.stopped
				return &r, nil
			}
			if f.finishErr != nil {
				return nil, f.finishErr
			}
			r := f.finished
			if n := len(f.finishWaits); n <= len(f.finishes) {
				r = f.finishes[n-1]
			}
			return &r, nil
		})
	env.OnActivity(a.StopTask, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StopInput) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.stops = append(f.stops, in)
			return f.stopErr
		})
	env.OnActivity(a.StopTasksStartedBy, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.StopStartedByInput) ([]string, error) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.orphanStops = append(f.orphanStops, in)
			f.runsAtOrphanStops = append(f.runsAtOrphanStops, len(f.runs))
			if f.orphansErr != nil {
				return nil, f.orphansErr
			}
			return f.orphans, nil
		})
	env.OnActivity(a.DeregisterTaskDefinition, mock.Anything, mock.Anything).Return(
		func(_ context.Context, in activities.DeregisterInput) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.deregisters = append(f.deregisters, in)
			return f.deregisterErr
		})
}

// calls counts the calls of each activity.
type calls struct{ prepare, register, run, start, finish, stop, stopOrphans, deregister int }

func (f *fakes) calls() calls {
	f.mu.Lock()
	defer f.mu.Unlock()
	return calls{len(f.prepares), len(f.registers), len(f.runs), len(f.startWaits), len(f.finishWaits), len(f.stops),
		len(f.orphanStops), len(f.deregisters)}
}

// newEnv returns a test environment with the workflow and activities
// registered through Register and the fakes installed.
func newEnv(t *testing.T, f *fakes) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	// Logs go to the test's output: shown for failures and with -v.
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))))
	env := s.NewTestWorkflowEnvironment()
	Register(env, &activities.Activities{})
	f.install(env)
	return env
}

// execute runs the workflow to its end.
func execute(t *testing.T, env *testsuite.TestWorkflowEnvironment) {
	t.Helper()
	env.ExecuteWorkflow(WorkflowName, testJob)
	require.True(t, env.IsWorkflowCompleted())
}

// appError returns the outermost application error of the workflow's failure.
func appError(t *testing.T, env *testsuite.TestWorkflowEnvironment) *temporal.ApplicationError {
	t.Helper()
	err := env.GetWorkflowError()
	require.Error(t, err)
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "not an application error: %v", err)
	return app
}

// queryStatus runs the status query.
func queryStatus(t *testing.T, env *testsuite.TestWorkflowEnvironment) Status {
	t.Helper()
	v, err := env.QueryWorkflow(StatusQuery)
	require.NoError(t, err)
	var st Status
	require.NoError(t, v.Get(&st))
	return st
}
