package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"text/tabwriter"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// workflowFlags are the flags of the commands that act on one workflow,
// named by their one argument: the connection and --run-id.
type workflowFlags struct {
	conn  connFlags
	runID string
}

func (w *workflowFlags) register(fs *flagSet) {
	w.conn.register(fs, false)
	fs.StringVar(&w.runID, "run-id", "", "run of the workflow (default: the latest)")
}

// open parses args, which must hold one WORKFLOW_ID, and connects to
// Temporal. The caller closes tc.
func (w *workflowFlags) open(ctx context.Context, c *cli, fs *flagSet, args []string) (id string, tc client.Client, err error) {
	if err := fs.parse(c, args); err != nil {
		return "", nil, err
	}
	if fs.NArg() != 1 {
		return "", nil, usageErrorf("want one WORKFLOW_ID, got %d arguments", fs.NArg())
	}
	if tc, err = w.conn.dial(ctx, c); err != nil {
		return "", nil, err
	}
	return fs.Arg(0), tc, nil
}

// statusCmd is `starter status ID`: the workflow's state and its status query.
func statusCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var wf workflowFlags
	wf.register(fs)
	asJSON := fs.Bool("json", false, "print the status query's result as JSON")
	id, tc, err := wf.open(ctx, c, fs, args)
	if err != nil {
		return 0, err
	}
	defer tc.Close()
	desc, err := tc.DescribeWorkflow(ctx, id, wf.runID)
	if err != nil {
		return 0, fmt.Errorf("describe workflow %s: %w", id, err)
	}
	st, qerr := queryStatus(ctx, tc, id, wf.runID)
	if *asJSON {
		if qerr != nil {
			return 0, fmt.Errorf("query workflow %s: %w", id, qerr)
		}
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		return 0, enc.Encode(st)
	}
	printStatus(c.stdout, id, desc.Status.String(), st)
	if qerr != nil {
		fmt.Fprintf(c.stderr, "starter: the status query was not answered (is a worker running?): %v\n", qerr)
	}
	return 0, nil
}

// printStatus writes the status as aligned "label: value" lines.
func printStatus(w io.Writer, id, execStatus string, st workflows.Status) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(tw, "%s:\t%s\n", label, value)
		}
	}
	line("Workflow", id)
	line("Execution", execStatus)
	line("Phase", st.Phase)
	line("Image", st.Image)
	line("Cluster", st.Cluster)
	line("Task definition", st.TaskDefinitionArn)
	line("Task", st.TaskArn)
	line("ECS status", st.LastStatus)
	if st.ExitCode != nil {
		line("Exit code", fmt.Sprint(*st.ExitCode))
	}
	line("Stop code", st.StopCode)
	line("Stopped reason", st.StoppedReason)
	if st.LogStream != "" {
		line("Logs", st.LogGroup+"/"+st.LogStream)
	}
	line("Error", st.Error)
	for _, warn := range st.Warnings {
		line("Warning", warn)
	}
	_ = tw.Flush()
}

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
