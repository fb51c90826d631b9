package job_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// guardJob is a job with a container override and two tags (env, team),
// patched by ops (a JSON array).
func guardJob(ops string) string {
	return `{"image":"x","cluster":"jobs","command":"echo hi","labels":{"env":"prod","team":"data"},"taskCustomizations":` + ops + `}`
}

// TestReservedFieldsAreRefusedAtPrepare pins the guards: no job field may
// set or remove count (but to 1), clientToken, startedBy, cluster (through a
// patch) or a temporal-ecs: tag; Prepare refuses it naming the field or the
// operation and its pointer.
func TestReservedFieldsAreRefusedAtPrepare(t *testing.T) {
	tests := []struct {
		name, job, field, message string
	}{
		// taskCustomizations: count.
		{"replace count", guardJob(`[{"op":"replace","path":"/count","value":3}]`), "taskCustomizations[0]", "/count: a job runs exactly one task"},
		{"add count 2", guardJob(`[{"op":"add","path":"/count","value":2}]`), "taskCustomizations[0]", "set /count to 1"},
		{"count as a string", guardJob(`[{"op":"add","path":"/count","value":"1"}]`), "taskCustomizations[0]", "/count:"},
		{"remove count", guardJob(`[{"op":"remove","path":"/count"}]`), "taskCustomizations[0]", "/count: a job runs exactly one task"},
		{"count in another case", guardJob(`[{"op":"add","path":"/Count","value":1}]`), "taskCustomizations[0]", "/Count: a job runs exactly one task"},
		{"below count", guardJob(`[{"op":"add","path":"/count/x","value":1}]`), "taskCustomizations[0]", "/count/x:"},
		// clientToken, startedBy, cluster.
		{"add clientToken", guardJob(`[{"op":"add","path":"/clientToken","value":"mine"}]`), "taskCustomizations[0]", "/clientToken: is set by temporal-ecs: it is the idempotency token"},
		{"replace clientToken", guardJob(`[{"op":"replace","path":"/clientToken","value":"mine"}]`), "taskCustomizations[0]", "/clientToken:"},
		{"remove clientToken", guardJob(`[{"op":"remove","path":"/clientToken"}]`), "taskCustomizations[0]", "/clientToken: is set by temporal-ecs"},
		{"replace startedBy", guardJob(`[{"op":"replace","path":"/startedBy","value":"me"}]`), "taskCustomizations[0]", "/startedBy: is set by temporal-ecs: it is how the workflow finds and stops"},
		{"remove startedBy", guardJob(`[{"op":"remove","path":"/startedBy"}]`), "taskCustomizations[0]", "/startedBy:"},
		{"replace cluster", guardJob(`[{"op":"replace","path":"/cluster","value":"other"}]`), "taskCustomizations[0]", "/cluster: is set from the job's cluster field"},
		{"remove cluster", guardJob(`[{"op":"remove","path":"/cluster"}]`), "taskCustomizations[0]", "set the job's cluster field instead"},
		{"below cluster, escaped", guardJob(`[{"op":"remove","path":"/cluster/a~1b"}]`), "taskCustomizations[0]", "/cluster/a~1b:"},
		{"the operation at fault is named", guardJob(`[{"op":"add","path":"/enableExecuteCommand","value":true},{"op":"remove","path":"/startedBy"}]`), "taskCustomizations[1]", "/startedBy:"},
		// move and copy.
		{"move from startedBy", guardJob(`[{"op":"move","from":"/startedBy","path":"/overrides/x"}]`), "taskCustomizations[0]", "from /startedBy: is set by temporal-ecs"},
		{"move onto clientToken", guardJob(`[{"op":"move","from":"/overrides","path":"/clientToken"}]`), "taskCustomizations[0]", "/clientToken:"},
		{"copy onto count", guardJob(`[{"op":"copy","from":"/overrides","path":"/count"}]`), "taskCustomizations[0]", "/count:"},
		{"copy startedBy onto clientToken", guardJob(`[{"op":"copy","from":"/startedBy","path":"/clientToken"}]`), "taskCustomizations[0]", "/clientToken:"},
		// The root path.
		{"replace the root", guardJob(`[{"op":"replace","path":"","value":{"cluster":"jobs","taskDefinition":"arn"}}]`), "taskCustomizations[0]", `"": the root path is the whole RunTask request`},
		{"add the root", guardJob(`[{"op":"add","path":"","value":{}}]`), "taskCustomizations[0]", `"": the root path`},
		{"remove the root", guardJob(`[{"op":"remove","path":""}]`), "taskCustomizations[0]", `"": the root path`},
		{"move from the root", guardJob(`[{"op":"move","from":"","path":"/overrides/x"}]`), "taskCustomizations[0]", `from "": the root path`},
		{"copy onto the root", guardJob(`[{"op":"copy","from":"/overrides","path":""}]`), "taskCustomizations[0]", `"": the root path`},
		// Tags.
		{"add a reserved tag", guardJob(`[{"op":"add","path":"/tags/-","value":{"key":"temporal-ecs:run-id","value":"r"}}]`), "taskCustomizations[0]", `/tags/-: tag key "temporal-ecs:run-id" is reserved`},
		{"insert a reserved tag, other case", guardJob(`[{"op":"add","path":"/tags/0","value":{"key":"Temporal-ECS:Workflow-Id","value":"w"}}]`), "taskCustomizations[0]", `"Temporal-ECS:Workflow-Id" is reserved`},
		{"replace the tags with a reserved one", guardJob(`[{"op":"replace","path":"/tags","value":[{"key":"a","value":"b"},{"key":"temporal-ecs:namespace","value":"n"}]}]`), "taskCustomizations[0]", `/tags: tag key "temporal-ecs:namespace"`},
		{"rename a tag to a reserved key", guardJob(`[{"op":"replace","path":"/tags/0/key","value":"temporal-ecs:x"}]`), "taskCustomizations[0]", `/tags/0/key: tag key "temporal-ecs:x"`},
		{"tags spelt otherwise", guardJob(`[{"op":"replace","path":"/Tags/0/Key","value":"temporal-ecs:x"}]`), "taskCustomizations[0]", "is reserved"},
		{"copy a key from outside the tags", guardJob(`[{"op":"copy","from":"/overrides/containerOverrides/0/name","path":"/tags/0/key"}]`), "taskCustomizations[0]", "/tags/0/key: a tag key copied from /overrides/containerOverrides/0/name cannot be checked"},
		{"move a tag value into a key", guardJob(`[{"op":"move","from":"/tags/1/value","path":"/tags/0/key"}]`), "taskCustomizations[0]", "cannot be checked"},
		{"copy the root into the tags", guardJob(`[{"op":"copy","from":"","path":"/tags/-"}]`), "taskCustomizations[0]", `copied from ""`},
		// taskCustomizations however given.
		{"as a string", `{"image":"x","taskCustomizations":"[{\"op\":\"replace\",\"path\":\"/count\",\"value\":3}]"}`, "taskCustomizations[0]", "/count:"},
		// taskRunRequest and labels.
		{"base count 2", `{"image":"x","taskRunRequest":{"count":2}}`, "taskRunRequest.count", "exactly one task"},
		{"base count 0", `{"image":"x","taskRunRequest":{"count":0}}`, "taskRunRequest.count", "remove count or set it to 1"},
		{"base clientToken", `{"image":"x","taskRunRequest":{"clientToken":"mine"}}`, "taskRunRequest.clientToken", "idempotency token"},
		{"base startedBy", `{"image":"x","taskRunRequest":{"startedBy":"me"}}`, "taskRunRequest.startedBy", "finds and stops"},
		{"base reserved tag", `{"image":"x","taskRunRequest":{"tags":[{"key":"env","value":"a"},{"key":"temporal-ecs:run-id","value":"r"}]}}`, "taskRunRequest.tags[1].key", `"temporal-ecs:run-id" is reserved`},
		{"base reserved tag as an object", `{"image":"x","taskRunRequest":{"tags":{"TEMPORAL-ECS:x":"y"}}}`, "taskRunRequest.tags[0].key", "is reserved"},
		{"base reserved tag once slugified", `{"image":"x","taskRunRequest":{"tags":[{"key":" temporal-ecs:run-id","value":"r"}]}}`, "taskRunRequest.tags[0].key", "is reserved"},
		{"reserved label", `{"image":"x","labels":{"temporal-ecs:workflow-id":"w"}}`, "labels.temporal-ecs:workflow-id", "is reserved"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := prepareError(t, tt.job)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.message)
			assert.NotContains(t, e.Message, "\n", "one line")
		})
	}
	t.Run("in the worker's job defaults", func(t *testing.T) {
		e := prepareError(t, `{"image":"x"}`, `{"taskCustomizations":[{"op":"replace","path":"/count","value":3}]}`)
		assert.Equal(t, "taskCustomizations[0]", e.Field)
		assert.Equal(t, "invalid job configuration: taskCustomizations[0]: /count: a job runs exactly one task, the one temporal-ecs watches and stops; drop the operation, or set /count to 1", e.Error())
	})
}

// TestAllowedCustomizationsKeepTheGuarantees pins what the guards let
// through: the RunTask request still carries the workflow's clientToken and
// startedBy, the job's cluster, one task and no temporal-ecs: tag.
func TestAllowedCustomizationsKeepTheGuarantees(t *testing.T) {
	const token, startedBy = "token-1", "temporal-ecs/0123"
	tests := []struct {
		name, job string
		check     func(t *testing.T, req map[string]any)
	}{
		{"count set to 1", guardJob(`[{"op":"add","path":"/count","value":1}]`), func(t *testing.T, req map[string]any) {
			assert.EqualValues(t, 1, jsonOf(t, req["count"]))
		}},
		{"test is harmless", guardJob(`[{"op":"test","path":"/startedBy","value":"` + startedBy + `"},{"op":"test","path":"/clientToken","value":"` + token + `"},{"op":"test","path":"/cluster","value":"jobs"}]`), nil},
		{"a tag of another key", guardJob(`[{"op":"add","path":"/tags/-","value":{"key":"cost-center","value":"42"}}]`), func(t *testing.T, req map[string]any) {
			requireJSON(t, `{"key":"cost-center","value":"42"}`, at(t, req, "tags", 2))
		}},
		{"tags replaced by others", guardJob(`[{"op":"replace","path":"/tags","value":[{"key":"a","value":"b"}]}]`), func(t *testing.T, req map[string]any) {
			requireJSON(t, `[{"key":"a","value":"b"}]`, req["tags"])
		}},
		{"tags removed", guardJob(`[{"op":"remove","path":"/tags/0"},{"op":"remove","path":"/tags"}]`), func(t *testing.T, req map[string]any) {
			assert.NotContains(t, req, "tags")
		}},
		{"a tag renamed, a value with the prefix", guardJob(`[{"op":"replace","path":"/tags/0/key","value":"stage"},{"op":"replace","path":"/tags/1/value","value":"temporal-ecs:fine"}]`), func(t *testing.T, req map[string]any) {
			requireJSON(t, `[{"key":"stage","value":"prod"},{"key":"team","value":"temporal-ecs:fine"}]`, req["tags"])
		}},
		{"a tag copied among the tags", guardJob(`[{"op":"copy","from":"/tags/0","path":"/tags/-"},{"op":"copy","from":"/tags/1/key","path":"/tags/0/key"}]`), func(t *testing.T, req map[string]any) {
			requireJSON(t, `[{"key":"team","value":"prod"},{"key":"team","value":"data"},{"key":"env","value":"prod"}]`, req["tags"])
		}},
		{"a tag moved among the tags", guardJob(`[{"op":"move","from":"/tags/1","path":"/tags/0"}]`), func(t *testing.T, req map[string]any) {
			requireJSON(t, `[{"key":"team","value":"data"},{"key":"env","value":"prod"}]`, req["tags"])
		}},
		{"startedBy copied into a tag value", guardJob(`[{"op":"copy","from":"/startedBy","path":"/tags/0/value"}]`), func(t *testing.T, req map[string]any) {
			assert.Equal(t, startedBy, at(t, req, "tags", 0, "value"))
		}},
		{"other fields", guardJob(`[{"op":"add","path":"/enableExecuteCommand","value":true},{"op":"replace","path":"/overrides/containerOverrides/0/command","value":["run"]},{"op":"add","path":"/platformVersion","value":"LATEST"},{"op":"move","from":"/platformVersion","path":"/group"}]`), func(t *testing.T, req map[string]any) {
			assert.Equal(t, true, req["enableExecuteCommand"])
			assert.Equal(t, "LATEST", req["group"])
			requireJSON(t, `["run"]`, at(t, req, "overrides", "containerOverrides", 0, "command"))
		}},
		{"base count 1, cluster and other tags", `{"image":"x","taskRunRequest":{"count":1,"cluster":"jobs","tags":[{"key":"a","value":"b"}]},"labels":{"temporal-ecs:x":null}}`, func(t *testing.T, req map[string]any) {
			requireJSON(t, `[{"key":"a","value":"b"}]`, req["tags"])
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			req, err := job.BuildRunRequest(p, "arn:aws:ecs:eu-west-1:1:task-definition/x:1", nil, token, startedBy)
			require.NoError(t, err)
			assert.Equal(t, token, req["clientToken"])
			assert.Equal(t, startedBy, req["startedBy"])
			assert.Equal(t, "jobs", req["cluster"])
			if n, set := req["count"]; set {
				assert.EqualValues(t, 1, jsonOf(t, n))
			}
			for _, tag := range arrayOf(t, req["tags"]) {
				key, _ := at(t, tag, "key").(string)
				assert.False(t, strings.HasPrefix(strings.ToLower(key), job.TagPrefix), "tag %q", key)
			}
			if tt.check != nil {
				tt.check(t, req)
			}
		})
	}
}

// TestPointerEscapesAreDecoded pins that the guards read a pointer's tokens
// unescaped (RFC 6901): "/count~1x" is the member "count/x", not count, and
// is left to the RunTask shape check.
func TestPointerEscapesAreDecoded(t *testing.T) {
	for _, path := range []string{"/count~1x", "/c~0ount", "/clientToken~0"} {
		t.Run(path, func(t *testing.T) {
			p := mustPrepare(t, guardJob(`[{"op":"add","path":"`+path+`","value":3}]`))
			_, err := job.BuildRunRequest(p, "arn:aws:ecs:eu-west-1:1:task-definition/x:1", nil, "t", "s")
			var e *job.Error
			require.ErrorAs(t, err, &e)
			assert.Equal(t, "taskCustomizations", e.Field)
			assert.Contains(t, e.Message, "not valid")
		})
	}
}

// arrayOf returns v as a JSON array (nil when absent).
func arrayOf(t *testing.T, v any) []any {
	t.Helper()
	if v == nil {
		return nil
	}
	a, ok := jsonOf(t, v).([]any)
	require.True(t, ok, "not an array: %v", v)
	return a
}
