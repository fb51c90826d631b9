package job_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// TestInvalidJobIsRefusedBeforeAnyAWSCall pins every validation rule: each
// bad job is an *Error naming the field, found by Prepare alone.
func TestInvalidJobIsRefusedBeforeAnyAWSCall(t *testing.T) {
	const c = `"containerDefinitions":[{"name":"main","image":"x"}]`
	tests := []struct {
		name, job, field, message string
	}{
		{"no image", `{}`, "image", "no default image"},
		{"no image in the base definition", `{"taskDefinition":{"containerDefinitions":[{"name":"main"}]}}`, "image", "set image"},
		{"configureCloudwatchLogs without execution role", `{"image":"x","configureCloudwatchLogs":true}`, "executionRoleArn", "execution role"},
		{"streamOutput without execution role (logs default on)", `{"image":"x","streamOutput":true}`, "executionRoleArn", "logs:CreateLogStream"},
		{"cloudwatchLogsOptions without configureCloudwatchLogs", `{"image":"x","cloudwatchLogsOptions":{"awslogs-group":"g"}}`, "cloudwatchLogsOptions", "needs configureCloudwatchLogs"},
		{"cloudwatchLogsOptions with configureCloudwatchLogs false", `{"image":"x","streamOutput":true,"configureCloudwatchLogs":false,"cloudwatchLogsOptions":{"a":"b"}}`, "cloudwatchLogsOptions", "needs configureCloudwatchLogs"},
		{"networkConfiguration without vpcId", `{"image":"x","networkConfiguration":{"subnets":["subnet-1"]}}`, "networkConfiguration", "needs vpcId"},
		{"networkConfiguration without subnets", `{"image":"x","vpcId":"vpc-1","networkConfiguration":{"subnets":[]}}`, "networkConfiguration.subnets", "at least one subnet"},
		{"networkConfiguration empty subnet", `{"image":"x","vpcId":"vpc-1","networkConfiguration":{"subnets":["a",""]}}`, "networkConfiguration.subnets[1]", "empty"},
		{"networkConfiguration bad assignPublicIp", `{"image":"x","vpcId":"vpc-1","networkConfiguration":{"subnets":["a"],"assignPublicIp":"YES"}}`, "networkConfiguration.assignPublicIp", "must be one of ENABLED, DISABLED"},
		{"containerName absent from the given definition", `{"containerName":"app","taskDefinition":{` + c + `}}`, "containerName", `"app" is not in the task definition`},
		{"containerName absent from an empty definition", `{"image":"x","containerName":"app"}`, "containerName", `"app"`},
		{"FARGATE with network mode bridge", `{"taskDefinition":{"networkMode":"bridge",` + c + `}}`, "taskDefinition.networkMode", "awsvpc"},
		{"FARGATE_SPOT with network mode host", `{"launchType":"FARGATE_SPOT","taskDefinition":{"networkMode":"host",` + c + `}}`, "taskDefinition.networkMode", "FARGATE_SPOT"},
		{"all containers essential false", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","essential":false},{"name":"side","image":"y","essential":false}]}}`, "taskDefinition.containerDefinitions[0].essential", "no container is essential"},
		{"all essential false names the orchestrated container", `{"containerName":"b","taskDefinition":{"containerDefinitions":[{"name":"a","image":"x","essential":false},{"name":"b","image":"y","essential":false}]}}`, "taskDefinition.containerDefinitions[1].essential", "essential"},
		{"bad launchType", `{"image":"x","launchType":"LAMBDA"}`, "launchType", "FARGATE, FARGATE_SPOT, EC2, EXTERNAL"},
		{"lower-case launchType", `{"image":"x","launchType":"fargate"}`, "launchType", "must be one of"},
		{"bad launchType in base request", `{"image":"x","taskRunRequest":{"launchType":"K8S"}}`, "taskRunRequest.launchType", "must be one of"},
		{"negative cpu", `{"image":"x","cpu":-1}`, "cpu", "positive"},
		{"zero memory", `{"image":"x","memory":0}`, "memory", "positive"},
		{"negative start timeout", `{"image":"x","taskStartTimeoutSeconds":-5}`, "taskStartTimeoutSeconds", "positive"},
		{"zero poll interval", `{"image":"x","pollIntervalSeconds":0}`, "pollIntervalSeconds", "positive"},
		{"negative capacity provider weight", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":-1}]}`, "capacityProviderStrategy[0].weight", "between 0 and 1000"},
		{"negative capacity provider base", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1,"base":-1}]}`, "capacityProviderStrategy[0].base", "between"},
		{"capacity provider without name", `{"image":"x","capacityProviderStrategy":[{"weight":1}]}`, "capacityProviderStrategy[0].capacityProvider", "required"},
		{"patch without op", `{"image":"x","taskCustomizations":[{"path":"/a","value":1}]}`, "taskCustomizations[0].op", "required"},
		{"patch with unknown op", `{"image":"x","taskCustomizations":[{"op":"merge","path":"/a","value":1}]}`, "taskCustomizations[0].op", `"merge"`},
		{"patch path not a pointer", `{"image":"x","taskCustomizations":[{"op":"remove","path":"overrides"}]}`, "taskCustomizations[0].path", "JSON Pointer"},
		{"patch bad escape", `{"image":"x","taskCustomizations":[{"op":"remove","path":"/a~2b"}]}`, "taskCustomizations[0].path", "~0"},
		{"add without value", `{"image":"x","taskCustomizations":[{"op":"remove","path":"/a"},{"op":"add","path":"/a"}]}`, "taskCustomizations[1].value", "required"},
		{"move without from", `{"image":"x","taskCustomizations":[{"op":"move","path":"/a","from":"b"}]}`, "taskCustomizations[0].from", "JSON Pointer"},
		{"patches not an array", `{"image":"x","taskCustomizations":{"op":"add"}}`, "taskCustomizations", "array"},
		{"reserved tag prefix", `{"image":"x","labels":{"aws:team":"a"}}`, "labels.aws:team", "reserved"},
		{"empty env name", `{"image":"x","env":{"":"a"}}`, "env", "empty"},
		{"roleArn not an ARN", `{"image":"x","roleArn":"deployer"}`, "roleArn", "IAM role ARN"},
		{"more than one task", `{"image":"x","taskRunRequest":{"count":2}}`, "taskRunRequest.count", "exactly one task"},
		{"two different ARNs", `{"taskDefinitionArn":"arn:a","taskRunRequest":{"taskDefinition":"arn:b"}}`, "taskRunRequest.taskDefinition", "differs"},
		{"family of no valid character", `{"image":"x","family":"***"}`, "family", "[a-zA-Z0-9_-]"},
		{"unnamed sidecar", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x"},{"image":"y"}]}}`, "taskDefinition.containerDefinitions[1].name", "needs a name"},
		{"duplicate container names", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x"},{"name":"main","image":"y"}]}}`, "taskDefinition.containerDefinitions[1].name", "two containers"},
		{"sidecar without image", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x"},{"name":"s"}]}}`, "taskDefinition.containerDefinitions[1].image", "needs an image"},
		{"unparseable task cpu", `{"image":"x","taskDefinition":{"cpu":"lots"}}`, "taskDefinition.cpu", "1 vCPU"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := prepareError(t, tt.job)
			assert.Equal(t, tt.field, e.Field, e.Message)
			assert.Contains(t, e.Message, tt.message)
		})
	}
}

// TestBadEnumValuesInTheBodiesAreRefused pins that the enum-typed fields of
// the base taskDefinition and taskRunRequest take only the values of the
// SDK's enums, checked before any AWS call and named by their path.
func TestBadEnumValuesInTheBodiesAreRefused(t *testing.T) {
	const c = `"containerDefinitions":[{"name":"main","image":"x"`
	tests := []struct {
		name, job, field, message string
	}{
		{"networkMode", `{"taskDefinition":{"networkMode":"awsvcp",` + c + `}]}}`, "taskDefinition.networkMode", `got "awsvcp": did you mean "awsvpc"?`},
		{"requiresCompatibilities", `{"taskDefinition":{"requiresCompatibilities":["FARGATE","LAMBDA"],` + c + `}]}}`, "taskDefinition.requiresCompatibilities[1]", "EC2, FARGATE"},
		{"pidMode", `{"taskDefinition":{"pidMode":"hosts",` + c + `}]}}`, "taskDefinition.pidMode", `did you mean "host"?`},
		{"logDriver", `{"taskDefinition":{` + c + `,"logConfiguration":{"logDriver":"cloudwatch"}}]}}`, "taskDefinition.containerDefinitions[0].logConfiguration.logDriver", "awslogs"},
		{"port protocol", `{"taskDefinition":{` + c + `,"portMappings":[{"containerPort":80,"protocol":"TCP"}]}]}}`, "taskDefinition.containerDefinitions[0].portMappings[0].protocol", `did you mean "tcp"?`},
		{"depends on condition", `{"taskDefinition":{` + c + `,"dependsOn":[{"containerName":"s","condition":"READY"}]}]}}`, "taskDefinition.containerDefinitions[0].dependsOn[0].condition", "HEALTHY"},
		{"launchType in base request", `{"image":"x","taskRunRequest":{"launchType":"fargate"}}`, "taskRunRequest.launchType", `did you mean "FARGATE"?`},
		{"propagateTags", `{"image":"x","taskRunRequest":{"propagateTags":"TASK"}}`, "taskRunRequest.propagateTags", "TASK_DEFINITION"},
		{"assignPublicIp in base request", `{"image":"x","taskRunRequest":{"networkConfiguration":{"awsvpcConfiguration":{"subnets":["s"],"assignPublicIp":"yes"}}}}`, "taskRunRequest.networkConfiguration.awsvpcConfiguration.assignPublicIp", "ENABLED, DISABLED"},
		{"placement strategy", `{"image":"x","taskRunRequest":{"placementStrategy":[{"type":"spreads"}]}}`, "taskRunRequest.placementStrategy[0].type", `did you mean "spread"?`},
		{"in the worker's defaults too", `{"image":"x"}`, "taskDefinition.networkMode", "worker's job defaults"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var e *job.Error
			if tt.name == "in the worker's defaults too" {
				e = prepareError(t, tt.job, `{"taskDefinition":{"networkMode":"awsvcp"}}`)
			} else {
				e = prepareError(t, tt.job)
			}
			assert.Equal(t, tt.field, e.Field, e.Message)
			assert.Contains(t, e.Message, tt.message)
		})
	}
}

func TestBadEnumValueFromTaskCustomizationsIsRefused(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","taskCustomizations":[{"op":"add","path":"/propagateTags","value":"ALL"}]}`)
	_, err := job.BuildRunRequest(p, "arn:td", nil, "", "")
	var e *job.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "taskCustomizations", e.Field)
	assert.Contains(t, e.Message, "propagateTags")
}

func TestValidJobsThatLookInvalid(t *testing.T) {
	tests := []struct{ name, job string }{
		{"execution role from the base definition", `{"image":"x","streamOutput":true,"taskDefinition":{"executionRoleArn":"` + role + `"}}`},
		{"logs with a task definition ARN need no role", `{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:1:task-definition/f:1","streamOutput":true}`},
		{"streamOutput with logs off", `{"image":"x","streamOutput":true,"configureCloudwatchLogs":false}`},
		{"image only from the base definition", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x"}]}}`},
		{"no image with an ARN", `{"taskDefinitionArn":"f:1"}`},
		{"one essential container is enough", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","essential":false},{"name":"s","image":"y"}]}}`},
		{"EC2 with bridge", `{"launchType":"EC2","taskDefinition":{"networkMode":"bridge","containerDefinitions":[{"name":"main","image":"x"}]}}`},
		{"count 1", `{"image":"x","taskRunRequest":{"count":1}}`},
		{"same ARN twice", `{"taskDefinitionArn":"arn:a","taskRunRequest":{"taskDefinition":"arn:a"}}`},
		{"FARGATE_SPOT in the base request", `{"image":"x","taskRunRequest":{"launchType":"FARGATE_SPOT"}}`},
		{"enum values as the SDK spells them", `{"image":"x","launchType":"EC2","taskDefinition":{"networkMode":"bridge","requiresCompatibilities":["EC2"],"containerDefinitions":[{"name":"main","image":"x","portMappings":[{"containerPort":80,"protocol":"udp"}],"logConfiguration":{"logDriver":"json-file"}}]},"taskRunRequest":{"propagateTags":"TASK_DEFINITION","placementStrategy":[{"type":"spread","field":"instanceId"}]}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mustPrepare(t, tt.job)
		})
	}
}

func TestAwslogsNeedARegion(t *testing.T) {
	raw := []byte(`{"image":"x","streamOutput":true,"executionRoleArn":"` + role + `"}`)
	_, err := job.Prepare(raw, job.PrepareOptions{})
	var e *job.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "region", e.Field)

	p, err := job.Prepare(raw, job.PrepareOptions{Region: "us-east-2"})
	require.NoError(t, err)
	assert.Equal(t, "us-east-2", p.LogRegion)

	p, err = job.Prepare([]byte(`{"image":"x","streamOutput":true,"executionRoleArn":"`+role+`","region":"ap-south-1"}`), job.PrepareOptions{Region: "us-east-2"})
	require.NoError(t, err)
	assert.Equal(t, "ap-south-1", p.LogRegion, "the job's region wins")
	assert.Equal(t, "ap-south-1", p.Region)
}
