package ecslocal

import (
	"context"
	"fmt"
	"io"
	"maps"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/pkg/stdcopy"
	dcontainer "github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// healthPollInterval is how often the Docker runtime reads the health
// status of a container that has a health check.
const healthPollInterval = 250 * time.Millisecond

// maxWaitAttempts bounds the waits for a container's exit that fail
// (the engine went away), a second apart.
const maxWaitAttempts = 30

// dockerLogDrainTimeout bounds how long the output of a container is still
// read after it exited.
const dockerLogDrainTimeout = 5 * time.Second

// dockerContainer is a container of the Docker runtime.
type dockerContainer struct {
	rt  *dockerRuntime
	req *createRequest
	id  string
	// peers are the containers whose network namespace it may still
	// join, the one it was created with first.
	peers []string

	logCancel context.CancelFunc
	logDone   chan struct{} // closed when all output was delivered; nil: none read
	healthEnd context.CancelFunc
	healthWG  sync.WaitGroup

	mu        sync.Mutex // guards the fields below
	exited    bool
	termSent  bool
	killAt    time.Time
	killTimer *time.Timer
}

// create creates the container, in the network namespace of the first
// peer, or alone with no network but loopback.
func (r *dockerRuntime) create(ctx context.Context, req *createRequest) (container, error) {
	c := &dockerContainer{rt: r, req: req, peers: req.peers}
	if err := c.createNow(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// name is the container's name on the engine.
func (c *dockerContainer) name() string {
	return "ecslocal-" + c.req.family + "-" + c.req.spec.name + "-" + c.req.taskID
}

func (c *dockerContainer) createNow(ctx context.Context) error {
	sp := c.req.spec
	labels := maps.Clone(sp.labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[labelOwner] = self().String()
	labels[labelRuntime] = c.rt.instance
	labels[labelTask] = c.req.taskARN
	labels[labelContainer] = sp.name
	cfg := &dcontainer.Config{
		Image:      sp.image,
		Entrypoint: sp.entryPoint,
		Cmd:        sp.command,
		Env:        sp.env,
		WorkingDir: sp.dir,
		User:       sp.user,
		Labels:     labels,
	}
	if hc := sp.healthCheck; hc != nil {
		cfg.Healthcheck = &dcontainer.HealthConfig{
			Test:        hc.test,
			Interval:    hc.interval,
			Timeout:     hc.timeout,
			Retries:     hc.retries,
			StartPeriod: hc.startPeriod,
		}
	}
	network := dcontainer.NetworkMode("none")
	if len(c.peers) > 0 {
		network = dcontainer.NetworkMode("container:" + c.peers[0])
	}
	host := &dcontainer.HostConfig{
		NetworkMode: network,
		// Output is read back from the engine: a driver it can read.
		LogConfig: dcontainer.LogConfig{Type: "json-file", Config: map[string]string{"max-size": "100m"}},
		Resources: c.rt.resources(sp.limits),
	}
	cctx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	defer cancel()
	res, err := c.rt.cli.ContainerCreate(cctx, client.ContainerCreateOptions{Name: c.name(), Config: cfg, HostConfig: host})
	if err != nil {
		return err
	}
	c.id = res.ID
	return nil
}

// resources turns a container's limits into Docker's, capping its cpus
// at the engine's.
func (r *dockerRuntime) resources(l resourceLimits) dcontainer.Resources {
	res := dcontainer.Resources{
		CPUShares:         l.cpuShares,
		NanoCPUs:          l.nanoCPUs,
		Memory:            l.memory,
		MemoryReservation: l.memoryReservation,
	}
	if r.ncpu > 0 {
		res.NanoCPUs = min(res.NanoCPUs, r.ncpu*1e9)
	}
	if res.Memory > 0 {
		res.MemorySwap = res.Memory // no swap, as on Fargate: over the limit is an OOM kill
		if res.MemoryReservation > res.Memory {
			res.MemoryReservation = 0
		}
	}
	return res
}

func (c *dockerContainer) runtimeID() string { return c.id }

func (c *dockerContainer) start(ctx context.Context, sink func(string), health func(types.HealthStatus)) error {
	for {
		sctx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
		_, err := c.rt.cli.ContainerStart(sctx, c.id, client.ContainerStartOptions{})
		cancel()
		if err == nil {
			break
		}
		// A container cannot join the namespace of one that has exited
		// since it was chosen: join the next running one, or none.
		if len(c.peers) == 0 || c.peerRunning(ctx, c.peers[0]) {
			return err
		}
		c.remove()
		c.peers = c.peers[1:]
		if err := c.createNow(ctx); err != nil {
			return err
		}
	}
	if sink != nil {
		c.followLogs(sink)
	}
	if c.req.spec.healthCheck != nil {
		hctx, cancel := context.WithCancel(context.Background())
		c.healthEnd = cancel
		c.healthWG.Go(func() { c.watchHealth(hctx, health) })
	}
	return nil
}

// peerRunning reports whether the container id still runs.
func (c *dockerContainer) peerRunning(ctx context.Context, id string) bool {
	ictx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	defer cancel()
	res, err := c.rt.cli.ContainerInspect(ictx, id, client.ContainerInspectOptions{})
	return err == nil && res.Container.State != nil && res.Container.State.Running
}

// followLogs passes the container's stdout and stderr, as the engine
// interleaves them, line by line to sink.
func (c *dockerContainer) followLogs(sink func(string)) {
	ctx, cancel := context.WithCancel(context.Background())
	c.logCancel = cancel
	c.logDone = make(chan struct{})
	pr, pw := io.Pipe()
	go pumpLines(pr, sink, c.logDone)
	go func() {
		rc, err := c.rt.cli.ContainerLogs(ctx, c.id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Follow: true})
		if err != nil {
			c.rt.log.Warn("ecslocal: reading container output", "container", c.id, "err", err)
			_ = pw.CloseWithError(err)
			return
		}
		defer rc.Close()
		_, err = stdcopy.StdCopy(pw, pw, rc)
		_ = pw.CloseWithError(err)
	}()
}

// watchHealth reports the engine's health status of the container (which
// runs the health check as ECS has it do) at each change, UNKNOWN first.
func (c *dockerContainer) watchHealth(ctx context.Context, report func(types.HealthStatus)) {
	last := types.HealthStatusUnknown
	report(last)
	ticker := time.NewTicker(healthPollInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		ictx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
		res, err := c.rt.cli.ContainerInspect(ictx, c.id, client.ContainerInspectOptions{})
		cancel()
		if err != nil || res.Container.State == nil || res.Container.State.Health == nil {
			continue
		}
		status := types.HealthStatusUnknown
		switch res.Container.State.Health.Status {
		case dcontainer.Healthy:
			status = types.HealthStatusHealthy
		case dcontainer.Unhealthy:
			status = types.HealthStatusUnhealthy
		}
		if status != last {
			last = status
			report(status)
		}
	}
}

// wait waits until the container has exited and reads its exit code and
// whether the kernel killed it for its memory.
func (c *dockerContainer) wait() exitResult {
	ctx := context.Background()
	for attempt := 1; ; attempt++ {
		w := c.rt.cli.ContainerWait(ctx, c.id, client.ContainerWaitOptions{Condition: dcontainer.WaitConditionNotRunning})
		var err error
		select {
		case <-w.Result:
		case err = <-w.Error:
		}
		if err == nil || cerrdefs.IsNotFound(err) {
			break
		}
		if attempt == maxWaitAttempts {
			c.rt.log.Error("ecslocal: giving up on a container the engine does not report on; killing it", "container", c.id, "err", err)
			c.kill()
			break
		}
		c.rt.log.Warn("ecslocal: waiting for a container, again", "container", c.id, "err", err)
		time.Sleep(time.Second) // the engine did not answer: back off before asking again
	}
	c.mu.Lock()
	c.exited = true
	if c.killTimer != nil {
		c.killTimer.Stop()
	}
	c.mu.Unlock()
	if c.healthEnd != nil {
		c.healthEnd()
		c.healthWG.Wait()
	}
	ictx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	defer cancel()
	res, err := c.rt.cli.ContainerInspect(ictx, c.id, client.ContainerInspectOptions{})
	if err != nil || res.Container.State == nil {
		c.rt.log.Warn("ecslocal: reading a container's exit code", "container", c.id, "err", err)
		return exitResult{code: 137}
	}
	return exitResult{code: res.Container.State.ExitCode, oom: res.Container.State.OOMKilled}
}

// signalLocked sends sig to the container's PID 1 unless it has exited.
func (c *dockerContainer) signalLocked(sig string) {
	if c.exited {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerCallTimeout)
	defer cancel()
	if _, err := c.rt.cli.ContainerKill(ctx, c.id, client.ContainerKillOptions{Signal: sig}); err != nil &&
		!cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		c.rt.log.Warn("ecslocal: signalling a container", "container", c.id, "signal", sig, "err", err)
	}
}

func (c *dockerContainer) stop(killAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.exited {
		return
	}
	if !c.termSent {
		c.termSent = true
		c.signalLocked("SIGTERM")
	}
	if c.killTimer != nil {
		if !killAt.Before(c.killAt) {
			return
		}
		c.killTimer.Stop()
	}
	c.killAt = killAt
	c.killTimer = time.AfterFunc(time.Until(killAt), c.kill)
}

func (c *dockerContainer) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.signalLocked("SIGKILL")
}

func (c *dockerContainer) drain() {
	if c.logDone == nil {
		return
	}
	timer := time.NewTimer(dockerLogDrainTimeout)
	defer timer.Stop()
	select {
	case <-c.logDone:
	case <-timer.C:
		c.rt.log.Warn("ecslocal: container output still open after its exit: the rest is dropped", "container", c.id)
		c.logCancel()
		<-c.logDone
	}
	c.logCancel()
}

func (c *dockerContainer) remove() {
	if c.id == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dockerCallTimeout)
	defer cancel()
	if err := c.rt.removeContainer(ctx, c.id); err != nil {
		c.rt.log.Warn("ecslocal: removing a container", "container", c.id, "err", fmt.Errorf("%w (the next server start removes it)", err))
	}
}
