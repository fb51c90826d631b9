package workflows

import (
	"encoding/json"
	"fmt"

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
// context: no ECS task outlives its workflow. The StatusQuery reports
// progress, and the workflow's current details mirror it in the Web UI.
func RunECSTask(ctx workflow.Context, jobConfig json.RawMessage) (*activities.TaskResult, error) {
	cleanup, _ := workflow.NewDisconnectedContext(ctx)
	r := &run{ctx: ctx, cleanup: cleanup, logger: workflow.GetLogger(ctx)}
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
	task         *activities.TaskRef
	deregistered bool
}

// pendingWait is a wait activity still in flight.
type pendingWait struct {
	fut    workflow.Future
	cancel workflow.CancelFunc
}

func (r *run) query() (Status, error) { return r.status.clone(), nil }

func (r *run) execute(jobConfig json.RawMessage) (*activities.TaskResult, error) {
	if err := r.prepare(jobConfig); err != nil {
		return nil, r.endBeforeTask(err)
	}
	if err := r.register(); err != nil {
		return nil, r.endBeforeTask(err)
	}
	if err := r.ctx.Err(); err != nil {
		return nil, r.endBeforeTask(err)
	}
	if err := r.runTask(); err != nil {
		return nil, r.endBeforeTask(err)
	}
	return r.watch()
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
	r.status.Image, r.status.Cluster, r.status.TaskDefinitionArn = p.Image, p.Cluster, p.TaskDefinitionArn
	for _, w := range p.Warnings {
		r.logger.Warn("Job configuration warning", "warning", w)
		r.status.Warnings = append(r.status.Warnings, w)
	}
	return nil
}

func (r *run) register() error {
	r.setPhase(PhaseRegistering)
	ctx := workflow.WithActivityOptions(r.ctx, registerOptions(registerSummary(r.job)))
	var reg activities.RegisterResult
	if err := workflow.ExecuteActivity(ctx, a.GetOrRegisterTaskDefinition, r.job).Get(ctx, &reg); err != nil {
		return stepError("could not get or register the task definition", "", err)
	}
	r.reg = &reg
	r.status.TaskDefinitionArn = reg.TaskDefinitionArn
	return nil
}

// runTask starts the task. RunTask is scheduled on the disconnected
// context: a cancellation arriving meanwhile must not abandon an attempt
// that may be starting the task, since its result names the task to stop.
func (r *run) runTask() error {
	r.setPhase(PhaseStarting)
	info := workflow.GetInfo(r.ctx)
	in := activities.RunTaskInput{
		Job:               r.job,
		TaskDefinitionArn: r.reg.TaskDefinitionArn,
		ClientToken:       clientToken(info.Namespace, info.WorkflowExecution.ID, info.WorkflowExecution.RunID),
		StartedBy:         startedBy(info.WorkflowExecution.ID),
	}
	ctx := workflow.WithActivityOptions(r.cleanup, runTaskOptions(runTaskSummary(r.job)))
	var ref activities.TaskRef
	if err := workflow.ExecuteActivity(ctx, a.RunTask, in).Get(ctx, &ref); err != nil {
		return stepError("could not run the task", "", err)
	}
	if ref.Identifier == "" {
		ref.Identifier = ref.Cluster + "::" + ref.TaskArn
	}
	r.task = &ref
	r.status.setTask(&ref)
	r.logger.Info("Task started", "TaskArn", ref.TaskArn, "Cluster", r.status.Cluster)
	return nil
}

// watch waits for the running task to start and then to stop. The wait
// activities run on the disconnected context so that a cancellation does
// not interrupt WaitForTaskFinish: after StopTask, the same attempt sees the
// task stop and streams its last log lines, without repeating any.
func (r *run) watch() (*activities.TaskResult, error) {
	if r.ctx.Err() != nil { // cancelled while RunTask was in flight
		return r.abort(nil, nil, true)
	}
	r.setPhase(PhaseWaitingForStart)
	startCtx, cancelStart := workflow.WithCancel(r.cleanup)
	startCtx = workflow.WithActivityOptions(startCtx, waitStartOptions(r.job, r.taskSummary("WaitForTaskStart")))
	startFut := workflow.ExecuteActivity(startCtx, a.WaitForTaskStart, r.waitInput(false))
	if !r.awaitUnlessCancelled(startFut) {
		cancelStart() // it streams nothing: a fresh wait after StopTask loses nothing
		return r.abort(nil, nil, true)
	}
	var started activities.WaitForStartResult
	if err := startFut.Get(r.cleanup, &started); err != nil {
		return r.abort(nil, stepError("the task did not start", activities.ErrTaskStartTimeout, err), true)
	}
	if started.Finished != nil {
		return r.complete(started.Finished)
	}
	r.status.LastStatus = started.LastStatus
	if r.ctx.Err() != nil {
		return r.abort(nil, nil, true)
	}

	r.setPhase(PhaseRunning)
	finishCtx, cancelFinish := workflow.WithCancel(r.cleanup)
	finishCtx = workflow.WithActivityOptions(finishCtx, waitFinishOptions(r.job, r.taskSummary("WaitForTaskFinish")))
	finishFut := workflow.ExecuteActivity(finishCtx, a.WaitForTaskFinish, r.waitInput(true))
	if !r.awaitUnlessCancelled(finishFut) {
		return r.abort(&pendingWait{fut: finishFut, cancel: cancelFinish}, nil, false)
	}
	var res activities.TaskResult
	if err := finishFut.Get(r.cleanup, &res); err != nil {
		return r.abort(nil, stepError("could not wait for the task to finish", "", err), false)
	}
	return r.complete(&res)
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

// complete ends the workflow for a task that stopped by itself.
func (r *run) complete(res *activities.TaskResult) (*activities.TaskResult, error) {
	r.status.setResult(res)
	r.logger.Info("Task stopped", "TaskArn", res.TaskArn, "ExitCode", res.ExitCode,
		"StopCode", res.StopCode, "StoppedReason", res.StoppedReason)
	r.deregister()
	if res.ExitCode != 0 && !r.job.AllowNonZeroExit {
		return nil, nonZeroExit(r.job.ContainerName, res)
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

// abort stops the task after a cancellation (cause nil) or a failure
// (cause), waits a bounded time until it is STOPPED, deregisters when
// configured, and returns the workflow's outcome. inflight is a
// WaitForTaskFinish still running, which then observes the stop; without
// one, a fresh bounded wait does, streaming logs only when stream is set
// (no earlier wait streamed any).
func (r *run) abort(inflight *pendingWait, cause error, stream bool) (*activities.TaskResult, error) {
	reason := "workflow cancelled"
	if cause != nil {
		reason = "workflow failed"
		r.logger.Error("Stopping the task of a failing workflow", "TaskArn", r.task.TaskArn, "Error", cause)
	}
	r.setPhase(PhaseStopping)
	var res *activities.TaskResult
	stopErr := r.stopTask(reason)
	if stopErr != nil {
		r.warn("could not stop task "+r.task.TaskArn, stopErr)
		if inflight != nil {
			inflight.cancel()
		}
	} else {
		res = r.awaitStopped(inflight, stream)
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
	ctx := workflow.WithActivityOptions(r.cleanup, stopOptions(r.taskSummary("StopTask")+": "+reason))
	in := activities.StopInput{
		Region:     r.job.Region,
		RoleArn:    r.job.RoleArn,
		Cluster:    r.job.Cluster,
		Identifier: r.task.Identifier,
		Reason:     reason,
	}
	return workflow.ExecuteActivity(ctx, a.StopTask, in).Get(ctx, nil)
}

// awaitStopped waits, for at most stoppedWait, until the stopped task is
// STOPPED, and returns its result, or nil when it could not tell.
func (r *run) awaitStopped(inflight *pendingWait, stream bool) *activities.TaskResult {
	if inflight == nil {
		ctx := workflow.WithActivityOptions(r.cleanup, stoppedWaitOptions(r.job, r.taskSummary("WaitForTaskFinish")+" after StopTask"))
		var res activities.TaskResult
		if err := workflow.ExecuteActivity(ctx, a.WaitForTaskFinish, r.waitInput(stream)).Get(ctx, &res); err != nil {
			r.warn("could not confirm that task "+r.task.TaskArn+" stopped", err)
			return nil
		}
		return &res
	}
	timerCtx, cancelTimer := workflow.WithCancel(r.cleanup)
	defer cancelTimer()
	defer inflight.cancel()
	timer := workflow.NewTimerWithOptions(timerCtx, stoppedWait, workflow.TimerOptions{Summary: "wait for the stopped task"})
	var res *activities.TaskResult
	sel := workflow.NewSelector(r.cleanup)
	sel.AddFuture(inflight.fut, func(f workflow.Future) {
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
	return res
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
