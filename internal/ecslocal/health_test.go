package ecslocal

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
)

// healthRun runs monitorHealth with probes answering results in turn and
// returns the statuses reported until the results ran out.
func healthRun(h *healthCheck, results ...error) []types.HealthStatus {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var reported []types.HealthStatus
	n := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		monitorHealth(ctx, h, func(context.Context) error {
			if n == len(results) {
				cancel()
				return errors.New("no more results")
			}
			n++
			return results[n-1]
		}, func(s types.HealthStatus) { reported = append(reported, s) })
	}()
	<-done
	return reported
}

func TestMonitorHealthAsDocker(t *testing.T) {
	fail := errors.New("exit status 1")
	fast := func(retries int, startPeriod time.Duration) *healthCheck {
		return &healthCheck{test: []string{"CMD", "true"}, interval: time.Millisecond, timeout: time.Second, retries: retries, startPeriod: startPeriod}
	}
	assert.Equal(t, []types.HealthStatus{"UNKNOWN", "HEALTHY"}, healthRun(fast(3, 0), nil, nil))
	assert.Equal(t, []types.HealthStatus{"UNKNOWN", "UNHEALTHY"}, healthRun(fast(2, 0), fail, fail), "retries failures in a row")
	assert.Equal(t, []types.HealthStatus{"UNKNOWN", "HEALTHY"}, healthRun(fast(2, 0), fail, nil, fail), "a success resets the count")
	assert.Equal(t, []types.HealthStatus{"UNKNOWN", "HEALTHY", "UNHEALTHY", "HEALTHY"}, healthRun(fast(1, 0), nil, fail, nil))
	assert.Equal(t, []types.HealthStatus{"UNKNOWN"}, healthRun(fast(1, time.Hour), fail, fail, fail), "failures in the start period do not count")
	assert.Equal(t, []types.HealthStatus{"UNKNOWN", "HEALTHY"}, healthRun(fast(1, time.Hour), fail, nil), "a success in the start period counts")
}

func TestHealthCheckArgs(t *testing.T) {
	assert.Equal(t, []string{"sh", "-c", "curl -f localhost || exit 1"}, newHealthCheck(&types.HealthCheck{Command: []string{"CMD-SHELL", "curl -f localhost || exit 1"}}).args())
	assert.Equal(t, []string{"true", "x"}, newHealthCheck(&types.HealthCheck{Command: []string{"CMD", "true", "x"}}).args())
	assert.Nil(t, newHealthCheck(&types.HealthCheck{Command: []string{"NONE"}}))
	h := newHealthCheck(&types.HealthCheck{Command: []string{"CMD", "true"}})
	assert.Equal(t, []time.Duration{30 * time.Second, 5 * time.Second, 0}, []time.Duration{h.interval, h.timeout, h.startPeriod}, "ECS's defaults")
	assert.Equal(t, 3, h.retries)
}

func TestTaskHealth(t *testing.T) {
	check := &healthCheck{}
	specs := []containerSpec{{essential: true, healthCheck: check}, {essential: true, healthCheck: check}, {essential: false, healthCheck: check}, {essential: true}}
	runs := func(hs ...types.HealthStatus) []ctrRun {
		r := make([]ctrRun, len(hs))
		for i, h := range hs {
			r[i].health = h
		}
		return r
	}
	assert.Equal(t, types.HealthStatusHealthy, taskHealth(specs, runs("HEALTHY", "HEALTHY", "UNHEALTHY", "")), "only essential containers with a check count")
	assert.Equal(t, types.HealthStatusUnknown, taskHealth(specs, runs("HEALTHY", "UNKNOWN", "HEALTHY", "")))
	assert.Equal(t, types.HealthStatusUnhealthy, taskHealth(specs, runs("UNKNOWN", "UNHEALTHY", "HEALTHY", "")))
	assert.Equal(t, types.HealthStatusUnknown, taskHealth(specs[3:], runs("")), "no container with a check")
}
