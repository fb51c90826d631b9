package ecslocal

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The records say which processes to kill: a state directory others may
// write to, or a symbolic link, is refused.
func TestProcessRuntimeRefusesASharedStateDir(t *testing.T) {
	open := t.TempDir()
	require.NoError(t, os.Chmod(open, 0o777))
	_, err := NewProcessRuntime(ProcessOptions{StateDir: open})
	assert.ErrorContains(t, err, "may be written by others")

	link := filepath.Join(t.TempDir(), "link")
	require.NoError(t, os.Symlink(t.TempDir(), link))
	_, err = NewProcessRuntime(ProcessOptions{StateDir: link})
	assert.ErrorContains(t, err, "is not a directory")

	rt, err := NewProcessRuntime(ProcessOptions{StateDir: filepath.Join(t.TempDir(), "state")})
	require.NoError(t, err)
	assert.NoError(t, rt.close())
}
