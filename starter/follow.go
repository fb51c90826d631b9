package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/activities"
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
	if f.logs != nil {
		f.logs.every = f.poll // reads are paced from the polls
	}

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

// update queries the status, prints a change and new log lines. While no
// worker answers the query (all of them down, or restarting), the lines
// of the stream already known go on being printed: the starter reads them
// with its own cursor, so a worker's crash neither repeats nor loses one.
func (f *follower) update(ctx context.Context) {
	qctx, cancel := context.WithTimeout(ctx, queryTimeout)
	defer cancel()
	st, err := queryStatus(qctx, f.tc, f.workflowID, f.runID)
	if err != nil {
		// Not answered yet (no workflow task done, worker busy or down).
		if f.logs != nil && f.last.LogStream != "" {
			f.logs.print(ctx, f.last.LogRegion, f.last.LogGroup, f.last.LogStream)
		}
		return
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

// drainLogs prints the last lines once the workflow has closed: every line
// up to the end of the stream, the throttled pages retried. When the
// worker read the whole output, the starter reads until it has as many
// lines; otherwise it reads on until the stream has been quiet for the
// grace period, for the lines CloudWatch makes readable late. The stream
// comes from the status, else from the result.
func (f *follower) drainLogs(ctx context.Context, out outcome) {
	if f.logs == nil {
		return
	}
	loc := outputOf(out.taskResult())
	if f.last.LogStream != "" && (loc.stream == "" || loc.stream == f.last.LogStream) {
		loc.region, loc.group, loc.stream = cmp.Or(loc.region, f.last.LogRegion), f.last.LogGroup, f.last.LogStream
	}
	if loc.stream != "" {
		f.logs.drain(ctx, loc.region, loc.group, loc.stream, loc.lines, f.logs.finalGrace())
	}
}

// outputLoc is where a task's output is, and how many of its lines the
// worker read when it read them all (-1: unknown).
type outputLoc struct {
	region, group, stream string
	lines                 int64
}

// outputOf returns the output's location as the task's result gives it.
func outputOf(res *activities.TaskResult) outputLoc {
	loc := outputLoc{lines: -1}
	switch {
	case res == nil:
	case res.Output != nil && res.Output.LogStream != "":
		o := res.Output
		loc.region, loc.group, loc.stream = o.LogRegion, o.LogGroup, o.LogStream
		if o.Complete {
			loc.lines = o.Lines
		}
	default:
		loc.group, loc.stream = res.LogGroup, res.LogStream
	}
	return loc
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
