package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
)

const (
	defaultPollInterval = 5 * time.Second
	defaultStartTimeout = 300 * time.Second
	// pollTolerance is how many polls in a row may miss the task (ECS is
	// eventually consistent) or fail before the wait gives up.
	pollTolerance = 5
)

// startProgress is WaitForTaskStart's heartbeat: a retried attempt keeps
// the original deadline and the run of persistent failures, and, when the
// task ran between two polls, resumes its output where the previous
// attempt stopped.
type startProgress struct {
	LastStatus   string            `json:"lastStatus,omitempty"`
	WaitingSince time.Time         `json:"waitingSince"`
	LogCursor    *LogCursor        `json:"logCursor,omitempty"`
	Failing      persistentFailure `json:"failing,omitzero"`
}

// WaitForTaskStart polls until the task is RUNNING, heartbeating. A task
// that has already run and stopped between two polls is returned as
// Finished (its output streamed first when StreamOutput is set, so the
// workflow can skip WaitForTaskFinish); one that stopped without running is
// a non-retryable error whose type is ECS's stopCode. At the start timeout
// the task is described once more: unless it has started (or stopped) by
// then, it is stopped and the error is TaskStartTimeout.
func (a *Activities) WaitForTaskStart(ctx context.Context, in WaitInput) (*WaitForStartResult, error) {
	ref := in.Task
	var prog startProgress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &prog)
	}
	if prog.WaitingSince.IsZero() {
		prog.WaitingSince = time.Now()
		// Recorded at once, so that a retried attempt keeps the deadline
		// even when this one ends before its first poll.
		heartbeat(ctx, prog)
	}
	beat := func() { heartbeat(ctx, prog) }
	timeout := seconds(float64(in.StartTimeoutSeconds), defaultStartTimeout)
	remaining := time.Until(prog.WaitingSince.Add(timeout))
	if remaining <= 0 {
		// A retried attempt past the deadline.
		return a.atStartDeadline(ctx, in, &prog, beat, timeout)
	}
	deadline := time.NewTimer(remaining)
	defer deadline.Stop()

	polls := a.pollTask(ref, in.PollIntervalSeconds, prog.LastStatus, &prog.Failing)
	defer polls.close()
	for {
		task, err := polls.next(ctx, deadline.C)
		switch {
		case errors.Is(err, errPastDeadline):
			return a.atStartDeadline(ctx, in, &prog, beat, timeout)
		case err != nil:
			return nil, err
		}
		prog.LastStatus = polls.status
		beat()
		if task == nil {
			continue
		}
		if res, done, err := a.startOutcome(ctx, in, task, &prog, beat); done {
			return res, err
		}
	}
}

// startOutcome is what a snapshot of the task means for WaitForTaskStart:
// started (RUNNING, or a start time), finished (it ran and stopped between
// two polls: returned with its output streamed, since the workflow then
// skips WaitForTaskFinish), failed to start (stopped without running), or
// not done yet. The output is read from prog's log cursor, which beat
// heartbeats as the lines are written.
func (a *Activities) startOutcome(ctx context.Context, in WaitInput, task *types.Task, prog *startProgress, beat func()) (*WaitForStartResult, bool, error) {
	ref := in.Task
	status := aws.ToString(task.LastStatus)
	switch {
	case status == "STOPPED" && hasRun(task):
		out := a.newOutputStream(ctx, in, prog.LogCursor)
		report, err := out.drain(ctx, func() { prog.LogCursor = out.cursor(); beat() })
		if err != nil {
			return nil, true, err
		}
		r := taskResult(ref, task)
		r.Output = report
		a.reportExit(ctx, ref, r)
		return &WaitForStartResult{LastStatus: status, Finished: r}, true, nil
	case status == "STOPPED":
		return nil, true, a.failedToStart(ref, task)
	case status == "RUNNING" || task.StartedAt != nil:
		loc := a.outputLocation(ref)
		return &WaitForStartResult{LastStatus: status, Output: &loc}, true, nil
	}
	return nil, false, nil
}

// atStartDeadline takes a last look at the task before stopping it, so
// that one which started (or even ran and stopped) since the previous poll
// is reported as such rather than stopped. When the look fails or the task
// has still not started, it is stopped. The output of a task that ran is
// read as startOutcome does.
func (a *Activities) atStartDeadline(ctx context.Context, in WaitInput, prog *startProgress, beat func(), timeout time.Duration) (*WaitForStartResult, error) {
	ref := in.Task
	task, err := describeTask(ctx, a.clients.get(ref.Region, ref.RoleArn).ECS, ref.cluster(), ref.TaskArn)
	switch {
	case err != nil:
		a.logger(ctx).Warn("Cannot describe the ECS task at its start deadline: stopping it", "taskArn", ref.TaskArn, "error", err)
	case task != nil:
		if res, done, err := a.startOutcome(ctx, in, task, prog, beat); done {
			return res, err
		}
	}
	return nil, a.stopAfterStartTimeout(ctx, ref, timeout)
}

// describeTask describes one task of cluster (empty: the default
// cluster) directly, not through the watcher; nil when ECS does not
// describe it.
func describeTask(ctx context.Context, api ECSAPI, cluster, taskArn string) (*types.Task, error) {
	in := &ecs.DescribeTasksInput{Tasks: []string{taskArn}}
	if cluster != "" {
		in.Cluster = aws.String(cluster)
	}
	out, err := api.DescribeTasks(ctx, in)
	if err != nil || len(out.Tasks) == 0 {
		return nil, err
	}
	return &out.Tasks[0], nil
}

// failedToStart is the error of a task that stopped without running: its
// type is ECS's stopCode, its message the stoppedReason, and its details
// the task's result.
func (a *Activities) failedToStart(ref TaskRef, task *types.Task) error {
	code := string(task.StopCode)
	if code == "" {
		code = ErrTaskFailedToStart
	}
	reason := aws.ToString(task.StoppedReason)
	if reason == "" {
		reason = "the ECS task stopped before it started"
	}
	if stoppedForLogsPermissions(reason) {
		reason += "; the task's execution role needs logs:CreateLogStream, logs:CreateLogGroup and logs:PutLogEvents"
	}
	return temporal.NewNonRetryableApplicationError(reason, code, nil, taskResult(ref, task))
}

// stopAfterStartTimeout stops a task that did not start in time, so that
// none is left running behind the failed job. A failed StopTask is a
// retryable error of the StopTask error's type: the retried attempt, past
// the deadline, stops it again (unless the type is one the workflow does
// not retry, such as ClusterNotFound).
func (a *Activities) stopAfterStartTimeout(ctx context.Context, ref TaskRef, timeout time.Duration) error {
	msg := fmt.Sprintf("ECS task %s did not start within %s", ref.TaskArn, timeout)
	err := a.StopTask(ctx, StopInput{
		Region: ref.Region, RoleArn: ref.RoleArn, Identifier: ref.Identifier, Owner: ref.Owner,
		Reason: fmt.Sprintf("Task start timeout: not RUNNING after %s", timeout),
	})
	if err != nil {
		typ := ""
		var app *temporal.ApplicationError
		if errors.As(err, &app) {
			typ = app.Type()
		}
		return temporal.NewApplicationErrorWithCause(msg+", and stopping it failed: "+err.Error(), typ, err)
	}
	return temporal.NewNonRetryableApplicationError(msg+"; it was stopped", ErrTaskStartTimeout, nil)
}

// watch subscribes to the task's snapshots.
func (a *Activities) watch(ref TaskRef, pollSeconds float64) *subscription {
	return a.watcher.Watch(a.clients.key(ref.Region, ref.RoleArn), ref.cluster(), ref.TaskArn, seconds(pollSeconds, defaultPollInterval))
}

// taskPolls is a watched task's snapshots as a wait reads them. It
// tolerates a few polls in a row that miss the task or fail, and logs each
// new status. Polls failing with an error that retrying cannot fix are
// tolerated for limit at most, across attempts: then the task is stopped
// and the wait fails (failedPersistently). The caller must close it.
type taskPolls struct {
	a   *Activities
	sub *subscription
	ref TaskRef
	// status is the last status seen (or reported by an earlier attempt).
	status           string
	misses, failures int
	// failing is the wait's heartbeated run of persistent failures.
	failing *persistentFailure
	limit   time.Duration
	// endWait ends the wait's share of the running gauge (metrics.go).
	endWait func()
}

// errPastDeadline is taskPolls.next's error when its deadline fires first.
var errPastDeadline = errors.New("deadline passed before the next poll")

// pollTask subscribes to the task's snapshots; status is the last status
// already reported, which is not logged again, and failing the wait's
// heartbeated run of persistent failures, which the polls update.
func (a *Activities) pollTask(ref TaskRef, pollSeconds float64, status string, failing *persistentFailure) *taskPolls {
	return &taskPolls{a: a, sub: a.watch(ref, pollSeconds), ref: ref, status: status,
		failing: failing, limit: a.opts.PersistentErrorLimit, endWait: a.metrics.waitBegan(ref.TaskArn)}
}

func (p *taskPolls) close() { p.endWait(); p.sub.Close() }

// next waits for the next snapshot and returns its task, nil to keep
// waiting (a poll that missed the task or failed, within the tolerance).
// Its error is the activity's cancellation, WorkerStopping when the
// watcher stops, errPastDeadline when deadline (nil: none) fires first,
// the poll's failure once the tolerance is spent, or the non-retryable
// error of a wait given up on a persistent failure.
func (p *taskPolls) next(ctx context.Context, deadline <-chan time.Time) (*types.Task, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-p.sub.Done():
		return nil, errWorkerStopping()
	case <-deadline:
		return nil, errPastDeadline
	case snap := <-p.sub.C():
		task, err := p.observe(ctx, snap)
		if task != nil {
			if status := aws.ToString(task.LastStatus); status != p.status {
				p.a.logger(ctx).Info("ECS task status", "status", status, "taskArn", p.ref.TaskArn)
				p.status = status
				if status == "STOPPED" {
					p.sawStopped(task)
				}
			}
		}
		return task, err
	}
}

// observe returns the snapshot's task, nil to keep waiting, or an error
// once the tolerance (or the limit of persistent failures) is spent.
func (p *taskPolls) observe(ctx context.Context, snap taskSnapshot) (*types.Task, error) {
	ref := p.ref
	if snap.Err == nil {
		p.describedAgain(ctx)
	}
	switch {
	case snap.Err != nil:
		if isClusterNotFound(snap.Err) {
			return nil, classified(ErrClusterNotFound,
				fmt.Sprintf("cluster %q of task %s was not found", ref.ClusterArn, ref.TaskArn), snap.Err)
		}
		if err := p.failedPersistently(ctx, snap.Err); err != nil {
			return nil, err
		}
		p.failures++
		if p.failures > pollTolerance {
			return nil, wrapAWS(snap.Err, "describe task %s", ref.TaskArn)
		}
		return nil, nil
	case snap.Missing:
		p.misses++
		if p.misses > pollTolerance {
			return nil, temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("ECS does not describe task %s (%s) after %d polls", ref.TaskArn, snap.Reason, p.misses),
				ErrTaskNotFound, nil)
		}
		return nil, nil
	}
	p.misses, p.failures = 0, 0
	return snap.Task, nil
}

// seconds converts a job's seconds, using def when not positive.
func seconds(s float64, def time.Duration) time.Duration {
	if s <= 0 {
		return def
	}
	return time.Duration(s * float64(time.Second))
}
