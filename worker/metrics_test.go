package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

// scrape GETs path from the metrics endpoint at addr.
func scrape(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

// startTestMetrics starts an endpoint on a free port, closed at the end.
func startTestMetrics(t *testing.T, logs io.Writer) *metricsServer {
	t.Helper()
	m, err := startMetrics("127.0.0.1:0", slog.New(slog.NewTextHandler(logs, nil)))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, m.Close(context.Background())) })
	return m
}

func TestMetricsEndpointServesWhatTheHandlerEmitsInPrometheusNaming(t *testing.T) {
	m := startTestMetrics(t, io.Discard)
	h := m.Handler()
	h.Counter("temporal_ecs_tasks_started").Inc(2)
	h.WithTags(map[string]string{"stop_code": "EssentialContainerExited"}).Counter("temporal_ecs_tasks_stopped").Inc(1)
	h.WithTags(map[string]string{"service": "CloudWatch Logs", "operation": "GetLogEvents", "error_code": "none"}).
		Counter("temporal_ecs_aws_calls").Inc(3)
	h.Gauge("temporal_ecs_tasks_running").Update(4)
	h.Timer("temporal_ecs_task_stopped_to_close_latency").Record(1500 * time.Millisecond)

	want := []string{
		"temporal_ecs_tasks_started_total 2",
		`temporal_ecs_tasks_stopped_total{stop_code="EssentialContainerExited"} 1`,
		`temporal_ecs_aws_calls_total{error_code="none",operation="GetLogEvents",service="CloudWatch_Logs"} 3`,
		"temporal_ecs_tasks_running 4",
		`temporal_ecs_task_stopped_to_close_latency_seconds_bucket{le="1"} 0`,
		`temporal_ecs_task_stopped_to_close_latency_seconds_bucket{le="2"} 1`,
		`temporal_ecs_task_stopped_to_close_latency_seconds_bucket{le="3600"} 1`,
		"temporal_ecs_task_stopped_to_close_latency_seconds_count 1",
	}
	// The scope hands its metrics to the registry every second.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		code, body := scrape(t, m.addr, "/metrics")
		assert.Equal(c, http.StatusOK, code)
		for _, w := range want {
			assert.Contains(c, body, w+"\n")
		}
	}, 10*time.Second, 50*time.Millisecond)
}

func TestMetricsEndpointServesOnlySlashMetrics(t *testing.T) {
	m := startTestMetrics(t, io.Discard)
	for _, path := range []string{"/", "/debug/pprof/", "/metrics/x"} {
		code, _ := scrape(t, m.addr, path)
		assert.Equal(t, http.StatusNotFound, code, path)
	}
}

func TestAMetricRegisteredWithOtherTagsIsLoggedNotFatal(t *testing.T) {
	var logs bytes.Buffer
	m := startTestMetrics(t, &logs)
	h := m.Handler()
	h.Counter("temporal_ecs_clash").Inc(1)
	assert.NotPanics(t, func() {
		h.WithTags(map[string]string{"other": "tag"}).Counter("temporal_ecs_clash").Inc(1)
	})
	assert.Contains(t, logs.String(), "metric dropped")
}

func TestMetricsCloseStopsTheEndpoint(t *testing.T) {
	m, err := startMetrics("127.0.0.1:0", slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, m.Close(context.Background()))
	ln, err := net.Listen("tcp", m.addr)
	require.NoError(t, err, "the address is free again")
	require.NoError(t, ln.Close())

	var none *metricsServer
	assert.Nil(t, none.Handler(), "no endpoint: the SDK's no-op handler")
	assert.NoError(t, none.Close(context.Background()))
}

func TestMetricsAddressInUseFailsTheStart(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	_, err = startMetrics(taken.Addr().String(), slog.New(slog.DiscardHandler))
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "--metrics-addr: "), err.Error())
	assert.Contains(t, err.Error(), "address already in use")
}

func TestMetricsAddrFlag(t *testing.T) {
	c, err := parseConfig(nil, env(nil), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Empty(t, c.metricsAddr, "off by default")

	c, err = parseConfig(nil, env(map[string]string{"TEMPORAL_ECS_METRICS_ADDR": ":9090"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, ":9090", c.metricsAddr)

	c, err = parseConfig([]string{"--metrics-addr=127.0.0.1:9191"}, env(map[string]string{"TEMPORAL_ECS_METRICS_ADDR": ":9090"}), &bytes.Buffer{})
	require.NoError(t, err)
	assert.Equal(t, "127.0.0.1:9191", c.metricsAddr, "the flag beats the variable")

	_, err = parseConfig([]string{"--metrics-addr=9090"}, env(nil), &bytes.Buffer{})
	require.Error(t, err)
	assert.True(t, errors.As(err, new(cliflags.UsageError)))
	assert.Contains(t, err.Error(), "--metrics-addr: want host:port")

	var out bytes.Buffer
	_, _ = parseConfig([]string{"--help"}, env(nil), &out)
	assert.Contains(t, out.String(), "TEMPORAL_ECS_METRICS_ADDR")
}

func TestTheMetricsEndpointStopsWithTheWorker(t *testing.T) {
	vars := map[string]string{"AWS_REGION": "us-east-1", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull}
	for k, v := range vars {
		t.Setenv(k, v)
	}
	t.Setenv("TEMPORAL_CONFIG_FILE", filepath.Join(t.TempDir(), "none.toml"))
	free, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := free.Addr().String()
	require.NoError(t, free.Close())

	var stderr bytes.Buffer
	err = run(context.Background(), []string{"--metrics-addr=" + addr, "--address=127.0.0.1:1"}, env(vars), &stderr)
	require.ErrorContains(t, err, "connect to Temporal at 127.0.0.1:1")
	assert.Contains(t, stderr.String(), "serving Prometheus metrics")
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err, "the worker closed its metrics endpoint")
	require.NoError(t, ln.Close())
}
