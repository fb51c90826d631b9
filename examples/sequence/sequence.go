// Package sequence is a parent workflow that runs two ECS tasks one after
// the other: an extract, then a load, the load only after the extract
// succeeded.
package sequence

import (
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// Input is the two jobs.
type Input struct {
	Extract job.Config `json:"extract"`
	Load    job.Config `json:"load"`
}

// Output is the ARNs of the two tasks.
type Output struct {
	ExtractTaskArn string `json:"extractTaskArn"`
	LoadTaskArn    string `json:"loadTaskArn"`
}

// ExtractLoad runs in.Extract, then in.Load, each as a RunECSTask child on
// workflows.TaskQueue. A job that fails fails the workflow with the
// child's error: workflows.FailureType says why, workflows.ResultOf gives
// the task's result.
func ExtractLoad(ctx workflow.Context, in Input) (*Output, error) {
	extract, err := workflows.ExecuteChild(ctx, workflow.ChildWorkflowOptions{}, in.Extract)
	if err != nil {
		return nil, fmt.Errorf("extract: %w", err)
	}
	load, err := workflows.ExecuteChild(ctx, workflow.ChildWorkflowOptions{}, in.Load)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	return &Output{ExtractTaskArn: extract.TaskArn, LoadTaskArn: load.TaskArn}, nil
}
