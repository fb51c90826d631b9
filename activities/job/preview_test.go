package job_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func preview(t *testing.T, raw string, o job.PrepareOptions) *job.PreviewResult {
	t.Helper()
	r, err := job.Preview([]byte(raw), o)
	require.NoError(t, err)
	return r
}

func TestPreviewPlaceholders(t *testing.T) {
	r := preview(t, `{"image":"busybox","command":"echo hi","cpu":512,"labels":{"team":"data"}}`, job.PrepareOptions{Region: "eu-west-1"})
	requireJSON(t, `{
		"family":"temporal-ecs","cpu":"512","memory":"2048","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],
		"containerDefinitions":[{"name":"main","image":"busybox"}]
	}`, r.TaskDefinition)
	requireJSON(t, `{
		"launchType":"FARGATE",
		"taskDefinition":"<registered at runtime>",
		"networkConfiguration":{"awsvpcConfiguration":{"subnets":["<loaded from the default VPC at runtime>"],"assignPublicIp":"ENABLED"}},
		"overrides":{"cpu":"512","containerOverrides":[{"name":"main","command":["echo","hi"],"cpu":512}]},
		"tags":[{"key":"team","value":"data"}]
	}`, r.TaskRunRequest)
	assert.NotContains(t, r.TaskRunRequest, "clientToken")
	assert.NotContains(t, r.TaskRunRequest, "startedBy")
}

func TestPreviewNetworkWording(t *testing.T) {
	r := preview(t, `{"image":"x","vpcId":"vpc-123"}`, job.PrepareOptions{Region: "eu-west-1"})
	requireJSON(t, `["<loaded from VPC vpc-123 at runtime>"]`, at(t, r.TaskRunRequest, "networkConfiguration", "awsvpcConfiguration", "subnets"))

	r = preview(t, `{"image":"x","vpcId":"vpc-123","networkConfiguration":{"subnets":["s-1"],"assignPublicIp":"DISABLED"}}`, job.PrepareOptions{})
	requireJSON(t, `{"awsvpcConfiguration":{"subnets":["s-1"],"assignPublicIp":"DISABLED"}}`, r.TaskRunRequest["networkConfiguration"])

	r = preview(t, `{"image":"x","launchType":"EC2"}`, job.PrepareOptions{})
	assert.NotContains(t, r.TaskRunRequest, "networkConfiguration", "bridge needs no network")
}

func TestPreviewWithoutRegionUsesAPlaceholder(t *testing.T) {
	r := preview(t, `{"image":"x","streamOutput":true,"executionRoleArn":"`+role+`"}`, job.PrepareOptions{})
	assert.Equal(t, "<the worker's region>", at(t, r.TaskDefinition, "containerDefinitions", 0, "logConfiguration", "options", "awslogs-region"))
}

func TestPreviewWithTaskDefinitionArn(t *testing.T) {
	r := preview(t, `{"taskDefinitionArn":"`+tdArn+`","image":"ignored","command":"run"}`, job.PrepareOptions{})
	assert.Nil(t, r.TaskDefinition)
	assert.Equal(t, tdArn, r.TaskRunRequest["taskDefinition"])
	assert.Equal(t, "<the task definition's container, known at runtime>", at(t, r.TaskRunRequest, "overrides", "containerOverrides", 0, "name"))
	assert.NotContains(t, r.TaskRunRequest, "networkConfiguration")
	w := strings.Join(r.Warnings, "\n")
	assert.Contains(t, w, "ignored: image")
	assert.Contains(t, w, "network mode of "+tdArn)

	b, err := json.Marshal(r)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"taskDefinition":null`)
}

func TestPreviewAppliesCustomizationsAndReportsTheirErrors(t *testing.T) {
	r := preview(t, `{"image":"x","taskCustomizations":[{"op":"replace","path":"/networkConfiguration/awsvpcConfiguration/assignPublicIp","value":"DISABLED"}]}`, job.PrepareOptions{})
	assert.Equal(t, "DISABLED", at(t, r.TaskRunRequest, "networkConfiguration", "awsvpcConfiguration", "assignPublicIp"))

	_, err := job.Preview([]byte(`{"image":"x","taskCustomizations":[{"op":"remove","path":"/nope"}]}`), job.PrepareOptions{})
	var e *job.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "taskCustomizations[0]", e.Field)
}

func TestPreviewRefusesAnInvalidJob(t *testing.T) {
	_, err := job.Preview([]byte(`{"command":"x"}`), job.PrepareOptions{})
	var e *job.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "image", e.Field)
}
