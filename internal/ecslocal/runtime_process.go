package ecslocal

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ProcessOptions configure NewProcessRuntime. The zero value is ready to
// use.
type ProcessOptions struct {
	// StateDir is where the runtime records the process groups it starts,
	// so that a runtime created after a crash kills what the crashed
	// server left running (on Linux). It must be the user's alone; the
	// default is $XDG_RUNTIME_DIR/ecslocal, else /dev/shm/ecslocal-<uid>,
	// else ecslocal-<uid> in os.TempDir().
	StateDir string
}

// NewProcessRuntime returns the runtime that runs each container's
// entryPoint + command as a host process in its own process group (the
// image is recorded, never used), with the container's environment (plus
// the server's PATH and HOME) and working directory. It first kills the
// process groups that servers which crashed left behind in the state
// directory.
func NewProcessRuntime(opts ProcessOptions) (Runtime, error) {
	rec, err := openGroupRecords(opts.StateDir)
	if err != nil {
		return nil, fmt.Errorf("ecslocal: process runtime: %w", err)
	}
	return &processRuntime{log: slog.New(slog.DiscardHandler), records: rec}, nil
}

// processRuntime is the Runtime of host processes.
type processRuntime struct {
	log     *slog.Logger
	records *groupRecords
}

func (r *processRuntime) Name() string { return RuntimeProcess }

func (r *processRuntime) bind(log *slog.Logger) { r.log = log }

// pull has nothing to do: images are not used.
func (r *processRuntime) pull(context.Context, string) error { return nil }

func (r *processRuntime) create(_ context.Context, req *createRequest) (container, error) {
	return &processContainer{rt: r, spec: req.spec, id: req.runtimeID}, nil
}

func (r *processRuntime) close() error { return r.records.close() }

// processContainer is a container of the process runtime.
type processContainer struct {
	rt     *processRuntime
	spec   *containerSpec
	id     string
	p      *process
	record string
	// stopHealth ends the health checks; healthDone is closed after.
	stopHealth context.CancelFunc
	healthDone chan struct{}
}

func (c *processContainer) runtimeID() string { return c.id }

func (c *processContainer) start(_ context.Context, sink func(string), health func(types.HealthStatus)) error {
	p, err := startProcess(c.spec, sink)
	if err != nil {
		return fmt.Errorf("Error response from daemon: failed to create task for container: unable to start container process: %w: unknown", err)
	}
	c.p = p
	c.record = c.rt.records.add(p.pgid)
	if hc := c.spec.healthCheck; hc != nil {
		ctx, cancel := context.WithCancel(context.Background())
		c.stopHealth, c.healthDone = cancel, make(chan struct{})
		go func() {
			defer close(c.healthDone)
			monitorHealth(ctx, hc, c.probe, health)
		}()
	}
	return nil
}

// probe runs the health check command once as a host process, in its own
// process group, which is killed when ctx ends.
func (c *processContainer) probe(ctx context.Context) error {
	args := c.spec.healthCheck.args()
	if len(args) == 0 {
		return fmt.Errorf("health check %q has no command", c.spec.healthCheck.test)
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Env = processEnv(c.spec.env)
	cmd.Dir = c.spec.dir
	cmd.SysProcAttr = sysProcAttr()
	cmd.Cancel = func() error { killGroup(cmd.Process.Pid, syscall.SIGKILL); return nil }
	cmd.WaitDelay = time.Second
	return cmd.Run()
}

func (c *processContainer) wait() exitResult {
	code := c.p.waitExit()
	if c.stopHealth != nil {
		c.stopHealth()
		<-c.healthDone
	}
	return exitResult{code: code}
}

func (c *processContainer) stop(killAt time.Time) { c.p.stop(killAt) }

func (c *processContainer) kill() { c.p.signal(syscall.SIGKILL) }

func (c *processContainer) drain() { c.p.drain() }

func (c *processContainer) remove() {
	if c.record != "" {
		c.rt.records.remove(c.record)
	}
}
