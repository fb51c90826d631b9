package job_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestLaunchTypeAndCapacityProviders(t *testing.T) {
	tests := []struct {
		name, job    string
		launchType   any
		strategy     string // JSON, "" for absent
		warnContains string
	}{
		{"default FARGATE", `{"image":"x"}`, "FARGATE", "", ""},
		{"EC2", `{"image":"x","launchType":"EC2"}`, "EC2", "", ""},
		{"FARGATE_SPOT becomes a capacity provider strategy", `{"image":"x","launchType":"FARGATE_SPOT"}`, nil, `[{"capacityProvider":"FARGATE_SPOT","weight":1}]`, ""},
		{"null sends none", `{"image":"x","launchType":null}`, nil, "", ""},
		{"strategy drops the launch type with a warning", `{"image":"x","launchType":"EC2","capacityProviderStrategy":[{"capacityProvider":"cp","weight":2,"base":1}]}`, nil, `[{"capacityProvider":"cp","weight":2,"base":1}]`, "launchType EC2 is not sent"},
		{"strategy without launch type: no warning", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"cp","weight":1}]}`, nil, `[{"capacityProvider":"cp","weight":1}]`, ""},
		{"strategy wins over FARGATE_SPOT", `{"image":"x","launchType":"FARGATE_SPOT","capacityProviderStrategy":[{"capacityProvider":"cp","weight":1}]}`, nil, `[{"capacityProvider":"cp","weight":1}]`, "FARGATE_SPOT is not sent"},
		{"base request's launch type", `{"image":"x","taskRunRequest":{"launchType":"EC2"}}`, "EC2", "", ""},
		{"job's launch type wins over the base request's", `{"image":"x","launchType":"FARGATE","taskRunRequest":{"launchType":"EC2"}}`, "FARGATE", "", ""},
		{"base request's strategy drops the launch type", `{"image":"x","launchType":"FARGATE","taskRunRequest":{"capacityProviderStrategy":[{"capacityProvider":"cp","weight":1}]}}`, nil, `[{"capacityProvider":"cp","weight":1}]`, "not sent"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			assert.Equal(t, tt.launchType, at(t, p.RunRequest, "launchType"))
			if tt.strategy == "" {
				assert.False(t, has(t, p.RunRequest, "capacityProviderStrategy"))
			} else {
				requireJSON(t, tt.strategy, p.RunRequest["capacityProviderStrategy"])
			}
			warnings := strings.Join(p.Warnings, "\n")
			if tt.warnContains == "" {
				assert.Empty(t, warnings)
			} else {
				assert.Contains(t, warnings, tt.warnContains)
			}
		})
	}
}

func TestCPUMemoryOverridesOnlyWhenTheJobGivesThem(t *testing.T) {
	p := mustPrepare(t, `{"image":"x"}`)
	assert.False(t, has(t, p.RunRequest, "overrides"), "defaults are never sent as overrides")

	p = mustPrepare(t, `{"image":"x","taskDefinition":{"cpu":"512","memory":"1024"}}`)
	assert.False(t, has(t, p.RunRequest, "overrides"), "the definition's values are not overrides")

	for _, lt := range []string{"FARGATE", "EC2"} {
		p = mustPrepare(t, `{"image":"x","cpu":256,"memory":512,"launchType":"`+lt+`"}`)
		o := at(t, p.RunRequest, "overrides")
		assert.Equal(t, "256", at(t, o, "cpu"), "task-level override is a string")
		assert.Equal(t, "512", at(t, o, "memory"))
		assert.Equal(t, 256.0, at(t, o, "containerOverrides", 0, "cpu"), "container override is an integer")
		assert.Equal(t, 512.0, at(t, o, "containerOverrides", 0, "memory"))
		assert.Equal(t, "main", at(t, o, "containerOverrides", 0, "name"))
	}

	p = mustPrepare(t, `{"image":"x","memory":4096}`)
	o := at(t, p.RunRequest, "overrides")
	assert.False(t, has(t, o, "cpu"))
	assert.Equal(t, "4096", at(t, o, "memory"))
}

func TestContainerOverrides(t *testing.T) {
	t.Run("job env wins over the base request's, nulls never sent", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","env":{"B":"job","C":null,"D":"d"},"taskRunRequest":{"overrides":{"containerOverrides":[
			{"name":"main","environment":[{"name":"A","value":"a"},{"name":"B","value":"base"},{"name":"C","value":"c"},{"name":"E"}]}]}}}`)
		requireJSON(t, `[{"name":"A","value":"a"},{"name":"B","value":"job"},{"name":"D","value":"d"}]`,
			at(t, p.RunRequest, "overrides", "containerOverrides", 0, "environment"))
	})
	t.Run("base request conveniences: env object, shell command, numeric cpu", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","taskRunRequest":{"overrides":{"cpu":512,"containerOverrides":[
			{"name":"main","command":"sh -c 'echo hi'","environment":{"Z":"z","N":null,"A":"a"}}]}}}`)
		requireJSON(t, `{"cpu":"512","containerOverrides":[{"name":"main","command":["sh","-c","echo hi"],"environment":[{"name":"A","value":"a"},{"name":"Z","value":"z"}]}]}`,
			p.RunRequest["overrides"])
	})
	t.Run("job command wins over the base request's", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","command":["job"],"taskRunRequest":{"overrides":{"containerOverrides":[{"name":"main","command":["base"]}]}}}`)
		requireJSON(t, `["job"]`, at(t, p.RunRequest, "overrides", "containerOverrides", 0, "command"))
	})
	t.Run("unnamed base override is the orchestrated container's", func(t *testing.T) {
		p := mustPrepare(t, `{"command":"run","taskDefinition":{"containerDefinitions":[{"name":"app","image":"x"}]},
			"taskRunRequest":{"overrides":{"containerOverrides":[{"environment":[{"name":"A","value":"1"}]}]}}}`)
		requireJSON(t, `[{"name":"app","command":["run"],"environment":[{"name":"A","value":"1"}]}]`, at(t, p.RunRequest, "overrides", "containerOverrides"))
	})
	t.Run("other containers' overrides kept", func(t *testing.T) {
		p := mustPrepare(t, `{"command":"run","taskDefinition":{"containerDefinitions":[{"name":"main","image":"x"},{"name":"side","image":"s"}]},
			"taskRunRequest":{"overrides":{"containerOverrides":[{"name":"side","command":["s"]}]}}}`)
		requireJSON(t, `[{"name":"side","command":["s"]},{"name":"main","command":["run"]}]`, at(t, p.RunRequest, "overrides", "containerOverrides"))
	})
	t.Run("taskRoleArn is a run-time override", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","taskRoleArn":"arn:aws:iam::1:role/task"}`)
		assert.Equal(t, "arn:aws:iam::1:role/task", at(t, p.RunRequest, "overrides", "taskRoleArn"))
		assert.False(t, has(t, p.TaskDefinition, "taskRoleArn"))
	})
}

func TestLabelsBecomeSlugifiedTags(t *testing.T) {
	tests := []struct{ name, job, want string }{
		{"slugified to ECS's tag charset", `{"image":"x","labels":{"team name":"Data Eng!","a/b.c=d+e:f@g_h-i":"ok"}}`,
			`[{"key":"a/b.c=d+e:f@g_h-i","value":"ok"},{"key":"team-name","value":"Data-Eng"}]`},
		{"case kept, dashes collapsed", `{"image":"x","labels":{"Key  --  X":"--v--"}}`, `[{"key":"Key-X","value":"v"}]`},
		{"labels replace base tags of the same key", `{"image":"x","labels":{"env":"prod"},"taskRunRequest":{"tags":[{"key":"env","value":"dev"},{"key":"owner","value":"me you"}]}}`,
			`[{"key":"owner","value":"me-you"},{"key":"env","value":"prod"}]`},
		{"base tags as an object", `{"image":"x","taskRunRequest":{"tags":{"b":"2","a":"1"}}}`, `[{"key":"a","value":"1"},{"key":"b","value":"2"}]`},
		{"null label removes a base tag", `{"image":"x","labels":{"env":null},"taskRunRequest":{"tags":[{"key":"env","value":"dev"}]}}`, `null`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			requireJSON(t, tt.want, mustPrepare(t, tt.job).RunRequest["tags"])
		})
	}
	t.Run("keys cut to 128, values to 256", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","labels":{"`+strings.Repeat("k", 200)+`":"`+strings.Repeat("v", 300)+`"}}`)
		assert.Len(t, at(t, p.RunRequest, "tags", 0, "key"), 128)
		assert.Len(t, at(t, p.RunRequest, "tags", 0, "value"), 256)
	})
}

func TestClusterAndBaseRequestFields(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","cluster":"jobs","taskRunRequest":{"cluster":"base","enableExecuteCommand":true,"platformVersion":"1.4.0","propagateTags":"TASK_DEFINITION"}}`)
	assert.Equal(t, "jobs", p.Cluster)
	assert.Equal(t, "jobs", p.RunRequest["cluster"])
	assert.Equal(t, true, p.RunRequest["enableExecuteCommand"])
	assert.Equal(t, "1.4.0", p.RunRequest["platformVersion"])

	p = mustPrepare(t, `{"image":"x","taskRunRequest":{"cluster":"base"}}`)
	assert.Equal(t, "base", p.Cluster, "the base request's cluster is the job's")

	p = mustPrepare(t, `{"image":"x"}`)
	assert.Empty(t, p.Cluster)
	assert.False(t, has(t, p.RunRequest, "cluster"), "no cluster: ECS's default")
}

func TestResolvedSettings(t *testing.T) {
	p := mustPrepare(t, `{"image":"x"}`)
	assert.Equal(t, 300, p.StartTimeoutSeconds)
	assert.Equal(t, 5.0, p.PollIntervalSeconds)
	assert.Equal(t, testRegion, p.Region)
	assert.False(t, p.StreamOutput || p.AllowNonZeroExit || p.AutoDeregister || p.MatchLatestRevisionInFamily)

	p = mustPrepare(t, `{"image":"x","taskStartTimeoutSeconds":60,"pollIntervalSeconds":0.5,"allowNonZeroExit":true,
		"autoDeregisterTaskDefinition":true,"matchLatestRevisionInFamily":true,"region":"us-west-2","roleArn":"arn:aws:iam::1:role/r"}`)
	assert.Equal(t, 60, p.StartTimeoutSeconds)
	assert.Equal(t, 0.5, p.PollIntervalSeconds)
	assert.True(t, p.AllowNonZeroExit && p.AutoDeregister && p.MatchLatestRevisionInFamily)
	assert.Equal(t, "us-west-2", p.Region)
	assert.Equal(t, "arn:aws:iam::1:role/r", p.RoleArn)
}

func TestBuildRunRequest(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","command":"echo hi","cluster":"c"}`)
	network, err := job.InferredNetwork("vpc-1", []string{"subnet-a", "subnet-b"})
	require.NoError(t, err)
	req, err := job.BuildRunRequest(p, "arn:aws:ecs:eu-west-1:1:task-definition/temporal-ecs:3", network, "token-1", "wf/run")
	require.NoError(t, err)
	requireJSON(t, `{
		"cluster":"c","launchType":"FARGATE",
		"taskDefinition":"arn:aws:ecs:eu-west-1:1:task-definition/temporal-ecs:3",
		"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-a","subnet-b"],"assignPublicIp":"ENABLED"}},
		"clientToken":"token-1","startedBy":"wf/run",
		"overrides":{"containerOverrides":[{"name":"main","command":["echo","hi"]}]}
	}`, req)

	t.Run("template left unchanged", func(t *testing.T) {
		assert.False(t, has(t, p.RunRequest, "taskDefinition"))
		assert.False(t, has(t, p.RunRequest, "clientToken"))
	})
	t.Run("no network, token or startedBy when not given", func(t *testing.T) {
		req, err := job.BuildRunRequest(p, "td:1", nil, "", "")
		require.NoError(t, err)
		for _, k := range []string{"networkConfiguration", "clientToken", "startedBy"} {
			assert.NotContains(t, req, k)
		}
	})
	t.Run("base request's network kept when none is given", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","taskRunRequest":{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s-base"]}}}}`)
		req, err := job.BuildRunRequest(p, "td:1", nil, "", "")
		require.NoError(t, err)
		requireJSON(t, `["s-base"]`, at(t, req, "networkConfiguration", "awsvpcConfiguration", "subnets"))
	})
}

func TestTaskCustomizationsAppliedLast(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","taskCustomizations":[
		{"op":"replace","path":"/networkConfiguration/awsvpcConfiguration/assignPublicIp","value":"DISABLED"},
		{"op":"add","path":"/networkConfiguration/awsvpcConfiguration/securityGroups","value":["sg-1"]},
		{"op":"add","path":"/group","value":"custom"},
		{"op":"remove","path":"/launchType"},
		{"op":"add","path":"/capacityProviderStrategy","value":[{"capacityProvider":"FARGATE_SPOT","weight":1}]},
		{"op":"copy","from":"/clientToken","path":"/referenceId"},
		{"op":"test","path":"/taskDefinition","value":"td:1"}
	]}`)
	network, err := job.InferredNetwork("", []string{"s-1"})
	require.NoError(t, err)
	req, err := job.BuildRunRequest(p, "td:1", network, "tok", "wf")
	require.NoError(t, err)
	requireJSON(t, `{"subnets":["s-1"],"assignPublicIp":"DISABLED","securityGroups":["sg-1"]}`, at(t, req, "networkConfiguration", "awsvpcConfiguration"))
	assert.Equal(t, "custom", req["group"])
	assert.Equal(t, "wf", req["startedBy"], "no customization touches startedBy")
	assert.NotContains(t, req, "launchType")
	assert.Equal(t, "tok", req["referenceId"])
	_, err = job.RunTaskInput(req)
	require.NoError(t, err)
}

func TestTaskCustomizationThatCannotApplyIsAnError(t *testing.T) {
	tests := []struct {
		name, patch, field, message string
	}{
		{"remove a missing path", `[{"op":"remove","path":"/nope"}]`, "taskCustomizations[0]", "cannot apply remove /nope"},
		{"add under a missing parent", `[{"op":"add","path":"/group","value":"g"},{"op":"add","path":"/a/b","value":1}]`, "taskCustomizations[1]", "cannot apply add /a/b"},
		{"failed test", `[{"op":"test","path":"/launchType","value":"EC2"}]`, "taskCustomizations[0]", "cannot apply test"},
		{"result not a RunTask request", `[{"op":"add","path":"/overrides","value":{"containerOverride":[]}}]`, "taskCustomizations", `did you mean "containerOverrides"?`},
		{"result of the wrong type", `[{"op":"replace","path":"/launchType","value":1}]`, "taskCustomizations", "launchType: must be a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, `{"image":"x","taskCustomizations":`+tt.patch+`}`)
			_, err := job.BuildRunRequest(p, "td:1", nil, "", "")
			var e *job.Error
			require.True(t, errors.As(err, &e), "got %v", err)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.message)
		})
	}
}

func TestTaskCustomizationsMayBeAStringHoldingThePatch(t *testing.T) {
	const patch = `[{"op":"add","path":"/group","value":"etl"},{"op":"add","path":"/referenceId","value":"custom"}]`
	quoted, err := json.Marshal(patch)
	require.NoError(t, err)
	fromString := mustPrepare(t, `{"image":"x","taskCustomizations":`+string(quoted)+`}`)
	fromArray := mustPrepare(t, `{"image":"x","taskCustomizations":`+patch+`}`)
	assert.Equal(t, fromArray.TaskCustomizations, fromString.TaskCustomizations, "as Prefect's ECSTask casts it")

	req, err := job.BuildRunRequest(fromString, "td:1", nil, "", "wf")
	require.NoError(t, err)
	assert.Equal(t, "etl", req["group"])
	assert.Equal(t, "custom", req["referenceId"])

	t.Run("in the worker's defaults too", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x"}`, `{"taskCustomizations":`+string(quoted)+`}`)
		assert.Equal(t, fromArray.TaskCustomizations, p.TaskCustomizations)
	})
	for _, tc := range []struct{ name, value, message string }{
		{"not JSON", `"[{\"op\":"`, "JSON array of JSON Patch operations"},
		{"not an array", `"{\"op\":\"add\"}"`, "not an object"},
		{"operations checked as usual", `"[{\"op\":\"merge\",\"path\":\"/a\"}]"`, `"merge"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := prepareError(t, `{"image":"x","taskCustomizations":`+tc.value+`}`)
			assert.Contains(t, e.Field, "taskCustomizations")
			assert.Contains(t, e.Message, tc.message)
		})
	}
}
