package ecslocal

import (
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// dependencyVerdict says whether container i may start now: ready when
// every dependsOn condition holds; blocked (non-empty, the reason ECS
// reports for the container) when one can no longer hold or its
// startTimeout ran out; neither while it has to wait.
func dependencyVerdict(specs []containerSpec, runs []ctrRun, i int, now time.Time) (ready bool, blocked string) {
	sp := &specs[i]
	ready = true
	for _, dep := range sp.dependsOn {
		name := str(dep.ContainerName)
		j := slices.IndexFunc(specs, func(c containerSpec) bool { return c.name == name })
		if j < 0 {
			return false, dependencyReason(sp.name, dep, "is not a container of the task")
		}
		met, never := conditionState(dep.Condition, runs[j])
		if never != "" {
			return false, dependencyReason(sp.name, dep, never)
		}
		ready = ready && met
	}
	if !ready && !runs[i].deadline.IsZero() && !now.Before(runs[i].deadline) {
		return false, fmt.Sprintf("%sdependencies of container %q were not resolved within its startTimeout of %s",
			cannotStartPrefix, sp.name, sp.startTimeout)
	}
	return ready, ""
}

// conditionState tells whether a dependsOn condition on a container in
// state r holds now (met), or why it never will (never).
func conditionState(cond types.ContainerCondition, r ctrRun) (met bool, never string) {
	if r.state == ctrNeverStarted {
		return false, "never started"
	}
	switch cond {
	case types.ContainerConditionStart:
		return r.state == ctrRunning || r.state == ctrExited, ""
	case types.ContainerConditionComplete:
		return r.state == ctrExited, ""
	case types.ContainerConditionSuccess:
		if r.state == ctrExited && r.exit.code != 0 {
			return false, fmt.Sprintf("exited with code %d", r.exit.code)
		}
		return r.state == ctrExited, ""
	case types.ContainerConditionHealthy:
		switch {
		case r.health == types.HealthStatusHealthy && r.state == ctrRunning:
			return true, ""
		case r.health == types.HealthStatusUnhealthy:
			return false, "is UNHEALTHY"
		case r.state == ctrExited:
			return false, fmt.Sprintf("exited with code %d before it was HEALTHY", r.exit.code)
		}
		return false, ""
	}
	return false, fmt.Sprintf("has the unknown condition %q", cond)
}

func dependencyReason(name string, dep types.ContainerDependency, why string) string {
	return fmt.Sprintf("%sdependency condition %s of container %q on container %q cannot be met: %q %s",
		cannotStartPrefix, dep.Condition, name, str(dep.ContainerName), str(dep.ContainerName), why)
}
