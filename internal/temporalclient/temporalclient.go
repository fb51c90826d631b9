// Package temporalclient connects the worker and the starter to Temporal
// the same way: the SDK's environment configuration (profile file and
// TEMPORAL_* variables) with the --address and --namespace flags on top,
// and the payload encryption of --encryption-key-file.
package temporalclient

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	tlog "go.temporal.io/sdk/log"

	"github.com/temporal-ecs/temporal-ecs/codec"
	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

// Flags are the --address, --namespace and --encryption-key-file flags. An
// empty Address or Namespace keeps the environment configuration's value;
// an empty EncryptionKeyFile encrypts nothing.
type Flags struct {
	Address           string
	Namespace         string
	EncryptionKeyFile string
}

// Register defines --address, --namespace and --encryption-key-file on
// fs, the last bound in env to TEMPORAL_ECS_ENCRYPTION_KEY_FILE.
func (f *Flags) Register(fs *flag.FlagSet, env *cliflags.Env) {
	fs.StringVar(&f.Address, "address", "",
		"Temporal frontend host:port, overriding TEMPORAL_ADDRESS and the profile (default localhost:7233)")
	fs.StringVar(&f.Namespace, "namespace", "",
		"Temporal namespace, overriding TEMPORAL_NAMESPACE and the profile (default \"default\")")
	RegisterKeyFile(fs, env, &f.EncryptionKeyFile)
}

// RegisterKeyFile defines --encryption-key-file on fs, setting path and
// bound in env to TEMPORAL_ECS_ENCRYPTION_KEY_FILE.
func RegisterKeyFile(fs *flag.FlagSet, env *cliflags.Env, path *string) {
	fs.StringVar(path, "encryption-key-file", "",
		env.Bind("encryption-key-file", codec.EnvKeyFile,
			"`file` of payload encryption keys, one KEY_ID:BASE64_32_BYTES per line, the newest last: payloads are encrypted with AES-256-GCM under the newest (see the README)"))
}

// Keys loads the key file; nil, and no error, without one.
func (f Flags) Keys() (*codec.Keys, error) {
	if f.EncryptionKeyFile == "" {
		return nil, nil
	}
	return codec.LoadKeys(f.EncryptionKeyFile)
}

// ClientOptions returns the client options of the environment
// configuration (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
// TLS settings, TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE) with the flags on
// top, the SDK's defaults for an address or namespace still unset, and the
// data and failure converters of the key file (codec.ClientOptions; without
// a key file, a data converter that encodes as the SDK's default does and
// fails clearly on an encrypted payload).
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
	keys, err := f.Keys()
	if err != nil {
		return client.Options{}, err
	}
	return codec.ClientOptions(opts, keys), nil
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
