package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

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
