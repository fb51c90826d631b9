package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
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
// RunECSTask workflow on it. The caller closes tc. When ctx ends first,
// reading the job from stdin is given up and dialling and starting are
// aborted; a start cut short this way is undone (see abandonStart). An ID
// a running workflow has is refused with an *alreadyRunningError, nothing
// started; a closed workflow's ID gets a new run.
func (s *startFlags) launch(ctx context.Context, c *cli, command []string, defaults map[string]any) (tc client.Client, run client.WorkflowRun, err error) {
	job, err := s.buildJob(ctx, c, command, defaults)
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
		// Without it the SDK answers a running ID with that workflow's run,
		// which the caller would take for its own. A closed ID still gets a
		// new run (the default reuse policy allows it).
		WorkflowExecutionErrorWhenAlreadyStarted: true,
	}, workflows.WorkflowName, job)
	if err != nil {
		defer tc.Close()
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if errors.As(err, &started) {
			// Refused: nothing was started, so there is nothing to undo.
			return nil, nil, &alreadyRunningError{id: id, err: err}
		}
		if ctx.Err() != nil {
			s.abandonStart(ctx, c, tc, id)
		}
		return nil, nil, fmt.Errorf("start workflow %s: %w", id, err)
	}
	return tc, run, nil
}

// alreadyRunningError is launch's refusal to start a workflow whose ID a
// running workflow has: nothing was started. It wraps Temporal's
// *serviceerror.WorkflowExecutionAlreadyStarted and reads, in one line, how
// to follow or stop the running workflow.
type alreadyRunningError struct {
	id  string
	err error
}

func (e *alreadyRunningError) Error() string {
	return fmt.Sprintf("workflow %s is already running, nothing was started: follow it with `starter run --attach --workflow-id %s` or `starter logs -f %s`, or stop it with `starter cancel %s`",
		e.id, e.id, e.id, e.id)
}

func (e *alreadyRunningError) Unwrap() error { return e.err }

// buildJob is s.job.build, returning when ctx ends even while stdin
// (--input -) is being read: that read is left to the exiting process.
func (s *startFlags) buildJob(ctx context.Context, c *cli, command []string, defaults map[string]any) (json.RawMessage, error) {
	type built struct {
		job json.RawMessage
		err error
	}
	done := make(chan built, 1)
	go func() {
		job, err := s.job.build(c.stdin, command, defaults)
		done <- built{job, err}
	}()
	select {
	case b := <-done:
		return b.job, b.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// abandonTimeout bounds undoing a start cut short.
const abandonTimeout = 10 * time.Second

// abandonStart runs when ctx ended while workflow id was being started:
// the request may have reached Temporal all the same. A workflow with the
// ID this starter generated can only be the one it started, so it is
// cancelled (not found: it never started). One whose ID the user named may
// be another starter's, so the user is told how to cancel it instead.
func (s *startFlags) abandonStart(ctx context.Context, c *cli, tc client.Client, id string) {
	if s.workflowID != "" {
		fmt.Fprintf(c.stderr, "starter: interrupted while starting workflow %s; should it have started, stop it with `starter cancel %s`\n", id, id)
		return
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), abandonTimeout)
	defer cancel()
	if err := tc.CancelWorkflow(cctx, id, ""); err != nil && !errors.As(err, new(*serviceerror.NotFound)) {
		fmt.Fprintf(c.stderr, "starter: interrupted while starting workflow %s, which could not be cancelled (%v); should it have started, stop it with `starter cancel %s`\n", id, err, id)
	}
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
