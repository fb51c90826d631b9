package workflows

import (
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// DefaultMaxConcurrentWaits is how many tasks a Worker watches at once by
// default: a wait holds a goroutine and a slot, no thread, and the watcher
// batches their DescribeTasks calls.
const DefaultMaxConcurrentWaits = 20000

// WorkerOptions configures a Worker.
type WorkerOptions struct {
	// Worker is the SDK's options of both workers; its
	// MaxConcurrentActivityExecutionSize bounds the control activities
	// (prepare, register, RunTask, StopTask, deregister).
	Worker worker.Options
	// MaxConcurrentWaits bounds the wait activities, one per running task
	// (default DefaultMaxConcurrentWaits).
	MaxConcurrentWaits int
}

// Worker hosts RunECSTask and its activities: the workflow and the control
// activities on a task queue, the waits on its WaitQueue, each with slots
// of its own, so that running tasks never hold the slots a stop needs.
// Run it in your own process to serve RunECSTask on your task queue; start
// children on that queue (workflow.ChildWorkflowOptions.TaskQueue).
type Worker struct {
	queue         string
	control, wait worker.Worker
}

// NewWorker returns a Worker of RunECSTask on taskQueue with acts, which the
// caller closes after Stop.
func NewWorker(c client.Client, taskQueue string, acts *activities.Activities, opts WorkerOptions) *Worker {
	waitOpts := opts.Worker
	waitOpts.MaxConcurrentActivityExecutionSize = opts.MaxConcurrentWaits
	if waitOpts.MaxConcurrentActivityExecutionSize <= 0 {
		waitOpts.MaxConcurrentActivityExecutionSize = DefaultMaxConcurrentWaits
	}
	w := &Worker{
		queue:   taskQueue,
		control: worker.New(c, taskQueue, opts.Worker),
		wait:    worker.New(c, WaitQueue(taskQueue), waitOpts),
	}
	Register(w.control, acts)
	RegisterWaits(w.wait, acts)
	return w
}

// Start starts polling both task queues.
func (w *Worker) Start() error {
	if err := w.wait.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", WaitQueue(w.queue), err)
	}
	if err := w.control.Start(); err != nil {
		w.wait.Stop()
		return fmt.Errorf("start worker on task queue %s: %w", w.queue, err)
	}
	return nil
}

// Stop stops polling and waits, up to the WorkerStopTimeout, for the
// running activities.
func (w *Worker) Stop() {
	w.control.Stop()
	w.wait.Stop()
}
