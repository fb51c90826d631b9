package temporalclient_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ecs/temporal-ecs/codec"
	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
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
	f.Register(fs, &cliflags.Env{})
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

// keyFile writes a key file of one random key k1 and returns its path and
// the key's base64.
func keyFile(t *testing.T) (string, string) {
	t.Helper()
	b := make([]byte, codec.KeySize)
	_, err := rand.Read(b)
	require.NoError(t, err)
	key := base64.StdEncoding.EncodeToString(b)
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte("k1:"+key+"\n"), 0o600))
	return path, key
}

func TestEncryptionKeyFileFromTheFlagOrTheEnvironment(t *testing.T) {
	isolate(t, nil)
	path, key := keyFile(t)
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"flag":        {args: []string{"--encryption-key-file", path}},
		"environment": {env: map[string]string{codec.EnvKeyFile: path}},
	} {
		t.Run(name, func(t *testing.T) {
			var f temporalclient.Flags
			var env cliflags.Env
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			f.Register(fs, &env)
			require.NoError(t, env.Parse(fs, tc.args, func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok }))
			opts, err := f.ClientOptions()
			require.NoError(t, err)
			require.NotNil(t, opts.FailureConverter)
			p, err := opts.DataConverter.ToPayload("sk_live_abcdef123456")
			require.NoError(t, err)
			assert.Equal(t, codec.EncodingEncrypted, string(p.Metadata["encoding"]))
			assert.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
		})
	}
	var help bytes.Buffer
	var f temporalclient.Flags
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	f.Register(fs, &cliflags.Env{})
	fs.SetOutput(&help)
	fs.PrintDefaults()
	assert.Contains(t, help.String(), "-encryption-key-file file")
	assert.Contains(t, help.String(), "(env TEMPORAL_ECS_ENCRYPTION_KEY_FILE)")
	assert.NotContains(t, help.String(), key)
}

func TestWithoutAKeyFilePayloadsAreTheSDKDefaults(t *testing.T) {
	isolate(t, nil)
	opts, err := temporalclient.Flags{}.ClientOptions()
	require.NoError(t, err)
	assert.Nil(t, opts.FailureConverter)
	p, err := opts.DataConverter.ToPayload(map[string]string{"A": "b"})
	require.NoError(t, err)
	want, err := converter.GetDefaultDataConverter().ToPayload(map[string]string{"A": "b"})
	require.NoError(t, err)
	assert.Equal(t, want.Metadata, p.Metadata)
	assert.Equal(t, want.Data, p.Data)
}

func TestAMalformedKeyFileFailsClientOptionsWithoutItsContent(t *testing.T) {
	isolate(t, nil)
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte("# keys\nk1 sk_live_not_a_key_line\n"), 0o600))
	_, err := temporalclient.Flags{EncryptionKeyFile: path}.ClientOptions()
	require.Error(t, err)
	assert.Equal(t, "encryption key file "+path+": line 2: want KEY_ID:BASE64_32_BYTES", err.Error())
}
