package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/arn"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// The orphan reaper stops the ECS tasks whose workflow ended without
// stopping them (execution or run timeout, termination). Every worker runs
// one; they need no leader, since stopping a stopped task is a success.
//
// A sweep lists the running tasks of every cluster the worker knows (those
// it launched tasks in, its job defaults' cluster, the extra clusters),
// keeps those the product started (startedBy under job.StartedByPrefix,
// owner tags naming a workflow of the worker's namespace), describes the
// latest run of each of their workflow IDs once, and stops a task only
// when that run is closed, the workflow is not found, or the ID now runs a
// chain that cannot be the task's (see judge). Anything else (running,
// paused, an unknown status, a failed Describe) keeps the task: the reaper
// never stops a task whose workflow may be open.

// DefaultReapInterval is the time between two sweeps when
// ReaperOptions.Interval is not set.
const DefaultReapInterval = time.Minute

const (
	// reapCallTimeout bounds each AWS and Temporal call of a sweep.
	reapCallTimeout = 30 * time.Second
	// maxStopReason is the longest stoppedReason ECS accepts.
	maxStopReason = 255
	// Statuses of a reaped task's workflow that are no execution status.
	reapStatusNotFound   = "NOT_FOUND"
	reapStatusSuperseded = "SUPERSEDED"
)

// WorkflowDescriber is the part of the Temporal client the reaper uses;
// client.Client satisfies it.
type WorkflowDescriber interface {
	DescribeWorkflowExecution(ctx context.Context, workflowID, runID string) (*workflowservice.DescribeWorkflowExecutionResponse, error)
}

var _ WorkflowDescriber = client.Client(nil)

// ReaperOptions configures the orphan reaper (StartReaper).
type ReaperOptions struct {
	// Temporal describes the workflows of Namespace; required.
	Temporal WorkflowDescriber
	// Namespace is the Temporal namespace of the worker; required. Tasks
	// of other namespaces are left to those namespaces' workers.
	Namespace string
	// Interval is the longest time between two sweeps (DefaultReapInterval
	// when not positive). Each wait is shortened by up to a quarter at
	// random, and the first is up to one interval, so that workers started
	// together do not sweep in step.
	Interval time.Duration
	// Clusters are swept besides the clusters the worker launched tasks in
	// and its job defaults' cluster: a cluster ARN is swept in its region,
	// a name in the worker's region; both with the worker's own
	// credentials.
	Clusters []string
}

// StartReaper sweeps for orphaned tasks in the background until ctx ends
// or stop is called; stop waits for the sweep in flight to end. It fails
// only when opts lacks Temporal or Namespace. Failures of a sweep are
// logged as warnings and retried by the next sweep. (Neither StartReaper
// nor ReapedTasks has an activity's signature, so registering Activities
// as a struct of activities skips them.)
func (a *Activities) StartReaper(ctx context.Context, opts ReaperOptions) (stop func(), err error) {
	r, err := a.newReaper(opts)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.run(ctx)
	}()
	return func() { cancel(); <-done }, nil
}

// ReapedTasks is the number of tasks the reapers of a have stopped.
func (a *Activities) ReapedTasks() int64 { return a.reap.reaped.Load() }

// recordLaunch records that the task of ref was launched, for the reaper
// to sweep its region, role and cluster.
func (a *Activities) recordLaunch(ref *TaskRef) {
	cluster := ref.ClusterArn
	if cluster == "" {
		cluster = ref.Cluster
	}
	t := a.newReapTarget(ref.Region, ref.RoleArn, cluster, false)
	a.reap.mu.Lock()
	defer a.reap.mu.Unlock()
	if a.reap.launched == nil {
		a.reap.launched = map[targetKey]reapTarget{}
	}
	addTarget(a.reap.launched, t)
}

// reaperState is the reaper's state in Activities: the clusters the
// worker launched tasks in, and the count of tasks reaped.
type reaperState struct {
	reaped   atomic.Int64
	mu       sync.Mutex
	launched map[targetKey]reapTarget
}

// reapTarget is a cluster to sweep and the clients that reach it.
type reapTarget struct {
	region, roleArn string
	// cluster is sent to ECS: a name, an ARN, or "" for the default cluster.
	cluster string
	// implicit is set for the default cluster that no configuration names:
	// its absence is no misconfiguration worth a warning.
	implicit bool
}

// targetKey identifies a cluster: with the same credentials and region, a
// name and an ARN of that name are the same cluster.
type targetKey struct{ region, roleArn, name string }

func (a *Activities) newReapTarget(region, roleArn, cluster string, implicit bool) reapTarget {
	if p, err := arn.Parse(cluster); err == nil && p.Region != "" {
		region = p.Region
	}
	return reapTarget{region: a.clients.key(region, roleArn).Region, roleArn: roleArn, cluster: cluster, implicit: implicit}
}

func (t reapTarget) key() targetKey {
	name := clusterName(t.cluster)
	if name == "" {
		name = "default"
	}
	return targetKey{t.region, t.roleArn, name}
}

// label names the cluster in logs.
func (t reapTarget) label() string {
	if t.cluster == "" {
		return "default"
	}
	return t.cluster
}

// addTarget adds t to m, merging it with the same cluster named otherwise:
// an ARN is kept over a name, and a cluster is implicit only when every
// source is.
func addTarget(m map[targetKey]reapTarget, t reapTarget) {
	k := t.key()
	old, ok := m[k]
	if !ok {
		m[k] = t
		return
	}
	if !arn.IsARN(old.cluster) && arn.IsARN(t.cluster) {
		old.cluster = t.cluster
	}
	old.implicit = old.implicit && t.implicit
	m[k] = old
}

// reaper is the configured reaper of one Activities.
type reaper struct {
	a     *Activities
	opts  ReaperOptions
	log   *slog.Logger
	fixed []reapTarget // the job defaults' cluster and opts.Clusters
}

func (a *Activities) newReaper(opts ReaperOptions) (*reaper, error) {
	switch {
	case opts.Temporal == nil:
		return nil, errors.New("reaper: no Temporal client")
	case opts.Namespace == "":
		return nil, errors.New("reaper: no Temporal namespace")
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultReapInterval
	}
	r := &reaper{a: a, opts: opts, log: a.opts.Logger}

	var defaults struct {
		Cluster string `json:"cluster"`
		Region  string `json:"region"`
		RoleArn string `json:"roleArn"`
	}
	if len(a.opts.Defaults) > 0 {
		if err := json.Unmarshal(a.opts.Defaults, &defaults); err != nil {
			r.log.Warn("Reaper cannot read the cluster of the job defaults: sweeping the default cluster of the worker's region instead", "error", err)
			defaults.Cluster, defaults.Region, defaults.RoleArn = "", "", ""
		}
	}
	r.fixed = append(r.fixed, a.newReapTarget(defaults.Region, defaults.RoleArn, defaults.Cluster, defaults.Cluster == ""))
	for _, c := range opts.Clusters {
		if c = strings.TrimSpace(c); c != "" {
			r.fixed = append(r.fixed, a.newReapTarget("", "", c, false))
		}
	}
	return r, nil
}

// run sweeps until ctx ends.
func (r *reaper) run(ctx context.Context) {
	r.log.Info("Reaper started", "interval", r.opts.Interval, "namespace", r.opts.Namespace)
	t := time.NewTimer(reapDelay(r.opts.Interval, true))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		r.sweep(ctx)
		t.Reset(reapDelay(r.opts.Interval, false))
	}
}

// reapDelay is the wait before a sweep: within the first interval for the
// first sweep, else between three quarters of the interval and the whole.
func reapDelay(interval time.Duration, first bool) time.Duration {
	if first {
		return rand.N(interval) + 1
	}
	return interval - rand.N(interval/4+1)
}

// targets are the clusters of a sweep.
func (r *reaper) targets() []reapTarget {
	m := map[targetKey]reapTarget{}
	for _, t := range r.fixed {
		addTarget(m, t)
	}
	s := &r.a.reap
	s.mu.Lock()
	for _, t := range s.launched {
		addTarget(m, t)
	}
	s.mu.Unlock()
	out := make([]reapTarget, 0, len(m))
	for _, t := range m {
		out = append(out, t)
	}
	slices.SortFunc(out, func(x, y reapTarget) int {
		return strings.Compare(x.region+"\x00"+x.roleArn+"\x00"+x.cluster, y.region+"\x00"+y.roleArn+"\x00"+y.cluster)
	})
	return out
}

// reapCandidate is a running task of the product in the worker's namespace.
type reapCandidate struct {
	api     ECSAPI
	cluster string // the task's cluster ARN, else the target's cluster
	taskArn string
	owner   job.Owner
}

// sweep runs one sweep and returns the number of tasks it stopped.
func (r *reaper) sweep(ctx context.Context) int {
	byWorkflow := map[string][]reapCandidate{}
	var workflowIDs []string
	seen := map[string]bool{}
	for _, t := range r.targets() {
		if ctx.Err() != nil {
			return 0
		}
		found, err := r.candidates(ctx, t)
		switch {
		case err == nil:
		case t.implicit && isClusterNotFound(err):
			r.log.Debug("Reaper skipped the default cluster: it does not exist", "region", t.region, "roleArn", t.roleArn)
			continue
		default:
			r.log.Warn("Reaper cannot list the tasks of a cluster: skipped until the next sweep",
				"cluster", t.label(), "region", t.region, "roleArn", t.roleArn, "error", err)
			continue
		}
		for _, c := range found {
			if seen[c.taskArn] {
				continue
			}
			seen[c.taskArn] = true
			id := c.owner.WorkflowID
			if _, ok := byWorkflow[id]; !ok {
				workflowIDs = append(workflowIDs, id)
			}
			byWorkflow[id] = append(byWorkflow[id], c)
		}
	}

	reaped := 0
	for _, id := range workflowIDs {
		if ctx.Err() != nil {
			break
		}
		cctx, cancel := context.WithTimeout(ctx, reapCallTimeout)
		resp, err := r.opts.Temporal.DescribeWorkflowExecution(cctx, id, "")
		cancel()
		if err != nil && !isWorkflowNotFound(err) {
			if ctx.Err() != nil {
				break
			}
			r.log.Warn("Reaper cannot describe a workflow: its tasks are kept", "workflowId", id, "error", err)
			continue
		}
		for _, c := range byWorkflow[id] {
			v := judge(c.owner, resp, err)
			if !v.stop {
				continue
			}
			if r.stop(ctx, c, v) {
				reaped++
			}
		}
	}
	return reaped
}

// stop stops a task of a closed workflow and reports whether it did.
func (r *reaper) stop(ctx context.Context, c reapCandidate, v verdict) bool {
	cctx, cancel := context.WithTimeout(ctx, reapCallTimeout)
	defer cancel()
	if err := r.a.stopOne(cctx, c.api, c.cluster, c.taskArn, reapReason(c.owner.WorkflowID, v.ending)); err != nil {
		if ctx.Err() == nil {
			r.log.Warn("Reaper cannot stop the ECS task of a closed workflow: retried at the next sweep",
				"taskArn", c.taskArn, "cluster", c.cluster, "workflowId", c.owner.WorkflowID, "error", err)
		}
		return false
	}
	r.a.reap.reaped.Add(1)
	r.a.metrics.taskReaped()
	r.log.Warn("Reaper stopped the ECS task of a closed workflow",
		"taskArn", c.taskArn, "cluster", c.cluster, "workflowId", c.owner.WorkflowID, "runId", c.owner.RunID,
		"workflowStatus", v.status)
	return true
}

// candidates lists the running tasks of t and returns those of the
// product in the worker's namespace.
func (r *reaper) candidates(ctx context.Context, t reapTarget) ([]reapCandidate, error) {
	api := r.a.clients.get(t.region, t.roleArn).ECS
	var cluster *string
	if t.cluster != "" {
		cluster = aws.String(t.cluster)
	}
	var arns []string
	pages := ecs.NewListTasksPaginator(api, &ecs.ListTasksInput{Cluster: cluster, DesiredStatus: types.DesiredStatusRunning})
	for pages.HasMorePages() {
		cctx, cancel := context.WithTimeout(ctx, reapCallTimeout)
		out, err := pages.NextPage(cctx)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("list the running tasks of cluster %s: %w", t.label(), err)
		}
		arns = append(arns, out.TaskArns...)
	}
	cctx, cancel := context.WithTimeout(ctx, reapCallTimeout)
	defer cancel()
	tasks, err := describeWithTags(cctx, api, t.cluster, arns)
	if err != nil {
		return nil, fmt.Errorf("describe the %d running tasks of cluster %s: %w", len(arns), t.label(), err)
	}
	var found []reapCandidate
	for _, task := range tasks {
		owner, ok := r.ownerOf(task)
		if !ok {
			continue
		}
		c := reapCandidate{api: api, cluster: aws.ToString(task.ClusterArn), taskArn: aws.ToString(task.TaskArn), owner: owner}
		if c.cluster == "" {
			c.cluster = t.cluster
		}
		found = append(found, c)
	}
	return found, nil
}

// ownerOf returns the owner of a task the product started for a workflow
// of the worker's namespace, and whether it is one still meant to run.
func (r *reaper) ownerOf(task types.Task) (job.Owner, bool) {
	if !strings.HasPrefix(aws.ToString(task.StartedBy), job.StartedByPrefix) ||
		aws.ToString(task.DesiredStatus) == "STOPPED" {
		return job.Owner{}, false
	}
	owner, ok := ownerOf(task)
	return owner, ok && owner.Namespace == r.opts.Namespace
}

// verdict is what the reaper decides about one task.
type verdict struct {
	stop bool
	// status is how the workflow ended, for the log: an execution status
	// (TERMINATED, TIMED_OUT, ...), NOT_FOUND or SUPERSEDED.
	status string
	// ending ends the stop reason "... workflow <ID> <ending>".
	ending string
}

// judge decides whether the task of owner is an orphan, from the
// description of the latest run of its workflow ID (or the error that
// describing it returned). The task is stopped only when no run that may
// own it can be open:
//
//   - the latest run is closed (completed, failed, cancelled, terminated,
//     timed out): no run of the ID is open;
//   - the workflow is not found (never started, or deleted after its
//     retention period);
//   - the latest run is running but superseded: it is the first and only
//     run of its chain (its FirstRunId is its own run ID) and is neither
//     the task's run nor the task's original run. Then the task's run is
//     closed (one run of an ID is open at a time), and the open run is no
//     reset, retry, cron or continue-as-new successor of it, which would
//     carry the chain's first run ID: nothing will adopt the task.
//
// Every other case keeps the task: a running run of the task's chain or
// of a chain the response cannot tell apart from it (a FirstRunId of an
// earlier run, or none at all from an older server), a paused or
// continued-as-new run (the chain goes on), an unknown status, or an
// error.
func judge(owner job.Owner, resp *workflowservice.DescribeWorkflowExecutionResponse, err error) verdict {
	switch {
	case isWorkflowNotFound(err):
		return verdict{stop: true, status: reapStatusNotFound, ending: "was not found"}
	case err != nil:
		return verdict{}
	}
	info := resp.GetWorkflowExecutionInfo()
	status := info.GetStatus()
	name := statusName(status)
	switch status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED,
		enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT:
		return verdict{stop: true, status: name, ending: "is " + name}
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		if latest := info.GetExecution().GetRunId(); superseded(owner, info) {
			return verdict{stop: true, status: reapStatusSuperseded,
				ending: fmt.Sprintf("run %s is closed and its ID now runs another chain (run %s)", owner.RunID, latest)}
		}
	}
	return verdict{status: name}
}

// superseded reports whether the running latest run described by info is
// demonstrably of another chain than the run of owner (see judge).
func superseded(owner job.Owner, info *workflowpb.WorkflowExecutionInfo) bool {
	latest, first := info.GetExecution().GetRunId(), info.GetFirstRunId()
	return latest != "" && first == latest && latest != owner.RunID && latest != owner.OriginalRunID
}

func isWorkflowNotFound(err error) bool {
	var nf *serviceerror.NotFound
	return errors.As(err, &nf)
}

// statusName is an execution status as the API spells it: TIMED_OUT.
func statusName(s enumspb.WorkflowExecutionStatus) string {
	name, ok := enumspb.WorkflowExecutionStatus_name[int32(s)]
	if !ok {
		return s.String()
	}
	return strings.TrimPrefix(name, "WORKFLOW_EXECUTION_STATUS_")
}

// reapReason is the stop reason "temporal-ecs reaper: workflow <ID>
// <ending>", at most maxStopReason bytes: a workflow ID too long for it is
// cut (at a character boundary) and ends with "...".
func reapReason(workflowID, ending string) string {
	const head = "temporal-ecs reaper: workflow "
	room := maxStopReason - len(head) - len(" ") - len(ending)
	if len(workflowID) > room {
		cut := max(room-len("..."), 0)
		for cut > 0 && !utf8.RuneStart(workflowID[cut]) {
			cut--
		}
		workflowID = workflowID[:cut] + "..."
	}
	return truncate(head+workflowID+" "+ending, maxStopReason)
}
