package workflows

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// Register registers RunECSTask under WorkflowName and, when acts is not nil,
// every activity method of acts under its method name (the names the
// workflow schedules them by). The waits of executions recorded since
// changeOwnedTasks run on WaitQueue(queue): a worker must also run
// RegisterWaits there.
func Register(w worker.Registry, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(RunECSTask, workflow.RegisterOptions{Name: WorkflowName})
	if acts != nil {
		// Activities also has non-activity methods (Close); skip them.
		w.RegisterActivityWithOptions(acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	}
}

// RegisterWaits registers the wait activities of acts (WaitForTaskStart and
// WaitForTaskFinish) on a worker of WaitQueue(queue), where RunECSTask
// schedules them.
func RegisterWaits(w worker.Registry, acts *activities.Activities) {
	w.RegisterActivityWithOptions(acts.WaitForTaskStart, activity.RegisterOptions{Name: "WaitForTaskStart"})
	w.RegisterActivityWithOptions(acts.WaitForTaskFinish, activity.RegisterOptions{Name: "WaitForTaskFinish"})
}
