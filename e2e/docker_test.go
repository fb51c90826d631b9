package e2e_test

import (
	"cmp"
	"context"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/moby/moby/client"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dockerTestImage is the image the Docker runtime's tests run (built
// without a registry by internal/ecslocal/testdata/test-image.sh, as CI
// does); ECSLOCAL_TEST_IMAGE overrides it.
func dockerTestImage() string {
	return cmp.Or(os.Getenv("ECSLOCAL_TEST_IMAGE"), "temporal-ecs-test/busybox:local")
}

// needDocker returns a client of the Docker engine DOCKER_HOST names,
// which has the test image; it skips t when there is none, or fails it
// under CI.
func needDocker(t *testing.T) *client.Client {
	t.Helper()
	unavailable := func(why string) {
		t.Helper()
		if underCI(os.LookupEnv) {
			t.Fatalf("the Docker runtime cannot be tested, and CI must test it: %s", why)
		}
		t.Skip("no Docker runtime to test: " + why)
	}
	cli, err := client.New(client.FromEnv)
	if err != nil {
		unavailable(err.Error())
	}
	t.Cleanup(func() { _ = cli.Close() })
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		unavailable("no Docker engine answers (set DOCKER_HOST): " + err.Error())
	}
	if _, err := cli.ImageInspect(ctx, dockerTestImage()); err != nil {
		unavailable("the test image " + dockerTestImage() + " is missing: " + err.Error())
	}
	return cli
}

// A worker whose local ECS runs the Docker runtime runs a job from a
// locally built image, through `starter run`, whose exit code is the
// container's; no container is left once the task stopped.
func TestStarterRunOnTheDockerRuntime(t *testing.T) {
	h := need(t)
	docker := needDocker(t)
	ctx := testContext(t)
	queue := "e2e-docker-" + uuid.NewString()[:8]
	addr, err := freeAddr()
	require.NoError(t, err)
	w, err := h.startWorker(ctx, "docker-worker", []string{"DOCKER_HOST=" + os.Getenv("DOCKER_HOST"), "AWS_ENDPOINT_URL=http://" + addr},
		"--task-queue="+queue, "--local-ecs="+addr, "--local-ecs-runtime=docker")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })

	cmd, stdout, stderr := h.starter(ctx, "run", "--task-queue", queue, "--poll", "200ms", "--poll-interval", "0.5",
		"--image", dockerTestImage(), "--env", "GREETING=hello from the image",
		"--", "sh", "-c", `cat /etc/ecslocal-test-image; echo "$GREETING"; exit 3`)
	cmd.Env = append(cmd.Env, "AWS_ENDPOINT_URL=http://"+addr)
	code := exitCode(t, cmd.Run())
	assert.Equal(t, 3, code, "the container's exit code: %s", stderr)
	assert.Equal(t, []string{"temporal-ecs test image", "hello from the image"}, lines(stdout.String()),
		"the image's file and the job's environment, streamed")
	assert.Contains(t, stderr.String(), "exited with code 3")

	m := taskARN.FindStringSubmatch(stderr.String())
	require.NotNil(t, m, "the starter names the task: %s", stderr)
	list, err := docker.ContainerList(ctx, client.ContainerListOptions{
		All: true, Filters: make(client.Filters).Add("label", "io.github.temporal-ecs.ecslocal.task="+m[1]),
	})
	require.NoError(t, err)
	assert.Empty(t, list.Items, "no container of the stopped task is left")
}

// taskARN finds the task ARN in the starter's status lines.
var taskARN = regexp.MustCompile(`task=(arn:aws:ecs:\S+)`)
