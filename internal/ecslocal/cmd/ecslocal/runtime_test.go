package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStandaloneUnknownRuntimeIsAUsageError(t *testing.T) {
	for _, args := range [][]string{{"--runtime", "podman"}, {}} {
		cmd := exec.Command(bin, append([]string{"--addr", freeAddr(t)}, args...)...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "ECSLOCAL_RUNTIME=podman"}
		out, err := cmd.CombinedOutput()
		require.Error(t, err)
		assert.Equal(t, 2, cmd.ProcessState.ExitCode(), "%s", out)
		assert.Contains(t, string(out), `want process or docker, got "podman"`)
	}
}

func TestStandaloneDockerRuntimeWithoutAnEngineFails(t *testing.T) {
	cmd := exec.Command(bin, "--addr", freeAddr(t), "--runtime", "docker")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "DOCKER_HOST=unix://" + t.TempDir() + "/no-docker.sock"}
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(string(out)), "\n")+1, "one line: %q", out)
	assert.Contains(t, string(out), "no Docker engine answers at unix://")
}

// The AWS CLI's common read commands work against the endpoint.
func TestStandaloneAWSCLIReads(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no AWS CLI on PATH: .ci/run installs Debian's awscli")
		}
		t.Skip("no AWS CLI on PATH")
	}
	addr := freeAddr(t)
	home := t.TempDir()
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home,
		"AWS_ACCESS_KEY_ID=AKIASTANDALONETEST01", "AWS_SECRET_ACCESS_KEY=standalone-secret",
		"AWS_ENDPOINT_URL=http://" + addr, "AWS_REGION=us-east-1", "AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=",
		"AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials",
	}
	srv := start(t, env, "--addr", addr)
	srv.stderr.waitFor(t, readyLine)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cli := func(args ...string) string {
		t.Helper()
		// --endpoint-url too: Debian's CLI (2.9) ignores AWS_ENDPOINT_URL.
		cmd := exec.CommandContext(ctx, awsCLI, append(args, "--endpoint-url", "http://"+addr, "--output", "text")...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "aws %s: %s", strings.Join(args, " "), out)
		return strings.TrimSpace(string(out))
	}
	cli("ecs", "create-cluster", "--cluster-name", "jobs")
	assert.Equal(t, "CLUSTERARNS\tarn:aws:ecs:us-east-1:000000000000:cluster/default\nCLUSTERARNS\tarn:aws:ecs:us-east-1:000000000000:cluster/jobs",
		cli("ecs", "list-clusters", "--page-size", "1"), "two pages, followed by the CLI")
	assert.Equal(t, "jobs\tACTIVE", cli("ecs", "describe-clusters", "--clusters", "jobs", "--query", "clusters[].[clusterName,status]"))
	cli("ecs", "register-task-definition", "--family", "hello", "--container-definitions", `[{"name":"app","image":"busybox","memory":64,"command":["true"]}]`)
	assert.Equal(t, "FAMILIES\thello", cli("ecs", "list-task-definition-families"))
	assert.Equal(t, "TASKDEFINITIONARNS\tarn:aws:ecs:us-east-1:000000000000:task-definition/hello:1", cli("ecs", "list-task-definitions"))
}
