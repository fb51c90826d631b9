package ecslocal_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
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

func TestLifecycleNonZeroExit(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("fails", container("app", "sh", "-c", "echo failing; exit 3"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("fails")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, int32(3), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Equal(t, []string{"failing"}, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func TestEssentialExitStopsOtherContainers(t *testing.T) {
	e := newEnv(t, ecslocal.Options{StopTimeout: 10 * time.Second})
	sidecar := container("sidecar", "sh", "-c", `trap "echo sidecar got TERM; exit 143" TERM; echo sidecar up; while :; do sleep 0.05; done`)
	helper := container("helper", "true")
	helper.Essential = aws.Bool(false)
	main := container("main", "sh", "-c", "sleep 0.3; exit 7")
	sidecar.Essential = aws.Bool(false)
	e.register("multi", main, sidecar, helper)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("multi")})
	arn := aws.ToString(task.TaskArn)

	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	codes := map[string]int32{}
	for _, c := range done.Containers {
		codes[aws.ToString(c.Name)] = aws.ToInt32(c.ExitCode)
		assert.Equal(t, "STOPPED", aws.ToString(c.LastStatus))
	}
	assert.Equal(t, map[string]int32{"main": 7, "sidecar": 143, "helper": 0}, codes)
	// The shell's sleep gets SIGTERM too (the whole process group does), so
	// the shell may also report it "Terminated".
	lines := e.logLines("/ecslocal/test", "app/sidecar/"+taskID(arn))
	assert.Equal(t, "sidecar up", lines[0])
	assert.Equal(t, "sidecar got TERM", lines[len(lines)-1])
}

func TestOverridesAndDefinitionSettings(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	dir := t.TempDir()
	c := container("app", "sh", "-c", "echo original")
	c.EntryPoint = []string{"sh", "-c"}
	c.Command = []string{"echo original"}
	c.WorkingDirectory = aws.String(dir)
	c.Environment = []types.KeyValuePair{{Name: aws.String("KEEP"), Value: aws.String("kept")}, {Name: aws.String("CHANGE"), Value: aws.String("old")}}
	e.register("overrides", c)
	task := e.run(&ecs.RunTaskInput{
		TaskDefinition: aws.String("overrides"),
		Overrides: &types.TaskOverride{
			Cpu:              aws.String("512"),
			Memory:           aws.String("1024"),
			TaskRoleArn:      aws.String("arn:aws:iam::000000000000:role/task"),
			ExecutionRoleArn: aws.String("arn:aws:iam::000000000000:role/exec"),
			ContainerOverrides: []types.ContainerOverride{{
				Name:        aws.String("app"),
				Command:     []string{`echo "$KEEP $CHANGE $ADDED $(pwd)"`},
				Environment: []types.KeyValuePair{{Name: aws.String("CHANGE"), Value: aws.String("new")}, {Name: aws.String("ADDED"), Value: aws.String("added")}},
				Cpu:         aws.Int32(256),
				Memory:      aws.Int32(512),
			}},
		},
	})
	assert.Equal(t, "512", aws.ToString(task.Cpu))
	assert.Equal(t, "1024", aws.ToString(task.Memory))
	assert.Equal(t, "arn:aws:iam::000000000000:role/task", aws.ToString(task.Overrides.TaskRoleArn))
	assert.Equal(t, "arn:aws:iam::000000000000:role/exec", aws.ToString(task.Overrides.ExecutionRoleArn))
	assert.Equal(t, "256", aws.ToString(task.Containers[0].Cpu))
	assert.Equal(t, "512", aws.ToString(task.Containers[0].Memory))
	assert.Equal(t, "busybox:latest", aws.ToString(task.Containers[0].Image))
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, []string{"kept new added " + dir}, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func TestCommandIsNotRunThroughAShell(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("noshell", container("app", "echo", "$HOME", "a;b", "*"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("noshell")})
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, []string{"$HOME a;b *"}, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func TestCommandThatCannotStart(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("nosuch", container("app", "/nonexistent/ecslocal-command", "x"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nosuch")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	assert.True(t, strings.HasPrefix(aws.ToString(done.StoppedReason), "CannotStartContainerError: "), aws.ToString(done.StoppedReason))
	assert.Contains(t, aws.ToString(done.StoppedReason), "/nonexistent/ecslocal-command")
	assert.True(t, strings.HasPrefix(aws.ToString(done.Containers[0].Reason), "CannotStartContainerError: "))
	assert.Nil(t, done.StartedAt)
	assert.Nil(t, done.Containers[0].ExitCode)
}

func TestMissingLogGroupFailsTheTask(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	c := container("app", "echo", "never")
	delete(c.LogConfiguration.Options, "awslogs-create-group")
	c.LogConfiguration.Options["awslogs-group"] = "/ecslocal/absent"
	e.register("nogroup", c)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nogroup")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	assert.True(t, strings.HasPrefix(aws.ToString(done.StoppedReason), "ResourceInitializationError: failed to validate logger args: "), aws.ToString(done.StoppedReason))

	_, err := e.logs.CreateLogGroup(e.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecslocal/absent")})
	require.NoError(t, err)
	task = e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nogroup")})
	done = e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, []string{"never"}, e.logLines("/ecslocal/absent", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func TestStopTaskIsSeenByTheProcess(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("trap", container("app", "sh", "-c", `trap "echo got TERM; exit 143" TERM; echo started; while :; do sleep 0.05; done`))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("trap")})
	arn := aws.ToString(task.TaskArn)
	stream := "app/app/" + taskID(arn)
	e.waitStatus(arn, "RUNNING")
	require.Eventually(t, func() bool { return slices.Contains(e.logLines("/ecslocal/test", stream), "started") }, waitTimeout, 10*time.Millisecond)

	out, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn), Reason: aws.String("no longer needed")})
	require.NoError(t, err)
	assert.Equal(t, "STOPPED", aws.ToString(out.Task.DesiredStatus))

	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeUserInitiated, done.StopCode)
	assert.Equal(t, "no longer needed", aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(143), aws.ToInt32(done.Containers[0].ExitCode))
	assert.NotNil(t, done.StoppingAt)
	// Every line is in the log store by the time the task is STOPPED.
	lines := e.logLines("/ecslocal/test", stream)
	assert.Equal(t, "started", lines[0])
	assert.Equal(t, "got TERM", lines[len(lines)-1])
}

func TestStopTaskKillsAfterStopTimeout(t *testing.T) {
	e := newEnv(t, ecslocal.Options{StopTimeout: 300 * time.Millisecond})
	e.register("stubborn", container("app", "sh", "-c", `trap "echo ignoring TERM" TERM; echo started; while :; do sleep 0.05; done`))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("stubborn")})
	arn := aws.ToString(task.TaskArn)
	stream := "app/app/" + taskID(arn)
	e.waitStatus(arn, "RUNNING")
	require.Eventually(t, func() bool { return slices.Contains(e.logLines("/ecslocal/test", stream), "started") }, waitTimeout, 10*time.Millisecond)

	_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
	require.NoError(t, err)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, "Task stopped by user", aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(137), aws.ToInt32(done.Containers[0].ExitCode), "killed by SIGKILL")
	assert.GreaterOrEqual(t, done.StoppedAt.Sub(*done.StoppingAt), 290*time.Millisecond, "timestamps have ms precision")
	assert.Contains(t, e.logLines("/ecslocal/test", stream), "ignoring TERM")
}

func TestContainerStopTimeoutWins(t *testing.T) {
	e := newEnv(t, ecslocal.Options{StopTimeout: time.Hour})
	c := container("app", "sh", "-c", `trap "" TERM; echo started; while :; do sleep 0.05; done`)
	c.StopTimeout = aws.Int32(1)
	e.register("own-timeout", c)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("own-timeout")})
	arn := aws.ToString(task.TaskArn)
	e.waitStatus(arn, "RUNNING")
	_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
	require.NoError(t, err)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, int32(137), aws.ToInt32(done.Containers[0].ExitCode))
}
