package main

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// startFlags are the flags of the commands that start a workflow.
type startFlags struct {
	conn       connFlags
	job        jobFlags
	workflowID string
}

func (s *startFlags) register(fs *flagSet) {
	s.conn.register(fs, true)
	s.job.register(fs)
	fs.StringVar(&s.workflowID, "workflow-id", "", "workflow ID (default: ecs-task-<random>)")
}

// start starts the RunECSTask workflow on job.
func (s *startFlags) start(ctx context.Context, tc client.Client, job json.RawMessage) (client.WorkflowRun, error) {
	id := s.workflowID
	if id == "" {
		id = "ecs-task-" + uuid.NewString()
	}
	run, err := tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: s.conn.taskQueue,
	}, workflows.WorkflowName, job)
	if err != nil {
		return nil, fmt.Errorf("start workflow %s: %w", id, err)
	}
	return run, nil
}

// startCmd is `starter start`: start a job and print its workflow ID.
func startCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var s startFlags
	s.register(fs)
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	job, err := s.job.build(c.stdin, fs.Args(), nil)
	if err != nil {
		return 0, err
	}
	tc, err := s.conn.dial(ctx, c)
	if err != nil {
		return 0, err
	}
	defer tc.Close()
	run, err := s.start(ctx, tc, job)
	if err != nil {
		return 0, err
	}
	fmt.Fprintln(c.stdout, run.GetID())
	return 0, nil
}
