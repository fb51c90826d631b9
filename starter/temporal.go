package main

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	tlog "go.temporal.io/sdk/log"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// connFlags select the Temporal server and task queue. The connection
// comes from the SDK's environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings, TEMPORAL_PROFILE),
// the flags on top.
type connFlags struct {
	address, namespace, taskQueue string
}

func (f *connFlags) register(fs *flagSet, withTaskQueue bool) {
	fs.StringVar(&f.address, "address", "",
		"Temporal frontend host:port, overriding TEMPORAL_ADDRESS and the profile (default localhost:7233)")
	fs.StringVar(&f.namespace, "namespace", "",
		"Temporal namespace, overriding TEMPORAL_NAMESPACE and the profile (default \"default\")")
	if withTaskQueue {
		fs.StringVar(&f.taskQueue, "task-queue", workflows.TaskQueue,
			fs.env.Bind("task-queue", "TEMPORAL_ECS_TASK_QUEUE", "task queue of the worker"))
	}
}

// dial connects to Temporal; the SDK's own logs go to stderr at warn level.
func (f *connFlags) dial(ctx context.Context, c *cli) (client.Client, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return nil, fmt.Errorf("temporal client configuration: %w", err)
	}
	if f.address != "" {
		opts.HostPort = f.address
	}
	if f.namespace != "" {
		opts.Namespace = f.namespace
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	opts.Logger = tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(c.stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return tc, nil
}
