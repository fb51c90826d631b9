// Command worker runs the temporal-ecs Temporal worker: it hosts the
// RunECSTask workflow and the ECS activities on a task queue. See --help.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/worker"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cliMain(ctx, os.Args[1:], os.LookupEnv, os.Stderr)
	stop()
	os.Exit(code)
}

// cliMain runs the worker until ctx ends and returns the process's exit
// status: 0 after a clean stop or --help; 2 for a usage error and 1 for
// any other failure, each reported in one line on stderr.
func cliMain(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer) int {
	err := run(ctx, args, lookup, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(cliflags.UsageError)):
		fmt.Fprintln(stderr, "worker:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "worker:", err)
		return 1
	}
}

// run is the worker's life: configure, connect, serve until ctx ends or
// the worker fails, then stop in reverse order. ctx ending during startup
// is a clean stop too: what was started is closed and run returns nil.
func run(ctx context.Context, args []string, lookup func(string) (string, bool), stderr io.Writer) error {
	cfg, err := parseConfig(args, lookup, stderr)
	if err != nil {
		return err
	}
	logger := newLogger(stderr, cfg)
	// A key file that does not load stops the worker before it starts
	// anything; the client options load it again.
	keys, err := cfg.temporal.Keys()
	if err != nil {
		return err
	}
	if keys != nil {
		logger.Info("payload encryption on", "keyIds", keys.IDs(), "newestKeyId", keys.Newest())
	}
	defaults, err := cfg.jobDefaults()
	if err != nil {
		return err
	}
	// startupErr is the error of a startup step: none when ctx ended,
	// which is what cut the step short.
	startupErr := func(err error) error {
		if ctx.Err() != nil {
			logger.Info("shutting down: stopped during startup")
			return nil
		}
		return err
	}
	// The metrics endpoint, when configured, is up first and stops last.
	var metrics *metricsServer
	if cfg.metricsAddr != "" {
		if metrics, err = startMetrics(cfg.metricsAddr, logger); err != nil {
			return err
		}
		defer closeMetrics(metrics, logger)
	}
	awsCfg, stopLocal, err := loadAWS(ctx, cfg, logger, lookup)
	if err != nil {
		return startupErr(err)
	}
	defer stopLocal()

	tc, err := dialTemporal(ctx, cfg, logger, metrics.Handler())
	if err != nil {
		return startupErr(err)
	}
	defer tc.Close()

	clientOpts, err := cfg.temporal.ClientOptions()
	if err != nil {
		return err
	}
	acts := activities.New(activities.Options{
		AWS:              awsCfg,
		Defaults:         defaults,
		SearchAttributes: searchAttributesRegistered(ctx, tc, clientOpts.Namespace, logger),
		Logger:           logger,
		RegisterAttempts: cfg.registerAttempts,
		RegisterDelay:    cfg.registerDelay,
		MetricsHandler:   metrics.Handler(),
	})
	defer acts.Close()

	// The reaper stops the tasks of workflows that ended without stopping
	// them (timeouts, terminate).
	if cfg.reapInterval > 0 {
		reapOpts, err := cfg.reaperOptions(tc)
		if err != nil {
			return err
		}
		stopReaper, err := acts.StartReaper(ctx, reapOpts)
		if err != nil {
			return err
		}
		defer stopReaper()
	}

	fatal := make(chan error, 1)
	w := workflows.NewWorker(tc, cfg.taskQueue, acts, workflows.WorkerOptions{
		Worker: worker.Options{
			MaxConcurrentActivityExecutionSize: cfg.maxActivities,
			WorkerStopTimeout:                  cfg.stopTimeout,
			OnFatalError: func(err error) {
				select {
				case fatal <- err:
				default:
				}
			},
		},
		MaxConcurrentWaits: cfg.maxWaits,
	})
	if err := w.Start(); err != nil {
		return err
	}
	logger.Info("worker started", "taskQueue", cfg.taskQueue, "waitQueue", workflows.WaitQueue(cfg.taskQueue))

	select {
	case <-ctx.Done():
		logger.Info("shutting down: waiting for running activities", "timeout", cfg.stopTimeout)
	case err = <-fatal:
		err = fmt.Errorf("worker stopped: %w", err)
	}
	w.Stop()
	return err
}
