package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
)

// metricsRecorder is a client.MetricsHandler that keeps what it is sent,
// each metric keyed by its name and its tags (name{k=v,...}, sorted).
type metricsRecorder struct {
	mu       sync.Mutex
	counters map[string]int64
	gauges   map[string][]float64 // every value, in order
}

func newMetricsRecorder() *metricsRecorder {
	return &metricsRecorder{counters: map[string]int64{}, gauges: map[string][]float64{}}
}

func (r *metricsRecorder) handler() client.MetricsHandler { return recordingHandler{r: r} }

func (r *metricsRecorder) counter(key string) int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.counters[key]
}

func (r *metricsRecorder) gauge(key string) []float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.gauges[key])
}

// countersNamed returns the counters of one name, by key.
func (r *metricsRecorder) countersNamed(name string) map[string]int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int64{}
	for k, v := range r.counters {
		if k == name || strings.HasPrefix(k, name+"{") {
			out[k] = v
		}
	}
	return out
}

type recordingHandler struct {
	r    *metricsRecorder
	tags map[string]string
}

func (h recordingHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return recordingHandler{r: h.r, tags: merged}
}

func (h recordingHandler) key(name string) string {
	if len(h.tags) == 0 {
		return name
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(h.tags)) {
		parts = append(parts, k+"="+h.tags[k])
	}
	return name + "{" + strings.Join(parts, ",") + "}"
}

func (h recordingHandler) Counter(name string) client.MetricsCounter {
	return recordedCounter{h.r, h.key(name)}
}

func (h recordingHandler) Gauge(name string) client.MetricsGauge {
	return recordedGauge{h.r, h.key(name)}
}

func (h recordingHandler) Timer(string) client.MetricsTimer {
	return client.MetricsNopHandler.Timer("")
}

type recordedCounter struct {
	r   *metricsRecorder
	key string
}

func (c recordedCounter) Inc(n int64) {
	c.r.mu.Lock()
	defer c.r.mu.Unlock()
	c.r.counters[c.key] += n
}

type recordedGauge struct {
	r   *metricsRecorder
	key string
}

func (g recordedGauge) Update(v float64) {
	g.r.mu.Lock()
	defer g.r.mu.Unlock()
	g.r.gauges[g.key] = append(g.r.gauges[g.key], v)
}

// withMetrics sends the Activities' metrics to rec.
func withMetrics(rec *metricsRecorder) func(*Options) {
	return func(o *Options) {
		o.MetricsHandler = rec.handler()
		o.LogGrace = time.Millisecond
	}
}

func TestMetricsOfATaskRunToItsEnd(t *testing.T) {
	w := newFakeWorld()
	rec := newMetricsRecorder()
	a := newTestActivities(t, w, withMetrics(rec))
	env := newTestEnv(t, a)

	var ref TaskRef
	require.NoError(t, env.run(&ref, a.RunTask, runJob(t, w, `{"image":"busybox","command":"echo hi","streamOutput":true,"executionRoleArn":"arn:aws:iam::123456789012:role/exec"}`)))
	require.NotEmpty(t, ref.LogStream, "the job streams its output")
	assert.EqualValues(t, 1, rec.counter(metricTasksStarted))

	w.logs.write(ref.LogGroup, ref.LogStream, 1000, "one", "two", "three", "four", "five")
	w.ecs.update(ref.TaskArn, func(t *types.Task) { t.LastStatus = aws.String("RUNNING") })
	afterLogReads(t, w.logs, 1, func() {
		w.ecs.stop(ref.TaskArn, types.TaskStopCodeEssentialContainerExited, "Essential container in task exited", map[string]int32{"main": 0})
	})
	var res TaskResult
	require.NoError(t, env.run(&res, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll, StreamOutput: true, WorkflowID: "wf-1"}))

	assert.EqualValues(t, 1, rec.counter(metricTasksStopped+"{stop_code=EssentialContainerExited}"))
	assert.EqualValues(t, 5, rec.counter(metricLogLines))
	running := rec.gauge(metricTasksRunning)
	require.NotEmpty(t, running)
	assert.Contains(t, running, 1.0, "the task counted running while waited on")
	assert.Equal(t, 0.0, running[len(running)-1], "and no longer once its wait ended")

	// A second wait on the stopped task (as after StopTask) counts no
	// second stop.
	require.NoError(t, env.run(&res, a.WaitForTaskFinish, WaitInput{Task: ref, PollIntervalSeconds: fastPoll}))
	assert.EqualValues(t, 1, rec.counter(metricTasksStopped+"{stop_code=EssentialContainerExited}"))
	assert.Empty(t, rec.countersNamed(metricRunTaskFailures))
}

func TestMetricsCountAStartFailureByItsStopCode(t *testing.T) {
	w := newFakeWorld()
	rec := newMetricsRecorder()
	a := newTestActivities(t, w, withMetrics(rec))
	arn := w.ecs.addTask("PENDING")
	w.ecs.stop(arn, types.TaskStopCodeTaskFailedToStart, "CannotPullContainerError", nil)

	err := newTestEnv(t, a).run(nil, a.WaitForTaskStart, WaitInput{Task: testRef(arn), PollIntervalSeconds: fastPoll, StartTimeoutSeconds: 60})
	requireAppError(t, err, string(types.TaskStopCodeTaskFailedToStart), true)

	assert.Equal(t, map[string]int64{metricTasksStopped + "{stop_code=TaskFailedToStart}": 1}, rec.countersNamed(metricTasksStopped))
	assert.Equal(t, []float64{1, 0}, rec.gauge(metricTasksRunning))
}

func TestMetricsCountRunTaskFailuresByReason(t *testing.T) {
	w := newFakeWorld()
	w.ecs.runFailures = []types.Failure{{Reason: aws.String("RESOURCE:MEMORY"), Arn: aws.String("arn:x")}}
	rec := newMetricsRecorder()
	a := newTestActivities(t, w, withMetrics(rec))
	env := newTestEnv(t, a)
	require.Error(t, env.run(nil, a.RunTask, runJob(t, w, `{"image":"busybox"}`)))

	w.ecs.runErrs = []error{&types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}}
	require.Error(t, env.run(nil, a.RunTask, runJob(t, w, `{"image":"busybox"}`)))

	assert.Equal(t, map[string]int64{
		metricRunTaskFailures + "{reason=RESOURCE:MEMORY}":          1,
		metricRunTaskFailures + "{reason=ClusterNotFoundException}": 1,
	}, rec.countersNamed(metricRunTaskFailures))
	assert.Zero(t, rec.counter(metricTasksStarted))
}

func TestRunTaskFailureReason(t *testing.T) {
	long := strings.Repeat("é", 40) // 80 bytes
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&runFailure{failure: types.Failure{Reason: aws.String("AGENT")}}, "AGENT"},
		{&runFailure{failure: types.Failure{}}, "unknown"},
		{&runFailure{failure: types.Failure{Reason: aws.String(long)}}, strings.Repeat("é", 32)},
		{sdkError("ECS", "RunTask", &types.AccessDeniedException{Message: aws.String("no")}), "AccessDeniedException"},
		{errNoTask, "NoTask"},
		{errors.New("connection reset"), "unknown"},
	} {
		assert.Equal(t, tc.want, runTaskFailureReason(tc.err), "%v", tc.err)
	}
}

func TestMetricsCountReapedTasks(t *testing.T) {
	rec := newMetricsRecorder()
	w := newReapWorld(t, withMetrics(rec))
	o := owner("wf-done")
	w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
	addOwned(w.ecs(), o)
	require.Equal(t, 1, w.sweep())
	assert.EqualValues(t, 1, rec.counter(metricTasksReaped))
}

// fakeHTTP answers each request with the next response of a script; an
// entry with a nil response fails the request with err.
type fakeHTTP struct {
	mu     sync.Mutex
	script []fakeResponse
}

type fakeResponse struct {
	status int
	body   string
	err    error
}

func (f *fakeHTTP) Do(req *http.Request) (*http.Response, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := pop(&f.script)
	if !ok {
		return nil, errors.New("fakeHTTP: no response left")
	}
	if r.err != nil {
		return nil, r.err
	}
	return &http.Response{
		StatusCode: r.status, Header: http.Header{"Content-Type": {"application/x-amz-json-1.1"}},
		Body: io.NopCloser(bytes.NewBufferString(r.body)), Request: req,
	}, nil
}

func TestAWSCallsAreCountedByOperationAndErrorCode(t *testing.T) {
	rec := newMetricsRecorder()
	m := newProductMetrics(rec.handler())
	httpc := &fakeHTTP{script: []fakeResponse{
		{status: 200, body: `{"tasks":[],"failures":[]}`},
		{status: 400, body: `{"__type":"ThrottlingException","message":"Rate exceeded"}`},
		{status: 200, body: `{"tasks":[],"failures":[]}`},
		{status: 400, body: `{"__type":"ClusterNotFoundException","message":"Cluster not found."}`},
		{err: errors.New("connection refused")},
	}}
	cfg := withAWSMetrics(aws.Config{
		Region:      testRegion,
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:  httpc,
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxAttempts = 2
				o.RateLimiter = ratelimit.None
				o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			})
		},
	}, m)
	api := ecs.NewFromConfig(cfg)
	ctx := context.Background()
	in := &ecs.DescribeTasksInput{Tasks: []string{"arn:aws:ecs:us-east-1:123456789012:task/jobs/1"}}

	_, err := api.DescribeTasks(ctx, in)
	require.NoError(t, err)
	_, err = api.DescribeTasks(ctx, in) // throttled, then retried
	require.NoError(t, err)
	_, err = api.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String("t")}, func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	require.Error(t, err)
	_, err = api.StopTask(ctx, &ecs.StopTaskInput{Task: aws.String("t")}, func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	require.Error(t, err)

	assert.Equal(t, map[string]int64{
		metricAWSCalls + "{error_code=none,operation=DescribeTasks,service=ECS}":                2,
		metricAWSCalls + "{error_code=ThrottlingException,operation=DescribeTasks,service=ECS}": 1,
		metricAWSCalls + "{error_code=ClusterNotFoundException,operation=StopTask,service=ECS}": 1,
		metricAWSCalls + "{error_code=RequestError,operation=StopTask,service=ECS}":             1,
	}, rec.countersNamed(metricAWSCalls))
}

func TestAWSErrorCode(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.Equal(t, "none", awsErrorCode(nil))
	assert.Equal(t, "Canceled", awsErrorCode(ctx.Err()))
	assert.Equal(t, "DeadlineExceeded", awsErrorCode(context.DeadlineExceeded))
	assert.Equal(t, "AccessDeniedException", awsErrorCode(sdkError("ECS", "RunTask", &types.AccessDeniedException{})))
	assert.Equal(t, "RequestError", awsErrorCode(errors.New("dial tcp: connection refused")))
}

func TestRecentSetForgetsTheOldestKey(t *testing.T) {
	s := newRecentSet(2)
	assert.True(t, s.add("a"))
	assert.True(t, s.add("b"))
	assert.False(t, s.add("a"))
	assert.True(t, s.add("c")) // forgets a
	assert.False(t, s.add("b"))
	assert.True(t, s.add("a"))
}

func TestMetricsWithoutAHandlerEmitNothing(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	require.NotNil(t, a.metrics)
	a.metrics.taskStarted()
	end := a.metrics.waitBegan("arn")
	end()
	end() // a second call is a no-op
	assert.Empty(t, a.metrics.waiting)
}

// TestTheREADMEAndTheDashboardShowEveryProductMetric keeps the "Metrics"
// table of docs/design.md and docs/grafana-dashboard.json in step with the
// metrics emitted, by the names the worker's endpoint serves them under.
func TestTheREADMEAndTheDashboardShowEveryProductMetric(t *testing.T) {
	readme, err := os.ReadFile("../docs/design.md")
	require.NoError(t, err)
	dashboard, err := os.ReadFile("../docs/grafana-dashboard.json")
	require.NoError(t, err)
	var parsed map[string]any
	require.NoError(t, json.Unmarshal(dashboard, &parsed), "the dashboard is JSON")

	served := map[string]string{
		metricTasksStarted:    metricTasksStarted + "_total",
		metricTasksRunning:    metricTasksRunning,
		metricTasksStopped:    metricTasksStopped + "_total",
		metricRunTaskFailures: metricRunTaskFailures + "_total",
		metricAWSCalls:        metricAWSCalls + "_total",
		metricLogLines:        metricLogLines + "_total",
		metricTasksReaped:     metricTasksReaped + "_total",
	}
	for _, name := range served {
		assert.Contains(t, string(readme), "| `"+name+"` |", "the table of docs/design.md lists %s", name)
		assert.Contains(t, string(dashboard), name, "the dashboard charts %s", name)
	}
}
