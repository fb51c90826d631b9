package ecslocal

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Names of the runtimes, as the --runtime flags take them.
const (
	// RuntimeProcess runs each container's entryPoint + command as a host
	// process; the image is recorded, never used.
	RuntimeProcess = "process"
	// RuntimeDocker runs each container from its image on a Docker engine.
	RuntimeDocker = "docker"
)

// Runtime runs the containers of a Server's tasks: NewProcessRuntime (the
// default) or NewDockerRuntime. A Runtime serves one Server, which closes
// it in Close.
type Runtime interface {
	// Name is RuntimeProcess or RuntimeDocker.
	Name() string

	// bind gives the runtime the server's logger before its first task.
	bind(log *slog.Logger)
	// pull makes an image available, pulling it when it is missing; its
	// error is what ECS reports after "CannotPullContainerError: ".
	pull(ctx context.Context, image string) error
	// create prepares a container of a task without starting it.
	create(ctx context.Context, req *createRequest) (container, error)
	// close releases the runtime once no task runs: nothing it started is
	// left behind.
	close() error
}

// NewRuntime returns the runtime a --runtime flag names, with its default
// options: RuntimeProcess or RuntimeDocker (which connects to the engine
// DOCKER_HOST names and removes what crashed servers left there).
func NewRuntime(ctx context.Context, name string) (Runtime, error) {
	switch name {
	case RuntimeProcess, "":
		return NewProcessRuntime(ProcessOptions{})
	case RuntimeDocker:
		return NewDockerRuntime(ctx, DockerOptions{})
	}
	return nil, fmt.Errorf("ecslocal: unknown runtime %q: want %s or %s", name, RuntimeProcess, RuntimeDocker)
}

// createRequest is one container to create.
type createRequest struct {
	taskID, taskARN, family string
	spec                    *containerSpec
	// runtimeID is the id the process runtime reports for the container.
	runtimeID string
	// peers are the runtime ids of the task's containers running now, the
	// oldest first: a new container joins their network namespace.
	peers []string
}

// container is a created container. Its methods are called from one
// goroutine at a time, except stop and kill, which may race wait.
type container interface {
	// runtimeID is the id ECS reports as the container's runtimeId; it may
	// change in start (a container recreated to join another namespace).
	runtimeID() string
	// start runs the container. Each line of its output goes to sink (nil:
	// discarded), in order; health is called with each change of its
	// health status when it has a health check. On error the container
	// did not start and needs only remove.
	start(ctx context.Context, sink func(string), health func(types.HealthStatus)) error
	// wait blocks until the container has exited; from then on it gets no
	// more signals.
	wait() exitResult
	// stop sends SIGTERM once and arranges SIGKILL at killAt, unless one
	// is due earlier already.
	stop(killAt time.Time)
	// kill sends SIGKILL now.
	kill()
	// drain waits, after wait, until all output reached the sink.
	drain()
	// remove releases what is left of the container.
	remove()
}

// exitResult is how a container ended.
type exitResult struct {
	code int
	// oom: the kernel killed it for exceeding its memory limit.
	oom bool
}

// reasonOutOfMemory is ECS's reason for a container killed for its memory.
const reasonOutOfMemory = "OutOfMemoryError: Container killed due to memory usage"
