package activities

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/smithy-go"
)

// OutputReport is what a wait activity knows of the container's output:
// where it is and whether the worker read all of it.
type OutputReport struct {
	// Complete is set only when the worker read the stream to its end and
	// the stream then stayed quiet for the grace period after the task
	// stopped (Options.LogGrace): every line the container wrote is in the
	// worker's log.
	Complete bool `json:"complete"`
	// Reason says why the output is not complete: not streamed, no
	// awslogs stream, or what kept the worker from reading it.
	Reason string `json:"reason,omitempty"`
	// LogGroup, LogStream and LogRegion locate the orchestrated
	// container's awslogs stream; empty without one.
	LogGroup  string `json:"logGroup,omitempty"`
	LogStream string `json:"logStream,omitempty"`
	LogRegion string `json:"logRegion,omitempty"`
	// ConsoleURL opens the stream in the CloudWatch console; empty when
	// the worker's AWS endpoint is not AWS's own (a local endpoint).
	ConsoleURL string `json:"consoleUrl,omitempty"`
	// Lines is the number of events the worker read from the stream's
	// head, across attempts: all of them when Complete.
	Lines int64 `json:"lines"`
}

// Reasons of an incomplete OutputReport that are not read failures.
const (
	reasonNotStreamed = "not read by the worker: the job does not stream its output (streamOutput is false)"
	reasonNoStream    = "the container has no awslogs log configuration with a stream prefix: there is no log stream to read"
)

// LogStreamConsoleURL returns the address of a log stream in the
// CloudWatch console of region's partition (aws, aws-cn, aws-us-gov).
func LogStreamConsoleURL(region, group, stream string) string {
	host := "console.aws.amazon.com"
	switch {
	case strings.HasPrefix(region, "cn-"):
		host = "console.amazonaws.cn"
	case strings.HasPrefix(region, "us-gov-"):
		host = "console.amazonaws-us-gov.com"
	}
	// The console's fragment escapes names twice, with '$' for '%'.
	esc := func(s string) string {
		return strings.ReplaceAll(uriComponent(uriComponent(s)), "%", "$")
	}
	return fmt.Sprintf("https://%s/cloudwatch/home?region=%s#logsV2:log-groups/log-group/%s/log-events/%s",
		host, url.QueryEscape(region), esc(group), esc(stream))
}

// uriComponent escapes s as JavaScript's encodeURIComponent does, which
// the console's addresses are built with.
func uriComponent(s string) string {
	const unreserved = "-_.!~*'()"
	var b strings.Builder
	for _, c := range []byte(s) {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(unreserved, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// outputLocation returns the report of a task's output before it is read:
// its stream, when it has one, and the console address of the stream when
// the worker calls AWS's own endpoints.
func (a *Activities) outputLocation(ref TaskRef) OutputReport {
	if ref.LogGroup == "" || ref.LogStream == "" {
		return OutputReport{Reason: reasonNoStream}
	}
	r := OutputReport{LogGroup: ref.LogGroup, LogStream: ref.LogStream, LogRegion: ref.LogRegion}
	region := ref.LogRegion
	if region == "" {
		region = a.clients.key(ref.Region, ref.RoleArn).Region
	}
	if a.opts.AWS.BaseEndpoint == nil && region != "" {
		r.ConsoleURL = LogStreamConsoleURL(region, ref.LogGroup, ref.LogStream)
	}
	return r
}

// outputStream writes a container's new log lines to the activity logger,
// one structured record per line carrying its position; it is inert when
// streaming is off or impossible, and then reports why.
type outputStream struct {
	a      *Activities
	tailer *LogTailer
	attrs  []any
	// report is the output's location and, when not streaming, why.
	report OutputReport
	// lastErr is the code of the last read failure logged, so that a
	// failure repeated poll after poll is logged once.
	lastErr string
}

func (a *Activities) newOutputStream(ctx context.Context, in WaitInput, cursor *LogCursor) *outputStream {
	ref := in.Task
	out := &outputStream{a: a, report: a.outputLocation(ref)}
	if !in.StreamOutput {
		if out.report.Reason == "" {
			out.report.Reason = reasonNotStreamed
		}
		return out
	}
	if ref.LogGroup == "" || ref.LogStream == "" {
		a.logger(ctx).Warn("Container has no awslogs log configuration with a stream prefix: output cannot be streamed",
			"container", ref.ContainerName, "taskArn", ref.TaskArn)
		return out
	}
	region := ref.LogRegion
	if region == "" {
		region = ref.Region
	}
	poll := seconds(in.PollIntervalSeconds, defaultPollInterval)
	// A poll never waits for the shared budget longer than the poll
	// interval, so that the activity heartbeats in time however many tasks
	// stream at once; the lines left come at the next poll. While the
	// stream stays empty, reads are spaced out up to LogIdleMax.
	opts := LogTailerOptions{Budget: a.logBudget, PageSize: a.opts.logPageSize, MaxWait: poll,
		PollEvery: poll, IdleMax: a.opts.LogIdleMax}
	if cursor != nil {
		opts.Cursor = *cursor
	}
	out.tailer = NewLogTailer(a.clients.get(region, ref.RoleArn).Logs, ref.LogGroup, ref.LogStream, opts)
	out.attrs = []any{"workflowId", in.WorkflowID, "taskId", taskID(ref.TaskArn), "container", ref.ContainerName,
		"logStream", ref.LogStream}
	a.logger(ctx).Info("Streaming container output", "container", ref.ContainerName,
		"logGroup", ref.LogGroup, "logStream", ref.LogStream)
	return out
}

// pump writes the lines written since the last read, when a read is due
// (reads are spaced out while the stream stays empty), calling beat after
// each page: the cursor is heartbeated between pages, whatever their
// latency. It waits for the worker's budget at most one poll interval.
// Failing to read the logs is not the job's failure: it is logged and the
// wait goes on; only the activity's cancellation stops it.
func (o *outputStream) pump(ctx context.Context, beat func()) error {
	if o.tailer == nil {
		return nil
	}
	_, err := o.tailer.Poll(ctx, func(events []LogEvent) {
		o.write(ctx, events)
		beat()
	})
	return o.readError(ctx, err)
}

// drain writes every line left in the stream of a stopped task, then goes
// on reading until the stream has been quiet for the grace period,
// calling beat after each page and while it waits. It returns the output's
// report: complete, or why not. Its error is the activity's cancellation.
func (o *outputStream) drain(ctx context.Context, beat func()) (*OutputReport, error) {
	report := o.report
	if o.tailer == nil {
		return &report, nil
	}
	res, err := o.tailer.Drain(ctx, DrainOptions{
		Grace: o.a.opts.LogGrace, RetryFor: o.a.opts.LogDrainRetry, RetryDelay: o.a.opts.logRetryDelay, Beat: beat,
	}, func(events []LogEvent) {
		o.write(ctx, events)
		beat()
	})
	if err != nil {
		return nil, err
	}
	report.Complete, report.Reason, report.Lines = res.Complete, res.Reason, o.tailer.Cursor().Events
	if !res.Complete {
		o.a.logger(ctx).Warn("The container's output may be incomplete in this log", "reason", res.Reason,
			"logGroup", report.LogGroup, "logStream", report.LogStream)
	}
	return &report, nil
}

// write logs the events, one record each, with the task's attributes and
// the event's position: log stream, eventTimestamp (Unix milliseconds)
// and eventIndex (its rank among the events of that millisecond), the
// same on every read of the stream.
func (o *outputStream) write(ctx context.Context, events []LogEvent) {
	log := o.a.logger(ctx)
	n := len(o.attrs)
	attrs := make([]any, n, n+4)
	copy(attrs, o.attrs)
	for _, ev := range events {
		log.Info(ev.Message, append(attrs[:n], "eventTimestamp", ev.Timestamp.UnixMilli(), "eventIndex", ev.Index)...)
	}
	o.a.metrics.linesStreamed(len(events))
}

// readError returns the activity's cancellation; any other read failure is
// only logged: at debug for throttling (the budget adapts), else as a
// warning, once for a failure that repeats poll after poll.
func (o *outputStream) readError(ctx context.Context, err error) error {
	if err == nil {
		o.lastErr = ""
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	log := o.a.logger(ctx)
	attrs := append([]any{"error", err}, o.attrs...)
	if isThrottle(err) {
		log.Debug("Reading the container's log events was throttled; reading on at a slower rate", attrs...)
		return nil
	}
	code := err.Error()
	var ae smithy.APIError
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	if code != o.lastErr {
		log.Warn("Failed to read the container's log events", attrs...)
		o.lastErr = code
	}
	return nil
}

// cursor is the position to heartbeat; nil when not streaming.
func (o *outputStream) cursor() *LogCursor {
	if o.tailer == nil {
		return nil
	}
	c := o.tailer.Cursor()
	return &c
}
