package activities

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"go.temporal.io/sdk/client"
)

// The product's metrics, emitted through Options.MetricsHandler. A metrics
// handler that follows the Prometheus naming conventions (the worker's
// does) appends _total to the counters' names. The "Metrics" section of
// docs/design.md documents each.
const (
	// metricTasksStarted counts the tasks RunTask started (not those it
	// adopted).
	metricTasksStarted = "temporal_ecs_tasks_started"
	// metricTasksRunning is the number of tasks the worker's wait
	// activities are waiting on.
	metricTasksRunning = "temporal_ecs_tasks_running"
	// metricTasksStopped counts the tasks a wait saw STOPPED, by stop code.
	metricTasksStopped = "temporal_ecs_tasks_stopped"
	// metricRunTaskFailures counts the RunTask calls that started no task,
	// by reason.
	metricRunTaskFailures = "temporal_ecs_runtask_failures"
	// metricAWSCalls counts the AWS API requests sent, by service,
	// operation and error code.
	metricAWSCalls = "temporal_ecs_aws_calls"
	// metricLogLines counts the container log lines streamed to the log.
	metricLogLines = "temporal_ecs_log_lines_streamed"
	// metricTasksReaped counts the orphaned tasks the reaper stopped.
	metricTasksReaped = "temporal_ecs_orphaned_tasks_reaped"
)

// Tags of the product's metrics.
const (
	tagStopCode  = "stop_code"
	tagReason    = "reason"
	tagService   = "service"
	tagOperation = "operation"
	tagErrorCode = "error_code"
)

const (
	// noError is the error_code of a successful AWS call.
	noError = "none"
	// unknownTag is a tag's value when the fact is not known.
	unknownTag = "unknown"
	// maxReasonTag bounds a reason tag, ECS's failure reasons being free
	// text at times.
	maxReasonTag = 64
	// stoppedMemory is how many stopped tasks a worker remembers, so that
	// a task seen STOPPED by two waits (a retried attempt, the bounded
	// wait after StopTask) is counted once.
	stoppedMemory = 4096
)

// productMetrics emits the product's metrics. Every metric goes through
// the one worker-level handler with the same tag keys wherever it is
// emitted (an activity, the watcher, the reaper): a Prometheus metric must
// keep one set of label names, which the activity handler's extra tags
// (activity type, task queue) would break.
type productMetrics struct {
	handler client.MetricsHandler

	mu sync.Mutex
	// waiting counts the waits in flight per task ARN.
	waiting map[string]int
	// stopped are the task ARNs counted stopped lately.
	stopped recentSet
}

func newProductMetrics(h client.MetricsHandler) *productMetrics {
	if h == nil {
		h = client.MetricsNopHandler
	}
	return &productMetrics{handler: h, waiting: map[string]int{}, stopped: newRecentSet(stoppedMemory)}
}

// taskStarted counts a task RunTask started.
func (m *productMetrics) taskStarted() { m.handler.Counter(metricTasksStarted).Inc(1) }

// waitBegan records a wait on the task taskArn; the returned func, called
// once when the wait ends, releases it. The running gauge is the number of
// tasks with a wait in flight.
func (m *productMetrics) waitBegan(taskArn string) (end func()) {
	m.mu.Lock()
	m.waiting[taskArn]++
	m.updateRunning()
	m.mu.Unlock()
	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			if m.waiting[taskArn]--; m.waiting[taskArn] <= 0 {
				delete(m.waiting, taskArn)
			}
			m.updateRunning()
		})
	}
}

// updateRunning sets the running gauge; m.mu is held, so that the updates
// reach the handler in order.
func (m *productMetrics) updateRunning() {
	m.handler.Gauge(metricTasksRunning).Update(float64(len(m.waiting)))
}

// taskStopped counts a task seen STOPPED, once per task however many
// waits see it.
func (m *productMetrics) taskStopped(task *types.Task) {
	arn := aws.ToString(task.TaskArn)
	m.mu.Lock()
	first := arn == "" || m.stopped.add(arn)
	m.mu.Unlock()
	if !first {
		return
	}
	code := string(task.StopCode)
	if code == "" {
		code = unknownTag
	}
	m.handler.WithTags(map[string]string{tagStopCode: code}).Counter(metricTasksStopped).Inc(1)
}

// runTaskFailed counts a RunTask that started no task, err being what
// the call failed with (before runTaskError classifies it).
func (m *productMetrics) runTaskFailed(err error) {
	m.handler.WithTags(map[string]string{tagReason: runTaskFailureReason(err)}).Counter(metricRunTaskFailures).Inc(1)
}

// linesStreamed counts container log lines written to the log.
func (m *productMetrics) linesStreamed(n int) {
	if n > 0 {
		m.handler.Counter(metricLogLines).Inc(int64(n))
	}
}

// taskReaped counts an orphaned task the reaper stopped.
func (m *productMetrics) taskReaped() { m.handler.Counter(metricTasksReaped).Inc(1) }

// runTaskFailureReason is the reason tag of a failed RunTask: ECS's
// failure reason (RESOURCE:MEMORY, AGENT, ...) when it started no task,
// else the AWS error code, else "unknown".
func runTaskFailureReason(err error) string {
	var failure *runFailure
	reason := ""
	switch {
	case errors.As(err, &failure):
		reason = aws.ToString(failure.failure.Reason)
	case errors.Is(err, errNoTask):
		reason = "NoTask"
	default:
		reason = apiCode(err)
	}
	if reason == "" {
		return unknownTag
	}
	return truncateTag(reason)
}

// truncateTag cuts a tag value to maxReasonTag bytes, on a rune boundary.
func truncateTag(s string) string {
	if len(s) <= maxReasonTag {
		return s
	}
	s = s[:maxReasonTag]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// withAWSMetrics returns cfg whose clients count their API requests on m
// (metricAWSCalls). cfg's APIOptions are copied, not shared.
func withAWSMetrics(cfg aws.Config, m *productMetrics) aws.Config {
	cfg.APIOptions = append(append([]func(*middleware.Stack) error(nil), cfg.APIOptions...), m.addAWSMiddleware)
	return cfg
}

// awsMetricsID names the middleware in the stack.
const awsMetricsID = "TemporalECSMetrics"

// addAWSMiddleware adds to a client's stack the middleware counting each
// request sent: in the finalize step right inside the retry loop, so that
// every attempt is counted with its own outcome (a throttled attempt as
// ThrottlingException), signing and credential failures included.
func (m *productMetrics) addAWSMiddleware(stack *middleware.Stack) error {
	mw := middleware.FinalizeMiddlewareFunc(awsMetricsID, func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
		out, md, err := next.HandleFinalize(ctx, in)
		m.handler.WithTags(map[string]string{
			tagService:   orUnknown(middleware.GetServiceID(ctx)),
			tagOperation: orUnknown(middleware.GetOperationName(ctx)),
			tagErrorCode: awsErrorCode(err),
		}).Counter(metricAWSCalls).Inc(1)
		return out, md, err
	})
	if err := stack.Finalize.Insert(mw, "Retry", middleware.After); err == nil {
		return nil
	}
	return stack.Finalize.Add(mw, middleware.After)
}

// awsErrorCode is the error_code tag of an AWS request's outcome: "none"
// on success, the API error code (ThrottlingException,
// ClusterNotFoundException, ...), Canceled or DeadlineExceeded when the
// caller gave up, HTTP<status> for a response without an error code, and
// RequestError when no response came (connection, credentials).
func awsErrorCode(err error) string {
	if err == nil {
		return noError
	}
	if code := apiCode(err); code != "" {
		return code
	}
	var resp *smithyhttp.ResponseError
	switch {
	case errors.Is(err, context.Canceled):
		return "Canceled"
	case errors.Is(err, context.DeadlineExceeded):
		return "DeadlineExceeded"
	case errors.As(err, &resp) && resp.HTTPStatusCode() != 0:
		return "HTTP" + strconv.Itoa(resp.HTTPStatusCode())
	}
	return "RequestError"
}

func orUnknown(s string) string {
	if s == "" {
		return unknownTag
	}
	return s
}

// recentSet remembers the last n keys added.
type recentSet struct {
	seen map[string]struct{}
	ring []string
	next int
}

func newRecentSet(n int) recentSet {
	return recentSet{seen: make(map[string]struct{}, n), ring: make([]string, n)}
}

// add adds k and reports whether it was new; the oldest key is forgotten
// when the set is full.
func (r *recentSet) add(k string) bool {
	if _, ok := r.seen[k]; ok {
		return false
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.seen, old)
	}
	r.ring[r.next] = k
	r.next = (r.next + 1) % len(r.ring)
	r.seen[k] = struct{}{}
	return true
}

// sawStopped records that the wait saw its task STOPPED: the task counts
// as stopped (once), and no longer as running.
func (p *taskPolls) sawStopped(task *types.Task) {
	p.endWait()
	p.a.metrics.taskStopped(task)
}
