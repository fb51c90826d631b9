package activities

import (
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

func TestStopTaskStopsWithTheReason(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")

	err := newTestEnv(t, a).run(nil, a.StopTask, StopInput{Cluster: "jobs", Identifier: "jobs::" + arn, Reason: "workflow cancelled"})

	require.NoError(t, err)
	w.ecs.mu.Lock()
	defer w.ecs.mu.Unlock()
	assert.Equal(t, "workflow cancelled", w.ecs.stopped[arn])
}

func TestStopTaskAlreadyStoppedOrMissingIsSuccess(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	stopped := w.ecs.addTask("STOPPED")
	env := newTestEnv(t, a)

	require.NoError(t, env.run(nil, a.StopTask, StopInput{Identifier: "jobs::" + stopped}))
	require.NoError(t, env.run(nil, a.StopTask, StopInput{Identifier: "jobs::arn:aws:ecs:us-east-1:123456789012:task/jobs/gone"}))
}

func TestStopTaskRefusesBadIdentifiersAndOtherClustersBeforeAnyCall(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       StopInput
		wantType string
	}{
		{"no separator", StopInput{Identifier: "arn:aws:ecs:us-east-1:123456789012:task/jobs/1"}, ErrInvalidIdentifier},
		{"empty cluster", StopInput{Identifier: "::arn:aws:ecs:us-east-1:123456789012:task/jobs/1"}, ErrInvalidIdentifier},
		{"empty task", StopInput{Identifier: "jobs::"}, ErrInvalidIdentifier},
		{"other cluster", StopInput{Cluster: "jobs", Identifier: "other::arn:aws:ecs:us-east-1:123456789012:task/other/1"}, ErrClusterMismatch},
		{"other cluster by ARN", StopInput{Cluster: "jobs", Identifier: "arn:aws:ecs:us-east-1:123456789012:cluster/other::arn:aws:ecs:us-east-1:123456789012:task/other/1"}, ErrClusterMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.stopErr = errors.New("must not be called")
			a := newTestActivities(t, w)
			err := newTestEnv(t, a).run(nil, a.StopTask, tc.in)
			requireAppError(t, err, tc.wantType, true)
		})
	}
}

func TestStopTaskAcceptsTheJobsClusterByNameOrArn(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTask("RUNNING")
	require.NoError(t, newTestEnv(t, a).run(nil, a.StopTask, StopInput{Cluster: "jobs", Identifier: testCluster + "::" + arn}))
}

func TestStopTaskClusterNotFound(t *testing.T) {
	w := newFakeWorld()
	w.ecs.stopErr = &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.StopTask, StopInput{Identifier: "nope::arn:aws:ecs:us-east-1:123456789012:task/nope/1"})
	appErr := requireAppError(t, err, ErrClusterNotFound, true)
	assert.Contains(t, appErr.Error(), `"nope"`)
	var cause *temporal.ApplicationError
	require.ErrorAs(t, appErr.Unwrap(), &cause)
	assert.Equal(t, "ClusterNotFoundException", cause.Type(), "the AWS error, typed by its code, is the cause")
}

func TestStopTaskOtherErrorsAreRetryable(t *testing.T) {
	w := newFakeWorld()
	w.ecs.stopErr = &types.ServerException{Message: aws.String("internal")}
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.StopTask, StopInput{Identifier: "jobs::" + w.ecs.addTask("RUNNING")})
	require.Error(t, err)
	requireAppError(t, err, "ServerException", false)
}

func TestDeregisterTaskDefinition(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	env := newTestEnv(t, a)
	var reg RegisterResult
	require.NoError(t, env.run(&reg, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))

	require.NoError(t, env.run(nil, a.DeregisterTaskDefinition, DeregisterInput{TaskDefinitionArn: reg.TaskDefinitionArn}))
	w.ecs.mu.Lock()
	assert.Equal(t, types.TaskDefinitionStatusInactive, w.ecs.defs[reg.TaskDefinitionArn].Status)
	w.ecs.mu.Unlock()

	// Again: already INACTIVE is success.
	require.NoError(t, env.run(nil, a.DeregisterTaskDefinition, DeregisterInput{TaskDefinitionArn: reg.TaskDefinitionArn}))

	// The deregistered revision is not handed out again.
	var again RegisterResult
	require.NoError(t, env.run(&again, a.GetOrRegisterTaskDefinition, prepare(t, fargateJob)))
	assert.True(t, again.Registered)
	assert.NotEqual(t, reg.TaskDefinitionArn, again.TaskDefinitionArn)
}

func TestDeregisterUnknownTaskDefinitionFails(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.DeregisterTaskDefinition, DeregisterInput{TaskDefinitionArn: "arn:aws:ecs:us-east-1:123456789012:task-definition/none:1"})
	require.Error(t, err)
}
