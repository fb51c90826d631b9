package ecslocal

import (
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signals records the signals a process sends to its group, passing them
// on.
type signals struct {
	mu   sync.Mutex
	sent []syscall.Signal
}

func (r *signals) kill(pgid int, sig syscall.Signal) {
	r.mu.Lock()
	r.sent = append(r.sent, sig)
	r.mu.Unlock()
	killGroup(pgid, sig)
}

func (r *signals) take() []syscall.Signal {
	r.mu.Lock()
	defer r.mu.Unlock()
	sent := r.sent
	r.sent = nil
	return sent
}

func startObserved(t *testing.T, args ...string) (*process, *signals) {
	t.Helper()
	p, err := startProcess(&containerSpec{command: args}, nil)
	require.NoError(t, err)
	rec := &signals{}
	p.kill = rec.kill
	return p, rec
}

// Once the main process has exited, its process group id may belong to
// another group: it gets no more signals.
func TestProcessNotSignalledAfterExit(t *testing.T) {
	p, rec := startObserved(t, "sh", "-c", "exit 3")
	assert.Equal(t, 3, p.waitExit())
	assert.Equal(t, []syscall.Signal{syscall.SIGKILL}, rec.take(), "what is left of the group is killed on exit")

	p.signal(syscall.SIGKILL)
	p.stop(time.Now())
	assert.Empty(t, rec.take())
	p.mu.Lock()
	defer p.mu.Unlock()
	assert.Nil(t, p.killTimer, "no SIGKILL arranged after the exit")
}

// The SIGKILL arranged by a stop is cancelled as soon as the main process
// exits, not when the runner gets round to handling the exit.
func TestProcessKillTimerCancelledOnExit(t *testing.T) {
	p, rec := startObserved(t, "sleep", "30")
	p.stop(time.Now().Add(time.Hour))
	assert.Equal(t, 128+int(syscall.SIGTERM), p.waitExit())
	assert.Equal(t, []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL}, rec.take())
	p.mu.Lock()
	defer p.mu.Unlock()
	require.NotNil(t, p.killTimer)
	assert.False(t, p.killTimer.Stop(), "the SIGKILL timer was still armed after the exit")
}
