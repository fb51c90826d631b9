package ecslocal_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestClusters(t *testing.T) {
	e := newEnv(t, ecslocal.Options{Region: "eu-west-1", AccountID: "123456789012"})
	out, err := e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{})
	require.NoError(t, err)
	require.Len(t, out.Clusters, 1)
	assert.Equal(t, "arn:aws:ecs:eu-west-1:123456789012:cluster/default", aws.ToString(out.Clusters[0].ClusterArn))
	assert.Equal(t, "ACTIVE", aws.ToString(out.Clusters[0].Status))

	created, err := e.ecs.CreateCluster(e.ctx, &ecs.CreateClusterInput{
		ClusterName: aws.String("jobs"), Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
		CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"},
	})
	require.NoError(t, err)
	assert.Equal(t, "jobs", aws.ToString(created.Cluster.ClusterName))
	again, err := e.ecs.CreateCluster(e.ctx, &ecs.CreateClusterInput{ClusterName: aws.String("jobs")})
	require.NoError(t, err, "CreateCluster is idempotent")
	assert.Equal(t, created.Cluster.ClusterArn, again.Cluster.ClusterArn)

	out, err = e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{
		Clusters: []string{"jobs", "arn:aws:ecs:eu-west-1:123456789012:cluster/default", "nope"},
		Include:  []types.ClusterField{types.ClusterFieldTags},
	})
	require.NoError(t, err)
	require.Len(t, out.Clusters, 2)
	assert.Equal(t, []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}, out.Clusters[0].Tags)
	require.Len(t, out.Failures, 1)
	assert.Equal(t, "MISSING", aws.ToString(out.Failures[0].Reason))
	assert.Equal(t, "arn:aws:ecs:eu-west-1:123456789012:cluster/nope", aws.ToString(out.Failures[0].Arn))
}

func TestTaskDefinitionRevisions(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	reg, err := e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("web"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode:             types.NetworkModeAwsvpc,
		Cpu:                     aws.String("256"),
		Memory:                  aws.String("512"),
		ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"), Command: []string{"true"}}},
		Tags:                    []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}},
	})
	require.NoError(t, err)
	td := reg.TaskDefinition
	assert.Equal(t, "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1", aws.ToString(td.TaskDefinitionArn))
	assert.Equal(t, int32(1), td.Revision)
	assert.Equal(t, types.TaskDefinitionStatusActive, td.Status)
	assert.ElementsMatch(t, []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate}, td.Compatibilities)
	assert.True(t, aws.ToBool(td.ContainerDefinitions[0].Essential), "essential defaults to true")
	assert.NotNil(t, td.RegisteredAt)
	assert.Equal(t, []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}}, reg.Tags)

	e.register("web", container("app", "true"))
	e.register("web", container("app", "true"))

	for ref, rev := range map[string]int32{
		"web": 3, "web:1": 1, "web:2": 2,
		"arn:aws:ecs:us-east-1:000000000000:task-definition/web:1": 1,
	} {
		out, err := e.ecs.DescribeTaskDefinition(e.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(ref)})
		require.NoError(t, err, ref)
		assert.Equal(t, rev, out.TaskDefinition.Revision, ref)
		assert.Nil(t, out.Tags, "tags only when asked for")
	}
	withTags, err := e.ecs.DescribeTaskDefinition(e.ctx, &ecs.DescribeTaskDefinitionInput{
		TaskDefinition: aws.String("web:1"), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags},
	})
	require.NoError(t, err)
	assert.Equal(t, reg.Tags, withTags.Tags)
	assert.Equal(t, reg.TaskDefinition.ContainerDefinitions, withTags.TaskDefinition.ContainerDefinitions)

	// Deregistering the latest makes the family resolve to the one before;
	// the INACTIVE revision stays describable by revision and ARN.
	dereg, err := e.ecs.DeregisterTaskDefinition(e.ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("web:3")})
	require.NoError(t, err)
	assert.Equal(t, types.TaskDefinitionStatusInactive, dereg.TaskDefinition.Status)
	assert.NotNil(t, dereg.TaskDefinition.DeregisteredAt)
	out, err := e.ecs.DescribeTaskDefinition(e.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web")})
	require.NoError(t, err)
	assert.Equal(t, int32(2), out.TaskDefinition.Revision)
	out, err = e.ecs.DescribeTaskDefinition(e.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("arn:aws:ecs:us-east-1:000000000000:task-definition/web:3")})
	require.NoError(t, err)
	assert.Equal(t, types.TaskDefinitionStatusInactive, out.TaskDefinition.Status)

	// An INACTIVE revision cannot run.
	_, err = e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("web:3")})
	var ce *types.ClientException
	require.ErrorAs(t, err, &ce)
	assert.Contains(t, ce.ErrorMessage(), "inactive")
}

func TestListTaskDefinitions(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	for range 3 {
		e.register("alpha", container("app", "true"))
	}
	e.register("beta", container("app", "true"))
	_, err := e.ecs.DeregisterTaskDefinition(e.ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("alpha:2")})
	require.NoError(t, err)

	list := func(in *ecs.ListTaskDefinitionsInput) []string {
		var arns []string
		p := ecs.NewListTaskDefinitionsPaginator(e.ecs, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			require.NoError(t, err)
			assert.LessOrEqual(t, len(out.TaskDefinitionArns), int(aws.ToInt32(in.MaxResults)))
			for _, a := range out.TaskDefinitionArns {
				arns = append(arns, a[len("arn:aws:ecs:us-east-1:000000000000:task-definition/"):])
			}
		}
		return arns
	}
	assert.Equal(t, []string{"alpha:1", "alpha:3", "beta:1"}, list(&ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(1)}))
	assert.Equal(t, []string{"beta:1", "alpha:3", "alpha:1"}, list(&ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(2), Sort: types.SortOrderDesc}))
	assert.Equal(t, []string{"alpha:1", "alpha:3"}, list(&ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(100), FamilyPrefix: aws.String("alpha")}))
	assert.Equal(t, []string{"alpha:2"}, list(&ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(100), Status: types.TaskDefinitionStatusInactive}))
}

func TestTags(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("tagged", container("app", "true"))
	tag := func(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }
	for _, arn := range []string{
		"arn:aws:ecs:us-east-1:000000000000:cluster/default",
		"arn:aws:ecs:us-east-1:000000000000:task-definition/tagged:1",
	} {
		_, err := e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{tag("a", "1"), tag("b", "2")}})
		require.NoError(t, err, arn)
		_, err = e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: []types.Tag{tag("b", "3")}})
		require.NoError(t, err, arn)
		out, err := e.ecs.ListTagsForResource(e.ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
		require.NoError(t, err, arn)
		assert.Equal(t, []types.Tag{tag("a", "1"), tag("b", "3")}, out.Tags, arn)
	}

	// A task's tags: the definition's with propagateTags, then the request's.
	task := e.run(&ecs.RunTaskInput{
		TaskDefinition: aws.String("tagged"), PropagateTags: types.PropagateTagsTaskDefinition,
		Tags: []types.Tag{tag("b", "task"), tag("c", "4")},
	})
	out, err := e.ecs.ListTagsForResource(e.ctx, &ecs.ListTagsForResourceInput{ResourceArn: task.TaskArn})
	require.NoError(t, err)
	assert.Equal(t, []types.Tag{tag("a", "1"), tag("b", "task"), tag("c", "4")}, out.Tags)
	assert.Equal(t, out.Tags, task.Tags)
	described, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(task.TaskArn)}, Include: []types.TaskField{types.TaskFieldTags}})
	require.NoError(t, err)
	assert.Equal(t, out.Tags, described.Tasks[0].Tags)
	assert.Nil(t, e.describe(aws.ToString(task.TaskArn)).Tags, "tags only when asked for")

	_, err = e.ecs.ListTagsForResource(e.ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:us-east-1:000000000000:cluster/nope")})
	var ipe *types.InvalidParameterException
	require.ErrorAs(t, err, &ipe)
}
