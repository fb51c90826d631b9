package ecslocal

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"
)

// Labels of the containers the Docker runtime creates.
const (
	// labelOwner is the owner (host/boot/pid/start) of the server that
	// created the container: a runtime that starts removes the
	// containers of owners that are gone.
	labelOwner = "io.github.temporal-ecs.ecslocal.owner"
	// labelRuntime tells the runtime instance, for its Close.
	labelRuntime = "io.github.temporal-ecs.ecslocal.runtime"
	// labelTask and labelContainer are the task ARN and container name.
	labelTask      = "io.github.temporal-ecs.ecslocal.task"
	labelContainer = "io.github.temporal-ecs.ecslocal.container"
)

// dockerCallTimeout bounds each short Docker API call (create, kill,
// inspect, remove); pulls, waits and log streams are not bounded.
const dockerCallTimeout = 30 * time.Second

// DockerOptions configure NewDockerRuntime. The zero value uses the
// engine DOCKER_HOST names (else the platform's default socket).
type DockerOptions struct {
	// Host is the engine's address, e.g. "unix:///var/run/docker.sock";
	// empty: DOCKER_HOST, else the default.
	Host string
}

// NewDockerRuntime connects to a Docker engine (negotiating the API
// version, 1.40 at least) and returns the runtime that runs each container
// of a task from its image there: pulled when missing, with the
// definition's entryPoint, command, environment, workingDirectory, user,
// dockerLabels, healthCheck and cpu/memory limits, all containers of a
// task in one network namespace (no network beyond localhost). Before it
// returns it removes the containers that servers which crashed on this
// host left on the engine; its Close removes its own.
func NewDockerRuntime(ctx context.Context, opts DockerOptions) (Runtime, error) {
	// The client negotiates the API version with the engine on its first call.
	clientOpts := []client.Opt{client.FromEnv}
	if opts.Host != "" {
		clientOpts = append(clientOpts, client.WithHost(opts.Host))
	}
	cli, err := client.New(clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("ecslocal: docker runtime: %w", err)
	}
	rt := &dockerRuntime{
		cli:      cli,
		log:      slog.New(slog.DiscardHandler),
		instance: hex.EncodeToString(randomBytes(8)),
	}
	pctx, cancel := context.WithTimeout(ctx, dockerCallTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("ecslocal: docker runtime: no Docker engine answers at %s (set DOCKER_HOST): %w", cli.DaemonHost(), err)
	}
	info, err := cli.Info(pctx, client.InfoOptions{})
	if err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("ecslocal: docker runtime: engine info: %w", err)
	}
	rt.ncpu = int64(info.Info.NCPU)
	if err := rt.removeLeftovers(pctx); err != nil {
		_ = cli.Close()
		return nil, err
	}
	return rt, nil
}

// dockerRuntime is the Runtime of Docker containers.
type dockerRuntime struct {
	cli      *client.Client
	log      *slog.Logger
	instance string // labelRuntime of its containers
	ncpu     int64  // the engine's CPUs, which bound a container's cpus
}

func (r *dockerRuntime) Name() string { return RuntimeDocker }

func (r *dockerRuntime) bind(log *slog.Logger) { r.log = log }

// removeLeftovers removes the containers of owners that are gone.
func (r *dockerRuntime) removeLeftovers(ctx context.Context) error {
	list, err := r.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", labelOwner),
	})
	if err != nil {
		return fmt.Errorf("ecslocal: docker runtime: listing leftover containers: %w", err)
	}
	for _, c := range list.Items {
		o, err := parseOwner(c.Labels[labelOwner])
		if err != nil || !o.gone() {
			continue
		}
		r.log.Info("ecslocal: removing a container a crashed server left", "container", c.ID, "task", c.Labels[labelTask])
		if err := r.removeContainer(ctx, c.ID); err != nil {
			return fmt.Errorf("ecslocal: docker runtime: removing leftover container %s of task %s: %w", c.ID, c.Labels[labelTask], err)
		}
	}
	return nil
}

// removeContainer removes a container, killing it if it runs; one that
// is gone already is no error.
func (r *dockerRuntime) removeContainer(ctx context.Context, id string) error {
	_, err := r.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	// Gone, or being removed already (by the server that owns it, or by
	// another one cleaning up at the same time): either way it goes.
	if err != nil && !cerrdefs.IsNotFound(err) && !cerrdefs.IsConflict(err) {
		return err
	}
	return nil
}

// close removes any container of this runtime still on the engine (there
// is none unless a removal failed) and closes the client.
func (r *dockerRuntime) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), dockerCallTimeout)
	defer cancel()
	var errs []error
	list, err := r.cli.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", labelRuntime+"="+r.instance),
	})
	if err != nil {
		errs = append(errs, fmt.Errorf("ecslocal: docker runtime: listing its containers: %w", err))
	}
	for _, c := range list.Items {
		if err := r.removeContainer(ctx, c.ID); err != nil {
			errs = append(errs, fmt.Errorf("ecslocal: docker runtime: removing container %s: %w", c.ID, err))
		}
	}
	if err := r.cli.Close(); err != nil {
		errs = append(errs, fmt.Errorf("ecslocal: docker runtime: %w", err))
	}
	return errors.Join(errs...)
}
