// Package temporalclient connects the worker and the starter to Temporal
// the same way: the SDK's environment configuration (profile file and
// TEMPORAL_* variables) with the --address and --namespace flags on top.
package temporalclient

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	tlog "go.temporal.io/sdk/log"
)

// Flags are the --address and --namespace flags. An empty field keeps the
// environment configuration's value.
type Flags struct {
	Address   string
	Namespace string
}

// Register defines --address and --namespace on fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Address, "address", "",
		"Temporal frontend host:port, overriding TEMPORAL_ADDRESS and the profile (default localhost:7233)")
	fs.StringVar(&f.Namespace, "namespace", "",
		"Temporal namespace, overriding TEMPORAL_NAMESPACE and the profile (default \"default\")")
}

// ClientOptions returns the client options of the environment
// configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TLS settings, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE) with the flags on
// top and the SDK's defaults for an address or namespace still unset.
func (f Flags) ClientOptions() (client.Options, error) {
	opts, err := envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
	if err != nil {
		return client.Options{}, fmt.Errorf("temporal client configuration: %w", err)
	}
	if f.Address != "" {
		opts.HostPort = f.Address
	}
	if f.Namespace != "" {
		opts.Namespace = f.Namespace
	}
	if opts.HostPort == "" {
		opts.HostPort = client.DefaultHostPort
	}
	if opts.Namespace == "" {
		opts.Namespace = client.DefaultNamespace
	}
	return opts, nil
}

// Dial connects to Temporal with ClientOptions; the SDK logs to logger.
func (f Flags) Dial(ctx context.Context, logger *slog.Logger) (client.Client, error) {
	opts, err := f.ClientOptions()
	if err != nil {
		return nil, err
	}
	opts.Logger = tlog.NewStructuredLogger(logger)
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return tc, nil
}
