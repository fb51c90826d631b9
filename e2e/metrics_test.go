package e2e_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// sample is one line of a Prometheus text exposition.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics parses a Prometheus text exposition whose label values
// hold no comma, quote or backslash (the worker sanitizes them).
func parseMetrics(r io.Reader) ([]sample, error) {
	var out []sample
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			return nil, fmt.Errorf("no value in %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			return nil, fmt.Errorf("value of %q: %w", line, err)
		}
		s := sample{name: line[:i], labels: map[string]string{}, value: v}
		if j := strings.IndexByte(s.name, '{'); j >= 0 {
			for kv := range strings.SplitSeq(strings.TrimSuffix(s.name[j+1:], "}"), ",") {
				k, val, ok := strings.Cut(kv, "=")
				if !ok {
					return nil, fmt.Errorf("label %q of %q", kv, line)
				}
				s.labels[k] = strings.Trim(val, `"`)
			}
			s.name = s.name[:j]
		}
		out = append(out, s)
	}
	return out, sc.Err()
}

// metricsScrape is one scrape of a worker's /metrics.
type metricsScrape []sample

// sum adds up the samples of name whose labels include want.
func (m metricsScrape) sum(name string, want map[string]string) float64 {
	total := 0.0
	for _, s := range m {
		if s.name != name {
			continue
		}
		match := true
		for k, v := range want {
			match = match && s.labels[k] == v
		}
		if match {
			total += s.value
		}
	}
	return total
}

// scrapeMetrics GETs http://addr/metrics.
func scrapeMetrics(ctx context.Context, addr string) (metricsScrape, error) {
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return parseMetrics(resp.Body)
}

// A worker with --metrics-addr serves the SDK's metrics and the
// product's: after one job, the task started, stopped by itself, its
// RunTask call, its streamed lines and the STOPPED-to-close latency.
func TestMetricsEndpointShowsAJobRunToItsEnd(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	addr, err := freeAddr()
	require.NoError(t, err)
	queue := "e2e-metrics-" + uuid.NewString()[:8]
	worker, err := h.startWorker(ctx, "metrics-worker", nil, "--task-queue="+queue, "--metrics-addr="+addr)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, worker.stop(30*time.Second)) })

	const lines = 3
	run := h.startJob(ctx, t, shellJob("for i in 1 2 3; do echo metrics line $i; done"), queue)
	var res activities.TaskResult
	require.NoError(t, run.Get(ctx, &res))
	require.Equal(t, "EssentialContainerExited", res.StopCode)
	require.Len(t, streamedLines(t, run.GetID(), worker.log), lines, "the job printed %d lines", lines)

	// Tag values are sanitized to [a-zA-Z0-9_].
	queueTag := map[string]string{"task_queue": strings.ReplaceAll(queue, "-", "_")}
	checks := []struct {
		what string
		ok   func(metricsScrape) bool
	}{
		{"the SDK's temporal_workflow_completed_total", func(m metricsScrape) bool {
			return m.sum("temporal_workflow_completed_total", queueTag) >= 1
		}},
		{"the SDK's temporal_activity_execution_latency_seconds", func(m metricsScrape) bool {
			return m.sum("temporal_activity_execution_latency_seconds_count", map[string]string{"activity_type": "RunTask"}) >= 1
		}},
		{"temporal_ecs_tasks_started_total >= 1", func(m metricsScrape) bool {
			return m.sum("temporal_ecs_tasks_started_total", nil) >= 1
		}},
		{"temporal_ecs_tasks_stopped_total{stop_code=EssentialContainerExited} >= 1", func(m metricsScrape) bool {
			return m.sum("temporal_ecs_tasks_stopped_total", map[string]string{"stop_code": "EssentialContainerExited"}) >= 1
		}},
		{"temporal_ecs_aws_calls_total of RunTask", func(m metricsScrape) bool {
			return m.sum("temporal_ecs_aws_calls_total", map[string]string{"service": "ECS", "operation": "RunTask", "error_code": "none"}) >= 1
		}},
		{fmt.Sprintf("temporal_ecs_log_lines_streamed_total >= %d", lines), func(m metricsScrape) bool {
			return m.sum("temporal_ecs_log_lines_streamed_total", nil) >= lines
		}},
		{"a sample of temporal_ecs_task_stopped_to_close_latency_seconds", func(m metricsScrape) bool {
			return m.sum("temporal_ecs_task_stopped_to_close_latency_seconds_count", queueTag) >= 1
		}},
		{"temporal_ecs_tasks_running back to 0", func(m metricsScrape) bool {
			for _, s := range m {
				if s.name == "temporal_ecs_tasks_running" {
					return s.value == 0
				}
			}
			return false
		}},
	}
	// The worker hands its metrics to the endpoint every second.
	var last metricsScrape
	var scrapeErr error
	deadline, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	err = waitFor(deadline, worker, "the metrics of the job", func() bool {
		last, scrapeErr = scrapeMetrics(ctx, addr)
		if scrapeErr != nil {
			return false
		}
		for _, c := range checks {
			if !c.ok(last) {
				return false
			}
		}
		return true
	})
	for _, s := range last {
		if strings.HasPrefix(s.name, "temporal_ecs_") && !strings.HasSuffix(s.name, "_bucket") {
			t.Logf("%s %v %g", s.name, s.labels, s.value)
		}
	}
	if err != nil {
		require.NoError(t, scrapeErr, "last scrape")
		for _, c := range checks {
			assert.True(t, c.ok(last), "missing: %s", c.what)
		}
		require.NoError(t, err)
	}

	// Every metric, the SDK's and the product's, registered.
	records, err := readJSONLog(worker.log)
	require.NoError(t, err)
	for _, r := range records {
		assert.NotContains(t, r.str("msg"), "metric dropped", "%v", r)
	}
}
