package activities

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// BenchmarkLogStreaming measures what streaming a task's output costs.
//
// idle and busy drive one streaming task's output through an hour of
// polls at the job's default poll interval (5s), the polls counted rather
// than waited for, against an in-memory stream: idle writes nothing, busy
// writes 10 lines before every poll. They report the GetLogEvents calls
// per streaming task per minute over the hour (calls/task/min) and over
// its second half (steady-calls/task/min), once an idle stream's reads
// have backed off.
//
// throughput drains a stream of 200,000 lines of 100 bytes from ecslocal
// through the real SDK client, within the worker's default budget (10
// calls a second, burst 10) and page size, writing each line as a JSON
// record (slog to io.Discard), and reports the lines per second one
// worker sustains; throughput-unbudgeted does the same without a budget,
// bound by the CPU (the in-process server's share included).
//
//	go test -run '^$' -bench LogStreaming -benchtime 20x ./activities/
func BenchmarkLogStreaming(b *testing.B) {
	const poll = 5 * time.Second
	const polls = int(time.Hour / poll)
	for _, tc := range []struct {
		name    string
		perPoll int
	}{{"idle", 0}, {"busy", 10}} {
		b.Run(tc.name, func(b *testing.B) {
			w := newFakeWorld()
			w.logs.pageSize = maxPageEvents
			// The budget is not what is measured: it never makes a poll wait.
			a := newTestActivities(b, w, func(o *Options) { o.LogEventsPerSecond, o.LogEventsBurst = 1e9, 1e9 })
			ctx := context.Background()
			calls, steady := 0, 0
			for i := range b.N {
				ref := testRef(fmt.Sprintf("arn:aws:ecs:us-east-1:123456789012:task/jobs/bench%d", i))
				ref.LogGroup, ref.LogStream = "g", "p/main/"+taskID(ref.TaskArn)
				w.logs.write(ref.LogGroup, ref.LogStream, 1, "started")
				out := a.newOutputStream(ctx, WaitInput{Task: ref, PollIntervalSeconds: poll.Seconds(), StreamOutput: true}, nil)
				w.logs.mu.Lock()
				before := w.logs.calls
				w.logs.mu.Unlock()
				var half int
				for p := range polls {
					if p == polls/2 {
						w.logs.mu.Lock()
						half = w.logs.calls
						w.logs.mu.Unlock()
					}
					if tc.perPoll > 0 {
						lines := make([]string, tc.perPoll)
						for k := range lines {
							lines[k] = fmt.Sprintf("line %d.%d", p, k)
						}
						w.logs.write(ref.LogGroup, ref.LogStream, int64(p+2), lines...)
					}
					if err := out.pump(ctx, func() {}); err != nil {
						b.Fatal(err)
					}
				}
				w.logs.mu.Lock()
				calls += w.logs.calls - before
				steady += w.logs.calls - half
				w.logs.mu.Unlock()
			}
			hour := (time.Duration(polls) * poll).Minutes()
			b.ReportMetric(float64(calls)/float64(b.N)/hour, "calls/task/min")
			b.ReportMetric(float64(steady)/float64(b.N)/(hour/2), "steady-calls/task/min")
		})
	}

	for _, tc := range []struct {
		name   string
		budget float64
	}{{"throughput", 10}, {"throughput-unbudgeted", float64(rate.Inf)}} {
		b.Run(tc.name, func(b *testing.B) { benchmarkDrainThroughput(b, tc.budget) })
	}
}

func benchmarkDrainThroughput(b *testing.B, budget float64) {
	const lines = 200000
	srv, cfg := ecslocaltest.Start(b, ecslocal.Options{})
	a := New(Options{AWS: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), LogGrace: time.Millisecond})
	b.Cleanup(a.Close)
	msg := fmt.Sprintf("%0100d", 0)
	if err := srv.Logs().CreateGroup("bench"); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var elapsed time.Duration
	total := 0
	for i := range b.N {
		stream := fmt.Sprintf("p/main/bench%d", i)
		now := time.Now()
		for k := range lines {
			if err := srv.Logs().Append("bench", stream, now.Add(time.Duration(k)*time.Millisecond), msg); err != nil {
				b.Fatal(err)
			}
		}
		ref := TaskRef{Region: cfg.Region, TaskArn: "arn:aws:ecs:us-east-1:000000000000:task/default/bench", ContainerName: "main",
			LogGroup: "bench", LogStream: stream}
		out := a.newOutputStream(ctx, WaitInput{Task: ref, StreamOutput: true}, nil)
		a.logLimit.SetLimit(rate.Limit(budget))
		a.logLimit.SetBurst(10)
		start := time.Now()
		report, err := out.drain(ctx, func() {})
		elapsed += time.Since(start)
		if err != nil || !report.Complete || report.Lines != lines {
			b.Fatalf("drain: %v %+v", err, report)
		}
		total += lines
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "lines/s")
	b.ReportMetric(0, "ns/op")
}
