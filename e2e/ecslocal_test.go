package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// standaloneECS is an ecslocal process of one test, apart from the shared
// worker's --local-ecs endpoint, with its admin API on: the test drives
// faults and ECS-initiated stops from outside, as it would against AWS's
// own incidents.
type standaloneECS struct {
	// addr is host:port, endpoint "http://" + addr.
	addr, endpoint string
	// aws signs with the e2e credentials (accessKeyID, secretAccessKey)
	// and points at endpoint.
	aws   aws.Config
	token string
	proc  *process
}

// startLocalECS starts the ecslocal binary on a free loopback port with a
// fresh admin token and extra flags, and waits until it serves; t.Cleanup
// stops it (SIGTERM, which stops its tasks) and fails the test unless it
// exits 0. Its log is dir/ecslocal-<test>-<n>.log.
func (h *harness) startLocalECS(ctx context.Context, t *testing.T, args ...string) *standaloneECS {
	t.Helper()
	tokenBytes := make([]byte, 24)
	_, err := rand.Read(tokenBytes)
	require.NoError(t, err)
	token := hex.EncodeToString(tokenBytes)
	env := append(h.baseEnv(),
		"AWS_ACCESS_KEY_ID="+accessKeyID,
		"AWS_SECRET_ACCESS_KEY="+secretAccessKey,
		"ECSLOCAL_ADMIN_TOKEN="+token,
	)
	// The free port may be taken before ecslocal binds it: try again then.
	var lastErr error
	for attempt := 1; attempt <= 3; attempt++ {
		addr, err := freeAddr()
		require.NoError(t, err)
		logPath := filepath.Join(h.dir, fmt.Sprintf("ecslocal-%s-%d.log", unsafeID.ReplaceAllString(t.Name(), "-"), attempt))
		p, err := startProcess("ecslocal", logPath, env, filepath.Join(h.binDir, "ecslocal"),
			append([]string{"--addr", addr, "--region", region, "--stop-timeout", "5s"}, args...)...)
		require.NoError(t, err)
		l := &standaloneECS{addr: addr, endpoint: "http://" + addr, aws: awsConfig("http://" + addr), token: token, proc: p}
		waitCtx, cancel := context.WithTimeout(ctx, time.Minute)
		lastErr = waitFor(waitCtx, p, "ecslocal to serve", func() bool {
			_, err := l.statsErr(waitCtx)
			return err == nil
		})
		cancel()
		if lastErr == nil {
			t.Cleanup(func() { assert.NoError(t, p.stop(30*time.Second)) })
			return l
		}
		p.kill()
		if b, _ := os.ReadFile(logPath); !bytes.Contains(b, []byte("address already in use")) {
			break
		}
	}
	require.NoError(t, lastErr)
	return nil
}

// admin calls the admin API and requires a 200 answer.
func (l *standaloneECS) admin(ctx context.Context, t *testing.T, method, path string, body any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, l.endpoint+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+l.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s %s: %s", method, path, answer)
}

// stopTask stops a task as ECS itself would, with stopCode
// (SpotInterruption, TerminationNotice, ...) and reason ("" for a default).
func (l *standaloneECS) stopTask(ctx context.Context, t *testing.T, taskARN, stopCode, reason string) {
	t.Helper()
	l.admin(ctx, t, http.MethodPost, ecslocal.AdminStopTaskPath, ecslocal.StopTaskRequest{Task: taskARN, StopCode: stopCode, Reason: reason})
}

// inject injects one fault.
func (l *standaloneECS) inject(ctx context.Context, t *testing.T, ft ecslocal.Fault) {
	t.Helper()
	l.admin(ctx, t, http.MethodPost, ecslocal.AdminFaultsPath, ft)
}

// loseResponses performs the next n calls of op ("ecs:RunTask") and drops
// their connections instead of answering.
func (l *standaloneECS) loseResponses(ctx context.Context, t *testing.T, op string, n int) {
	t.Helper()
	l.inject(ctx, t, ecslocal.Fault{Kind: ecslocal.FaultLoseResponses, Op: op, Count: n})
}

// throttle fails the next n calls of op with ThrottlingException.
func (l *standaloneECS) throttle(ctx context.Context, t *testing.T, op string, n int) {
	t.Helper()
	l.inject(ctx, t, ecslocal.Fault{Kind: ecslocal.FaultThrottle, Op: op, Count: n})
}

// throttleAbove throttles the calls of op beyond perSecond (bursts of burst).
func (l *standaloneECS) throttleAbove(ctx context.Context, t *testing.T, op string, perSecond float64, burst int) {
	t.Helper()
	l.inject(ctx, t, ecslocal.Fault{Kind: ecslocal.FaultThrottleAbove, Op: op, PerSecond: perSecond, Burst: burst})
}

// serverErrors fails the next n calls of op with HTTP status (5xx).
func (l *standaloneECS) serverErrors(ctx context.Context, t *testing.T, op string, n, status int) {
	t.Helper()
	l.inject(ctx, t, ecslocal.Fault{Kind: ecslocal.FaultServerErrors, Op: op, Count: n, Status: status})
}

// runTaskFailures makes the next n RunTask calls answer failures with reason.
func (l *standaloneECS) runTaskFailures(ctx context.Context, t *testing.T, n int, reason string) {
	t.Helper()
	l.inject(ctx, t, ecslocal.Fault{Kind: ecslocal.FaultRunTaskFailures, Count: n, Reason: reason})
}

// resetFaults removes every fault.
func (l *standaloneECS) resetFaults(ctx context.Context, t *testing.T) {
	t.Helper()
	l.admin(ctx, t, http.MethodDelete, ecslocal.AdminFaultsPath, nil)
}

// stats returns the endpoint's request counters ("ecs:RunTask": 2).
func (l *standaloneECS) stats(ctx context.Context, t *testing.T) map[string]int64 {
	t.Helper()
	stats, err := l.statsErr(ctx)
	require.NoError(t, err)
	return stats
}

// resetStats sets the request counters to zero.
func (l *standaloneECS) resetStats(ctx context.Context, t *testing.T) {
	t.Helper()
	l.admin(ctx, t, http.MethodDelete, ecslocal.StatsPath, nil)
}

func (l *standaloneECS) statsErr(ctx context.Context) (map[string]int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, l.endpoint+ecslocal.StatsPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading ecslocal stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading ecslocal stats: status %d", resp.StatusCode)
	}
	var stats map[string]int64
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return nil, fmt.Errorf("decoding ecslocal stats: %w", err)
	}
	return stats, nil
}

// waitTaskStatus polls DescribeTasks until the task's lastStatus is status.
func (l *standaloneECS) waitTaskStatus(ctx context.Context, t *testing.T, taskARN, status string) ecstypes.Task {
	t.Helper()
	var task ecstypes.Task
	require.NoError(t, waitFor(ctx, l.proc, "task "+taskARN+" to be "+status, func() bool {
		task = describeTask(ctx, t, l.aws, "default", taskARN)
		return aws.ToString(task.LastStatus) == status
	}))
	return task
}

// The standalone endpoint is driven from outside: placement failures,
// lost responses, server errors and throttling reach the SDK as from AWS,
// and a task stopped through the admin API ends as a Spot interruption
// does. Only the AWS calls are counted.
func TestStandaloneLocalECSSpotInterruption(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	l := h.startLocalECS(ctx, t)
	client := ecs.NewFromConfig(l.aws)
	once := func(o *ecs.Options) { o.RetryMaxAttempts = 1 }

	_, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("spot"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name: aws.String("app"), Image: aws.String("alpine:3.20"), Memory: aws.Int32(64),
			Command: []string{"sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.05; done`},
		}},
	})
	require.NoError(t, err)
	l.resetStats(ctx, t)

	l.runTaskFailures(ctx, t, 1, "RESOURCE:MEMORY")
	failed, err := client.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("spot")})
	require.NoError(t, err)
	require.Len(t, failed.Failures, 1)
	assert.Equal(t, "RESOURCE:MEMORY", aws.ToString(failed.Failures[0].Reason))

	l.loseResponses(ctx, t, "ecs:RunTask", 1)
	out, err := client.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("spot"), ClientToken: aws.String(workflowID(t))})
	require.NoError(t, err, "the SDK retries the lost response")
	require.Len(t, out.Tasks, 1)
	arn := aws.ToString(out.Tasks[0].TaskArn)
	l.serverErrors(ctx, t, "ecs:DescribeTasks", 1, http.StatusServiceUnavailable)
	l.waitTaskStatus(ctx, t, arn, "RUNNING")

	l.stopTask(ctx, t, arn, string(ecstypes.TaskStopCodeSpotInterruption), "Your Spot Task was interrupted.")
	done := l.waitTaskStatus(ctx, t, arn, "STOPPED")
	assert.Equal(t, ecstypes.TaskStopCodeSpotInterruption, done.StopCode)
	assert.Equal(t, "Your Spot Task was interrupted.", aws.ToString(done.StoppedReason))

	l.throttle(ctx, t, "ecs:ListTasks", 1)
	listed, err := client.ListTasks(ctx, &ecs.ListTasksInput{DesiredStatus: ecstypes.DesiredStatusStopped})
	require.NoError(t, err, "the SDK retries throttling")
	assert.Equal(t, []string{arn}, listed.TaskArns, "one task launched")

	l.throttleAbove(ctx, t, "ecs:ListTasks", 0.001, 1)
	_, err = client.ListTasks(ctx, &ecs.ListTasksInput{}, once)
	require.NoError(t, err, "within the burst")
	_, err = client.ListTasks(ctx, &ecs.ListTasksInput{}, once)
	var throttled smithy.APIError
	require.ErrorAs(t, err, &throttled)
	assert.Equal(t, "ThrottlingException", throttled.ErrorCode())
	l.resetFaults(ctx, t)
	_, err = client.ListTasks(ctx, &ecs.ListTasksInput{}, once)
	require.NoError(t, err)

	stats := l.stats(ctx, t)
	assert.Equal(t, int64(3), stats["ecs:RunTask"], "the failed call, the lost call and its retry")
	assert.Equal(t, int64(5), stats["ecs:ListTasks"])
	assert.NotContains(t, stats, "ecs:RegisterTaskDefinition", "reset")
	for op := range stats {
		assert.True(t, strings.HasPrefix(op, "ecs:"), "only AWS calls are counted, not %q", op)
	}
}
