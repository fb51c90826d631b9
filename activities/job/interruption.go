package job

import (
	"slices"
	"strings"
)

// maxRetryOnInterruption bounds retryOnInterruption.
const maxRetryOnInterruption = 10

// Stop codes of a task the infrastructure interrupted: retryOnInterruption
// runs such a task again.
var interruptionStopCodes = []string{"SpotInterruption", "TerminationNotice", "InfrastructureHealth"}

// Interrupted reports whether a task that stopped with stopCode was
// interrupted by the infrastructure, rather than by its containers, a user
// or a scheduler.
func Interrupted(stopCode string) bool { return slices.Contains(interruptionStopCodes, stopCode) }

func validateInterruption(cfg *Config) error {
	if cfg.RetryOnInterruption < 0 || cfg.RetryOnInterruption > maxRetryOnInterruption {
		return errorf("retryOnInterruption", "must be between 0 and %d, got %d", maxRetryOnInterruption, cfg.RetryOnInterruption)
	}
	f := cfg.InterruptionFallback
	if f == nil {
		return nil
	}
	switch {
	case cfg.RetryOnInterruption == 0:
		return errorf("interruptionFallback", "is used only by the retries of an interrupted task: set retryOnInterruption")
	case (f.LaunchType == "") == (len(f.CapacityProviderStrategy) == 0):
		return errorf("interruptionFallback", "needs exactly one of launchType and capacityProviderStrategy")
	case f.LaunchType != "" && !slices.Contains(launchTypes, f.LaunchType):
		return errorf("interruptionFallback.launchType", "must be one of %s; got %q", strings.Join(launchTypes, ", "), f.LaunchType)
	}
	for i, cp := range f.CapacityProviderStrategy {
		p := indexPath("interruptionFallback.capacityProviderStrategy", i)
		switch {
		case cp.CapacityProvider == "":
			return errorf(p+".capacityProvider", "is required")
		case cp.Weight < 0 || cp.Weight > 1000:
			return errorf(p+".weight", "must be between 0 and 1000, got %d", cp.Weight)
		case cp.Base < 0 || cp.Base > 100000:
			return errorf(p+".base", "must be between 0 and 100000, got %d", cp.Base)
		}
	}
	return nil
}

// OnFallback returns the job with its run request on the fallback
// capacity (the job itself when it has no fallback): the launch type and
// capacity provider strategy replaced, FARGATE_SPOT becoming the strategy
// [{FARGATE_SPOT, 1}] as for the job's own launchType.
func (p *Prepared) OnFallback() (*Prepared, error) {
	if p.Fallback == nil {
		return p, nil
	}
	out, err := p.clone()
	if err != nil {
		return nil, err
	}
	delete(out.RunRequest, "launchType")
	delete(out.RunRequest, "capacityProviderStrategy")
	switch f := p.Fallback; {
	case len(f.CapacityProviderStrategy) > 0:
		out.RunRequest["capacityProviderStrategy"] = strategyBody(f.CapacityProviderStrategy)
	case f.LaunchType == LaunchTypeFargateSpot:
		out.RunRequest["capacityProviderStrategy"] = []any{map[string]any{"capacityProvider": LaunchTypeFargateSpot, "weight": 1}}
	default:
		out.RunRequest["launchType"] = f.LaunchType
	}
	return out, nil
}

// strategyBody is a capacity provider strategy in ECS's wire casing.
func strategyBody(cps []CapacityProvider) []any {
	var out []any
	for _, cp := range cps {
		item := map[string]any{"capacityProvider": cp.CapacityProvider, "weight": cp.Weight}
		if cp.Base != 0 {
			item["base"] = cp.Base
		}
		out = append(out, item)
	}
	return out
}

// essentialContainers names the essential containers of a definition in
// ECS's wire casing (essential unset means essential).
func essentialContainers(def map[string]any) []string {
	var out []string
	for _, c := range arrayAt(def, "containerDefinitions") {
		m, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if e, set := m["essential"].(bool); !set || e {
			out = append(out, stringAt(m, "name"))
		}
	}
	return out
}
