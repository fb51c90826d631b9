package activities

import (
	"log/slog"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// runOwned starts a long task of o on cluster of the local ECS with o's
// startedBy and tags, as RunTask does for every job.
func (l *local) runOwned(cluster string, o job.Owner) TaskRef {
	l.t.Helper()
	out, err := l.ecs.RunTask(l.t.Context(), &ecs.RunTaskInput{
		Cluster: aws.String(cluster), TaskDefinition: aws.String(l.sleeperDefinition()),
		StartedBy: aws.String(o.StartedBy()), Tags: ecsTags(o.Tags()),
	})
	require.NoError(l.t, err)
	require.Len(l.t, out.Tasks, 1, "failures: %+v", out.Failures)
	return TaskRef{ClusterArn: aws.ToString(out.Tasks[0].ClusterArn), TaskArn: aws.ToString(out.Tasks[0].TaskArn)}
}

// sleeperDefinition registers (again: same revision content) a definition
// whose container sleeps for ten minutes.
func (l *local) sleeperDefinition() string {
	l.t.Helper()
	out, err := l.ecs.RegisterTaskDefinition(l.t.Context(), &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("sleeper"),
		ContainerDefinitions: []types.ContainerDefinition{{
			Name: aws.String("main"), Image: aws.String("busybox"), Essential: aws.Bool(true), Memory: aws.Int32(128),
			Command: []string{"sh", "-c", "sleep 600"},
		}},
	})
	require.NoError(l.t, err)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// desired is the desired status of a task of the local ECS.
func (l *local) desired(ref TaskRef) string {
	l.t.Helper()
	out, err := l.ecs.DescribeTasks(l.t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(ref.ClusterArn), Tasks: []string{ref.TaskArn}})
	require.NoError(l.t, err)
	require.Len(l.t, out.Tasks, 1)
	return aws.ToString(out.Tasks[0].DesiredStatus)
}

func TestLocalReaperStopsOrphansOverTheWireProtocol(t *testing.T) {
	logs := newLogCapture()
	l := startLocal(t, ecslocal.Options{}, func(o *Options) { o.Logger = slog.New(logs) })
	for _, name := range []string{"launched", "extra"} {
		_, err := l.ecs.CreateCluster(t.Context(), &ecs.CreateClusterInput{ClusterName: aws.String(name)})
		require.NoError(t, err)
	}
	// A job run through RunTask makes the worker sweep "launched".
	l.start(shellJob("sleep 600", `,"cluster":"launched"`), "tok-reaper")

	temporal := newFakeTemporal()
	terminated, open, timedOut, gone := owner("wf-terminated"), owner("wf-open"), owner("wf-timed-out"), owner("wf-gone")
	temporal.set(terminated.WorkflowID, terminated.RunID, terminated.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	temporal.set(open.WorkflowID, open.RunID, open.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING)
	temporal.set(timedOut.WorkflowID, timedOut.RunID, timedOut.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)
	foreign := owner("wf-foreign")
	foreign.Namespace = "elsewhere"
	temporal.set(foreign.WorkflowID, foreign.RunID, foreign.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)

	orphans := map[string]TaskRef{
		"temporal-ecs reaper: workflow wf-terminated is TERMINATED": l.runOwned("default", terminated),
		"temporal-ecs reaper: workflow wf-timed-out is TIMED_OUT":   l.runOwned("launched", timedOut),
		"temporal-ecs reaper: workflow wf-gone was not found":       l.runOwned("extra", gone),
	}
	kept := []TaskRef{l.runOwned("default", open), l.runOwned("default", foreign)}
	untagged, _ := l.startBy(shellJob("sleep 600", ""), "tok-untagged", job.StartedByPrefix+"untagged")
	kept = append(kept, untagged)

	opts := ReaperOptions{Temporal: temporal, Namespace: reapNamespace, Clusters: []string{"extra"}}
	r, err := l.a.newReaper(opts)
	require.NoError(t, err)
	assert.Equal(t, len(orphans), r.sweep(t.Context()))

	for reason, ref := range orphans {
		task := l.waitStopped(ref)
		assert.Equal(t, reason, aws.ToString(task.StoppedReason))
		assert.Equal(t, types.TaskStopCodeUserInitiated, task.StopCode)
	}
	for _, ref := range kept {
		assert.Equal(t, "RUNNING", l.desired(ref), "task %s kept", ref.TaskArn)
	}
	assert.Empty(t, logs.find("Reaper cannot"), "every cluster swept")
	assert.Len(t, logs.find("Reaper stopped the ECS task"), len(orphans))

	// The open workflow ends; the reapers of three workers sweep at once:
	// the task is stopped, and none of them fails.
	temporal.set(open.WorkflowID, open.RunID, open.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED)
	reapers := []*reaper{r}
	for range 2 {
		a := New(Options{AWS: l.cfg, Logger: slog.New(logs)})
		t.Cleanup(a.Close)
		other, err := a.newReaper(opts)
		require.NoError(t, err)
		reapers = append(reapers, other)
	}
	var wg sync.WaitGroup
	for _, r := range reapers {
		wg.Go(func() { r.sweep(t.Context()) })
	}
	wg.Wait()
	task := l.waitStopped(kept[0])
	assert.Equal(t, "temporal-ecs reaper: workflow wf-open is COMPLETED", aws.ToString(task.StoppedReason))
	assert.Empty(t, logs.find("Reaper cannot"))
	assert.Equal(t, "RUNNING", l.desired(kept[1]), "another namespace's task is still kept")
	assert.Equal(t, "RUNNING", l.desired(kept[2]), "an untagged task is still kept")
}
