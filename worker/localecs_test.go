package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

func TestLocalECSRuntimeFlag(t *testing.T) {
	c, err := parseConfig(nil, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "process", c.localECSRuntime)

	c, err = parseConfig(nil, env(map[string]string{"TEMPORAL_ECS_LOCAL_ECS_RUNTIME": "docker"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "docker", c.localECSRuntime)

	c, err = parseConfig([]string{"--local-ecs-runtime=process"}, env(map[string]string{"TEMPORAL_ECS_LOCAL_ECS_RUNTIME": "docker"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "process", c.localECSRuntime, "the flag beats the variable")

	_, err = parseConfig([]string{"--local-ecs-runtime=podman"}, env(nil), &bytes.Buffer{})
	require.Error(t, err)
	assert.True(t, errors.As(err, new(cliflags.UsageError)))
	assert.Contains(t, err.Error(), `--local-ecs-runtime: want process or docker, got "podman"`)
}

func TestLocalECSDockerRuntimeWithoutAnEngineIsAOneLineErrorAndExit1(t *testing.T) {
	vars := map[string]string{"DOCKER_HOST": "unix://" + t.TempDir() + "/no-docker.sock", "AWS_EC2_METADATA_DISABLED": "true"}
	t.Setenv("DOCKER_HOST", vars["DOCKER_HOST"]) // the Docker client reads the process environment
	var stderr bytes.Buffer
	code := cliMain(context.Background(), []string{"--local-ecs=127.0.0.1:0", "--local-ecs-runtime=docker", "--address=127.0.0.1:1"}, env(vars), &stderr)
	assert.Equal(t, 1, code)
	assert.True(t, strings.HasPrefix(stderr.String(), "worker: --local-ecs-runtime: "), stderr.String())
	assert.Contains(t, stderr.String(), "no Docker engine answers at unix://")
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(stderr.String()), "\n")+1, "one line: %q", stderr.String())
}
