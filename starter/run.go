package main

import (
	"context"
	"errors"
	"os"
	"time"
)

// defaultPoll is how often the starter polls a workflow's status and logs.
const defaultPoll = time.Second

// runCmd is `starter run`: start a job, print its status changes and its
// container's log lines, exit with the container's exit code. Ctrl-C
// cancels the workflow, which stops the task, and exits 130; before the
// workflow has started, it aborts the start.
func runCmd(ctx context.Context, c *cli, args []string) (int, error) {
	startCtx, interrupted := watchInterrupt(ctx, c.interrupts)
	defer interrupted()
	fs := newFlagSet(c)
	var s startFlags
	s.register(fs)
	poll := fs.Duration("poll", defaultPoll, "how often to poll the job's status and logs")
	logs := fs.Bool("logs", true, "print the container's log lines, read from CloudWatch Logs with the starter's AWS configuration")
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	// Like docker run, the output is shown: stream it by default.
	tc, run, err := s.launch(startCtx, c, fs.Args(), map[string]any{"streamOutput": true})
	// An interrupt from here on is the follower's.
	earlyInterrupt := interrupted()
	if err != nil {
		if earlyInterrupt {
			return 130, nil // the start was aborted: like a shell, no message
		}
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
	if earlyInterrupt { // the workflow started as the start was being aborted
		if err := f.cancel(ctx); err != nil {
			return 1, err
		}
	}
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

// watchInterrupt returns a context derived from ctx that the first
// interrupt cancels. stop stops watching and reports whether an interrupt
// came; interrupts after stop are left on the channel.
func watchInterrupt(ctx context.Context, interrupts <-chan os.Signal) (_ context.Context, stop func() bool) {
	wctx, cancel := context.WithCancel(ctx)
	quit := make(chan struct{})
	got := make(chan bool, 1)
	go func() {
		select {
		case <-interrupts:
			cancel()
			got <- true
		case <-quit:
			got <- false
		}
	}()
	var (
		stopped     bool
		interrupted bool
	)
	return wctx, func() bool {
		if !stopped {
			stopped = true
			close(quit)
			interrupted = <-got
			cancel()
		}
		return interrupted
	}
}
