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

// allTasks lists every task of the default cluster, running or stopped.
func (e *env) allTasks() []string {
	e.t.Helper()
	var arns []string
	for _, status := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		out, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{DesiredStatus: status})
		require.NoError(e.t, err)
		arns = append(arns, out.TaskArns...)
	}
	return arns
}

func TestRunTaskClientToken(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("sleeper", container("app", "sleep", "30"))
	in := &ecs.RunTaskInput{TaskDefinition: aws.String("sleeper"), ClientToken: aws.String("token-1"), Count: aws.Int32(2)}
	first, err := e.ecs.RunTask(e.ctx, in)
	require.NoError(t, err)
	require.Len(t, first.Tasks, 2)
	second, err := e.ecs.RunTask(e.ctx, in)
	require.NoError(t, err)
	require.Len(t, second.Tasks, 2)
	for i := range first.Tasks {
		assert.Equal(t, first.Tasks[i].TaskArn, second.Tasks[i].TaskArn)
	}
	assert.Len(t, e.allTasks(), 2, "the retry launched nothing")

	// The same token with other parameters: ECS's ConflictException,
	// naming the tasks the token launched.
	changed := *in
	changed.StartedBy = aws.String("someone-else")
	_, err = e.ecs.RunTask(e.ctx, &changed)
	var conflict *types.ConflictException
	require.ErrorAs(t, err, &conflict)
	assert.Contains(t, conflict.ErrorMessage(), "token-1")
	assert.Equal(t, []string{aws.ToString(first.Tasks[0].TaskArn), aws.ToString(first.Tasks[1].TaskArn)}, conflict.ResourceIds)
	assert.Len(t, e.allTasks(), 2)

	other := *in
	other.ClientToken = aws.String("token-2")
	third, err := e.ecs.RunTask(e.ctx, &other)
	require.NoError(t, err)
	assert.NotEqual(t, first.Tasks[0].TaskArn, third.Tasks[0].TaskArn)
	assert.Len(t, e.allTasks(), 4)
}

// A token whose call launched nothing (placement failures) conflicts too,
// with no resource ids; retried identically, it answers the same failures.
func TestRunTaskClientTokenOfFailuresConflicts(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("sleeper", container("app", "sleep", "30"))
	e.srv.Faults().RunTaskFailures(1, "RESOURCE:CPU")
	in := &ecs.RunTaskInput{TaskDefinition: aws.String("sleeper"), ClientToken: aws.String("failed-token")}
	for range 2 {
		out, err := e.ecs.RunTask(e.ctx, in)
		require.NoError(t, err)
		assert.Empty(t, out.Tasks)
		require.Len(t, out.Failures, 1)
		assert.Equal(t, "RESOURCE:CPU", aws.ToString(out.Failures[0].Reason))
	}
	changed := *in
	changed.Group = aws.String("other")
	_, err := e.ecs.RunTask(e.ctx, &changed)
	var conflict *types.ConflictException
	require.ErrorAs(t, err, &conflict)
	assert.Empty(t, conflict.ResourceIds)
	assert.Empty(t, e.allTasks())
}

func TestRunTaskRetriedAfterLostResponseLaunchesOnce(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("sleeper", container("app", "sleep", "30"))
	e.srv.Faults().LoseResponses("ecs:RunTask", 1)
	out, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("sleeper"), ClientToken: aws.String("retry-me")})
	require.NoError(t, err, "the SDK retries the dropped call")
	require.Len(t, out.Tasks, 1)
	assert.Equal(t, int64(2), e.srv.Stats()["ecs:RunTask"], "the first call was performed, its response lost")
	assert.Equal(t, []string{aws.ToString(out.Tasks[0].TaskArn)}, e.allTasks())
}
