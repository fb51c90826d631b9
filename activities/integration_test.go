package activities

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// These tests run the activities with the real aws-sdk-go-v2 clients
// against ecslocal, which runs each container as a host process.

const (
	localExecRole = "arn:aws:iam::000000000000:role/exec"
	localTimeout  = 30 * time.Second
)

// local is an ecslocal server with Activities using real SDK clients.
type local struct {
	t   *testing.T
	srv *ecslocal.Server
	cfg aws.Config
	a   *Activities
	ecs *ecs.Client
}

func startLocal(t *testing.T, opts ecslocal.Options, mutate ...func(*Options)) *local {
	t.Helper()
	if opts.StopTimeout == 0 {
		opts.StopTimeout = 2 * time.Second
	}
	srv, cfg := ecslocaltest.Start(t, opts)
	o := Options{
		AWS:             cfg,
		minPollInterval: 10 * time.Millisecond,
		RegisterDelay:   time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
		// ecslocal stores every event before the task is STOPPED, unless a
		// test delays delivery (and sets a grace period to match).
		LogGrace: 10 * time.Millisecond, logRetryDelay: 5 * time.Millisecond,
	}
	for _, m := range mutate {
		m(&o)
	}
	a := New(o)
	t.Cleanup(a.Close)
	return &local{t: t, srv: srv, cfg: cfg, a: a, ecs: ecs.NewFromConfig(cfg)}
}

// env returns a fresh activity environment with a generous timeout.
func (l *local) env() *testEnv {
	e := newTestEnv(l.t, l.a)
	e.SetTestTimeout(localTimeout)
	return e
}

// envOf runs a's activities as attempts of another job, workflow
// workflowID (env's run all belong to the SDK's default one).
func (l *local) envOf(a *Activities, workflowID string) *testEnv {
	e := newTestEnv(l.t, a).attemptsOf(workflow.Execution{ID: workflowID, RunID: "run-1"}, context.Background())
	e.SetTestTimeout(localTimeout)
	return e
}

// start prepares, registers and runs raw, and returns the task.
func (l *local) start(raw, token string) (TaskRef, *job.Prepared) {
	l.t.Helper()
	return l.startBy(raw, token, "test")
}

// startBy is start with the task's startedBy.
func (l *local) startBy(raw, token, startedBy string) (TaskRef, *job.Prepared) {
	l.t.Helper()
	env := l.env()
	var p job.Prepared
	require.NoError(l.t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(raw)}))
	var reg RegisterResult
	require.NoError(l.t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p))
	var ref TaskRef
	require.NoError(l.t, env.run(&ref, l.a.RunTask, RunTaskInput{Job: &p, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: token, StartedBy: startedBy}))
	return ref, &p
}

// tasks lists the ARNs of every task of a cluster, running or stopped.
func (l *local) tasks(cluster string) []string {
	l.t.Helper()
	var arns []string
	for _, status := range []types.DesiredStatus{types.DesiredStatusRunning, types.DesiredStatusStopped} {
		out, err := l.ecs.ListTasks(l.t.Context(), &ecs.ListTasksInput{Cluster: aws.String(cluster), DesiredStatus: status})
		require.NoError(l.t, err)
		arns = append(arns, out.TaskArns...)
	}
	// A task stopping between the two calls is listed twice.
	slices.Sort(arns)
	return slices.Compact(arns)
}

// waitStopped polls ECS (not the activities) until the task is STOPPED.
func (l *local) waitStopped(ref TaskRef) types.Task {
	l.t.Helper()
	deadline := time.Now().Add(localTimeout)
	for {
		out, err := l.ecs.DescribeTasks(l.t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(ref.ClusterArn), Tasks: []string{ref.TaskArn}})
		require.NoError(l.t, err)
		if len(out.Tasks) == 1 && aws.ToString(out.Tasks[0].LastStatus) == "STOPPED" {
			return out.Tasks[0]
		}
		require.True(l.t, time.Now().Before(deadline), "task %s never stopped", ref.TaskArn)
		time.Sleep(10 * time.Millisecond) // poll interval, not synchronisation
	}
}

func shellJob(script string, extra string) string {
	cmd, _ := json.Marshal([]string{"sh", "-c", script})
	return fmt.Sprintf(`{"image":"busybox","command":%s,"executionRoleArn":%q%s}`, cmd, localExecRole, extra)
}

func TestLocalRegisterReuseMatchLatestDeregister(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	env := l.env()
	prep := func(raw string) *job.Prepared {
		var p job.Prepared
		require.NoError(t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(raw)}))
		return &p
	}
	raw := shellJob("true", `,"family":"etl","streamOutput":true,"env":{"B":"2","A":"1"}`)

	var first, second RegisterResult
	require.NoError(t, env.run(&first, l.a.GetOrRegisterTaskDefinition, prep(raw)))
	require.NoError(t, l.envOf(l.a, "job-2").run(&second, l.a.GetOrRegisterTaskDefinition, prep(raw)))
	assert.True(t, first.Registered)
	assert.Equal(t, RegisterResult{TaskDefinitionArn: first.TaskDefinitionArn}, second, "the cached revision, described and equal")

	// Another worker (empty cache) matching the family's latest revision.
	other := startLocalActivities(t, l)
	var matched RegisterResult
	require.NoError(t, l.envOf(other, "job-3").run(&matched, other.GetOrRegisterTaskDefinition, prep(shellJob("true", `,"family":"etl","streamOutput":true,"matchLatestRevisionInFamily":true`))))
	assert.Equal(t, RegisterResult{TaskDefinitionArn: first.TaskDefinitionArn}, matched)

	require.NoError(t, env.run(nil, l.a.DeregisterTaskDefinition, DeregisterInput{TaskDefinitionArn: first.TaskDefinitionArn}))
	require.NoError(t, env.run(nil, l.a.DeregisterTaskDefinition, DeregisterInput{TaskDefinitionArn: first.TaskDefinitionArn}), "already INACTIVE")

	var third RegisterResult
	require.NoError(t, l.envOf(other, "job-4").run(&third, other.GetOrRegisterTaskDefinition, prep(raw)))
	assert.True(t, third.Registered, "an INACTIVE cached revision is never reused")
	assert.NotEqual(t, first.TaskDefinitionArn, third.TaskDefinitionArn)
}

// startLocalActivities returns a second worker's Activities on l's server.
func startLocalActivities(t *testing.T, l *local) *Activities {
	a := New(Options{AWS: l.cfg, minPollInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	t.Cleanup(a.Close)
	return a
}

func TestLocalRunWaitAndStreamLogsWithPagination(t *testing.T) {
	l := startLocal(t, ecslocal.Options{}, func(o *Options) { o.logPageSize = 2 })
	ref, p := l.start(shellJob("for i in 1 2 3 4 5 6 7; do echo line $i; done; exit 3", `,"streamOutput":true`), "tok-logs")
	assert.Equal(t, "default::"+ref.TaskArn, ref.Identifier[len(ref.Identifier)-len("default::"+ref.TaskArn):])
	require.NotEmpty(t, ref.LogStream)

	env := l.env()
	in := WaitInput{Task: ref, PollIntervalSeconds: 0.01, StartTimeoutSeconds: 30, StreamOutput: p.StreamOutput, WorkflowID: "wf"}
	var started WaitForStartResult
	require.NoError(t, env.run(&started, l.a.WaitForTaskStart, in))
	// A task that ran between two polls is finished already, its output
	// streamed by WaitForTaskStart.
	res := started.Finished
	if res == nil {
		require.NoError(t, env.run(&res, l.a.WaitForTaskFinish, in))
	}

	assert.Equal(t, 3, res.ExitCode)
	assert.Equal(t, "STOPPED", res.LastStatus)
	assert.NotNil(t, res.StoppedAt)
	var lines []string
	for i := 1; i <= 7; i++ {
		lines = append(lines, fmt.Sprintf("line %d", i))
	}
	assert.Equal(t, lines, env.logs.messagesWith("taskId"))
	assert.GreaterOrEqual(t, l.srv.Stats()["logs:GetLogEvents"], int64(4), "7 lines in pages of 2")
}

func TestLocalPassThroughRunningIsReportedFinished(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	ref, _ := l.start(shellJob("echo done", `,"streamOutput":true`), "tok-fast")
	l.waitStopped(ref) // the task exits before the first poll

	env := l.env()
	var started WaitForStartResult
	require.NoError(t, env.run(&started, l.a.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: 5, StartTimeoutSeconds: 30, StreamOutput: true}))
	require.NotNil(t, started.Finished)
	assert.Equal(t, 0, started.Finished.ExitCode)
	assert.Equal(t, []string{"done"}, env.logs.messagesWith("taskId"), "its output is streamed all the same")
}

func TestLocalStartTimeoutStopsTheTask(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	l.srv.Faults().HoldProvisioning(time.Hour)
	ref, _ := l.start(shellJob("sleep 30", ""), "tok-timeout")
	assert.Equal(t, "PROVISIONING", ref.LastStatus, "RunTask's response tells the status")

	err := l.env().run(nil, l.a.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: 0.01, StartTimeoutSeconds: 1})

	requireAppError(t, err, ErrTaskStartTimeout, true)
	stopped := l.waitStopped(ref)
	assert.Contains(t, aws.ToString(stopped.StoppedReason), "timeout")
}

func TestLocalStartFailureIsTheStopCode(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	ref, _ := l.start(`{"image":"busybox","command":["/nonexistent/binary"]}`, "tok-fail")
	err := l.env().run(nil, l.a.WaitForTaskStart, WaitInput{Task: ref, PollIntervalSeconds: 0.01, StartTimeoutSeconds: 30})
	appErr := requireAppError(t, err, "TaskFailedToStart", true)
	assert.Contains(t, appErr.Error(), "CannotStartContainerError")
}

func TestLocalNetworkInferenceAndErrors(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	ref, _ := l.start(shellJob("true", ""), "tok-net")
	out, err := l.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(ref.ClusterArn), Tasks: []string{ref.TaskArn}})
	require.NoError(t, err)
	require.Len(t, out.Tasks, 1)
	assert.NotEmpty(t, out.Tasks[0].Attachments, "an ENI in one of the default VPC's subnets")

	otherVpc := l.srv.EC2().AddVPC("10.9.0.0/16", false)
	l.srv.EC2().AddSubnet(otherVpc, "us-east-1a", "10.9.1.0/24")
	defaultSubnet := l.srv.EC2().DefaultSubnetIDs()[0]
	env := l.env()
	var p job.Prepared
	require.NoError(t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(
		shellJob("true", fmt.Sprintf(`,"vpcId":%q,"networkConfiguration":{"subnets":[%q]}`, otherVpc, defaultSubnet)))}))
	var reg RegisterResult
	require.NoError(t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p))
	err = env.run(nil, l.a.RunTask, RunTaskInput{Job: &p, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: "tok-net-2"})
	appErr := requireAppError(t, err, ErrNetworkConfiguration, true)
	assert.Contains(t, appErr.Error(), defaultSubnet)
	assert.Contains(t, appErr.Error(), otherVpc)

	noVpc := startLocal(t, ecslocal.Options{NoDefaultVPC: true})
	env = noVpc.env()
	var p2 job.Prepared
	require.NoError(t, env.run(&p2, noVpc.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(shellJob("true", ""))}))
	var reg2 RegisterResult
	require.NoError(t, env.run(&reg2, noVpc.a.GetOrRegisterTaskDefinition, &p2))
	err = env.run(nil, noVpc.a.RunTask, RunTaskInput{Job: &p2, TaskDefinitionArn: reg2.TaskDefinitionArn})
	appErr = requireAppError(t, err, ErrNetworkConfiguration, true)
	assert.Contains(t, appErr.Error(), "default VPC")
}

func TestLocalFargateSpot(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	ref, _ := l.start(shellJob("true", `,"launchType":"FARGATE_SPOT"`), "tok-spot")
	out, err := l.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(ref.ClusterArn), Tasks: []string{ref.TaskArn}})
	require.NoError(t, err)
	assert.Equal(t, "FARGATE_SPOT", aws.ToString(out.Tasks[0].CapacityProviderName))
}

func TestLocalRunTaskIsIdempotentUnderLostResponses(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	// Every SDK attempt of the first activity attempt loses its response.
	l.srv.Faults().LoseResponses("ecs:RunTask", 3)
	env := l.env()
	var p job.Prepared
	require.NoError(t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(shellJob("sleep 5", ""))}))
	var reg RegisterResult
	require.NoError(t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p))
	in := RunTaskInput{Job: &p, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: "wf-lost/1", StartedBy: "wf-lost"}

	err := env.run(nil, l.a.RunTask, in)
	require.Error(t, err, "the first attempt never saw a response")
	var ref TaskRef
	require.NoError(t, l.env().run(&ref, l.a.RunTask, in), "the retried attempt")

	assert.Equal(t, []string{ref.TaskArn}, l.tasks("default"), "one task, whatever the attempts")
}

// A placement failure started no task: the next RunTask, under a new
// token, starts it (the workflow retries so).
func TestLocalRunTaskCapacityFailureThenANewToken(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	l.srv.Faults().RunTaskFailures(1, "RESOURCE:MEMORY")
	env := l.env()
	var p job.Prepared
	require.NoError(t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(shellJob("true", ""))}))
	var reg RegisterResult
	require.NoError(t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p))
	in := RunTaskInput{Job: &p, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: "wf-capacity/1"}
	err := l.env().run(nil, l.a.RunTask, in)
	appErr := requireAppError(t, err, ErrRunTaskFailed, true)
	var f RunFailure
	require.NoError(t, appErr.Details(&f))
	assert.True(t, f.Retryable)
	assert.Empty(t, l.tasks("default"))

	in.ClientToken = "wf-capacity/2"
	var ref TaskRef
	require.NoError(t, l.env().run(&ref, l.a.RunTask, in))
	assert.Equal(t, []string{ref.TaskArn}, l.tasks("default"))
	assert.Equal(t, int64(2), l.srv.Stats()["ecs:RunTask"])
}

// Over the wire: the owner's tags reach the task, and the same token with
// other parameters (a reset run's) gets the task back from the
// ConflictException rather than a second one.
func TestLocalRunTaskOwnerTagsAndTokenConflict(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	env := l.env()
	owner := job.Owner{Namespace: "default", WorkflowID: "etl daily #1 ✓", RunID: "r2", OriginalRunID: "r1"}
	var p job.Prepared
	require.NoError(t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(shellJob("sleep 30", ""))}))
	var reg RegisterResult
	require.NoError(t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p))
	in := RunTaskInput{Job: &p, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: "tok-owner", Owner: &owner}
	var ref TaskRef
	require.NoError(t, l.env().run(&ref, l.a.RunTask, in))
	t.Cleanup(func() { _ = l.a.StopTask(context.Background(), StopInput{Identifier: ref.Identifier, Owner: &owner}) })

	out, err := l.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Tasks: []string{ref.TaskArn}, Include: []types.TaskField{types.TaskFieldTags}})
	require.NoError(t, err)
	require.Len(t, out.Tasks, 1)
	assert.Equal(t, owner.StartedBy(), aws.ToString(out.Tasks[0].StartedBy))
	got, ok := ownerOf(out.Tasks[0])
	require.True(t, ok, "the tags name the owner")
	assert.Equal(t, owner, got)

	var p2 job.Prepared
	require.NoError(t, env.run(&p2, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(shellJob("sleep 31", ""))}))
	require.NoError(t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p2))
	again := RunTaskInput{Job: &p2, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: "tok-owner", Owner: &owner}
	var ref2 TaskRef
	require.NoError(t, l.env().run(&ref2, l.a.RunTask, again))
	assert.Equal(t, ref.TaskArn, ref2.TaskArn)
	assert.Len(t, l.tasks("default"), 1)
}

func TestLocalRunTaskClusterNotFound(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	env := l.env()
	var p job.Prepared
	require.NoError(t, env.run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(shellJob("true", `,"cluster":"nope"`))}))
	var reg RegisterResult
	require.NoError(t, env.run(&reg, l.a.GetOrRegisterTaskDefinition, &p))
	err := env.run(nil, l.a.RunTask, RunTaskInput{Job: &p, TaskDefinitionArn: reg.TaskDefinitionArn})
	appErr := requireAppError(t, err, ErrClusterNotFound, true)
	assert.Contains(t, appErr.Error(), `"nope"`)
}

func TestLocalResumedAttemptRepeatsNoLine(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	trigger := filepath.Join(t.TempDir(), "go")
	script := fmt.Sprintf("for i in 1 2 3 4; do echo a$i; done; while [ ! -f %s ]; do sleep 0.02; done; for i in 1 2 3; do echo b$i; done", trigger)
	ref, _ := l.start(shellJob(script, `,"streamOutput":true`), "tok-resume")
	in := WaitInput{Task: ref, PollIntervalSeconds: 0.01, StreamOutput: true}
	var started WaitForStartResult
	require.NoError(t, l.env().run(&started, l.a.WaitForTaskStart, in))
	require.Nil(t, started.Finished)
	waitForLines(t, l, ref, 4)

	// The first attempt reads a1..a4, then ECS stops answering: it fails.
	l.srv.Faults().ServerErrors("ecs:DescribeTasks", 1000, 500)
	first := l.env()
	hb := recordHeartbeats[finishProgress](t, first)
	require.Error(t, first.run(nil, l.a.WaitForTaskFinish, in))

	l.srv.Faults().Reset()
	require.NoError(t, os.WriteFile(trigger, nil, 0o600))
	second := l.env()
	second.SetHeartbeatDetails(hb.lastDetails())
	var res TaskResult
	require.NoError(t, second.run(&res, l.a.WaitForTaskFinish, in))

	assert.Equal(t, 0, res.ExitCode)
	assert.Equal(t, []string{"a1", "a2", "a3", "a4"}, first.logs.messagesWith("taskId"))
	assert.Equal(t, []string{"b1", "b2", "b3"}, second.logs.messagesWith("taskId"))
}

// waitForLines polls the task's log stream until it holds n lines.
func waitForLines(t *testing.T, l *local, ref TaskRef, n int) {
	t.Helper()
	clients := newSDKClients(clientKey{}, l.cfg)
	deadline := time.Now().Add(localTimeout)
	tl := NewLogTailer(clients.Logs, ref.LogGroup, ref.LogStream, LogTailerOptions{})
	got := 0
	for got < n {
		events, err := tl.Next(context.Background())
		require.NoError(t, err)
		got += len(events)
		require.True(t, time.Now().Before(deadline), "only %d of %d lines", got, n)
		time.Sleep(10 * time.Millisecond) // poll interval, not synchronisation
	}
}

func TestLocalStopTask(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	ref, _ := l.start(shellJob("sleep 30", ""), "tok-stop")
	env := l.env()
	in := WaitInput{Task: ref, PollIntervalSeconds: 0.01, StartTimeoutSeconds: 30}
	var started WaitForStartResult
	require.NoError(t, env.run(&started, l.a.WaitForTaskStart, in))
	assert.Equal(t, "RUNNING", started.LastStatus)

	require.NoError(t, env.run(nil, l.a.StopTask, StopInput{Identifier: ref.Identifier, Reason: "cancelled by the workflow"}))
	var res TaskResult
	require.NoError(t, env.run(&res, l.a.WaitForTaskFinish, in))
	assert.Equal(t, "UserInitiated", res.StopCode)
	assert.Equal(t, "cancelled by the workflow", res.StoppedReason)

	require.NoError(t, env.run(nil, l.a.StopTask, StopInput{Identifier: ref.Identifier}), "already stopped")
	require.NoError(t, env.run(nil, l.a.StopTask, StopInput{Identifier: "default::" + ref.TaskArn + "0"}), "missing")
	err := env.run(nil, l.a.StopTask, StopInput{Identifier: "nope::" + ref.TaskArn})
	requireAppError(t, err, ErrClusterNotFound, true)
	err = env.run(nil, l.a.StopTask, StopInput{Cluster: "default", Identifier: "other::" + ref.TaskArn})
	requireAppError(t, err, ErrClusterMismatch, true)
}

func TestLocalStopTasksStartedBy(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	running, _ := l.startBy(shellJob("sleep 30", ""), "tok-orphan-1", "wf-orphan")
	require.NoError(t, l.env().run(nil, l.a.WaitForTaskStart, WaitInput{Task: running, PollIntervalSeconds: 0.01, StartTimeoutSeconds: 30}))
	l.srv.Faults().HoldProvisioning(time.Hour)
	provisioning, _ := l.startBy(shellJob("sleep 30", ""), "tok-orphan-2", "wf-orphan")
	other, _ := l.startBy(shellJob("sleep 30", ""), "tok-other", "wf-other")

	var stopped []string
	require.NoError(t, l.env().run(&stopped, l.a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-orphan", Reason: "RunTask gave up"}))

	assert.ElementsMatch(t, []string{running.TaskArn, provisioning.TaskArn}, stopped)
	for _, ref := range []TaskRef{running, provisioning} {
		task := l.waitStopped(ref)
		assert.Equal(t, "RunTask gave up", aws.ToString(task.StoppedReason))
	}
	out, err := l.ecs.DescribeTasks(t.Context(), &ecs.DescribeTasksInput{Cluster: aws.String(other.ClusterArn), Tasks: []string{other.TaskArn}})
	require.NoError(t, err)
	assert.Equal(t, "RUNNING", aws.ToString(out.Tasks[0].DesiredStatus), "another workflow's task is left alone")

	require.NoError(t, l.env().run(&stopped, l.a.StopTasksStartedBy, StopStartedByInput{StartedBy: "wf-orphan"}))
	assert.Empty(t, stopped, "nothing left to stop")

	err = l.env().run(nil, l.a.StopTasksStartedBy, StopStartedByInput{Cluster: "nope", StartedBy: "wf-orphan"})
	requireAppError(t, err, ErrClusterNotFound, true)
}

// prepare runs PrepareTaskDefinition on raw.
func (l *local) prepare(raw string) *job.Prepared {
	l.t.Helper()
	var p job.Prepared
	require.NoError(l.t, l.env().run(&p, l.a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(raw)}))
	return &p
}

// runErr prepares, registers and runs raw, and returns RunTask's error.
func (l *local) runErr(raw string) error {
	l.t.Helper()
	p := l.prepare(raw)
	var reg RegisterResult
	require.NoError(l.t, l.env().run(&reg, l.a.GetOrRegisterTaskDefinition, p))
	return l.env().run(nil, l.a.RunTask, RunTaskInput{Job: p, TaskDefinitionArn: reg.TaskDefinitionArn, ClientToken: "tok-" + l.t.Name()})
}

// orderedDefinition is a base definition whose environment and secrets
// come in the given orders.
func orderedDefinition(env, secrets string) string {
	return fmt.Sprintf(`,"family":"ordered","taskDefinition":{"containerDefinitions":[{"name":"main","image":"busybox",`+
		`"environment":%s,"secrets":%s}]}`, env, secrets)
}

const (
	envAB     = `[{"name":"A","value":"1"},{"name":"B","value":"2"}]`
	envBA     = `[{"name":"B","value":"2"},{"name":"A","value":"1"}]`
	secretsXY = `[{"name":"X","valueFrom":"arn:aws:ssm:us-east-1:000000000000:parameter/x"},{"name":"Y","valueFrom":"arn:aws:ssm:us-east-1:000000000000:parameter/y"}]`
	secretsYX = `[{"name":"Y","valueFrom":"arn:aws:ssm:us-east-1:000000000000:parameter/y"},{"name":"X","valueFrom":"arn:aws:ssm:us-east-1:000000000000:parameter/x"}]`
)

func TestLocalEnvironmentAndSecretsOrderMakesNoNewRevision(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	var first, second RegisterResult
	require.NoError(t, l.env().run(&first, l.a.GetOrRegisterTaskDefinition, l.prepare(shellJob("true", orderedDefinition(envAB, secretsXY)))))
	require.NoError(t, l.envOf(l.a, "job-2").run(&second, l.a.GetOrRegisterTaskDefinition, l.prepare(shellJob("true", orderedDefinition(envBA, secretsYX)))))
	assert.True(t, first.Registered)
	assert.Equal(t, RegisterResult{TaskDefinitionArn: first.TaskDefinitionArn}, second, "the cached revision is reused")

	// Another worker, whose cache is empty, matches the latest revision.
	other := startLocalActivities(t, l)
	var matched RegisterResult
	require.NoError(t, l.envOf(other, "job-3").run(&matched, other.GetOrRegisterTaskDefinition,
		l.prepare(shellJob("true", orderedDefinition(envBA, secretsYX)+`,"matchLatestRevisionInFamily":true`))))
	assert.Equal(t, RegisterResult{TaskDefinitionArn: first.TaskDefinitionArn}, matched)
	assert.Equal(t, int64(1), l.srv.Stats()["ecs:RegisterTaskDefinition"])
}

func TestLocalLatestRevisionThatDiffersIsLoggedAtDebug(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	var first RegisterResult
	require.NoError(t, l.env().run(&first, l.a.GetOrRegisterTaskDefinition, l.prepare(shellJob("true", orderedDefinition(envAB, secretsXY)))))

	other := startLocalActivities(t, l)
	env := l.env()
	var res RegisterResult
	changed := `[{"name":"A","value":"1"},{"name":"B","value":"3"}]`
	require.NoError(t, env.run(&res, other.GetOrRegisterTaskDefinition,
		l.prepare(shellJob("true", orderedDefinition(changed, secretsXY)+`,"matchLatestRevisionInFamily":true`))))

	assert.True(t, res.Registered, "a revision that differs is not reused")
	assert.NotEqual(t, first.TaskDefinitionArn, res.TaskDefinitionArn)
	logs := env.logs.find("differs from the prepared definition")
	require.Len(t, logs, 1)
	assert.Equal(t, slog.LevelDebug, logs[0].Level)
	assert.Equal(t, first.TaskDefinitionArn, logs[0].Attrs["taskDefinitionArn"])
	assert.Contains(t, logs[0].Attrs["diff"], `environment[1].value: prepared "3", registered "2"`)
}

func TestLocalCachedRevisionDeregisteredBehindTheWorkersBack(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	raw := shellJob("true", `,"family":"etl"`)
	var first RegisterResult
	require.NoError(t, l.env().run(&first, l.a.GetOrRegisterTaskDefinition, l.prepare(raw)))
	_, err := l.ecs.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(first.TaskDefinitionArn)})
	require.NoError(t, err)

	env := l.env()
	var second RegisterResult
	require.NoError(t, env.run(&second, l.a.GetOrRegisterTaskDefinition, l.prepare(raw)))

	assert.True(t, second.Registered)
	assert.NotEqual(t, first.TaskDefinitionArn, second.TaskDefinitionArn)
	warnings := env.logs.find("Forgetting cached task definition")
	require.Len(t, warnings, 1)
	assert.Equal(t, slog.LevelWarn, warnings[0].Level)
	assert.Equal(t, first.TaskDefinitionArn, warnings[0].Attrs["taskDefinitionArn"])
	assert.Contains(t, warnings[0].Attrs["error"], "INACTIVE")
}

func TestLocalRunTaskWithAnInactiveDefinitionArn(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	var reg RegisterResult
	require.NoError(t, l.env().run(&reg, l.a.GetOrRegisterTaskDefinition, l.prepare(shellJob("true", ""))))
	_, err := l.ecs.DeregisterTaskDefinition(t.Context(), &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(reg.TaskDefinitionArn)})
	require.NoError(t, err)

	err = l.runErr(fmt.Sprintf(`{"taskDefinitionArn":%q}`, reg.TaskDefinitionArn))

	appErr := requireAppError(t, err, ErrTaskDefinitionInactive, true)
	assert.Contains(t, appErr.Error(), "register it again, or drop taskDefinitionArn")
	var cause *temporal.ApplicationError
	require.ErrorAs(t, appErr.Unwrap(), &cause, "the original error is the cause")
	assert.Contains(t, cause.Error(), "ClientException")
	assert.Contains(t, cause.Error(), "inactive")
	assert.Empty(t, l.tasks("default"))
}

func TestLocalRunTaskUnclassifiedErrorKeepsTheAWSErrorCode(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	err := l.runErr(shellJob("true",
		`,"taskCustomizations":[{"op":"add","path":"/overrides/containerOverrides/-","value":{"name":"ghost"}}]`))

	appErr := requireAppError(t, err, "InvalidParameterException", false)
	assert.Contains(t, appErr.Error(), "run ECS task", "the message says what failed")
	assert.Contains(t, appErr.Error(), `"ghost"`, "and keeps ECS's message")
	assert.Empty(t, l.tasks("default"))
}

func TestLocalRunTaskHintKeepsTheAWSErrorCodeAsItsCause(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	err := l.runErr(shellJob("true", `,"cluster":"nope"`))

	appErr := requireAppError(t, err, ErrClusterNotFound, true)
	var cause *temporal.ApplicationError
	require.ErrorAs(t, appErr.Unwrap(), &cause, "the AWS error is the cause")
	assert.Equal(t, "ClusterNotFoundException", cause.Type())
	assert.Contains(t, cause.Error(), "nope")
}

func TestLocalRunTaskWithAnUnknownCapacityProvider(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	err := l.runErr(shellJob("true", `,"capacityProviderStrategy":[{"capacityProvider":"my-asg","weight":1}]`))
	appErr := requireAppError(t, err, ErrCapacityProvider, true)
	assert.Contains(t, appErr.Error(), "capacity providers of cluster")
	assert.Contains(t, appErr.Error(), "my-asg", "the original error is kept")
	assert.Empty(t, l.tasks("default"))
}

func TestLocalRunTaskCustomNetworkErrors(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	vpc := l.srv.EC2().AddVPC("10.7.0.0/16", false)
	subnet := l.srv.EC2().AddSubnet(vpc, "us-east-1a", "10.7.1.0/24")
	group := l.srv.EC2().AddSecurityGroup(vpc, "jobs", "jobs")
	network := func(subnets, groups string) string {
		return fmt.Sprintf(`,"vpcId":%q,"networkConfiguration":{"subnets":%s,"securityGroups":%s}`, vpc, subnets, groups)
	}

	t.Run("subnet not in the VPC", func(t *testing.T) {
		other := l.srv.EC2().DefaultSubnetIDs()[0]
		err := l.runErr(shellJob("true", network(fmt.Sprintf(`[%q,%q]`, subnet, other), "[]")))
		appErr := requireAppError(t, err, ErrNetworkConfiguration, true)
		assert.Contains(t, appErr.Error(), subnet, "every configured subnet is listed")
		assert.Contains(t, appErr.Error(), other)
		assert.Contains(t, appErr.Error(), vpc)
	})
	t.Run("unknown security group", func(t *testing.T) {
		err := l.runErr(shellJob("true", network(fmt.Sprintf(`[%q]`, subnet), `["sg-0000000000nope"]`)))
		appErr := requireAppError(t, err, ErrNetworkConfiguration, true)
		assert.Contains(t, appErr.Error(), "subnets and security groups exist and belong to the job's VPC")
		assert.Contains(t, appErr.Error(), "sg-0000000000nope", "the original error is kept")
	})
	t.Run("VPC without subnets", func(t *testing.T) {
		empty := l.srv.EC2().AddVPC("10.8.0.0/16", false)
		err := l.runErr(shellJob("true", fmt.Sprintf(`,"vpcId":%q`, empty)))
		appErr := requireAppError(t, err, ErrNetworkConfiguration, true)
		assert.Contains(t, appErr.Error(), "no subnets found in VPC "+empty)
	})
	t.Run("valid custom network", func(t *testing.T) {
		require.NoError(t, l.runErr(shellJob("true", network(fmt.Sprintf(`[%q]`, subnet), fmt.Sprintf(`[%q]`, group)))))
	})
	assert.Len(t, l.tasks("default"), 1, "only the valid network started a task")
}

func TestLocalStopTaskInvalidIdentifier(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	err := l.env().run(nil, l.a.StopTask, StopInput{Identifier: "arn:aws:ecs:us-east-1:000000000000:task/default/1"})
	requireAppError(t, err, ErrInvalidIdentifier, true)
	assert.Zero(t, l.srv.Stats()["ecs:StopTask"], "refused before any call")
}

func TestLocalRegisterRetriesConcurrentRevisionRefusals(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	l.srv.Faults().RegisterConflicts(2)
	var reg RegisterResult
	require.NoError(t, l.env().run(&reg, l.a.GetOrRegisterTaskDefinition, l.prepare(shellJob("true", `,"family":"busy"`))))
	assert.True(t, reg.Registered)
	assert.Equal(t, int64(3), l.srv.Stats()["ecs:RegisterTaskDefinition"])

	t.Run("until the attempts are spent", func(t *testing.T) {
		l.srv.ResetStats()
		l.srv.Faults().RegisterConflicts(3)
		err := l.env().run(nil, l.a.GetOrRegisterTaskDefinition, l.prepare(shellJob("true", `,"family":"busier"`)))
		appErr := requireAppError(t, err, "ClientException", false)
		assert.Contains(t, appErr.Error(), "Too many concurrent attempts")
		assert.Equal(t, int64(3), l.srv.Stats()["ecs:RegisterTaskDefinition"])
	})
}

func TestLocalConcurrentJobsOfOneDefinitionRegisterOnce(t *testing.T) {
	l := startLocal(t, ecslocal.Options{})
	p := l.prepare(shellJob("true", `,"family":"fanout"`))
	const jobs = 8
	results := make([]*RegisterResult, jobs)
	errs := make([]error, jobs)
	var wg sync.WaitGroup
	for i := range jobs {
		wg.Go(func() { results[i], errs[i] = l.a.GetOrRegisterTaskDefinition(t.Context(), p) })
	}
	wg.Wait()

	registered := 0
	for i := range jobs {
		require.NoError(t, errs[i])
		assert.Equal(t, results[0].TaskDefinitionArn, results[i].TaskDefinitionArn)
		if results[i].Registered {
			registered++
		}
	}
	assert.Equal(t, 1, registered, "only the job whose call registered may deregister")
	assert.Equal(t, int64(1), l.srv.Stats()["ecs:RegisterTaskDefinition"])
}
