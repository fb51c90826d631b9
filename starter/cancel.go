package main

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
)

// cancelCmd is `starter cancel ID`: request cancellation; the workflow
// stops its task. With --wait, wait until the workflow has closed.
func cancelCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var wf workflowFlags
	wf.register(fs)
	wait := fs.Bool("wait", false, "wait until the workflow has stopped its task and closed")
	id, tc, err := wf.open(ctx, c, fs, args)
	if err != nil {
		return 0, err
	}
	defer tc.Close()
	if err := tc.CancelWorkflow(ctx, id, wf.runID); err != nil {
		return 0, fmt.Errorf("cancel workflow %s: %w", id, err)
	}
	fmt.Fprintf(c.stderr, "starter: cancellation of workflow %s requested\n", id)
	if !*wait {
		return 0, nil
	}
	return waitClosed(ctx, c, tc, id, wf.runID)
}

// waitClosed waits for the cancelled workflow to close: exit status 0 when
// it ended cancelled, else as `starter run` would exit.
func waitClosed(ctx context.Context, c *cli, tc client.Client, id, runID string) (int, error) {
	out := awaitOutcome(ctx, tc, id, runID)
	if ctx.Err() != nil {
		return 1, ctx.Err()
	}
	var canceled *temporal.CanceledError
	if errors.As(out.err, &canceled) {
		fmt.Fprintf(c.stderr, "starter: workflow %s cancelled\n", id)
		return 0, nil
	}
	f := &follower{c: c, workflowID: id}
	return f.exitCode(out, false), nil
}
