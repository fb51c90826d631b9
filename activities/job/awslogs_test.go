package job_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestAwslogsOf(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","streamOutput":true,"executionRoleArn":"`+role+`","cloudwatchLogsPrefix":"jobs"}`)
	td := described()
	tests := []struct {
		name                  string
		def                   any
		container             string
		group, region, prefix string
		ok                    bool
	}{
		{"prepared body, default container", p.TaskDefinition, "", "temporal-ecs", testRegion, "jobs", true},
		{"prepared body, named container", p.TaskDefinition, "main", "temporal-ecs", testRegion, "jobs", true},
		{"described pointer, default container", td, "", "apps", "eu-west-1", "app", true},
		{"described value", *td, "app", "apps", "eu-west-1", "app", true},
		{"container without awslogs", td, "side", "", "", "", false},
		{"missing container", td, "nope", "", "", "", false},
		{"nil definition", (*types.TaskDefinition)(nil), "", "", "", "", false},
		{"unsupported type", "arn", "", "", "", "", false},
		{"other driver", &types.TaskDefinition{ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("main"),
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverSplunk, Options: map[string]string{"awslogs-group": "g"}}}}}, "", "", "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, r, pr, ok := job.AwslogsOf(tt.def, tt.container)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.group, g)
			assert.Equal(t, tt.region, r)
			assert.Equal(t, tt.prefix, pr)
		})
	}
}

func TestContainerNameOf(t *testing.T) {
	assert.Equal(t, "app", job.ContainerNameOf(described(), ""))
	assert.Equal(t, "side", job.ContainerNameOf(described(), "side"))
	assert.Equal(t, "main", job.ContainerNameOf(&types.TaskDefinition{}, ""))
	assert.Equal(t, "main", job.ContainerNameOf(map[string]any{"containerDefinitions": []any{
		map[string]any{"name": "a"}, map[string]any{"name": "main"}}}, ""))
}
