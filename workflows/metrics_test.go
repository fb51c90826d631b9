package workflows

import (
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// timerRecorder is a client.MetricsHandler that keeps the durations its
// timers record, by timer name; counters and gauges go nowhere.
type timerRecorder struct {
	mu     sync.Mutex
	timers map[string][]time.Duration
}

func (r *timerRecorder) WithTags(map[string]string) client.MetricsHandler { return r }
func (r *timerRecorder) Counter(name string) client.MetricsCounter {
	return client.MetricsNopHandler.Counter(name)
}
func (r *timerRecorder) Gauge(name string) client.MetricsGauge {
	return client.MetricsNopHandler.Gauge(name)
}
func (r *timerRecorder) Timer(name string) client.MetricsTimer { return recordedTimer{r, name} }

func (r *timerRecorder) recorded(name string) []time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]time.Duration(nil), r.timers[name]...)
}

type recordedTimer struct {
	r    *timerRecorder
	name string
}

func (t recordedTimer) Record(d time.Duration) {
	t.r.mu.Lock()
	defer t.r.mu.Unlock()
	if t.r.timers == nil {
		t.r.timers = map[string][]time.Duration{}
	}
	t.r.timers[t.name] = append(t.r.timers[t.name], d)
}

// newMetricsEnv is newEnv with the workflow's metrics sent to rec.
func newMetricsEnv(t *testing.T, f *fakes, rec *timerRecorder) *testsuite.TestWorkflowEnvironment {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))))
	s.SetMetricsHandler(rec)
	env := s.NewTestWorkflowEnvironment()
	Register(env, &activities.Activities{})
	f.install(env)
	return env
}

func TestTheStoppedToCloseLatencyIsRecordedWhenTheWorkflowCloses(t *testing.T) {
	f := newFakes()
	rec := &timerRecorder{}
	env := newMetricsEnv(t, f, rec)
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	env.SetStartTime(start)
	stoppedAt := start.Add(-7 * time.Second)
	f.finished.StoppedAt = &stoppedAt
	execute(t, env)

	require.NoError(t, env.GetWorkflowError())
	got := rec.recorded(metricStoppedToClose)
	require.Len(t, got, 1, "one sample, as the workflow closes")
	assert.Equal(t, env.Now().Sub(stoppedAt), got[0], "from STOPPED to the workflow's last moment")
	assert.GreaterOrEqual(t, got[0], 7*time.Second)
}

func TestTheStoppedToCloseLatencyIsNotRecordedWithoutAClose(t *testing.T) {
	stoppedAt := time.Now()
	// Each returns before it reads the workflow's context (nil here).
	assert.NotPanics(t, func() {
		(&run{retrying: true}).recordStoppedToClose(&activities.TaskResult{StoppedAt: &stoppedAt})
		(&run{}).recordStoppedToClose(&activities.TaskResult{})
		(&run{}).recordStoppedToClose(nil)
	})
}

func TestTheREADMEAndTheDashboardShowTheStoppedToCloseLatency(t *testing.T) {
	served := metricStoppedToClose + "_seconds"
	readme, err := os.ReadFile("../docs/design.md")
	require.NoError(t, err)
	assert.Contains(t, string(readme), "| `"+served+"` |")
	dashboard, err := os.ReadFile("../docs/grafana-dashboard.json")
	require.NoError(t, err)
	assert.Contains(t, string(dashboard), served+"_bucket")
}
