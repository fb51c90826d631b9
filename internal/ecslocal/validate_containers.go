package ecslocal

import (
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// ECS's health check bounds, in seconds.
const (
	minHealthInterval, maxHealthInterval = 5, 300
	minHealthTimeout, maxHealthTimeout   = 2, 60
	minHealthRetries, maxHealthRetries   = 1, 10
	maxHealthStartPeriod                 = 300
)

// validateContainerOrder checks the containers' healthCheck and dependsOn
// as ECS does: a known command form and bounds for the health check; each
// dependency on another container of the definition, with a known
// condition, HEALTHY only on a container with a health check, COMPLETE and
// SUCCESS only on a container that is not essential, and no cycle.
func validateContainerOrder(containers []types.ContainerDefinition) error {
	index := map[string]int{}
	for i, c := range containers {
		index[str(c.Name)] = i
	}
	for _, c := range containers {
		name := str(c.Name)
		if err := validateHealthCheck(name, c.HealthCheck); err != nil {
			return err
		}
		for _, dep := range c.DependsOn {
			target := str(dep.ContainerName)
			j, ok := index[target]
			switch {
			case !ok:
				return clientException("Invalid setting for container '%s': dependsOn names container '%s', which is not in the task definition.", name, target)
			case target == name:
				return clientException("Invalid setting for container '%s': a container cannot depend on itself.", name)
			case !slices.Contains(types.ContainerCondition("").Values(), dep.Condition):
				return clientException("Invalid setting for container '%s': dependsOn condition %q is not one of START, COMPLETE, SUCCESS, HEALTHY.", name, dep.Condition)
			case dep.Condition == types.ContainerConditionHealthy && newHealthCheck(containers[j].HealthCheck) == nil:
				return clientException("Invalid setting for container '%s': dependsOn condition HEALTHY needs a healthCheck on container '%s'.", name, target)
			case (dep.Condition == types.ContainerConditionComplete || dep.Condition == types.ContainerConditionSuccess) &&
				(containers[j].Essential == nil || *containers[j].Essential):
				return clientException("Invalid setting for container '%s': dependsOn condition %s cannot be set on the essential container '%s'; make it \"essential\": false.", name, dep.Condition, target)
			}
		}
	}
	if cycle := dependencyCycle(containers, index); cycle != "" {
		return clientException("Invalid setting for containers: dependsOn has a cycle, reached from container '%s'.", cycle)
	}
	return nil
}

func validateHealthCheck(name string, hc *types.HealthCheck) error {
	if hc == nil {
		return nil
	}
	if len(hc.Command) == 0 || !slices.Contains([]string{"CMD", "CMD-SHELL", "NONE"}, hc.Command[0]) ||
		(hc.Command[0] != "NONE" && len(hc.Command) < 2) {
		return clientException("Invalid setting for container '%s': healthCheck.command must be [\"CMD\", args...] or [\"CMD-SHELL\", command].", name)
	}
	bounds := []struct {
		field    string
		v        *int32
		min, max int32
	}{
		{"interval", hc.Interval, minHealthInterval, maxHealthInterval},
		{"timeout", hc.Timeout, minHealthTimeout, maxHealthTimeout},
		{"retries", hc.Retries, minHealthRetries, maxHealthRetries},
		{"startPeriod", hc.StartPeriod, 0, maxHealthStartPeriod},
	}
	for _, b := range bounds {
		if b.v != nil && (*b.v < b.min || *b.v > b.max) {
			return clientException("Invalid setting for container '%s': healthCheck.%s must be between %d and %d; got %d.", name, b.field, b.min, b.max, *b.v)
		}
	}
	return nil
}

// dependencyCycle returns the name of a container from which a dependsOn
// cycle is reached, or "" when there is none.
func dependencyCycle(containers []types.ContainerDefinition, index map[string]int) string {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make([]int, len(containers))
	var visit func(i int) bool
	visit = func(i int) bool {
		state[i] = visiting
		for _, dep := range containers[i].DependsOn {
			j := index[str(dep.ContainerName)]
			if state[j] == visiting || (state[j] == unvisited && visit(j)) {
				return true
			}
		}
		state[i] = done
		return false
	}
	for i := range containers {
		if state[i] == unvisited && visit(i) {
			return str(containers[i].Name)
		}
	}
	return ""
}
