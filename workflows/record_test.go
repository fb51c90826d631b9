package workflows

// The recorder runs RunECSTask against a real Temporal server with fake
// activities and writes the histories that TestReplayRecordedHistories
// replays. It overwrites the files of its scenarios: after a change to the
// workflow's commands (guarded with workflow.GetVersion), rename the old
// files first (success-v2.json, ... : v1 is taken) so that they are still
// replayed, then record:
//
//	go tool -modfile=tools/go.mod temporal server start-dev --headless --port 7234 \
//	    --http-port 7244 --metrics-port 7245 --ui-port 8234 --db-filename /tmp/record.db \
//	    --search-attribute EcsTaskArn=Keyword --search-attribute EcsCluster=Keyword \
//	    --search-attribute EcsImage=Keyword --search-attribute EcsPhase=Keyword \
//	    --search-attribute EcsStopCode=Keyword --search-attribute EcsExitCode=Int &
//	RECORD_HISTORIES=1 TEMPORAL_ADDRESS=localhost:7234 go test -run TestRecordHistories ./workflows/
//
// The fakes are registered under the activities' names, so the histories
// are those of the real workflow; only the activities' results are made up.

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/temporalproto"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// recordedScenarios are the histories in testdata/, by file name: each
// workflow ID "record-<name>" selects the fakes' behaviour.
var recordedScenarios = []struct {
	name     string
	cancelIn string // cancel the workflow once in this phase
	check    func(t *testing.T, err error)
}{
	{name: "success", check: func(t *testing.T, err error) { require.NoError(t, err) }},
	{name: "exit-nonzero", check: func(t *testing.T, err error) {
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		require.Equal(t, ErrTaskExitedNonZero, app.Type())
	}},
	{name: "failed-to-start", check: func(t *testing.T, err error) {
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		require.Equal(t, "TaskFailedToStart", app.Type())
	}},
	{name: "cancelled", cancelIn: PhaseRunning, check: requireCanceledError},
	{name: "cancelled-while-starting", cancelIn: PhaseWaitingForStart, check: requireCanceledError},
	{name: "start-timeout", check: requireErrorType(activities.ErrTaskStartTimeout)},
	{name: "runtask-gave-up", check: requireErrorType(activities.ErrNetworkConfiguration)},
	{name: "definition-inactive", check: func(t *testing.T, err error) { require.NoError(t, err) }},
	{name: "runtask-failure", check: func(t *testing.T, err error) { require.NoError(t, err) }},
	{name: "interrupted-retried", check: func(t *testing.T, err error) { require.NoError(t, err) }},
	{name: "sidecar-failed", check: requireErrorType(ErrEssentialContainerFailed)},
}

func requireErrorType(typ string) func(t *testing.T, err error) {
	return func(t *testing.T, err error) {
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		require.Equal(t, typ, app.Type())
	}
}

func requireCanceledError(t *testing.T, err error) {
	var canceled *temporal.CanceledError
	require.ErrorAs(t, err, &canceled)
}

func TestRecordHistories(t *testing.T) {
	if os.Getenv("RECORD_HISTORIES") == "" {
		t.Skip("set RECORD_HISTORIES=1 (and TEMPORAL_ADDRESS) to record testdata/*.json against a Temporal server")
	}
	address := os.Getenv("TEMPORAL_ADDRESS")
	if address == "" {
		address = client.DefaultHostPort
	}
	c, err := client.Dial(client.Options{HostPort: address, Identity: "temporal-ecs-recorder"})
	require.NoError(t, err)
	defer c.Close()

	const queue = "ecs-tasks-recorder"
	w := worker.New(c, queue, worker.Options{Identity: "temporal-ecs-recorder"})
	w.RegisterWorkflowWithOptions(RunECSTask, workflow.RegisterOptions{Name: WorkflowName})
	fakes := newRecorderFakes()
	fakes.register(w)
	require.NoError(t, w.Start())
	defer w.Stop()
	waits := worker.New(c, WaitQueue(queue), worker.Options{Identity: "temporal-ecs-recorder"})
	fakes.register(waits)
	require.NoError(t, waits.Start())
	defer waits.Stop()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, sc := range recordedScenarios {
		id := "record-" + sc.name
		run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
			ID: id, TaskQueue: queue,
			WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
		}, WorkflowName, json.RawMessage(`{"image":"alpine:3.20","cluster":"jobs","command":"echo hello","streamOutput":true,"autoDeregisterTaskDefinition":true}`))
		require.NoError(t, err)
		if sc.cancelIn != "" {
			waitForPhase(ctx, t, c, run, sc.cancelIn)
			require.NoError(t, c.CancelWorkflow(ctx, id, run.GetRunID()))
		}
		sc.check(t, run.Get(ctx, nil))

		var hist historypb.History
		iter := c.GetWorkflowHistory(ctx, id, run.GetRunID(), false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for iter.HasNext() {
			ev, err := iter.Next()
			require.NoError(t, err)
			hist.Events = append(hist.Events, ev)
		}
		out, err := temporalproto.CustomJSONMarshalOptions{Indent: "  "}.Marshal(&hist)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join("testdata", sc.name+".json"), append(out, '\n'), 0o644))
	}
}

// waitForPhase polls the status query until the workflow reaches phase.
func waitForPhase(ctx context.Context, t *testing.T, c client.Client, run client.WorkflowRun, phase string) {
	t.Helper()
	require.Eventually(t, func() bool {
		v, err := c.QueryWorkflow(ctx, run.GetID(), run.GetRunID(), StatusQuery)
		if err != nil {
			return false
		}
		var st Status
		return v.Get(&st) == nil && st.Phase == phase
	}, 30*time.Second, 50*time.Millisecond, "workflow never reached phase %s", phase)
}

// recorderFakes stand in for the activities, by name, on a real worker.
// Each behaves by the scenario its workflow ID names.
type recorderFakes struct {
	mu        sync.Mutex
	stopped   map[string]chan struct{} // task ARN → closed by StopTask
	registers map[string]int           // run ID → GetOrRegisterTaskDefinition calls
	runTasks  map[string]int           // run ID → RunTask calls
	finishes  map[string]int           // run ID → WaitForTaskFinish calls
}

func newRecorderFakes() *recorderFakes {
	return &recorderFakes{stopped: map[string]chan struct{}{}, registers: map[string]int{}, runTasks: map[string]int{}, finishes: map[string]int{}}
}

// firstFinish reports whether this is the run's first WaitForTaskFinish.
func (f *recorderFakes) firstFinish(runID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.finishes[runID]++
	return f.finishes[runID] == 1
}

// firstRunTask reports whether this is the run's first RunTask call.
func (f *recorderFakes) firstRunTask(runID string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runTasks[runID]++
	return f.runTasks[runID] == 1
}

func scenario(ctx context.Context) string {
	return strings.TrimPrefix(activity.GetInfo(ctx).WorkflowExecution.ID, "record-")
}

func (f *recorderFakes) stopChan(taskArn string) chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	ch, ok := f.stopped[taskArn]
	if !ok {
		ch = make(chan struct{})
		f.stopped[taskArn] = ch
	}
	return ch
}

func (f *recorderFakes) register(w worker.Registry) {
	reg := func(fn any, name string) { w.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name}) }
	reg(f.prepare, "PrepareTaskDefinition")
	reg(f.getOrRegister, "GetOrRegisterTaskDefinition")
	reg(f.runTask, "RunTask")
	reg(f.waitForStart, "WaitForTaskStart")
	reg(f.waitForFinish, "WaitForTaskFinish")
	reg(f.stopTask, "StopTask")
	reg(f.stopTasksStartedBy, "StopTasksStartedBy")
	reg(f.deregister, "DeregisterTaskDefinition")
}

func (f *recorderFakes) prepare(ctx context.Context, in activities.PrepareInput) (*job.Prepared, error) {
	var cfg struct {
		Image   string `json:"image"`
		Cluster string `json:"cluster"`
	}
	if err := json.Unmarshal(in.Job, &cfg); err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), activities.ErrInvalidJobConfiguration, nil)
	}
	p := &job.Prepared{
		Region: "eu-west-1", Cluster: cfg.Cluster, ContainerName: "main", Image: cfg.Image,
		TaskDefinition:      map[string]any{"family": "temporal-ecs"},
		RunRequest:          map[string]any{"cluster": cfg.Cluster},
		StartTimeoutSeconds: 300, PollIntervalSeconds: 1, StreamOutput: true, AutoDeregister: true,
		SearchAttributes: true,
	}
	if scenario(ctx) == "interrupted-retried" {
		p.RetryOnInterruption = 1
		p.Fallback = &job.Fallback{LaunchType: job.LaunchTypeFargate}
	}
	return p, nil
}

func (f *recorderFakes) getOrRegister(ctx context.Context, _ *job.Prepared) (*activities.RegisterResult, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	run := activity.GetInfo(ctx).WorkflowExecution.RunID
	f.registers[run]++
	if f.registers[run] > 1 { // registered again: the next revision
		return &activities.RegisterResult{TaskDefinitionArn: strings.TrimSuffix(testTaskDefArn, ":7") + ":8", Registered: true}, nil
	}
	// definition-inactive: another job's shared revision, from the cache.
	return &activities.RegisterResult{TaskDefinitionArn: testTaskDefArn, Registered: scenario(ctx) != "definition-inactive"}, nil
}

func (f *recorderFakes) runTask(ctx context.Context, in activities.RunTaskInput) (*activities.TaskRef, error) {
	switch sc := scenario(ctx); {
	case sc == "runtask-gave-up" && activity.GetInfo(ctx).Attempt == 1:
		return nil, errors.New("read tcp: connection reset by peer") // the response is lost
	case sc == "runtask-gave-up":
		return nil, temporal.NewNonRetryableApplicationError("subnet-1 not found", activities.ErrNetworkConfiguration, nil)
	case sc == "runtask-failure" && f.firstRunTask(activity.GetInfo(ctx).WorkflowExecution.RunID):
		return nil, temporal.NewNonRetryableApplicationError("failed to run ECS task: RESOURCE:MEMORY", activities.ErrRunTaskFailed, nil,
			activities.RunFailure{Reason: "RESOURCE:MEMORY", Retryable: true})
	case sc == "definition-inactive" && in.TaskDefinitionArn == testTaskDefArn:
		return nil, temporal.NewNonRetryableApplicationError("task definition is INACTIVE", activities.ErrTaskDefinitionInactive, nil)
	}
	arn := "arn:aws:ecs:eu-west-1:123456789012:task/jobs/" + scenario(ctx)
	return &activities.TaskRef{
		Region: "eu-west-1", Cluster: in.Job.Cluster, ClusterArn: testClusterArn, TaskArn: arn,
		Identifier: in.Job.Cluster + "::" + arn, TaskDefinitionArn: in.TaskDefinitionArn, ContainerName: "main",
		LogGroup: "temporal-ecs", LogStream: "temporal-ecs/main/" + scenario(ctx), LogRegion: "eu-west-1",
		Owner: in.Owner,
	}, nil
}

func (f *recorderFakes) result(in activities.WaitInput, exitCode int, stopCode string) *activities.TaskResult {
	return &activities.TaskResult{
		Identifier: in.Task.Identifier, TaskArn: in.Task.TaskArn, ClusterArn: in.Task.ClusterArn,
		TaskDefinitionArn: in.Task.TaskDefinitionArn, LastStatus: "STOPPED", ExitCode: exitCode, StopCode: stopCode,
		Containers: []activities.ContainerResult{{Name: "main", ExitCode: &exitCode}},
		LogGroup:   in.Task.LogGroup, LogStream: in.Task.LogStream,
	}
}

func (f *recorderFakes) waitForStart(ctx context.Context, in activities.WaitInput) (*activities.WaitForStartResult, error) {
	switch scenario(ctx) {
	case "failed-to-start":
		return nil, temporal.NewNonRetryableApplicationError(
			"CannotPullContainerError: pull access denied for alpine:3.20", "TaskFailedToStart", nil)
	case "cancelled-while-starting":
		// PROVISIONING until stopped or cancelled, then stopped before it ran.
		if err := f.untilStopped(ctx, in.Task.TaskArn); err != nil {
			return nil, err
		}
		return nil, temporal.NewNonRetryableApplicationError("Task stopped by user", "UserInitiated", nil,
			f.result(in, -1, "UserInitiated"))
	case "start-timeout":
		return nil, temporal.NewNonRetryableApplicationError("ECS task did not start within 5m0s; it was stopped",
			activities.ErrTaskStartTimeout, nil)
	}
	return &activities.WaitForStartResult{LastStatus: "RUNNING"}, nil
}

// untilStopped heartbeats until StopTask stopped the task or ctx is done.
func (f *recorderFakes) untilStopped(ctx context.Context, taskArn string) error {
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-f.stopChan(taskArn):
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
			activity.RecordHeartbeat(ctx)
		}
	}
}

func (f *recorderFakes) waitForFinish(ctx context.Context, in activities.WaitInput) (*activities.TaskResult, error) {
	switch scenario(ctx) {
	case "success", "definition-inactive", "runtask-failure":
		return f.result(in, 0, "EssentialContainerExited"), nil
	case "interrupted-retried":
		if f.firstFinish(activity.GetInfo(ctx).WorkflowExecution.RunID) {
			return f.result(in, 0, "SpotInterruption"), nil
		}
		return f.result(in, 0, "EssentialContainerExited"), nil
	case "sidecar-failed":
		r := f.result(in, 0, "EssentialContainerExited")
		r.Containers[0].Essential = true
		r.Containers = append(r.Containers, activities.ContainerResult{Name: "proxy", ExitCode: new(1), Essential: true})
		return r, nil
	case "exit-nonzero":
		return f.result(in, 3, "EssentialContainerExited"), nil
	case "start-timeout": // stopped by the start wait
		return f.result(in, -1, "UserInitiated"), nil
	}
	// Runs until stopped, heartbeating like the real wait.
	if err := f.untilStopped(ctx, in.Task.TaskArn); err != nil {
		return nil, err
	}
	return f.result(in, 143, "UserInitiated"), nil
}

func (f *recorderFakes) stopTask(_ context.Context, in activities.StopInput) error {
	_, arn, ok := strings.Cut(in.Identifier, "::")
	if !ok {
		return errors.New("bad identifier " + in.Identifier)
	}
	ch := f.stopChan(arn)
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-ch:
	default:
		close(ch)
	}
	return nil
}

func (f *recorderFakes) stopTasksStartedBy(ctx context.Context, in activities.StopStartedByInput) ([]string, error) {
	if scenario(ctx) == "runtask-gave-up" {
		return []string{"arn:aws:ecs:eu-west-1:123456789012:task/jobs/" + scenario(ctx)}, nil
	}
	return nil, nil
}

func (f *recorderFakes) deregister(context.Context, activities.DeregisterInput) error { return nil }
