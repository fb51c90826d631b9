package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Half a key pair is a mistake, not a reason to generate a pair the user
// did not ask for: one line on stderr, exit status 2, nothing served.
func TestStandaloneHalfAKeyPairIsAUsageError(t *testing.T) {
	for name, tc := range map[string]struct {
		env  []string
		args []string
		want string
	}{
		"key id from the environment": {env: []string{"AWS_ACCESS_KEY_ID=AKIAHALFPAIRTEST0001"}, want: "--secret-access-key (or AWS_SECRET_ACCESS_KEY) is not"},
		"secret from the environment": {env: []string{"AWS_SECRET_ACCESS_KEY=half-secret"}, want: "--access-key-id (or AWS_ACCESS_KEY_ID) is not"},
		"key id flag":                 {args: []string{"--access-key-id", "AKIAHALFPAIRTEST0001"}, want: "--secret-access-key (or AWS_SECRET_ACCESS_KEY) is not"},
		"secret flag":                 {args: []string{"--secret-access-key", "half-secret"}, want: "--access-key-id (or AWS_ACCESS_KEY_ID) is not"},
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, append([]string{"--addr", "127.0.0.1:0"}, tc.args...)...)
			cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tc.env...)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			require.Error(t, err)
			require.NoError(t, ctx.Err(), "it must not serve")
			assert.Equal(t, 2, cmd.ProcessState.ExitCode())
			msg := strings.TrimSuffix(stderr.String(), "\n")
			assert.NotContains(t, msg, "\n", "one line")
			assert.True(t, strings.HasPrefix(msg, "ecslocal: "), msg)
			assert.Contains(t, msg, tc.want)
			assert.Contains(t, msg, "give both, or neither")
			assert.Empty(t, stdout.String(), "no generated pair")
		})
	}
}
