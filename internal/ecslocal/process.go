package ecslocal

import (
	"bufio"
	"cmp"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	// logDrainTimeout bounds how long output is still read after a
	// container's processes were killed, in case a process that left
	// the process group holds the pipe open.
	logDrainTimeout = 2 * time.Second
	// maxEventBytes is the largest message one log event carries, as the
	// awslogs driver splits longer lines (CloudWatch's limit less its
	// per-event overhead).
	maxEventBytes = 256*1024 - 26
)

// process is the running main process of a container and its process
// group. Signals reach the group only while its main process has not been
// reaped: until then the kernel keeps the group id from being reused.
type process struct {
	spec *containerSpec
	cmd  *exec.Cmd
	pgid int
	// kill sends sig to the process group pgid; syscall.Kill(-pgid, sig)
	// unless a test observes the signals.
	kill func(pgid int, sig syscall.Signal)

	logR    *os.File      // read end of the output pipe; nil when output is discarded
	logDone chan struct{} // closed when all output was delivered

	mu        sync.Mutex // guards the fields below
	exited    bool       // the main process exited: no more signals
	termSent  bool
	killAt    time.Time
	killTimer *time.Timer // the SIGKILL due at killAt, if a stop was requested
}

// startProcess starts a container's command in its own process group.
// Each line it writes to stdout or stderr is passed to sink, in order;
// with a nil sink output is discarded. The image is not used: the command
// runs on the host.
func startProcess(sp *containerSpec, sink func(line string)) (*process, error) {
	args := sp.args()
	if len(args) == 0 {
		return nil, errors.New("no command specified: the container has neither entryPoint nor command (the process runtime does not read images)")
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = processEnv(sp.env)
	cmd.Dir = sp.dir
	cmd.SysProcAttr = sysProcAttr()
	p := &process{spec: sp, cmd: cmd, kill: killGroup}
	var pw *os.File
	if sink != nil {
		r, w, err := os.Pipe()
		if err != nil {
			return nil, err
		}
		p.logR, pw = r, w
		cmd.Stdout, cmd.Stderr = w, w
	}
	err := cmd.Start()
	if pw != nil {
		_ = pw.Close()
	}
	if err != nil {
		if p.logR != nil {
			_ = p.logR.Close()
		}
		return nil, err
	}
	p.pgid = cmd.Process.Pid
	if p.logR != nil {
		p.logDone = make(chan struct{})
		go pumpLines(p.logR, sink, p.logDone)
	}
	return p, nil
}

// pumpLines passes each line read from r to sink, without its newline;
// lines longer than maxEventBytes are split. Empty lines are dropped, as
// CloudWatch Logs accepts no empty event.
func pumpLines(r io.Reader, sink func(string), done chan<- struct{}) {
	defer close(done)
	br := bufio.NewReaderSize(r, 4096)
	var pending strings.Builder
	flush := func() {
		if pending.Len() > 0 {
			sink(pending.String())
			pending.Reset()
		}
	}
	for {
		chunk, err := br.ReadSlice('\n')
		line, complete := strings.CutSuffix(string(chunk), "\n")
		for len(line) > 0 {
			n := min(len(line), maxEventBytes-pending.Len())
			pending.WriteString(line[:n])
			line = line[n:]
			if pending.Len() >= maxEventBytes {
				flush()
			}
		}
		if complete {
			flush()
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			flush()
			return
		}
	}
}

// killGroup sends sig to the process group pgid.
func killGroup(pgid int, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
}

// signal sends sig to the container's process group, unless its main
// process has exited.
func (p *process) signal(sig syscall.Signal) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.exited {
		p.kill(p.pgid, sig)
	}
}

// stop sends SIGTERM to the container's process group (the first time) and
// arranges SIGKILL at killAt, unless one is due earlier already. It does
// nothing once the main process has exited.
func (p *process) stop(killAt time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.exited {
		return
	}
	if !p.termSent {
		p.termSent = true
		p.kill(p.pgid, syscall.SIGTERM)
	}
	if p.killTimer != nil {
		if !killAt.Before(p.killAt) {
			return
		}
		p.killTimer.Stop()
	}
	p.killAt = killAt
	p.killTimer = time.AfterFunc(time.Until(killAt), func() { p.signal(syscall.SIGKILL) })
}

// waitExit waits for the main process to exit, kills what is left of its
// process group (as stopping a container does) and returns its exit code
// as Docker reports it: 128+N for a process killed by signal N. From then
// on the process gets no more signals: a pending SIGKILL is cancelled, so
// it cannot hit a process group that reuses the id. Its output may still
// be in flight: drain waits for it.
func (p *process) waitExit() int {
	// Where the exit can be awaited without reaping the process, the group
	// id stays ours until after the last signal; elsewhere a signal racing
	// the exit may still find the id reused.
	unreaped := waitUnreaped(p.cmd.Process.Pid)
	if !unreaped {
		_ = p.cmd.Wait()
	}
	p.mu.Lock()
	p.kill(p.pgid, syscall.SIGKILL)
	p.exited = true
	if p.killTimer != nil {
		p.killTimer.Stop()
	}
	p.mu.Unlock()
	if unreaped {
		_ = p.cmd.Wait()
	}
	return exitCode(p.cmd.ProcessState)
}

// drain waits, after waitExit, until all of the container's output has
// been delivered to its sink (at most logDrainTimeout longer, in case a
// process that left the process group holds the pipe open).
func (p *process) drain() {
	if p.logR == nil {
		return
	}
	_ = p.logR.SetReadDeadline(time.Now().Add(logDrainTimeout))
	<-p.logDone
	_ = p.logR.Close()
}

func exitCode(ps *os.ProcessState) int {
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// processEnv is a container's process environment: PATH and HOME of the
// server (an image would bring its own), then the definition's variables.
func processEnv(vars []string) []string {
	env := []string{"PATH=" + cmp.Or(os.Getenv("PATH"), "/usr/local/bin:/usr/bin:/bin"), "HOME=" + cmp.Or(os.Getenv("HOME"), "/")}
	return append(env, vars...)
}
