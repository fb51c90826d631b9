// Package fanout is a parent workflow that runs many ECS tasks at once and
// collects their exit codes.
package fanout

import (
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// Outcome is how one job ended.
type Outcome struct {
	// ExitCode is the orchestrated container's exit code; -1 when the task
	// did not run or reported none.
	ExitCode int `json:"exitCode"`
	// Failure is why the job failed (workflows.FailureType), "" for a success.
	Failure string `json:"failure,omitempty"`
}

// Parallel runs every job as a RunECSTask child at once and returns their
// outcomes in the jobs' order. A job that fails (a non-zero exit, a Spot
// interruption, ...) does not fail the workflow: its outcome says so.
// Cancelling the workflow cancels every child, which stop their tasks.
func Parallel(ctx workflow.Context, jobs []job.Config) ([]Outcome, error) {
	futures := make([]workflow.ChildWorkflowFuture, len(jobs))
	for i, cfg := range jobs {
		futures[i] = workflows.StartChild(ctx, workflow.ChildWorkflowOptions{}, cfg)
	}
	out := make([]Outcome, len(jobs))
	for i, f := range futures {
		res, err := workflows.ChildResult(ctx, f)
		switch {
		case err == nil:
			out[i] = Outcome{ExitCode: res.ExitCode}
		case ctx.Err() != nil:
			return nil, err // cancelled: every child is being cancelled too
		default:
			out[i] = Outcome{ExitCode: -1, Failure: workflows.FailureType(err)}
			if r := workflows.ResultOf(err); r != nil {
				out[i].ExitCode = r.ExitCode
			}
		}
	}
	return out, nil
}
