// Package workflows holds the durable orchestration of temporal-ecs: the
// RunECSTask workflow, which runs one ECS task to completion by sequencing the
// activities of package activities.
//
// The code here is deterministic workflow code only: every AWS call is an
// activity, time comes from workflow.Now and timers, and nothing iterates a
// map to produce output. A change to the command sequence of RunECSTask must
// be guarded with workflow.GetVersion; the replay test over testdata/ catches
// the changes that are not.
package workflows

// TaskQueue is the task queue the worker polls and the starter targets.
const TaskQueue = "ecs-tasks"

// WaitQueue is the task queue of the wait activities of the RunECSTask
// executions on taskQueue: a worker polls both, each with its own slots, so
// that waits (one per running task, for as long as it runs) never hold the
// slots that RunTask and StopTask need.
func WaitQueue(taskQueue string) string { return taskQueue + "-waits" }

// WorkflowName is the workflow type name RunECSTask is registered under
// (`temporal workflow start --type RunECSTask`).
const WorkflowName = "RunECSTask"

// StatusQuery is the query that returns the workflow's Status.
const StatusQuery = "status"
