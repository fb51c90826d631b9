package main

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	tlog "go.temporal.io/sdk/log"
)

// dialTemporal connects to Temporal with the SDK's environment
// configuration (profile file and TEMPORAL_* variables), the flags on top.
func dialTemporal(ctx context.Context, c *config, logger *slog.Logger) (client.Client, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return nil, fmt.Errorf("temporal client configuration: %w", err)
	}
	if c.temporalAddress != "" {
		opts.HostPort = c.temporalAddress
	}
	if c.temporalNamespace != "" {
		opts.Namespace = c.temporalNamespace
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	opts.Logger = tlog.NewStructuredLogger(logger)
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return cl, nil
}
