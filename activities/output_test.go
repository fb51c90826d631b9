package activities

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStreamedLinesCarryTheirPositionAndTheResultSaysTheOutputIsComplete(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream, ref.LogRegion = "/ecs/jobs", "temporal-ecs/main/"+taskID(arn), "eu-west-1"
	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "a", "b", "c", "d")
	w.logs.write(ref.LogGroup, ref.LogStream, 1001, "e")
	w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
	env := newTestEnv(t, a)

	var res TaskResult
	require.NoError(t, env.run(&res, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true, WorkflowID: "wf"}))

	type pos struct {
		stream string
		ts     int64
		index  int
	}
	var got []pos
	for _, r := range env.logs.all() {
		if _, ok := r.Attrs["taskId"]; ok {
			got = append(got, pos{r.Attrs["logStream"].(string), r.Attrs["eventTimestamp"].(int64), int(r.Attrs["eventIndex"].(int64))})
		}
	}
	s := ref.LogStream
	assert.Equal(t, []pos{{s, 1000, 0}, {s, 1000, 1}, {s, 1000, 2}, {s, 1000, 3}, {s, 1001, 0}}, got)
	require.NotNil(t, res.Output)
	assert.Equal(t, OutputReport{
		Complete: true, LogGroup: ref.LogGroup, LogStream: ref.LogStream, LogRegion: "eu-west-1", Lines: 5,
		ConsoleURL: LogStreamConsoleURL("eu-west-1", ref.LogGroup, ref.LogStream),
	}, *res.Output)
}

func TestTheResultSaysWhyTheOutputWasNotRead(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	for _, tc := range []struct {
		name   string
		stream string
		in     func(*WaitInput)
		reason string
	}{
		{"not streamed", "p/main/x", func(in *WaitInput) { in.StreamOutput = false }, reasonNotStreamed},
		{"no awslogs", "", func(*WaitInput) {}, reasonNoStream},
	} {
		t.Run(tc.name, func(t *testing.T) {
			arn := w.ecs.addTask("RUNNING")
			ref := testRef(arn)
			if tc.stream != "" {
				ref.LogGroup, ref.LogStream = "g", tc.stream
			}
			w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
			in := WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true}
			tc.in(&in)
			var res TaskResult
			require.NoError(t, newTestEnv(t, a).run(&res, a.WaitForTaskFinish, in))
			require.NotNil(t, res.Output)
			assert.False(t, res.Output.Complete)
			assert.Equal(t, tc.reason, res.Output.Reason)
			assert.Equal(t, ref.LogStream, res.Output.LogStream)
		})
	}
}

func TestNoConsoleURLForAnEndpointOtherThanAWS(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w, func(o *Options) { o.AWS.BaseEndpoint = aws.String("http://127.0.0.1:4599") })
	arn := w.ecs.addTask("RUNNING")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
	var res WaitForStartResult
	require.NoError(t, newTestEnv(t, a).run(&res, a.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60}))
	require.NotNil(t, res.Output, "a started task's output is located")
	assert.Equal(t, "p/main/"+taskID(arn), res.Output.LogStream)
	assert.Empty(t, res.Output.ConsoleURL)

	b := newTestActivities(t, w)
	require.NoError(t, newTestEnv(t, b).run(&res, b.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60}))
	assert.Equal(t, LogStreamConsoleURL(testRegion, "g", ref.LogStream), res.Output.ConsoleURL, "the job's region when awslogs names none")
}

func TestTheCursorIsHeartbeatedBetweenPagesWhilePollingAndDraining(t *testing.T) {
	for _, phase := range []string{"running", "draining"} {
		t.Run(phase, func(t *testing.T) {
			w := newFakeWorld()
			w.logs.pageSize = 7
			a := newTestActivities(t, w, func(o *Options) { o.LogEventsPerSecond, o.logPageSize = 1e6, 7 })
			ref := testRef(w.ecs.addTask("RUNNING"))
			ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(ref.TaskArn)
			// More pages than one poll reads: a single read loop would
			// outlast any heartbeat timeout were the pages slow.
			lines := manyLines(w.logs, ref.LogGroup, ref.LogStream, 7*(maxLogPages+20))
			ctx := context.Background()
			out := a.newOutputStream(ctx, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true}, nil)
			// beat is what the activity heartbeats: it records how many
			// calls were made and the cursor it would heartbeat.
			var calls []int
			var cursors []int64
			beat := func() {
				w.logs.mu.Lock()
				calls = append(calls, w.logs.calls)
				w.logs.mu.Unlock()
				cursors = append(cursors, out.cursor().Events)
			}
			if phase == "running" {
				for polls := 0; out.cursor().Events < int64(len(lines)); polls++ {
					require.Less(t, polls, 10, "the lines are read within a few polls")
					require.NoError(t, out.pump(ctx, beat))
				}
			} else {
				report, err := out.drain(ctx, beat)
				require.NoError(t, err)
				assert.True(t, report.Complete)
				assert.EqualValues(t, len(lines), report.Lines)
			}

			require.NotEmpty(t, calls)
			assert.LessOrEqual(t, calls[0], 1)
			for i := 1; i < len(calls); i++ {
				assert.LessOrEqual(t, calls[i]-calls[i-1], 1, "at most one GetLogEvents call between two heartbeats (heartbeat %d)", i)
				assert.LessOrEqual(t, cursors[i]-cursors[i-1], int64(7), "each page's position is heartbeated (heartbeat %d)", i)
			}
			assert.EqualValues(t, len(lines), cursors[len(cursors)-1])
		})
	}
}

func TestAnIdleStreamIsReadLessAndLessOften(t *testing.T) {
	w := newFakeWorld()
	// A poll every 2ms, idle reads at most every 20ms: every 10th poll.
	a := newTestActivities(t, w, func(o *Options) { o.LogIdleMax = 20 * time.Millisecond })
	arn := w.ecs.addTask("RUNNING")
	ref := testRef(arn)
	ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(arn)
	w.logs.write(ref.LogGroup, ref.LogStream, 1, "hello")
	const polls = 300
	_, _, before := w.ecs.snapshot()
	afterPolls(t, w.ecs, polls, func() {
		w.ecs.stop(arn, types.TaskStopCodeEssentialContainerExited, "exited", map[string]int32{"main": 0})
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := a.WaitForTaskFinish(ctx, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true})
	require.NoError(t, err)

	_, _, after := w.ecs.snapshot()
	w.logs.mu.Lock()
	defer w.logs.mu.Unlock()
	// Reads while running: the first ones, doubling gaps, then one every
	// 10th poll; and the drain's (grace 1ms: a few).
	assert.LessOrEqual(t, w.logs.calls, 10+(after-before)/10+10, "%d polls, %d reads", after-before, w.logs.calls)
	assert.GreaterOrEqual(t, after-before, polls)
}
