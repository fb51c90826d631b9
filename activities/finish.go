package activities

import (
	"context"

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
// StreamOutput, polls also write the container's new awslogs lines to the
// activity logger, one record per line with its position (logStream,
// eventTimestamp, eventIndex), heartbeating the cursor after each page;
// after STOPPED it reads on until the stream has been quiet for
// Options.LogGrace. The result's Output says whether every line was read.
//
// The cursor is recorded after the lines it covers are written: a retried
// attempt (after a worker crash) skips no line, and repeats those written
// since the last heartbeat Temporal received, with the same positions.
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
			if err := out.pump(ctx, beat); err != nil {
				return nil, err
			}
			beat()
			continue
		}
		// Every line, the last ones included, is read before the result:
		// the drain heartbeats as it goes.
		report, err := out.drain(ctx, beat)
		if err != nil {
			return nil, err
		}
		beat()
		r := taskResult(ref, task)
		r.Output = report
		a.reportExit(ctx, ref, r)
		return r, nil
	}
}
