package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// queryTimeout bounds one status query: a workflow whose worker is down
// does not answer.
const queryTimeout = 5 * time.Second

// follower prints a workflow's status changes and its container's log
// lines until the workflow closes.
type follower struct {
	c           *cli
	tc          client.Client
	workflowID  string
	runID       string
	poll        time.Duration
	printStatus bool
	logs        *logPrinter // nil: no logs
	// interrupts, when not nil, cancel the workflow (Ctrl-C); a second
	// one stops waiting.
	interrupts <-chan os.Signal

	last    workflows.Status
	queried bool
	// interrupted is set once an interrupt asked to cancel the
	// workflow: a further one stops waiting.
	interrupted bool
	// cancelled is set once this follower has cancelled the workflow.
	cancelled bool
}

// follow polls until the workflow closes, then prints what is left of the
// logs. An interrupt (Ctrl-C) cancels the workflow when f.interrupts is
// set; a second one stops waiting. It returns the outcome and
// whether this follower cancelled the workflow.
func (f *follower) follow(ctx context.Context) (out outcome, cancelled bool, err error) {
	waitCtx, stopWaiting := context.WithCancel(ctx)
	defer stopWaiting()
	done := make(chan outcome, 1)
	go func() { done <- awaitOutcome(waitCtx, f.tc, f.workflowID, f.runID) }()

	f.update(ctx)
	ticker := time.NewTicker(f.poll)
	defer ticker.Stop()
	for {
		select {
		case out = <-done:
			if ctx.Err() != nil {
				return out, f.cancelled, ctx.Err()
			}
			f.update(ctx)
			f.drainLogs(ctx, out)
			return out, f.cancelled, nil
		case <-ticker.C:
			f.update(ctx)
		case <-f.interrupts:
			if f.interrupted {
				return outcome{}, f.cancelled, errInterrupted
			}
			if err := f.cancel(ctx); err != nil {
				return outcome{}, f.cancelled, err
			}
		case <-ctx.Done():
			return outcome{}, f.cancelled, ctx.Err()
		}
	}
}

// cancel requests the workflow's cancellation: it stops its task and
// closes, which follow waits for. A workflow that has closed meanwhile
// (Temporal answers NotFound) is no error: its outcome is on its way.
func (f *follower) cancel(ctx context.Context) error {
	f.interrupted = true
	f.note("cancelling workflow %s: its task is being stopped (interrupt again to stop waiting)", f.workflowID)
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err := f.tc.CancelWorkflow(cctx, f.workflowID, f.runID)
	var notFound *serviceerror.NotFound
	switch {
	case err == nil:
		f.cancelled = true
		return nil
	case errors.As(err, &notFound):
		f.note("workflow %s had already closed", f.workflowID)
		return nil
	default:
		return fmt.Errorf("cancel workflow %s: %w", f.workflowID, err)
	}
}

// errInterrupted is returned when the user interrupted the starter.
var errInterrupted = errors.New("interrupted")

// update queries the status, prints a change and new log lines.
func (f *follower) update(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	st, err := queryStatus(qctx, f.tc, f.workflowID, f.runID)
	if err != nil {
		return // not answered yet (no workflow task done, worker busy or down): next poll
	}
	changed := f.printStatus && (!f.queried || statusLine(st) != statusLine(f.last))
	f.last, f.queried = st, true
	// A final status comes after the lines it ends; others before theirs.
	final := st.Phase == workflows.PhaseCompleted || st.Phase == workflows.PhaseFailed || st.Phase == workflows.PhaseCancelled
	if changed && !final {
		f.note("%s", statusLine(st))
	}
	if f.logs != nil && st.LogStream != "" {
		f.logs.print(ctx, st.LogRegion, st.LogGroup, st.LogStream)
	}
	if changed && final {
		f.note("%s", statusLine(st))
	}
}

// drainLogs prints the last lines once the workflow has closed, from the
// result when the status never named the stream.
func (f *follower) drainLogs(ctx context.Context, out outcome) {
	if f.logs == nil {
		return
	}
	region, group, stream := f.last.LogRegion, f.last.LogGroup, f.last.LogStream
	if res := out.taskResult(); stream == "" && res != nil {
		group, stream = res.LogGroup, res.LogStream
	}
	if stream != "" {
		f.logs.print(ctx, region, group, stream)
	}
}

func (f *follower) note(format string, args ...any) {
	fmt.Fprintf(f.c.stderr, "starter: "+format+"\n", args...)
}

// statusLine renders the parts of a status whose change is worth a line.
func statusLine(s workflows.Status) string {
	parts := []string{s.Phase}
	if s.LastStatus != "" {
		parts = append(parts, "ecs="+s.LastStatus)
	}
	if s.TaskArn != "" {
		parts = append(parts, "task="+s.TaskArn)
	}
	if s.ExitCode != nil {
		parts = append(parts, fmt.Sprintf("exitCode=%d", *s.ExitCode))
	}
	if s.StopCode != "" {
		parts = append(parts, "stopCode="+s.StopCode)
	}
	if len(s.Attempts) > 0 {
		var tries []string
		for _, a := range s.Attempts {
			tries = append(tries, fmt.Sprintf("%s (%s: %s)", a.TaskArn, a.StopCode, a.StoppedReason))
		}
		parts = append(parts, "attempts="+strings.Join(tries, ", "))
	}
	return strings.Join(parts, " ")
}

// queryStatus runs the workflow's status query.
func queryStatus(ctx context.Context, tc client.Client, workflowID, runID string) (workflows.Status, error) {
	var st workflows.Status
	v, err := tc.QueryWorkflow(ctx, workflowID, runID, workflows.StatusQuery)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}
