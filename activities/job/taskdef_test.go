package job_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestFargateTaskLevelCPUMemoryStringsCompatibilityAndAwsvpc(t *testing.T) {
	tests := []struct {
		name, job, cpu, memory, compat string
	}{
		{"defaults", `{"image":"x"}`, "1024", "2048", `["FARGATE"]`},
		{"job values", `{"image":"x","cpu":256,"memory":512}`, "256", "512", `["FARGATE"]`},
		{"definition values", `{"image":"x","taskDefinition":{"cpu":"512","memory":"1024"}}`, "512", "1024", `["FARGATE"]`},
		{"definition numbers", `{"image":"x","taskDefinition":{"cpu":512,"memory":1024}}`, "512", "1024", `["FARGATE"]`},
		{"definition text units", `{"image":"x","taskDefinition":{"cpu":"0.5 vCPU","memory":"1 GB"}}`, "512", "1024", `["FARGATE"]`},
		{"job wins over definition", `{"image":"x","cpu":2048,"taskDefinition":{"cpu":"512","memory":"1024"}}`, "2048", "1024", `["FARGATE"]`},
		{"FARGATE_SPOT", `{"image":"x","launchType":"FARGATE_SPOT"}`, "1024", "2048", `["FARGATE"]`},
		{"compatibility appended", `{"image":"x","taskDefinition":{"requiresCompatibilities":["EC2"]}}`, "1024", "2048", `["EC2","FARGATE"]`},
		{"compatibility not repeated", `{"image":"x","taskDefinition":{"requiresCompatibilities":["FARGATE"]}}`, "1024", "2048", `["FARGATE"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			assert.Equal(t, tt.cpu, p.TaskDefinition["cpu"])
			assert.Equal(t, tt.memory, p.TaskDefinition["memory"])
			requireJSON(t, tt.compat, p.TaskDefinition["requiresCompatibilities"])
			assert.Equal(t, "awsvpc", p.TaskDefinition["networkMode"])
			assert.Equal(t, "awsvpc", p.NetworkMode)
			assert.False(t, has(t, p.TaskDefinition, "cpu", "containerDefinitions", 0), "no container-level cpu on FARGATE")
		})
	}
}

func TestEC2ContainerLevelIntegers(t *testing.T) {
	tests := []struct {
		name, job         string
		cpu, memory       any
		taskCPU, taskMem  any
		memoryUnsetReason string
	}{
		{"defaults", `{"image":"x","launchType":"EC2"}`, 1024.0, 2048.0, nil, nil, ""},
		{"job values", `{"image":"x","launchType":"EC2","cpu":256,"memory":512}`, 256.0, 512.0, nil, nil, ""},
		{"container values kept", `{"launchType":"EC2","taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","cpu":128,"memory":256}]}}`, 128.0, 256.0, nil, nil, ""},
		{"job wins over container", `{"launchType":"EC2","cpu":512,"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","cpu":128,"memory":256}]}}`, 512.0, 256.0, nil, nil, ""},
		{"task-level values used and kept as strings", `{"image":"x","launchType":"EC2","taskDefinition":{"cpu":"512","memory":"1 GB"}}`, 512.0, 1024.0, "512", "1024", ""},
		{"job replaces task-level values too", `{"image":"x","launchType":"EC2","cpu":256,"taskDefinition":{"cpu":"512"}}`, 256.0, 2048.0, "256", nil, ""},
		{"memoryReservation alone is enough", `{"launchType":"EC2","taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","memoryReservation":128}]}}`, 1024.0, nil, nil, nil, "reservation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			c := at(t, p.TaskDefinition, "containerDefinitions", 0)
			assert.Equal(t, tt.cpu, at(t, c, "cpu"))
			assert.Equal(t, tt.memory, at(t, c, "memory"))
			assert.Equal(t, tt.taskCPU, at(t, p.TaskDefinition, "cpu"))
			assert.Equal(t, tt.taskMem, at(t, p.TaskDefinition, "memory"))
			assert.False(t, has(t, p.TaskDefinition, "requiresCompatibilities"), "EC2 adds no FARGATE compatibility")
			assert.False(t, has(t, p.TaskDefinition, "networkMode"), "EC2 forces no network mode")
		})
	}
	t.Run("base values kept", func(t *testing.T) {
		p := mustPrepare(t, `{"launchType":"EC2","taskDefinition":{"networkMode":"host","requiresCompatibilities":["EC2"],"containerDefinitions":[{"name":"main","image":"x"}]}}`)
		assert.Equal(t, "host", p.TaskDefinition["networkMode"])
		requireJSON(t, `["EC2"]`, p.TaskDefinition["requiresCompatibilities"])
	})
}

func TestLaunchTypeNullOrExternalAddsNoDefaults(t *testing.T) {
	for _, lt := range []string{`null`, `"EXTERNAL"`} {
		t.Run(lt, func(t *testing.T) {
			p := mustPrepare(t, `{"image":"x","launchType":`+lt+`}`)
			for _, k := range []string{"cpu", "memory", "requiresCompatibilities", "networkMode"} {
				assert.False(t, has(t, p.TaskDefinition, k), k)
			}
			p = mustPrepare(t, `{"image":"x","cpu":256,"memory":512,"launchType":`+lt+`}`)
			assert.Equal(t, "256", p.TaskDefinition["cpu"], "the job's values go to task level")
			assert.Equal(t, "512", p.TaskDefinition["memory"])
		})
	}
	p := mustPrepare(t, `{"image":"x","launchType":null}`)
	assert.False(t, has(t, p.RunRequest, "launchType"), "null sends no launch type")
	assert.Empty(t, p.LaunchType)
}

func TestContainerLookupAndNaming(t *testing.T) {
	tests := []struct {
		name, job, container string
		index                int
		count                int
	}{
		{"no definition: main appended", `{"image":"x"}`, "main", 0, 1},
		{"container named main", `{"taskDefinition":{"containerDefinitions":[{"name":"side","image":"s"},{"name":"main","image":"x"}]}}`, "main", 1, 2},
		{"else the first container", `{"taskDefinition":{"containerDefinitions":[{"name":"app","image":"x"},{"name":"side","image":"s"}]}}`, "app", 0, 2},
		{"unnamed container gets main", `{"image":"x","taskDefinition":{"containerDefinitions":[{"image":"y"}]}}`, "main", 0, 1},
		{"explicit main is appended next to others", `{"image":"x","containerName":"main","taskDefinition":{"containerDefinitions":[{"name":"app","image":"y"}]}}`, "main", 1, 2},
		{"explicit name found", `{"image":"x","containerName":"side","taskDefinition":{"containerDefinitions":[{"name":"app","image":"y"},{"name":"side","image":"s"}]}}`, "side", 1, 2},
		{"empty containers dropped", `{"image":"x","taskDefinition":{"containerDefinitions":[{},{"name":"app","image":"y"}]}}`, "app", 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			assert.Equal(t, tt.container, p.ContainerName)
			assert.Len(t, p.TaskDefinition["containerDefinitions"], tt.count)
			assert.Equal(t, tt.container, at(t, p.TaskDefinition, "containerDefinitions", tt.index, "name"))
		})
	}
}

func TestImageDefaultsFromTheDefinitionAndTheJobOverridesIt(t *testing.T) {
	p := mustPrepare(t, `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"def-image"}]}}`)
	assert.Equal(t, "def-image", p.Image)
	p = mustPrepare(t, `{"image":"job-image","taskDefinition":{"containerDefinitions":[{"name":"main","image":"def-image"}]}}`)
	assert.Equal(t, "job-image", p.Image, "deliberate difference: the job's image wins")
	assert.Equal(t, "job-image", at(t, p.TaskDefinition, "containerDefinitions", 0, "image"))
}

func TestJobFieldsOverrideTheBaseDefinition(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","family":"job-fam","executionRoleArn":"arn:aws:iam::1:role/job",
		"taskDefinition":{"family":"def-fam","executionRoleArn":"arn:aws:iam::1:role/def"}}`)
	assert.Equal(t, "job-fam", p.TaskDefinition["family"])
	assert.Equal(t, "arn:aws:iam::1:role/job", p.TaskDefinition["executionRoleArn"])
	p = mustPrepare(t, `{"image":"x","taskDefinition":{"family":"def-fam","executionRoleArn":"arn:aws:iam::1:role/def"}}`)
	assert.Equal(t, "def-fam", p.TaskDefinition["family"])
	assert.Equal(t, "arn:aws:iam::1:role/def", p.TaskDefinition["executionRoleArn"])
}

func TestEnvNullRemovesTheDefinitionsVariable(t *testing.T) {
	p := mustPrepare(t, `{"env":{"DROP":null,"NEW":"n"},"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x",
		"environment":[{"name":"KEEP","value":"k"},{"name":"DROP","value":"d"},{"name":"NOVALUE"}]}]}}`)
	requireJSON(t, `[{"name":"KEEP","value":"k"}]`, at(t, p.TaskDefinition, "containerDefinitions", 0, "environment"))
	requireJSON(t, `[{"name":"NEW","value":"n"}]`, at(t, p.RunRequest, "overrides", "containerOverrides", 0, "environment"))
	assert.Equal(t, []string{"DROP"}, p.UnsetEnv)
}

func TestAwslogsConfiguration(t *testing.T) {
	base := `"image":"x","executionRoleArn":"` + role + `"`
	tests := []struct {
		name, job, want, prefix string
	}{
		{"defaults", `{` + base + `,"configureCloudwatchLogs":true}`,
			`{"awslogs-create-group":"true","awslogs-group":"temporal-ecs","awslogs-region":"eu-west-1","awslogs-stream-prefix":"temporal-ecs"}`, "temporal-ecs"},
		{"on with streamOutput", `{` + base + `,"streamOutput":true}`,
			`{"awslogs-create-group":"true","awslogs-group":"temporal-ecs","awslogs-region":"eu-west-1","awslogs-stream-prefix":"temporal-ecs"}`, "temporal-ecs"},
		{"prefix", `{` + base + `,"configureCloudwatchLogs":true,"cloudwatchLogsPrefix":"jobs"}`,
			`{"awslogs-create-group":"true","awslogs-group":"temporal-ecs","awslogs-region":"eu-west-1","awslogs-stream-prefix":"jobs"}`, "jobs"},
		{"options override and add", `{` + base + `,"configureCloudwatchLogs":true,"cloudwatchLogsPrefix":"jobs","cloudwatchLogsOptions":{"awslogs-stream-prefix":"opt","awslogs-group":"mine","mode":"non-blocking"}}`,
			`{"awslogs-create-group":"true","awslogs-group":"mine","awslogs-region":"eu-west-1","awslogs-stream-prefix":"opt","mode":"non-blocking"}`, "opt"},
		{"replaces the definition's log configuration", `{` + base + `,"configureCloudwatchLogs":true,"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","logConfiguration":{"logDriver":"splunk","options":{"a":"b"}}}]}}`,
			`{"awslogs-create-group":"true","awslogs-group":"temporal-ecs","awslogs-region":"eu-west-1","awslogs-stream-prefix":"temporal-ecs"}`, "temporal-ecs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			lc := at(t, p.TaskDefinition, "containerDefinitions", 0, "logConfiguration")
			assert.Equal(t, "awslogs", at(t, lc, "logDriver"))
			requireJSON(t, tt.want, at(t, lc, "options"))
			assert.Equal(t, tt.prefix, p.LogStreamPrefix)
			assert.Equal(t, "eu-west-1", p.LogRegion)
			assert.True(t, p.ConfigureCloudwatchLogs)
		})
	}
	t.Run("off keeps the definition's", func(t *testing.T) {
		p := mustPrepare(t, `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"g","awslogs-stream-prefix":"p"}}}]}}`)
		assert.Equal(t, "g", p.LogGroup)
		assert.Equal(t, "p", p.LogStreamPrefix)
		assert.Empty(t, p.LogRegion)
		assert.False(t, p.ConfigureCloudwatchLogs)
	})
	t.Run("streamOutput without awslogs warns", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","streamOutput":true,"configureCloudwatchLogs":false}`)
		assert.Empty(t, p.LogGroup)
		assert.Contains(t, strings.Join(p.Warnings, "\n"), "cannot be streamed")
	})
}

func TestFamilySlug(t *testing.T) {
	tests := []struct{ name, family, want string }{
		{"default", ``, "temporal-ecs"},
		{"kept", `"my_family-1"`, "my_family-1"},
		{"case kept", `"MyFamily"`, "MyFamily"},
		{"unsafe runs become one dash", `"my family: v2!!"`, "my-family-v2"},
		{"unicode", `"données"`, "donn-es"},
		{"at most 255", `"` + strings.Repeat("a", 300) + `"`, strings.Repeat("a", 255)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := `{"image":"x"}`
			if tt.family != "" {
				job = `{"image":"x","family":` + tt.family + `}`
			}
			assert.Equal(t, tt.want, mustPrepare(t, job).TaskDefinition["family"])
		})
	}
	t.Run("from the definition, slugified", func(t *testing.T) {
		assert.Equal(t, "def-fam", mustPrepare(t, `{"image":"x","taskDefinition":{"family":"def fam"}}`).TaskDefinition["family"])
	})
}

func TestBaseDefinitionSecretsEssentialExtraContainersAndOrderKept(t *testing.T) {
	p := mustPrepare(t, `{"image":"new","taskDefinition":{"containerDefinitions":[
		{"name":"init","image":"i","essential":false},
		{"name":"main","image":"old","secrets":[{"name":"DB","valueFrom":"arn:sm:db"}],"essential":true},
		{"name":"sidecar","image":"s","essential":false,"dependsOn":[{"containerName":"init","condition":"SUCCESS"}]}
	],"volumes":[{"name":"data"}],"executionRoleArn":"arn:aws:iam::1:role/exec"}}`)
	requireJSON(t, `[
		{"name":"init","image":"i","essential":false},
		{"name":"main","image":"new","secrets":[{"name":"DB","valueFrom":"arn:sm:db"}],"essential":true},
		{"name":"sidecar","image":"s","essential":false,"dependsOn":[{"containerName":"init","condition":"SUCCESS"}]}
	]`, p.TaskDefinition["containerDefinitions"])
	requireJSON(t, `[{"name":"data"}]`, p.TaskDefinition["volumes"])
}

func TestPrepareDoesNotModifyItsInputs(t *testing.T) {
	defaults := []byte(`{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","environment":[{"name":"A","value":"1"}]}]}}`)
	before := string(defaults)
	p1 := mustPrepare(t, `{"env":{"A":null}}`, string(defaults))
	p2 := mustPrepare(t, `{}`, string(defaults))
	assert.Equal(t, before, string(defaults))
	assert.NotEqual(t, jsonOf(t, p1.TaskDefinition), jsonOf(t, p2.TaskDefinition))
	requireJSON(t, `[{"name":"A","value":"1"}]`, at(t, p2.TaskDefinition, "containerDefinitions", 0, "environment"))
}
