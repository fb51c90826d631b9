package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// testTimeout bounds each test's waits.
const testTimeout = 3 * time.Minute

func testContext(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// shellJob is a job running script with sh -c, streaming its output.
func shellJob(script string) map[string]any {
	return map[string]any{
		"image":               "alpine:3.20",
		"command":             []string{"sh", "-c", script},
		"streamOutput":        true,
		"pollIntervalSeconds": 0.5,
		// A lost worker's waits resume within 10s (the default, 180s,
		// trades reattach time for fewer heartbeats).
		"heartbeatTimeoutSeconds": 10,
	}
}

var unsafeID = regexp.MustCompile(`[^a-zA-Z0-9-]+`)

// workflowID returns a unique workflow ID naming the test.
func workflowID(t *testing.T) string {
	return "e2e-" + unsafeID.ReplaceAllString(t.Name(), "-") + "-" + uuid.NewString()[:8]
}

// startJob starts RunECSTask on job, on the default task queue unless
// taskQueue is given.
func (h *harness) startJob(ctx context.Context, t *testing.T, job map[string]any, taskQueue ...string) client.WorkflowRun {
	t.Helper()
	raw, err := json.Marshal(job)
	require.NoError(t, err)
	queue := workflows.TaskQueue
	if len(taskQueue) > 0 {
		queue = taskQueue[0]
	}
	run, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID(t), TaskQueue: queue},
		workflows.WorkflowName, json.RawMessage(raw))
	require.NoError(t, err)
	return run
}

// status queries the workflow's status.
func (h *harness) status(ctx context.Context, run client.WorkflowRun) (workflows.Status, error) {
	var st workflows.Status
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	v, err := h.tc.QueryWorkflow(qctx, run.GetID(), run.GetRunID(), workflows.StatusQuery)
	if err != nil {
		return st, err
	}
	return st, v.Get(&st)
}

// waitStatus polls the status query until cond holds and returns that status.
func (h *harness) waitStatus(ctx context.Context, t *testing.T, run client.WorkflowRun, what string, cond func(workflows.Status) bool) workflows.Status {
	t.Helper()
	var last workflows.Status
	err := waitFor(ctx, nil, what, func() bool {
		st, err := h.status(ctx, run)
		if err != nil {
			return false
		}
		last = st
		return cond(st)
	})
	require.NoError(t, err, "last status: %+v", last)
	return last
}

// logEvents reads a whole CloudWatch Logs stream from a local endpoint.
func logEvents(ctx context.Context, t *testing.T, cfg aws.Config, group, stream string) []cwtypes.OutputLogEvent {
	t.Helper()
	require.NotEmpty(t, stream, "the task has no log stream")
	cw := cloudwatchlogs.NewFromConfig(cfg)
	var events []cwtypes.OutputLogEvent
	in := &cloudwatchlogs.GetLogEventsInput{LogGroupName: &group, LogStreamName: &stream, StartFromHead: aws.Bool(true)}
	for {
		out, err := cw.GetLogEvents(ctx, in)
		require.NoError(t, err)
		events = append(events, out.Events...)
		if out.NextForwardToken == nil || aws.ToString(out.NextForwardToken) == aws.ToString(in.NextToken) {
			return events
		}
		in.NextToken = out.NextForwardToken
	}
}

// logLines returns the messages of a whole CloudWatch Logs stream.
func logLines(ctx context.Context, t *testing.T, cfg aws.Config, group, stream string) []string {
	t.Helper()
	var lines []string
	for _, ev := range logEvents(ctx, t, cfg, group, stream) {
		lines = append(lines, strings.TrimRight(aws.ToString(ev.Message), "\n"))
	}
	return lines
}

// waitLogLine polls the stream until it has line.
func waitLogLine(ctx context.Context, t *testing.T, cfg aws.Config, group, stream, line string) {
	t.Helper()
	cw := cloudwatchlogs.NewFromConfig(cfg)
	err := waitFor(ctx, nil, "log line "+line, func() bool {
		out, err := cw.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: &group, LogStreamName: &stream, StartFromHead: aws.Bool(true)})
		if err != nil {
			return false
		}
		for _, ev := range out.Events {
			if strings.TrimRight(aws.ToString(ev.Message), "\n") == line {
				return true
			}
		}
		return false
	})
	require.NoError(t, err)
}

// streamedLines returns the container lines the worker wrote to its JSON
// log(s) for workflowID, in order.
func streamedLines(t *testing.T, workflowID string, logPaths ...string) []string {
	t.Helper()
	var lines []string
	for _, p := range logPaths {
		records, err := readJSONLog(p)
		require.NoError(t, err)
		for _, r := range records {
			if r.str("workflowId") == workflowID && r.str("taskId") != "" {
				lines = append(lines, strings.TrimRight(r.str("msg"), "\n"))
			}
		}
	}
	return lines
}

// describeTask describes one task on a local ECS endpoint.
func describeTask(ctx context.Context, t *testing.T, cfg aws.Config, cluster, taskArn string) ecstypes.Task {
	t.Helper()
	out, err := ecs.NewFromConfig(cfg).DescribeTasks(ctx, &ecs.DescribeTasksInput{
		Cluster: aws.String(cluster), Tasks: []string{taskArn}})
	require.NoError(t, err)
	require.Len(t, out.Tasks, 1, "task %s not found (failures: %+v)", taskArn, out.Failures)
	return out.Tasks[0]
}

// starterResult is how a starter process ended.
type starterResult struct {
	stdout, stderr string
	code           int
}

// starter returns a command running the starter binary with the client
// environment.
func (h *harness) starter(ctx context.Context, args ...string) (*exec.Cmd, *bytes.Buffer, *bytes.Buffer) {
	cmd := exec.CommandContext(ctx, filepath.Join(h.binDir, "starter"), args...)
	cmd.Env = h.clientEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	return cmd, &stdout, &stderr
}

// startStarterLines starts the starter and returns its stdout lines as
// they come; the channel closes when stdout does.
func (h *harness) startStarterLines(ctx context.Context, t *testing.T, args ...string) (*exec.Cmd, <-chan string, *bytes.Buffer) {
	t.Helper()
	cmd, _, stderr := h.starter(ctx, args...)
	cmd.Stdout = nil
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	out := make(chan string, 100)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			out <- sc.Text()
		}
	}()
	return cmd, out, stderr
}

// readUntil collects lines until want (included) or the end of out.
func readUntil(out <-chan string, want string) []string {
	var got []string
	for l := range out {
		got = append(got, l)
		if l == want {
			break
		}
	}
	return got
}

// runStarter runs the starter to its end.
func (h *harness) runStarter(ctx context.Context, t *testing.T, args ...string) starterResult {
	t.Helper()
	cmd, stdout, stderr := h.starter(ctx, args...)
	err := cmd.Run()
	return starterResult{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(t, err)}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode()
	}
	require.NoError(t, err)
	return 0
}

// lines splits output into lines.
func lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// localStats reads the request counters of the shared worker's local ECS
// endpoint (GET /_ecslocal/stats).
func (h *harness) localStats(ctx context.Context, t *testing.T) map[string]int64 {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+h.localECS+ecslocal.StatsPath, nil)
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var stats map[string]int64
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&stats))
	return stats
}
