package activities

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
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
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{PageSize: 3})

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
	first := NewLogTailer(logs, "g", "s", LogTailerOptions{PageSize: 2})
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
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: lim, MaxWait: 10 * time.Millisecond, PageSize: 1})

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
	res, err := tl.Drain(context.Background(), DrainOptions{}, func(events []LogEvent) { got = append(got, messages(events)...) })
	require.NoError(t, err)
	assert.Equal(t, DrainResult{Complete: true}, res)
	assert.Equal(t, want, got)
	assert.EqualValues(t, len(want), tl.Cursor().Events)

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
	res, err := tl.Drain(context.Background(), DrainOptions{Beat: func() { beats++ }},
		func(events []LogEvent) { got = append(got, messages(events)...) })

	require.NoError(t, err)
	assert.True(t, res.Complete)
	assert.Equal(t, []string{"a", "b", "c"}, got)
	assert.Positive(t, beats, "progress is reported while waiting")
}

func TestLogTailerDrainIsIncompleteWhenTheWaitWouldOutlastTheContext(t *testing.T) {
	logs := newFakeLogs(1)
	logs.write("g", "s", 1, "a", "b")
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: lim})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var got []string
	res, err := tl.Drain(ctx, DrainOptions{}, func(events []LogEvent) { got = append(got, messages(events)...) })

	require.NoError(t, err, "only the caller's own end is an error")
	assert.False(t, res.Complete)
	assert.Contains(t, res.Reason, "would outlast the context")
	assert.Equal(t, []string{"a"}, got, "what was read before is handed on")
	assert.Equal(t, int64(1), tl.Cursor().LastTimestamp)
	assert.Equal(t, 1, tl.Cursor().SeenAtLast)
}

// scriptedLogs wraps fakeLogs: before answering call number n (1-based)
// it runs before[n], and it fails the calls errs names.
type scriptedLogs struct {
	*fakeLogs
	before map[int]func()
	errs   map[int]error
	n      int
}

func (s *scriptedLogs) GetLogEvents(ctx context.Context, in *cloudwatchlogs.GetLogEventsInput, opts ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	s.n++
	if fn := s.before[s.n]; fn != nil {
		fn()
	}
	if err := s.errs[s.n]; err != nil {
		return nil, sdkError("CloudWatch Logs", "GetLogEvents", err)
	}
	return s.fakeLogs.GetLogEvents(ctx, in, opts...)
}

func TestLogTailerDrainReadsOnThroughTheGracePeriod(t *testing.T) {
	logs := &scriptedLogs{fakeLogs: newFakeLogs(10)}
	logs.write("g", "s", 1000, "one")
	// Calls 1 and 2 read "one" and reach the end; the last line becomes
	// readable only afterwards, as CloudWatch delivers an event late.
	logs.before = map[int]func(){3: func() { logs.write("g", "s", 1001, "the error") }}
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})

	var got []string
	started := time.Now()
	res, err := tl.Drain(context.Background(), DrainOptions{Grace: 50 * time.Millisecond},
		func(events []LogEvent) { got = append(got, messages(events)...) })

	require.NoError(t, err)
	assert.True(t, res.Complete)
	assert.Equal(t, []string{"one", "the error"}, got)
	assert.GreaterOrEqual(t, time.Since(started), 50*time.Millisecond, "quiet for the grace period after the last new line")
	assert.GreaterOrEqual(t, logs.n, 5, "a read after the grace period found nothing new")
}

// httpError is an AWS API error as the SDK returns it: with the HTTP
// status of its response.
func httpError(status int, code, msg string) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: msg},
	}}
}

func TestLogTailerDrainRetriesThrottlingAndServerErrors(t *testing.T) {
	throttle := httpError(400, "ThrottlingException", "Rate exceeded")
	logs := &scriptedLogs{fakeLogs: newFakeLogs(1), errs: map[int]error{
		1: throttle, 2: throttle, 4: httpError(503, "ServiceUnavailableException", "busy"), 5: throttle,
	}}
	logs.write("g", "s", 1000, "a", "b")
	budget := NewLogBudget(1000, 1000)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Budget: budget})

	var got []string
	res, err := tl.Drain(context.Background(), DrainOptions{RetryDelay: time.Millisecond},
		func(events []LogEvent) { got = append(got, messages(events)...) })

	require.NoError(t, err)
	assert.True(t, res.Complete, res.Reason)
	assert.Equal(t, []string{"a", "b"}, got, "throttling is not the end of the stream")
	assert.Less(t, budget.Limit(), 1000.0, "the budget slowed down")
}

func TestLogTailerDrainGivesUpOnAStreamThatStaysUnreadable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		reason string
	}{
		{"failures that may pass, for too long", httpError(500, "InternalFailure", "oops"), "kept failing"},
		{"a failure retrying cannot fix", httpError(400, "AccessDeniedException", "no"), "AccessDeniedException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs := &scriptedLogs{fakeLogs: newFakeLogs(1), errs: map[int]error{}}
			logs.write("g", "s", 1000, "a", "b")
			for i := 2; i < 10000; i++ {
				logs.errs[i] = tc.err
			}
			tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})

			var got []string
			res, err := tl.Drain(context.Background(), DrainOptions{RetryFor: 20 * time.Millisecond, RetryDelay: time.Millisecond},
				func(events []LogEvent) { got = append(got, messages(events)...) })

			require.NoError(t, err)
			assert.False(t, res.Complete)
			assert.Contains(t, res.Reason, tc.reason)
			assert.Equal(t, []string{"a"}, got)
		})
	}
}

func TestLogTailerDrainOfAStreamThatDoesNotExistIsIncomplete(t *testing.T) {
	tl := NewLogTailer(newFakeLogs(1), "g", "never", LogTailerOptions{})
	res, err := tl.Drain(context.Background(), DrainOptions{}, func([]LogEvent) { t.Error("no events") })
	require.NoError(t, err)
	assert.False(t, res.Complete)
	assert.Contains(t, res.Reason, "does not exist")
}

func TestLogTailerDrainEndsOnceItHasReadWhatAnotherReaderRead(t *testing.T) {
	logs := &scriptedLogs{fakeLogs: newFakeLogs(10)}
	logs.write("g", "s", 1000, "1", "2")
	logs.before = map[int]func(){3: func() { logs.write("g", "s", 1001, "3") }}
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})
	var got []string
	// The worker read three lines: no grace period is waited once they are read.
	res, err := tl.Drain(context.Background(), DrainOptions{Grace: time.Hour, Interval: time.Millisecond, Done: func(c LogCursor) bool { return c.Events >= 3 }},
		func(events []LogEvent) { got = append(got, messages(events)...) })
	require.NoError(t, err)
	assert.True(t, res.Complete)
	assert.Equal(t, []string{"1", "2", "3"}, got)

	short := NewLogTailer(newFakeLogs(10), "g", "s", LogTailerOptions{})
	short.api.(*fakeLogs).write("g", "s", 1, "only")
	res, err = short.Drain(context.Background(), DrainOptions{Grace: time.Millisecond, Done: func(c LogCursor) bool { return c.Events >= 3 }},
		func([]LogEvent) {})
	require.NoError(t, err)
	assert.False(t, res.Complete)
	assert.Contains(t, res.Reason, "after 1 lines")
}

func TestLogTailerDrainEndsWithTheContext(t *testing.T) {
	logs := newFakeLogs(1)
	logs.write("g", "s", 1, "a")
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	res, err := tl.Drain(ctx, DrainOptions{Grace: time.Hour}, func([]LogEvent) { cancel() })
	require.ErrorIs(t, err, context.Canceled)
	assert.False(t, res.Complete)
}

func TestLogTailerEventsCarryAStablePosition(t *testing.T) {
	logs := newFakeLogs(2)
	logs.write("g", "s", 1000, "a", "b", "c")
	logs.write("g", "s", 1001, "d")
	logs.write("g", "s", 1002, "e", "f")
	type key struct {
		ts    int64
		index int
	}
	keys := func(events []LogEvent) []key {
		var out []key
		for _, e := range events {
			out = append(out, key{e.Timestamp.UnixMilli(), e.Index})
		}
		return out
	}
	want := []key{{1000, 0}, {1000, 1}, {1000, 2}, {1001, 0}, {1002, 0}, {1002, 1}}

	whole, err := NewLogTailer(logs, "g", "s", LogTailerOptions{PageSize: 2}).Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, keys(whole), "across pages")

	// Resumed after the first page ("a", "b"), by token and by time.
	first := NewLogTailer(logs, "g", "s", LogTailerOptions{})
	_, _, err = first.page(context.Background(), &readState{})
	require.NoError(t, err)
	byToken, err := NewLogTailer(logs, "g", "s", LogTailerOptions{Cursor: first.Cursor(), PageSize: 2}).Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want[2:], keys(byToken))
	stale := first.Cursor()
	stale.NextToken = "stale"
	byTime, err := NewLogTailer(logs, "g", "s", LogTailerOptions{Cursor: stale, PageSize: 2}).Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want[2:], keys(byTime))
}

func TestLogTailerReadHandsOnEachPageBeforeReadingTheNext(t *testing.T) {
	logs := newFakeLogs(2)
	logs.write("g", "s", 1, "1", "2", "3", "4", "5")
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{PageSize: 2})
	var callsAtPage []int
	var cursors []int64
	n, err := tl.Read(context.Background(), func(events []LogEvent) {
		callsAtPage = append(callsAtPage, logs.calls)
		cursors = append(cursors, tl.Cursor().Events)
	})
	require.NoError(t, err)
	assert.Equal(t, 5, n)
	assert.Equal(t, []int{1, 2, 3}, callsAtPage, "one call per page handed on")
	assert.Equal(t, []int64{2, 4, 5}, cursors, "the cursor is after the page handed on")
	assert.Equal(t, 3, logs.calls, "a page that is not full ends the read: the next one confirms the end")
}

func TestLogTailerReadsOnAfterAFullPage(t *testing.T) {
	logs := newFakeLogs(maxPageEvents)
	var want []string
	for i := range maxPageEvents + 1 {
		want = append(want, strconv.Itoa(i))
	}
	logs.write("g", "s", 1, want...)
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{})
	got, err := tl.Next(context.Background())
	require.NoError(t, err)
	assert.Equal(t, want, messages(got), "a page of 10,000 events may have more behind it")
	assert.Equal(t, 2, logs.calls)

	big := newFakeLogs(5)
	line := strings.Repeat("x", 200<<10)
	big.write("g", "s", 1, line, line, line, line, "tail")
	tl = NewLogTailer(big, "g", "s", LogTailerOptions{})
	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Len(t, got, 5)
	big.pageSize = 4 // 800 KB: a page the 1 MB limit may have closed
	tl = NewLogTailer(big, "g", "s", LogTailerOptions{})
	got, err = tl.Next(context.Background())
	require.NoError(t, err)
	assert.Len(t, got, 5, "read on after a page the size limit may have closed")
}

func TestLogTailerPollBacksOffWhileTheStreamIsEmpty(t *testing.T) {
	logs := newFakeLogs(10)
	logs.write("g", "s", 1, "first")
	// Polled every 5s, idle reads at most once a minute.
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{PollEvery: 5 * time.Second, IdleMax: time.Minute})
	var readAt []int
	poll := func(i int) {
		read, err := tl.Poll(context.Background(), func([]LogEvent) {})
		require.NoError(t, err)
		if read {
			readAt = append(readAt, i)
		}
	}
	for i := range 100 {
		poll(i)
	}
	// Reads at polls 0 (lines), 1 (empty), then 1, 2, 4, 8, 11, 11, ... polls skipped.
	assert.Equal(t, []int{0, 1, 3, 6, 11, 20, 32, 44, 56, 68, 80, 92}, readAt)
	for i := 6; i < len(readAt); i++ {
		assert.Equal(t, 12, readAt[i]-readAt[i-1], "one read a minute")
	}

	logs.write("g", "s", 2, "again")
	readAt = nil
	for i := 100; i < 130; i++ {
		poll(i)
	}
	require.NotEmpty(t, readAt)
	assert.Equal(t, 104, readAt[0], "the next idle read finds the new line")
	assert.Equal(t, []int{104, 105, 107}, readAt[:3], "then every poll reads until the stream is empty again")
}

func TestLogTailerPollReadsAtTheNextCallAfterGivingItsTurnBack(t *testing.T) {
	logs := newFakeLogs(10)
	lim := rate.NewLimiter(rate.Every(time.Hour), 1)
	require.True(t, lim.Allow())
	tl := NewLogTailer(logs, "g", "s", LogTailerOptions{Limiter: lim, MaxWait: time.Millisecond, PollEvery: time.Second})
	for range 5 {
		read, err := tl.Poll(context.Background(), func([]LogEvent) {})
		require.NoError(t, err)
		assert.True(t, read, "a busy budget is not an empty stream")
	}
}

func TestLogBudgetHalvesOnThrottlingAndGrowsBack(t *testing.T) {
	b := NewLogBudget(10, 10)
	now := time.Unix(1000, 0)
	b.now = func() time.Time { return now }

	b.throttled()
	assert.InDelta(t, 5, b.Limit(), 1e-9)
	b.throttled()
	assert.InDelta(t, 5, b.Limit(), 1e-9, "one cut per burst of throttling answers")
	now = now.Add(budgetCutSpacing)
	b.throttled()
	assert.InDelta(t, 2.5, b.Limit(), 1e-9)
	for range 20 {
		now = now.Add(budgetCutSpacing)
		b.throttled()
	}
	assert.InDelta(t, 10*budgetFloor, b.Limit(), 1e-9, "never below the floor")

	now = now.Add(budgetRecovery / 2)
	b.succeeded()
	assert.InDelta(t, 10*budgetFloor+5, b.Limit(), 1e-9, "linear growth")
	now = now.Add(budgetRecovery)
	b.succeeded()
	assert.InDelta(t, 10, b.Limit(), 1e-9, "up to the ceiling, no further")

	var none *LogBudget
	none.throttled()
	none.succeeded()
	fixed := fixedBudget(rate.NewLimiter(3, 1))
	fixed.throttled()
	assert.InDelta(t, 3, fixed.Limit(), 1e-9, "a fixed limiter does not adapt")
}

func TestLogBudgetsSharingAQuotaConvergeToShares(t *testing.T) {
	// Two workers whose ceilings together exceed the account's quota: each
	// throttling answer halves the budget that got it, success grows it
	// back. Simulated in steps of a second, the one that starts at the
	// ceiling does not keep the other starved.
	const quota = 10.0
	a, b := NewLogBudget(8, 8), NewLogBudget(8, 8)
	now := time.Unix(0, 0)
	a.now = func() time.Time { return now }
	b.now = a.now
	b.throttled() // b starts low, a at its ceiling
	for range 3 {
		b.throttled()
		now = now.Add(budgetCutSpacing)
	}
	var sumA, sumB float64
	for step := range 600 {
		now = now.Add(time.Second)
		if a.Limit()+b.Limit() > quota {
			// The account throttles: the caller it throttles is the one
			// whose turn it is (they alternate).
			if step%2 == 0 {
				a.throttled()
			} else {
				b.throttled()
			}
		} else {
			a.succeeded()
			b.succeeded()
		}
		if step >= 300 {
			sumA += a.Limit()
			sumB += b.Limit()
		}
	}
	assert.InDelta(t, 1, sumA/sumB, 0.35, "after a while, neither gets much more than the other (%.1f vs %.1f)", sumA/300, sumB/300)
	assert.Greater(t, (sumA+sumB)/300, quota/3, "and together they use a good part of the quota")
}

func TestLogStreamConsoleURL(t *testing.T) {
	assert.Equal(t,
		"https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/$252Fecs$252Fjobs/log-events/temporal-ecs$252Fmain$252F0f1e2d3c",
		LogStreamConsoleURL("eu-west-1", "/ecs/jobs", "temporal-ecs/main/0f1e2d3c"))
	assert.Contains(t, LogStreamConsoleURL("cn-north-1", "g", "s"), "https://console.amazonaws.cn/")
	assert.Contains(t, LogStreamConsoleURL("us-gov-west-1", "g", "s"), "https://console.amazonaws-us-gov.com/")
	assert.Contains(t, LogStreamConsoleURL("us-east-1", "a b#c", "s"), "log-group/a$2520b$2523c/")
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
