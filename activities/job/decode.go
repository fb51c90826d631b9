package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/kballard/go-shellquote"
)

var errTrailingData = errors.New("unexpected data after the JSON value")

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

// keyedMergeFields are the object fields that the defaults merge merges key
// by key (the job's keys win); every other field is replaced as a whole.
var keyedMergeFields = map[string]bool{"env": true, "labels": true, "cloudwatchLogsOptions": true}

// parsedJob is a job parsed, checked and merged onto the worker's defaults.
type parsedJob struct {
	cfg Config
	// jobSet names the top-level fields the job itself set (not the
	// defaults), for the warnings about ignored fields.
	jobSet map[string]bool
	// merged is the merged configuration as decoded JSON.
	merged map[string]any
}

// parseJob parses the job and the defaults strictly and merges them.
func parseJob(raw, defaults []byte) (*parsedJob, error) {
	job, err := parseObject(raw)
	if err != nil {
		return nil, err
	}
	if err := dropSchemaKey(job); err != nil {
		return nil, err
	}
	if err := normalizeAndCheck(job); err != nil {
		return nil, err
	}
	def := map[string]any{}
	if len(bytes.TrimSpace(defaults)) > 0 {
		if def, err = parseObject(defaults); err != nil {
			return nil, fromDefaults(err)
		}
		if err := dropSchemaKey(def); err != nil {
			return nil, fromDefaults(err)
		}
		if err := normalizeAndCheck(def); err != nil {
			return nil, fromDefaults(err)
		}
	}
	merged := mergeConfig(def, job)
	var cfg Config
	b, err := json.Marshal(merged)
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, errorf(te.Field, "must be a %s", te.Type)
		}
		return nil, &Error{Message: err.Error()}
	}
	// Keep the base bodies with exact numbers (json.Number).
	cfg.TaskDefinition = objectAt(merged, "taskDefinition")
	cfg.TaskRunRequest = objectAt(merged, "taskRunRequest")
	set := make(map[string]bool, len(job))
	for k := range job {
		set[k] = true
	}
	return &parsedJob{cfg: cfg, jobSet: set, merged: merged}, nil
}

// parseObject decodes raw as a JSON object (numbers as json.Number).
func parseObject(raw []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	var v any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, &Error{Message: "not valid JSON: " + err.Error()}
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	}
	return nil, &Error{Message: "must be a JSON object"}
}

// fromDefaults marks an error as found in the worker's job defaults.
func fromDefaults(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return &Error{Field: e.Field, Message: e.Message + " (in the worker's job defaults)"}
	}
	return err
}

// mergeConfig merges job onto defaults: the job's fields win; env, labels
// and cloudwatchLogsOptions merge key by key (a job key set to null removes
// the default's: for env and labels the null is kept, meaning unset); every
// other field, objects included, is replaced as a whole. A job field set to
// null replaces the default's with null.
func mergeConfig(defaults, job map[string]any) map[string]any {
	out := copyMap(defaults)
	for k, v := range job {
		d, dok := out[k].(map[string]any)
		j, jok := v.(map[string]any)
		if keyedMergeFields[k] && dok && jok {
			for jk, jv := range j {
				d[jk] = deepCopy(jv)
			}
			continue
		}
		out[k] = deepCopy(v)
	}
	if opts, ok := out["cloudwatchLogsOptions"].(map[string]any); ok {
		for k, v := range opts {
			if v == nil {
				delete(opts, k)
			}
		}
	}
	return out
}

var (
	configType   = reflect.TypeFor[Config]()
	registerType = reflect.TypeFor[ecs.RegisterTaskDefinitionInput]()
	runTaskType  = reflect.TypeFor[ecs.RunTaskInput]()
)

// normalizeAndCheck applies the conveniences Prefect's templates allow in
// the base bodies, then checks the shape of the whole configuration.
func normalizeAndCheck(obj map[string]any) error {
	for _, k := range []string{"env", "labels", "cloudwatchLogsOptions"} {
		if m, ok := obj[k].(map[string]any); ok {
			scalarsToStrings(m)
		}
	}
	if td, ok := obj["taskDefinition"].(map[string]any); ok {
		numbersToStrings(td, "cpu", "memory")
	}
	if err := patchFromString(obj); err != nil {
		return err
	}
	if rr, ok := obj["taskRunRequest"].(map[string]any); ok {
		if err := checkOverrideSecrets(rr); err != nil {
			return err
		}
		if err := normalizeRunRequest(rr, "taskRunRequest"); err != nil {
			return err
		}
	}
	if err := checkShape("", obj, configType); err != nil {
		return err
	}
	if td, ok := obj["taskDefinition"]; ok && td != nil {
		if err := checkShape("taskDefinition", td, registerType); err != nil {
			return err
		}
	}
	if rr, ok := obj["taskRunRequest"]; ok && rr != nil {
		if m, ok := rr.(map[string]any); ok && m["launchType"] == LaunchTypeFargateSpot {
			// Not an ECS launch type: the job's launchType accepts it and
			// prepareRunRequest turns it into a capacity provider strategy.
			m = maps.Clone(m)
			delete(m, "launchType")
			rr = m
		}
		if err := checkShape("taskRunRequest", rr, runTaskType); err != nil {
			return err
		}
	}
	return nil
}

// patchFromString accepts taskCustomizations given as a string holding the
// JSON array of operations (as Prefect's ECSTask casts it), replacing it
// with the array.
func patchFromString(obj map[string]any) error {
	text, ok := obj["taskCustomizations"].(string)
	if !ok {
		return nil
	}
	var ops any
	if err := decodeJSON([]byte(text), &ops); err != nil {
		return errorf("taskCustomizations", "a string must hold the JSON array of JSON Patch operations: %v", err)
	}
	if _, ok := ops.([]any); !ok && ops != nil {
		return errorf("taskCustomizations", "a string must hold the JSON array of JSON Patch operations, not %s", jsonKind(ops))
	}
	obj["taskCustomizations"] = ops
	return nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case map[string]any:
		return "an object"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case json.Number, float64:
		return "a number"
	}
	return "null"
}

// scalarsToStrings turns the numbers and booleans among m's values into
// their JSON text, so {"PORT": 8080} means {"PORT": "8080"}.
func scalarsToStrings(m map[string]any) {
	for k, v := range m {
		switch v.(type) {
		case json.Number, bool:
			b, _ := json.Marshal(v)
			m[k] = string(b)
		}
	}
}

// numbersToStrings turns the numbers at m's keys into their decimal text
// (ECS's task-level cpu and memory are strings).
func numbersToStrings(m map[string]any, keys ...string) {
	for _, k := range keys {
		if n, ok := asInt(m[k]); ok {
			m[k] = fmt.Sprint(n)
		}
	}
}

// normalizeRunRequest accepts, in a base RunTask request, a container
// override's command as a shell string and its environment as an object
// (null values dropped), tags as an object, and task-level override cpu and
// memory as numbers, and rewrites them into ECS's shapes.
func normalizeRunRequest(rr map[string]any, path string) error {
	if tags, ok := rr["tags"].(map[string]any); ok {
		rr["tags"] = pairs(tags, "key", "value")
	}
	overrides, ok := rr["overrides"].(map[string]any)
	if !ok {
		return nil
	}
	numbersToStrings(overrides, "cpu", "memory")
	for i, item := range arrayAt(overrides, "containerOverrides") {
		co, ok := item.(map[string]any)
		if !ok {
			continue
		}
		p := indexPath(path+".overrides.containerOverrides", i)
		if s, ok := co["command"].(string); ok {
			words, err := shellquote.Split(s)
			if err != nil {
				return errorf(p+".command", "cannot split the command like a shell: %v", err)
			}
			co["command"] = stringsToAny(words)
		}
		if env, ok := co["environment"].(map[string]any); ok {
			co["environment"] = pairs(env, "name", "value")
		}
		if env, ok := co["environment"].([]any); ok {
			kept := env[:0:0]
			for _, e := range env {
				if em, ok := e.(map[string]any); ok && em["value"] == nil {
					continue
				}
				kept = append(kept, e)
			}
			co["environment"] = kept
		}
	}
	return nil
}

// pairs turns an object into a list of {keyName: k, valueName: v} sorted by
// key, dropping null values.
func pairs(obj map[string]any, keyName, valueName string) []any {
	out := make([]any, 0, len(obj))
	for _, k := range sortedKeys(obj) {
		if obj[k] == nil {
			continue
		}
		out = append(out, map[string]any{keyName: k, valueName: obj[k]})
	}
	return out
}

func stringsToAny(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}
