package ecslocal_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// The test binary, run with crashChildEnv set to a runtime's name, is a
// server on that runtime that a test kills with SIGKILL: a crash.
const (
	crashChildEnv = "ECSLOCAL_TEST_CRASH_CHILD"
	crashStateEnv = "ECSLOCAL_TEST_CRASH_STATE_DIR"
)

func TestMain(m *testing.M) {
	if name := os.Getenv(crashChildEnv); name != "" {
		os.Exit(runCrashChild(name, os.Getenv(crashStateEnv)))
	}
	os.Exit(m.Run())
}

// crashChildInfo is what the child prints on its first line.
type crashChildInfo struct {
	Endpoint, AccessKeyID, SecretAccessKey string
}

// runCrashChild serves until it is killed.
func runCrashChild(name, stateDir string) int {
	var rt ecslocal.Runtime
	var err error
	if name == ecslocal.RuntimeDocker {
		rt, err = ecslocal.NewDockerRuntime(context.Background(), ecslocal.DockerOptions{})
	} else {
		rt, err = ecslocal.NewProcessRuntime(ecslocal.ProcessOptions{StateDir: stateDir})
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	srv := ecslocal.New(ecslocal.Options{Runtime: rt})
	endpoint, err := srv.Start("")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	creds := srv.Credentials()
	if err := json.NewEncoder(os.Stdout).Encode(crashChildInfo{endpoint, creds.AccessKeyID, creds.SecretAccessKey}); err != nil {
		return 1
	}
	select {} // until killed
}

// crashChild is a running child server.
type crashChild struct {
	cmd  *exec.Cmd
	info crashChildInfo
}

// startCrashChild starts a child server on the runtime named runtime and
// waits until it serves; t.Cleanup kills it if the test did not.
func startCrashChild(t *testing.T, runtime, stateDir string) *crashChild {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+runtime, crashStateEnv+"="+stateDir)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	c := &crashChild{cmd: cmd}
	t.Cleanup(func() {
		if c.cmd.ProcessState == nil {
			c.kill(t)
		}
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
	}()
	select {
	case l := <-line:
		require.NoError(t, json.Unmarshal([]byte(l), &c.info), "the child's first line: %q", l)
	case <-time.After(waitTimeout):
		t.Fatal("the child server did not start")
	}
	return c
}

// env returns an env whose clients call the child.
func (c *crashChild) env(t *testing.T) *env {
	cfg := aws.Config{
		Region:       ecslocal.DefaultRegion,
		Credentials:  credentials.NewStaticCredentialsProvider(c.info.AccessKeyID, c.info.SecretAccessKey, ""),
		BaseEndpoint: aws.String(c.info.Endpoint),
		Retryer:      func() aws.Retryer { return retry.NewStandard() },
	}
	return &env{t: t, ctx: t.Context(), cfg: cfg, ecs: ecs.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}
}

// kill kills the child with SIGKILL and reaps it.
func (c *crashChild) kill(t *testing.T) {
	t.Helper()
	require.NoError(t, c.cmd.Process.Kill())
	_ = c.cmd.Wait()
}
