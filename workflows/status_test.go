package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkpb "go.temporal.io/api/sdk/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

func TestStatusQueryFollowsThePhases(t *testing.T) {
	f := newFakes()
	f.prepared.Warnings = []string{"both taskDefinition and taskDefinitionArn given: using the ARN"}
	f.prepareIn, f.registerIn, f.runIn = time.Minute, time.Minute, time.Minute
	f.startIn, f.finishIn = time.Minute, 10*time.Minute
	env := newEnv(t, f)

	type seen struct {
		st      Status
		details string
	}
	var got []seen
	// Each phase lasts a minute (the wait for finish ten): look in the middle.
	for _, at := range []time.Duration{30, 90, 150, 210, 300} {
		env.RegisterDelayedCallback(func() {
			st := queryStatus(t, env)
			v, err := env.QueryWorkflow("__temporal_workflow_metadata")
			require.NoError(t, err)
			var md sdkpb.WorkflowMetadata
			require.NoError(t, v.Get(&md))
			got = append(got, seen{st, md.GetCurrentDetails()})
		}, at*time.Second)
	}
	execute(t, env)
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, got, 5)

	phases := make([]string, len(got))
	for i, s := range got {
		phases[i] = s.st.Phase
		assert.Contains(t, s.details, "**Phase:** "+s.st.Phase, "current details follow the phase")
	}
	assert.Equal(t, []string{PhasePreparing, PhaseRegistering, PhaseStarting, PhaseWaitingForStart, PhaseRunning}, phases)

	assert.Empty(t, got[0].st.TaskArn)
	assert.Equal(t, "alpine:3.20", got[1].st.Image)
	assert.Equal(t, "jobs", got[1].st.Cluster)
	assert.Equal(t, f.prepared.Warnings, got[1].st.Warnings)
	assert.Equal(t, testTaskDefArn, got[2].st.TaskDefinitionArn)

	waiting := got[3].st
	assert.Equal(t, testTaskArn, waiting.TaskArn)
	assert.Equal(t, "temporal-ecs", waiting.LogGroup)
	assert.Equal(t, "temporal-ecs/main/0f1e2d3c4b5a", waiting.LogStream)
	assert.Equal(t, "eu-west-1", waiting.LogRegion)
	assert.Nil(t, waiting.ExitCode)
	assert.Equal(t, "PROVISIONING", waiting.LastStatus, "the status of RunTask's response, until a wait reports")
	assert.Contains(t, got[3].details, testTaskArn)
	assert.Contains(t, got[3].details, "**ECS status:** PROVISIONING")

	assert.Equal(t, "RUNNING", got[4].st.LastStatus)
	assert.Contains(t, got[4].details, "RUNNING")

	final := queryStatus(t, env)
	assert.Equal(t, PhaseCompleted, final.Phase)
	assert.Equal(t, "STOPPED", final.LastStatus)
	require.NotNil(t, final.ExitCode)
	assert.Equal(t, 0, *final.ExitCode)
	assert.Equal(t, "EssentialContainerExited", final.StopCode)
}

func TestStatusQueryDuringStop(t *testing.T) {
	f := newFakes()
	f.finishIn = 10 * time.Minute
	env := newEnv(t, f)
	var during Status
	cancelAfter(env, 2*time.Minute)
	env.RegisterDelayedCallback(func() { during = queryStatus(t, env) }, 5*time.Minute)
	execute(t, env)

	assert.Equal(t, PhaseStopping, during.Phase, "the in-flight wait is still watching the task stop")
	assert.Equal(t, PhaseCancelled, queryStatus(t, env).Phase)
}

// A task that stopped before it ran is reported as such by the start wait's
// error, even when the wait after StopTask cannot confirm it.
func TestStatusOfATaskThatFailedToStart(t *testing.T) {
	f := newFakes()
	failed := f.stoppedBeforeRun
	failed.StopCode, failed.StoppedReason = "TaskFailedToStart", "CannotPullContainerError"
	f.startErr = temporal.NewNonRetryableApplicationError("CannotPullContainerError", "TaskFailedToStart", nil, failed)
	f.stoppedErr = temporal.NewNonRetryableApplicationError("task no longer described by ECS", activities.ErrTaskNotFound, nil)
	env := newEnv(t, f)
	execute(t, env)

	assert.Equal(t, "TaskFailedToStart", appError(t, env).Type())
	st := queryStatus(t, env)
	assert.Equal(t, "STOPPED", st.LastStatus)
	assert.Equal(t, "TaskFailedToStart", st.StopCode)
	assert.Equal(t, "CannotPullContainerError", st.StoppedReason)
	require.NotNil(t, st.ExitCode)
	assert.Equal(t, -1, *st.ExitCode)
	require.NotEmpty(t, st.Warnings)
	assert.Contains(t, st.Warnings[0], "could not confirm")
}

func TestStatusClusterFallsBackToECSArn(t *testing.T) {
	var st Status
	st.setTask(&activities.TaskRef{TaskArn: testTaskArn, ClusterArn: testClusterArn})
	assert.Equal(t, testClusterArn, st.Cluster)
	st.setTask(&activities.TaskRef{TaskArn: testTaskArn, Cluster: "jobs", ClusterArn: testClusterArn})
	assert.Equal(t, "jobs", st.Cluster)
}

func TestStatusMarkdown(t *testing.T) {
	code := 2
	st := Status{Phase: PhaseFailed, Image: "alpine:3.20", TaskArn: testTaskArn, ExitCode: &code,
		LogGroup: "g", LogStream: "s", Error: "container exited"}
	md := st.markdown()
	assert.Contains(t, md, "- **Phase:** failed\n")
	assert.Contains(t, md, "- **Task:** `"+testTaskArn+"`\n")
	assert.Contains(t, md, "- **Exit code:** 2\n")
	assert.Contains(t, md, "- **Logs:** `g/s`\n")
	assert.NotContains(t, md, "ECS status", "unknown fields are left out")
}
