package workflows

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// Register registers RunECSTask under WorkflowName and, when acts is not nil,
// every activity method of acts under its method name (the names the
// workflow schedules them by).
func Register(w worker.Registry, acts *activities.Activities) {
	w.RegisterWorkflowWithOptions(RunECSTask, workflow.RegisterOptions{Name: WorkflowName})
	if acts != nil {
		// Activities also has non-activity methods (Close); skip them.
		w.RegisterActivityWithOptions(acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	}
}
