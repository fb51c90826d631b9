// Package examples holds parent workflows that run RunECSTask as a child,
// in the style of temporalio/samples-go: sequence runs two tasks one after
// the other, fanout runs many at once and collects their exit codes.
// examples/worker hosts them, examples/starter starts them. Cancelling a
// parent cancels its children, which stop their ECS tasks.
package examples

import (
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ecs/temporal-ecs/examples/fanout"
	"github.com/temporal-ecs/temporal-ecs/examples/sequence"
)

// TaskQueue is the task queue of the example parent workflows.
const TaskQueue = "ecs-examples"

// Register registers the example parent workflows on w.
func Register(w worker.Registry) {
	w.RegisterWorkflow(sequence.ExtractLoad)
	w.RegisterWorkflow(fanout.Parallel)
}
