package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// fakeTemporal is the part of a Temporal server `starter run` uses: it
// starts workflows, cancels them (a cancelled workflow ends cancelled, its
// task stopped), describes them and reports how they ended. Like Temporal
// and the SDK, ExecuteWorkflow with the ID of a running workflow returns
// that workflow's run, or a *serviceerror.WorkflowExecutionAlreadyStarted
// with WorkflowExecutionErrorWhenAlreadyStarted; a closed workflow's ID
// gets a new run. The status query is never answered, as when no worker
// runs. Methods it does not implement panic.
type fakeTemporal struct {
	client.Client

	// onStart, when set, runs inside ExecuteWorkflow once the request has
	// reached the server: the workflow is recorded as started, or the
	// start is to be refused. A non-nil error is ExecuteWorkflow's.
	onStart func(ctx context.Context) error
	// onCancel, when set, runs inside CancelWorkflow before the
	// cancellation is applied.
	onCancel func(w *fakeWorkflow)

	// queried is closed at the first status query: a follower runs.
	queried   chan struct{}
	queryOnce sync.Once

	mu        sync.Mutex
	workflows map[string]*fakeWorkflow // the latest run of each ID
	starts    int                      // runs ExecuteWorkflow started
	cancels   int
}

// fakeWorkflow is one workflow of a fakeTemporal.
type fakeWorkflow struct {
	id, runID string
	run       int           // 1 for the ID's first run, 2 for the next...
	done      chan struct{} // closed when the workflow closes
	result    *activities.TaskResult
	err       error
}

func newFakeTemporal() *fakeTemporal {
	return &fakeTemporal{workflows: map[string]*fakeWorkflow{}, queried: make(chan struct{})}
}

// dial is a cli.dialTemporal connecting to f.
func (f *fakeTemporal) dial(context.Context) (client.Client, error) { return f, nil }

// ExecuteWorkflow implements client.Client.
func (f *fakeTemporal) ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, _ any, _ ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	w, exists := f.workflows[opts.ID]
	running := exists && w.isRunning()
	if !running {
		w = f.addLocked(opts.ID)
		f.starts++
	}
	f.mu.Unlock()
	if f.onStart != nil {
		if err := f.onStart(ctx); err != nil {
			return nil, err
		}
	}
	if running && opts.WorkflowExecutionErrorWhenAlreadyStarted {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted(
			"Workflow execution is already running. WorkflowId: "+w.id+", RunId: "+w.runID+".", "", w.runID)
	}
	return fakeRun{w: w}, nil
}

// add records a new running run of workflow id, as another starter would
// have started it.
func (f *fakeTemporal) add(id string) *fakeWorkflow {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addLocked(id)
}

func (f *fakeTemporal) addLocked(id string) *fakeWorkflow {
	run := 1
	if prev, ok := f.workflows[id]; ok {
		run = prev.run + 1
	}
	w := &fakeWorkflow{id: id, runID: fmt.Sprintf("%s-run-%d", id, run), run: run, done: make(chan struct{})}
	f.workflows[id] = w
	return w
}

// DescribeWorkflow implements client.Client for the latest run of id.
func (f *fakeTemporal) DescribeWorkflow(_ context.Context, id, _ string) (*client.WorkflowExecutionDescription, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w, ok := f.workflows[id]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found for ID: " + id)
	}
	status := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	switch {
	case w.isRunning():
	case w.err != nil:
		status = enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED
	default:
		status = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}
	return &client.WorkflowExecutionDescription{WorkflowExecutionMetadata: client.WorkflowExecutionMetadata{
		WorkflowExecution: workflow.Execution{ID: id, RunID: w.runID},
		Status:            status,
	}}, nil
}

// CancelWorkflow implements client.Client: the workflow ends cancelled.
func (f *fakeTemporal) CancelWorkflow(_ context.Context, id, _ string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cancels++
	w, ok := f.workflows[id]
	if !ok {
		return serviceerror.NewNotFound("workflow not found for ID: " + id)
	}
	if f.onCancel != nil {
		f.onCancel(w)
	}
	if !w.isRunning() {
		return serviceerror.NewNotFound("workflow execution already completed")
	}
	w.err = temporal.NewCanceledError()
	close(w.done)
	return nil
}

// GetWorkflow implements client.Client.
func (f *fakeTemporal) GetWorkflow(_ context.Context, id, _ string) client.WorkflowRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeRun{w: f.workflows[id]}
}

// QueryWorkflow implements client.Client: no worker answers.
func (f *fakeTemporal) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	f.queryOnce.Do(func() { close(f.queried) })
	return nil, errors.New("no worker answered the query")
}

// Close implements client.Client.
func (f *fakeTemporal) Close() {}

// isRunning reports whether w has not closed yet.
func (w *fakeWorkflow) isRunning() bool {
	select {
	case <-w.done:
		return false
	default:
		return true
	}
}

// complete closes w with a result whose container exited with code.
// The caller holds f.mu or runs inside onCancel.
func (w *fakeWorkflow) complete(code int) {
	w.result = &activities.TaskResult{TaskArn: "arn:task", ExitCode: code}
	close(w.done)
}

// running returns the IDs of the workflows still open.
func (f *fakeTemporal) running() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for id, w := range f.workflows {
		if w.isRunning() {
			ids = append(ids, id)
		}
	}
	return ids
}

// fakeRun is a client.WorkflowRun of a fakeWorkflow.
type fakeRun struct {
	client.WorkflowRun
	w *fakeWorkflow
}

func (r fakeRun) GetID() string    { return r.w.id }
func (r fakeRun) GetRunID() string { return r.w.runID }

// Get waits for the workflow to close and returns how it ended.
func (r fakeRun) Get(ctx context.Context, valuePtr any) error {
	select {
	case <-r.w.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	if r.w.err != nil {
		return r.w.err
	}
	*valuePtr.(*activities.TaskResult) = *r.w.result
	return nil
}

// startCLI runs cliMain(args) in the background with the returned
// interrupts channel as its SIGINT/SIGTERM; wait returns its exit status,
// failing the test when it does not return within a deadline.
func startCLI(t *testing.T, c *cli, args ...string) (interrupts chan<- os.Signal, wait func() int) {
	t.Helper()
	ch := make(chan os.Signal, 2)
	c.interrupts = ch
	code := make(chan int, 1)
	go func() { code <- cliMain(args, c) }()
	return ch, func() int {
		t.Helper()
		select {
		case n := <-code:
			return n
		case <-time.After(10 * time.Second):
			require.FailNow(t, "starter did not exit", "args %v", args)
			return 0
		}
	}
}
