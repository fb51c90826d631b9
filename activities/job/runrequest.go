package job

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	jsonpatch "github.com/evanphx/json-patch/v5"
)

// launchChoice is the launch type the job asks for.
type launchChoice struct {
	launch   string // FARGATE, FARGATE_SPOT, EC2, EXTERNAL, or "" for none
	explicit bool   // given by the job, the defaults or the base request
}

// effectiveLaunch resolves launchType: the configuration's (null meaning
// none), else the base request's, else FARGATE.
func effectiveLaunch(cfg *Config) launchChoice {
	if cfg.LaunchType.Set {
		if !cfg.LaunchType.Valid {
			return launchChoice{explicit: true}
		}
		return launchChoice{launch: cfg.LaunchType.Value, explicit: true}
	}
	if lt, ok := cfg.TaskRunRequest["launchType"].(string); ok && lt != "" {
		return launchChoice{launch: lt, explicit: true}
	}
	return launchChoice{launch: DefaultLaunchType}
}

// prepareRunRequest builds the RunTask request template from the base
// request and the job's fields (which win), following the Prefect ECS
// worker's rules. containerName may be empty when the definition is given
// by ARN (byArn): the orchestrated container's override is then left
// unnamed until Resolve, and the job's executionRoleArn, which cannot shape
// that definition, is sent as overrides.executionRoleArn (as Prefect's
// ECSTask does). It returns the template and warnings.
func prepareRunRequest(cfg *Config, lc launchChoice, containerName string, byArn bool) (map[string]any, []string) {
	var warnings []string
	req := copyMap(cfg.TaskRunRequest)
	if req == nil {
		req = map[string]any{}
	}
	delete(req, "taskDefinition") // taken as the ARN by Prepare
	delete(req, "count")          // one task, checked by validate

	if cfg.Cluster != "" {
		req["cluster"] = cfg.Cluster
	}

	// Launch type and capacity providers.
	strategy := strategyBody(cfg.CapacityProviderStrategy)
	if len(strategy) == 0 {
		strategy = arrayAt(req, "capacityProviderStrategy")
	}
	delete(req, "launchType")
	delete(req, "capacityProviderStrategy")
	switch {
	case len(strategy) > 0:
		req["capacityProviderStrategy"] = strategy
		if lc.explicit && lc.launch != "" {
			warnings = append(warnings, fmt.Sprintf("launchType %s is not sent: capacityProviderStrategy is set, and ECS accepts only one of them", lc.launch))
		}
	case lc.launch == LaunchTypeFargateSpot:
		req["capacityProviderStrategy"] = []any{map[string]any{"capacityProvider": LaunchTypeFargateSpot, "weight": 1}}
	case lc.launch != "":
		req["launchType"] = lc.launch
	}

	// Overrides.
	overrides := objectAt(req, "overrides")
	if overrides == nil {
		overrides = map[string]any{}
	}
	var cos []any
	for _, c := range arrayAt(overrides, "containerOverrides") {
		if m, ok := c.(map[string]any); ok && len(m) > 0 {
			cos = append(cos, m)
		}
	}
	co, cos := orchestratedOverride(cos, containerName)
	if len(cfg.Command) > 0 {
		co["command"] = stringsToAny(cfg.Command)
	}
	if env := mergeEnv(arrayAt(co, "environment"), cfg.Env); len(env) > 0 {
		co["environment"] = env
	} else {
		delete(co, "environment")
	}
	if cfg.CPU != nil {
		co["cpu"] = *cfg.CPU
		overrides["cpu"] = strconv.Itoa(*cfg.CPU)
	}
	if cfg.Memory != nil {
		co["memory"] = *cfg.Memory
		overrides["memory"] = strconv.Itoa(*cfg.Memory)
	}
	if cfg.TaskRoleArn != "" {
		overrides["taskRoleArn"] = cfg.TaskRoleArn
	}
	if byArn && cfg.ExecutionRoleArn != "" {
		overrides["executionRoleArn"] = cfg.ExecutionRoleArn
	}
	// An override of nothing but the name does nothing: drop it.
	kept := cos[:0]
	for _, c := range cos {
		m := c.(map[string]any)
		if _, named := m["name"]; len(m) == 0 || (len(m) == 1 && named) {
			continue
		}
		kept = append(kept, m)
	}
	if len(kept) > 0 {
		overrides["containerOverrides"] = kept
	} else {
		delete(overrides, "containerOverrides")
	}
	if len(overrides) > 0 {
		req["overrides"] = overrides
	} else {
		delete(req, "overrides")
	}

	if tags := mergeTags(arrayAt(req, "tags"), cfg.Labels); len(tags) > 0 {
		req["tags"] = tags
	} else {
		delete(req, "tags")
	}
	return req, warnings
}

// orchestratedOverride finds the orchestrated container's override: by
// name, else the first unnamed override (which gets the name), else a new
// one appended.
func orchestratedOverride(cos []any, name string) (map[string]any, []any) {
	if name != "" {
		for _, c := range cos {
			if m := c.(map[string]any); stringAt(m, "name") == name {
				return m, cos
			}
		}
	}
	for _, c := range cos {
		if m := c.(map[string]any); stringAt(m, "name") == "" {
			if name != "" {
				m["name"] = name
			}
			return m, cos
		}
	}
	m := map[string]any{}
	if name != "" {
		m["name"] = name
	}
	return m, append(cos, m)
}

// mergeEnv returns the override's environment without the job's names,
// followed by the job's non-null variables sorted by name: the job's env
// wins, and null values are never sent.
func mergeEnv(base []any, env map[string]*string) []any {
	var out []any
	for _, e := range base {
		m, ok := e.(map[string]any)
		if !ok || m["value"] == nil {
			continue
		}
		if _, job := env[stringAt(m, "name")]; job {
			continue
		}
		out = append(out, m)
	}
	for _, k := range sortedKeys(env) {
		if v := env[k]; v != nil {
			out = append(out, map[string]any{"name": k, "value": *v})
		}
	}
	return out
}

// mergeTags returns the base request's tags without the labels' keys,
// followed by the non-null labels sorted by key, all slugified to ECS's tag
// character set.
func mergeTags(base []any, labels map[string]*string) []any {
	var out []any
	for _, t := range base {
		m, ok := t.(map[string]any)
		if !ok {
			continue
		}
		if _, label := labels[stringAt(m, "key")]; label {
			continue
		}
		out = append(out, map[string]any{"key": slugTag(stringAt(m, "key"), 128), "value": slugTag(stringAt(m, "value"), 256)})
	}
	for _, k := range sortedKeys(labels) {
		if v := labels[k]; v != nil {
			out = append(out, map[string]any{"key": slugTag(k, 128), "value": slugTag(*v, 256)})
		}
	}
	return out
}

var tagUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_./=+:@-]+`)

// slugTag makes a tag key or value of ECS's tag characters (letters, digits
// and _ . / = + : @ -) as Prefect does: runs of other characters become one
// "-", repeated dashes collapse, dashes at the ends are trimmed; the result
// is cut to max bytes.
func slugTag(s string, max int) string {
	s = tagUnsafe.ReplaceAllString(s, "-")
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	s = strings.Trim(s, "-")
	if len(s) > max {
		s = s[:max]
	}
	return s
}

// BuildRunRequest returns the final RunTask request body (ECS wire casing):
// the prepared template with taskDefinition set to taskDefinitionArn,
// networkConfiguration when network is non-nil, clientToken and startedBy
// when non-empty, the orchestrated container's override named, and then the
// job's taskCustomizations applied last. A patch that fails to apply, or
// whose result is not a RunTask request, is an *Error on taskCustomizations.
func BuildRunRequest(p *Prepared, taskDefinitionArn string, network map[string]any, clientToken, startedBy string) (map[string]any, error) {
	req, err := roundTrip(p.RunRequest) // deep copy, numbers made uniform
	if err != nil {
		return nil, fmt.Errorf("copy run request: %w", err)
	}
	if req == nil {
		req = map[string]any{}
	}
	req["taskDefinition"] = taskDefinitionArn
	if network != nil {
		req["networkConfiguration"] = deepCopy(network)
	}
	if clientToken != "" {
		req["clientToken"] = clientToken
	}
	if startedBy != "" {
		req["startedBy"] = startedBy
	}
	if err := nameOverride(req, p.ContainerName); err != nil {
		return nil, err
	}
	if len(p.TaskCustomizations) == 0 {
		return req, nil
	}
	return applyPatch(req, p.TaskCustomizations)
}

// nameOverride names the unnamed container override after the orchestrated
// container.
func nameOverride(req map[string]any, name string) error {
	for _, c := range arrayAt(objectAt(req, "overrides"), "containerOverrides") {
		m, ok := c.(map[string]any)
		if !ok || stringAt(m, "name") != "" {
			continue
		}
		if name == "" {
			return errors.New("the orchestrated container is unknown: resolve the prepared job against its task definition (Prepared.Resolve) before building the run request")
		}
		m["name"] = name
	}
	return nil
}

// applyPatch applies the operations one by one, so an error names the one
// that failed, and checks the result is still a RunTask request.
func applyPatch(req map[string]any, ops []PatchOperation) (map[string]any, error) {
	doc, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode run request: %w", err)
	}
	opts := jsonpatch.NewApplyOptions()
	opts.SupportNegativeIndices = false
	opts.EscapeHTML = false
	for i, op := range ops {
		field := indexPath("taskCustomizations", i)
		b, err := json.Marshal([]PatchOperation{op})
		if err != nil {
			return nil, errorf(field, "cannot encode the operation: %v", err)
		}
		patch, err := jsonpatch.DecodePatch(b)
		if err != nil {
			return nil, errorf(field, "malformed operation: %v", err)
		}
		if doc, err = patch.ApplyWithOptions(doc, opts); err != nil {
			return nil, errorf(field, "cannot apply %s %s to the RunTask request: %v", op.Op, op.Path, err)
		}
	}
	var out map[string]any
	if err := decodeJSON(doc, &out); err != nil || out == nil {
		return nil, errorf("taskCustomizations", "the patched RunTask request is not a JSON object")
	}
	if e := checkShape("", out, runTaskType); e != nil {
		return nil, errorf("taskCustomizations", "the patched RunTask request is not valid: %s: %s", e.Field, e.Message)
	}
	return out, nil
}
