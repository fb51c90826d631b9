package workflows

import (
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// runTask starts the task. RunTask is scheduled on the disconnected
// context: a cancellation arriving meanwhile must not abandon an attempt
// that may be starting the task, since its result names the task to stop.
//
// When RunTask fails for good, an attempt whose response was lost may still
// have started a task that nothing names: StopTasksStartedBy stops the
// tasks carrying this execution's startedBy before the workflow ends,
// cancelled or not (changeStopOrphans). When it fails because the revision
// it was given became INACTIVE meanwhile (another job deregistered a
// revision they shared) and the job named no taskDefinitionArn, the
// definition is got or registered again and RunTask runs once more
// (changeReregisterInactive).
//
// Since changeOwnedTasks the task carries the execution's owner tags, a
// reset run adopts the task of the run it replaced, and a RunTask that ECS
// answers with a retryable failure (capacity, agent) is retried by the
// workflow, after a backoff, under the next client token.
func (r *run) runTask() error {
	r.setPhase(PhaseStarting)
	if r.tokens == 0 {
		r.owned = r.changed(changeOwnedTasks)
	}
	in := r.runTaskInput()
	ref, err := r.startTask(in, runTaskSummary(r.job))
	switch {
	case err == nil:
	case r.mayReregister(err):
		if ref, err = r.runWithNewDefinition(in); err != nil {
			return err
		}
	default:
		if mayHaveStartedTask(err) {
			stopOrphans := r.changed(changeStopOrphans)
			if stopOrphans {
				r.setPhase(PhaseStopping)
				r.stopOrphans(in, r.gaveUpReason())
			}
		}
		return stepError("could not run the task", "", err)
	}
	if ref.Identifier == "" {
		ref.Identifier = ref.Cluster + "::" + ref.TaskArn
	}
	r.task = ref
	r.status.setTask(ref)
	r.logger.Info("Task started", "TaskArn", ref.TaskArn, "Cluster", r.status.Cluster)
	return nil
}

// runTaskInput is the input of the execution's RunTask activities, but for
// the client token.
func (r *run) runTaskInput() activities.RunTaskInput {
	info := workflow.GetInfo(r.ctx)
	in := activities.RunTaskInput{Job: r.job, TaskDefinitionArn: r.reg.TaskDefinitionArn}
	if !r.owned {
		in.StartedBy = startedBy(info.WorkflowExecution.ID)
		return in
	}
	owner := r.owner()
	in.Owner = &owner
	in.StartedBy = owner.StartedBy()
	// A reset run adopts the task of the run it replaced; a task run again
	// after an interruption is a new one, on the fallback capacity.
	in.Adopt = owner.OriginalRunID != owner.RunID && len(r.attempts) == 0
	in.OnFallback = len(r.attempts) > 0
	return in
}

// owner is the execution as the tags of its task name it.
func (r *run) owner() job.Owner {
	info := workflow.GetInfo(r.ctx)
	return job.Owner{
		Namespace:     info.Namespace,
		WorkflowID:    info.WorkflowExecution.ID,
		RunID:         info.WorkflowExecution.RunID,
		OriginalRunID: originalRunID(info),
	}
}

// originalRunID is the run ID a reset keeps: the execution's own when the
// server gives none (the SDK's test environment).
func originalRunID(info *workflow.Info) string {
	if info.OriginalRunID == "" {
		return info.WorkflowExecution.RunID
	}
	return info.OriginalRunID
}

// nextToken is the client token of the execution's next RunTask activity.
func (r *run) nextToken() string {
	r.tokens++
	info := workflow.GetInfo(r.ctx)
	runID := info.WorkflowExecution.RunID
	if r.owned {
		runID = originalRunID(info)
	}
	return clientToken(info.Namespace, info.WorkflowExecution.ID, runID, r.tokens)
}

// startTask runs the RunTask activity under the next client token and
// returns its error as is. Since changeOwnedTasks, a failure ECS says may
// pass is retried under a new token after a backoff, up to
// runTaskFailureAttempts RunTasks in all, unless the workflow is cancelled.
func (r *run) startTask(in activities.RunTaskInput, summary string) (*activities.TaskRef, error) {
	opts := runTaskOptions(summary)
	if r.owned {
		opts.StartToCloseTimeout = runTaskCallTimeout // one call now: a lost worker is retried sooner
	}
	ctx := workflow.WithActivityOptions(r.cleanup, opts)
	for n := 1; ; n++ {
		in.ClientToken = r.nextToken()
		var ref activities.TaskRef
		err := workflow.ExecuteActivity(ctx, a.RunTask, in).Get(ctx, &ref)
		if err == nil {
			return &ref, nil
		}
		if !r.owned || n >= runTaskFailureAttempts || !retryableRunFailure(err) || r.ctx.Err() != nil {
			return nil, err
		}
		r.logger.Warn("ECS could not start the task yet: retrying under a new client token", "attempt", n, "error", err)
		backoff := min(runTaskFailureBackoff<<(n-1), maxRetryInterval)
		if workflow.NewTimerWithOptions(r.ctx, backoff, workflow.TimerOptions{Summary: "RunTask backoff"}).Get(r.ctx, nil) != nil {
			return nil, err // cancelled while waiting: start nothing more
		}
	}
}

// retryableRunFailure reports whether RunTask failed with an ECS failure
// that a new client token may get past (capacity, agent).
func retryableRunFailure(err error) bool {
	var app *temporal.ApplicationError
	var f activities.RunFailure
	return errors.As(err, &app) && app.Type() == activities.ErrRunTaskFailed &&
		app.HasDetails() && app.Details(&f) == nil && f.Retryable
}

// mayReregister reports whether RunTask's err is an INACTIVE revision that
// a new get-or-register replaces: the job did not name the revision, and
// the workflow is not cancelled (it must start no new task then).
func (r *run) mayReregister(err error) bool {
	if errType(err) != activities.ErrTaskDefinitionInactive || r.job.TaskDefinitionArn != "" || r.ctx.Err() != nil {
		return false
	}
	reregister := r.changed(changeReregisterInactive)
	return reregister
}

// runWithNewDefinition gets or registers the job's definition again (the
// activity has forgotten the INACTIVE revision, so it is not handed out
// again) and runs the task with it, under the execution's second client
// token. Its errors are the workflow's.
//
// The first RunTask may have started a task before the revision became
// INACTIVE and lost the response: the tasks of this startedBy are stopped
// first, so that the new task is the only one. Should that fail, the run
// goes on with a warning: most likely there was no such task.
func (r *run) runWithNewDefinition(first activities.RunTaskInput) (*activities.TaskRef, error) {
	inactive := first.TaskDefinitionArn
	r.logger.Warn("Task definition became INACTIVE before RunTask: getting or registering it again",
		"TaskDefinitionArn", inactive)
	r.stopOrphans(first, "workflow running its task again: task definition "+shortArn(inactive)+" became INACTIVE")
	if err := r.register(" (" + shortArn(inactive) + " is INACTIVE)"); err != nil {
		return nil, err
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err // cancelled: endBeforeTask ends it so
	}
	r.setPhase(PhaseStarting)
	in := first
	in.TaskDefinitionArn = r.reg.TaskDefinitionArn
	ref, err := r.startTask(in, runTaskSummary(r.job)+" with "+shortArn(in.TaskDefinitionArn))
	if err != nil {
		if mayHaveStartedTask(err) {
			r.setPhase(PhaseStopping)
			r.stopOrphans(in, r.gaveUpReason())
		}
		return nil, stepError("could not run the task", "", err)
	}
	return ref, nil
}

// mayHaveStartedTask reports whether a RunTask that failed with err may
// have started a task: any failure may follow an attempt whose response
// was lost, except a cluster that does not exist (ECS deletes no cluster
// that still has tasks).
func mayHaveStartedTask(err error) bool {
	return errType(err) != activities.ErrClusterNotFound
}

// gaveUpReason is the stop reason of the tasks a failed RunTask may have
// left behind.
func (r *run) gaveUpReason() string {
	if r.ctx.Err() != nil {
		return "workflow cancelled: RunTask gave up"
	}
	return "workflow failed: RunTask gave up"
}

// stopOrphans stops the job's tasks that RunTask (run's input) may have
// started without reporting them: those whose startedBy is run's and, since
// changeOwnedTasks, whose tags name this execution's chain. It runs on the
// disconnected context; a failure is a warning, the workflow's outcome
// stands.
func (r *run) stopOrphans(run activities.RunTaskInput, reason string) {
	startedBy := run.StartedBy
	ctx := workflow.WithActivityOptions(r.cleanup, stopStartedByOptions("StopTasksStartedBy "+startedBy+": "+reason))
	in := activities.StopStartedByInput{
		Region:    r.job.Region,
		RoleArn:   r.job.RoleArn,
		Cluster:   r.job.Cluster,
		StartedBy: startedBy,
		Reason:    reason,
		Owner:     run.Owner,
	}
	var stopped []string
	if err := workflow.ExecuteActivity(ctx, a.StopTasksStartedBy, in).Get(ctx, &stopped); err != nil {
		r.warn("could not stop the tasks started by "+startedBy+" that RunTask may have started", err)
		return
	}
	if len(stopped) > 0 {
		msg := fmt.Sprintf("stopped %d task(s) that RunTask started without reporting them: %s",
			len(stopped), strings.Join(stopped, ", "))
		r.logger.Warn(msg, "StartedBy", startedBy)
		r.status.Warnings = append(r.status.Warnings, msg)
	}
}
