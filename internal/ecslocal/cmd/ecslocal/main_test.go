package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const waitTimeout = 60 * time.Second

// bin is the ecslocal command, built once by TestMain.
var bin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ecslocal-cmd-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ecslocal")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// freeAddr returns a loopback address with a port that was free just now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// started is a running ecslocal command.
type started struct {
	cmd    *exec.Cmd
	stdout *bufio.Reader
	stderr *lineReader
}

// lineReader collects lines from a pipe in the background.
type lineReader struct {
	lines chan string
}

func newLineReader(r io.Reader) *lineReader {
	lr := &lineReader{lines: make(chan string, 100)}
	go func() {
		defer close(lr.lines)
		s := bufio.NewScanner(r)
		for s.Scan() {
			lr.lines <- s.Text()
		}
	}()
	return lr
}

// waitFor returns the first line matching re, within the deadline.
func (lr *lineReader) waitFor(t *testing.T, re *regexp.Regexp) string {
	t.Helper()
	timeout := time.After(waitTimeout)
	for {
		select {
		case line, ok := <-lr.lines:
			if !ok {
				t.Fatalf("output ended before a line matching %s", re)
			}
			if re.MatchString(line) {
				return line
			}
		case <-timeout:
			t.Fatalf("no line matching %s within %s", re, waitTimeout)
		}
	}
}

func start(t *testing.T, env []string, args ...string) *started {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return &started{cmd: cmd, stdout: bufio.NewReader(stdout), stderr: newLineReader(stderr)}
}

// exitCode waits for the command to exit, within the deadline.
func (s *started) exitCode(t *testing.T) int {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case <-done:
		return s.cmd.ProcessState.ExitCode()
	case <-time.After(waitTimeout):
		t.Fatalf("ecslocal did not exit within %s", waitTimeout)
		return -1
	}
}

var readyLine = regexp.MustCompile(`msg="ecslocal ready"`)

func TestStandaloneWithPlainSDKEnvironment(t *testing.T) {
	addr := freeAddr(t)
	env := []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=AKIASTANDALONETEST01", "AWS_SECRET_ACCESS_KEY=standalone-secret",
	}
	srv := start(t, env, "--addr", addr, "--stop-timeout", "2s")
	srv.stderr.waitFor(t, readyLine)

	// A second instance on the same address fails with one line.
	second := exec.Command(bin, "--addr", addr)
	second.Env = env
	out, err := second.CombinedOutput()
	require.Error(t, err)
	assert.NotEqual(t, 0, second.ProcessState.ExitCode())
	assert.Equal(t, 1, strings.Count(strings.TrimSpace(string(out)), "\n")+1, "one line: %q", out)
	assert.Contains(t, string(out), "address already in use")

	// A program that knows only the SDK's standard environment.
	home := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": "http://" + addr, "AWS_REGION": "us-east-1",
		"AWS_ACCESS_KEY_ID": "AKIASTANDALONETEST01", "AWS_SECRET_ACCESS_KEY": "standalone-secret",
		"AWS_CONFIG_FILE": filepath.Join(home, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(home, "credentials"),
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "",
	} {
		t.Setenv(k, v)
	}
	ctx := t.Context()
	cfg, err := config.LoadDefaultConfig(ctx)
	require.NoError(t, err)
	client := ecs.NewFromConfig(cfg)
	logs := cloudwatchlogs.NewFromConfig(cfg)

	_, err = client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("standalone"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("alpine"), Memory: aws.Int32(64),
			Command: []string{"sh", "-c", `trap "echo got TERM; exit 0" TERM; echo "hello from pid $$"; while :; do sleep 0.05; done`},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "/standalone", "awslogs-stream-prefix": "s", "awslogs-create-group": "true", "awslogs-region": "us-east-1",
			}},
		}},
	})
	require.NoError(t, err)
	runOne := func() (arn string, pid int) {
		out, err := client.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("standalone")})
		require.NoError(t, err)
		require.Len(t, out.Tasks, 1)
		arn = aws.ToString(out.Tasks[0].TaskArn)
		stream := "s/app/" + arn[strings.LastIndex(arn, "/")+1:]
		require.Eventually(t, func() bool {
			got, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
				LogGroupName: aws.String("/standalone"), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true),
			})
			if err != nil || len(got.Events) == 0 {
				return false
			}
			pid, err = strconv.Atoi(strings.TrimPrefix(aws.ToString(got.Events[0].Message), "hello from pid "))
			return err == nil
		}, waitTimeout, 20*time.Millisecond)
		return arn, pid
	}

	arn, _ := runOne()
	_, err = client.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String(arn), Reason: aws.String("done")})
	require.NoError(t, err)
	waitStopped(t, ctx, client, arn)
	got, err := logs.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/standalone"), LogStreamName: aws.String("s/app/" + arn[strings.LastIndex(arn, "/")+1:]), StartFromHead: aws.Bool(true),
	})
	require.NoError(t, err)
	require.NotEmpty(t, got.Events)
	assert.Equal(t, "got TERM", aws.ToString(got.Events[len(got.Events)-1].Message))

	// SIGTERM to the command stops the tasks still running, then it exits 0.
	_, pid := runOne()
	require.NoError(t, srv.cmd.Process.Signal(syscall.SIGTERM))
	assert.Equal(t, 0, srv.exitCode(t))
	assert.False(t, alive(pid), "the task's process %d is gone", pid)
}

func TestStandaloneGeneratesAndPrintsCredentials(t *testing.T) {
	srv := start(t, []string{"PATH=" + os.Getenv("PATH")}, "--addr", "127.0.0.1:0")
	line, err := srv.stdout.ReadString('\n')
	require.NoError(t, err)
	assert.Regexp(t, `^export AWS_ENDPOINT_URL=http://127\.0\.0\.1:\d+ AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=AKIA[A-Z2-7]{16} AWS_SECRET_ACCESS_KEY=\S{40}\n$`, line)
	srv.stderr.waitFor(t, readyLine)
	require.NoError(t, srv.cmd.Process.Signal(os.Interrupt))
	assert.Equal(t, 0, srv.exitCode(t))
}

func waitStopped(t *testing.T, ctx context.Context, client *ecs.Client, arn string) {
	t.Helper()
	require.Eventually(t, func() bool {
		out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}})
		return err == nil && len(out.Tasks) == 1 && aws.ToString(out.Tasks[0].LastStatus) == "STOPPED"
	}, waitTimeout, 20*time.Millisecond)
}

// alive reports whether a process exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}
