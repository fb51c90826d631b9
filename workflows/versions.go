package workflows

import "go.temporal.io/sdk/workflow"

// Change IDs of workflow.GetVersion. Each guards one change to the commands
// RunECSTask issues: an execution that passed the point of the change under
// an older worker replays with the behaviour it was recorded with
// (workflow.DefaultVersion), every other one takes version 1. GetVersion is
// called only where the change applies, so histories carry a marker only
// for the changes they went through. A change may be retired (its old
// branch removed, its minimum raised to 1) once no execution recorded
// before it can be replayed any more.
const (
	// changeStartWaitStreams: WaitForTaskStart streams the output of a task
	// that runs and stops between two polls, and a cancellation while
	// waiting for the start lets that wait observe the stop instead of
	// cancelling it, so that no line is streamed twice.
	changeStartWaitStreams = "start-wait-streams"
	// changeStartTimeoutStopped: after WaitForTaskStart's own
	// TaskStartTimeout, which it returns only once it has stopped the task,
	// no second StopTask; the bounded wait until STOPPED remains.
	changeStartTimeoutStopped = "start-timeout-stopped"
	// changeStopOrphans: after RunTask failed for good, StopTasksStartedBy
	// stops any task that an attempt whose response was lost started.
	changeStopOrphans = "stop-orphans"
	// changeReregisterInactive: RunTask refused with TaskDefinitionInactive
	// gets or registers the definition again and runs once more.
	changeReregisterInactive = "reregister-inactive"
	// changeOwnedTasks: the task carries its owner (namespace, workflow ID,
	// run ID, original run ID) as tags and a digest startedBy; the client
	// token derives from the original run ID, which a reset keeps, and a
	// reset run adopts the task of the run it replaced; RunTask's failures
	// are retried by the workflow under new tokens recorded in history;
	// stops check the owner and are retried until they succeed; the waits
	// run on their own task queue (WaitQueue), so that no long wait holds
	// a slot that a stop needs.
	changeOwnedTasks = "owned-tasks"
	// changeHonestOutcomes: a task succeeds only when its containers
	// stopped it (EssentialContainerExited), the orchestrated container
	// exited 0 and no other essential container failed; otherwise the
	// workflow fails with the stop code, EssentialContainerFailed or
	// TaskExitedNonZero. A task the infrastructure interrupted runs again
	// (retryOnInterruption), on the fallback capacity when the job has one,
	// and every attempt is in the result and the status.
	changeHonestOutcomes = "honest-outcomes"
	// changeSearchAttributes: the workflow upserts its search attributes
	// (SearchAttributes) as they change, when the worker found them
	// registered in the namespace (job.Prepared.SearchAttributes).
	changeSearchAttributes = "search-attributes"
)

// changed reports whether this execution runs with the change id (version 1).
func (r *run) changed(id string) bool {
	return workflow.GetVersion(r.ctx, id, workflow.DefaultVersion, 1) >= 1
}
