package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/time/rate"
)

// maxLogPages bounds the GetLogEvents pages one LogTailer.Read reads, so a
// very chatty stream cannot hold a poll; the rest comes at the next call.
const maxLogPages = 100

// A GetLogEvents page holds at most 10,000 events and 1 MB (each event
// counting 26 bytes more than its message); an event may be 256 KB, so a
// page that the size limit closed holds at least 768 KB. A page with fewer
// events and bytes than that was the end of the stream when it was read.
const (
	maxPageEvents   = 10000
	fullPageBytes   = 768 << 10
	eventOverheadCW = 26
)

// getLogEventsTimeout bounds one GetLogEvents call: the SDK's HTTP client
// has no overall timeout, and a wait that reads the logs between its polls
// must get back to heartbeating well within its heartbeat timeout (30s at
// least) even when a connection goes silent.
const getLogEventsTimeout = 10 * time.Second

// Defaults of the final drain (DrainOptions).
const (
	// DefaultLogGrace is how long a drain goes on reading after the stream
	// last grew. CloudWatch Logs makes an event readable by GetLogEvents
	// some time after PutLogEvents accepted it, usually within a second or
	// two; 10s covers the usual tail of that delay.
	DefaultLogGrace = 10 * time.Second
	// DefaultLogDrainRetry is how long a drain retries failures that may
	// pass (throttling, 5xx, timeouts, dropped connections).
	DefaultLogDrainRetry = 2 * time.Minute
	// DefaultLogIdleMax is the longest interval between two reads of a
	// stream that has stayed empty, when reads are paced.
	DefaultLogIdleMax = time.Minute
)

// LogCursor is where a LogTailer resumes. It is plain data: the activity
// carries it in its heartbeat details, so that a retried attempt skips no
// line.
type LogCursor struct {
	// NextToken is the last nextForwardToken CloudWatch returned.
	NextToken string `json:"nextToken,omitempty"`
	// LastTimestamp (Unix milliseconds) and SeenAtLast, the number of
	// events already delivered with that timestamp, let the tailer resume
	// by time, skipping what it delivered, when the token is refused.
	LastTimestamp int64 `json:"lastTimestamp,omitempty"`
	SeenAtLast    int   `json:"seenAtLast,omitempty"`
	// Events is the number of events delivered from the stream's head.
	Events int64 `json:"events,omitempty"`
}

// LogEvent is one line of a log stream.
type LogEvent struct {
	// Timestamp is the event's time, to the millisecond.
	Timestamp time.Time
	Message   string
	// Index is the event's position among the stream's events of the same
	// millisecond, from 0. The stream, Timestamp and Index together name
	// the event: every read of the stream gives it the same key, so a log
	// pipeline can recognise a line delivered twice.
	Index int
}

// LogTailer reads a CloudWatch Logs stream forward from a cursor. Read
// (or Next) returns the events written since the previous call, Poll does
// the same at a pace that slows down while the stream stays empty, and
// Drain reads to the end of a stream whose writer has stopped. It is used
// by the wait activities and by the starter CLI. A LogTailer is not safe
// for concurrent use.
type LogTailer struct {
	api     LogsAPI
	group   string
	stream  string
	budget  *LogBudget
	maxWait time.Duration
	limit   int32
	cursor  LogCursor
	// callTimeout bounds each GetLogEvents call (getLogEventsTimeout).
	callTimeout time.Duration
	pace        pace
}

// LogTailerOptions configures a LogTailer.
type LogTailerOptions struct {
	// Cursor resumes a previous tailer; zero starts at the stream's head.
	Cursor LogCursor
	// Budget, when set, grants each GetLogEvents call and adapts to
	// throttling; it is shared by all the tailers of a process.
	Budget *LogBudget
	// Limiter, when set and Budget is not, grants each GetLogEvents call
	// at a fixed rate.
	Limiter *rate.Limiter
	// MaxWait bounds the time one Read waits for the budget, in all: when
	// the next page would need a longer wait, Read gives its turn back and
	// returns, and the next call reads on. So a busy budget shared by many
	// tailers never holds a caller that must report progress at a steady
	// pace (an activity's heartbeat). Zero waits as long as the budget
	// asks. Drain calls its Beat at least every MaxWait (5s when zero)
	// while it waits.
	MaxWait time.Duration
	// PageSize bounds the events of one GetLogEvents page; zero leaves
	// CloudWatch's default (as many as fit in 1 MB, up to 10,000).
	PageSize int32
	// PollEvery is the interval at which the caller calls Poll; zero makes
	// Poll read at every call. IdleMax (DefaultLogIdleMax when zero) is
	// then the longest interval between two reads of an empty stream.
	PollEvery time.Duration
	IdleMax   time.Duration
}

// defaultDrainBeat is how often Drain reports progress while it waits,
// when MaxWait does not say.
const defaultDrainBeat = 5 * time.Second

// NewLogTailer returns a tailer of the stream group/stream.
func NewLogTailer(api LogsAPI, group, stream string, opts LogTailerOptions) *LogTailer {
	budget := opts.Budget
	if budget == nil && opts.Limiter != nil {
		budget = fixedBudget(opts.Limiter)
	}
	t := &LogTailer{
		api: api, group: group, stream: stream, budget: budget, maxWait: opts.MaxWait,
		limit: opts.PageSize, cursor: opts.Cursor, callTimeout: getLogEventsTimeout,
	}
	if opts.PollEvery > 0 {
		idle := opts.IdleMax
		if idle <= 0 {
			idle = DefaultLogIdleMax
		}
		t.pace.maxSkip = max(int(idle/opts.PollEvery)-1, 0)
	}
	return t
}

// Cursor returns the position after the events handed on so far.
func (t *LogTailer) Cursor() LogCursor { return t.cursor }

// Next returns the events written since the last call, as Read reads them.
// On error, the events read before it are returned with it and the cursor
// stays after them.
func (t *LogTailer) Next(ctx context.Context) ([]LogEvent, error) {
	var out []LogEvent
	_, err := t.Read(ctx, func(events []LogEvent) { out = append(out, events...) })
	return out, err
}

// Read reads the events written since the last call, page by page, until
// the end of the stream (a page that is not full, which the next call
// confirms at no extra cost to a busy stream, or CloudWatch returning the
// token it was sent), at most maxLogPages pages, and never waiting for the
// budget longer than MaxWait in all: what is left comes at the next call.
// It hands each page's events to fn as soon as the page is read, with the
// cursor already after them, so that a caller recording Cursor in fn
// records the position after the events it handed on, page by page,
// however slow the pages. A stream that does not exist yet has no events.
// It returns the number of events read; on error the cursor stays after
// those handed on.
func (t *LogTailer) Read(ctx context.Context, fn func([]LogEvent)) (int, error) {
	n, _, err := t.read(ctx, fn)
	return n, err
}

// read is Read; ended reports that it reached the end of the stream
// (rather than giving its turn back or reading its maximum of pages).
func (t *LogTailer) read(ctx context.Context, fn func([]LogEvent)) (n int, ended bool, err error) {
	var st readState
	budget := time.Duration(-1) // unbounded
	if t.maxWait > 0 {
		budget = t.maxWait
	}
	for range maxLogPages {
		waited, granted, err := t.awaitTurn(ctx, budget, nil)
		if err != nil || !granted {
			return n, false, err
		}
		if budget >= 0 {
			budget = max(budget-waited, 0)
		}
		events, end, err := t.page(ctx, &st)
		if len(events) > 0 {
			n += len(events)
			fn(events)
			end = end || !t.full(events)
		}
		if err != nil || end {
			return n, end && err == nil, err
		}
	}
	return n, false, nil
}

// full reports whether a page of events may have been cut short by
// GetLogEvents' limits: more events may follow at once.
func (t *LogTailer) full(events []LogEvent) bool {
	limit := maxPageEvents
	if t.limit > 0 {
		limit = int(t.limit)
	}
	if len(events) >= limit {
		return true
	}
	size := 0
	for _, ev := range events {
		size += len(ev.Message) + eventOverheadCW
	}
	return size >= fullPageBytes
}

// Poll is Read at a pace: while the stream stays empty (or reads fail),
// the calls that read are spaced further and further apart (every 2nd
// call, then every 3rd, 5th, 9th, ... up to one every IdleMax), and as
// soon as a read returns events every call reads again. The caller calls
// it every PollEvery; without PollEvery every call reads. It reports
// whether this call read.
func (t *LogTailer) Poll(ctx context.Context, fn func([]LogEvent)) (bool, error) {
	if !t.pace.due() {
		return false, nil
	}
	n, ended, err := t.read(ctx, fn)
	t.pace.observe(n, ended || err != nil)
	return true, err
}

// pace spaces out the reads of an empty stream, counted in calls of Poll.
type pace struct {
	// maxSkip is the most calls skipped between two reads.
	maxSkip int
	// gap is the calls skipped after the last read, skip those still to skip.
	gap, skip int
}

func (p *pace) due() bool {
	if p.skip > 0 {
		p.skip--
		return false
	}
	return true
}

// observe sets the calls to skip after a read that returned n events and
// found nothing more to read (idle: it reached the end of the stream, or
// failed). A read that found the stream empty, or failing, spaces the next
// ones further apart; one that gave its turn back to the budget reads
// again at the next call.
func (p *pace) observe(n int, idle bool) {
	switch {
	case n > 0:
		p.gap, p.skip = 0, 0
	case idle:
		p.gap = min(max(2*p.gap, 1), p.maxSkip)
		p.skip = p.gap
	default:
		p.skip = 0
	}
}

// DrainOptions configures LogTailer.Drain.
type DrainOptions struct {
	// Grace is how long the drain goes on reading once it has reached the
	// end of the stream: it ends when no new event has appeared for Grace,
	// counted from the start of the drain and from the last new event, so
	// that events written before the drain began but not yet readable
	// (CloudWatch's ingestion delay) are read. Zero ends it at the first
	// end of the stream.
	Grace time.Duration
	// Interval is the time between two reads while the grace period runs
	// (Grace/4, at most 2s, when zero).
	Interval time.Duration
	// RetryFor bounds how long failures that may pass (throttling, 5xx,
	// timeouts, dropped connections) are retried, with backoff from
	// RetryDelay (250ms when zero) doubling up to 16 times that; other
	// failures end the drain at once. Zero means DefaultLogDrainRetry.
	RetryFor   time.Duration
	RetryDelay time.Duration
	// Done, when set, ends the drain as complete at an end of the stream
	// where it returns true for the cursor: the caller knows where the
	// output ends (e.g. how many events another reader has read). Grace
	// then bounds the wait for it: a drain still short of it once the
	// stream has been quiet for Grace is incomplete.
	Done func(LogCursor) bool
	// Beat, when set, is called at least every MaxWait (5s when zero)
	// while the drain waits: for the budget, a backoff or the grace.
	Beat func()
}

// DrainResult is how a drain ended.
type DrainResult struct {
	// Complete is set when the drain read to the end of the stream and the
	// stream then stayed quiet for the grace period (or Done said so).
	Complete bool
	// Reason says why the output may be incomplete.
	Reason string
}

// Drain reads a stream whose writer has stopped to its end: page after
// page, however many, handing each page's events to fn as Read does, then
// on until the stream has been quiet for opts.Grace. Throttling and other
// failures that may pass are retried with backoff for opts.RetryFor. It
// reports whether it read the output completely and, if not, why: a
// failure that retrying cannot fix, failures past RetryFor, a stream that
// does not exist, or a budget wait that would outlast ctx's deadline. Its
// error is ctx's, when ctx ends first; the cursor stays after the events
// handed on in every case.
func (t *LogTailer) Drain(ctx context.Context, opts DrainOptions, fn func([]LogEvent)) (DrainResult, error) {
	retryFor := opts.RetryFor
	if retryFor <= 0 {
		retryFor = DefaultLogDrainRetry
	}
	retryDelay := opts.RetryDelay
	if retryDelay <= 0 {
		retryDelay = 250 * time.Millisecond
	}
	beat := opts.Beat
	if beat == nil {
		beat = func() {}
	}
	interval := opts.Interval
	if interval <= 0 {
		interval = min(max(opts.Grace/4, time.Millisecond), 2*time.Second)
	}
	// The drain is complete after a read to the end that began Grace or
	// more after the drain began and after the last new event, and found
	// nothing new: the stream was quiet for all of Grace.
	lastNew := time.Now()
	var failingSince time.Time
	failures := 0
	for {
		began := time.Now()
		n, missing, err := t.readToEnd(ctx, fn, beat)
		if n > 0 {
			lastNew = time.Now()
		}
		if err != nil {
			if ctx.Err() != nil {
				return DrainResult{Reason: "reading the log stream was cancelled: " + ctx.Err().Error()}, ctx.Err()
			}
			if !logReadMayPass(err) {
				return DrainResult{Reason: "reading the log stream failed: " + err.Error()}, nil
			}
			if failures == 0 {
				failingSince = time.Now()
			}
			failures++
			if since := time.Since(failingSince); since >= retryFor {
				return DrainResult{Reason: fmt.Sprintf("GetLogEvents kept failing for %s (%d failures in a row): %v",
					since.Round(time.Millisecond), failures, err)}, nil
			}
			beat()
			if err := t.sleep(ctx, jittered(retryDelay<<min(failures-1, 4)), beat); err != nil {
				return DrainResult{Reason: "reading the log stream was cancelled: " + err.Error()}, err
			}
			continue
		}
		failures = 0
		if opts.Done != nil && opts.Done(t.cursor) {
			return DrainResult{Complete: true}, nil
		}
		if n == 0 && began.Sub(lastNew) >= opts.Grace {
			switch {
			case missing:
				return DrainResult{Reason: fmt.Sprintf("the log stream %s does not exist in log group %s", t.stream, t.group)}, nil
			case opts.Done != nil:
				return DrainResult{Reason: fmt.Sprintf("the log stream ended after %d lines, short of the lines expected", t.cursor.Events)}, nil
			}
			return DrainResult{Complete: true}, nil
		}
		beat()
		wait := min(time.Until(lastNew.Add(opts.Grace)), interval)
		if err := t.sleep(ctx, wait, beat); err != nil {
			return DrainResult{Reason: "reading the log stream was cancelled: " + err.Error()}, err
		}
	}
}

// readToEnd reads every page up to the end of the stream, whatever their
// number, handing each page's events to fn; only ctx bounds its waits for
// the budget, calling beat meanwhile. missing reports a stream that does
// not exist.
func (t *LogTailer) readToEnd(ctx context.Context, fn func([]LogEvent), beat func()) (n int, missing bool, err error) {
	var st readState
	for {
		if _, _, err := t.awaitTurn(ctx, -1, beat); err != nil {
			return n, false, err
		}
		events, end, err := t.page(ctx, &st)
		if len(events) > 0 {
			n += len(events)
			fn(events)
		}
		if err != nil || end {
			return n, st.missing, err
		}
	}
}

// sleep waits d or until ctx ends, calling beat at least every MaxWait
// (defaultDrainBeat when zero).
func (t *LogTailer) sleep(ctx context.Context, d time.Duration, beat func()) error {
	step := t.maxWait
	if step <= 0 {
		step = defaultDrainBeat
	}
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return nil
		}
		timer := time.NewTimer(min(step, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
		if time.Until(end) > 0 {
			beat()
		}
	}
}

// readState is what a read of several pages remembers between pages.
type readState struct {
	// tokenRefused: a token was refused once already; a second refusal is
	// an error, not a loop.
	tokenRefused bool
	// missing: the last page found no stream.
	missing bool
}

// once asks the SDK for a single attempt: the tailer retries GetLogEvents
// itself, so that its budget sees every throttling answer and adapts.
func once(o *cloudwatchlogs.Options) { o.RetryMaxAttempts = 1 }

// page reads one GetLogEvents page at the cursor and moves the cursor after
// its events. end reports the end of the stream: CloudWatch returned the
// token it was sent, or the stream does not exist yet (st.missing). A
// refused token (expired, or from another stream) makes the cursor resume
// by time, once. Each call's outcome adjusts the budget.
func (t *LogTailer) page(ctx context.Context, st *readState) (events []LogEvent, end bool, err error) {
	st.missing = false
	sent := t.cursor.NextToken
	in := &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(t.group),
		LogStreamName: aws.String(t.stream),
		StartFromHead: aws.Bool(true),
	}
	if t.limit > 0 {
		in.Limit = aws.Int32(t.limit)
	}
	// Resuming by time skips the events already delivered at LastTimestamp.
	skip := 0
	if sent != "" {
		in.NextToken = aws.String(sent)
	} else if t.cursor.LastTimestamp > 0 {
		in.StartTime = aws.Int64(t.cursor.LastTimestamp)
		skip = t.cursor.SeenAtLast
	}
	cctx, cancel := context.WithTimeout(ctx, t.callTimeout)
	defer cancel()
	resp, err := t.api.GetLogEvents(cctx, in, once)
	if err != nil {
		if isThrottle(err) {
			t.budget.throttled()
		}
		var notFound *cwtypes.ResourceNotFoundException
		var invalid *cwtypes.InvalidParameterException
		switch {
		case errors.As(err, &notFound):
			st.missing = true
			return nil, true, nil
		case errors.As(err, &invalid) && sent != "" && !st.tokenRefused:
			st.tokenRefused = true
			t.cursor.NextToken = ""
			return nil, false, nil
		}
		return nil, false, err
	}
	t.budget.succeeded()
	for _, ev := range resp.Events {
		ts := aws.ToInt64(ev.Timestamp)
		if in.StartTime != nil {
			// Read by time: drop what precedes the cursor and the events
			// already delivered at its timestamp.
			from := aws.ToInt64(in.StartTime)
			if ts < from {
				continue
			}
			if ts == from && skip > 0 {
				skip--
				continue
			}
		}
		index := 0
		switch {
		case ts > t.cursor.LastTimestamp:
			t.cursor.LastTimestamp, t.cursor.SeenAtLast = ts, 1
		case ts == t.cursor.LastTimestamp:
			index = t.cursor.SeenAtLast
			t.cursor.SeenAtLast++
		}
		t.cursor.Events++
		events = append(events, LogEvent{Timestamp: time.UnixMilli(ts), Message: aws.ToString(ev.Message), Index: index})
	}
	next := aws.ToString(resp.NextForwardToken)
	if next != "" {
		t.cursor.NextToken = next
	}
	return events, next == "" || next == sent, nil
}

// awaitTurn waits for the budget to grant one call and returns how long it
// waited. When the wait would exceed budget (budget < 0: no bound) it
// gives the turn back at once and returns granted false. beat, when set, is
// called at least every MaxWait (defaultDrainBeat when zero) while waiting.
// A wait that would outlast ctx's deadline, or a budget that can never
// grant a call, is an error.
func (t *LogTailer) awaitTurn(ctx context.Context, budget time.Duration, beat func()) (waited time.Duration, granted bool, err error) {
	if t.budget == nil {
		return 0, true, nil
	}
	r := t.budget.lim.Reserve()
	if !r.OK() {
		return 0, false, errors.New("the log events rate limiter allows no call")
	}
	delay := r.Delay()
	if delay == 0 {
		return 0, true, nil
	}
	if budget >= 0 && delay > budget {
		r.Cancel()
		return 0, false, nil
	}
	ready := time.Now().Add(delay)
	if d, ok := ctx.Deadline(); ok && ready.After(d) {
		r.Cancel()
		return 0, false, fmt.Errorf("waiting %s for the log events rate limiter would outlast the context", delay.Round(time.Millisecond))
	}
	step := t.maxWait
	if step <= 0 {
		step = defaultDrainBeat
	}
	timer := time.NewTimer(min(step, delay))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			r.Cancel()
			return 0, false, ctx.Err()
		case <-timer.C:
		}
		left := time.Until(ready)
		if left <= 0 {
			return delay, true, nil
		}
		if beat != nil {
			beat()
		}
		timer.Reset(min(step, left))
	}
}

// isThrottle reports whether err is a throttling answer, as the SDK's
// retryer tells them apart.
func isThrottle(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}

// logReadMayPass reports whether a failed GetLogEvents call may succeed
// when retried: throttling, 5xx, dropped connections and the tailer's own
// per-call timeout, as the SDK's standard retryer classifies them. The
// caller checks its own context first.
func logReadMayPass(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true // the per-call timeout; the caller's context is alive
	}
	return isThrottle(err) || retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err) == aws.TrueTernary
}
