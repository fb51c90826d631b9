package workflows

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// StartChild starts RunECSTask as a child workflow of ctx with the job and
// returns its future; ChildResult waits for it. opts are the SDK's child
// options, an empty TaskQueue meaning TaskQueue (not the parent's). The
// child's cancellation follows the parent's: cancelling the parent stops
// the ECS task (the default WaitCancellationCompleted waits until it is
// stopped).
//
// The job travels as JSON and is validated by the child as strictly as a
// job from any SDK: an invalid one fails the child with
// InvalidJobConfiguration, naming the field.
func StartChild(ctx workflow.Context, opts workflow.ChildWorkflowOptions, cfg job.Config) workflow.ChildWorkflowFuture {
	if opts.TaskQueue == "" {
		opts.TaskQueue = TaskQueue
	}
	// By name, so that the SDK sends cfg as RunECSTask's JSON argument.
	return workflow.ExecuteChildWorkflow(workflow.WithChildOptions(ctx, opts), WorkflowName, cfg)
}

// ExecuteChild runs RunECSTask as a child workflow of ctx (see StartChild)
// and returns the task's result. A job that did not succeed returns the
// child's error; ResultOf reads the task's result from it, and FailureType
// why it failed.
func ExecuteChild(ctx workflow.Context, opts workflow.ChildWorkflowOptions, cfg job.Config) (*activities.TaskResult, error) {
	return ChildResult(ctx, StartChild(ctx, opts, cfg))
}

// ChildResult waits for a child StartChild started and returns the task's
// result, or the child's error.
func ChildResult(ctx workflow.Context, f workflow.ChildWorkflowFuture) (*activities.TaskResult, error) {
	var res activities.TaskResult
	if err := f.Get(ctx, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// Start starts RunECSTask from a client with the job; opts.TaskQueue
// defaults to TaskQueue. Result waits for its outcome.
func Start(ctx context.Context, c client.Client, opts client.StartWorkflowOptions, cfg job.Config) (client.WorkflowRun, error) {
	if opts.TaskQueue == "" {
		opts.TaskQueue = TaskQueue
	}
	run, err := c.ExecuteWorkflow(ctx, opts, WorkflowName, cfg)
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", WorkflowName, err)
	}
	return run, nil
}

// Result waits for a RunECSTask run to close and returns the task's result,
// or the workflow's error (see ResultOf and FailureType).
func Result(ctx context.Context, run client.WorkflowRun) (*activities.TaskResult, error) {
	var res activities.TaskResult
	if err := run.Get(ctx, &res); err != nil {
		return nil, err
	}
	return &res, nil
}

// ResultOf returns the task's result that a RunECSTask failure or
// cancellation carries (a task that ran and did not succeed, or was
// stopped), as returned by ExecuteChild, Result or the SDK; nil when err
// carries none (the job was invalid, no task started).
func ResultOf(err error) *activities.TaskResult {
	for err != nil {
		var res activities.TaskResult
		var app *temporal.ApplicationError
		var canceled *temporal.CanceledError
		switch {
		case errors.As(err, &app):
			if app.HasDetails() && app.Details(&res) == nil && res.TaskArn != "" {
				return &res
			}
			err = app.Unwrap()
		case errors.As(err, &canceled):
			if canceled.HasDetails() && canceled.Details(&res) == nil && res.TaskArn != "" {
				return &res
			}
			return nil
		default:
			return nil
		}
	}
	return nil
}

// FailureType returns why a RunECSTask failed: one of the Err* types or an
// ECS stop code (SpotInterruption, UserInitiated, TaskFailedToStart, ...),
// read from RunECSTask's own failure wherever it is in err's chain (below
// a child workflow error and the errors a parent wrapped it in); "" when
// err carries none (a cancellation, a timeout, nil).
func FailureType(err error) string {
	var child *temporal.ChildWorkflowExecutionError
	if errors.As(err, &child) {
		err = child.Unwrap()
	}
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}
