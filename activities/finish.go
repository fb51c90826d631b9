package activities

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.temporal.io/sdk/activity"
)

// finishProgress is WaitForTaskFinish's heartbeat: a retried attempt of the
// same task resumes its log stream where the previous one stopped, and
// keeps its run of persistent failures.
type finishProgress struct {
	TaskArn    string            `json:"taskArn"`
	LastStatus string            `json:"lastStatus,omitempty"`
	LogCursor  *LogCursor        `json:"logCursor,omitempty"`
	Failing    persistentFailure `json:"failing,omitzero"`
}

// WaitForTaskFinish polls until the task is STOPPED, heartbeating its
// status and log cursor on every poll, and returns its result. With
// StreamOutput, each poll also writes the container's new awslogs lines to
// the activity logger; a retried attempt resumes from the last heartbeat.
func (a *Activities) WaitForTaskFinish(ctx context.Context, in WaitInput) (*TaskResult, error) {
	ref := in.Task
	prog := finishProgress{TaskArn: ref.TaskArn}
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		var prev finishProgress
		if err := activity.GetHeartbeatDetails(ctx, &prev); err == nil && prev.TaskArn == ref.TaskArn {
			prog = prev
		}
	}
	out := a.newOutputStream(ctx, in, prog.LogCursor)
	// beat heartbeats the status and the log cursor after the lines written.
	beat := func() {
		prog.LogCursor = out.cursor()
		heartbeat(ctx, prog)
	}

	polls := a.pollTask(ref, in.PollIntervalSeconds, prog.LastStatus, &prog.Failing)
	defer polls.close()
	for {
		task, err := polls.next(ctx, nil)
		if err != nil {
			return nil, err
		}
		prog.LastStatus = polls.status
		if task == nil || aws.ToString(task.LastStatus) != "STOPPED" {
			if err := out.pump(ctx); err != nil {
				return nil, err
			}
			beat()
			continue
		}
		// Every line, the last ones included, is read before the result:
		// the drain heartbeats as it goes.
		if err := out.drain(ctx, beat); err != nil {
			return nil, err
		}
		beat()
		r := taskResult(ref, task)
		a.reportExit(ctx, ref, r)
		return r, nil
	}
}

// outputStream writes a container's new log lines to the activity logger;
// it is inert when streaming is off or impossible.
type outputStream struct {
	a      *Activities
	tailer *LogTailer
	attrs  []any
}

func (a *Activities) newOutputStream(ctx context.Context, in WaitInput, cursor *LogCursor) *outputStream {
	out := &outputStream{a: a}
	if !in.StreamOutput {
		return out
	}
	ref := in.Task
	if ref.LogGroup == "" || ref.LogStream == "" {
		a.logger(ctx).Warn("Container has no awslogs log configuration with a stream prefix: output cannot be streamed",
			"container", ref.ContainerName, "taskArn", ref.TaskArn)
		return out
	}
	region := ref.LogRegion
	if region == "" {
		region = ref.Region
	}
	// A poll never waits for the shared rate limiter longer than the poll
	// interval, so that the activity heartbeats in time however many tasks
	// stream at once; the lines left come at the next poll.
	opts := LogTailerOptions{Limiter: a.logLimit, PageSize: a.opts.LogPageSize,
		MaxWait: seconds(in.PollIntervalSeconds, defaultPollInterval)}
	if cursor != nil {
		opts.Cursor = *cursor
	}
	out.tailer = NewLogTailer(a.clients.get(region, ref.RoleArn).Logs, ref.LogGroup, ref.LogStream, opts)
	out.attrs = []any{"workflowId", in.WorkflowID, "taskId", taskID(ref.TaskArn), "container", ref.ContainerName}
	a.logger(ctx).Info("Streaming container output", "container", ref.ContainerName,
		"logGroup", ref.LogGroup, "logStream", ref.LogStream)
	return out
}

// pump writes the lines written since the last call, waiting for the
// worker's log rate limiter at most one poll interval. Failing to read the
// logs is not the job's failure: it is logged and the wait goes on; only
// the activity's cancellation stops it.
func (o *outputStream) pump(ctx context.Context) error {
	if o.tailer == nil {
		return nil
	}
	events, err := o.tailer.Next(ctx)
	o.write(ctx, events)
	return o.readError(ctx, err)
}

// drain writes every line left in the stream, however long the rate limiter
// makes it wait, calling beat after each page and while it waits. Failures
// are handled as pump's.
func (o *outputStream) drain(ctx context.Context, beat func()) error {
	if o.tailer == nil {
		return nil
	}
	err := o.tailer.Drain(ctx, func(events []LogEvent) {
		o.write(ctx, events)
		beat()
	})
	return o.readError(ctx, err)
}

// write logs the events, one line each, with the task's attributes.
func (o *outputStream) write(ctx context.Context, events []LogEvent) {
	log := o.a.logger(ctx)
	for _, ev := range events {
		log.Info(ev.Message, o.attrs...)
	}
}

// readError returns the activity's cancellation; any other read failure is
// only logged.
func (o *outputStream) readError(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return ctx.Err()
	}
	o.a.logger(ctx).Warn("Failed to read the container's log events", append([]any{"error", err}, o.attrs...)...)
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
