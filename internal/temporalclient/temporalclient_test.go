package temporalclient_test

import (
	"context"
	"flag"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/temporalclient"
)

// isolate clears the Temporal environment configuration: no profile file,
// no TEMPORAL_* variables but vars.
func isolate(t *testing.T, vars map[string]string) {
	t.Helper()
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	for _, k := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_PROFILE", "TEMPORAL_API_KEY"} {
		t.Setenv(k, vars[k])
	}
}

func TestClientOptionsDefaults(t *testing.T) {
	isolate(t, nil)
	opts, err := temporalclient.Flags{}.ClientOptions()
	require.NoError(t, err)
	assert.Equal(t, "localhost:7233", opts.HostPort)
	assert.Equal(t, "default", opts.Namespace)
}

func TestFlagsOverrideTheEnvironment(t *testing.T) {
	isolate(t, map[string]string{"TEMPORAL_ADDRESS": "env:7233", "TEMPORAL_NAMESPACE": "env-ns"})
	opts, err := temporalclient.Flags{}.ClientOptions()
	require.NoError(t, err)
	assert.Equal(t, "env:7233", opts.HostPort)
	assert.Equal(t, "env-ns", opts.Namespace)

	var f temporalclient.Flags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f.Register(fs)
	require.NoError(t, fs.Parse([]string{"--address", "flag:7233", "--namespace", "flag-ns"}))
	opts, err = f.ClientOptions()
	require.NoError(t, err)
	assert.Equal(t, "flag:7233", opts.HostPort)
	assert.Equal(t, "flag-ns", opts.Namespace)
}

func TestDialErrorNamesAddressAndNamespace(t *testing.T) {
	isolate(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err = temporalclient.Flags{Address: addr, Namespace: "ns"}.Dial(ctx, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connect to Temporal at "+addr+" (namespace ns)")
}
