package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"golang.org/x/time/rate"
)

// maxLogPages bounds the GetLogEvents pages one LogTailer.Next reads, so a
// very chatty stream cannot hold a poll; the rest comes at the next call.
const maxLogPages = 100

// getLogEventsTimeout bounds one GetLogEvents call: the SDK's HTTP client
// has no overall timeout, and a wait that reads the logs between its polls
// must get back to heartbeating well within its heartbeat timeout (30s at
// least) even when a connection goes silent.
const getLogEventsTimeout = 10 * time.Second

// LogCursor is where a LogTailer resumes. It is plain data: the activity
// carries it in its heartbeat details, so that a retried attempt repeats
// and skips no line.
type LogCursor struct {
	// NextToken is the last nextForwardToken CloudWatch returned.
	NextToken string `json:"nextToken,omitempty"`
	// LastTimestamp (Unix milliseconds) and SeenAtLast, the number of
	// events already delivered with that timestamp, let the tailer resume
	// by time, skipping what it delivered, when the token is refused.
	LastTimestamp int64 `json:"lastTimestamp,omitempty"`
	SeenAtLast    int   `json:"seenAtLast,omitempty"`
}

// LogEvent is one line of a log stream.
type LogEvent struct {
	Timestamp time.Time
	Message   string
}

// LogTailer reads a CloudWatch Logs stream forward from a cursor: each Next
// returns the events written since the previous one. It is used by the
// WaitForTaskFinish activity and by the starter CLI.
type LogTailer struct {
	api     LogsAPI
	group   string
	stream  string
	limiter *rate.Limiter
	maxWait time.Duration
	limit   int32
	cursor  LogCursor
	// callTimeout bounds each GetLogEvents call (getLogEventsTimeout).
	callTimeout time.Duration
}

// LogTailerOptions configures a LogTailer.
type LogTailerOptions struct {
	// Cursor resumes a previous tailer; zero starts at the stream's head.
	Cursor LogCursor
	// Limiter, when set, grants each GetLogEvents call.
	Limiter *rate.Limiter
	// MaxWait bounds the time one Next call waits for the Limiter, in all:
	// when the next page would need a longer wait, Next gives its turn back
	// and returns the events read so far, and the next call reads on. So a
	// busy limiter shared by many tailers never holds a caller that must
	// report progress at a steady pace (an activity's heartbeat). Zero waits
	// as long as the limiter asks. Drain also calls its progress function
	// at least every MaxWait while it waits.
	MaxWait time.Duration
	// PageSize bounds the events of one GetLogEvents page; zero leaves
	// CloudWatch's default (as many as fit in 1 MB, up to 10,000).
	PageSize int32
}

// defaultDrainBeat is how often Drain reports progress while it waits for
// the limiter, when MaxWait does not say.
const defaultDrainBeat = 5 * time.Second

// NewLogTailer returns a tailer of the stream group/stream.
func NewLogTailer(api LogsAPI, group, stream string, opts LogTailerOptions) *LogTailer {
	return &LogTailer{
		api: api, group: group, stream: stream, limiter: opts.Limiter, maxWait: opts.MaxWait,
		limit: opts.PageSize, cursor: opts.Cursor, callTimeout: getLogEventsTimeout,
	}
}

// Cursor returns the position after the events Next returned so far.
func (t *LogTailer) Cursor() LogCursor { return t.cursor }

// Next returns the events written since the last call, reading every page
// until CloudWatch returns the token it was sent (the end of the stream),
// at most maxLogPages pages, and never waiting for the limiter longer than
// MaxWait in all: what is left comes at the next call. A stream that does
// not exist yet has no events. On error, the events read before it are
// returned with it and the cursor stays after them.
func (t *LogTailer) Next(ctx context.Context) ([]LogEvent, error) {
	var out []LogEvent
	var st readState
	budget := time.Duration(-1) // unbounded
	if t.maxWait > 0 {
		budget = t.maxWait
	}
	for range maxLogPages {
		waited, granted, err := t.awaitTurn(ctx, budget, nil)
		if err != nil || !granted {
			return out, err
		}
		if budget >= 0 {
			budget = max(budget-waited, 0)
		}
		events, end, err := t.page(ctx, &st)
		out = append(out, events...)
		if err != nil || end {
			return out, err
		}
	}
	return out, nil
}

// Drain reads to the end of the stream: every page until CloudWatch
// returns the token it was sent, however many pages that takes and however
// long the limiter makes it wait; only ctx bounds it (a wait that would
// outlast ctx's deadline fails at once). It calls progress with each
// page's events, and with none at least every MaxWait (5s when zero) while
// it waits for the limiter, so that the caller can hand the events on and
// report its progress (the cursor is then after the events handed on). On
// error, the cursor stays after the events already handed on.
func (t *LogTailer) Drain(ctx context.Context, progress func([]LogEvent)) error {
	var st readState
	beat := func() { progress(nil) }
	for {
		if _, _, err := t.awaitTurn(ctx, -1, beat); err != nil {
			return err
		}
		events, end, err := t.page(ctx, &st)
		if len(events) > 0 || end {
			progress(events)
		}
		if err != nil || end {
			return err
		}
	}
}

// readState is what a read of several pages remembers between pages.
type readState struct {
	// tokenRefused: a token was refused once already; a second refusal is
	// an error, not a loop.
	tokenRefused bool
}

// page reads one GetLogEvents page at the cursor and moves the cursor after
// its events. end reports the end of the stream: CloudWatch returned the
// token it was sent, or the stream does not exist yet. A refused token
// (expired, or from another stream) makes the cursor resume by time, once.
func (t *LogTailer) page(ctx context.Context, st *readState) (events []LogEvent, end bool, err error) {
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
	resp, err := t.api.GetLogEvents(cctx, in)
	if err != nil {
		var notFound *cwtypes.ResourceNotFoundException
		var invalid *cwtypes.InvalidParameterException
		switch {
		case errors.As(err, &notFound):
			return nil, true, nil
		case errors.As(err, &invalid) && sent != "" && !st.tokenRefused:
			st.tokenRefused = true
			t.cursor.NextToken = ""
			return nil, false, nil
		}
		return nil, false, err
	}
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
		events = append(events, LogEvent{Timestamp: time.UnixMilli(ts), Message: aws.ToString(ev.Message)})
		switch {
		case ts > t.cursor.LastTimestamp:
			t.cursor.LastTimestamp, t.cursor.SeenAtLast = ts, 1
		case ts == t.cursor.LastTimestamp:
			t.cursor.SeenAtLast++
		}
	}
	next := aws.ToString(resp.NextForwardToken)
	if next != "" {
		t.cursor.NextToken = next
	}
	return events, next == "" || next == sent, nil
}

// awaitTurn waits for the limiter to grant one call and returns how long it
// waited. When the wait would exceed budget (budget < 0: no bound) it
// gives the turn back at once and returns granted false. beat, when set, is
// called at least every MaxWait (defaultDrainBeat when zero) while waiting.
// A wait that would outlast ctx's deadline, or a limiter that can never
// grant a call, is an error.
func (t *LogTailer) awaitTurn(ctx context.Context, budget time.Duration, beat func()) (waited time.Duration, granted bool, err error) {
	if t.limiter == nil {
		return 0, true, nil
	}
	r := t.limiter.Reserve()
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
