package e2e_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNoTemporalCLIFailsUnderCI runs this test binary again with no `go` on
// PATH, so that the Temporal CLI cannot be built: the suite skips, except
// under CI, where it fails.
func TestNoTemporalCLIFailsUnderCI(t *testing.T) {
	run := func(ci string) (int, string) {
		t.Helper()
		cmd := exec.Command(os.Args[0], "-test.run=^$", "-test.count=1")
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "PATH=") && !strings.HasPrefix(kv, "CI=") {
				cmd.Env = append(cmd.Env, kv)
			}
		}
		cmd.Env = append(cmd.Env, "PATH="+t.TempDir())
		if ci != "" {
			cmd.Env = append(cmd.Env, "CI="+ci)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return exit.ExitCode(), stderr.String()
		}
		require.NoError(t, err, stderr.String())
		return 0, stderr.String()
	}

	code, stderr := run("")
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stderr, "e2e: skipping: cannot build the Temporal CLI")

	code, stderr = run("false")
	assert.Equal(t, 0, code, stderr)

	for _, ci := range []string{"true", "1"} {
		code, stderr = run(ci)
		assert.Equal(t, 1, code, "CI=%s: %s", ci, stderr)
		assert.Contains(t, stderr, "e2e: failing (CI is set, so no skip): cannot build the Temporal CLI")
	}
}
