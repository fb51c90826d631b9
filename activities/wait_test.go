package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/time/rate"
)

const fastPoll = 0.002 // seconds

func testRef(arn string) TaskRef {
	return TaskRef{
		Region: testRegion, Cluster: "jobs", ClusterArn: testCluster, TaskArn: arn,
		Identifier: FormatIdentifier("jobs", arn), ContainerName: "main",
	}
}

// afterPolls runs fn in the background once the watcher has described
// tasks n more times.
func afterPolls(t *testing.T, f *fakeECS, n int, fn func()) {
	afterCalls(t, func() int {
		_, _, calls := f.snapshot()
		return calls
	}, n, "the watcher never polled", fn)
}

// afterCalls runs fn in the background once calls has grown by n, or fails
// t with failure if it has not within 10 seconds.
func afterCalls(t *testing.T, calls func() int, n int, failure string, fn func()) {
	start := calls()
	go func() {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			if calls() >= start+n {
				fn()
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Error(failure)
	}()
}

func TestWaitForTaskStartReturnsOnceRunning(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING")
	afterPolls(t, w.ecs, 2, func() { w.ecs.update(arn, func(t *types.Task) { t.LastStatus = aws.String("RUNNING") }) })

	var res WaitForStartResult
	err := newTestEnv(t, a).run(&res, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})

	require.NoError(t, err)
	assert.Equal(t, "RUNNING", res.LastStatus)
	assert.Nil(t, res.Finished)
}

func TestWaitForTaskStartReportsATaskThatRanBetweenPollsAsFinished(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING", "main", "sidecar")
	w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", map[string]int32{"main": 3, "sidecar": 0})

	var res WaitForStartResult
	err := newTestEnv(t, a).run(&res, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})

	require.NoError(t, err)
	require.NotNil(t, res.Finished)
	assert.Equal(t, 3, res.Finished.ExitCode)
	assert.Equal(t, "EssentialContainerExited", res.Finished.StopCode)
	assert.Len(t, res.Finished.Containers, 2)
	assert.Equal(t, testRef(arn).Identifier, res.Finished.Identifier)
}

func TestWaitForTaskStartFailsWithTheStopCodeOfATaskThatNeverRan(t *testing.T) {
	for _, tc := range []struct {
		name     string
		code     types.TaskStopCode
		reason   string
		wantType string
		wantMsg  string
	}{
		{"stop code", types.TaskStopCodeTaskFailedToStart, "CannotPullContainerError: image not found", "TaskFailedToStart", "CannotPullContainerError: image not found"},
		{"no stop code", "", "stopped", ErrTaskFailedToStart, "stopped"},
		{"other code", types.TaskStopCodeEssentialContainerExited, "Essential container exited", "EssentialContainerExited", "Essential container exited"},
		{"logs permissions", types.TaskStopCodeTaskFailedToStart,
			"ResourceInitializationError: failed to validate logger args: create stream has been retried 1 times: AccessDeniedException: not authorized",
			"TaskFailedToStart", "logs:CreateLogStream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			a := newTestActivities(t, w)
			arn := w.ecs.addTask("PENDING")
			w.ecs.stop(arn, tc.code, tc.reason, nil)

			err := newTestEnv(t, a).run(nil, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})

			appErr := requireAppError(t, err, tc.wantType, true)
			assert.Contains(t, appErr.Error(), tc.wantMsg)
			var details TaskResult
			require.NoError(t, appErr.Details(&details))
			assert.Equal(t, -1, details.ExitCode)
		})
	}
}

// waitPastStartDeadline runs WaitForTaskStart on the task arn as a retried
// attempt whose heartbeat is progress with a start deadline an hour past
// (a 30s start timeout, a 60s poll interval), decoding its result into out.
func waitPastStartDeadline(t *testing.T, a *Activities, arn string, progress startProgress, out any) error {
	t.Helper()
	env := newTestEnv(t, a)
	progress.WaitingSince = time.Now().Add(-time.Hour)
	env.SetHeartbeatDetails(progress)
	return env.run(out, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: 60, StartTimeoutSeconds: 30})
}

func TestWaitForTaskStartTimeoutStopsTheTask(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING")
	// A retried attempt keeps the first attempt's deadline, long past.
	err := waitPastStartDeadline(t, a, arn, startProgress{}, nil)

	requireAppError(t, err, ErrTaskStartTimeout, true)
	w.ecs.mu.Lock()
	defer w.ecs.mu.Unlock()
	assert.Contains(t, w.ecs.stopped[arn], "timeout")
}

func TestWaitForTaskStartTimeoutWhoseStopFailsIsRetried(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING")
	w.ecs.stopErr = errors.New("ecs unavailable")
	err := waitPastStartDeadline(t, a, arn, startProgress{}, nil)

	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.False(t, appErr.NonRetryable(), "the retry stops the task")
}

func TestWaitForTaskStartTimeoutWhoseStopFailsHasTheStopErrorType(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING")
	w.ecs.stopErr = &types.ServerException{Message: aws.String("internal error")}
	err := waitPastStartDeadline(t, a, arn, startProgress{}, nil)

	appErr := requireAppError(t, err, "ServerException", false)
	assert.Contains(t, appErr.Error(), "did not start within 30s, and stopping it failed")
}

func TestWaitForTaskStartToleratesAFewMissingPolls(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	w.ecs.missing[arn] = pollTolerance

	var res WaitForStartResult
	err := newTestEnv(t, a).run(&res, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})

	require.NoError(t, err)
	assert.Equal(t, "RUNNING", res.LastStatus)
}

func TestWaitForTaskStartGivesUpOnATaskECSDoesNotKnow(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.WaitForTaskStart,
		WaitInput{Task: testRef("arn:aws:ecs:us-east-1:123456789012:task/jobs/gone"), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})
	requireAppError(t, err, ErrTaskNotFound, true)
}

func TestWaitForTaskStartClusterNotFound(t *testing.T) {
	w := newFakeWorld()
	w.ecs.describeTasksErr = &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.WaitForTaskStart,
		WaitInput{Task: testRef(w.ecs.addTask("PENDING")), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})
	requireAppError(t, err, ErrClusterNotFound, true)
}

func TestWaitForTaskFinishStreamsEveryLineAndReturnsTheResult(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING", "main", "sidecar")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "temporal-ecs", "temporal-ecs/main/"+taskID(arn)
	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "one", "two", "three", "four")
	afterLogReads(t, w.logs, 1, func() {
		// Written just before the task stops: read by the final drain.
		w.logs.write(ref.LogGroup, ref.LogStream, 2000, "five", "six", "seven")
		w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", map[string]int32{"main": 0, "sidecar": 137})
	})
	env := newTestEnv(t, a)

	var res TaskResult
	err := env.run(&res, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true, WorkflowID: "wf-1"})

	require.NoError(t, err)
	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, "STOPPED", res.LastStatus)
	assert.Equal(t, ref.LogStream, res.LogStream)
	require.Len(t, res.Containers, 2)
	assert.Equal(t, 137, *res.Containers[1].ExitCode)
	assert.Equal(t, []string{"one", "two", "three", "four", "five", "six", "seven"}, env.logs.messagesWith("taskId"))
	line := env.logs.find("seven")[0]
	assert.Equal(t, "wf-1", line.Attrs["workflowId"])
	assert.Equal(t, taskID(arn), line.Attrs["taskId"])
	assert.Equal(t, "main", line.Attrs["container"])
}

// afterLogReads runs fn in the background once GetLogEvents was called n
// more times.
func afterLogReads(t *testing.T, f *fakeLogs, n int, fn func()) {
	afterCalls(t, func() int {
		f.mu.Lock()
		defer f.mu.Unlock()
		return f.calls
	}, n, "the logs were never read", fn)
}

func TestWaitForTaskFinishWithoutAwslogsWarnsAndGoesOn(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 2})
	env := newTestEnv(t, a)

	var res TaskResult
	err := env.run(&res, a.WaitForTaskFinish, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StreamOutput: true})

	require.NoError(t, err)
	assert.Equal(t, 2, res.ExitCode)
	assert.NotEmpty(t, env.logs.find("no awslogs"))
}

func TestWaitForTaskFinishExitCodeIsMinusOneWhenECSReportsNone(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	w.ecs.stop(arn, types.TaskStopCodeTaskFailedToStart, "failed", nil)

	var res TaskResult
	err := newTestEnv(t, a).run(&res, a.WaitForTaskFinish, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll})

	require.NoError(t, err)
	assert.Equal(t, -1, res.ExitCode)
	assert.Equal(t, "TaskFailedToStart", res.StopCode)
}

func TestWaitForTaskFinishRetriedAttemptRepeatsAndSkipsNoLine(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "1", "2", "3", "4")
	// The first attempt reads the logs, then fails: ECS stops answering.
	w.ecs.describeTasksErr = errors.New("ecs unavailable")
	first := newTestEnv(t, a)
	hb := recordHeartbeats[finishProgress](t, first)
	in := WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true}
	err := first.run(nil, a.WaitForTaskFinish, in)
	require.Error(t, err)

	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "5")
	w.logs.write(ref.LogGroup, ref.LogStream, 2000, "6", "7")
	w.ecs.mu.Lock()
	w.ecs.describeTasksErr = nil
	w.ecs.mu.Unlock()
	w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
	second := newTestEnv(t, a)
	last := hb.lastDetails()
	require.Equal(t, arn, last.TaskArn)
	require.NotNil(t, last.LogCursor)
	second.SetHeartbeatDetails(last)
	err = second.run(nil, a.WaitForTaskFinish, in)
	require.NoError(t, err)

	assert.Equal(t, []string{"1", "2", "3", "4"}, first.logs.messagesWith("taskId"))
	assert.Equal(t, []string{"5", "6", "7"}, second.logs.messagesWith("taskId"))
}

func TestWaitForTaskFinishHonoursCancellation(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := a.WaitForTaskFinish(ctx, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll})
		done <- err
	}()
	afterPolls(t, w.ecs, 2, cancel)
	select {
	case err := <-done:
		assert.ErrorIs(t, err, context.Canceled)
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForTaskFinish ignored the cancellation")
	}
}

func TestWaitFailsWhenTheWorkerStops(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	done := make(chan error, 1)
	go func() {
		_, err := a.WaitForTaskFinish(context.Background(), WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll})
		done <- err
	}()
	afterPolls(t, w.ecs, 1, a.Close)
	select {
	case err := <-done:
		assert.ErrorIs(t, err, errWatcherClosed)
	case <-time.After(10 * time.Second):
		t.Fatal("WaitForTaskFinish did not end with the watcher")
	}
}

func TestLogReadsShareTheWorkersRateLimit(t *testing.T) {
	w := newFakeWorld()
	// One call allowed, then practically none.
	a := newTestActivities(t, w, func(o *Options) { o.LogEventsPerSecond, o.LogEventsBurst = 1e-9, 1 })
	for range 2 {
		arn := w.ecs.addTask("RUNNING")
		ref := testRef(arn)
		ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
		w.logs.write(ref.LogGroup, ref.LogStream, 1, "line")
		w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
		env := newTestEnv(t, a)
		var res TaskResult
		require.NoError(t, env.run(&res, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true}),
			"failing to read logs does not fail the job")
	}
	w.logs.mu.Lock()
	defer w.logs.mu.Unlock()
	assert.Equal(t, 1, w.logs.calls, "both activities drew on one limiter")
}

func TestWaitForTaskStartTakesALastLookBeforeStoppingAtTheDeadline(t *testing.T) {
	for _, tc := range []struct {
		name     string
		setup    func(w *fakeWorld, arn string)
		finished bool
	}{
		{"started just before", func(w *fakeWorld, arn string) {
			w.ecs.update(arn, func(t *types.Task) { t.LastStatus = aws.String("RUNNING") })
		}, false},
		{"ran and stopped just before", func(w *fakeWorld, arn string) {
			w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", map[string]int32{"main": 4})
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			a := newTestActivities(t, w)
			arn := w.ecs.addTask("PENDING")
			tc.setup(w, arn)
			// The deadline has passed: the last look is all that is left.
			var res WaitForStartResult
			err := waitPastStartDeadline(t, a, arn, startProgress{LastStatus: "PENDING"}, &res)

			require.NoError(t, err)
			if tc.finished {
				require.NotNil(t, res.Finished)
				assert.Equal(t, 4, res.Finished.ExitCode)
			} else {
				assert.Equal(t, "RUNNING", res.LastStatus)
				assert.Nil(t, res.Finished)
			}
			w.ecs.mu.Lock()
			defer w.ecs.mu.Unlock()
			assert.Empty(t, w.ecs.stopped, "a task that started is not stopped")
		})
	}
}

func TestWaitForTaskStartStopsTheTaskWhenTheLastLookFails(t *testing.T) {
	w := newFakeWorld()
	w.ecs.describeTasksErr = errors.New("ecs unavailable")
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	err := waitPastStartDeadline(t, a, arn, startProgress{}, nil)

	requireAppError(t, err, ErrTaskStartTimeout, true)
	w.ecs.mu.Lock()
	defer w.ecs.mu.Unlock()
	assert.Contains(t, w.ecs.stopped, arn)
}

// manyLines writes n lines to the stream and returns them.
func manyLines(f *fakeLogs, group, stream string, n int) []string {
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	f.write(group, stream, 1000, lines...)
	return lines
}

// exitedWithLinesOnePerPage adds a task last seen in status, writes n lines
// to its log stream, served one a page, and has its main container exit 0.
// It returns the task, with its log stream, and the lines.
func exitedWithLinesOnePerPage(w *fakeWorld, status string, n int) (TaskRef, []string) {
	w.logs.pageSize = 1
	arn := w.ecs.addTask(status)
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
	lines := manyLines(w.logs, ref.LogGroup, ref.LogStream, n)
	w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
	return ref, lines
}

func TestWaitForTaskFinishDrainsEveryLineLeftAfterTheTaskStopped(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w, func(o *Options) { o.LogEventsPerSecond = 1e6 })
	// More pages than any bounded number of reads would fetch.
	ref, lines := exitedWithLinesOnePerPage(w, "RUNNING", 3*maxLogPages)
	env := newTestEnv(t, a)

	require.NoError(t, env.run(nil, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true}))

	assert.Equal(t, lines, env.logs.messagesWith("taskId"))
}

func TestWaitForTaskStartDrainsTheOutputOfATaskThatRanBetweenPolls(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w, func(o *Options) { o.LogEventsPerSecond = 1e6 })
	ref, lines := exitedWithLinesOnePerPage(w, "PENDING", 2*maxLogPages)
	env := newTestEnv(t, a)

	var res WaitForStartResult
	require.NoError(t, env.run(&res, a.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60, StreamOutput: true}))

	require.NotNil(t, res.Finished)
	assert.Equal(t, lines, env.logs.messagesWith("taskId"))
}

func TestWaitForTaskFinishPollsOnWhileTheLogLimiterIsBusy(t *testing.T) {
	w := newFakeWorld()
	logs := newLogCapture()
	// The worker's log limiter has no token for a minute: far more than a
	// poll, less than the activity's deadline.
	a := newTestActivities(t, w, func(o *Options) {
		o.LogEventsPerSecond, o.LogEventsBurst = 1.0/60, 1
		o.Logger = slog.New(logs)
	})
	require.True(t, a.logLimit.Allow())
	arn := w.ecs.addTask("RUNNING")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "one", "two")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := a.WaitForTaskFinish(ctx, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true})
		done <- err
	}()
	// A few polls later the limiter frees up and the task ends: a poll
	// that waited for the limiter's minute would still be waiting.
	afterPolls(t, w.ecs, 3, func() {
		a.logLimit.SetLimit(rate.Inf)
		w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
	})

	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("a poll waited for the log limiter longer than the poll interval")
	}
	assert.Equal(t, []string{"one", "two"}, logs.messagesWith("taskId"), "the lines are read once the limiter allows")
}

func TestWaitForTaskStartRecordsItsDeadlineBeforeTheFirstPoll(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING")
	a.Close() // the attempt ends before any poll
	env := newTestEnv(t, a)
	hb := recordHeartbeats[startProgress](t, env)

	err := env.run(nil, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})

	requireAppError(t, err, "WorkerStopping", false)
	assert.False(t, hb.lastDetails().WaitingSince.IsZero(), "a retried attempt keeps this attempt's deadline")
}

func TestWaitForTaskStartRetriedAttemptResumesTheOutputOfATaskThatRan(t *testing.T) {
	w := newFakeWorld()
	w.logs.pageSize = 2
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("PENDING")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "1", "2", "3", "4")
	w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
	// A previous attempt saw the task ran between two polls, wrote its
	// first page of output ("1", "2") and heartbeated its position, then
	// its worker died.
	tl := NewLogTailer(w.logs, ref.LogGroup, ref.LogStream, LogTailerOptions{})
	events, _, err := tl.page(context.Background(), &readState{})
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, messages(events))
	cursor := tl.Cursor()

	env := newTestEnv(t, a)
	env.SetHeartbeatDetails(startProgress{LastStatus: "PENDING", WaitingSince: time.Now(), LogCursor: &cursor})
	var res WaitForStartResult
	require.NoError(t, env.run(&res, a.WaitForTaskStart,
		WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60, StreamOutput: true}))

	require.NotNil(t, res.Finished)
	assert.Equal(t, []string{"3", "4"}, env.logs.messagesWith("taskId"), "no line repeated, none skipped")
}
