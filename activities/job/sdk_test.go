package job_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestRegisterInputKeepsNestedFieldsEnumsAndInt32Pointers(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","launchType":"EC2","cpu":256,"memory":512,"executionRoleArn":"`+role+`","streamOutput":true,
		"taskDefinition":{"networkMode":"bridge","tags":[{"key":"k","value":"v"}],"volumes":[{"name":"v","efsVolumeConfiguration":{"fileSystemId":"fs-1","transitEncryption":"ENABLED"}}],
		"containerDefinitions":[{"name":"main","image":"old","essential":false,"portMappings":[{"containerPort":80,"hostPort":0,"protocol":"udp"}],
			"healthCheck":{"command":["CMD","true"],"retries":3},"linuxParameters":{"initProcessEnabled":true}},{"name":"s","image":"s"}]}}`)
	in, err := job.RegisterInput(p.TaskDefinition)
	require.NoError(t, err)
	assert.Equal(t, "temporal-ecs", aws.ToString(in.Family))
	assert.Equal(t, types.NetworkModeBridge, in.NetworkMode)
	assert.Equal(t, role, aws.ToString(in.ExecutionRoleArn))
	require.Len(t, in.ContainerDefinitions, 2)
	c := in.ContainerDefinitions[0]
	assert.Equal(t, "x", aws.ToString(c.Image))
	assert.Equal(t, int32(256), c.Cpu)
	assert.Equal(t, aws.Int32(512), c.Memory)
	assert.Equal(t, aws.Bool(false), c.Essential)
	assert.Equal(t, types.TransportProtocolUdp, c.PortMappings[0].Protocol)
	assert.Equal(t, aws.Int32(80), c.PortMappings[0].ContainerPort)
	assert.Equal(t, aws.Int32(0), c.PortMappings[0].HostPort)
	assert.Equal(t, aws.Int32(3), c.HealthCheck.Retries)
	assert.Equal(t, aws.Bool(true), c.LinuxParameters.InitProcessEnabled)
	assert.Equal(t, types.LogDriverAwslogs, c.LogConfiguration.LogDriver)
	assert.Equal(t, "temporal-ecs", c.LogConfiguration.Options["awslogs-group"])
	assert.Equal(t, types.EFSTransitEncryptionEnabled, in.Volumes[0].EfsVolumeConfiguration.TransitEncryption)
	assert.Equal(t, "k", aws.ToString(in.Tags[0].Key))
}

func TestRunTaskInputKeepsNestedFieldsEnumsAndInt32Pointers(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","command":"a b","cpu":256,"memory":512,"env":{"A":"1"},"labels":{"l":"v"},"cluster":"c",
		"capacityProviderStrategy":[{"capacityProvider":"cp","weight":2,"base":1}],"taskRoleArn":"arn:aws:iam::1:role/t",
		"taskRunRequest":{"enableExecuteCommand":true,"propagateTags":"TASK_DEFINITION"}}`)
	n, err := job.InferredNetwork("vpc", []string{"s-1"})
	require.NoError(t, err)
	req, err := job.BuildRunRequest(p, "td:1", n, "tok", "wf")
	require.NoError(t, err)
	in, err := job.RunTaskInput(req)
	require.NoError(t, err)
	assert.Equal(t, "td:1", aws.ToString(in.TaskDefinition))
	assert.Equal(t, "c", aws.ToString(in.Cluster))
	assert.Equal(t, "tok", aws.ToString(in.ClientToken))
	assert.Equal(t, "wf", aws.ToString(in.StartedBy))
	assert.Equal(t, types.LaunchType(""), in.LaunchType)
	assert.Equal(t, []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("cp"), Weight: 2, Base: 1}}, in.CapacityProviderStrategy)
	assert.Equal(t, types.PropagateTagsTaskDefinition, in.PropagateTags)
	assert.True(t, in.EnableExecuteCommand)
	assert.Equal(t, types.AssignPublicIpEnabled, in.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp)
	assert.Equal(t, []string{"s-1"}, in.NetworkConfiguration.AwsvpcConfiguration.Subnets)
	assert.Equal(t, "256", aws.ToString(in.Overrides.Cpu))
	assert.Equal(t, "512", aws.ToString(in.Overrides.Memory))
	assert.Equal(t, "arn:aws:iam::1:role/t", aws.ToString(in.Overrides.TaskRoleArn))
	co := in.Overrides.ContainerOverrides[0]
	assert.Equal(t, "main", aws.ToString(co.Name))
	assert.Equal(t, []string{"a", "b"}, co.Command)
	assert.Equal(t, aws.Int32(256), co.Cpu)
	assert.Equal(t, aws.Int32(512), co.Memory)
	assert.Equal(t, []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("1")}}, co.Environment)
	assert.Equal(t, []types.Tag{{Key: aws.String("l"), Value: aws.String("v")}}, in.Tags)
}

func TestLaunchTypeEnumSurvivesConversion(t *testing.T) {
	for _, lt := range []types.LaunchType{types.LaunchTypeFargate, types.LaunchTypeEc2, types.LaunchTypeExternal} {
		p := mustPrepare(t, `{"image":"x","launchType":"`+string(lt)+`"}`)
		req, err := job.BuildRunRequest(p, "td", nil, "", "")
		require.NoError(t, err)
		in, err := job.RunTaskInput(req)
		require.NoError(t, err)
		assert.Equal(t, lt, in.LaunchType)
	}
}

func TestWireMapUsesECSCasing(t *testing.T) {
	m := job.WireMap(&types.TaskDefinition{
		TaskDefinitionArn:    aws.String("arn"),
		Volumes:              []types.Volume{{FsxWindowsFileServerVolumeConfiguration: &types.FSxWindowsFileServerVolumeConfiguration{FileSystemId: aws.String("fs")}}},
		ContainerDefinitions: []types.ContainerDefinition{{DockerLabels: map[string]string{"Com.Example": "x"}}},
	})
	assert.Equal(t, "arn", m["taskDefinitionArn"])
	assert.Equal(t, "fs", at(t, m, "volumes", 0, "fsxWindowsFileServerVolumeConfiguration", "fileSystemId"))
	assert.Equal(t, "x", at(t, m, "containerDefinitions", 0, "dockerLabels", "Com.Example"), "map keys are data, kept as is")
	assert.Nil(t, m["taskRoleArn"])
}
