package main

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// fakeLogs is a stream whose events the test appends; token "n" means
// "after n events". It is safe for concurrent use.
type fakeLogs struct {
	mu     sync.Mutex
	events []string
	err    error
	// errs fail the calls with those numbers (1-based); before[n] runs
	// before call n is answered.
	errs   map[int]error
	before map[int]func()
	calls  int
}

func (f *fakeLogs) append(lines ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, lines...)
}

func (f *fakeLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	f.mu.Lock()
	f.calls++
	fn := f.before[f.calls]
	f.mu.Unlock()
	if fn != nil {
		fn()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if err := f.errs[f.calls]; err != nil {
		return nil, err
	}
	from := 0
	if in.NextToken != nil {
		from = len(*in.NextToken) - 1
	}
	out := &cloudwatchlogs.GetLogEventsOutput{NextForwardToken: aws.String("t" + strings.Repeat("x", len(f.events)))}
	for i, m := range f.events[from:] {
		out.Events = append(out.Events, cwtypes.OutputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(int64(from + i + 1))})
	}
	return out, nil
}

// throttling is CloudWatch's throttling answer as the SDK returns it.
func throttling() error {
	return &smithy.OperationError{ServiceID: "CloudWatch Logs", OperationName: "GetLogEvents", Err: &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 400}},
			Err:      &smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"},
		}}}
}

// printerOf returns a log printer of c reading api, with short waits.
func printerOf(c *cli, api activities.LogsAPI) *logPrinter {
	p := newLogPrinter(c)
	p.newClient = func(context.Context, string) (activities.LogsAPI, error) { return api, nil }
	p.retryDelay = time.Millisecond
	p.every = time.Millisecond
	p.budget = activities.NewLogBudget(1e6, 1e6)
	return p
}

func TestLogPrinterPrintsEachLineOnce(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	api := &fakeLogs{events: []string{"one", "two\n"}}
	var regions []string
	p := newLogPrinter(c)
	p.newClient = func(_ context.Context, region string) (activities.LogsAPI, error) {
		regions = append(regions, region)
		return api, nil
	}
	ctx := context.Background()
	p.print(ctx, "eu-west-1", "g", "s")
	api.append("three")
	p.print(ctx, "eu-west-1", "g", "s")
	p.print(ctx, "eu-west-1", "g", "s")
	assert.Equal(t, "one\ntwo\nthree\n", stdout.String())
	assert.Equal(t, []string{"eu-west-1"}, regions, "one client per region")

	api.err = errors.New("AccessDenied")
	p.print(ctx, "eu-west-1", "g", "s")
	p.print(ctx, "eu-west-1", "g", "s")
	assert.Equal(t, 1, strings.Count(stderr.String(), "AccessDenied"), "an error is reported once")

	api.err = throttling()
	p.print(ctx, "eu-west-1", "g", "s")
	assert.NotContains(t, stderr.String(), "Throttling", "throttling is not reported: the next poll reads on")
}

func TestDrainReadsUntilItHasTheLinesTheWorkerRead(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	api := &fakeLogs{events: []string{"1", "2"}}
	// The last line is readable only after the first reads reached the
	// end, and the first calls after that are throttled.
	api.before = map[int]func(){4: func() { api.append("3") }}
	api.errs = map[int]error{3: throttling(), 4: throttling()}
	p := printerOf(c, api)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	// The worker read three lines: the drain stops once it has them,
	// rather than after the (here endless) grace period.
	p.drain(ctx, "", "g", "s", 3, time.Hour)

	require.NoError(t, ctx.Err(), "the drain ended without waiting out the grace period")
	assert.Equal(t, "1\n2\n3\n", stdout.String())
	assert.Empty(t, stderr.String())
}

func TestDrainWarnsWhenTheOutputStaysShortOfTheWorkersLines(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	p := printerOf(c, &fakeLogs{events: []string{"1"}})
	p.drain(context.Background(), "", "g", "s", 2, time.Millisecond)
	assert.Equal(t, "1\n", stdout.String())
	assert.Contains(t, stderr.String(), "starter: warning: the output of g/s may be incomplete")
}

// closedTemporal is a Temporal server with one workflow, closed with
// result and no worker to answer queries; or running, with a worker that
// answers the status query while answering is set.
type closedTemporal struct {
	client.Client
	result   *activities.TaskResult
	running  bool
	closedAt time.Time

	mu        sync.Mutex
	answering bool
	status    workflows.Status
	queries   int
	done      chan struct{}
}

func (f *closedTemporal) DescribeWorkflow(context.Context, string, string) (*client.WorkflowExecutionDescription, error) {
	status := enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	if f.running {
		status = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	}
	return &client.WorkflowExecutionDescription{WorkflowExecutionMetadata: client.WorkflowExecutionMetadata{
		WorkflowExecution: workflow.Execution{ID: "job", RunID: "run"}, Status: status, WorkflowCloseTime: &f.closedAt,
	}}, nil
}

func (f *closedTemporal) GetWorkflow(context.Context, string, string) client.WorkflowRun {
	return closedRun{f: f}
}

func (f *closedTemporal) QueryWorkflow(context.Context, string, string, string, ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries++
	if !f.answering {
		return nil, errors.New("no worker answered the query")
	}
	v, err := converter.GetDefaultDataConverter().ToPayload(f.status)
	if err != nil {
		return nil, err
	}
	return encoded{v}, nil
}

type encoded struct{ p *commonpb.Payload }

func (e encoded) HasValue() bool { return true }
func (e encoded) Get(ptr any) error {
	return converter.GetDefaultDataConverter().FromPayload(e.p, ptr)
}

type closedRun struct {
	client.WorkflowRun
	f *closedTemporal
}

func (r closedRun) Get(ctx context.Context, ptr any) error {
	if r.f.done != nil {
		select {
		case <-r.f.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	*ptr.(*activities.TaskResult) = *r.f.result
	return nil
}

func TestLogsOfAClosedWorkflowPrintTheWholeOutputWithoutAWorker(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	var lines []string
	for i := 1; i <= 25; i++ {
		lines = append(lines, "line "+strconv.Itoa(i))
	}
	api := &fakeLogs{events: lines}
	tc := &closedTemporal{closedAt: time.Now(), result: &activities.TaskResult{Output: &activities.OutputReport{
		Complete: true, LogGroup: "g", LogStream: "s", LogRegion: "eu-west-1", Lines: 25,
	}}}
	f := &follower{c: c, tc: tc, workflowID: "job", logs: printerOf(c, api)}
	var region string
	f.logs.newClient = func(_ context.Context, r string) (activities.LogsAPI, error) { region = r; return api, nil }
	f.logs.grace = time.Hour // closed just now: were the line count unknown, it would wait

	require.NoError(t, f.printLogs(context.Background(), false))

	assert.Equal(t, strings.Join(lines, "\n")+"\n", stdout.String())
	assert.Empty(t, stderr.String())
	assert.Equal(t, "eu-west-1", region)
	assert.Zero(t, tc.queries, "the result says where the output is")
}

func TestFollowPrintsEveryLineOnceWhileNoWorkerAnswers(t *testing.T) {
	c, _, _ := testCLI(nil)
	stdout := &syncBuffer{}
	c.stdout = stdout
	api := &fakeLogs{events: []string{"1", "2"}}
	tc := &closedTemporal{running: true, answering: true, done: make(chan struct{}),
		status: workflows.Status{Phase: workflows.PhaseRunning, LogGroup: "g", LogStream: "s"}}
	f := &follower{c: c, tc: tc, workflowID: "job", poll: time.Millisecond, logs: printerOf(c, api)}
	printed := stdout.String
	done := make(chan error, 1)
	go func() {
		_, _, err := f.follow(context.Background())
		done <- err
	}()
	waitUntil(t, func() bool { return printed() == "1\n2\n" })

	// Every worker is down: no query is answered. Lines go on arriving.
	tc.mu.Lock()
	tc.answering = false
	tc.mu.Unlock()
	api.append("3", "4")
	waitUntil(t, func() bool { return printed() == "1\n2\n3\n4\n" })

	// A worker is back, the task ends; the worker read 5 lines.
	tc.mu.Lock()
	tc.answering = true
	tc.mu.Unlock()
	api.append("5")
	tc.result = &activities.TaskResult{Output: &activities.OutputReport{Complete: true, LogGroup: "g", LogStream: "s", Lines: 5}}
	close(tc.done)
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("follow did not end with the workflow")
	}
	assert.Equal(t, "1\n2\n3\n4\n5\n", stdout.String(), "each line once, in order")
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitUntil polls cond until it holds, failing t after a deadline.
func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		require.True(t, time.Now().Before(deadline), "condition never held")
		time.Sleep(time.Millisecond) // poll interval, not synchronisation
	}
}
