package activities

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.temporal.io/sdk/temporal"
)

// describeTasksBatch is the most task ARNs one DescribeTasks call accepts.
const describeTasksBatch = 100

// describeCallTimeout bounds one DescribeTasks call of the watcher, well
// within the waits' heartbeat timeout (30s at least) past a poll interval.
const describeCallTimeout = 10 * time.Second

// errWatcherClosed is the cause of the error of a wait ended by the
// watcher's stop, as the worker shuts down.
var errWatcherClosed = errors.New("task watcher closed: the worker is stopping")

// errWorkerStopping is the retryable error of such a wait: the activity is
// retried on another worker, which resumes from the last heartbeat.
func errWorkerStopping() error {
	return temporal.NewApplicationErrorWithCause(errWatcherClosed.Error(), "WorkerStopping", errWatcherClosed)
}

// watcherOptions configures a watcher.
type watcherOptions struct {
	// Clients returns the ECS client of a region and role.
	Clients func(key clientKey) ECSAPI
	// MinPollInterval bounds the polling rate from below (default 1s).
	MinPollInterval time.Duration
	// Logger receives the watcher's own logs; nil means slog.Default().
	Logger *slog.Logger
}

// taskSnapshot is what one poll learnt about a watched task.
type taskSnapshot struct {
	// Task is the task as DescribeTasks returned it; nil when Missing or Err.
	Task *types.Task
	// Missing is set when ECS did not describe the task (failure reason
	// MISSING, or no entry at all): ECS is eventually consistent, so a task
	// just started may be missing for a few polls.
	Missing bool
	// Reason is ECS's failure reason when Missing.
	Reason string
	// Err is the error of the DescribeTasks call.
	Err error
}

// watcher polls ECS tasks for all the activities of a worker. It batches
// the tasks of each (region, role, cluster) into DescribeTasks calls of up
// to 100 ARNs and fans the results out to the subscribers, so the number of
// calls grows with the number of batches, not of tasks.
//
// Scheduling: each subscription is due every interval. The watcher wakes at
// the earliest due time, but never sooner than MinPollInterval after its
// previous poll; so it ticks at the smallest interval asked for, bounded
// below. A poll describes the due tasks of each group and fills the last,
// partial call of the group with tasks not yet due, which then get a fresh
// snapshot for free and fall into step with the others. A group whose
// calls are still in flight is left out of the polls until they end, so
// that a slow region or account delays no other.
type watcher struct {
	opts  watcherOptions
	calls atomic.Int64

	mu     sync.Mutex
	groups map[watchKey]map[*subscription]struct{}
	// busy holds the groups whose poll is in flight.
	busy map[watchKey]bool
	// polls counts the polls in flight, which Close waits for.
	polls sync.WaitGroup

	kick chan struct{}
	done chan struct{}
	// ctx bounds the DescribeTasks calls; it is cancelled when the watcher
	// stops, and its Done is the subscriptions'.
	ctx    context.Context
	cancel context.CancelFunc
}

// startWatcher starts a watcher; Close stops it.
func startWatcher(opts watcherOptions) *watcher {
	w := newWatcher(opts)
	go w.run()
	return w
}

// newWatcher returns a Watcher whose loop is not started.
func newWatcher(opts watcherOptions) *watcher {
	if opts.MinPollInterval <= 0 {
		opts.MinPollInterval = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &watcher{
		opts:   opts,
		groups: map[watchKey]map[*subscription]struct{}{},
		busy:   map[watchKey]bool{},
		kick:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		ctx:    ctx,
		cancel: cancel,
	}
}

// Close stops the watcher and waits for its goroutine to end. Subscribers
// see Done closed.
func (w *watcher) Close() {
	w.cancel()
	<-w.done
}

// DescribeCalls returns the number of DescribeTasks calls made so far.
func (w *watcher) DescribeCalls() int64 { return w.calls.Load() }

// watchKey groups the tasks one DescribeTasks call can cover.
type watchKey struct {
	clientKey
	Cluster string
}

// subscription delivers the snapshots of one watched task.
type subscription struct {
	w        *watcher
	key      watchKey
	taskArn  string
	interval time.Duration
	nextDue  time.Time // guarded by w.mu
	c        chan taskSnapshot
}

// Watch subscribes to the task taskArn of cluster (name or ARN) reached
// with the clients of key, polled every interval (bounded below by the
// watcher's MinPollInterval). The first snapshot comes at the next poll.
// The caller must Close the subscription.
func (w *watcher) Watch(key clientKey, cluster, taskArn string, interval time.Duration) *subscription {
	s := &subscription{
		w:        w,
		key:      watchKey{clientKey: key, Cluster: cluster},
		taskArn:  taskArn,
		interval: max(interval, w.opts.MinPollInterval),
		nextDue:  time.Now(),
		c:        make(chan taskSnapshot, 1),
	}
	w.mu.Lock()
	g := w.groups[s.key]
	if g == nil {
		g = map[*subscription]struct{}{}
		w.groups[s.key] = g
	}
	g[s] = struct{}{}
	w.mu.Unlock()
	w.wake()
	return s
}

// C delivers the latest snapshot; an unread one is replaced by a newer one.
func (s *subscription) C() <-chan taskSnapshot { return s.c }

// Done is closed when the watcher stops.
func (s *subscription) Done() <-chan struct{} { return s.w.ctx.Done() }

// Close ends the subscription.
func (s *subscription) Close() {
	s.w.mu.Lock()
	defer s.w.mu.Unlock()
	g := s.w.groups[s.key]
	delete(g, s)
	if len(g) == 0 {
		delete(s.w.groups, s.key)
	}
}

func (w *watcher) wake() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

func (w *watcher) run() {
	defer close(w.done)
	defer w.polls.Wait()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	var lastPoll time.Time
	for {
		if next, ok := w.nextWake(lastPoll); ok {
			timer.Reset(time.Until(next))
		} else {
			timer.Stop()
		}
		select {
		case <-w.ctx.Done():
			return
		case <-w.kick:
		case <-timer.C:
			now := time.Now()
			lastPoll = now
			w.polls.Go(func() { w.poll(now) })
		}
	}
}

// nextWake is the earliest due time of a subscription, but not sooner than
// MinPollInterval after the last poll; ok is false with no subscription
// (groups being polled do not count: the end of their poll wakes the loop).
func (w *watcher) nextWake(lastPoll time.Time) (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	var next time.Time
	for key, g := range w.groups {
		if w.busy[key] {
			continue
		}
		for s := range g {
			if next.IsZero() || s.nextDue.Before(next) {
				next = s.nextDue
			}
		}
	}
	if next.IsZero() {
		return next, false
	}
	if floor := lastPoll.Add(w.opts.MinPollInterval); next.Before(floor) {
		next = floor
	}
	return next, true
}

// poll describes the due tasks of every group not already being polled,
// the groups in parallel, and delivers the snapshots of each call as it
// returns.
func (w *watcher) poll(now time.Time) {
	// A subscription due within half a tick is polled now rather than
	// costing a poll of its own a moment later.
	horizon := now.Add(w.opts.MinPollInterval / 2)
	plans := map[watchKey][]string{}
	w.mu.Lock()
	for key, g := range w.groups {
		if w.busy[key] {
			continue
		}
		if arns := planBatch(g, horizon); len(arns) > 0 {
			plans[key] = arns
			w.busy[key] = true
		}
	}
	w.mu.Unlock()

	var wg sync.WaitGroup
	for key, arns := range plans {
		wg.Go(func() {
			defer w.endPoll(key)
			for start := 0; start < len(arns); start += describeTasksBatch {
				w.deliver(key, w.describe(key, arns[start:min(start+describeTasksBatch, len(arns))]), now)
			}
		})
	}
	wg.Wait()
}

// planBatch returns the ARNs a group's poll describes: those due by
// horizon, then, to fill the last call, those not due yet (which then fall
// into step with the others). None when nothing is due.
func planBatch(g map[*subscription]struct{}, horizon time.Time) []string {
	// A task watched twice is described once, and is due when either
	// watch is.
	isDue := make(map[string]bool, len(g))
	for s := range g {
		isDue[s.taskArn] = isDue[s.taskArn] || !s.nextDue.After(horizon)
	}
	var due, notDue []string
	for arn, d := range isDue {
		if d {
			due = append(due, arn)
		} else {
			notDue = append(notDue, arn)
		}
	}
	if len(due) == 0 {
		return nil
	}
	room := (len(due)+describeTasksBatch-1)/describeTasksBatch*describeTasksBatch - len(due)
	return append(due, notDue[:min(room, len(notDue))]...)
}

// describe makes one DescribeTasks call for arns and returns a snapshot
// per ARN.
func (w *watcher) describe(key watchKey, arns []string) map[string]taskSnapshot {
	out := make(map[string]taskSnapshot, len(arns))
	ctx, cancel := context.WithTimeout(w.ctx, describeCallTimeout)
	defer cancel()
	w.calls.Add(1)
	in := &ecs.DescribeTasksInput{Tasks: arns}
	if key.Cluster != "" {
		in.Cluster = aws.String(key.Cluster)
	}
	resp, err := w.opts.Clients(key.clientKey).DescribeTasks(ctx, in)
	if err != nil {
		if w.ctx.Err() == nil {
			w.opts.Logger.Warn("DescribeTasks failed", "cluster", key.Cluster, "region", key.Region, "tasks", len(arns), "error", err)
		}
		for _, arn := range arns {
			out[arn] = taskSnapshot{Err: err}
		}
		return out
	}
	for i := range resp.Tasks {
		t := &resp.Tasks[i]
		out[aws.ToString(t.TaskArn)] = taskSnapshot{Task: t}
	}
	for _, f := range resp.Failures {
		out[aws.ToString(f.Arn)] = taskSnapshot{Missing: true, Reason: aws.ToString(f.Reason)}
	}
	for _, arn := range arns {
		if _, ok := out[arn]; !ok {
			out[arn] = taskSnapshot{Missing: true, Reason: "MISSING"}
		}
	}
	return out
}

// endPoll ends the poll of the group key and wakes the loop, which left
// the group out of its schedule meanwhile.
func (w *watcher) endPoll(key watchKey) {
	w.mu.Lock()
	delete(w.busy, key)
	w.mu.Unlock()
	w.wake()
}

// deliver hands each subscriber of key its task's snapshot, replacing one
// it has not read yet, and schedules its next poll.
func (w *watcher) deliver(key watchKey, snaps map[string]taskSnapshot, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for s := range w.groups[key] {
		snap, ok := snaps[s.taskArn]
		if !ok {
			continue
		}
		s.nextDue = now.Add(s.interval)
		select {
		case <-s.c:
		default:
		}
		s.c <- snap
	}
}
