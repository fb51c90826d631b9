package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
	tlog "go.temporal.io/sdk/log"
)

// metricsPath is the one path the metrics endpoint serves.
const metricsPath = "/metrics"

// metricsReportInterval is how often the tally scope hands what was
// emitted to the Prometheus registry: a scrape sees a metric that late at
// most.
const metricsReportInterval = time.Second

// latencyBuckets are the upper bounds, in seconds, of every histogram the
// endpoint serves (the SDK's latencies and the product's): from a
// millisecond, for RPCs, to an hour, for waits on long tasks.
var latencyBuckets = []float64{
	0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5,
	1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600,
}

// metricsServer serves the worker's Prometheus metrics: the Temporal SDK's
// and the product's (temporal_ecs_*), all emitted through Handler.
type metricsServer struct {
	handler client.MetricsHandler
	srv     *http.Server
	scope   io.Closer
	served  chan struct{}
	addr    string
}

// startMetrics listens on addr (host:port; port 0 picks a free one) and
// serves the metrics at /metrics, every other path being 404. The
// metrics follow Prometheus's conventions: names and tag values sanitized
// to [a-zA-Z0-9_], counters suffixed _total, timers histograms in seconds
// suffixed _seconds. A metric registered twice with other tag names is
// logged and dropped, never fatal. Close stops the endpoint.
func startMetrics(addr string, logger *slog.Logger) (*metricsServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %w", err)
	}
	registry := prom.NewRegistry()
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:              registry,
		DefaultTimerType:        tallyprom.HistogramTimerType,
		DefaultHistogramBuckets: latencyBuckets,
		OnRegisterError: func(err error) {
			logger.Warn("metric dropped: it cannot be registered", "error", err)
		},
	})
	root, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, metricsReportInterval)
	mux := http.NewServeMux()
	mux.Handle(metricsPath, reporter.HTTPHandler())
	m := &metricsServer{
		handler: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(root)),
		srv:     &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second},
		scope:   closer,
		served:  make(chan struct{}),
		addr:    ln.Addr().String(),
	}
	go func() {
		defer close(m.served)
		if err := m.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("the metrics endpoint stopped", "error", err)
		}
	}()
	logger.Info("serving Prometheus metrics", "address", "http://"+m.addr+metricsPath)
	return m, nil
}

// Handler is the handler to give the Temporal client and the activities;
// nil (the SDK's no-op) for a nil server.
func (m *metricsServer) Handler() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return m.handler
}

// Close stops serving, waiting at most until ctx ends for the scrapes in
// flight, and stops the scope's reporting. A nil server is a no-op.
func (m *metricsServer) Close(ctx context.Context) error {
	if m == nil {
		return nil
	}
	err := m.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, m.srv.Close())
	}
	<-m.served
	return errors.Join(err, m.scope.Close())
}

// dialTemporal connects to Temporal as the temporalclient flags say, the
// SDK's metrics going to handler (nil: none).
func dialTemporal(ctx context.Context, cfg *config, logger *slog.Logger, handler client.MetricsHandler) (client.Client, error) {
	if handler == nil {
		return cfg.temporal.Dial(ctx, logger)
	}
	opts, err := cfg.temporal.ClientOptions()
	if err != nil {
		return nil, err
	}
	opts.Logger = tlog.NewStructuredLogger(logger)
	opts.MetricsHandler = handler
	tc, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", opts.HostPort, opts.Namespace, err)
	}
	return tc, nil
}

// closeMetrics closes m, giving the scrapes in flight a few seconds, and
// logs a failure: the worker's own outcome does not depend on it.
func closeMetrics(m *metricsServer, logger *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.Close(ctx); err != nil {
		logger.Warn("closing the metrics endpoint", "error", err)
	}
}
