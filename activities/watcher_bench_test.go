package activities

import (
	"log/slog"
	"sync"
	"testing"
	"time"
)

// BenchmarkWatcherDescribeCalls watches 500 tasks of one cluster, each
// subscriber asking for a poll every interval, and reports the DescribeTasks
// calls made per watched task per poll (one call per task per poll without
// the watcher; the target is at most 1/100, the floor with 100 tasks per
// call) and per task per minute at the default 5-second poll interval. One
// iteration is one poll of every task, counted in steady state, once every
// subscriber has had its first snapshot.
//
// "together": the 500 tasks are watched at once. "staggered": they arrive
// in 5 waves of 100, each after the previous one's first poll, so their due
// times differ until batching brings them into step.
func BenchmarkWatcherDescribeCalls(b *testing.B) {
	b.Run("together", func(b *testing.B) { benchWatcher(b, 1) })
	b.Run("staggered", func(b *testing.B) { benchWatcher(b, 5) })
}

func benchWatcher(b *testing.B, waves int) {
	const tasks = 500
	const interval = 5 * time.Millisecond
	f := newFakeECS()
	w := startWatcher(watcherOptions{
		Clients:         func(clientKey) ECSAPI { return f },
		MinPollInterval: interval,
		Logger:          slog.New(slog.DiscardHandler),
	})
	defer w.Close()
	key := clientKey{Region: testRegion}
	subs := make([]*subscription, 0, tasks)
	for range waves {
		wave := make([]*subscription, 0, tasks/waves)
		for range tasks / waves {
			wave = append(wave, w.Watch(key, testCluster, f.addTask("RUNNING"), interval))
		}
		for _, s := range wave {
			<-s.C() // the wave's first poll
		}
		subs = append(subs, wave...)
	}
	start := w.DescribeCalls()
	b.ResetTimer()
	var wg sync.WaitGroup
	for _, s := range subs {
		wg.Go(func() {
			for range b.N {
				<-s.C()
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	for _, s := range subs {
		s.Close()
	}

	perPoll := float64(w.DescribeCalls()-start) / float64(tasks*b.N)
	b.ReportMetric(perPoll, "describe-calls/task/poll")
	b.ReportMetric(perPoll*float64(time.Minute/defaultPollInterval), "describe-calls/task/min")
	b.ReportMetric(0, "ns/op")
	if f.describeBatchMax > describeTasksBatch {
		b.Fatalf("a DescribeTasks call had %d tasks", f.describeBatchMax)
	}
}
