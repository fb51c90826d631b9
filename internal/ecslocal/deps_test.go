package ecslocal

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
)

func TestDependencyVerdict(t *testing.T) {
	on := func(cond types.ContainerCondition) []containerSpec {
		return []containerSpec{
			{name: "app", dependsOn: []types.ContainerDependency{{ContainerName: aws.String("dep"), Condition: cond}}},
			{name: "dep"},
		}
	}
	dep := func(state ctrState, code int, health types.HealthStatus) []ctrRun {
		return []ctrRun{{state: ctrWaiting}, {state: state, exit: exitResult{code: code}, health: health}}
	}
	now := time.Now()
	for _, tc := range []struct {
		name    string
		cond    types.ContainerCondition
		dep     []ctrRun
		ready   bool
		blocked string
	}{
		{"START waits", types.ContainerConditionStart, dep(ctrWaiting, 0, ""), false, ""},
		{"START running", types.ContainerConditionStart, dep(ctrRunning, 0, ""), true, ""},
		{"START exited", types.ContainerConditionStart, dep(ctrExited, 1, ""), true, ""},
		{"START never started", types.ContainerConditionStart, dep(ctrNeverStarted, 0, ""), false, "never started"},
		{"COMPLETE running", types.ContainerConditionComplete, dep(ctrRunning, 0, ""), false, ""},
		{"COMPLETE exited 1", types.ContainerConditionComplete, dep(ctrExited, 1, ""), true, ""},
		{"SUCCESS exited 0", types.ContainerConditionSuccess, dep(ctrExited, 0, ""), true, ""},
		{"SUCCESS exited 1", types.ContainerConditionSuccess, dep(ctrExited, 1, ""), false, "exited with code 1"},
		{"HEALTHY unknown", types.ContainerConditionHealthy, dep(ctrRunning, 0, types.HealthStatusUnknown), false, ""},
		{"HEALTHY healthy", types.ContainerConditionHealthy, dep(ctrRunning, 0, types.HealthStatusHealthy), true, ""},
		{"HEALTHY unhealthy", types.ContainerConditionHealthy, dep(ctrRunning, 0, types.HealthStatusUnhealthy), false, "is UNHEALTHY"},
		{"HEALTHY exited first", types.ContainerConditionHealthy, dep(ctrExited, 0, types.HealthStatusUnknown), false, "exited with code 0 before it was HEALTHY"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ready, blocked := dependencyVerdict(on(tc.cond), tc.dep, 0, now)
			assert.Equal(t, tc.ready, ready)
			if tc.blocked == "" {
				assert.Empty(t, blocked)
			} else {
				assert.Contains(t, blocked, tc.blocked)
				assert.Contains(t, blocked, "CannotStartContainerError: dependency condition "+string(tc.cond))
			}
		})
	}

	specs := on(types.ContainerConditionComplete)
	specs[0].startTimeout = time.Second
	runs := dep(ctrRunning, 0, "")
	runs[0].deadline = now
	_, blocked := dependencyVerdict(specs, runs, 0, now)
	assert.Contains(t, blocked, "within its startTimeout of 1s", "the deadline passed")
	_, blocked = dependencyVerdict(specs, runs, 0, now.Add(-time.Millisecond))
	assert.Empty(t, blocked, "before the deadline")
}
