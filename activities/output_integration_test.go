package activities

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/interceptor"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// These tests attack the end of the output with the endpoint's faults:
// each runs a real task whose awslogs stream is read through the SDK.

// waitToEnd runs the task's waits as the workflow does and returns the
// result: WaitForTaskStart, then WaitForTaskFinish unless the task ran
// between two polls (WaitForTaskStart then drains its output itself).
func waitToEnd(t *testing.T, env *testEnv, a *Activities, in WaitInput) *TaskResult {
	t.Helper()
	var started WaitForStartResult
	require.NoError(t, env.run(&started, a.WaitForTaskStart, in))
	if started.Finished != nil {
		return started.Finished
	}
	var res TaskResult
	require.NoError(t, env.run(&res, a.WaitForTaskFinish, in))
	return &res
}

// streamed returns the lines a test environment's activities streamed.
func streamed(env *testEnv) []string { return env.logs.messagesWith("eventTimestamp") }

func numbered(prefix string, n int) []string {
	var out []string
	for i := 1; i <= n; i++ {
		out = append(out, fmt.Sprintf("%s %d", prefix, i))
	}
	return out
}

func TestLocalDrainReadsTheLastLineDeliveredLate(t *testing.T) {
	const delay = 3 * time.Second
	// The grace period must cover the delivery delay: it is counted from
	// when the wait sees the task STOPPED, after the last line was written.
	l := startLocal(t, ecslocal.Options{}, func(o *Options) { o.LogGrace = delay + time.Second })
	l.srv.Faults().DelayLogDelivery(delay)
	ref, _ := l.start(shellJob(`for i in 1 2 3; do echo "line $i"; done; echo "Error: the last line"; exit 1`, `,"streamOutput":true`), "tok-late")
	env := l.env()

	res := waitToEnd(t, env, l.a, WaitInput{Task: ref, PollIntervalSeconds: 0.05, StartTimeoutSeconds: 30, StreamOutput: true})

	assert.Equal(t, 1, res.ExitCode)
	assert.Equal(t, append(numbered("line", 3), "Error: the last line"), streamed(env))
	require.NotNil(t, res.Output)
	assert.True(t, res.Output.Complete, res.Output.Reason)
	assert.EqualValues(t, 4, res.Output.Lines)
	assert.Empty(t, res.Output.ConsoleURL, "a local endpoint has no console")
}

func TestLocalDrainReadsTheLastLineThroughThrottling(t *testing.T) {
	l := startLocal(t, ecslocal.Options{}, func(o *Options) { o.logPageSize = 5 })
	ref, _ := l.start(shellJob(`for i in $(seq 1 20); do echo "line $i"; done`, `,"streamOutput":true`), "tok-throttled")
	l.waitStopped(ref)
	// Every page of the drain is throttled a few times over.
	l.srv.Faults().Throttle("logs:GetLogEvents", 12)
	env := l.env()

	res := waitToEnd(t, env, l.a, WaitInput{Task: ref, PollIntervalSeconds: 0.05, StartTimeoutSeconds: 30, StreamOutput: true})

	assert.Equal(t, numbered("line", 20), streamed(env))
	require.NotNil(t, res.Output)
	assert.True(t, res.Output.Complete, res.Output.Reason)
	assert.GreaterOrEqual(t, l.srv.Stats()["logs:GetLogEvents"], int64(12+5), "the throttled calls were retried")
	assert.Less(t, l.a.logBudget.Limit(), 10.0, "the worker's budget slowed down")
}

func TestLocalOutputIsIncompleteWhenTheStreamStaysUnreadable(t *testing.T) {
	l := startLocal(t, ecslocal.Options{}, func(o *Options) { o.LogDrainRetry = 200 * time.Millisecond })
	ref, _ := l.start(shellJob(`echo "never read"; exit 2`, `,"streamOutput":true`), "tok-unreadable")
	l.waitStopped(ref)
	l.srv.Faults().ServerErrors("logs:GetLogEvents", 1<<30, 500)
	env := l.env()

	res := waitToEnd(t, env, l.a, WaitInput{Task: ref, PollIntervalSeconds: 0.05, StartTimeoutSeconds: 30, StreamOutput: true})

	assert.Equal(t, 2, res.ExitCode, "the job's outcome does not depend on its logs")
	assert.Empty(t, streamed(env))
	require.NotNil(t, res.Output)
	assert.False(t, res.Output.Complete)
	assert.Contains(t, res.Output.Reason, "kept failing")
	assert.Contains(t, res.Output.Reason, "InternalFailure")
	assert.Equal(t, ref.LogStream, res.Output.LogStream, "the result still says where the output is")
	assert.NotEmpty(t, env.logs.find("may be incomplete"), "the worker's log says so too")
}

// attempts runs WaitForTaskFinish as Temporal runs an activity with a
// heartbeat timeout: the SDK sends the first heartbeat an attempt records
// at once, then at most one every throttle, the latest recorded (as the
// SDK does, with throttle 0.8 × the heartbeat timeout); an attempt of
// which Temporal has received no heartbeat for timeout is abandoned, and
// the next one starts from the details of the last heartbeat received.
type attempts struct {
	t                 *testing.T
	l                 *local
	timeout, throttle time.Duration
	// onBeat sees the details of every heartbeat Temporal receives.
	onBeat func(finishProgress)

	mu       sync.Mutex
	received *finishProgress
	// envs are the attempts' environments, in order.
	envs []*testEnv
}

// run runs attempts until one returns, at most maxAttempts of them.
func (r *attempts) run(in WaitInput, maxAttempts int) *TaskResult {
	r.t.Helper()
	for n := 1; n <= maxAttempts; n++ {
		attempt, abandon := context.WithCancel(context.Background())
		sent := make(chan struct{}, 1)
		hb := &heartbeatModel{throttle: r.throttle, send: func(p finishProgress) {
			r.mu.Lock()
			r.received = &p
			r.mu.Unlock()
			if r.onBeat != nil {
				r.onBeat(p)
			}
			select {
			case sent <- struct{}{}:
			default:
			}
		}}
		env := newTestEnv(r.t, r.l.a)
		env.SetTestTimeout(5 * time.Minute)
		env.SetWorkerOptions(worker.Options{Interceptors: []interceptor.WorkerInterceptor{
			&attemptInterceptor{exec: workflow.Execution{ID: "wf-burst", RunID: "run-1"}, attempt: attempt},
			&heartbeatInterceptor{model: hb},
		}})
		r.mu.Lock()
		if r.received != nil {
			env.SetHeartbeatDetails(*r.received)
		}
		r.envs = append(r.envs, env)
		r.mu.Unlock()
		// The heartbeat timeout, counted from the attempt's start and
		// from each heartbeat received.
		done := make(chan struct{})
		go func() {
			defer abandon()
			for {
				select {
				case <-sent:
				case <-time.After(r.timeout):
					return
				case <-done:
					return
				}
			}
		}()
		var res TaskResult
		err := env.run(&res, r.l.a.WaitForTaskFinish, in)
		close(done)
		hb.stop()
		if err == nil {
			return &res
		}
		r.t.Logf("attempt %d abandoned: %v", n, err)
	}
	r.t.Fatalf("no attempt of %d returned", maxAttempts)
	return nil
}

// heartbeatModel is the SDK's heartbeat throttling: a heartbeat recorded
// when none was sent for throttle is sent at once; one recorded sooner
// waits, and the latest waiting is sent when throttle has passed.
type heartbeatModel struct {
	throttle time.Duration
	send     func(finishProgress)

	mu      sync.Mutex
	window  *time.Timer // set while a throttle window runs
	pending *finishProgress
	stopped bool
}

func (m *heartbeatModel) record(p finishProgress) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopped {
		return
	}
	if m.window != nil {
		m.pending = &p
		return
	}
	m.send(p)
	m.open()
}

// open starts a throttle window; the caller holds m.mu.
func (m *heartbeatModel) open() {
	m.window = time.AfterFunc(m.throttle, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.window = nil
		if m.pending != nil && !m.stopped {
			p := *m.pending
			m.pending = nil
			m.send(p)
			m.open()
		}
	})
}

func (m *heartbeatModel) stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopped = true
	if m.window != nil {
		m.window.Stop()
	}
}

// heartbeatInterceptor hands every heartbeat an activity records to a
// heartbeatModel.
type heartbeatInterceptor struct {
	interceptor.WorkerInterceptorBase
	model *heartbeatModel
}

func (i *heartbeatInterceptor) InterceptActivity(_ context.Context, next interceptor.ActivityInboundInterceptor) interceptor.ActivityInboundInterceptor {
	return &heartbeatInbound{ActivityInboundInterceptorBase: interceptor.ActivityInboundInterceptorBase{Next: next}, model: i.model}
}

type heartbeatInbound struct {
	interceptor.ActivityInboundInterceptorBase
	model *heartbeatModel
}

func (in *heartbeatInbound) Init(outbound interceptor.ActivityOutboundInterceptor) error {
	return in.Next.Init(&heartbeatOutbound{ActivityOutboundInterceptorBase: interceptor.ActivityOutboundInterceptorBase{Next: outbound}, model: in.model})
}

type heartbeatOutbound struct {
	interceptor.ActivityOutboundInterceptorBase
	model *heartbeatModel
}

func (out *heartbeatOutbound) RecordHeartbeat(ctx context.Context, details ...any) {
	if len(details) == 1 {
		if p, ok := details[0].(finishProgress); ok {
			out.model.record(p)
		}
	}
	out.Next.RecordHeartbeat(ctx, details...)
}

func TestLocalBurstThroughSlowPagesMakesProgressAndReadsEveryLine(t *testing.T) {
	const lines = 50000
	// Pages of 1,000 events, each answered 100ms late: 50 pages take 5s,
	// more than twice the heartbeat timeout below. A wait that heartbeats
	// only between polls (one poll reading up to 100 pages) would be
	// abandoned before its first heartbeat, attempt after attempt.
	l := startLocal(t, ecslocal.Options{}, func(o *Options) { o.logPageSize = 1000 })
	gate := filepath.Join(t.TempDir(), "gate")
	script := fmt.Sprintf(`seq 1 %d; while [ ! -f %s ]; do sleep 0.05; done; echo last`, lines, gate)
	ref, _ := l.start(shellJob(script, `,"streamOutput":true`), "tok-burst")
	in := WaitInput{Task: ref, PollIntervalSeconds: 0.05, StartTimeoutSeconds: 30, StreamOutput: true}
	var started WaitForStartResult
	require.NoError(t, l.env().run(&started, l.a.WaitForTaskStart, in))
	require.Nil(t, started.Finished)
	waitForLines(t, l, ref, lines) // the burst is in the stream
	l.srv.Faults().SlowCalls("logs:GetLogEvents", 100*time.Millisecond)

	// Once every line of the burst is read (the heartbeated cursor says
	// so), the task ends.
	var once sync.Once
	r := &attempts{t: t, l: l, timeout: 2 * time.Second, throttle: 1600 * time.Millisecond,
		onBeat: func(p finishProgress) {
			if p.LogCursor != nil && p.LogCursor.Events >= lines {
				once.Do(func() { assert.NoError(t, os.WriteFile(gate, nil, 0o600)) })
			}
		}}
	res := r.run(in, 20)

	assert.Equal(t, 0, res.ExitCode)
	require.NotNil(t, res.Output)
	assert.True(t, res.Output.Complete, res.Output.Reason)
	assert.EqualValues(t, lines+1, res.Output.Lines)
	// Every line at least once, in order; a repeat (after an abandoned
	// attempt) has the position of the line it repeats.
	type pos struct {
		ts    int64
		index int64
	}
	seen := map[pos]string{}
	var order []string
	for _, env := range r.envs {
		for _, rec := range env.logs.all() {
			if _, ok := rec.Attrs["taskId"]; !ok {
				continue
			}
			p := pos{rec.Attrs["eventTimestamp"].(int64), rec.Attrs["eventIndex"].(int64)}
			if prev, ok := seen[p]; ok {
				require.Equal(t, prev, rec.Msg, "a repeat has the position of the line it repeats")
				continue
			}
			seen[p] = rec.Msg
			order = append(order, strings.TrimSpace(rec.Msg))
		}
	}
	want := make([]string, 0, lines+1)
	for i := 1; i <= lines; i++ {
		want = append(want, strconv.Itoa(i))
	}
	want = append(want, "last")
	require.Equal(t, len(want), len(order), "every line, once each by position")
	assert.Equal(t, want, order)
	t.Logf("%d attempts", len(r.envs))
}
