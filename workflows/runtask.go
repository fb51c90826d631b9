package workflows

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
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
func (r *run) runTask() error {
	r.setPhase(PhaseStarting)
	info := workflow.GetInfo(r.ctx)
	in := activities.RunTaskInput{
		Job:               r.job,
		TaskDefinitionArn: r.reg.TaskDefinitionArn,
		ClientToken:       clientToken(info.Namespace, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, 1),
		StartedBy:         startedBy(info.WorkflowExecution.ID),
	}
	ref, err := r.startTask(in, runTaskSummary(r.job))
	switch {
	case err == nil:
	case r.mayReregister(err):
		if ref, err = r.runWithNewDefinition(in); err != nil {
			return err
		}
	default:
		if mayHaveStartedTask(err) && r.changed(changeStopOrphans) {
			r.setPhase(PhaseStopping)
			r.stopOrphans(in.StartedBy, r.gaveUpReason())
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

// startTask runs the RunTask activity and returns its error as is.
func (r *run) startTask(in activities.RunTaskInput, summary string) (*activities.TaskRef, error) {
	ctx := workflow.WithActivityOptions(r.cleanup, runTaskOptions(summary))
	var ref activities.TaskRef
	if err := workflow.ExecuteActivity(ctx, a.RunTask, in).Get(ctx, &ref); err != nil {
		return nil, err
	}
	return &ref, nil
}

// mayReregister reports whether RunTask's err is an INACTIVE revision that
// a new get-or-register replaces: the job did not name the revision, and
// the workflow is not cancelled (it must start no new task then).
func (r *run) mayReregister(err error) bool {
	return errType(err) == activities.ErrTaskDefinitionInactive && r.job.TaskDefinitionArn == "" &&
		r.ctx.Err() == nil && r.changed(changeReregisterInactive)
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
	r.stopOrphans(first.StartedBy, "workflow running its task again: task definition "+shortArn(inactive)+" became INACTIVE")
	if err := r.register(" (" + shortArn(inactive) + " is INACTIVE)"); err != nil {
		return nil, err
	}
	if err := r.ctx.Err(); err != nil {
		return nil, err // cancelled: endBeforeTask ends it so
	}
	r.setPhase(PhaseStarting)
	info := workflow.GetInfo(r.ctx)
	in := first
	in.TaskDefinitionArn = r.reg.TaskDefinitionArn
	in.ClientToken = clientToken(info.Namespace, info.WorkflowExecution.ID, info.WorkflowExecution.RunID, 2)
	ref, err := r.startTask(in, runTaskSummary(r.job)+" with "+shortArn(in.TaskDefinitionArn))
	if err != nil {
		if mayHaveStartedTask(err) {
			r.setPhase(PhaseStopping)
			r.stopOrphans(in.StartedBy, r.gaveUpReason())
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

// stopOrphans stops the job's tasks whose startedBy is startedBy: tasks a
// RunTask may have started without reporting them. It runs on the
// disconnected context; a failure is a warning, the workflow's outcome
// stands.
func (r *run) stopOrphans(startedBy, reason string) {
	ctx := workflow.WithActivityOptions(r.cleanup, stopStartedByOptions("StopTasksStartedBy "+startedBy+": "+reason))
	in := activities.StopStartedByInput{
		Region:    r.job.Region,
		RoleArn:   r.job.RoleArn,
		Cluster:   r.job.Cluster,
		StartedBy: startedBy,
		Reason:    reason,
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
