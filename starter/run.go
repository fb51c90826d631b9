package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

// defaultPoll is how often the starter polls a workflow's status and logs.
const defaultPoll = time.Second

// runCmd is `starter run`: start a job, print its status changes and its
// container's log lines, exit with the container's exit code. Ctrl-C
// cancels the workflow, which stops the task, and exits 130; before the
// workflow has started, it aborts the start. A --workflow-id a running
// workflow has is refused (exit 1, nothing started or cancelled); with
// --attach, runCmd follows that workflow instead (see attach).
func runCmd(ctx context.Context, c *cli, args []string) (int, error) {
	startCtx, interrupted := watchInterrupt(ctx, c.interrupts)
	defer interrupted()
	fs := newFlagSet(c)
	var s startFlags
	s.register(fs)
	poll := fs.Duration("poll", defaultPoll, "how often to poll the job's status and logs")
	logs := fs.Bool("logs", true, "print the container's log lines, read from CloudWatch Logs with the starter's AWS configuration")
	attaching := fs.Bool("attach", false, "follow the running workflow --workflow-id names instead of starting a job (takes no job flags or command): "+
		"status, log lines and exit status as for a job run starts, but Ctrl-C only stops following and the workflow goes on (stop it with starter cancel ID)")
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	if *attaching {
		f := &follower{c: c, workflowID: s.workflowID, poll: *poll, printStatus: true}
		if *logs {
			f.logs = newLogPrinter(c)
		}
		return attach(startCtx, fs, &s, f)
	}
	// Like docker run, the output is shown: stream it by default.
	tc, run, err := s.launch(startCtx, c, fs.Args(), map[string]any{"streamOutput": true})
	// An interrupt from here on is the follower's.
	earlyInterrupt := interrupted()
	if err != nil {
		if earlyInterrupt && !errors.As(err, new(*alreadyRunningError)) {
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

// attach is `starter run --attach --workflow-id ID`: f follows the running
// workflow ID's current run to its end as runCmd follows a workflow it
// started, with the same exit status, except that it never cancels the
// workflow: an interrupt, which ends ctx, stops following and exits 130,
// leaving the workflow running. A workflow that is not running is an error
// (exit 1); job flags, a command or no --workflow-id are usage errors.
func attach(ctx context.Context, fs *flagSet, s *startFlags, f *follower) (int, error) {
	id := s.workflowID
	if id == "" {
		return 0, cliflags.UsageErrorf("--attach needs --workflow-id: the ID of the running workflow to follow")
	}
	if fs.NArg() > 0 {
		return 0, cliflags.UsageErrorf("--attach follows a running workflow: it takes no command (got %q)", fs.Arg(0))
	}
	if fs.given("input") {
		return 0, cliflags.UsageErrorf("--attach follows a running workflow: --input does not apply")
	}
	for _, jf := range jobFields {
		if fs.given(jf.flag) {
			return 0, cliflags.UsageErrorf("--attach follows a running workflow: --%s does not apply", jf.flag)
		}
	}
	// Only an interrupt ends ctx before attach returns.
	interrupted := func() bool { return ctx.Err() != nil }
	c := f.c
	tc, err := s.conn.dial(ctx, c)
	if err != nil {
		if interrupted() {
			return 130, nil
		}
		return 0, err
	}
	defer tc.Close()
	desc, err := tc.DescribeWorkflow(ctx, id, "")
	switch {
	case interrupted():
		return 130, nil
	case errors.As(err, new(*serviceerror.NotFound)):
		return 0, fmt.Errorf("workflow %s is not running: %w", id, err)
	case err != nil:
		return 0, fmt.Errorf("describe workflow %s: %w", id, err)
	case desc.Status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return 0, fmt.Errorf("workflow %s is not running (its latest run is %s): see `starter status %s`", id, desc.Status, id)
	}
	f.tc, f.runID = tc, desc.WorkflowExecution.RunID
	f.note("following workflow %s (run %s): Ctrl-C stops following and leaves it running; `starter cancel %s` stops it", id, f.runID, id)
	out, _, err := f.follow(ctx)
	if err != nil {
		if interrupted() {
			f.note("stopped following workflow %s, which goes on running", id)
			return 130, nil
		}
		return 1, err
	}
	return f.exitCode(out, false), nil
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
