package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testKeyID  = "AKIASTANDALONETEST02"
	testSecret = "standalone-secret-2"
)

// standalone is a served ecslocal command and SDK clients for it.
type standalone struct {
	*started
	ecs  *ecs.Client
	logs *cloudwatchlogs.Client
}

// serve starts the command with a known key pair and extra flags, waits
// until it is ready and returns the "ecslocal ready" line.
func serve(t *testing.T, args ...string) (*standalone, string) {
	t.Helper()
	addr := freeAddr(t)
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(), "AWS_ACCESS_KEY_ID=" + testKeyID, "AWS_SECRET_ACCESS_KEY=" + testSecret}
	s := start(t, env, append([]string{"--addr", addr}, args...)...)
	ready := s.stderr.waitFor(t, readyLine)
	cfg := aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		BaseEndpoint: aws.String("http://" + addr),
	}
	return &standalone{started: s, ecs: ecs.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}, ready
}

// runShell registers a family running script with sh (logging through
// awslogs), runs one task of it and returns its ARN once the script's
// first line is in the log store, with that line.
func (s *standalone) runShell(t *testing.T, family, script string) (arn, first string) {
	t.Helper()
	ctx := t.Context()
	_, err := s.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("alpine"), Memory: aws.Int32(64),
			Command: []string{"sh", "-c", script},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/" + family, "awslogs-stream-prefix": "s", "awslogs-create-group": "true",
			}},
		}},
	})
	require.NoError(t, err)
	out, err := s.ecs.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String(family)})
	require.NoError(t, err)
	require.Len(t, out.Tasks, 1)
	arn = aws.ToString(out.Tasks[0].TaskArn)
	require.Eventually(t, func() bool {
		lines := s.lines(t, family, arn)
		if len(lines) == 0 {
			return false
		}
		first = lines[0]
		return true
	}, waitTimeout, 20*time.Millisecond)
	return arn, first
}

// lines returns the log lines of the task's container so far.
func (s *standalone) lines(t *testing.T, family, arn string) []string {
	t.Helper()
	out, err := s.logs.GetLogEvents(t.Context(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/" + family), LogStreamName: aws.String("s/app/" + arn[strings.LastIndex(arn, "/")+1:]), StartFromHead: aws.Bool(true),
	})
	if err != nil {
		return nil
	}
	var lines []string
	for _, e := range out.Events {
		lines = append(lines, aws.ToString(e.Message))
	}
	return lines
}

// A container that ignores SIGTERM is killed once --stop-timeout has
// passed after StopTask.
func TestStandaloneStopTimeoutApplies(t *testing.T) {
	const stopTimeout = 2 * time.Second
	srv, ready := serve(t, "--stop-timeout", stopTimeout.String())
	assert.Contains(t, ready, "stop_timeout="+stopTimeout.String())
	arn, _ := srv.runShell(t, "stubborn", `trap "echo ignoring TERM" TERM; echo up; while :; do sleep 0.05; done`)

	_, err := srv.ecs.StopTask(t.Context(), &ecs.StopTaskInput{Task: aws.String(arn), Reason: aws.String("enough")})
	require.NoError(t, err)
	// The deadline is below the server's default stop timeout (30 s), so
	// the task is only seen STOPPED in time if the flag was applied.
	var done types.Task
	require.Eventually(t, func() bool {
		out, err := srv.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Tasks: []string{arn}})
		if err != nil || len(out.Tasks) != 1 || aws.ToString(out.Tasks[0].LastStatus) != "STOPPED" {
			return false
		}
		done = out.Tasks[0]
		return true
	}, 25*time.Second, 20*time.Millisecond)

	assert.Equal(t, types.TaskStopCodeUserInitiated, done.StopCode)
	assert.Equal(t, "enough", aws.ToString(done.StoppedReason))
	require.Len(t, done.Containers, 1)
	assert.Equal(t, int32(137), aws.ToInt32(done.Containers[0].ExitCode), "killed by SIGKILL")
	require.NotNil(t, done.StoppingAt)
	require.NotNil(t, done.StoppedAt)
	// Timestamps travel as epoch seconds with millisecond precision.
	assert.GreaterOrEqual(t, done.StoppedAt.Sub(*done.StoppingAt), stopTimeout-time.Millisecond)
	assert.Contains(t, srv.lines(t, "stubborn", arn), "ignoring TERM", "it got SIGTERM first")
}

// SIGINT stops the tasks still running, down to their children, and the
// command exits 0.
func TestStandaloneInterruptStopsTasks(t *testing.T) {
	srv, _ := serve(t)
	_, first := srv.runShell(t, "sleeper", `sleep 3600 & echo "pids $$ $!"; wait`)
	m := regexp.MustCompile(`^pids (\d+) (\d+)$`).FindStringSubmatch(first)
	require.NotNil(t, m, "first line %q", first)
	var pids []int
	for _, s := range m[1:] {
		pid, err := strconv.Atoi(s)
		require.NoError(t, err)
		require.True(t, alive(pid), "process %d runs before SIGINT", pid)
		pids = append(pids, pid)
	}

	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGINT))
	assert.Equal(t, 0, srv.exitCode(t))
	for _, pid := range pids {
		// The task's shell was reaped by ecslocal; its child was killed
		// with the process group and reparented, so it is gone or a
		// zombie of its new parent.
		assert.Eventually(t, func() bool { return !alive(pid) }, waitTimeout, 20*time.Millisecond, "process %d is gone", pid)
	}
}
