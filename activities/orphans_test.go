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

// addTaskStartedBy adds a task in the given status started by startedBy.
func (f *fakeECS) addTaskStartedBy(status, startedBy string) string {
	arn := f.addTask(status)
	f.update(arn, func(t *types.Task) { t.StartedBy = aws.String(startedBy) })
	return arn
}

func TestStopTasksStartedByStopsTheUnstoppedTasksOfThatStarter(t *testing.T) {
	w := newFakeWorld()
	w.ecs.listPageSize = 2 // the listing spans pages
	a := newTestActivities(t, w)
	var mine []string
	for _, status := range []string{"PROVISIONING", "PENDING", "RUNNING", "RUNNING", "PENDING"} {
		mine = append(mine, w.ecs.addTaskStartedBy(status, "wf-1"))
	}
	done := w.ecs.addTaskStartedBy("STOPPED", "wf-1")
	other := w.ecs.addTaskStartedBy("RUNNING", "wf-2")
	prefix := w.ecs.addTaskStartedBy("RUNNING", "wf-10")

	var stopped []string
	err := newTestEnv(t, a).run(&stopped, a.StopTasksStartedBy, StopStartedByInput{Cluster: "jobs", StartedBy: "wf-1", Reason: "RunTask gave up"})

	require.NoError(t, err)
	assert.ElementsMatch(t, mine, stopped)
	w.ecs.mu.Lock()
	defer w.ecs.mu.Unlock()
	for _, arn := range mine {
		assert.Equal(t, "RunTask gave up", w.ecs.stopped[arn])
	}
	for _, arn := range []string{done, other, prefix} {
		assert.NotContains(t, w.ecs.stopped, arn, "only the unstopped tasks of exactly this startedBy")
	}
}

func TestStopTasksStartedByNothingToStop(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	var stopped []string
	require.NoError(t, newTestEnv(t, a).run(&stopped, a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-none"}))
	assert.Empty(t, stopped)
}

func TestStopTasksStartedByCountsATaskGoneMeanwhileAsStopped(t *testing.T) {
	w := newFakeWorld()
	ghost := "arn:aws:ecs:us-east-1:123456789012:task/jobs/ghost"
	w.ecs.listGhosts = []string{ghost}
	a := newTestActivities(t, w)
	var stopped []string
	require.NoError(t, newTestEnv(t, a).run(&stopped, a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-1"}))
	assert.Equal(t, []string{ghost}, stopped)
}

func TestStopTasksStartedByUsesTheDefaultReason(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	arn := w.ecs.addTaskStartedBy("RUNNING", "wf-1")
	require.NoError(t, newTestEnv(t, a).run(nil, a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-1"}))
	w.ecs.mu.Lock()
	defer w.ecs.mu.Unlock()
	assert.Equal(t, defaultStopReason, w.ecs.stopped[arn])
}

func TestStopTasksStartedByRefusesAnEmptyStartedBy(t *testing.T) {
	w := newFakeWorld()
	w.ecs.listErr = errors.New("must not be called")
	a := newTestActivities(t, w)
	w.ecs.addTaskStartedBy("RUNNING", "")
	err := newTestEnv(t, a).run(nil, a.StopTasksStartedBy, StopStartedByInput{Cluster: "jobs"})
	requireAppError(t, err, ErrInvalidIdentifier, true)
}

func TestStopTasksStartedByClusterNotFound(t *testing.T) {
	w := newFakeWorld()
	w.ecs.listErr = &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.StopTasksStartedBy, StopStartedByInput{Cluster: "nope", StartedBy: "wf-1"})
	appErr := requireAppError(t, err, ErrClusterNotFound, true)
	assert.Contains(t, appErr.Error(), `"nope"`)
}

func TestStopTasksStartedByStopsTheOthersWhenOneFails(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	stuck := w.ecs.addTaskStartedBy("RUNNING", "wf-1")
	fine := w.ecs.addTaskStartedBy("RUNNING", "wf-1")
	w.ecs.stopErrs = map[string]error{stuck: &types.ServerException{Message: aws.String("internal")}}
	env := newTestEnv(t, a)

	err := env.run(nil, a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-1"})
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.False(t, appErr.NonRetryable(), "a retry stops what is left")
	var stopped []string
	w.ecs.mu.Lock()
	assert.Contains(t, w.ecs.stopped, fine, "the other task is stopped all the same")
	w.ecs.stopErrs = nil
	w.ecs.mu.Unlock()

	// The retried attempt lists only what still runs.
	require.NoError(t, env.run(&stopped, a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-1"}))
	assert.Equal(t, []string{stuck}, stopped)
}
