package main

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The AWS CLI populates and reads Secrets Manager secrets and SSM
// parameters on the standalone endpoint, and the endpoint's log shows no
// value. It skips without an AWS CLI on PATH, except under CI (CI=true),
// which installs Debian's awscli.
func TestStandaloneAWSCLISecrets(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatal("no AWS CLI on PATH, and CI must test it: .ci/run installs Debian's awscli")
		}
		t.Skip("no AWS CLI on PATH")
	}
	const apiKey, token = "sk_live_abcdef123456", "tok-5e6f7a8b9c"
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
		// --endpoint-url as well: Debian's awscli (2.9) predates AWS_ENDPOINT_URL.
		cmd := exec.CommandContext(ctx, awsCLI, append([]string{"--endpoint-url", "http://" + addr, "--output", "text"}, args...)...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "aws %s: %s", strings.Join(args, " "), out)
		return strings.TrimSpace(string(out))
	}

	arn := cli("secretsmanager", "create-secret", "--name", "demo/api-key", "--secret-string", apiKey, "--query", "ARN")
	assert.Regexp(t, `^arn:aws:secretsmanager:us-east-1:000000000000:secret:demo/api-key-[A-Za-z0-9]{6}$`, arn)
	assert.Equal(t, apiKey, cli("secretsmanager", "get-secret-value", "--secret-id", "demo/api-key", "--query", "SecretString"))
	assert.Equal(t, apiKey, cli("secretsmanager", "get-secret-value", "--secret-id", arn, "--query", "SecretString"))

	assert.Equal(t, "1", cli("ssm", "put-parameter", "--name", "/demo/token", "--type", "SecureString", "--value", token, "--query", "Version"))
	assert.Equal(t, token+"\tSecureString", cli("ssm", "get-parameter", "--name", "/demo/token", "--with-decryption", "--query", "Parameter.[Value,Type]"))
	assert.NotContains(t, cli("ssm", "get-parameter", "--name", "/demo/token", "--query", "Parameter.Value"), token, "encrypted without --with-decryption")

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	var log []string
	for line := range srv.stderr.lines {
		log = append(log, line)
	}
	assert.Equal(t, 0, srv.exitCode(t))
	require.NotEmpty(t, log)
	for _, line := range log {
		assert.NotContains(t, line, apiKey)
		assert.NotContains(t, line, token)
	}
}
