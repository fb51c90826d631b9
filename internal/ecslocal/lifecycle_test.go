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

func TestLifecycleExitZero(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	def := e.register("hello", container("app", "sh", "-c", "echo hello; echo world >&2"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("hello"), StartedBy: aws.String("tester")})
	assert.Equal(t, "PROVISIONING", aws.ToString(task.LastStatus))
	assert.Equal(t, "RUNNING", aws.ToString(task.DesiredStatus))
	assert.Equal(t, def, aws.ToString(task.TaskDefinitionArn))
	assert.Equal(t, "arn:aws:ecs:us-east-1:000000000000:cluster/default", aws.ToString(task.ClusterArn))
	assert.Regexp(t, `^arn:aws:ecs:us-east-1:000000000000:task/default/[0-9a-f]{32}$`, aws.ToString(task.TaskArn))
	assert.Equal(t, "family:hello", aws.ToString(task.Group))
	assert.Equal(t, "tester", aws.ToString(task.StartedBy))

	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, "Essential container in task exited", aws.ToString(done.StoppedReason))
	assert.Equal(t, "STOPPED", aws.ToString(done.DesiredStatus))
	require.Len(t, done.Containers, 1)
	assert.Equal(t, int32(0), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Equal(t, "STOPPED", aws.ToString(done.Containers[0].LastStatus))
	for name, ts := range map[string]any{"createdAt": done.CreatedAt, "startedAt": done.StartedAt, "stoppingAt": done.StoppingAt, "stoppedAt": done.StoppedAt} {
		assert.NotNil(t, ts, name)
	}
	assert.False(t, done.StartedAt.Before(*done.CreatedAt))
	assert.False(t, done.StoppedAt.Before(*done.StartedAt))

	lines := e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn)))
	assert.Equal(t, []string{"hello", "world"}, lines)
}
