package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

const testAdminToken = "cmd-admin-token-0123456789abcdef"

// serveEnv starts the command with a known key pair, extra environment
// and flags, and returns it once ready with an ECS client, its base URL
// and the ready line.
func serveEnv(t *testing.T, extraEnv []string, args ...string) (s *started, client *ecs.Client, base, ready string) {
	t.Helper()
	addr := freeAddr(t)
	env := append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY=" + testSecret}, extraEnv...)
	s = start(t, env, append([]string{"--addr", addr}, args...)...)
	ready = s.stderr.waitFor(t, readyLine)
	client = ecs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		BaseEndpoint: aws.String("http://" + addr),
	}, func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	return s, client, "http://" + addr, ready
}

// postFault sends a fault to the admin API with token and returns the status.
func postFault(t *testing.T, base, token, fault string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, base+ecslocal.AdminFaultsPath, strings.NewReader(fault))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

// assertThrottled checks that err is ECS's ThrottlingException.
func assertThrottled(t *testing.T, err error) {
	t.Helper()
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "%v", err)
	assert.Equal(t, "ThrottlingException", apiErr.ErrorCode())
}

// stopAndCollect stops the command and returns the rest of its stderr.
func (s *started) stopAndCollect(t *testing.T) string {
	t.Helper()
	require.NoError(t, s.cmd.Process.Signal(syscall.SIGTERM))
	var rest strings.Builder
	for line := range s.stderr.lines {
		rest.WriteString(line + "\n")
	}
	assert.Equal(t, 0, s.exitCode(t))
	return rest.String()
}

func TestStandaloneAdminToken(t *testing.T) {
	throttle := `{"kind":"throttle","op":"ecs:ListTasks","count":1}`
	for name, tc := range map[string]struct {
		env  []string
		args []string
	}{
		"from the environment": {env: []string{"ECSLOCAL_ADMIN_TOKEN=" + testAdminToken}},
		"from the flag":        {args: []string{"--admin-token", testAdminToken}},
		"the flag wins":        {env: []string{"ECSLOCAL_ADMIN_TOKEN=other-token"}, args: []string{"--admin-token", testAdminToken}},
	} {
		t.Run(name, func(t *testing.T) {
			srv, client, base, ready := serveEnv(t, tc.env, tc.args...)
			assert.Contains(t, ready, "admin_api=true")
			assert.NotContains(t, ready, testAdminToken)

			assert.Equal(t, http.StatusUnauthorized, postFault(t, base, "other-token", throttle))
			assert.Equal(t, http.StatusOK, postFault(t, base, testAdminToken, throttle))
			_, err := client.ListTasks(t.Context(), &ecs.ListTasksInput{})
			assertThrottled(t, err)
			_, err = client.ListTasks(t.Context(), &ecs.ListTasksInput{})
			require.NoError(t, err, "the fault is used up")

			rest := srv.stopAndCollect(t)
			assert.Contains(t, rest, "fault injected")
			assert.NotContains(t, rest, testAdminToken, "the token is never logged")
		})
	}
}

func TestStandaloneWithoutAdminToken(t *testing.T) {
	_, client, base, ready := serveEnv(t, nil)
	assert.Contains(t, ready, "admin_api=false")
	assert.Equal(t, http.StatusNotFound, postFault(t, base, testAdminToken, `{"kind":"throttle","op":"ecs:ListTasks","count":1}`))
	_, err := client.ListTasks(t.Context(), &ecs.ListTasksInput{})
	require.NoError(t, err)
}

func TestStandaloneFaultFlag(t *testing.T) {
	_, client, _, ready := serveEnv(t, nil,
		"--fault", `{"kind":"throttle","op":"ecs:ListTasks","count":1}`,
		"--fault", `{"kind":"throttle","op":"ecs:DescribeClusters","count":1}`)
	assert.Contains(t, ready, "faults=2")
	_, err := client.ListTasks(t.Context(), &ecs.ListTasksInput{})
	assertThrottled(t, err)
	_, err = client.DescribeClusters(t.Context(), &ecs.DescribeClustersInput{})
	assertThrottled(t, err)
	_, err = client.ListTasks(t.Context(), &ecs.ListTasksInput{})
	require.NoError(t, err)
}

// A fault that does not parse is a usage error: one line, exit status 2.
func TestStandaloneBadFaultFlagIsAUsageError(t *testing.T) {
	for name, fault := range map[string]string{
		"not JSON":       `throttle`,
		"unknown kind":   `{"kind":"explode"}`,
		"bad operation":  `{"kind":"throttle","op":"RunTask","count":1}`,
		"unknown member": `{"kind":"throttle","op":"ecs:RunTask","cnt":1}`,
	} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), waitTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--addr", "127.0.0.1:0", "--fault", fault)
			cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			require.Error(t, cmd.Run())
			require.NoError(t, ctx.Err(), "it must not serve")
			assert.Equal(t, 2, cmd.ProcessState.ExitCode(), stderr.String())
			assert.Contains(t, stderr.String(), "-fault")
		})
	}
}
