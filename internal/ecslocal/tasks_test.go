package ecslocal_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// fargateDef registers a Fargate-compatible family running args.
func (e *env) fargateDef(family string, args ...string) {
	e.t.Helper()
	c := container("app", args...)
	c.Memory = nil
	_, err := e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String(family),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode:             types.NetworkModeAwsvpc,
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions:    []types.ContainerDefinition{c},
	})
	require.NoError(e.t, err)
}

// subnets returns the ids of the default VPC's subnets, found through EC2.
func (e *env) subnets() []string {
	e.t.Helper()
	out, err := e.ec2.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{})
	require.NoError(e.t, err)
	var ids []string
	for _, s := range out.Subnets {
		ids = append(ids, aws.ToString(s.SubnetId))
	}
	require.NotEmpty(e.t, ids)
	return ids
}

func TestFargateTaskInDefaultVPC(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.fargateDef("fg", "echo", "on fargate")
	subnets := e.subnets()
	for _, in := range []*ecs.RunTaskInput{
		{LaunchType: types.LaunchTypeFargate},
		{CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}}},
	} {
		in.TaskDefinition = aws.String("fg")
		in.NetworkConfiguration = &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{
			Subnets: subnets[:1], AssignPublicIp: types.AssignPublicIpEnabled,
		}}
		task := e.run(in)
		assert.Equal(t, types.LaunchTypeFargate, task.LaunchType)
		assert.Equal(t, "256", aws.ToString(task.Cpu))
		assert.Equal(t, "512", aws.ToString(task.Memory))
		require.Len(t, task.Attachments, 1)
		assert.Equal(t, "ElasticNetworkInterface", aws.ToString(task.Attachments[0].Type))
		assert.Contains(t, task.Attachments[0].Details, types.KeyValuePair{Name: aws.String("subnetId"), Value: aws.String(subnets[0])})
		if in.CapacityProviderStrategy != nil {
			assert.Equal(t, "FARGATE_SPOT", aws.ToString(task.CapacityProviderName))
		}
		done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
		assert.Equal(t, int32(0), aws.ToInt32(done.Containers[0].ExitCode))
	}
}

func TestListTasks(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("sleeper", container("app", "sleep", "30"))
	e.register("quick", container("app", "true"))
	var sleeping []string
	for i := range 5 {
		task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("sleeper"), StartedBy: aws.String(fmt.Sprint("by-", i%2))})
		sleeping = append(sleeping, aws.ToString(task.TaskArn))
	}
	quick := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("quick")})
	e.waitStatus(aws.ToString(quick.TaskArn), "STOPPED")

	list := func(in *ecs.ListTasksInput) []string {
		var arns []string
		p := ecs.NewListTasksPaginator(e.ecs, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			require.NoError(t, err)
			arns = append(arns, out.TaskArns...)
		}
		return arns
	}
	assert.Equal(t, sleeping, list(&ecs.ListTasksInput{MaxResults: aws.Int32(2)}))
	assert.Equal(t, sleeping, list(&ecs.ListTasksInput{Family: aws.String("sleeper")}))
	assert.Equal(t, []string{sleeping[1], sleeping[3]}, list(&ecs.ListTasksInput{StartedBy: aws.String("by-1")}))
	assert.Equal(t, []string{aws.ToString(quick.TaskArn)}, list(&ecs.ListTasksInput{DesiredStatus: types.DesiredStatusStopped}))
	assert.Empty(t, list(&ecs.ListTasksInput{Family: aws.String("nope")}))

	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{Cluster: aws.String("nope")})
	var cnf *types.ClusterNotFoundException
	require.ErrorAs(t, err, &cnf)
}

func TestDescribeTasksFailuresAndLimits(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("quick", container("app", "true"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("quick")})
	unknown := "arn:aws:ecs:us-east-1:000000000000:task/default/0123456789abcdef0123456789abcdef"
	out, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(task.TaskArn), unknown, taskID(aws.ToString(task.TaskArn))}})
	require.NoError(t, err)
	require.Len(t, out.Tasks, 2, "by ARN and by id")
	require.Len(t, out.Failures, 1)
	assert.Equal(t, unknown, aws.ToString(out.Failures[0].Arn))
	assert.Equal(t, "MISSING", aws.ToString(out.Failures[0].Reason))

	tooMany := make([]string, 101)
	for i := range tooMany {
		tooMany[i] = aws.ToString(task.TaskArn)
	}
	_, err = e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: tooMany})
	var ipe *types.InvalidParameterException
	require.ErrorAs(t, err, &ipe)

	_, err = e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(unknown)})
	require.ErrorAs(t, err, &ipe)
}

func TestTasksInAnotherCluster(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	_, err := e.ecs.CreateCluster(e.ctx, &ecs.CreateClusterInput{ClusterName: aws.String("other")})
	require.NoError(t, err)
	e.register("sleeper", container("app", "sleep", "30"))
	out, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{Cluster: aws.String("other"), TaskDefinition: aws.String("sleeper"), Count: aws.Int32(3)})
	require.NoError(t, err)
	require.Len(t, out.Tasks, 3)
	arn := aws.ToString(out.Tasks[0].TaskArn)
	assert.Contains(t, arn, ":task/other/")

	missing, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}})
	require.NoError(t, err)
	assert.Empty(t, missing.Tasks, "not in the default cluster")
	found, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Cluster: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/other"), Tasks: []string{arn}})
	require.NoError(t, err)
	require.Len(t, found.Tasks, 1)

	clusters, err := e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{Clusters: []string{"other"}})
	require.NoError(t, err)
	c := clusters.Clusters[0]
	assert.Equal(t, int32(3), c.RunningTasksCount+c.PendingTasksCount)
}

func TestRunTaskGroup(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("grouped", container("app", "sleep", "30"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("grouped"), Group: aws.String("nightly-batch")})
	assert.Equal(t, "nightly-batch", aws.ToString(task.Group))
	assert.Equal(t, "nightly-batch", aws.ToString(e.describe(aws.ToString(task.TaskArn)).Group))

	other := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("grouped")})
	assert.Equal(t, "family:grouped", aws.ToString(e.describe(aws.ToString(other.TaskArn)).Group), "without a group, ECS uses family:<family>")
}
