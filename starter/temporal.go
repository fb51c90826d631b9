package main

import (
	"context"
	"log/slog"

	"go.temporal.io/sdk/client"

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
	f.temporal.Register(fs.FlagSet)
	if withTaskQueue {
		fs.StringVar(&f.taskQueue, "task-queue", workflows.TaskQueue,
			fs.env.Bind("task-queue", "TEMPORAL_ECS_TASK_QUEUE", "task queue of the worker"))
	}
}

// dial connects to Temporal; the SDK's own logs go to stderr at warn level.
func (f *connFlags) dial(ctx context.Context, c *cli) (client.Client, error) {
	return f.temporal.Dial(ctx, slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
}
