package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// pendingWait is a wait activity still in flight when the task is stopped:
// it observes the stop, so that whatever it streams is streamed once.
type pendingWait struct {
	fut    workflow.Future
	cancel workflow.CancelFunc
	// start is set for a WaitForTaskStart (its result is a
	// WaitForStartResult), unset for a WaitForTaskFinish.
	start bool
}

// cancelled ends a cancelled workflow whose task runs: see abort. inflight
// is a wait activity still running, which then observes the stop.
func (r *run) cancelled(inflight *pendingWait) (*activities.TaskResult, error) {
	return r.abort(inflight, nil)
}

// failed ends, with cause, a failing workflow whose task runs: see abort.
func (r *run) failed(cause error) (*activities.TaskResult, error) {
	return r.abort(nil, cause)
}

// abort stops the task after a cancellation (cause nil) or a failure
// (cause), waits a bounded time until it is STOPPED, deregisters when
// configured, and returns the workflow's outcome. inflight is a wait
// activity still running, which then observes the stop; without one, or
// when it ends without the task's result, a fresh bounded wait does,
// streaming logs only when no earlier wait streamed them (r.streamed).
func (r *run) abort(inflight *pendingWait, cause error) (*activities.TaskResult, error) {
	reason := "workflow cancelled"
	if cause != nil {
		reason = "workflow failed"
		r.logger.Error("Ending the task of a failing workflow", "TaskArn", r.task.TaskArn, "Error", cause)
	}
	r.setPhase(PhaseStopping)
	var res *activities.TaskResult
	var stopErr error
	if !r.stopped {
		stopErr = r.stopTask(reason)
	}
	if stopErr != nil {
		r.warn("could not stop task "+r.task.TaskArn, stopErr)
		if inflight != nil {
			inflight.cancel()
		}
	} else {
		res = r.awaitStopped(inflight, !r.streamed)
	}
	if res != nil {
		r.status.setResult(res)
	}
	r.deregister()
	switch {
	case cause != nil:
		return nil, cause
	case stopErr != nil:
		return nil, temporal.NewNonRetryableApplicationError(
			"workflow cancelled, but could not stop task "+r.task.TaskArn, ErrStopTaskFailed, stopErr)
	case res != nil:
		return nil, temporal.NewCanceledError(res)
	default:
		return nil, temporal.NewCanceledError()
	}
}

func (r *run) stopTask(reason string) error {
	opts := stopOptions(r.taskSummary("StopTask") + ": " + reason)
	if r.owned {
		opts = stopUntilDoneOptions(opts)
	}
	ctx := workflow.WithActivityOptions(r.cleanup, opts)
	in := activities.StopInput{
		Region:     r.job.Region,
		RoleArn:    r.job.RoleArn,
		Cluster:    r.job.Cluster,
		Identifier: r.task.Identifier,
		Reason:     reason,
		Owner:      r.task.Owner,
	}
	return workflow.ExecuteActivity(ctx, a.StopTask, in).Get(ctx, nil)
}

// awaitStopped waits, for at most stoppedWait (twice that when a wait in
// flight ends without the result), until the stopped task is STOPPED, and
// returns its result, or nil when it could not tell.
func (r *run) awaitStopped(inflight *pendingWait, stream bool) *activities.TaskResult {
	if inflight != nil {
		res, again := r.awaitInflight(inflight)
		if !again {
			return res
		}
	}
	ctx := workflow.WithActivityOptions(r.cleanup, r.onWaitQueue(stoppedWaitOptions(r.job, r.taskSummary("WaitForTaskFinish")+" after StopTask")))
	var res activities.TaskResult
	if err := workflow.ExecuteActivity(ctx, a.WaitForTaskFinish, r.waitInput(stream)).Get(ctx, &res); err != nil {
		r.warn("could not confirm that task "+r.task.TaskArn+" stopped", err)
		return nil
	}
	return &res
}

// awaitInflight waits, for at most stoppedWait, until the wait in flight
// observes the stop, and returns the task's result, or nil when it could
// not tell. again is set when a WaitForTaskStart ended without the result
// and without streaming anything: a fresh wait must confirm the stop.
func (r *run) awaitInflight(inflight *pendingWait) (res *activities.TaskResult, again bool) {
	timerCtx, cancelTimer := workflow.WithCancel(r.cleanup)
	defer cancelTimer()
	defer inflight.cancel()
	timer := workflow.NewTimerWithOptions(timerCtx, stoppedWait, workflow.TimerOptions{Summary: "wait for the stopped task"})
	sel := workflow.NewSelector(r.cleanup)
	sel.AddFuture(inflight.fut, func(f workflow.Future) {
		if inflight.start {
			res, again = r.startWaitOutcome(f)
			return
		}
		var out activities.TaskResult
		if err := f.Get(r.cleanup, &out); err != nil {
			r.warn("could not confirm that task "+r.task.TaskArn+" stopped", err)
			return
		}
		res = &out
	})
	sel.AddFuture(timer, func(workflow.Future) {
		r.warn("could not confirm that task "+r.task.TaskArn+" stopped",
			fmt.Errorf("still not STOPPED %s after StopTask", stoppedWait))
	})
	sel.Select(r.cleanup)
	return res, again
}

// startWaitOutcome reads what a WaitForTaskStart that was in flight during
// StopTask saw. A task that ran and stopped comes back finished, its output
// streamed; one stopped before it ran comes back as an error carrying its
// result. Anything else (the task seen RUNNING, a failed wait) streamed
// nothing and leaves the stop to be confirmed by a fresh wait.
func (r *run) startWaitOutcome(f workflow.Future) (res *activities.TaskResult, again bool) {
	var started activities.WaitForStartResult
	err := f.Get(r.cleanup, &started)
	switch {
	case err == nil && started.Finished != nil:
		return started.Finished, false
	case err == nil:
		r.status.LastStatus = started.LastStatus
		return nil, true
	}
	if res := errResult(err); res != nil {
		return res, false
	}
	r.logger.Info("The wait for the start ended without the stopped task's result", "TaskArn", r.task.TaskArn, "Error", err)
	return nil, true
}

// deregister deregisters the task definition once, when the job asks to
// and this run registered it. A failure is a warning: the job's outcome
// stands.
func (r *run) deregister() {
	if r.deregistered || r.job == nil || !r.job.AutoDeregister || r.reg == nil || !r.reg.Registered {
		return
	}
	r.deregistered = true
	r.setPhase(PhaseDeregistering)
	ctx := workflow.WithActivityOptions(r.cleanup,
		deregisterOptions("DeregisterTaskDefinition "+shortArn(r.reg.TaskDefinitionArn)))
	in := activities.DeregisterInput{Region: r.job.Region, RoleArn: r.job.RoleArn, TaskDefinitionArn: r.reg.TaskDefinitionArn}
	if err := workflow.ExecuteActivity(ctx, a.DeregisterTaskDefinition, in).Get(ctx, nil); err != nil {
		r.warn("could not deregister task definition "+r.reg.TaskDefinitionArn, err)
	}
}
