package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

func TestStatusNamesTheOutputsStreamItsConsoleAndWhetherItWasReadCompletely(t *testing.T) {
	f := newFakes()
	const console = "https://console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logsV2:log-groups/log-group/temporal-ecs/log-events/x"
	f.started.Output = &activities.OutputReport{LogGroup: "temporal-ecs", LogStream: "temporal-ecs/main/0f1e2d3c4b5a",
		LogRegion: "eu-west-1", ConsoleURL: console}
	f.finished.Output = &activities.OutputReport{LogGroup: "temporal-ecs", LogStream: "temporal-ecs/main/0f1e2d3c4b5a",
		LogRegion: "eu-west-1", ConsoleURL: console, Reason: "GetLogEvents kept failing for 2m0s", Lines: 7}
	f.startIn, f.finishIn = time.Minute, 10*time.Minute
	env := newEnv(t, f)
	var running Status
	env.RegisterDelayedCallback(func() { running = queryStatus(t, env) }, 5*time.Minute)
	execute(t, env)
	require.NoError(t, env.GetWorkflowError())

	assert.Equal(t, PhaseRunning, running.Phase)
	assert.Equal(t, console, running.LogConsoleURL, "known once the task runs")
	assert.Nil(t, running.Output, "the output is not judged before the task stops")

	done := queryStatus(t, env)
	assert.Equal(t, console, done.LogConsoleURL)
	require.NotNil(t, done.Output)
	assert.False(t, done.Output.Complete)
	assert.Contains(t, done.markdown(), "**Output:** incomplete: GetLogEvents kept failing")
	assert.Contains(t, done.markdown(), "**Logs console:** "+console)
}
