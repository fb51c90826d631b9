package main

import (
	"context"
	"errors"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// outcome is how a followed workflow ended.
type outcome struct {
	result *activities.TaskResult
	err    error
}

// awaitOutcome waits for the workflow to close and returns how it ended.
func awaitOutcome(ctx context.Context, tc client.Client, workflowID, runID string) outcome {
	var res activities.TaskResult
	if err := tc.GetWorkflow(ctx, workflowID, runID).Get(ctx, &res); err != nil {
		return outcome{err: err}
	}
	return outcome{result: &res}
}

// taskResult returns the task's result: the workflow's result, or the
// one a task's failure (TaskExitedNonZero, a stop code,
// EssentialContainerFailed) or a cancellation carries.
func (o outcome) taskResult() *activities.TaskResult {
	if o.result != nil {
		return o.result
	}
	if app := exitError(o.err); app != nil {
		var res activities.TaskResult
		if app.Details(&res) == nil {
			return &res
		}
	}
	var canceled *temporal.CanceledError
	if errors.As(o.err, &canceled) && canceled.HasDetails() {
		var res activities.TaskResult
		if canceled.Details(&res) == nil {
			return &res
		}
	}
	return nil
}

// exitError returns the application error in err's chain that carries the
// task's result (the workflow's failure for a task that ran and ended
// badly: TaskExitedNonZero, a stop code, EssentialContainerFailed), if any.
func exitError(err error) *temporal.ApplicationError {
	for err != nil {
		var app *temporal.ApplicationError
		if !errors.As(err, &app) {
			return nil
		}
		var res activities.TaskResult
		if app.HasDetails() && app.Details(&res) == nil && res.TaskArn != "" {
			return app
		}
		err = app.Unwrap()
	}
	return nil
}

// exitCode maps an outcome to the starter's exit status: the container's
// exit code when the task ran, 130 when this starter cancelled it, 1 for
// any other failure. It prints why to stderr.
func (f *follower) exitCode(out outcome, cancelled bool) int {
	res := out.taskResult()
	var canceled *temporal.CanceledError
	switch {
	case out.err == nil && res != nil:
		if res.ExitCode < 0 {
			f.note("task %s stopped without an exit code (%s: %s)", res.TaskArn, res.StopCode, res.StoppedReason)
			return 1
		}
		return res.ExitCode
	case errors.As(out.err, &canceled):
		f.note("workflow %s cancelled", f.workflowID)
		if cancelled {
			return 130
		}
		return 1
	case exitError(out.err) != nil && res != nil:
		// The container's code when it is not 0; else 1: a task stopped
		// from outside that exited 0 did not succeed.
		f.note("%s: %s", exitError(out.err).Type(), exitError(out.err).Message())
		if res.ExitCode <= 0 {
			return 1
		}
		return res.ExitCode
	default:
		f.note("workflow %s failed: %s", f.workflowID, failureMessage(out.err))
		return 1
	}
}

// failureMessage renders a workflow failure in one line: the messages of
// its chain without the SDK's execution and activity envelopes (IDs, event
// numbers), each only when the line does not say it already (a message
// often carries its causes'):
// "could not prepare the job: invalid job configuration: launchType: ...".
func failureMessage(err error) string {
	var line string
	add := func(m string) {
		switch {
		case m == "" || strings.Contains(line, m):
		case line == "":
			line = m
		default:
			line += ": " + m
		}
	}
	for err != nil {
		switch e := err.(type) {
		case *temporal.WorkflowExecutionError, *temporal.ActivityError:
			// Envelopes: their cause says what happened.
		case interface{ Message() string }:
			add(e.Message())
		default:
			add(err.Error()) // includes its causes
			return line
		}
		err = errors.Unwrap(err)
	}
	return line
}
