package ecslocal_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// assertAPIError checks that err is the modelled ECS exception code with a
// message containing want.
func assertAPIError(t *testing.T, err error, code, want string) {
	t.Helper()
	require.Error(t, err)
	var apiErr smithy.APIError
	require.True(t, errors.As(err, &apiErr), "%v is not an API error", err)
	assert.Equal(t, code, apiErr.ErrorCode(), apiErr.ErrorMessage())
	assert.Contains(t, apiErr.ErrorMessage(), want)
	switch code {
	case "ClientException":
		var e *types.ClientException
		assert.ErrorAs(t, err, &e)
	case "InvalidParameterException":
		var e *types.InvalidParameterException
		assert.ErrorAs(t, err, &e)
	case "ClusterNotFoundException":
		var e *types.ClusterNotFoundException
		assert.ErrorAs(t, err, &e)
	}
}

func TestRegisterTaskDefinitionValidation(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	ok := func() *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{
			Family:                  aws.String("valid"),
			RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
			NetworkMode:             types.NetworkModeAwsvpc,
			Cpu:                     aws.String("1024"),
			Memory:                  aws.String("2048"),
			ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("busybox")}},
		}
	}
	_, err := e.ecs.RegisterTaskDefinition(e.ctx, ok())
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		modify func(*ecs.RegisterTaskDefinitionInput)
		code   string
		want   string
	}{
		{"family with a slash", func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String("a/b") }, "ClientException", "Family"},
		{"family too long", func(in *ecs.RegisterTaskDefinitionInput) { in.Family = aws.String(strings.Repeat("f", 256)) }, "ClientException", "Family"},
		{"no containers", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions = []types.ContainerDefinition{} }, "ClientException", "containerDefinitions"},
		{"container without name", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Name = nil }, "ClientException", "Container.name"},
		{"container without image", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Image = aws.String("") }, "ClientException", "Container.image"},
		{"duplicate container names", func(in *ecs.RegisterTaskDefinitionInput) {
			in.ContainerDefinitions = append(in.ContainerDefinitions, in.ContainerDefinitions[0])
		}, "ClientException", "Duplicate container name"},
		{"no essential container", func(in *ecs.RegisterTaskDefinitionInput) { in.ContainerDefinitions[0].Essential = aws.Bool(false) }, "ClientException", "essential"},
		{"fargate with bridge", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = types.NetworkModeBridge }, "ClientException", "awsvpc"},
		{"fargate without network mode", func(in *ecs.RegisterTaskDefinitionInput) { in.NetworkMode = "" }, "ClientException", "awsvpc"},
		{"fargate without cpu", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu = nil }, "ClientException", "'cpu'"},
		{"fargate without memory", func(in *ecs.RegisterTaskDefinitionInput) { in.Memory = nil }, "ClientException", "'memory'"},
		{"fargate 256 cpu with 4 GB", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu, in.Memory = aws.String("256"), aws.String("4096") }, "ClientException", "No Fargate configuration exists for given values: 256 CPU, 4096 memory"},
		{"fargate 1 vCPU with 1 GB", func(in *ecs.RegisterTaskDefinitionInput) {
			in.Cpu, in.Memory = aws.String("1 vCPU"), aws.String("1 GB")
		}, "ClientException", "2048 to 8192 MiB"},
		{"fargate unknown cpu", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu = aws.String("300") }, "ClientException", "256, 512, 1024"},
		{"fargate 8 vCPU off-step memory", func(in *ecs.RegisterTaskDefinitionInput) { in.Cpu, in.Memory = aws.String("8192"), aws.String("17408") }, "ClientException", "steps of 4096"},
		{"ec2 container without memory", func(in *ecs.RegisterTaskDefinitionInput) {
			in.RequiresCompatibilities, in.Memory = nil, nil
		}, "ClientException", "'memory' or 'memoryReservation'"},
		{"too many tags", func(in *ecs.RegisterTaskDefinitionInput) {
			for i := range 51 {
				in.Tags = append(in.Tags, types.Tag{Key: aws.String(strings.Repeat("k", i+1)), Value: aws.String("v")})
			}
		}, "InvalidParameterException", "at most 50"},
		{"tag key too long", func(in *ecs.RegisterTaskDefinitionInput) {
			in.Tags = []types.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}
		}, "InvalidParameterException", "longer than 128"},
		{"tag value too long", func(in *ecs.RegisterTaskDefinitionInput) {
			in.Tags = []types.Tag{{Key: aws.String("k"), Value: aws.String(strings.Repeat("v", 257))}}
		}, "InvalidParameterException", "longer than 256"},
		{"aws: tag prefix", func(in *ecs.RegisterTaskDefinitionInput) {
			in.Tags = []types.Tag{{Key: aws.String("aws:owner"), Value: aws.String("v")}}
		}, "InvalidParameterException", "aws:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.modify(in)
			_, err := e.ecs.RegisterTaskDefinition(e.ctx, in)
			assertAPIError(t, err, tc.code, tc.want)
		})
	}

	// Every valid Fargate size registers.
	for cpu, memories := range map[string][]string{
		"256": {"512", "1024", "2048"}, "512": {"1024", "4096"}, "1024": {"2048", "8192"}, "2048": {"4096", "16384"},
		"4096": {"8192", "30720"}, "8192": {"16384", "61440"}, "16384": {"32768", "122880"}, "0.5 vCPU": {"3 GB"},
	} {
		for _, memory := range memories {
			in := ok()
			in.Cpu, in.Memory = aws.String(cpu), aws.String(memory)
			_, err := e.ecs.RegisterTaskDefinition(e.ctx, in)
			assert.NoError(t, err, "cpu %s memory %s", cpu, memory)
		}
	}
}

func TestRunTaskValidation(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("ec2", container("app", "true"))
	e.fargateDef("fg", "true")
	subnets := e.subnets()
	awsvpc := func(subnets ...string) *types.NetworkConfiguration {
		return &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: subnets}}
	}
	for _, tc := range []struct {
		name string
		in   ecs.RunTaskInput
		code string
		want string
	}{
		{"unknown cluster", ecs.RunTaskInput{Cluster: aws.String("nope"), TaskDefinition: aws.String("ec2")}, "ClusterNotFoundException", "nope"},
		{"unknown family", ecs.RunTaskInput{TaskDefinition: aws.String("nope")}, "ClientException", "nope"},
		{"unknown revision", ecs.RunTaskInput{TaskDefinition: aws.String("ec2:9")}, "ClientException", "ec2:9"},
		{"count 0", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), Count: aws.Int32(0)}, "InvalidParameterException", "count"},
		{"count 11", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), Count: aws.Int32(11)}, "InvalidParameterException", "count"},
		{"launch type and capacity providers", ecs.RunTaskInput{
			TaskDefinition: aws.String("fg"), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc(subnets[0]),
			CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE")}},
		}, "InvalidParameterException", "launchType and capacityProviderStrategy"},
		{"unknown capacity provider", ecs.RunTaskInput{
			TaskDefinition: aws.String("fg"), NetworkConfiguration: awsvpc(subnets[0]),
			CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("MY_ASG")}},
		}, "InvalidParameterException", "MY_ASG"},
		{"fargate launch of an EC2 definition", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), LaunchType: types.LaunchTypeFargate}, "InvalidParameterException", "FARGATE"},
		{"awsvpc without network configuration", ecs.RunTaskInput{TaskDefinition: aws.String("fg"), LaunchType: types.LaunchTypeFargate}, "InvalidParameterException", "Network Configuration must be provided"},
		{"awsvpc without subnets", ecs.RunTaskInput{TaskDefinition: aws.String("fg"), NetworkConfiguration: awsvpc([]string{}...)}, "InvalidParameterException", "subnets can not be empty"},
		{"unknown subnet", ecs.RunTaskInput{TaskDefinition: aws.String("fg"), NetworkConfiguration: awsvpc("subnet-0000000000000dead")}, "InvalidParameterException", "subnet-0000000000000dead"},
		{"unknown security group", ecs.RunTaskInput{TaskDefinition: aws.String("fg"), NetworkConfiguration: &types.NetworkConfiguration{
			AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: subnets[:1], SecurityGroups: []string{"sg-0000000000000dead"}},
		}}, "InvalidParameterException", "sg-0000000000000dead"},
		{"awsvpc configuration for bridge", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), NetworkConfiguration: awsvpc(subnets[0])}, "InvalidParameterException", "networkMode"},
		{"override of an unknown container", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), Overrides: &types.TaskOverride{
			ContainerOverrides: []types.ContainerOverride{{Name: aws.String("ghost")}},
		}}, "InvalidParameterException", "ghost"},
		{"overrides too long", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), Overrides: &types.TaskOverride{
			ContainerOverrides: []types.ContainerOverride{{Name: aws.String("app"), Command: []string{strings.Repeat("x", 9000)}}},
		}}, "InvalidParameterException", "8192"},
		{"fargate size override", ecs.RunTaskInput{TaskDefinition: aws.String("fg"), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc(subnets[0]),
			Overrides: &types.TaskOverride{Memory: aws.String("8192")}}, "ClientException", "No Fargate configuration"},
		{"aws: tag", ecs.RunTaskInput{TaskDefinition: aws.String("ec2"), Tags: []types.Tag{{Key: aws.String("aws:x"), Value: aws.String("y")}}}, "InvalidParameterException", "aws:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.ecs.RunTask(e.ctx, &tc.in)
			assertAPIError(t, err, tc.code, tc.want)
		})
	}
	out, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped})
	require.NoError(t, err)
	running, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{})
	require.NoError(t, err)
	assert.Empty(t, append(out.TaskArns, running.TaskArns...), "no rejected RunTask launched a task")
}

func TestNoDefaultVPC(t *testing.T) {
	e := newEnv(t, ecslocal.Options{NoDefaultVPC: true})
	e.fargateDef("fg", "true")
	_, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("fg"), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}})
	assertAPIError(t, err, "InvalidParameterException", "subnet-1")
}
