package activities

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// logRecord is one captured log line.
type logRecord struct {
	Level slog.Level
	Msg   string
	Attrs map[string]any
}

// logCapture is a slog handler that keeps every record.
type logCapture struct {
	mu      *sync.Mutex // shared with the handlers WithAttrs derives
	records *[]logRecord
	attrs   []slog.Attr
}

func newLogCapture() *logCapture { return &logCapture{mu: &sync.Mutex{}, records: &[]logRecord{}} }

func (h *logCapture) Enabled(context.Context, slog.Level) bool { return true }

func (h *logCapture) Handle(_ context.Context, r slog.Record) error {
	rec := logRecord{Level: r.Level, Msg: r.Message, Attrs: map[string]any{}}
	for _, a := range h.attrs {
		rec.Attrs[a.Key] = a.Value.Any()
	}
	r.Attrs(func(a slog.Attr) bool {
		rec.Attrs[a.Key] = a.Value.Any()
		return true
	})
	h.mu.Lock()
	*h.records = append(*h.records, rec)
	h.mu.Unlock()
	return nil
}

func (h *logCapture) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &logCapture{mu: h.mu, records: h.records, attrs: append(append([]slog.Attr{}, h.attrs...), attrs...)}
}

func (h *logCapture) WithGroup(string) slog.Handler { return h }

// all returns the records so far.
func (h *logCapture) all() []logRecord {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]logRecord(nil), *h.records...)
}

// find returns the records whose message contains s.
func (h *logCapture) find(s string) []logRecord {
	var out []logRecord
	for _, r := range h.all() {
		if strings.Contains(r.Msg, s) {
			out = append(out, r)
		}
	}
	return out
}

// messages returns the messages of the records having attribute key.
func (h *logCapture) messagesWith(key string) []string {
	var out []string
	for _, r := range h.all() {
		if _, ok := r.Attrs[key]; ok {
			out = append(out, r.Msg)
		}
	}
	return out
}

// testEnv runs activities of a as Temporal would, capturing their logs.
type testEnv struct {
	*testsuite.TestActivityEnvironment
	logs *logCapture
}

func newTestEnv(t testing.TB, a *Activities) *testEnv {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	logs := newLogCapture()
	s.SetLogger(log.NewStructuredLogger(slog.New(logs)))
	env := s.NewTestActivityEnvironment()
	env.RegisterActivityWithOptions(a, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	return &testEnv{TestActivityEnvironment: env, logs: logs}
}

// run executes an activity and decodes its result into out.
func (e *testEnv) run(out any, fn any, args ...any) error {
	v, err := e.ExecuteActivity(fn, args...)
	if err != nil {
		return err
	}
	if out != nil {
		return v.Get(out)
	}
	return nil
}

// attemptsOf makes the activities e runs attempts of workflow run exec
// (every test environment otherwise shares the SDK's default run), each
// abandoned, as a timed-out attempt is, when attempt is done.
func (e *testEnv) attemptsOf(exec workflow.Execution, attempt context.Context) *testEnv {
	e.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{
		&attemptInterceptor{exec: exec, attempt: attempt},
	}})
	return e
}

// attemptInterceptor sets the workflow run of the activities it sees, and
// cancels them when attempt is done.
type attemptInterceptor struct {
	interceptor.WorkerInterceptorBase
	exec    workflow.Execution
	attempt context.Context
}

func (i *attemptInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &attemptInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, i: i}
}

type attemptInbound struct {
	interceptor.ActivityInboundInterceptorBase
	i *attemptInterceptor
}

func (in *attemptInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return in.Next.Init(&attemptOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, exec: in.i.exec})
}

func (in *attemptInbound) ExecuteActivity(ctx context.Context, input *interceptor.ExecuteActivityInput) (any, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(in.i.attempt, cancel)()
	return in.Next.ExecuteActivity(ctx, input)
}

type attemptOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	exec workflow.Execution
}

func (out *attemptOutbound) GetInfo(ctx context.Context) activity.Info {
	info := out.Next.GetInfo(ctx)
	info.WorkflowExecution = out.exec
	return info
}

// requireAppError asserts err is an application error of type typ and
// returns it.
func requireAppError(t testing.TB, err error, typ string, nonRetryable bool) *temporal.ApplicationError {
	t.Helper()
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.True(t, errors.As(err, &appErr), "not an application error: %v", err)
	require.Equal(t, typ, appErr.Type(), "error: %v", err)
	require.Equal(t, nonRetryable, appErr.NonRetryable(), "non-retryable of %v", err)
	return appErr
}

// heartbeats keeps the details of the last heartbeat an activity sent.
type heartbeats[T any] struct {
	mu   sync.Mutex
	last T
}

// recordHeartbeats decodes the details of every heartbeat env's activity
// sends into a T, failing t when they do not decode, and keeps the last.
func recordHeartbeats[T any](t testing.TB, env *testEnv) *heartbeats[T] {
	h := &heartbeats[T]{}
	env.SetOnActivityHeartbeatListener(func(_ *activity.Info, d converter.EncodedValues) {
		h.mu.Lock()
		defer h.mu.Unlock()
		assert.NoError(t, d.Get(&h.last))
	})
	return h
}

// lastDetails returns the details of the last heartbeat recorded.
func (h *heartbeats[T]) lastDetails() T {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}
