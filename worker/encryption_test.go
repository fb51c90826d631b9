package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEncryptionKeyFileFromTheEnvironment(t *testing.T) {
	c, err := parseConfig(nil, env(map[string]string{"TEMPORAL_ECS_ENCRYPTION_KEY_FILE": "/etc/keys"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "/etc/keys", c.temporal.EncryptionKeyFile)

	var help bytes.Buffer
	_, err = parseConfig([]string{"--help"}, env(nil), &help)
	require.Error(t, err)
	assert.Contains(t, help.String(), "-encryption-key-file file")
	assert.Contains(t, help.String(), "TEMPORAL_ECS_ENCRYPTION_KEY_FILE")
}

// A malformed key file stops the worker before it starts anything, in one
// line naming the file and the line number, never the line.
func TestAMalformedKeyFileStopsTheWorker(t *testing.T) {
	const line = "k1:c2tfbGl2ZV9hYmNkZWYxMjM0NTY=" // 20 bytes, not 32
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte("# keys\n"+line+"\n"), 0o600))
	var stderr bytes.Buffer
	code := cliMain(context.Background(), []string{"--address=127.0.0.1:1"},
		env(map[string]string{"TEMPORAL_ECS_ENCRYPTION_KEY_FILE": path}), &stderr)
	assert.Equal(t, 1, code)
	assert.Equal(t, "worker: encryption key file "+path+": line 2: the key is 20 bytes, want 32 (AES-256)\n", stderr.String())
	assert.NotContains(t, stderr.String(), strings.TrimPrefix(line, "k1:"))
}
