package job_test

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestUnknownFieldIsAnErrorNamingIt(t *testing.T) {
	tests := []struct {
		name, job, field, message string
	}{
		{"typo at top level", `{"imgae":"busybox"}`, "imgae", `did you mean "image"?`},
		{"wrong case", `{"Image":"busybox"}`, "Image", `did you mean "image"?`},
		{"snake case of a camelCase field", `{"image":"x","stream_output":true}`, "stream_output", `did you mean "streamOutput"?`},
		{"far from any field", `{"image":"x","zzzzzzzz":1}`, "zzzzzzzz", "unknown field"},
		{"in networkConfiguration", `{"image":"x","vpcId":"vpc-1","networkConfiguration":{"subnet":["s"]}}`, "networkConfiguration.subnet", `did you mean "subnets"?`},
		{"in capacityProviderStrategy", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"A","wieght":1}]}`, "capacityProviderStrategy[0].wieght", `did you mean "weight"?`},
		{"in taskCustomizations", `{"image":"x","taskCustomizations":[{"op":"add","path":"/a","vaule":1}]}`, "taskCustomizations[0].vaule", `did you mean "value"?`},
		{"in the base task definition", `{"image":"x","taskDefinition":{"famly":"f"}}`, "taskDefinition.famly", `did you mean "family"?`},
		{"deep in the base task definition", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","esential":true}]}}`, "taskDefinition.containerDefinitions[0].esential", `did you mean "essential"?`},
		{"in the base run request", `{"image":"x","taskRunRequest":{"overrides":{"containerOverride":[]}}}`, "taskRunRequest.overrides.containerOverride", `did you mean "containerOverrides"?`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := prepareError(t, tt.job)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.message)
		})
	}
}

func TestWrongJSONTypeIsAnErrorNamingTheField(t *testing.T) {
	tests := []struct {
		name, job, field string
	}{
		{"string expected", `{"image":1}`, "image"},
		{"integer expected", `{"image":"x","cpu":"a lot"}`, "cpu"},
		{"integer, not fraction", `{"image":"x","memory":1.5}`, "memory"},
		{"integer written as one", `{"image":"x","taskStartTimeoutSeconds":300.0}`, "taskStartTimeoutSeconds"},
		{"boolean expected", `{"image":"x","streamOutput":"yes"}`, "streamOutput"},
		{"number expected", `{"image":"x","pollIntervalSeconds":"5"}`, "pollIntervalSeconds"},
		{"object expected", `{"image":"x","env":["A=1"]}`, "env"},
		{"command of numbers", `{"image":"x","command":[1,2]}`, "command"},
		{"launchType not a string", `{"image":"x","launchType":3}`, "launchType"},
		{"int32 out of range in base definition", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","memory":99999999999}]}}`, "taskDefinition.containerDefinitions[0].memory"},
		{"array expected in base request", `{"image":"x","taskRunRequest":{"tags":"a"}}`, "taskRunRequest.tags"},
		{"not an object", `["image"]`, ""},
		{"not JSON", `{"image":`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := prepareError(t, tt.job)
			assert.Equal(t, tt.field, e.Field)
			assert.NotEmpty(t, e.Message)
		})
	}
}

func TestErrorMessageNamesFieldAndSaysInvalidJobConfiguration(t *testing.T) {
	e := &job.Error{Field: "cpu", Message: "must be positive"}
	assert.Equal(t, "invalid job configuration: cpu: must be positive", e.Error())
	assert.Equal(t, "invalid job configuration: not JSON", (&job.Error{Message: "not JSON"}).Error())
}

func TestCommandIsAnArrayOrAShellSplitString(t *testing.T) {
	tests := []struct {
		name, command string
		want          []string
	}{
		{"array", `["python","-c","print(1)"]`, []string{"python", "-c", "print(1)"}},
		{"string split like a shell", `"python -c 'print(\"a b\")'"`, []string{"python", "-c", `print("a b")`}},
		{"backslash escapes", `"echo a\\ b"`, []string{"echo", "a b"}},
		{"no expansion", `"echo $HOME"`, []string{"echo", "$HOME"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, `{"image":"x","command":`+tt.command+`}`)
			assert.Equal(t, jsonOf(t, tt.want), at(t, p.RunRequest, "overrides", "containerOverrides", 0, "command"))
			assert.Equal(t, job.Command(tt.want), p.Config.Command)
		})
	}
	t.Run("unbalanced quote is an error", func(t *testing.T) {
		e := prepareError(t, `{"image":"x","command":"echo 'a"}`)
		assert.Equal(t, "command", e.Field)
	})
	t.Run("empty command overrides nothing", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","command":""}`)
		assert.False(t, has(t, p.RunRequest, "overrides"))
	})
}

func TestLaunchTypeIsAbsentNullOrAValue(t *testing.T) {
	var c job.Config
	require.NoError(t, json.Unmarshal([]byte(`{}`), &c))
	assert.False(t, c.LaunchType.Set)
	require.NoError(t, json.Unmarshal([]byte(`{"launchType":null}`), &c))
	assert.True(t, c.LaunchType.Set)
	assert.False(t, c.LaunchType.Valid)
	require.NoError(t, json.Unmarshal([]byte(`{"launchType":"EC2"}`), &c))
	assert.Equal(t, job.Some("EC2"), c.LaunchType)

	for _, tt := range []struct {
		in   job.Nullable[string]
		want string
	}{
		{job.Nullable[string]{}, `{}`},
		{job.Null[string](), `{"launchType":null}`},
		{job.Some("FARGATE_SPOT"), `{"launchType":"FARGATE_SPOT"}`},
	} {
		b, err := json.Marshal(job.Config{LaunchType: tt.in})
		require.NoError(t, err)
		assert.JSONEq(t, tt.want, string(b))
	}
}

func TestGoBuiltConfigPreparesLikeItsJSON(t *testing.T) {
	cpu := 512
	a := "1"
	c := job.Config{
		Image:      "busybox",
		Command:    job.Command{"echo", "hi"},
		Env:        map[string]*string{"A": &a, "B": nil},
		CPU:        &cpu,
		LaunchType: job.Null[string](),
		TaskCustomizations: []job.PatchOperation{
			{Op: "add", Path: "/group", Value: json.RawMessage(`"g"`)},
		},
	}
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	p := mustPrepare(t, string(raw))
	assert.Equal(t, "busybox", p.Image)
	assert.False(t, has(t, p.RunRequest, "launchType"))
	assert.Equal(t, c.Env, p.Config.Env)
	req, err := job.BuildRunRequest(p, "arn:td", nil, "", "")
	require.NoError(t, err)
	assert.Equal(t, "g", req["group"])
}

func TestPatchValueNullIsAValue(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","taskCustomizations":[{"op":"add","path":"/group","value":null}]}`)
	require.Len(t, p.TaskCustomizations, 1)
	assert.Equal(t, json.RawMessage("null"), p.TaskCustomizations[0].Value)
}

func TestEnvAndLabelScalarsBecomeStrings(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","env":{"PORT":8080,"DEBUG":true},"labels":{"n":1}}`)
	requireJSON(t, `[{"name":"DEBUG","value":"true"},{"name":"PORT","value":"8080"}]`,
		at(t, p.RunRequest, "overrides", "containerOverrides", 0, "environment"))
	requireJSON(t, `[{"key":"n","value":"1"}]`, p.RunRequest["tags"])
}

func TestPreparedSurvivesJSONRoundTrip(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","launchType":null,"env":{"A":null},"cpu":256,"taskCustomizations":[{"op":"add","path":"/group","value":null}]}`)
	b, err := json.Marshal(p)
	require.NoError(t, err)
	var back job.Prepared
	require.NoError(t, json.Unmarshal(b, &back))
	assert.True(t, back.Config.LaunchType.Set)
	assert.False(t, back.Config.LaunchType.Valid)
	assert.Contains(t, back.Config.Env, "A")
	d1, err := job.Digest(p.TaskDefinition)
	require.NoError(t, err)
	d2, err := job.Digest(back.TaskDefinition)
	require.NoError(t, err)
	assert.Equal(t, d1, d2)
	assert.Equal(t, p.TaskDefinitionDigest, d2)
	r1, err := job.BuildRunRequest(p, "arn", nil, "t", "s")
	require.NoError(t, err)
	r2, err := job.BuildRunRequest(&back, "arn", nil, "t", "s")
	require.NoError(t, err)
	assert.Equal(t, jsonOf(t, r1), jsonOf(t, r2))
}

func TestBaseBodiesUseECSWireNamesExactly(t *testing.T) {
	e := prepareError(t, `{"image":"x","taskDefinition":{"Family":"f"}}`)
	assert.Equal(t, "taskDefinition.Family", e.Field)
	assert.Contains(t, e.Message, `did you mean "family"?`)
	e = prepareError(t, `{"image":"x","taskRunRequest":{"overrides":{"ContainerOverrides":[]}}}`)
	assert.Equal(t, "taskRunRequest.overrides.ContainerOverrides", e.Field)

	p := mustPrepare(t, `{"image":"x","taskDefinition":{"volumes":[{"name":"v","fsxWindowsFileServerVolumeConfiguration":{"fileSystemId":"fs","rootDirectory":"/"}}]}}`)
	in, err := job.RegisterInput(p.TaskDefinition)
	require.NoError(t, err)
	assert.Equal(t, "fs", *in.Volumes[0].FsxWindowsFileServerVolumeConfiguration.FileSystemId)
}
