package job_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

const tdArn = "arn:aws:ecs:eu-west-1:123456789012:task-definition/app:7"

func TestTaskDefinitionArnIsUsedAsIs(t *testing.T) {
	p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`","command":"run","cpu":256}`)
	assert.Equal(t, tdArn, p.TaskDefinitionArn)
	assert.Nil(t, p.TaskDefinition, "never registered")
	assert.Empty(t, p.TaskDefinitionDigest)
	assert.Empty(t, p.ContainerName, "known once the definition is described")
	assert.Empty(t, p.Warnings)
	assert.Equal(t, "256", at(t, p.RunRequest, "overrides", "cpu"), "run-time overrides still apply")

	t.Run("from the base run request", func(t *testing.T) {
		p := mustPrepare(t, `{"taskRunRequest":{"taskDefinition":"`+tdArn+`"}}`)
		assert.Equal(t, tdArn, p.TaskDefinitionArn)
		assert.False(t, has(t, p.RunRequest, "taskDefinition"))
	})
}

func TestTaskDefinitionArnWarningsListOnlyTheFieldsTheJobSet(t *testing.T) {
	tests := []struct {
		name, job string
		defaults  string
		want      []string // substrings, one per warning
	}{
		{"nothing ignored", `{"taskDefinitionArn":"` + tdArn + `","env":{"A":"1"},"labels":{"a":"b"},"cpu":1}`, ``, nil},
		{"image and family", `{"taskDefinitionArn":"` + tdArn + `","image":"x","family":"f"}`, ``,
			[]string{"are ignored: image, family"}},
		{"logging fields", `{"taskDefinitionArn":"` + tdArn + `","configureCloudwatchLogs":true,"cloudwatchLogsPrefix":"p","cloudwatchLogsOptions":{"a":"b"},"executionRoleArn":"` + role + `"}`, ``,
			[]string{"are ignored: configureCloudwatchLogs, cloudwatchLogsOptions, cloudwatchLogsPrefix"}},
		{"registration flags", `{"taskDefinitionArn":"` + tdArn + `","image":"x","autoDeregisterTaskDefinition":true,"matchLatestRevisionInFamily":true}`, ``,
			[]string{"are ignored: image, autoDeregisterTaskDefinition, matchLatestRevisionInFamily"}},
		{"registration flags off ask nothing", `{"taskDefinitionArn":"` + tdArn + `","autoDeregisterTaskDefinition":false,"matchLatestRevisionInFamily":null}`, ``, nil},
		{"registration flags from the defaults", `{"taskDefinitionArn":"` + tdArn + `"}`, `{"autoDeregisterTaskDefinition":true}`, nil},
		{"both taskDefinition and ARN: ARN used, warning", `{"taskDefinitionArn":"` + tdArn + `","taskDefinition":{"family":"x"}}`, ``,
			[]string{"taskDefinition is ignored: taskDefinitionArn is set, and the task definition " + tdArn + " is used as is"}},
		{"defaults' fields are not the job's", `{"taskDefinitionArn":"` + tdArn + `"}`, `{"image":"x","family":"f","taskDefinition":{"family":"f"}}`, nil},
		{"env null cannot unset", `{"taskDefinitionArn":"` + tdArn + `","env":{"A":null,"B":"b"}}`, ``,
			[]string{"env A: null cannot remove a variable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p *job.Prepared
			if tt.defaults != "" {
				p = mustPrepare(t, tt.job, tt.defaults)
			} else {
				p = mustPrepare(t, tt.job)
			}
			require.Len(t, p.Warnings, len(tt.want), "%q", p.Warnings)
			for i, w := range tt.want {
				assert.Contains(t, p.Warnings[i], w)
			}
			assert.Equal(t, tdArn, p.TaskDefinitionArn)
		})
	}
}

func TestTaskDefinitionArnSendsTheRolesAsOverrides(t *testing.T) {
	const taskRole = "arn:aws:iam::123456789012:role/task"
	p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`","executionRoleArn":"`+role+`","taskRoleArn":"`+taskRole+`"}`)
	assert.Equal(t, role, at(t, p.RunRequest, "overrides", "executionRoleArn"), "as Prefect's ECSTask")
	assert.Equal(t, taskRole, at(t, p.RunRequest, "overrides", "taskRoleArn"))
	assert.Empty(t, p.Warnings, "the execution role is not ignored")

	t.Run("from the worker's defaults too", func(t *testing.T) {
		p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`"}`, `{"executionRoleArn":"`+role+`"}`)
		assert.Equal(t, role, at(t, p.RunRequest, "overrides", "executionRoleArn"))
	})
	t.Run("a definition the job prepares carries it itself", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","executionRoleArn":"`+role+`","taskRoleArn":"`+taskRole+`"}`)
		assert.Equal(t, role, p.TaskDefinition["executionRoleArn"])
		assert.False(t, has(t, p.RunRequest, "executionRoleArn", "overrides"))
		assert.Equal(t, taskRole, at(t, p.RunRequest, "overrides", "taskRoleArn"))
	})
}

// described is a task definition as DescribeTaskDefinition returns it.
func described(mutate ...func(*types.TaskDefinition)) *types.TaskDefinition {
	td := &types.TaskDefinition{
		TaskDefinitionArn:       aws.String(tdArn),
		Family:                  aws.String("app"),
		Revision:                7,
		Status:                  types.TaskDefinitionStatusActive,
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Compatibilities:         []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate},
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("app"), Image: aws.String("repo/app:1"), Essential: aws.Bool(true),
				LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
					"awslogs-group": "apps", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "app"}}},
			{Name: aws.String("side"), Image: aws.String("repo/side:1"), Essential: aws.Bool(false)},
		},
	}
	for _, m := range mutate {
		m(td)
	}
	return td
}

func TestResolveAgainstTheDescribedDefinition(t *testing.T) {
	p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`","command":"run","streamOutput":true}`)
	r, err := p.Resolve(described())
	require.NoError(t, err)
	assert.Equal(t, "app", r.ContainerName, "first container by default")
	assert.Equal(t, "repo/app:1", r.Image)
	assert.Equal(t, "awsvpc", r.NetworkMode)
	assert.Equal(t, "apps", r.LogGroup)
	assert.Equal(t, "eu-west-1", r.LogRegion)
	assert.Equal(t, "app", r.LogStreamPrefix)
	assert.Equal(t, "app", at(t, r.RunRequest, "overrides", "containerOverrides", 0, "name"))
	assert.Empty(t, p.ContainerName, "the original is unchanged")

	req, err := job.BuildRunRequest(r, tdArn, nil, "", "")
	require.NoError(t, err)
	requireJSON(t, `[{"name":"app","command":["run"]}]`, at(t, req, "overrides", "containerOverrides"))

	t.Run("unresolved unnamed override cannot be built", func(t *testing.T) {
		_, err := job.BuildRunRequest(p, tdArn, nil, "", "")
		require.Error(t, err)
		assert.Contains(t, err.Error(), "Resolve")
	})
	t.Run("main preferred", func(t *testing.T) {
		r, err := p.Resolve(described(func(td *types.TaskDefinition) {
			td.ContainerDefinitions[1].Name = aws.String("main")
		}))
		require.NoError(t, err)
		assert.Equal(t, "main", r.ContainerName)
		assert.Equal(t, "repo/side:1", r.Image)
	})
	t.Run("named container", func(t *testing.T) {
		p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`","containerName":"side","streamOutput":true}`)
		r, err := p.Resolve(described())
		require.NoError(t, err)
		assert.Equal(t, "side", r.ContainerName)
		assert.Empty(t, r.LogGroup)
		assert.Contains(t, strings.Join(r.Warnings, "\n"), `container "side" has no awslogs`)
	})
}

func TestResolveRefusesAnIncompatibleDefinition(t *testing.T) {
	tests := []struct {
		name, job string
		mutate    func(*types.TaskDefinition)
		field     string
		message   string
	}{
		{"container absent", `{"taskDefinitionArn":"` + tdArn + `","containerName":"web"}`, nil, "containerName", `"web" is not in task definition ` + tdArn},
		{"FARGATE without FARGATE compatibility", `{"taskDefinitionArn":"` + tdArn + `"}`,
			func(td *types.TaskDefinition) {
				td.RequiresCompatibilities = []types.Compatibility{types.CompatibilityEc2}
			},
			"taskDefinitionArn", "does not have FARGATE in requiresCompatibilities"},
		{"FARGATE_SPOT with bridge", `{"taskDefinitionArn":"` + tdArn + `","launchType":"FARGATE_SPOT"}`,
			func(td *types.TaskDefinition) { td.NetworkMode = types.NetworkModeBridge },
			"taskDefinitionArn", `network mode "bridge"`},
		{"FARGATE with no network mode", `{"taskDefinitionArn":"` + tdArn + `"}`,
			func(td *types.TaskDefinition) { td.NetworkMode = "" },
			"taskDefinitionArn", `network mode "bridge"`},
		{"EXTERNAL without FARGATE compatibility (as Prefect)", `{"taskDefinitionArn":"` + tdArn + `","launchType":"EXTERNAL"}`,
			func(td *types.TaskDefinition) {
				td.RequiresCompatibilities = []types.Compatibility{types.CompatibilityExternal}
			},
			"taskDefinitionArn", "cannot run with launch type EXTERNAL"},
		{"capacity provider strategy: the default launch type is checked (as Prefect)", `{"taskDefinitionArn":"` + tdArn + `","capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1}]}`,
			func(td *types.TaskDefinition) {
				td.RequiresCompatibilities = []types.Compatibility{types.CompatibilityEc2}
			},
			"taskDefinitionArn", "cannot run with launch type FARGATE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustPrepare(t, tt.job)
			var m []func(*types.TaskDefinition)
			if tt.mutate != nil {
				m = append(m, tt.mutate)
			}
			_, err := p.Resolve(described(m...))
			var e *job.Error
			require.True(t, errors.As(err, &e), "got %v", err)
			assert.Equal(t, tt.field, e.Field)
			assert.Contains(t, e.Message, tt.message)
		})
	}
	t.Run("EXTERNAL needs no awsvpc", func(t *testing.T) {
		p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`","launchType":"EXTERNAL"}`)
		_, err := p.Resolve(described(func(td *types.TaskDefinition) {
			td.RequiresCompatibilities = []types.Compatibility{types.CompatibilityExternal, types.CompatibilityFargate}
			td.NetworkMode = types.NetworkModeBridge
		}))
		require.NoError(t, err)
	})
	t.Run("EC2 and null accept any definition", func(t *testing.T) {
		for _, lt := range []string{`"EC2"`, `null`} {
			p := mustPrepare(t, `{"taskDefinitionArn":"`+tdArn+`","launchType":`+lt+`}`)
			_, err := p.Resolve(described(func(td *types.TaskDefinition) {
				td.RequiresCompatibilities = nil
				td.NetworkMode = types.NetworkModeBridge
			}))
			require.NoError(t, err)
		}
	})
}

func TestResolveAPreparedDefinition(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","command":"go"}`)
	in, err := job.RegisterInput(p.TaskDefinition)
	require.NoError(t, err)
	r, err := p.Resolve(&types.TaskDefinition{
		TaskDefinitionArn:       aws.String("arn:td:1"),
		ContainerDefinitions:    in.ContainerDefinitions,
		NetworkMode:             in.NetworkMode,
		RequiresCompatibilities: in.RequiresCompatibilities,
	})
	require.NoError(t, err)
	assert.Equal(t, "main", r.ContainerName)
	assert.Equal(t, p.RunRequest, jsonOf(t, r.RunRequest))
}
