package ecslocal_test

import (
	"cmp"
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// testImageEnv overrides the image the Docker runtime's tests run; CI
// builds the default one without a registry (see .ci/run).
const testImageEnv = "ECSLOCAL_TEST_IMAGE"

// defaultTestImage is a busybox rootfs imported with docker import; it
// holds the file /etc/ecslocal-test-image.
const defaultTestImage = "temporal-ecs-test/busybox:local"

// capability is something a lifecycle case needs of a runtime.
type capability string

const (
	// capImages: containers run from their image (pulls, users, files).
	capImages capability = "images"
	// capMemoryLimits: a container over its memory is killed.
	capMemoryLimits capability = "memory limits"
)

// testRuntime is one runtime the lifecycle table runs against.
type testRuntime struct {
	name  string
	image string // what the definitions name
	caps  map[capability]bool
	// open returns a new runtime for one server (stateDir: where the
	// process runtime keeps its crash records).
	open func(t *testing.T, stateDir string) ecslocal.Runtime
	// leftovers reports what is still running of a task: processes among
	// pids (which the task reported) for the process runtime, containers
	// labelled with the task for Docker.
	leftovers func(t *testing.T, taskARN string, pids []int) []string
}

// testRuntimes returns the process runtime and, when a Docker engine
// answers (DOCKER_HOST) with the test image, the Docker runtime. Under CI
// a missing engine or image fails the test instead of skipping it.
func testRuntimes(t *testing.T) []testRuntime {
	rts := []testRuntime{processTestRuntime()}
	if rt, ok := dockerTestRuntime(t); ok {
		rts = append(rts, rt)
	}
	return rts
}

func processTestRuntime() testRuntime {
	return testRuntime{
		name:  ecslocal.RuntimeProcess,
		image: "busybox:latest",
		caps:  map[capability]bool{},
		open: func(t *testing.T, stateDir string) ecslocal.Runtime {
			rt, err := ecslocal.NewProcessRuntime(ecslocal.ProcessOptions{StateDir: stateDir})
			require.NoError(t, err)
			return rt
		},
		leftovers: func(_ *testing.T, _ string, pids []int) []string {
			var alive []string
			for _, pid := range pids {
				if processAlive(pid) {
					alive = append(alive, "pid "+strconv.Itoa(pid))
				}
			}
			return alive
		},
	}
}

// dockerUnavailable skips t, or fails it under CI.
func dockerUnavailable(t *testing.T, why string) {
	t.Helper()
	if underCI() {
		t.Fatalf("the Docker runtime cannot be tested, and CI must test it: %s", why)
	}
	t.Logf("skipping the Docker runtime: %s", why)
}

func dockerTestRuntime(t *testing.T) (testRuntime, bool) {
	t.Helper()
	image := cmp.Or(os.Getenv(testImageEnv), defaultTestImage)
	cli, err := client.New(client.FromEnv)
	if err != nil {
		dockerUnavailable(t, err.Error())
		return testRuntime{}, false
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		dockerUnavailable(t, "no Docker engine answers (set DOCKER_HOST): "+err.Error())
		return testRuntime{}, false
	}
	if _, err := cli.ImageInspect(ctx, image); err != nil {
		dockerUnavailable(t, "the test image "+image+" is missing (build it as .ci/run does): "+err.Error())
		return testRuntime{}, false
	}
	return testRuntime{
		name:  ecslocal.RuntimeDocker,
		image: image,
		caps:  map[capability]bool{capImages: true, capMemoryLimits: true},
		open: func(t *testing.T, _ string) ecslocal.Runtime {
			rt, err := ecslocal.NewDockerRuntime(t.Context(), ecslocal.DockerOptions{})
			require.NoError(t, err)
			return rt
		},
		leftovers: func(t *testing.T, taskARN string, _ []int) []string {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			list, err := cli.ContainerList(ctx, client.ContainerListOptions{
				All:     true,
				Filters: make(client.Filters).Add("label", "io.github.temporal-ecs.ecslocal.task="+taskARN),
			})
			require.NoError(t, err)
			var ids []string
			for _, c := range list.Items {
				ids = append(ids, "container "+c.ID[:12]+" ("+string(c.State)+")")
			}
			return ids
		},
	}, true
}

// underCI reports whether CI runs the tests (CI=true).
func underCI() bool {
	ci, _ := strconv.ParseBool(os.Getenv("CI"))
	return ci
}

// newRuntimeEnv starts a server on rt for t, with its own state
// directory, and returns an env whose definitions name rt's image.
func newRuntimeEnv(t *testing.T, rt testRuntime, opts ecslocal.Options) *env {
	t.Helper()
	opts.Runtime = rt.open(t, t.TempDir())
	e := newEnv(t, opts)
	e.image = rt.image
	return e
}

// container returns container(name, args...) with the env's image.
func (e *env) container(name string, args ...string) types.ContainerDefinition {
	c := container(name, args...)
	c.Image = aws.String(e.image)
	return c
}
