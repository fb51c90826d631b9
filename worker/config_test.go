package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "ecs-tasks", c.taskQueue)
	assert.Equal(t, slog.LevelInfo, c.logLevel)
	assert.Equal(t, "text", c.logFormat)
	assert.Equal(t, 3, c.registerAttempts)
	assert.False(t, c.localECS.enabled())
}

func TestParseConfigEnvironmentAndFlags(t *testing.T) {
	vars := map[string]string{
		"TEMPORAL_ECS_TASK_QUEUE":                "from-env",
		"TEMPORAL_ECS_LOG_LEVEL":                 "debug",
		"TEMPORAL_ECS_LOG_FORMAT":                "json",
		"TEMPORAL_ECS_MAX_CONCURRENT_ACTIVITIES": "7",
		"TEMPORAL_ECS_REGISTER_ATTEMPTS":         "4",
		"TEMPORAL_ECS_REGISTER_DELAY":            "3s",
		"TEMPORAL_ECS_LOCAL_ECS":                 "true",
	}
	c, err := parseConfig(nil, env(vars), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "from-env", c.taskQueue)
	assert.Equal(t, slog.LevelDebug, c.logLevel)
	assert.Equal(t, "json", c.logFormat)
	assert.Equal(t, 7, c.maxActivities)
	assert.Equal(t, 4, c.registerAttempts)
	assert.Equal(t, 3*time.Second, c.registerDelay)
	assert.Equal(t, defaultLocalECSAddr, c.localECS.addr)

	c, err = parseConfig([]string{"--task-queue=from-flag", "--log-level=warn", "--local-ecs=false"}, env(vars), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "from-flag", c.taskQueue, "a flag beats its environment variable")
	assert.Equal(t, slog.LevelWarn, c.logLevel)
	assert.False(t, c.localECS.enabled(), "--local-ecs=false beats TEMPORAL_ECS_LOCAL_ECS=true")
}

func TestLocalECSFlag(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--local-ecs"}, defaultLocalECSAddr},
		{[]string{"--local-ecs=true"}, defaultLocalECSAddr},
		{[]string{"--local-ecs=127.0.0.1:5000"}, "127.0.0.1:5000"},
		{[]string{"--local-ecs=:5000"}, ":5000"},
		{[]string{"--local-ecs=0"}, ""},
	} {
		c, err := parseConfig(tc.args, env(nil), &bytes.Buffer{})
		require.NoError(t, err, tc.args)
		assert.Equal(t, tc.want, c.localECS.addr, tc.args)
	}
}

func TestParseConfigErrorsAreUsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"--nope"}, nil, "flag provided but not defined: -nope"},
		{[]string{"extra"}, nil, `unexpected argument "extra"`},
		{[]string{"--log-format=xml"}, nil, "--log-format"},
		{[]string{"--log-level=loud"}, nil, "log-level"},
		{[]string{"--local-ecs=nowhere"}, nil, "host:port"},
		{[]string{"--task-queue="}, nil, "--task-queue"},
		{nil, map[string]string{"TEMPORAL_ECS_REGISTER_DELAY": "soon"}, "TEMPORAL_ECS_REGISTER_DELAY"},
	} {
		_, err := parseConfig(tc.args, env(tc.vars), &bytes.Buffer{})
		require.Error(t, err, tc.args)
		assert.True(t, errors.As(err, new(cliflags.UsageError)), "%v: %v is a usage error", tc.args, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.NotContains(t, err.Error(), "\n", "one line")
	}
}

func TestHelpListsFlagsAndEnvironment(t *testing.T) {
	var out bytes.Buffer
	_, err := parseConfig([]string{"--help"}, env(nil), &out)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, s := range []string{"Usage: worker", "--local-ecs", "TEMPORAL_ECS_TASK_QUEUE", "TEMPORAL_ADDRESS", "AWS_REGION"} {
		assert.Contains(t, strings.ReplaceAll(out.String(), "  -", "  --"), s)
	}
}

func TestJobDefaults(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, []byte(`{"cluster":"jobs"}`), 0o644))
	bad := filepath.Join(dir, "bad.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"cluster":`), 0o644))

	c := &config{jobDefaultsFile: good}
	b, err := c.jobDefaults()
	require.NoError(t, err)
	assert.JSONEq(t, `{"cluster":"jobs"}`, string(b))

	_, err = (&config{jobDefaultsFile: bad}).jobDefaults()
	assert.ErrorContains(t, err, "not valid JSON")
	_, err = (&config{jobDefaultsFile: filepath.Join(dir, "missing.json")}).jobDefaults()
	assert.ErrorContains(t, err, "--job-defaults")
	b, err = (&config{}).jobDefaults()
	assert.NoError(t, err)
	assert.Nil(t, b)
}

func TestRunFailsInOneLineWhenTemporalIsUnreachable(t *testing.T) {
	var stderr bytes.Buffer
	vars := map[string]string{"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	err := run(context.Background(), []string{"--address=127.0.0.1:1"}, env(vars), &stderr)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connect to Temporal at 127.0.0.1:1")
	assert.NotContains(t, err.Error(), "\n")
}

func TestClientURL(t *testing.T) {
	assert.Equal(t, "http://127.0.0.1:4599", clientURL("http://0.0.0.0:4599"))
	assert.Equal(t, "http://127.0.0.1:4599", clientURL("http://[::]:4599"))
	assert.Equal(t, "http://127.0.0.1:4599", clientURL("http://127.0.0.1:4599"))
}

func TestLocalECSAddressInUseIsAOneLineErrorAndExit1(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	vars := map[string]string{"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	for k, v := range vars {
		t.Setenv(k, v)
	}

	var stderr bytes.Buffer
	code := cliMain(context.Background(), []string{"--local-ecs=" + taken.Addr().String(), "--address=127.0.0.1:1"}, env(vars), &stderr)
	assert.Equal(t, 1, code)
	assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "one line, no stack trace: %q", stderr.String())
	assert.True(t, strings.HasPrefix(stderr.String(), "worker: --local-ecs: "), stderr.String())
	assert.Contains(t, stderr.String(), taken.Addr().String(), "names the address")
	assert.Contains(t, stderr.String(), "address already in use")
}

func TestCLIMainExitStatus(t *testing.T) {
	var stderr bytes.Buffer
	assert.Equal(t, 2, cliMain(context.Background(), []string{"--log-format=xml"}, env(nil), &stderr))
	assert.Equal(t, "worker: --log-format: want json or text, got \"xml\" (see --help)\n", stderr.String())

	stderr.Reset()
	assert.Equal(t, 0, cliMain(context.Background(), []string{"--help"}, env(nil), &stderr))
	assert.Contains(t, stderr.String(), "Usage: worker")
}

func TestReaperFlags(t *testing.T) {
	c, err := parseConfig(nil, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, time.Minute, c.reapInterval, "on by default, every minute")
	assert.Empty(t, c.reapClusters)

	vars := map[string]string{
		"TEMPORAL_ECS_REAP_INTERVAL": "5s",
		"TEMPORAL_ECS_REAP_CLUSTERS": "jobs, arn:aws:ecs:eu-west-1:123456789012:cluster/batch,",
	}
	c, err = parseConfig(nil, env(vars), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, 5*time.Second, c.reapInterval)
	assert.Equal(t, clusterList{"jobs", "arn:aws:ecs:eu-west-1:123456789012:cluster/batch"}, c.reapClusters)

	c, err = parseConfig([]string{"--reap-interval=0", "--reap-cluster=a", "--reap-cluster=b,c"}, env(vars), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Zero(t, c.reapInterval, "0 turns the reaper off")
	assert.Equal(t, clusterList{"a", "b", "c"}, c.reapClusters, "the flags replace the variable")

	for _, tc := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"--reap-interval=-1s"}, nil, "--reap-interval"},
		{[]string{"--reap-interval=often"}, nil, "reap-interval"},
		{[]string{"--reap-cluster=arn:aws:s3:::bucket"}, nil, "is no cluster ARN"},
		{[]string{"--reap-cluster=arn:aws:ecs::123456789012:cluster/x"}, nil, "is no cluster ARN"},
		{[]string{"--reap-cluster=my cluster"}, nil, "is no cluster name"},
		{nil, map[string]string{"TEMPORAL_ECS_REAP_CLUSTERS": "arn:nope"}, "TEMPORAL_ECS_REAP_CLUSTERS"},
	} {
		_, err := parseConfig(tc.args, env(tc.vars), &bytes.Buffer{})
		require.Error(t, err, tc.args)
		assert.True(t, errors.As(err, new(cliflags.UsageError)), "%v: %v is a usage error", tc.args, err)
		assert.Contains(t, err.Error(), tc.want)
	}

	var help bytes.Buffer
	_, err = parseConfig([]string{"--help"}, env(nil), &help)
	require.ErrorIs(t, err, flag.ErrHelp)
	assert.Contains(t, help.String(), "TEMPORAL_ECS_REAP_INTERVAL")
	assert.Contains(t, help.String(), "TEMPORAL_ECS_REAP_CLUSTERS")
}

func TestReaperOptionsUseTheWorkersNamespace(t *testing.T) {
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	t.Setenv("TEMPORAL_NAMESPACE", "from-env")
	c, err := parseConfig([]string{"--reap-interval=10s", "--reap-cluster=jobs"}, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	opts, err := c.reaperOptions(nil)
	require.NoError(t, err)
	assert.Equal(t, "from-env", opts.Namespace)
	assert.Equal(t, 10*time.Second, opts.Interval)
	assert.Equal(t, []string{"jobs"}, opts.Clusters)

	c, err = parseConfig([]string{"--namespace=from-flag"}, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	opts, err = c.reaperOptions(nil)
	require.NoError(t, err)
	assert.Equal(t, "from-flag", opts.Namespace)
}
