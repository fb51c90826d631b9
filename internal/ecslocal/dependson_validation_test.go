package ecslocal_test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestRegisterValidatesDependsOnAndHealthChecks(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	// app depends on init (not essential) and db (with a health check).
	ok := func() *ecs.RegisterTaskDefinitionInput {
		app := container("app", "true")
		app.DependsOn = []types.ContainerDependency{
			{ContainerName: aws.String("init"), Condition: types.ContainerConditionSuccess},
			{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy},
		}
		init := container("init", "true")
		init.Essential = aws.Bool(false)
		db := container("db", "true")
		db.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: aws.Int32(5)}
		return &ecs.RegisterTaskDefinitionInput{Family: aws.String("ordered"), ContainerDefinitions: []types.ContainerDefinition{app, init, db}}
	}
	_, err := e.ecs.RegisterTaskDefinition(e.ctx, ok())
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		modify func(cs []types.ContainerDefinition)
		want   string
	}{
		{"unknown container", func(cs []types.ContainerDefinition) { cs[0].DependsOn[0].ContainerName = aws.String("nope") }, "not in the task definition"},
		{"itself", func(cs []types.ContainerDefinition) { cs[0].DependsOn[0].ContainerName = aws.String("app") }, "itself"},
		{"unknown condition", func(cs []types.ContainerDefinition) { cs[0].DependsOn[0].Condition = "READY" }, "START, COMPLETE, SUCCESS, HEALTHY"},
		{"HEALTHY without a health check", func(cs []types.ContainerDefinition) { cs[2].HealthCheck = nil }, "needs a healthCheck on container 'db'"},
		{"SUCCESS on an essential container", func(cs []types.ContainerDefinition) { cs[1].Essential = nil }, "essential container 'init'"},
		{"a cycle", func(cs []types.ContainerDefinition) {
			cs[1].DependsOn = []types.ContainerDependency{{ContainerName: aws.String("app"), Condition: types.ContainerConditionStart}}
		}, "cycle"},
		{"health check without CMD", func(cs []types.ContainerDefinition) { cs[2].HealthCheck.Command = []string{"true"} }, `["CMD", args...]`},
		{"health check interval below 5", func(cs []types.ContainerDefinition) { cs[2].HealthCheck.Interval = aws.Int32(1) }, "interval must be between 5 and 300"},
		{"health check timeout above 60", func(cs []types.ContainerDefinition) { cs[2].HealthCheck.Timeout = aws.Int32(61) }, "timeout must be between 2 and 60"},
		{"health check retries 0", func(cs []types.ContainerDefinition) { cs[2].HealthCheck.Retries = aws.Int32(0) }, "retries must be between 1 and 10"},
		{"health check start period above 300", func(cs []types.ContainerDefinition) { cs[2].HealthCheck.StartPeriod = aws.Int32(301) }, "startPeriod must be between 0 and 300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := ok()
			tc.modify(in.ContainerDefinitions)
			_, err := e.ecs.RegisterTaskDefinition(e.ctx, in)
			assertAPIError(t, err, "ClientException", tc.want)
		})
	}
}

// A container whose dependency does not resolve within its startTimeout
// never starts, and the task fails to start.
func TestStartTimeoutGivesUpOnDependencies(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	init := container("init", "sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.05; done`)
	init.Essential = aws.Bool(false)
	app := container("app", "echo", "never")
	app.StartTimeout = aws.Int32(1)
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("init"), Condition: types.ContainerConditionComplete}}
	e.register("slow-init", app, init)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("slow-init")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	require.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	require.Contains(t, aws.ToString(done.StoppedReason), "within its startTimeout of 1s")
	require.Equal(t, map[string]int32{"init": 0}, exitCodes(done))
	require.GreaterOrEqual(t, done.StoppingAt.Sub(*done.CreatedAt).Milliseconds(), int64(990))
}
