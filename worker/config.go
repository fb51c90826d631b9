package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/temporalclient"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// config is the worker's settings, from flags and environment variables.
type config struct {
	taskQueue        string
	temporal         temporalclient.Flags
	jobDefaultsFile  string
	logLevel         slog.Level
	logFormat        string
	maxActivities    int
	maxWaits         int
	registerAttempts int
	registerDelay    time.Duration
	stopTimeout      time.Duration
	localECS         localECSFlag
	localECSRuntime  string

	// reapInterval is the longest time between two sweeps of the orphan
	// reaper (0: no reaper); reapClusters are swept besides the clusters
	// the worker launched tasks in and the job defaults' cluster.
	reapInterval time.Duration
	reapClusters clusterList

	// metricsAddr is where the Prometheus endpoint listens; empty: none.
	metricsAddr string
}

const usageHeader = `Usage: worker [flags]

Runs the temporal-ecs worker: polls a Temporal task queue for RunECSTask
workflows and runs their ECS tasks.

Temporal connection: the SDK's environment configuration (TEMPORAL_ADDRESS,
TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_*, TEMPORAL_PROFILE,
TEMPORAL_CONFIG_FILE). AWS: the default credential chain (AWS_REGION,
AWS_PROFILE, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...).

Flags:
`

// parseConfig parses args, falling back to the environment for each flag
// the command line does not set. It returns flag.ErrHelp for -h/--help.
func parseConfig(args []string, lookup func(string) (string, bool), out io.Writer) (*config, error) {
	c := &config{logLevel: slog.LevelInfo}
	var env cliflags.Env
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are returned, help is printed below
	fs.Usage = func() {}
	fs.StringVar(&c.taskQueue, "task-queue", workflows.TaskQueue,
		env.Bind("task-queue", "TEMPORAL_ECS_TASK_QUEUE", "Temporal task queue to poll"))
	c.temporal.Register(fs, &env)
	fs.StringVar(&c.jobDefaultsFile, "job-defaults", "",
		env.Bind("job-defaults", "TEMPORAL_ECS_JOB_DEFAULTS", "JSON `file` of job configuration defaults merged under every job"))
	fs.TextVar(&c.logLevel, "log-level", slog.LevelInfo,
		env.Bind("log-level", "TEMPORAL_ECS_LOG_LEVEL", "log `level`: debug, info, warn or error"))
	fs.StringVar(&c.logFormat, "log-format", "text",
		env.Bind("log-format", "TEMPORAL_ECS_LOG_FORMAT", "log `format`: json or text"))
	fs.IntVar(&c.maxActivities, "max-concurrent-activities", 0,
		env.Bind("max-concurrent-activities", "TEMPORAL_ECS_MAX_CONCURRENT_ACTIVITIES", "control activities (prepare, register, RunTask, StopTask, deregister) run at once; 0 means the SDK's default"))
	fs.IntVar(&c.maxWaits, "max-concurrent-waits", workflows.DefaultMaxConcurrentWaits,
		env.Bind("max-concurrent-waits", "TEMPORAL_ECS_MAX_CONCURRENT_WAITS", "wait activities (one per running task) run at once, on the wait task queue"))
	fs.IntVar(&c.registerAttempts, "register-attempts", 3,
		env.Bind("register-attempts", "TEMPORAL_ECS_REGISTER_ATTEMPTS", "RegisterTaskDefinition attempts on concurrent-revision conflicts"))
	fs.DurationVar(&c.registerDelay, "register-delay", time.Second,
		env.Bind("register-delay", "TEMPORAL_ECS_REGISTER_DELAY", "first backoff between RegisterTaskDefinition attempts, doubled with jitter"))
	fs.DurationVar(&c.stopTimeout, "stop-timeout", 10*time.Second,
		env.Bind("stop-timeout", "TEMPORAL_ECS_STOP_TIMEOUT", "on SIGINT/SIGTERM, how long running activities get to finish"))
	fs.Var(&c.localECS, "local-ecs",
		env.Bind("local-ecs", "TEMPORAL_ECS_LOCAL_ECS", "run a local ECS, EC2 and CloudWatch Logs endpoint in-process (task containers run by --local-ecs-runtime) and send the AWS calls to it; --local-ecs=ADDR listens on ADDR instead of "+defaultLocalECSAddr))
	fs.StringVar(&c.localECSRuntime, "local-ecs-runtime", ecslocal.RuntimeProcess,
		env.Bind("local-ecs-runtime", "TEMPORAL_ECS_LOCAL_ECS_RUNTIME", "what runs the task containers of --local-ecs: "+ecslocal.RuntimeProcess+" (host processes, the image ignored) or "+ecslocal.RuntimeDocker+" (the task's images, on the Docker engine DOCKER_HOST names)"))
	fs.DurationVar(&c.reapInterval, "reap-interval", activities.DefaultReapInterval,
		env.Bind("reap-interval", "TEMPORAL_ECS_REAP_INTERVAL", "longest time between two sweeps of the orphan reaper, which stops the tasks of workflows that ended without stopping them (timeouts, terminate); 0 turns it off"))
	fs.Var(&c.reapClusters, "reap-cluster",
		env.Bind("reap-cluster", "TEMPORAL_ECS_REAP_CLUSTERS", "`cluster` the reaper sweeps besides those the worker launched tasks in and the job defaults' one: a name (in the worker's region) or a cluster ARN; repeatable, comma-separated"))

	fs.StringVar(&c.metricsAddr, "metrics-addr", "",
		env.Bind("metrics-addr", "TEMPORAL_ECS_METRICS_ADDR", "`host:port` to serve Prometheus metrics on, at /metrics: the Temporal SDK's and temporal_ecs_* (see the README); empty serves none"))

	if err := env.Parse(fs, args, lookup); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(out, usageHeader)
			fs.SetOutput(out)
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, cliflags.UsageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if err := c.validate(); err != nil {
		return nil, cliflags.UsageError{Err: err}
	}
	return c, nil
}

func (c *config) validate() error {
	switch {
	case c.logFormat != "json" && c.logFormat != "text":
		return fmt.Errorf("--log-format: want json or text, got %q", c.logFormat)
	case c.taskQueue == "":
		return errors.New("--task-queue: must not be empty")
	case c.reapInterval < 0:
		return errors.New("--reap-interval: must not be negative (0 turns the reaper off)")
	case c.maxActivities < 0:
		return errors.New("--max-concurrent-activities: must not be negative")
	case c.maxWaits < 1:
		return errors.New("--max-concurrent-waits: must be at least 1")
	case c.registerAttempts < 1:
		return errors.New("--register-attempts: must be at least 1")
	case c.localECSRuntime != ecslocal.RuntimeProcess && c.localECSRuntime != ecslocal.RuntimeDocker:
		return fmt.Errorf("--local-ecs-runtime: want %s or %s, got %q", ecslocal.RuntimeProcess, ecslocal.RuntimeDocker, c.localECSRuntime)
	case c.registerDelay < 0, c.stopTimeout < 0:
		return errors.New("delays and timeouts must not be negative")
	}
	if c.metricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.metricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: want host:port (127.0.0.1:9090, :9090): %w", err)
		}
	}
	return nil
}

// jobDefaults reads the job defaults file, if one is configured.
func (c *config) jobDefaults() (json.RawMessage, error) {
	if c.jobDefaultsFile == "" {
		return nil, nil
	}
	b, err := os.ReadFile(c.jobDefaultsFile)
	if err != nil {
		return nil, fmt.Errorf("--job-defaults: %w", err)
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("--job-defaults: %s is not valid JSON", c.jobDefaultsFile)
	}
	return b, nil
}

// reaperOptions configures the orphan reaper of a worker whose Temporal
// client is tc: the reaper describes workflows of the client's namespace.
func (c *config) reaperOptions(tc activities.WorkflowDescriber) (activities.ReaperOptions, error) {
	opts, err := c.temporal.ClientOptions()
	if err != nil {
		return activities.ReaperOptions{}, fmt.Errorf("reaper: %w", err)
	}
	return activities.ReaperOptions{Temporal: tc, Namespace: opts.Namespace, Interval: c.reapInterval, Clusters: c.reapClusters}, nil
}

// clusterList is a repeatable flag of ECS cluster names and ARNs, each
// value a comma-separated list.
type clusterList []string

// validClusterName is what ECS accepts as a cluster name.
var validClusterName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

func (l *clusterList) String() string { return strings.Join(*l, ",") }

func (l *clusterList) Set(v string) error {
	for c := range strings.SplitSeq(v, ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.HasPrefix(c, "arn:") {
			if !validClusterName.MatchString(c) {
				return fmt.Errorf("%q is no cluster name (letters, digits, - and _) or cluster ARN", c)
			}
		} else if a, err := arn.Parse(c); err != nil || a.Service != "ecs" || a.Region == "" || !strings.HasPrefix(a.Resource, "cluster/") {
			return fmt.Errorf("%q is no cluster ARN: want arn:aws:ecs:REGION:ACCOUNT:cluster/NAME", c)
		}
		*l = append(*l, c)
	}
	return nil
}
