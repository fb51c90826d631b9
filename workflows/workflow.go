package workflows

import (
	"encoding/json"
	"fmt"
	"slices"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// a schedules the activities by method: only the names are used.
var a *activities.Activities

// RunECSTask runs one ECS task to completion. Its input is the job
// configuration JSON exactly as given (json.RawMessage), so that the
// PrepareTaskDefinition activity validates it strictly (unknown fields are
// errors) and merges it onto the worker's defaults.
//
// It prepares the task definition, gets or registers it, runs the task
// (idempotently: the client token derives from this execution), waits for
// it to start and then to stop, and deregisters the definition when the job
// asks to and this run registered it. It returns the task's result; a
// non-zero exit fails it with ErrTaskExitedNonZero unless allowNonZeroExit.
//
// Cancelled before RunTask, it starts no task. Cancelled later, or failing
// after RunTask, it stops the task (StopTask), waits a bounded time until
// the task is STOPPED and deregisters when configured, on a disconnected
// context: no ECS task outlives its workflow. When RunTask itself gives up,
// the tasks carrying the workflow's startedBy are stopped, in case a lost
// response started one. A shared task definition found INACTIVE at RunTask
// is registered again, once. The StatusQuery reports progress, and the
// workflow's current details mirror it in the Web UI.
func RunECSTask(ctx workflow.Context, jobConfig json.RawMessage) (*activities.TaskResult, error) {
	cleanup, _ := workflow.NewDisconnectedContext(ctx)
	r := &run{ctx: ctx, cleanup: cleanup, logger: workflow.GetLogger(ctx), upserted: map[string]any{}}
	err := workflow.SetQueryHandlerWithOptions(ctx, StatusQuery, r.query, workflow.QueryHandlerOptions{
		Description: "phase, task ARN, cluster, last ECS status, exit code and log stream of the job",
	})
	if err != nil {
		return nil, fmt.Errorf("register the %s query: %w", StatusQuery, err)
	}
	res, err := r.execute(jobConfig)
	r.end(err)
	return res, err
}

// run is the state of one RunECSTask execution.
type run struct {
	// ctx is cancelled when the workflow is; cleanup never is.
	ctx     workflow.Context
	cleanup workflow.Context
	logger  log.Logger

	status Status
	job    *job.Prepared
	reg    *activities.RegisterResult
	// task is set once RunTask returned: from then on, every way out of
	// the workflow stops it.
	task *activities.TaskRef
	// stopped is set when an activity has already stopped the task: abort
	// then only waits until it is STOPPED.
	stopped bool
	// streamed is set once a WaitForTaskFinish that streams the output was
	// scheduled: a wait after StopTask then streams nothing again.
	streamed     bool
	deregistered bool
	// owned is set when the execution runs with changeOwnedTasks; tokens
	// counts the client tokens its RunTask activities have used.
	owned  bool
	tokens int
	// attempts are the tasks that ended, in order (changeHonestOutcomes);
	// retrying is set when the last one was interrupted and runs again.
	attempts []activities.TaskAttempt
	retrying bool
	// searchAttributes is set when the execution upserts its search
	// attributes (changeSearchAttributes); upserted holds their values.
	searchAttributes bool
	upserted         map[string]any
}

func (r *run) query() (Status, error) { return r.status.clone(), nil }

func (r *run) execute(jobConfig json.RawMessage) (*activities.TaskResult, error) {
	if err := r.prepare(jobConfig); err != nil {
		return nil, r.endBeforeTask(err)
	}
	if err := r.register(""); err != nil {
		return nil, r.endBeforeTask(err)
	}
	if err := r.ctx.Err(); err != nil {
		return nil, r.endBeforeTask(err)
	}
	for {
		if err := r.runTask(); err != nil {
			return nil, r.endBeforeTask(err)
		}
		res, err := r.watch()
		if !r.retrying {
			return res, err
		}
		r.retrying, r.task, r.stopped, r.streamed = false, nil, false, false
	}
}

func (r *run) prepare(jobConfig json.RawMessage) error {
	r.setPhase(PhasePreparing)
	ctx := workflow.WithActivityOptions(r.ctx, prepareOptions())
	var p job.Prepared
	err := workflow.ExecuteActivity(ctx, a.PrepareTaskDefinition, activities.PrepareInput{Job: jobConfig}).Get(ctx, &p)
	if err != nil {
		return stepError("could not prepare the job", "", err)
	}
	r.job = &p
	upsert := r.changed(changeSearchAttributes)
	r.searchAttributes = upsert && p.SearchAttributes
	r.status.Image, r.status.Cluster, r.status.TaskDefinitionArn = p.Image, p.Cluster, p.TaskDefinitionArn
	for _, w := range p.Warnings {
		r.logger.Warn("Job configuration warning", "warning", w)
		r.status.Warnings = append(r.status.Warnings, w)
	}
	return nil
}

// register gets or registers the job's task definition; note, if any,
// completes the activity's summary.
func (r *run) register(note string) error {
	r.setPhase(PhaseRegistering)
	ctx := workflow.WithActivityOptions(r.ctx, registerOptions(registerSummary(r.job)+note))
	var reg activities.RegisterResult
	if err := workflow.ExecuteActivity(ctx, a.GetOrRegisterTaskDefinition, r.job).Get(ctx, &reg); err != nil {
		return stepError("could not get or register the task definition", "", err)
	}
	r.reg = &reg
	r.status.TaskDefinitionArn = reg.TaskDefinitionArn
	return nil
}

// watch waits for the running task to start and then to stop. The wait
// activities run on the disconnected context so that a cancellation does
// not interrupt them: after StopTask, the wait in flight sees the task stop
// and streams its last log lines, without repeating any.
//
// WaitForTaskStart streams too: a task that runs and stops between two of
// its polls is reported finished with its output streamed, and no
// WaitForTaskFinish follows. Hence a cancellation while waiting for the
// start does not cancel that wait (it may be streaming), but lets it
// observe the stop (changeStartWaitStreams).
func (r *run) watch() (*activities.TaskResult, error) {
	if r.ctx.Err() != nil { // cancelled while RunTask was in flight
		return r.cancelled(nil)
	}
	r.setPhase(PhaseWaitingForStart)
	streams := r.changed(changeStartWaitStreams)
	startCtx, cancelStart := workflow.WithCancel(r.cleanup)
	startCtx = workflow.WithActivityOptions(startCtx, r.onWaitQueue(waitStartOptions(r.job, r.taskSummary("WaitForTaskStart"))))
	startFut := workflow.ExecuteActivity(startCtx, a.WaitForTaskStart, r.waitInput(streams))
	if !r.awaitUnlessCancelled(startFut) {
		if !streams {
			cancelStart() // it streams nothing: a fresh wait after StopTask loses nothing
			return r.cancelled(nil)
		}
		return r.cancelled(&pendingWait{fut: startFut, cancel: cancelStart, start: true})
	}
	var started activities.WaitForStartResult
	if err := startFut.Get(r.cleanup, &started); err != nil {
		if res := errResult(err); res != nil {
			r.status.setResult(res) // stopped before it ran: known now, whatever the wait after StopTask learns
		}
		if !outOfTime(err) && errType(err) == activities.ErrTaskStartTimeout {
			stoppedByTheWait := r.changed(changeStartTimeoutStopped)
			r.stopped = stoppedByTheWait
		}
		return r.failed(stepError("the task did not start", activities.ErrTaskStartTimeout, err))
	}
	if started.Finished != nil {
		return r.complete(started.Finished)
	}
	r.status.LastStatus = started.LastStatus
	r.status.setOutput(started.Output, false)
	if r.ctx.Err() != nil {
		return r.cancelled(nil)
	}

	r.setPhase(PhaseRunning)
	finishCtx, cancelFinish := workflow.WithCancel(r.cleanup)
	finishCtx = workflow.WithActivityOptions(finishCtx, r.onWaitQueue(waitFinishOptions(r.job, r.taskSummary("WaitForTaskFinish"))))
	finishFut := workflow.ExecuteActivity(finishCtx, a.WaitForTaskFinish, r.waitInput(true))
	r.streamed = true // from here on, a wait after StopTask must not stream the lines again
	if !r.awaitUnlessCancelled(finishFut) {
		return r.cancelled(&pendingWait{fut: finishFut, cancel: cancelFinish})
	}
	var res activities.TaskResult
	if err := finishFut.Get(r.cleanup, &res); err != nil {
		return r.failed(stepError("could not wait for the task to finish", "", err))
	}
	return r.complete(&res)
}

// onWaitQueue puts a wait activity on the execution's wait queue since
// changeOwnedTasks: the waits then hold slots of their own, and never the
// ones that RunTask and StopTask need.
func (r *run) onWaitQueue(o workflow.ActivityOptions) workflow.ActivityOptions {
	if r.owned {
		o.TaskQueue = WaitQueue(workflow.GetInfo(r.ctx).TaskQueueName)
	}
	return o
}

// awaitUnlessCancelled blocks until f is ready or the workflow is
// cancelled, and reports whether f is ready.
func (r *run) awaitUnlessCancelled(f workflow.Future) bool {
	ready := false
	sel := workflow.NewSelector(r.cleanup)
	sel.AddFuture(f, func(workflow.Future) { ready = true })
	sel.AddReceive(r.ctx.Done(), func(c workflow.ReceiveChannel, _ bool) { c.Receive(r.cleanup, nil) })
	sel.Select(r.cleanup)
	return ready
}

// complete ends the workflow for a task that stopped without this
// workflow stopping it, or, for a task the infrastructure interrupted with
// retries left, sets r.retrying for execute to run it again.
func (r *run) complete(res *activities.TaskResult) (*activities.TaskResult, error) {
	defer r.recordStoppedToClose(res)
	r.status.setResult(res)
	r.logger.Info("Task stopped", "TaskArn", res.TaskArn, "ExitCode", res.ExitCode,
		"StopCode", res.StopCode, "StoppedReason", res.StoppedReason)
	honest := r.changed(changeHonestOutcomes)
	if !honest {
		r.deregister()
		if res.ExitCode != 0 && !r.job.AllowNonZeroExit {
			return nil, nonZeroExit(r.job.ContainerName, res)
		}
		return res, nil
	}
	r.attempts = append(r.attempts, activities.TaskAttempt{
		TaskArn: res.TaskArn, StopCode: res.StopCode, StoppedReason: res.StoppedReason, ExitCode: res.ExitCode,
	})
	res.Attempts = slices.Clone(r.attempts)
	r.status.Attempts = res.Attempts
	if job.Interrupted(res.StopCode) && len(r.attempts) <= r.job.RetryOnInterruption && r.ctx.Err() == nil {
		r.logger.Warn("The infrastructure interrupted the task: running it again", "TaskArn", res.TaskArn,
			"StopCode", res.StopCode, "Attempt", len(r.attempts), "RetryOnInterruption", r.job.RetryOnInterruption)
		r.retrying = true
		return nil, nil
	}
	r.deregister()
	if err := outcomeError(r.job, res); err != nil {
		return nil, err
	}
	return res, nil
}

// endBeforeTask ends a workflow that started no task.
func (r *run) endBeforeTask(err error) error {
	r.deregister()
	if r.ctx.Err() != nil {
		return temporal.NewCanceledError()
	}
	return err
}

func (r *run) waitInput(stream bool) activities.WaitInput {
	return activities.WaitInput{
		Task:                *r.task,
		PollIntervalSeconds: r.job.PollIntervalSeconds,
		StartTimeoutSeconds: r.job.StartTimeoutSeconds,
		StreamOutput:        stream && r.job.StreamOutput,
		WorkflowID:          workflow.GetInfo(r.ctx).WorkflowExecution.ID,
	}
}

func (r *run) setPhase(phase string) {
	r.status.Phase = phase
	r.logger.Debug("Phase", "Phase", phase)
	workflow.SetCurrentDetails(r.ctx, r.status.markdown())
	r.upsertSearchAttributes()
}

func (r *run) warn(msg string, err error) {
	r.logger.Warn(msg, "Error", err)
	r.status.Warnings = append(r.status.Warnings, msg+": "+err.Error())
}

// end records the workflow's outcome in its status.
func (r *run) end(err error) {
	switch {
	case err == nil:
		r.setPhase(PhaseCompleted)
	case temporal.IsCanceledError(err):
		r.setPhase(PhaseCancelled)
	default:
		r.status.Error = err.Error()
		r.setPhase(PhaseFailed)
	}
}
