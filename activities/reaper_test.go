package activities

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

const reapNamespace = "ns-reap"

// fakeTemporal answers DescribeWorkflowExecution with the latest run of
// each workflow ID; an ID it does not know is NotFound.
type fakeTemporal struct {
	mu     sync.Mutex
	latest map[string]*workflowpb.WorkflowExecutionInfo
	errs   map[string]error
	calls  map[string]int
	runIDs []string // the runID argument of every call
}

func newFakeTemporal() *fakeTemporal {
	return &fakeTemporal{latest: map[string]*workflowpb.WorkflowExecutionInfo{}, errs: map[string]error{}, calls: map[string]int{}}
}

// set makes the latest run of workflowID runID, first run firstRunID.
func (f *fakeTemporal) set(workflowID, runID, firstRunID string, status enumspb.WorkflowExecutionStatus) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.latest[workflowID] = &workflowpb.WorkflowExecutionInfo{
		Execution:  &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: runID},
		FirstRunId: firstRunID,
		Status:     status,
	}
}

func (f *fakeTemporal) fail(workflowID string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.errs[workflowID] = err
}

func (f *fakeTemporal) callsOf(workflowID string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[workflowID]
}

func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[workflowID]++
	f.runIDs = append(f.runIDs, runID)
	if err := f.errs[workflowID]; err != nil {
		return nil, err
	}
	info, ok := f.latest[workflowID]
	if !ok {
		return nil, serviceerror.NewNotFound("workflow execution not found")
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: info}, nil
}

// tagsOnRequest is a fakeECS whose DescribeTasks returns tags only when
// asked to, as ECS does, and which records the clusters listed.
type tagsOnRequest struct {
	*fakeECS
	mu     sync.Mutex
	listed []string // "" for the default cluster
}

func (f *tagsOnRequest) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	out, err := f.fakeECS.DescribeTasks(ctx, in, opts...)
	if err == nil && !slices.Contains(in.Include, types.TaskFieldTags) {
		for i := range out.Tasks {
			out.Tasks[i].Tags = nil
		}
	}
	return out, err
}

func (f *tagsOnRequest) ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	if in.NextToken == nil {
		f.mu.Lock()
		f.listed = append(f.listed, aws.ToString(in.Cluster))
		f.mu.Unlock()
	}
	return f.fakeECS.ListTasks(ctx, in, opts...)
}

func (f *tagsOnRequest) clustersListed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.listed)
}

// reapWorld is Activities over one fake ECS per region and role, a fake
// Temporal, and a log capture.
type reapWorld struct {
	t        *testing.T
	a        *Activities
	temporal *fakeTemporal
	logs     *logCapture

	mu   sync.Mutex
	ecss map[clientKey]*tagsOnRequest
}

func newReapWorld(t *testing.T, mutate ...func(*Options)) *reapWorld {
	t.Helper()
	w := &reapWorld{t: t, temporal: newFakeTemporal(), logs: newLogCapture(), ecss: map[clientKey]*tagsOnRequest{}}
	fw := newFakeWorld()
	w.a = newTestActivities(t, fw, append([]func(*Options){func(o *Options) {
		o.Logger = slog.New(w.logs)
		o.newClients = func(key clientKey, _ aws.Config) Clients {
			return Clients{ECS: w.ecsOf(key.Region, key.RoleArn), EC2: fw.ec2, Logs: fw.logs}
		}
	}}, mutate...)...)
	return w
}

// ecsOf is the fake ECS of a region and role.
func (w *reapWorld) ecsOf(region, roleArn string) *tagsOnRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	key := clientKey{Region: region, RoleArn: roleArn}
	if w.ecss[key] == nil {
		w.ecss[key] = &tagsOnRequest{fakeECS: newFakeECS()}
	}
	return w.ecss[key]
}

// ecs is the fake ECS of the worker's region and credentials.
func (w *reapWorld) ecs() *tagsOnRequest { return w.ecsOf(testRegion, "") }

func (w *reapWorld) options() ReaperOptions {
	return ReaperOptions{Temporal: w.temporal, Namespace: reapNamespace}
}

// sweep runs one sweep with opts (w.options() when none).
func (w *reapWorld) sweep(opts ...ReaperOptions) int {
	w.t.Helper()
	o := w.options()
	if len(opts) > 0 {
		o = opts[0]
	}
	r, err := w.a.newReaper(o)
	require.NoError(w.t, err)
	return r.sweep(w.t.Context())
}

// owner is the owner of a task of workflowID's first run in the test
// namespace.
func owner(workflowID string) job.Owner {
	return job.Owner{Namespace: reapNamespace, WorkflowID: workflowID, RunID: workflowID + "-run-1", OriginalRunID: workflowID + "-run-1"}
}

// ecsTags converts job.Owner.Tags to the SDK's tags.
func ecsTags(tags []map[string]any) []types.Tag {
	var out []types.Tag
	for _, t := range tags {
		out = append(out, types.Tag{Key: aws.String(t["key"].(string)), Value: aws.String(t["value"].(string))})
	}
	return out
}

// addOwned adds a RUNNING task carrying o's startedBy and tags.
func addOwned(f *tagsOnRequest, o job.Owner) string {
	arn := f.addTask("RUNNING")
	f.update(arn, func(t *types.Task) {
		t.StartedBy = aws.String(o.StartedBy())
		t.DesiredStatus = aws.String("RUNNING")
		t.Tags = ecsTags(o.Tags())
	})
	return arn
}

func (f *tagsOnRequest) stoppedReason(arn string) (string, bool) {
	f.fakeECS.mu.Lock()
	defer f.fakeECS.mu.Unlock()
	r, ok := f.fakeECS.stopped[arn]
	return r, ok
}

func TestReaperStopsTheTasksOfClosedWorkflows(t *testing.T) {
	w := newReapWorld(t)
	statuses := []enumspb.WorkflowExecutionStatus{
		enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED,
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT,
	}
	want := map[string]string{} // task ARN → stop reason
	for _, s := range statuses {
		o := owner("wf-" + s.String()) // wf-Completed, wf-TimedOut, ...
		w.temporal.set(o.WorkflowID, o.RunID, o.RunID, s)
		want[addOwned(w.ecs(), o)] = "temporal-ecs reaper: workflow " + o.WorkflowID + " is " + statusName(s)
	}
	gone := owner("wf-gone") // unknown to Temporal: retention expired
	want[addOwned(w.ecs(), gone)] = "temporal-ecs reaper: workflow wf-gone was not found"

	assert.Equal(t, len(want), w.sweep())
	for arn, reason := range want {
		got, ok := w.ecs().stoppedReason(arn)
		require.True(t, ok, "task %s stopped", arn)
		assert.Equal(t, reason, got)
	}
	assert.EqualValues(t, len(want), w.a.ReapedTasks())
	assert.Equal(t, "temporal-ecs reaper: workflow wf-Terminated is TERMINATED", want[taskOf(w, "wf-Terminated")])

	reaped := w.logs.find("Reaper stopped the ECS task of a closed workflow")
	require.Len(t, reaped, len(want), "one warning per task")
	for _, r := range reaped {
		assert.Equal(t, slog.LevelWarn, r.Level)
		assert.Contains(t, want, r.Attrs["taskArn"])
		assert.Equal(t, testCluster, r.Attrs["cluster"])
		assert.NotEmpty(t, r.Attrs["workflowId"])
		assert.NotEmpty(t, r.Attrs["workflowStatus"])
	}
	statusOf := map[string]any{}
	for _, r := range reaped {
		statusOf[r.Attrs["workflowId"].(string)] = r.Attrs["workflowStatus"]
	}
	assert.Equal(t, "TIMED_OUT", statusOf["wf-TimedOut"])
	assert.Equal(t, "NOT_FOUND", statusOf["wf-gone"])
	for _, id := range w.temporal.runIDs {
		assert.Empty(t, id, "the latest run is described")
	}

	assert.Zero(t, w.sweep(), "the stopped tasks are no longer listed")
	assert.EqualValues(t, len(want), w.a.ReapedTasks())
}

// taskOf is the ARN of the task of workflowID in the worker's fake ECS.
func taskOf(w *reapWorld, workflowID string) string {
	f := w.ecs().fakeECS
	f.mu.Lock()
	defer f.mu.Unlock()
	for arn, task := range f.tasks {
		tags := map[string]string{}
		for _, tag := range task.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if o, ok := job.OwnerFromTags(tags); ok && o.WorkflowID == workflowID {
			return arn
		}
	}
	return ""
}

// TestReaperNeverStopsATaskWhoseWorkflowMayBeOpen covers every answer that
// does not prove the task's run closed, including the moment between
// RunTask returning and the workflow recording its result: the workflow is
// RUNNING then.
func TestReaperNeverStopsATaskWhoseWorkflowMayBeOpen(t *testing.T) {
	w := newReapWorld(t)
	f := w.ecs()
	running := enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	cases := map[string]func(o job.Owner){
		"running": func(o job.Owner) { w.temporal.set(o.WorkflowID, o.RunID, o.RunID, running) },
		"reset run of the same chain": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, "reset-run", o.OriginalRunID, running)
		},
		"continued run of the chain the task's run started": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, "next-run", o.RunID, running)
		},
		"running run whose chain began before the task's run": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, "later-run", "earlier-run", running)
		},
		"running run of an older server without FirstRunId": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, "other-run", "", running)
		},
		"paused": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_PAUSED)
		},
		"continued as new": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW)
		},
		"unspecified": func(o job.Owner) {
			w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_UNSPECIFIED)
		},
		"unknown status": func(o job.Owner) { w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WorkflowExecutionStatus(99)) },
		"unavailable":    func(o job.Owner) { w.temporal.fail(o.WorkflowID, serviceerror.NewUnavailable("frontend down")) },
		"deadline":       func(o job.Owner) { w.temporal.fail(o.WorkflowID, context.DeadlineExceeded) },
		"permission":     func(o job.Owner) { w.temporal.fail(o.WorkflowID, serviceerror.NewPermissionDenied("no", "")) },
		"namespace not found": func(o job.Owner) {
			w.temporal.fail(o.WorkflowID, serviceerror.NewNamespaceNotFound(reapNamespace))
		},
	}
	var arns []string
	for name, setUp := range cases {
		o := owner("wf-" + strings.ReplaceAll(name, " ", "-"))
		setUp(o)
		arns = append(arns, addOwned(f, o))
	}

	// A task RunTask has just started, its workflow running.
	fw := newFakeWorld()
	in := runJob(t, fw, `{"image":"busybox"}`)
	var ref TaskRef
	require.NoError(t, newTestEnv(t, w.a).run(&ref, w.a.RunTask, in))
	o := owner("wf-just-started")
	f.update(ref.TaskArn, func(t *types.Task) {
		t.StartedBy, t.Tags, t.DesiredStatus = aws.String(o.StartedBy()), ecsTags(o.Tags()), aws.String("RUNNING")
	})
	w.temporal.set(o.WorkflowID, o.RunID, o.RunID, running)
	arns = append(arns, ref.TaskArn)

	for range 3 {
		assert.Zero(t, w.sweep())
	}
	for _, arn := range arns {
		_, stopped := f.stoppedReason(arn)
		assert.False(t, stopped, "task %s kept", arn)
	}
	assert.Zero(t, w.a.ReapedTasks())
	assert.Len(t, w.logs.find("Reaper cannot describe a workflow: its tasks are kept"), 3*4, "one warning per failed Describe")
}

func TestReaperStopsATaskWhoseWorkflowIDRunsAnotherChain(t *testing.T) {
	w := newReapWorld(t)
	o := owner("wf-reused")
	// The task's run was terminated, then the ID was started anew: the
	// latest run is the first and only run of its chain.
	w.temporal.set(o.WorkflowID, "new-chain-run", "new-chain-run", enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING)
	arn := addOwned(w.ecs(), o)

	assert.Equal(t, 1, w.sweep())
	reason, ok := w.ecs().stoppedReason(arn)
	require.True(t, ok)
	assert.Equal(t, "temporal-ecs reaper: workflow wf-reused run wf-reused-run-1 is closed and its ID now runs another chain (run new-chain-run)", reason)
	reaped := w.logs.find("Reaper stopped")
	require.Len(t, reaped, 1)
	assert.Equal(t, "SUPERSEDED", reaped[0].Attrs["workflowStatus"])
}

func TestReaperLeavesTasksItDidNotStartAlone(t *testing.T) {
	w := newReapWorld(t)
	f := w.ecs()
	var arns []string
	// No startedBy, no tags: a task of someone else.
	arns = append(arns, f.addTask("RUNNING"))
	// The product's startedBy but no owner tags.
	untagged := f.addTask("RUNNING")
	f.update(untagged, func(t *types.Task) { t.StartedBy = aws.String(owner("wf-x").StartedBy()) })
	arns = append(arns, untagged)
	// Owner tags without the product's startedBy.
	foreign := owner("wf-foreign")
	tagged := f.addTask("RUNNING")
	f.update(tagged, func(t *types.Task) { t.StartedBy, t.Tags = aws.String("someone-else"), ecsTags(foreign.Tags()) })
	arns = append(arns, tagged)
	// Incomplete owner tags.
	partial := owner("wf-partial")
	incomplete := f.addTask("RUNNING")
	f.update(incomplete, func(t *types.Task) {
		t.StartedBy, t.Tags = aws.String(partial.StartedBy()), ecsTags(partial.Tags())[:2]
	})
	arns = append(arns, incomplete)
	// A task of another namespace's workflow: its workers sweep it.
	other := owner("wf-other-ns")
	other.Namespace = "elsewhere"
	arns = append(arns, addOwned(f, other))

	assert.Zero(t, w.sweep())
	for _, arn := range arns {
		_, stopped := f.stoppedReason(arn)
		assert.False(t, stopped, "task %s left alone", arn)
	}
	for _, id := range []string{"wf-x", "wf-foreign", "wf-partial", "wf-other-ns"} {
		assert.Zero(t, w.temporal.callsOf(id), "no Describe for %s", id)
	}
}

func TestReaperDescribesEachWorkflowOnceAndTasksInBatches(t *testing.T) {
	w := newReapWorld(t)
	f := w.ecs()
	f.listPageSize = 30
	f.listGhosts = []string{"arn:aws:ecs:us-east-1:123456789012:task/jobs/ghost"}
	closed, open := owner("wf-closed"), owner("wf-open")
	w.temporal.set(closed.WorkflowID, closed.RunID, closed.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	w.temporal.set(open.WorkflowID, open.RunID, open.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING)
	var closedTasks []string
	for i := range 250 {
		if i%2 == 0 {
			closedTasks = append(closedTasks, addOwned(f, closed))
		} else {
			addOwned(f, open)
		}
	}

	assert.Equal(t, len(closedTasks), w.sweep())
	assert.Equal(t, 1, w.temporal.callsOf(closed.WorkflowID))
	assert.Equal(t, 1, w.temporal.callsOf(open.WorkflowID))
	f.fakeECS.mu.Lock()
	assert.LessOrEqual(t, f.describeBatchMax, describeTasksBatch)
	assert.Equal(t, 3, f.describeTasksCalls, "251 ARNs in three DescribeTasks calls")
	assert.Len(t, f.stopped, len(closedTasks))
	f.fakeECS.mu.Unlock()
	for _, arn := range closedTasks {
		_, ok := f.stoppedReason(arn)
		assert.True(t, ok)
	}
}

func TestReaperSweepsLaunchedDefaultsAndExtraClusters(t *testing.T) {
	const role = "arn:aws:iam::123456789012:role/jobs"
	w := newReapWorld(t, func(o *Options) {
		o.Defaults = []byte(`{"image":"busybox","cluster":"batch","region":"eu-west-1","roleArn":"` + role + `"}`)
	})
	// RunTask records where it launched.
	in := runJob(t, newFakeWorld(), `{"image":"busybox","cluster":"jobs"}`)
	var ref TaskRef
	require.NoError(t, newTestEnv(t, w.a).run(&ref, w.a.RunTask, in))
	require.Equal(t, testCluster, ref.ClusterArn)
	// The same cluster by name, and a launch elsewhere.
	w.a.recordLaunch(&TaskRef{Region: testRegion, Cluster: "jobs"})
	w.a.recordLaunch(&TaskRef{Region: "eu-west-1", RoleArn: role, ClusterArn: "arn:aws:ecs:eu-west-1:123456789012:cluster/batch"})

	opts := w.options()
	opts.Clusters = []string{"extra", " arn:aws:ecs:ap-south-1:123456789012:cluster/far ", ""}
	assert.Zero(t, w.sweep(opts))

	assert.ElementsMatch(t, []string{testCluster, "extra"}, w.ecs().clustersListed(), "a launched cluster once, by ARN")
	assert.Equal(t, []string{"arn:aws:ecs:eu-west-1:123456789012:cluster/batch"}, w.ecsOf("eu-west-1", role).clustersListed(),
		"the defaults' cluster in their region and role, merged with the launch there")
	assert.Equal(t, []string{"arn:aws:ecs:ap-south-1:123456789012:cluster/far"}, w.ecsOf("ap-south-1", "").clustersListed(),
		"a cluster ARN is swept in its region")
}

func TestReaperWithoutDefaultsSweepsTheDefaultClusterQuietly(t *testing.T) {
	w := newReapWorld(t)
	f := w.ecs()
	f.listErr = &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}
	assert.Zero(t, w.sweep())
	assert.Equal(t, []string{""}, f.clustersListed(), "the default cluster of the worker's region")
	assert.Empty(t, w.logs.find("Reaper cannot list"), "an absent default cluster nobody named is no warning")

	opts := w.options()
	opts.Clusters = []string{"named"}
	assert.Zero(t, w.sweep(opts))
	warned := w.logs.find("Reaper cannot list the tasks of a cluster")
	require.Len(t, warned, 1, "a named cluster that does not exist is")
	assert.Equal(t, "named", warned[0].Attrs["cluster"])
}

func TestReaperGoesOnAfterAFailedECSCall(t *testing.T) {
	w := newReapWorld(t)
	broken := w.ecs()
	broken.listErr = &types.ServerException{Message: aws.String("internal error")}
	describeFails := w.ecsOf("eu-west-1", "")
	addOwned(describeFails, owner("wf-a"))
	describeFails.describeTasksErr = &types.ServerException{Message: aws.String("internal error")}
	healthy := w.ecsOf("eu-central-1", "")
	o1, o2 := owner("wf-1"), owner("wf-2")
	w.temporal.set(o1.WorkflowID, o1.RunID, o1.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	w.temporal.set(o2.WorkflowID, o2.RunID, o2.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	stopFails, stops := addOwned(healthy, o1), addOwned(healthy, o2)
	healthy.stopErrs = map[string]error{stopFails: &types.ServerException{Message: aws.String("internal error")}}

	opts := w.options()
	opts.Clusters = []string{
		"arn:aws:ecs:eu-west-1:123456789012:cluster/jobs", "arn:aws:ecs:eu-central-1:123456789012:cluster/jobs",
	}
	assert.Equal(t, 1, w.sweep(opts))
	_, ok := healthy.stoppedReason(stops)
	assert.True(t, ok, "the sweep went on past the failed clusters and the failed stop")
	assert.EqualValues(t, 1, w.a.ReapedTasks())

	listed := w.logs.find("Reaper cannot list the tasks of a cluster")
	require.Len(t, listed, 2)
	for _, r := range listed {
		assert.Equal(t, slog.LevelWarn, r.Level)
	}
	failed := w.logs.find("Reaper cannot stop the ECS task")
	require.Len(t, failed, 1)
	assert.Equal(t, stopFails, failed[0].Attrs["taskArn"])

	healthy.stopErrs = nil
	assert.Equal(t, 1, w.sweep(opts), "the next sweep stops it")
}

func TestReaperSweepsOfManyWorkersAreIdempotent(t *testing.T) {
	w := newReapWorld(t)
	f := w.ecs()
	o := owner("wf-shared")
	w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT)
	arn := addOwned(f, o)
	// Other workers' Activities share the fake ECS and Temporal.
	workers := []*Activities{w.a}
	for range 3 {
		workers = append(workers, newTestActivities(t, newFakeWorld(), func(opts *Options) {
			opts.newClients = func(clientKey, aws.Config) Clients { return Clients{ECS: f} }
		}))
	}
	var wg sync.WaitGroup
	for _, a := range workers {
		wg.Go(func() {
			r, err := a.newReaper(w.options())
			if assert.NoError(t, err) {
				r.sweep(t.Context())
			}
		})
	}
	wg.Wait()
	_, ok := f.stoppedReason(arn)
	assert.True(t, ok)
	assert.Empty(t, w.logs.find("Reaper cannot"), "no failure")
}

func TestReapReasonFitsECS(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	r := reapReason(long, "is TERMINATED")
	assert.LessOrEqual(t, len(r), maxStopReason)
	assert.True(t, utf8.ValidString(r))
	assert.True(t, strings.HasPrefix(r, "temporal-ecs reaper: workflow éé"))
	assert.True(t, strings.HasSuffix(r, "... is TERMINATED"), r)
	assert.Equal(t, "temporal-ecs reaper: workflow wf is TERMINATED", reapReason("wf", "is TERMINATED"))
}

func TestReapDelayIsJitteredWithinTheInterval(t *testing.T) {
	const interval = time.Minute
	seen := map[time.Duration]bool{}
	for range 1000 {
		d := reapDelay(interval, false)
		require.GreaterOrEqual(t, d, interval*3/4)
		require.LessOrEqual(t, d, interval)
		seen[d] = true
		first := reapDelay(interval, true)
		require.Positive(t, first)
		require.LessOrEqual(t, first, interval)
	}
	assert.Greater(t, len(seen), 1, "the waits differ")
}

func TestStartReaperSweepsUntilStopped(t *testing.T) {
	w := newReapWorld(t)
	o := owner("wf-bg")
	w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	addOwned(w.ecs(), o)

	opts := w.options()
	opts.Interval = 5 * time.Millisecond
	stop, err := w.a.StartReaper(t.Context(), opts)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return w.a.ReapedTasks() == 1 }, 10*time.Second, time.Millisecond)
	require.Eventually(t, func() bool { return len(w.ecs().clustersListed()) >= 3 }, 10*time.Second, time.Millisecond,
		"it keeps sweeping")
	stop()
	n := len(w.ecs().clustersListed())
	stop() // idempotent
	assert.Equal(t, n, len(w.ecs().clustersListed()), "no sweep after stop returned")

	_, err = w.a.StartReaper(t.Context(), ReaperOptions{Namespace: reapNamespace})
	assert.ErrorContains(t, err, "Temporal client")
	_, err = w.a.StartReaper(t.Context(), ReaperOptions{Temporal: w.temporal})
	assert.ErrorContains(t, err, "namespace")
}

func TestReaperOnAnEndedContextReturnsAtOnce(t *testing.T) {
	w := newReapWorld(t)
	o := owner("wf-late")
	w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	addOwned(w.ecs(), o)
	r, err := w.a.newReaper(w.options())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assert.Zero(t, r.sweep(ctx))
	assert.Empty(t, w.logs.find("Reaper cannot"), "an ended sweep is no failure")
}

func TestReaperStopsATaskListedUnderTwoClustersOnce(t *testing.T) {
	w := newReapWorld(t)
	o := owner("wf-twice")
	w.temporal.set(o.WorkflowID, o.RunID, o.RunID, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED)
	addOwned(w.ecs(), o)
	opts := w.options()
	opts.Clusters = []string{"alias"} // the fake lists the same tasks for every cluster
	assert.Equal(t, 1, w.sweep(opts))
	assert.Equal(t, []string{"", "alias"}, w.ecs().clustersListed())
	assert.EqualValues(t, 1, w.a.ReapedTasks())
	assert.Equal(t, 1, w.temporal.callsOf(o.WorkflowID))
}
