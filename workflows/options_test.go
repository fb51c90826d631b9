package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestWaitOptionsFollowTheJob(t *testing.T) {
	for name, tc := range map[string]struct {
		poll          float64
		start         int
		wantHeartbeat time.Duration
		wantStartMax  time.Duration
	}{
		"defaults":        {0, 0, 30 * time.Second, 300*time.Second + time.Minute},
		"fast poll":       {2, 60, 30 * time.Second, 2 * time.Minute},
		"slow poll":       {30, 600, 90 * time.Second, 600*time.Second + 90*time.Second},
		"sub-second poll": {0.5, 10, 30 * time.Second, 70 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			p := &job.Prepared{PollIntervalSeconds: tc.poll, StartTimeoutSeconds: tc.start}
			start := waitStartOptions(p, "s")
			assert.Equal(t, tc.wantHeartbeat, start.HeartbeatTimeout)
			assert.Equal(t, tc.wantStartMax, start.StartToCloseTimeout, "start timeout plus a margin")
			assert.Greater(t, start.ScheduleToCloseTimeout, start.StartToCloseTimeout, "room for a retried attempt")
			assert.Contains(t, start.RetryPolicy.NonRetryableErrorTypes, activities.ErrTaskStartTimeout)

			finish := waitFinishOptions(p, "f")
			assert.Equal(t, tc.wantHeartbeat, finish.HeartbeatTimeout)
			assert.Zero(t, finish.ScheduleToCloseTimeout, "a task may run for days")
			assert.Zero(t, finish.RetryPolicy.MaximumAttempts, "unlimited: a retried attempt resumes from its heartbeat")
			assert.GreaterOrEqual(t, finish.StartToCloseTimeout, 24*time.Hour)

			stopped := stoppedWaitOptions(p, "w")
			assert.Equal(t, stoppedWait, stopped.ScheduleToCloseTimeout, "the wait after StopTask is bounded")
		})
	}
}

func TestRunTaskOptionsAreBoundedAndSkipWhatRetryingCannotFix(t *testing.T) {
	o := runTaskOptions("RunTask x on y")
	assert.NotZero(t, o.ScheduleToCloseTimeout)
	for _, typ := range []string{activities.ErrInvalidJobConfiguration, activities.ErrClusterNotFound,
		activities.ErrNoContainerInstances, activities.ErrMissingLogsPermissions} {
		assert.Contains(t, o.RetryPolicy.NonRetryableErrorTypes, typ)
	}
	assert.Equal(t, "RunTask x on y", o.Summary)
}

func TestSummaries(t *testing.T) {
	p := &job.Prepared{Image: "alpine:3.20", TaskDefinition: map[string]any{"family": "etl"}}
	assert.Equal(t, "RunTask alpine:3.20 on default", runTaskSummary(p))
	assert.Equal(t, "GetOrRegisterTaskDefinition etl", registerSummary(p))

	p = &job.Prepared{Cluster: testClusterArn, TaskDefinitionArn: testTaskDefArn}
	assert.Equal(t, "RunTask temporal-ecs:7 on jobs", runTaskSummary(p))
	assert.Equal(t, "GetOrRegisterTaskDefinition temporal-ecs:7", registerSummary(p))

	r := &run{task: &activities.TaskRef{TaskArn: testTaskArn}}
	assert.Equal(t, "StopTask 0f1e2d3c4b5a", r.taskSummary("StopTask"))
}
