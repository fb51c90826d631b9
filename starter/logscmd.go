package main

import (
	"context"
	"fmt"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
)

// logsCmd is `starter logs ID [-f]`: print the container's log lines, each
// once and in order; with -f, keep printing them until the workflow
// closes.
func logsCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var wf workflowFlags
	wf.register(fs)
	poll := fs.Duration("poll", defaultPoll, "with -f, how often to poll for new lines")
	follow := fs.Bool("f", false, "follow: print new lines until the workflow closes")
	fs.BoolVar(follow, "follow", false, "same as -f")
	id, tc, err := wf.open(ctx, c, fs, args)
	if err != nil {
		return 0, err
	}
	defer tc.Close()
	f := &follower{c: c, tc: tc, workflowID: id, runID: wf.runID, poll: *poll, logs: newLogPrinter(c)}
	return 0, f.printLogs(ctx, *follow)
}

// printLogs prints the workflow's container lines: with follow and a
// running workflow, until it closes; otherwise those in the stream now.
// For a closed workflow that is the whole output: its result says where
// the stream is and how many lines the worker read, so no worker needs to
// answer a query, and the lines CloudWatch makes readable late are waited
// for while the grace period after the close has not passed.
func (f *follower) printLogs(ctx context.Context, follow bool) error {
	desc, err := f.tc.DescribeWorkflow(ctx, f.workflowID, f.runID)
	if err != nil {
		return fmt.Errorf("describe workflow %s: %w", f.workflowID, err)
	}
	running := desc.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	if follow && running {
		_, _, err := f.follow(ctx)
		return err
	}
	loc := outputLoc{lines: -1}
	grace := time.Duration(0) // a running workflow: what is there now
	if !running {
		loc = outputOf(awaitOutcome(ctx, f.tc, f.workflowID, desc.WorkflowExecution.RunID).taskResult())
		grace = f.logs.finalGrace()
		if closed := desc.WorkflowCloseTime; closed != nil {
			grace = max(time.Until(closed.Add(grace)), 0)
		}
	}
	if loc.stream == "" || loc.region == "" {
		qctx := ctx
		if loc.stream != "" { // only the region is missing: do not wait long
			var cancel context.CancelFunc
			qctx, cancel = context.WithTimeout(ctx, queryTimeout)
			defer cancel()
		}
		st, err := queryStatus(qctx, f.tc, f.workflowID, f.runID)
		switch {
		case err != nil && loc.stream == "":
			return fmt.Errorf("query workflow %s (is a worker running?): %w", f.workflowID, err)
		case err == nil && (loc.stream == "" || loc.stream == st.LogStream):
			loc.region, loc.group, loc.stream = st.LogRegion, st.LogGroup, st.LogStream
		}
	}
	if loc.stream == "" {
		return fmt.Errorf("workflow %s has no log stream (yet): the container needs the awslogs driver (configureCloudwatchLogs or streamOutput)", f.workflowID)
	}
	f.logs.drain(ctx, loc.region, loc.group, loc.stream, loc.lines, grace)
	return nil
}
