package ecslocal

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// healthCheck is a container's healthCheck with ECS's defaults applied.
type healthCheck struct {
	// test is the command as ECS and Docker take it: "CMD", args... or
	// "CMD-SHELL", command.
	test                           []string
	interval, timeout, startPeriod time.Duration
	retries                        int
}

// ECS's health check defaults.
const (
	defaultHealthInterval = 30 * time.Second
	defaultHealthTimeout  = 5 * time.Second
	defaultHealthRetries  = 3
)

// newHealthCheck applies ECS's defaults to a definition's healthCheck; nil
// when there is none.
func newHealthCheck(hc *types.HealthCheck) *healthCheck {
	if hc == nil || len(hc.Command) == 0 || hc.Command[0] == "NONE" {
		return nil
	}
	h := &healthCheck{
		test:     hc.Command,
		interval: defaultHealthInterval,
		timeout:  defaultHealthTimeout,
		retries:  defaultHealthRetries,
	}
	if hc.Interval != nil {
		h.interval = time.Duration(*hc.Interval) * time.Second
	}
	if hc.Timeout != nil {
		h.timeout = time.Duration(*hc.Timeout) * time.Second
	}
	if hc.Retries != nil {
		h.retries = int(*hc.Retries)
	}
	if hc.StartPeriod != nil {
		h.startPeriod = time.Duration(*hc.StartPeriod) * time.Second
	}
	return h
}

// args is the probe's command line for a host process: "CMD-SHELL" runs
// through sh -c, as Docker does.
func (h *healthCheck) args() []string {
	if h.test[0] == "CMD-SHELL" {
		return []string{"sh", "-c", strings.Join(h.test[1:], " ")}
	}
	return h.test[1:]
}

// monitorHealth runs probe as Docker runs a HEALTHCHECK, until ctx ends:
// the first probe one interval after the start, then one each interval;
// each bounded by the timeout. A success makes the container HEALTHY; a
// failure counts once the start period is over, and retries failures in a
// row make it UNHEALTHY. report gets UNKNOWN at once, then every change.
func monitorHealth(ctx context.Context, h *healthCheck, probe func(context.Context) error, report func(types.HealthStatus)) {
	started := time.Now()
	status := types.HealthStatusUnknown
	report(status)
	failures := 0
	ticker := time.NewTicker(h.interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		pctx, cancel := context.WithTimeout(ctx, h.timeout)
		err := probe(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		next := status
		switch {
		case err == nil:
			failures = 0
			next = types.HealthStatusHealthy
		case time.Since(started) < h.startPeriod:
			// Failures in the start period do not count.
		default:
			failures++
			if failures >= h.retries {
				next = types.HealthStatusUnhealthy
			}
		}
		if next != status {
			status = next
			report(status)
		}
	}
}

// taskHealth is the task's healthStatus as ECS derives it from its
// essential containers that have a health check: UNHEALTHY if one is,
// else UNKNOWN if one is, else HEALTHY; UNKNOWN when none has a check.
func taskHealth(specs []containerSpec, runs []ctrRun) types.HealthStatus {
	checked, unknown := false, false
	for i := range specs {
		if !specs[i].essential || specs[i].healthCheck == nil {
			continue
		}
		checked = true
		switch runs[i].health {
		case types.HealthStatusUnhealthy:
			return types.HealthStatusUnhealthy
		case types.HealthStatusHealthy:
		default:
			unknown = true
		}
	}
	if !checked || unknown {
		return types.HealthStatusUnknown
	}
	return types.HealthStatusHealthy
}
