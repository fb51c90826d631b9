package main

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
	"github.com/temporal-ecs/temporal-ecs/internal/temporalclient"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// connFlags select the Temporal server and task queue. The connection
// comes from the SDK's environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings, TEMPORAL_PROFILE),
// the flags on top.
type connFlags struct {
	temporal  temporalclient.Flags
	taskQueue string
}

func (f *connFlags) register(fs *flagSet, withTaskQueue bool) {
	f.temporal.Register(fs.FlagSet, &fs.env)
	if withTaskQueue {
		fs.StringVar(&f.taskQueue, "task-queue", workflows.TaskQueue,
			fs.env.Bind("task-queue", "TEMPORAL_ECS_TASK_QUEUE", "task queue of the worker"))
	}
}

// dial connects to Temporal; the SDK's own logs go to stderr at warn level.
func (f *connFlags) dial(ctx context.Context, c *cli) (client.Client, error) {
	if c.dialTemporal != nil {
		return c.dialTemporal(ctx)
	}
	return f.temporal.Dial(ctx, slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}

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
		return "", nil, cliflags.UsageErrorf("want one WORKFLOW_ID, got %d arguments", fs.NArg())
	}
	if tc, err = w.conn.dial(ctx, c); err != nil {
		return "", nil, err
	}
	return fs.Arg(0), tc, nil
}
