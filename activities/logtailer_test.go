package activities

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/time/rate"
)

func messages(events []LogEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Message)
	}
	return out
}

func TestLogTailerReadsEveryPageThenOnlyNewLines(t *testing.T) {
	logs := newFakeLogs(3)
	logs.write("g", "s", 1000, "1", "2", "3", "4", "5", "6", "7")
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})

	got, err := tl.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"1", "2", "3", "4", "5", "6", "7"}, messages(got))

	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got, "nothing new")

	logs.write("g", "s", 2000, "8", "9")
	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"8", "9"}, messages(got))
}

func TestLogTailerStreamNotYetCreatedHasNoEvents(t *testing.T) {
	logs := newFakeLogs(3)
	tl := NewLogTailer(logs, "g", "later", LogTailerOptions{})
	got, err := tl.Next(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)

	logs.write("g", "later", 1, "hello")
	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"hello"}, messages(got))
}

func TestLogTailerResumesFromCursor(t *testing.T) {
	logs := newFakeLogs(2)
	logs.write("g", "s", 1000, "a", "b", "c")
	first := NewLogTailer(logs, "g", "s", LogTailerOptions{})
	_, err := first.Next(context.Background())
	require.NoError(t, err)

	logs.write("g", "s", 1001, "d")
	second := NewLogTailer(logs, "g", "s", LogTailerOptions{Cursor: first.Cursor()})
	got, err := second.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"d"}, messages(got))
}

func TestLogTailerRefusedTokenResumesByTimeWithoutRepeats(t *testing.T) {
	logs := newFakeLogs(10)
	logs.write("g", "s", 1000, "a", "b", "c")
	logs.write("g", "s", 1001, "d")
	// Two of the three lines at 1000 were delivered before.
	cursor := LogCursor{NextToken: "stale", LastTimestamp: 1000, SeenAtLast: 2}
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Cursor: cursor})

	got, err := tl.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"c", "d"}, messages(got))
	assert.Equal(t, int64(1001), tl.Cursor().LastTimestamp)
	assert.Equal(t, 1, tl.Cursor().SeenAtLast)
}

func TestLogTailerWaitsOnTheLimiter(t *testing.T) {
	logs := newFakeLogs(10)
	logs.write("g", "s", 1, "a")
	// A limiter that never grants a call.
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: rate.NewLimiter(0, 0)})
	_, err := tl.Next(context.Background())
	require.Error(t, err)
	assert.Zero(t, logs.calls)
}

func TestLogTailerNextGivesItsTurnBackRatherThanWaitLongerThanMaxWait(t *testing.T) {
	logs := newFakeLogs(1)
	logs.write("g", "s", 1, "a", "b", "c")
	// One call now, the next only in an hour.
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: lim, MaxWait: 10 * time.Millisecond})

	got, err := tl.Next(context.Background())
	require.NoError(t, err, "a busy limiter is not an error")
	assert.Equal(t, []string{"a"}, messages(got), "one page, then the turn is given back")
	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Empty(t, got)
	assert.Equal(t, 1, logs.calls)

	lim.SetLimit(rate.Inf)
	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"b", "c"}, messages(got), "the next call reads on from the cursor")
}

func TestLogTailerDrainReadsEveryPageWhateverTheirNumber(t *testing.T) {
	logs := newFakeLogs(1)
	var want []string
	for i := range 3 * maxLogPages {
		want = append(want, strconv.Itoa(i))
	}
	logs.write("g", "s", 1, want...)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})

	var got []string
	require.NoError(t, tl.Drain(context.Background(), func(events []LogEvent) { got = append(got, messages(events)...) }))
	assert.Equal(t, want, got)

	next, err := tl.Next(context.Background())
	require.NoError(t, err)
	assert.Empty(t, next, "the cursor is at the end")
}

func TestLogTailerDrainWaitsForTheLimiterReportingProgressMeanwhile(t *testing.T) {
	logs := newFakeLogs(1)
	logs.write("g", "s", 1, "a", "b", "c")
	// A token every 30ms: longer than MaxWait, so each wait reports.
	lim := rate.NewLimiter(rate.Every(30*time.Millisecond), 1)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: lim, MaxWait: 5 * time.Millisecond})

	var got []string
	beats := 0
	err := tl.Drain(context.Background(), func(events []LogEvent) {
		if len(events) == 0 {
			beats++
		}
		got = append(got, messages(events)...)
	})

	require.NoError(t, err)
	assert.Equal(t, []string{"a", "b", "c"}, got)
	assert.Positive(t, beats, "progress is reported while waiting")
}

func TestLogTailerDrainFailsAtOnceWhenTheWaitWouldOutlastTheContext(t *testing.T) {
	logs := newFakeLogs(1)
	logs.write("g", "s", 1, "a", "b")
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: lim})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var got []string
	err := tl.Drain(ctx, func(events []LogEvent) { got = append(got, messages(events)...) })

	require.Error(t, err)
	assert.Equal(t, []string{"a"}, got, "what was read before is handed on")
	assert.Equal(t, int64(1), tl.Cursor().LastTimestamp)
	assert.Equal(t, 1, tl.Cursor().SeenAtLast)
}

// hungLogs is a CloudWatch Logs endpoint whose GetLogEvents answers only
// when its call's context ends, as a connection that went silent.
type hungLogs struct{}

func (hungLogs) GetLogEvents(ctx context.Context, _ *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

func TestLogTailerBoundsEachCallSoAWaitKeepsHeartbeating(t *testing.T) {
	tl := NewLogTailer(hungLogs{}, "g", "s", LogTailerOptions{})
	tl.callTimeout = 10 * time.Millisecond
	// The activity's context has no deadline of its own short enough to
	// matter (24h for WaitForTaskFinish): a silent connection must not hold
	// the wait, which heartbeats only after Next returns.
	done := make(chan error, 1)
	go func() {
		_, err := tl.Next(context.Background())
		done <- err
	}()
	select {
	case err := <-done:
		require.ErrorIs(t, err, context.DeadlineExceeded)
	case <-time.After(10 * time.Second):
		t.Fatal("Next still waits on a GetLogEvents call that never answers")
	}
	assert.Equal(t, LogCursor{}, tl.Cursor(), "the cursor does not move")
}
