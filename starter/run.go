package main

import (
	"context"
	"errors"
	"time"
)

// defaultPoll is how often the starter polls a workflow's status and logs.
const defaultPoll = time.Second

// runCmd is `starter run`: start a job, print its status changes and its
// container's log lines, exit with the container's exit code. Ctrl-C
// cancels the workflow, which stops the task, and exits 130.
func runCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var s startFlags
	s.register(fs)
	poll := fs.Duration("poll", defaultPoll, "how often to poll the job's status and logs")
	logs := fs.Bool("logs", true, "print the container's log lines, read from CloudWatch Logs with the starter's AWS configuration")
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	// Like docker run, the output is shown: stream it by default.
	tc, run, err := s.launch(ctx, c, fs.Args(), map[string]any{"streamOutput": true})
	if err != nil {
		return 0, err
	}
	defer tc.Close()
	f := &follower{
		c: c, tc: tc, workflowID: run.GetID(), runID: run.GetRunID(),
		poll: *poll, printStatus: true, interrupts: c.interrupts,
	}
	if *logs {
		f.logs = newLogPrinter(c)
	}
	f.note("started workflow %s on task queue %s", run.GetID(), s.conn.taskQueue)
	out, cancelled, err := f.follow(ctx)
	if err != nil {
		if errors.Is(err, errInterrupted) {
			f.note("stopped waiting; workflow %s goes on being cancelled", run.GetID())
			return 130, nil
		}
		return 1, err
	}
	return f.exitCode(out, cancelled), nil
}
