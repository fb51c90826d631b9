package activities

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// Errors of DescribeTasks that retrying cannot fix, by their code.
var persistentDescribeErrors = map[string]error{
	"AccessDeniedException": &types.AccessDeniedException{Message: aws.String(
		"User: arn:aws:sts::123456789012:assumed-role/worker/w is not authorized to perform: ecs:DescribeTasks")},
	"UnrecognizedClientException": &smithy.GenericAPIError{Code: "UnrecognizedClientException",
		Message: "The security token included in the request is invalid."},
	"ExpiredTokenException": &smithy.GenericAPIError{Code: "ExpiredTokenException",
		Message: "The security token included in the request is expired"},
	"ClientException": &types.ClientException{Message: aws.String(
		"User: arn:aws:sts::123456789012:assumed-role/worker/w is not authorized to perform: ecs:DescribeTasks on resource: *")},
}

// transientDescribeErrors are errors of DescribeTasks that retrying may fix, and
// any error not classified as persistent.
var transientDescribeErrors = map[string]error{
	"throttling":            &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
	"server":                &types.ServerException{Message: aws.String("internal error")},
	"network":               errors.New("dial tcp: i/o timeout"),
	"other ClientException": &types.ClientException{Message: aws.String("something else went wrong")},
}

var deniedDescribe = persistentDescribeErrors["AccessDeniedException"]

// waitCase runs one of the two bothWaits on a task.
type waitCase struct {
	name string
	// status is the task's status while the wait bothWaits.
	status string
	run    func(env *testEnv, a *Activities, ref TaskRef) error
	// heartbeat is the wait's heartbeat with a run of persistent failures.
	heartbeat func(arn string, failing persistentFailure) any
	// failing records env's heartbeats and returns the run of the last
	// one. An attempt that fails flushes its last heartbeat; one that
	// succeeds may leave it unsent (the SDK throttles heartbeats).
	failing func(t *testing.T, env *testEnv) func() persistentFailure
}

var bothWaits = []waitCase{
	{
		name: "start", status: "PENDING",
		run: func(env *testEnv, a *Activities, ref TaskRef) error {
			return env.run(nil, a.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})
		},
		heartbeat: func(_ string, failing persistentFailure) any {
			return startProgress{LastStatus: "PENDING", WaitingSince: time.Now(), Failing: failing}
		},
		failing: func(t *testing.T, env *testEnv) func() persistentFailure {
			hb := recordHeartbeats[startProgress](t, env)
			return func() persistentFailure { return hb.lastDetails().Failing }
		},
	},
	{
		name: "finish", status: "RUNNING",
		run: func(env *testEnv, a *Activities, ref TaskRef) error {
			return env.run(nil, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll})
		},
		heartbeat: func(arn string, failing persistentFailure) any {
			return finishProgress{TaskArn: arn, LastStatus: "RUNNING", Failing: failing}
		},
		failing: func(t *testing.T, env *testEnv) func() persistentFailure {
			hb := recordHeartbeats[finishProgress](t, env)
			return func() persistentFailure { return hb.lastDetails().Failing }
		},
	},
}

// stoppedReason returns the reason StopTask was given for arn, and whether
// it was called.
func stoppedReason(f *fakeECS, arn string) (string, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	reason, ok := f.stopped[arn]
	return reason, ok
}

func TestWaitGivesUpOnAPersistentErrorAndStopsTheTask(t *testing.T) {
	for _, wait := range bothWaits {
		for code, describeErr := range persistentDescribeErrors {
			t.Run(wait.name+"/"+code, func(t *testing.T) {
				w := newFakeWorld()
				w.ecs.describeTasksErr = describeErr
				a := newTestActivities(t, w)
				// Failing for longer than that takes two polls.
				a.opts.PersistentErrorLimit = time.Nanosecond
				arn := w.ecs.addTask(wait.status)

				err := wait.run(newTestEnv(t, a), a, testRef(arn))

				appErr := requireAppError(t, err, code, true)
				assert.Contains(t, appErr.Error(), "gave up watching ECS task "+arn)
				assert.Regexp(t, "DescribeTasks has failed with "+code+" for [0-9]", appErr.Error())
				assert.Contains(t, appErr.Error(), "the task was stopped")
				reason, stopped := stoppedReason(w.ecs, arn)
				require.True(t, stopped, "StopTask was not called")
				assert.Contains(t, reason, code)
			})
		}
	}
}

func TestWaitGivesUpOnAPersistentErrorEvenWhenTheStopFails(t *testing.T) {
	for _, wait := range bothWaits {
		t.Run(wait.name, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.describeTasksErr = deniedDescribe
			w.ecs.stopErr = &types.AccessDeniedException{Message: aws.String("not authorized to perform: ecs:StopTask")}
			a := newTestActivities(t, w)
			a.opts.PersistentErrorLimit = time.Nanosecond
			arn := w.ecs.addTask(wait.status)
			env := newTestEnv(t, a)

			err := wait.run(env, a, testRef(arn))

			appErr := requireAppError(t, err, "AccessDeniedException", true)
			assert.Contains(t, appErr.Error(), "stopping the task was attempted and failed")
			assert.Contains(t, appErr.Error(), "ecs:StopTask")
			assert.NotEmpty(t, env.logs.find("Cannot stop the ECS task the wait gives up on"))
		})
	}
}

func TestWaitNeverGivesUpOnTransientErrors(t *testing.T) {
	for _, wait := range bothWaits {
		for name, describeErr := range transientDescribeErrors {
			t.Run(wait.name+"/"+name, func(t *testing.T) {
				w := newFakeWorld()
				w.ecs.describeTasksErr = describeErr
				a := newTestActivities(t, w)
				a.opts.PersistentErrorLimit = time.Nanosecond
				arn := w.ecs.addTask(wait.status)
				env := newTestEnv(t, a)
				failing := wait.failing(t, env)

				err := wait.run(env, a, testRef(arn))

				// Today's behaviour: a retryable error once the tolerance is spent.
				require.Error(t, err)
				var appErr *temporal.ApplicationError
				require.ErrorAs(t, err, &appErr)
				assert.False(t, appErr.NonRetryable(), "error: %v", err)
				assert.NotContains(t, err.Error(), "gave up watching")
				_, stopped := stoppedReason(w.ecs, arn)
				assert.False(t, stopped, "StopTask was called")
				assert.Zero(t, failing(), "a transient error starts no run of persistent failures")
			})
		}
	}
}

func TestWaitPersistentErrorRunEndsOnlyWithASuccessfulPoll(t *testing.T) {
	failed := func(err error) taskSnapshot { return taskSnapshot{Err: sdkError("ECS", "DescribeTasks", err)} }
	denied, throttled := failed(deniedDescribe), failed(transientDescribeErrors["throttling"])
	running := taskSnapshot{Task: &types.Task{LastStatus: aws.String("RUNNING")}}
	missing := taskSnapshot{Missing: true, Reason: "MISSING"}
	for _, tc := range []struct {
		name  string
		snaps []taskSnapshot
		// givesUp is set when the last snapshot ends the wait.
		givesUp bool
	}{
		{"two failures in a row", []taskSnapshot{denied, denied}, true},
		{"a task between failures", []taskSnapshot{denied, running, denied, running, denied}, false},
		{"a missing task between failures", []taskSnapshot{denied, missing, denied, missing, denied}, false},
		{"a transient failure between failures", []taskSnapshot{denied, throttled, denied}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			a := newTestActivities(t, w)
			arn := w.ecs.addTask("RUNNING")
			// Snapshots fed one by one, as the watcher delivers them, with a
			// limit that only a failure following another exceeds.
			var run persistentFailure
			polls := &taskPolls{a: a, ref: testRef(arn), failing: &run, limit: time.Nanosecond}
			var err error
			for i, snap := range tc.snaps {
				_, err = polls.observe(context.Background(), snap)
				if i < len(tc.snaps)-1 {
					require.NoError(t, err, "snapshot %d", i)
				}
			}
			_, stopped := stoppedReason(w.ecs, arn)
			if tc.givesUp {
				requireAppError(t, err, "AccessDeniedException", true)
				assert.True(t, stopped, "StopTask was not called")
				return
			}
			require.NoError(t, err)
			assert.False(t, stopped, "StopTask was called")
			assert.False(t, run.Since.IsZero(), "the last failure starts a run")
			_, err = polls.observe(context.Background(), running)
			require.NoError(t, err)
			assert.Zero(t, run, "a successful poll ends the run")
		})
	}
}

func TestWaitKeepsThePersistentErrorRunAcrossAttempts(t *testing.T) {
	for _, wait := range bothWaits {
		t.Run(wait.name, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.describeTasksErr = deniedDescribe
			a := newTestActivities(t, w)
			arn := w.ecs.addTask(wait.status)

			// Within the limit, an attempt fails as before, retryably, with
			// the error's code as its type.
			first := newTestEnv(t, a)
			firstRun := wait.failing(t, first)
			requireAppError(t, wait.run(first, a, testRef(arn)), "AccessDeniedException", false)
			run := firstRun()
			require.False(t, run.Since.IsZero(), "the run is heartbeated")
			assert.Equal(t, "AccessDeniedException", run.Code)

			second := newTestEnv(t, a)
			second.SetHeartbeatDetails(wait.heartbeat(arn, run))
			secondRun := wait.failing(t, second)
			requireAppError(t, wait.run(second, a, testRef(arn)), "AccessDeniedException", false)
			assert.True(t, run.Since.Equal(secondRun().Since), "the retried attempt times the same run: %v, then %v", run.Since, secondRun().Since)
		})
	}
}

func TestWaitRetriedAttemptPastThePersistentErrorLimitGivesUpAtItsFirstPoll(t *testing.T) {
	for _, wait := range bothWaits {
		t.Run(wait.name, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.describeTasksErr = deniedDescribe
			a := newTestActivities(t, w) // the default limit
			arn := w.ecs.addTask(wait.status)
			env := newTestEnv(t, a)
			env.SetHeartbeatDetails(wait.heartbeat(arn, persistentFailure{
				Since: time.Now().Add(-time.Hour), Code: "AccessDeniedException"}))

			err := wait.run(env, a, testRef(arn))

			// Without the earlier attempts' hour, the tolerance would have
			// been spent first, for a retryable error.
			appErr := requireAppError(t, err, "AccessDeniedException", true)
			assert.Contains(t, appErr.Error(), "for 1h0m")
			_, stopped := stoppedReason(w.ecs, arn)
			assert.True(t, stopped, "StopTask was not called")
		})
	}
}

func TestWaitRetriedAttemptPastThePersistentErrorLimitGoesOnWhenDescribeTasksAnswers(t *testing.T) {
	for _, wait := range bothWaits {
		t.Run(wait.name, func(t *testing.T) {
			w := newFakeWorld()
			a := newTestActivities(t, w)
			arn := w.ecs.addTask(wait.status)
			w.ecs.update(arn, func(t *types.Task) { t.LastStatus = aws.String("RUNNING") })
			w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
			env := newTestEnv(t, a)
			env.SetHeartbeatDetails(wait.heartbeat(arn, persistentFailure{
				Since: time.Now().Add(-time.Hour), Code: "AccessDeniedException"}))

			require.NoError(t, wait.run(env, a, testRef(arn)))

			_, stopped := stoppedReason(w.ecs, arn)
			assert.False(t, stopped, "StopTask was called")
			assert.Len(t, env.logs.find("DescribeTasks succeeds again"), 1, "the run ended")
		})
	}
}

func TestPersistentCode(t *testing.T) {
	for code, err := range persistentDescribeErrors {
		assert.Equal(t, code, persistentCode(sdkError("ECS", "DescribeTasks", err)), "%v", err)
	}
	for _, code := range []string{"AccessDenied", "UnauthorizedOperation", "InvalidClientTokenId", "ExpiredToken"} {
		err := sdkError("STS", "AssumeRole", &smithy.GenericAPIError{Code: code})
		// As a credential provider reports it, wrapped.
		assert.Equal(t, code, persistentCode(fmt.Errorf("retrieve credentials: %w", err)))
	}
	for name, err := range transientDescribeErrors {
		assert.Empty(t, persistentCode(sdkError("ECS", "DescribeTasks", err)), name)
	}
	assert.Empty(t, persistentCode(sdkError("ECS", "DescribeTasks", &types.ClusterNotFoundException{})),
		"a ClusterNotFound fails the wait at once")
	assert.Empty(t, persistentCode(nil))
}
