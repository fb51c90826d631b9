package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// previewCmd is `starter preview`: print the task definition and RunTask
// request the job would send, as ECS's request bodies, with placeholders
// for what only AWS knows, and the job's warnings on stderr. It calls
// neither AWS nor Temporal.
func previewCmd(_ context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var jf jobFlags
	jf.register(fs)
	var defaultsFile, region string
	fs.StringVar(&defaultsFile, "job-defaults", "",
		fs.env.Bind("job-defaults", "TEMPORAL_ECS_JOB_DEFAULTS", "the worker's job defaults `file`, merged under the job"))
	fs.StringVar(&region, "worker-region", "",
		fs.env.Bind("worker-region", "AWS_REGION", "the worker's AWS region, used when the job sets none"))
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	raw, err := jf.build(c.stdin, fs.Args(), nil)
	if err != nil {
		return 0, err
	}
	var defaults []byte
	if defaultsFile != "" {
		if defaults, err = os.ReadFile(defaultsFile); err != nil {
			return 0, fmt.Errorf("--job-defaults: %w", err)
		}
	}
	res, err := job.Preview(raw, job.PrepareOptions{Defaults: defaults, Region: region})
	if err != nil {
		return 0, err
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(c.stderr, "starter: warning:", w)
	}
	// stdout holds only the request bodies, for jq and diffs: the fallback
	// RunTask request too when the job retries interrupted tasks on one.
	enc := json.NewEncoder(c.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return 0, enc.Encode(struct {
		TaskDefinition     map[string]any `json:"taskDefinition"`
		TaskRunRequest     map[string]any `json:"taskRunRequest"`
		FallbackRunRequest map[string]any `json:"fallbackRunTaskRequest,omitempty"`
	}{res.TaskDefinition, res.TaskRunRequest, res.FallbackRunRequest})
}
