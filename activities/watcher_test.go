package activities

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// unstartedWatcher is a Watcher over f whose polls the test drives.
func unstartedWatcher(f *fakeECS, minInterval time.Duration) *watcher {
	return newWatcher(watcherOptions{Clients: func(clientKey) ECSAPI { return f }, MinPollInterval: minInterval, Logger: slog.New(slog.DiscardHandler)})
}

// received drains the subscription's pending snapshot, if any.
func received(s *subscription) (taskSnapshot, bool) {
	select {
	case snap := <-s.C():
		return snap, true
	default:
		return taskSnapshot{}, false
	}
}

func TestWatcherBatchesDescribeTasksByHundred(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, time.Second)
	key := clientKey{Region: testRegion}
	var subs []*subscription
	for range 250 {
		subs = append(subs, w.Watch(key, testCluster, f.addTask("RUNNING"), 5*time.Second))
	}

	w.poll(time.Now())

	_, _, calls := f.snapshot()
	assert.Equal(t, 3, calls, "250 tasks of one cluster need 3 calls")
	assert.Equal(t, 100, f.describeBatchMax)
	for _, s := range subs {
		snap, ok := received(s)
		require.True(t, ok, "every subscriber gets a snapshot")
		require.NotNil(t, snap.Task)
		assert.Equal(t, s.taskArn, aws.ToString(snap.Task.TaskArn))
	}
}

func TestWatcherSeparatesClustersRegionsAndRoles(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, time.Second)
	arn := f.addTask("RUNNING")
	w.Watch(clientKey{Region: testRegion}, testCluster, arn, time.Second)
	w.Watch(clientKey{Region: testRegion}, "other", arn, time.Second)
	w.Watch(clientKey{Region: "eu-west-1"}, testCluster, arn, time.Second)
	w.Watch(clientKey{Region: testRegion, RoleArn: "arn:aws:iam::1:role/r"}, testCluster, arn, time.Second)
	// The same task watched twice is described once.
	w.Watch(clientKey{Region: testRegion}, testCluster, arn, time.Second)

	w.poll(time.Now())

	_, _, calls := f.snapshot()
	assert.Equal(t, 4, calls)
}

func TestWatcherPollsDueTasksAndFillsTheBatchWithOthers(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, 10*time.Millisecond)
	key := clientKey{Region: testRegion}
	var fast, slow []*subscription
	for range 150 {
		fast = append(fast, w.Watch(key, testCluster, f.addTask("RUNNING"), 10*time.Millisecond))
	}
	for range 80 {
		slow = append(slow, w.Watch(key, testCluster, f.addTask("RUNNING"), time.Hour))
	}
	t0 := time.Now()
	w.poll(t0) // all new, all due: 3 calls
	for _, s := range append(fast, slow...) {
		_, ok := received(s)
		require.True(t, ok)
	}

	w.poll(t0.Add(20 * time.Millisecond))

	_, _, calls := f.snapshot()
	assert.Equal(t, 3+2, calls, "150 due tasks need 2 calls")
	for _, s := range fast {
		_, ok := received(s)
		require.True(t, ok, "a due task gets a snapshot")
	}
	free := 0
	for _, s := range slow {
		if _, ok := received(s); ok {
			free++
		}
	}
	assert.Equal(t, 50, free, "the second call's 50 free slots go to tasks not yet due")
}

func TestWatcherSkipsGroupsWithNothingDue(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, 10*time.Millisecond)
	s := w.Watch(clientKey{Region: testRegion}, testCluster, f.addTask("RUNNING"), time.Hour)
	t0 := time.Now()
	w.poll(t0)
	_, ok := received(s)
	require.True(t, ok)

	w.poll(t0.Add(time.Second))

	_, _, calls := f.snapshot()
	assert.Equal(t, 1, calls)
}

func TestWatcherReportsMissingTasksAndErrors(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, time.Second)
	key := clientKey{Region: testRegion}
	missing := w.Watch(key, testCluster, "arn:aws:ecs:us-east-1:123456789012:task/jobs/nope", time.Second)
	w.poll(time.Now())
	snap, ok := received(missing)
	require.True(t, ok)
	assert.True(t, snap.Missing)
	assert.Equal(t, "MISSING", snap.Reason)

	boom := errors.New("boom")
	f.describeTasksErr = boom
	w.poll(time.Now().Add(time.Hour))
	snap, ok = received(missing)
	require.True(t, ok)
	assert.ErrorIs(t, snap.Err, boom, "the DescribeTasks call's error")
}

func TestWatcherKeepsOnlyTheLatestUnreadSnapshot(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, time.Millisecond)
	arn := f.addTask("PENDING")
	s := w.Watch(clientKey{Region: testRegion}, testCluster, arn, time.Millisecond)
	t0 := time.Now()
	w.poll(t0)
	f.update(arn, func(t *types.Task) { t.LastStatus = aws.String("RUNNING") })
	w.poll(t0.Add(time.Second))

	snap, ok := received(s)
	require.True(t, ok)
	assert.Equal(t, "RUNNING", aws.ToString(snap.Task.LastStatus))
	_, ok = received(s)
	assert.False(t, ok)
}

func TestWatcherLoopDeliversUntilClosed(t *testing.T) {
	f := newFakeECS()
	w := startWatcher(watcherOptions{Clients: func(clientKey) ECSAPI { return f }, MinPollInterval: time.Millisecond})
	arn := f.addTask("PENDING")
	s := w.Watch(clientKey{Region: testRegion}, testCluster, arn, time.Millisecond)
	got := 0
	deadline := time.After(10 * time.Second)
	for got < 3 {
		select {
		case <-s.C():
			got++
		case <-deadline:
			t.Fatal("no snapshots from the watcher loop")
		}
	}
	s.Close()
	w.Close()
	select {
	case <-s.Done():
	default:
		t.Fatal("Done not closed after Close")
	}
	_, _, before := f.snapshot()
	w.Close() // idempotent
	_, _, after := f.snapshot()
	assert.Equal(t, before, after, "no poll after Close")
}

func TestWatcherUnsubscribedTaskIsNotPolled(t *testing.T) {
	f := newFakeECS()
	w := unstartedWatcher(f, time.Second)
	s := w.Watch(clientKey{Region: testRegion}, testCluster, f.addTask("RUNNING"), time.Second)
	s.Close()
	w.poll(time.Now())
	_, _, calls := f.snapshot()
	assert.Zero(t, calls)
	_, ok := w.nextWake(time.Time{})
	assert.False(t, ok, "no wake without subscribers")
}

func TestPlanBatchPollsATaskWatchedTwiceWhenEitherWatchIsDue(t *testing.T) {
	now := time.Now()
	// The same task watched by a due subscription and by one not due (e.g.
	// a retried attempt next to the one it replaces): the map's order must
	// not decide whether the task is described. Fresh maps, many times, as
	// map iteration order is random.
	for range 200 {
		g := map[*subscription]struct{}{
			{taskArn: "arn:task/1", nextDue: now.Add(-time.Second)}: {},
			{taskArn: "arn:task/1", nextDue: now.Add(time.Hour)}:    {},
		}
		require.Equal(t, []string{"arn:task/1"}, planBatch(g, now))
	}
}

// stalledECS is an ECS endpoint whose DescribeTasks hangs until released
// (or its call's context ends).
type stalledECS struct {
	*fakeECS
	release chan struct{}
}

func (s stalledECS) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.fakeECS.DescribeTasks(ctx, in, opts...)
}

func TestWatcherKeepsPollingOtherGroupsWhileOneStalls(t *testing.T) {
	f := newFakeECS()
	stalled := stalledECS{fakeECS: f, release: make(chan struct{})}
	const slowRegion = "eu-west-1"
	w := startWatcher(watcherOptions{
		Clients: func(k clientKey) ECSAPI {
			if k.Region == slowRegion {
				return stalled
			}
			return f
		},
		MinPollInterval: time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
	})
	defer w.Close()
	defer close(stalled.release)
	slow := w.Watch(clientKey{Region: slowRegion}, testCluster, f.addTask("RUNNING"), time.Millisecond)
	defer slow.Close()
	healthy := w.Watch(clientKey{Region: testRegion}, testCluster, f.addTask("RUNNING"), time.Millisecond)
	defer healthy.Close()

	// A region whose DescribeTasks hangs must not hold the polls of the
	// others: their waits would miss their heartbeats.
	got := 0
	deadline := time.After(10 * time.Second)
	for got < 3 {
		select {
		case <-healthy.C():
			got++
		case <-deadline:
			t.Fatalf("the healthy region got %d snapshots while another region's DescribeTasks hung", got)
		}
	}
	_, ok := received(slow)
	assert.False(t, ok, "the stalled region has no snapshot yet")
}

func TestWatcherCallTimeoutLetsAWaitHeartbeatInTime(t *testing.T) {
	// The waits heartbeat on every snapshot, a failed poll's included, and
	// the workflow gives them a heartbeat timeout of at least 30s (three
	// poll intervals when longer). A hung DescribeTasks must end in an
	// error snapshot before that, or the poll tolerance never comes into
	// play: the attempt times out and the next one meets the same fate.
	const minHeartbeatTimeout = 30 * time.Second
	for _, poll := range []time.Duration{time.Second, defaultPollInterval, 10 * time.Second, time.Minute} {
		hb := max(3*poll, minHeartbeatTimeout)
		assert.Less(t, poll+describeCallTimeout, hb, "poll interval %s", poll)
	}
}

// secondCallHangs is an ECS endpoint whose second DescribeTasks call hangs
// until released.
type secondCallHangs struct {
	*fakeECS
	calls   *atomic.Int32
	release chan struct{}
}

func (s secondCallHangs) DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	if s.calls.Add(1) == 2 {
		<-s.release
	}
	return s.fakeECS.DescribeTasks(ctx, in, opts...)
}

func TestWatcherDeliversEachBatchOfAGroupAsItsCallReturns(t *testing.T) {
	f := newFakeECS()
	api := secondCallHangs{fakeECS: f, calls: new(atomic.Int32), release: make(chan struct{})}
	w := newWatcher(watcherOptions{Clients: func(clientKey) ECSAPI { return api }, MinPollInterval: time.Second, Logger: slog.New(slog.DiscardHandler)})
	var subs []*subscription
	for range 150 {
		subs = append(subs, w.Watch(clientKey{Region: testRegion}, testCluster, f.addTask("RUNNING"), time.Second))
	}
	polled := make(chan struct{})
	go func() {
		w.poll(time.Now())
		close(polled)
	}()

	// The tasks of the first call get their snapshots (and their waits
	// heartbeat) while the second call of the group hangs.
	got := 0
	require.Eventually(t, func() bool {
		for _, s := range subs {
			if _, ok := received(s); ok {
				got++
			}
		}
		return got == 100
	}, 10*time.Second, time.Millisecond, "snapshots delivered while the second call hangs")
	close(api.release)
	<-polled
}
