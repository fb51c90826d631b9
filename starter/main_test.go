package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// testCLI returns a cli writing to buffers, with env as its environment.
func testCLI(env map[string]string) (*cli, *bytes.Buffer, *bytes.Buffer) {
	var stdout, stderr bytes.Buffer
	return &cli{
		stdin:  strings.NewReader(""),
		stdout: &stdout,
		stderr: &stderr,
		lookupEnv: func(k string) (string, bool) {
			v, ok := env[k]
			return v, ok
		},
	}, &stdout, &stderr
}

func TestUsage(t *testing.T) {
	c, _, stderr := testCLI(nil)
	assert.Equal(t, 2, cliMain(nil, c))
	assert.Contains(t, stderr.String(), "Usage: starter COMMAND")

	c, stdout, _ := testCLI(nil)
	assert.Equal(t, 0, cliMain([]string{"--help"}, c))
	for _, cmd := range commands {
		assert.Contains(t, stdout.String(), cmd.name)
	}

	c, _, stderr = testCLI(nil)
	assert.Equal(t, 2, cliMain([]string{"launch"}, c))
	assert.Equal(t, "starter: unknown command \"launch\" (see starter --help)\n", stderr.String())
}

func TestEveryCommandHasHelp(t *testing.T) {
	for _, cmd := range commands {
		c, stdout, _ := testCLI(nil)
		assert.Equal(t, 0, cliMain([]string{cmd.name, "--help"}, c), cmd.name)
		assert.Contains(t, stdout.String(), "Usage: starter "+cmd.name, cmd.name)
	}
	c, stdout, _ := testCLI(nil)
	cliMain([]string{"run", "-h"}, c)
	for _, f := range []string{"-image", "-env KEY=VALUE", "-input file", "-workflow-id", "-task-queue", "TEMPORAL_ECS_TASK_QUEUE"} {
		assert.Contains(t, stdout.String(), f)
	}
}

func TestUsageErrorsAreOneLine(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--bogus"},
		{"run", "--cpu=lots"},
		{"start", "--env", "NOEQUALS"},
		{"status"},
		{"status", "a", "b"},
		{"cancel"},
		{"logs"},
		{"preview", "--command", "echo", "--", "echo"},
	} {
		c, _, stderr := testCLI(nil)
		assert.Equal(t, 2, cliMain(args, c), args)
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%v: %q", args, stderr)
		assert.True(t, strings.HasPrefix(stderr.String(), "starter "+args[0]+": "), stderr.String())
	}
}

func TestPreviewPrintsTaskDefinitionAndRunRequest(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	code := cliMain([]string{"preview", "--image", "alpine:3.20", "--cpu", "512", "--env", "A=1",
		"--label", "team=data", "--", "sh", "-c", "echo hi"}, c)
	require.Equal(t, 0, code, stderr.String())
	var out struct {
		TaskDefinition map[string]any `json:"taskDefinition"`
		TaskRunRequest map[string]any `json:"taskRunRequest"`
	}
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
	require.NotNil(t, out.TaskDefinition)
	require.NotNil(t, out.TaskRunRequest)
	containers := out.TaskDefinition["containerDefinitions"].([]any)
	assert.Equal(t, "alpine:3.20", containers[0].(map[string]any)["image"])
	assert.Equal(t, "512", out.TaskDefinition["cpu"])
	overrides := out.TaskRunRequest["overrides"].(map[string]any)["containerOverrides"].([]any)[0].(map[string]any)
	assert.Equal(t, []any{"sh", "-c", "echo hi"}, overrides["command"])
	assert.Contains(t, stdout.String(), "<registered at runtime>", "placeholders are not HTML-escaped")
}

func TestPreviewUsesJobDefaultsAndReportsInvalidJobs(t *testing.T) {
	dir := t.TempDir()
	defaults := filepath.Join(dir, "defaults.json")
	require.NoError(t, os.WriteFile(defaults, []byte(`{"cluster":"batch","launchType":"EC2"}`), 0o644))
	c, stdout, stderr := testCLI(map[string]string{"TEMPORAL_ECS_JOB_DEFAULTS": defaults})
	require.Equal(t, 0, cliMain([]string{"preview", "--image", "busybox"}, c), stderr.String())
	assert.Contains(t, stdout.String(), `"cluster": "batch"`)
	assert.Contains(t, stdout.String(), `"launchType": "EC2"`)

	c, _, stderr = testCLI(nil)
	assert.Equal(t, 1, cliMain([]string{"preview", "--launch-type", "MAINFRAME", "--image", "x"}, c))
	assert.Contains(t, stderr.String(), "launchType")
}

func TestBuildJobOverlaysFlagsOnInput(t *testing.T) {
	input := filepath.Join(t.TempDir(), "job.json")
	require.NoError(t, os.WriteFile(input, []byte(`{
		"image": "from-input", "cpu": 256, "cluster": "input-cluster",
		"env": {"KEEP": "1", "OVERRIDE": "input"},
		"networkConfiguration": {"subnets": ["subnet-input"], "assignPublicIp": "DISABLED"},
		"streamOutput": false,
		"taskDefinition": {"containerDefinitions": [{"name": "app"}]}
	}`), 0o644))
	c, _, _ := testCLI(nil)
	c.command = command{name: "run"}
	fs := newFlagSet(c)
	var jf jobFlags
	jf.register(fs)
	require.NoError(t, fs.parse(c, []string{"--input", input, "--image", "from-flag", "--env", "OVERRIDE=flag", "--env", "NEW=2",
		"--subnet", "subnet-a,subnet-b", "--label", "team=x", "--", "echo", "hi"}))
	raw, err := jf.build(c.stdin, fs.Args(), map[string]any{"streamOutput": true, "pollIntervalSeconds": 2})
	require.NoError(t, err)
	assert.JSONEq(t, `{
		"image": "from-flag", "cpu": 256, "cluster": "input-cluster",
		"env": {"KEEP": "1", "OVERRIDE": "flag", "NEW": "2"},
		"networkConfiguration": {"subnets": ["subnet-a", "subnet-b"], "assignPublicIp": "DISABLED"},
		"labels": {"team": "x"},
		"command": ["echo", "hi"],
		"streamOutput": false,
		"pollIntervalSeconds": 2,
		"taskDefinition": {"containerDefinitions": [{"name": "app"}]}
	}`, string(raw), "flags win, objects merge, defaults fill only what is unset")
}

func TestBuildJobReadsStdinAndRejectsNonObjects(t *testing.T) {
	c, _, _ := testCLI(nil)
	c.command = command{name: "start"}
	c.stdin = strings.NewReader(`{"image": "x", "cpu": 1.5e3}`)
	fs := newFlagSet(c)
	var jf jobFlags
	jf.register(fs)
	require.NoError(t, fs.parse(c, []string{"--input", "-", "--command", "sleep 1"}))
	raw, err := jf.build(c.stdin, fs.Args(), nil)
	require.NoError(t, err)
	assert.JSONEq(t, `{"image": "x", "cpu": 1.5e3, "command": "sleep 1"}`, string(raw))

	c.stdin = strings.NewReader(`[1]`)
	_, err = jf.build(c.stdin, nil, nil)
	assert.ErrorContains(t, err, "not a JSON object")
}

func TestExitCodes(t *testing.T) {
	c, _, stderr := testCLI(nil)
	f := &follower{c: c, workflowID: "wf"}
	res := &activities.TaskResult{TaskArn: "arn:task", ExitCode: 0}

	assert.Equal(t, 0, f.exitCode(outcome{result: res}, false))
	assert.Equal(t, 4, f.exitCode(outcome{result: &activities.TaskResult{ExitCode: 4}}, false), "allowNonZeroExit")
	assert.Equal(t, 1, f.exitCode(outcome{result: &activities.TaskResult{ExitCode: -1}}, false), "no exit code")

	exited := temporal.NewNonRetryableApplicationError("container exited with code 3", workflows.ErrTaskExitedNonZero, nil,
		activities.TaskResult{TaskArn: "arn:task", ExitCode: 3})
	assert.Equal(t, 3, f.exitCode(outcome{err: exited}, false))
	wrapped := temporal.NewApplicationErrorWithOptions("step failed", workflows.ErrTaskExitedNonZero,
		temporal.ApplicationErrorOptions{Cause: exited})
	assert.Equal(t, 3, f.exitCode(outcome{err: wrapped}, false), "details found below a wrapping error of the same type")

	spot := func(exit int) error {
		return temporal.NewNonRetryableApplicationError("task arn:task was stopped (SpotInterruption: interrupted)", "SpotInterruption", nil,
			activities.TaskResult{TaskArn: "arn:task", ExitCode: exit, StopCode: "SpotInterruption"})
	}
	assert.Equal(t, 1, f.exitCode(outcome{err: spot(0)}, false), "an interrupted task that exited 0 did not succeed")
	assert.Contains(t, stderr.String(), "SpotInterruption: task arn:task was stopped")
	assert.Equal(t, 143, f.exitCode(outcome{err: spot(143)}, false), "the container's code when it is not 0")

	assert.Equal(t, 130, f.exitCode(outcome{err: temporal.NewCanceledError()}, true), "cancelled by this starter")
	assert.Equal(t, 1, f.exitCode(outcome{err: temporal.NewCanceledError()}, false), "cancelled by someone else")
	assert.Equal(t, 1, f.exitCode(outcome{err: errors.New("boom")}, false))
	assert.Contains(t, stderr.String(), "boom")
}

func TestFailureMessage(t *testing.T) {
	cause := temporal.NewNonRetryableApplicationError("invalid job configuration: launchType: bad", "InvalidJobConfiguration", nil)
	err := temporal.NewApplicationErrorWithOptions("could not prepare the job", "InvalidJobConfiguration",
		temporal.ApplicationErrorOptions{Cause: cause})
	assert.Equal(t, "could not prepare the job: invalid job configuration: launchType: bad", failureMessage(err))
	assert.Equal(t, "boom", failureMessage(errors.New("boom")))
	assert.Equal(t, "step: io", failureMessage(temporal.NewApplicationErrorWithOptions("step", "", temporal.ApplicationErrorOptions{Cause: errors.New("io")})))
}

func TestStatusLine(t *testing.T) {
	code := 0
	assert.Equal(t, "running ecs=RUNNING task=arn:t", statusLine(workflows.Status{Phase: "running", LastStatus: "RUNNING", TaskArn: "arn:t"}))
	assert.Equal(t, "completed exitCode=0 stopCode=EssentialContainerExited",
		statusLine(workflows.Status{Phase: "completed", ExitCode: &code, StopCode: "EssentialContainerExited"}))
}
