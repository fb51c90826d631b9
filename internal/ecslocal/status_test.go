package ecslocal_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// statusOrder is the order of a task's lastStatus values.
var statusOrder = []string{"PROVISIONING", "PENDING", "RUNNING", "DEPROVISIONING", "STOPPED"}

// statusLog is what successive DescribeTasks calls showed of one task.
type statusLog struct {
	seen []types.Task
}

// statuses returns the distinct lastStatus values seen, in order.
func (l *statusLog) statuses() []string {
	var out []string
	for _, task := range l.seen {
		if s := aws.ToString(task.LastStatus); len(out) == 0 || out[len(out)-1] != s {
			out = append(out, s)
		}
	}
	return out
}

// followTask describes the task until it is STOPPED, calling on(task)
// after each observation (to act when a state is reached), and returns
// every observation.
func (e *env) followTask(arn string, on func(types.Task)) *statusLog {
	e.t.Helper()
	l := &statusLog{}
	deadline := time.Now().Add(waitTimeout)
	for {
		task := e.describe(arn)
		l.seen = append(l.seen, task)
		on(task)
		if aws.ToString(task.LastStatus) == "STOPPED" {
			return l
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("task %s is %s after %s; seen %v", arn, aws.ToString(task.LastStatus), waitTimeout, l.statuses())
		}
		time.Sleep(2 * time.Millisecond) // poll interval, not synchronisation
	}
}

// assertLifecycle checks that the observations never go back in the
// lifecycle, that a stopping task always wants to be STOPPED, and that the
// timestamps are set as the task gets there and are in order.
func assertLifecycle(t *testing.T, l *statusLog) {
	t.Helper()
	last := 0
	for _, task := range l.seen {
		status := aws.ToString(task.LastStatus)
		rank := slices.Index(statusOrder, status)
		require.GreaterOrEqual(t, rank, 0, "unknown lastStatus %q", status)
		assert.GreaterOrEqual(t, rank, last, "lastStatus went back to %s; seen %v", status, l.statuses())
		last = max(last, rank)
		assert.NotNil(t, task.CreatedAt)
		if status == "RUNNING" {
			assert.NotNil(t, task.StartedAt, "a RUNNING task has startedAt")
		}
		if rank >= slices.Index(statusOrder, "DEPROVISIONING") {
			assert.Equal(t, "STOPPED", aws.ToString(task.DesiredStatus), "a %s task wants to be STOPPED", status)
			assert.NotNil(t, task.StoppingAt, "a %s task has stoppingAt", status)
			assert.NotEmpty(t, task.StopCode)
		} else {
			assert.Equal(t, "RUNNING", aws.ToString(task.DesiredStatus))
			assert.Nil(t, task.StoppingAt)
		}
		if status == "STOPPED" {
			assert.NotNil(t, task.StoppedAt)
		} else {
			assert.Nil(t, task.StoppedAt, "only a STOPPED task has stoppedAt")
		}
	}
	statuses := l.statuses()
	require.Equal(t, "STOPPED", statuses[len(statuses)-1])
	final := l.seen[len(l.seen)-1]
	require.NotNil(t, final.StoppingAt)
	require.NotNil(t, final.StoppedAt)
	if final.StartedAt != nil {
		assert.False(t, final.StartedAt.Before(*final.CreatedAt), "createdAt <= startedAt")
		assert.False(t, final.StoppingAt.Before(*final.StartedAt), "startedAt <= stoppingAt")
	}
	assert.False(t, final.StoppingAt.Before(*final.CreatedAt), "createdAt <= stoppingAt")
	assert.False(t, final.StoppedAt.Before(*final.StoppingAt), "stoppingAt <= stoppedAt")
}

// touch creates an empty file.
func touch(t *testing.T, path string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, nil, 0o600))
}

// The essential container exits while a sidecar takes its time to stop:
// the task is DEPROVISIONING until the sidecar is gone and its last line
// is in the log store, then STOPPED.
func TestStatusSequenceEssentialExit(t *testing.T) {
	e := newEnv(t, ecslocal.Options{StopTimeout: waitTimeout})
	dir := t.TempDir()
	exit, release := filepath.Join(dir, "exit"), filepath.Join(dir, "release")
	main := container("main", "sh", "-c", `echo main up; while [ ! -e "$1" ]; do sleep 0.01; done; echo main done`, "sh", exit)
	sidecar := container("sidecar", "sh", "-c",
		`trap 'echo sidecar stopping; while [ ! -e "$1" ]; do sleep 0.01; done; echo sidecar gone; exit 0' TERM; echo sidecar up; while :; do sleep 0.01; done`, "sh", release)
	sidecar.Essential = aws.Bool(false)
	e.register("seq", main, sidecar)
	e.srv.Faults().HoldProvisioning(300 * time.Millisecond)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("seq")})
	assert.Equal(t, "PROVISIONING", aws.ToString(task.LastStatus))
	arn := aws.ToString(task.TaskArn)
	sidecarStream := "app/sidecar/" + taskID(arn)

	l := e.followTask(arn, func(task types.Task) {
		switch aws.ToString(task.LastStatus) {
		case "RUNNING":
			touch(t, exit)
		case "DEPROVISIONING":
			// The sidecar is still stopping, held until released.
			assert.Nil(t, task.StoppedAt)
			touch(t, release)
		}
	})
	assertLifecycle(t, l)
	statuses := l.statuses()
	assert.Equal(t, "PROVISIONING", statuses[0])
	assert.Contains(t, statuses, "RUNNING")
	assert.Contains(t, statuses, "DEPROVISIONING", "held there until the sidecar is released")

	done := l.seen[len(l.seen)-1]
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	codes := map[string]int32{}
	for _, c := range done.Containers {
		codes[aws.ToString(c.Name)] = aws.ToInt32(c.ExitCode)
	}
	assert.Equal(t, map[string]int32{"main": 0, "sidecar": 0}, codes)
	lines := e.logLines("/ecslocal/test", sidecarStream)
	require.NotEmpty(t, lines)
	assert.Equal(t, "sidecar gone", lines[len(lines)-1], "all output is stored once STOPPED")
}

// StopTask moves a running task to DEPROVISIONING at once; it stays there
// while its container handles SIGTERM.
func TestStatusSequenceStopTask(t *testing.T) {
	e := newEnv(t, ecslocal.Options{StopTimeout: waitTimeout})
	release := filepath.Join(t.TempDir(), "release")
	e.register("seq-stop", container("app", "sh", "-c",
		`trap 'echo stopping; while [ ! -e "$1" ]; do sleep 0.01; done; echo gone; exit 143' TERM; echo up; while :; do sleep 0.01; done`, "sh", release))
	e.srv.Faults().HoldProvisioning(300 * time.Millisecond)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("seq-stop")})
	arn := aws.ToString(task.TaskArn)

	stopped := false
	l := e.followTask(arn, func(task types.Task) {
		switch aws.ToString(task.LastStatus) {
		case "RUNNING":
			if !stopped {
				stopped = true
				out, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
				require.NoError(t, err)
				assert.Equal(t, "DEPROVISIONING", aws.ToString(out.Task.LastStatus))
				assert.Equal(t, "STOPPED", aws.ToString(out.Task.DesiredStatus))
			}
		case "DEPROVISIONING":
			touch(t, release)
		}
	})
	assertLifecycle(t, l)
	statuses := l.statuses()
	assert.Equal(t, "PROVISIONING", statuses[0])
	assert.Contains(t, statuses, "RUNNING")
	assert.Contains(t, statuses, "DEPROVISIONING")
	done := l.seen[len(l.seen)-1]
	assert.Equal(t, types.TaskStopCodeUserInitiated, done.StopCode)
	assert.Equal(t, int32(143), aws.ToInt32(done.Containers[0].ExitCode))
	lines := e.logLines("/ecslocal/test", "app/app/"+taskID(arn))
	require.NotEmpty(t, lines)
	assert.Equal(t, "gone", lines[len(lines)-1])
}

// A task stopped while it is held in PROVISIONING goes straight on to
// DEPROVISIONING and STOPPED without ever starting.
func TestStatusSequenceStoppedWhileProvisioning(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("seq-held", container("app", "true"))
	e.srv.Faults().HoldProvisioning(time.Hour)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("seq-held")})
	arn := aws.ToString(task.TaskArn)
	stopped := false
	l := e.followTask(arn, func(task types.Task) {
		if !stopped {
			stopped = true
			_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
			require.NoError(t, err)
		}
	})
	assertLifecycle(t, l)
	assert.NotContains(t, l.statuses(), "RUNNING")
	assert.Nil(t, l.seen[len(l.seen)-1].StartedAt)
}
