package main

import (
	"context"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
)

// logsCmd is `starter logs ID [-f]`: print the container's log lines; with
// -f, keep printing them until the workflow closes.
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
	if *follow {
		desc, err := tc.DescribeWorkflow(ctx, id, wf.runID)
		if err != nil {
			return 0, fmt.Errorf("describe workflow %s: %w", id, err)
		}
		if desc.Status == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
			_, _, err := f.follow(ctx)
			return 0, err
		}
	}
	st, err := queryStatus(ctx, tc, id, wf.runID)
	if err != nil {
		return 0, fmt.Errorf("query workflow %s (is a worker running?): %w", id, err)
	}
	if st.LogStream == "" {
		return 0, fmt.Errorf("workflow %s has no log stream (yet): the container needs the awslogs driver (configureCloudwatchLogs or streamOutput)", id)
	}
	f.logs.print(ctx, st.LogRegion, st.LogGroup, st.LogStream)
	return 0, nil
}
