// Package activities runs the ECS, EC2 and CloudWatch Logs side of a job as
// Temporal activities: preparing and registering the task definition,
// running the task, waiting for it to start and to finish while streaming
// its logs, stopping it and deregistering its definition.
//
// The activities are methods on Activities, which holds the per-worker
// state they share: AWS clients per region and role, the task definition
// cache, and the Watcher through which every task is polled.
package activities

import (
	"context"
	"encoding/json"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
)

// Options configures Activities.
type Options struct {
	// AWS is the worker's base AWS configuration (region, credentials,
	// endpoint); jobs may override the region and assume a role.
	AWS aws.Config
	// Defaults is the worker's job defaults, merged under every job.
	Defaults json.RawMessage
	// SearchAttributes tells the workflows to upsert their search
	// attributes (workflows.SearchAttributes): set it only when the
	// namespace has them registered, since an unknown one fails the
	// workflow task.
	SearchAttributes bool
	// Logger receives the worker-level logs (the watcher's); nil means
	// slog.Default(). Logs of a running activity, streamed container output
	// included, go to the activity logger (activity.GetLogger), which the
	// worker wires to the same slog through log.NewStructuredLogger.
	Logger *slog.Logger
	// RegisterAttempts bounds the in-activity retries of
	// RegisterTaskDefinition on concurrent-revision conflicts (default 3);
	// RegisterDelay is the first backoff (default 1s), doubled with jitter.
	RegisterAttempts int
	RegisterDelay    time.Duration
	// MetricsHandler receives the product's metrics (tasks started,
	// running and stopped, RunTask failures, AWS calls, log lines
	// streamed, tasks reaped; see the README); nil emits none. The worker
	// passes the handler of its Temporal client, so that they are served
	// with the SDK's.
	MetricsHandler client.MetricsHandler

	// Test knobs: newClients builds the AWS clients of a region and role
	// (nil: newSDKClients), to inject fakes; minPollInterval is the
	// shortest interval at which the watcher calls DescribeTasks, whatever
	// the jobs ask (default 1s); logPageSize bounds the events of one
	// GetLogEvents page (zero: CloudWatch's default).
	newClients      newClientsFunc
	minPollInterval time.Duration
	logPageSize     int32
	// LogEventsPerSecond limits the worker's GetLogEvents calls (default 10
	// per second, CloudWatch's per-account quota being 25); LogEventsBurst
	// is the burst allowed (default 10). The rate is a ceiling: it halves
	// when CloudWatch throttles and grows back (see LogBudget).
	LogEventsPerSecond float64
	LogEventsBurst     int
	// LogGrace is how long the wait activities go on reading a stopped
	// task's log stream after it last grew, so that the lines CloudWatch
	// makes readable late (its ingestion delay) are read (default
	// DefaultLogGrace, 10s).
	LogGrace time.Duration
	// LogDrainRetry bounds how long that final read retries GetLogEvents
	// failures that may pass (throttling, 5xx, timeouts) before the result
	// reports the output incomplete (default DefaultLogDrainRetry, 2m).
	LogDrainRetry time.Duration
	// LogIdleMax is the longest interval between two reads of a streaming
	// task's log stream while it stays empty (default DefaultLogIdleMax,
	// 1m); reads return to every poll as soon as lines flow.
	LogIdleMax time.Duration
	// logRetryDelay is the first backoff of the final read's retries
	// (250ms when zero); tests shorten it.
	logRetryDelay time.Duration
	// PersistentErrorLimit is how long a wait's DescribeTasks may keep
	// failing with an error that retrying cannot fix (access denied,
	// invalid credentials) before the wait stops the task and fails with
	// the AWS error's code (default 10 minutes).
	PersistentErrorLimit time.Duration
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RegisterAttempts <= 0 {
		o.RegisterAttempts = 3
	}
	if o.RegisterDelay <= 0 {
		o.RegisterDelay = time.Second
	}
	if o.minPollInterval <= 0 {
		o.minPollInterval = time.Second
	}
	if o.LogEventsPerSecond <= 0 {
		o.LogEventsPerSecond = 10
	}
	if o.LogEventsBurst <= 0 {
		o.LogEventsBurst = 10
	}
	if o.LogGrace <= 0 {
		o.LogGrace = DefaultLogGrace
	}
	if o.LogDrainRetry <= 0 {
		o.LogDrainRetry = DefaultLogDrainRetry
	}
	if o.LogIdleMax <= 0 {
		o.LogIdleMax = DefaultLogIdleMax
	}
	if o.PersistentErrorLimit <= 0 {
		o.PersistentErrorLimit = defaultPersistentErrorLimit
	}
	return o
}

// Activities holds the AWS clients and the per-worker state (task
// definition cache, task watcher) the activities share. Register it on a
// worker with worker.RegisterActivity(a); Close it when the worker stops.
type Activities struct {
	opts     Options
	clients  *clientFactory
	defs     *definitionCache
	register singleflight.Group
	watcher  *watcher
	logLimit *rate.Limiter
	// logBudget adapts logLimit's rate to throttling.
	logBudget *LogBudget
	reap      reaperState
	metrics   *productMetrics
}

// New returns Activities ready to register on a worker. It starts the task
// watcher, which Close stops.
func New(opts Options) *Activities {
	opts = opts.withDefaults()
	metrics := newProductMetrics(opts.MetricsHandler)
	clients := newClientFactory(withAWSMetrics(opts.AWS, metrics), opts.newClients)
	a := &Activities{
		opts:     opts,
		clients:  clients,
		metrics:  metrics,
		defs:     newDefinitionCache(),
		logLimit: rate.NewLimiter(rate.Limit(opts.LogEventsPerSecond), opts.LogEventsBurst),
	}
	a.logBudget = adaptiveBudget(a.logLimit)
	a.watcher = startWatcher(watcherOptions{
		Clients:         func(key clientKey) ECSAPI { return clients.get(key.Region, key.RoleArn).ECS },
		MinPollInterval: opts.minPollInterval,
		Logger:          opts.Logger,
	})
	return a
}

// Close stops the shared task watcher; activities still waiting fail.
func (a *Activities) Close() { a.watcher.Close() }

// logger is the activity logger inside an activity, else the worker's.
func (a *Activities) logger(ctx context.Context) log.Logger {
	if activity.IsActivity(ctx) {
		return activity.GetLogger(ctx)
	}
	return log.NewStructuredLogger(a.opts.Logger)
}

// heartbeat records progress when running as an activity.
func heartbeat(ctx context.Context, details ...any) {
	if activity.IsActivity(ctx) {
		activity.RecordHeartbeat(ctx, details...)
	}
}
