package ecslocal_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func tag(k, v string) types.Tag { return types.Tag{Key: aws.String(k), Value: aws.String(v)} }

// numberedTags returns n tags with distinct keys.
func numberedTags(prefix string, n int) []types.Tag {
	tags := make([]types.Tag, n)
	for i := range tags {
		tags[i] = tag(fmt.Sprintf("%s-%d", prefix, i), "v")
	}
	return tags
}

// RunTask and TagResource check tags as ECS does: at most 50 per
// resource, keys of 1 to 128 and values of 0 to 256 characters of
// letters, numbers, spaces and _.:/=+-@, no key starting with aws: in any
// case. A rejected request changes nothing.
func TestTagValidation(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("tagged", container("app", "sleep", "30"))
	target := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("tagged"), Tags: []types.Tag{tag("keep", "me")}})

	for _, tc := range []struct {
		name string
		tags []types.Tag
		want string
	}{
		{"51 tags", numberedTags("k", 51), "at most 50"},
		{"empty key", []types.Tag{tag("", "v")}, "must not be empty"},
		{"no key", []types.Tag{{Value: aws.String("v")}}, "must not be empty"},
		{"key of 129 characters", []types.Tag{tag(strings.Repeat("é", 129), "v")}, "longer than 128"},
		{"value of 257 characters", []types.Tag{tag("k", strings.Repeat("ü", 257))}, "longer than 256"},
		{"aws: key", []types.Tag{tag("aws:owner", "v")}, "aws:"},
		{"AWS: key", []types.Tag{tag("AWS:owner", "v")}, "aws:"},
		{"Aws: key", []types.Tag{tag("Aws:cloudformation:stack", "v")}, "aws:"},
		{"# in a key", []types.Tag{tag("cost#centre", "v")}, "characters"},
		{"* in a value", []types.Tag{tag("k", "a*b")}, "characters"},
		{"newline in a value", []types.Tag{tag("k", "a\nb")}, "characters"},
		{"comma in a key", []types.Tag{tag("a,b", "v")}, "characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("tagged"), Tags: tc.tags})
			assertAPIError(t, err, "InvalidParameterException", tc.want)
			_, err = e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: target.TaskArn, Tags: tc.tags})
			assertAPIError(t, err, "InvalidParameterException", tc.want)
		})
	}
	out, err := e.ecs.ListTagsForResource(e.ctx, &ecs.ListTagsForResourceInput{ResourceArn: target.TaskArn})
	require.NoError(t, err)
	assert.Equal(t, []types.Tag{tag("keep", "me")}, out.Tags, "no rejected TagResource changed the tags")
	assert.Len(t, e.allTasks(), 1, "no rejected RunTask launched a task")

	// The limits themselves are allowed.
	edge := []types.Tag{
		tag(strings.Repeat("ключ", 32), strings.Repeat("значение", 32)), // 128 and 256 characters, not bytes
		tag("empty value", ""),
		{Key: aws.String("no value")},
		tag("all_allowed .:/=+-@ 9", "Zürich 東京 _.:/=+-@"),
		tag("notaws:prefix", "aws:values are fine"),
	}
	edge = append(edge, numberedTags("n", 50-len(edge))...)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("tagged"), Tags: edge})
	described, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(task.TaskArn)}, Include: []types.TaskField{types.TaskFieldTags}})
	require.NoError(t, err)
	require.Len(t, described.Tasks, 1)
	assert.Len(t, described.Tasks[0].Tags, 50)
	assert.Equal(t, edge[0], described.Tasks[0].Tags[0])

	_, err = e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: target.TaskArn, Tags: numberedTags("t", 49)})
	require.NoError(t, err, "49 + the one already there is 50")
	_, err = e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: target.TaskArn, Tags: []types.Tag{tag("one-more", "v")}})
	assertAPIError(t, err, "InvalidParameterException", "at most 50")
	_, err = e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: target.TaskArn, Tags: []types.Tag{tag("keep", "changed")}})
	require.NoError(t, err, "overwriting a key adds no tag")
}

// DescribeTasks returns a task's tags only with include TAGS, and ListTasks
// filters on startedBy exactly.
func TestDescribeTasksTagsAndListTasksStartedBy(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("sleeper", container("app", "sleep", "30"))
	arns := map[string]string{}
	for _, by := range []string{"by-1", "by-10", "BY-1", "by"} {
		task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("sleeper"), StartedBy: aws.String(by), Tags: []types.Tag{tag("startedBy", by)}})
		arns[by] = aws.ToString(task.TaskArn)
	}
	for by, arn := range arns {
		out, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{StartedBy: aws.String(by)})
		require.NoError(t, err)
		assert.Equal(t, []string{arn}, out.TaskArns, "startedBy %q", by)
	}
	out, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{StartedBy: aws.String("b")})
	require.NoError(t, err)
	assert.Empty(t, out.TaskArns, "no prefix match")

	all := []string{arns["by-1"], arns["by-10"], arns["BY-1"], arns["by"]}
	described, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: all, Include: []types.TaskField{types.TaskFieldTags}})
	require.NoError(t, err)
	require.Len(t, described.Tasks, 4)
	for _, task := range described.Tasks {
		assert.Equal(t, []types.Tag{tag("startedBy", aws.ToString(task.StartedBy))}, task.Tags)
	}
	plain, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: all})
	require.NoError(t, err)
	for _, task := range plain.Tasks {
		assert.Nil(t, task.Tags, "tags only when asked for")
	}
}
