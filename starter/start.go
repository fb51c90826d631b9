package main

import (
	"context"
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

// launch builds the job from the parsed flags and command args, with
// defaults for the fields still unset, connects to Temporal and starts the
// RunECSTask workflow on it. The caller closes tc.
func (s *startFlags) launch(ctx context.Context, c *cli, command []string, defaults map[string]any) (tc client.Client, run client.WorkflowRun, err error) {
	job, err := s.job.build(c.stdin, command, defaults)
	if err != nil {
		return nil, nil, err
	}
	if tc, err = s.conn.dial(ctx, c); err != nil {
		return nil, nil, err
	}
	id := s.workflowID
	if id == "" {
		id = "ecs-task-" + uuid.NewString()
	}
	run, err = tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:        id,
		TaskQueue: s.conn.taskQueue,
	}, workflows.WorkflowName, job)
	if err != nil {
		tc.Close()
		return nil, nil, fmt.Errorf("start workflow %s: %w", id, err)
	}
	return tc, run, nil
}

// startCmd is `starter start`: start a job and print its workflow ID.
func startCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var s startFlags
	s.register(fs)
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	tc, run, err := s.launch(ctx, c, fs.Args(), nil)
	if err != nil {
		return 0, err
	}
	defer tc.Close()
	fmt.Fprintln(c.stdout, run.GetID())
	return 0, nil
}
