package ecslocal_test

import (
	"bufio"
	"net/http"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// BenchmarkConcurrentTasks launches 1,000 tasks (one per RunTask, from 32
// concurrent callers), waits until all are RUNNING while polling them with
// DescribeTasks in batches of 100, and reports RunTask and DescribeTasks
// latency percentiles, the time until all were RUNNING, and the resident
// memory with every task running. Its sub-benchmarks differ in what the
// tasks do:
//
//   - sleep: `sleep 3600`, output discarded (no log driver);
//   - awslogs: three lines through the awslogs driver, then `sleep 3600`;
//     it also waits until all 3,000 lines are in the log store and reports
//     when they were.
//
// rss-MiB is the resident set of the benchmark's process with every task
// running: the server, the SDK client driving it and the benchmark's own
// bookkeeping, but not the tasks' processes. It bounds the server's memory
// from above. rss-base-MiB is the same process before the server was
// created (after returning freed memory to the OS): the test binary
// itself, plus, when another sub-benchmark ran before, what the Go runtime
// kept of that run's memory. Run it with
//
//	go test -run '^$' -bench ConcurrentTasks -benchtime 1x ./internal/ecslocal/
func BenchmarkConcurrentTasks(b *testing.B) {
	b.Run("sleep", func(b *testing.B) {
		benchConcurrentTasks(b, types.ContainerDefinition{
			Name: aws.String("app"), Image: aws.String("busybox"), Memory: aws.Int32(16), Command: []string{"sleep", "3600"},
		}, 0)
	})
	b.Run("awslogs", func(b *testing.B) {
		const lines = 3
		benchConcurrentTasks(b, types.ContainerDefinition{
			Name: aws.String("app"), Image: aws.String("busybox"), Memory: aws.Int32(16),
			Command: []string{"sh", "-c", `echo "starting $1"; echo "working on $1"; echo "$1 is now asleep"; exec sleep 3600`, "sh", "task"},
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": benchLogGroup, "awslogs-stream-prefix": "bench", "awslogs-create-group": "true",
			}},
		}, lines)
	})
}

// benchLogGroup is where the awslogs sub-benchmark's tasks log.
const benchLogGroup = "/ecslocal/bench"

// benchConcurrentTasks runs 1,000 tasks of container, each writing
// linesPerTask lines through awslogs (0: none), as described on
// BenchmarkConcurrentTasks.
func benchConcurrentTasks(b *testing.B, container types.ContainerDefinition, linesPerTask int) {
	const tasks, callers = 1000, 32
	for b.Loop() {
		// Start each run from the memory the process needs without a
		// server, whatever ran before it.
		debug.FreeOSMemory()
		baseRSS := vmRSS(b)
		srv := ecslocal.New(ecslocal.Options{StopTimeout: time.Second})
		endpoint, err := srv.Start("")
		if err != nil {
			b.Fatal(err)
		}
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = callers
		cfg := ecslocaltest.Config(srv, endpoint, &http.Client{Transport: transport})
		client := ecs.NewFromConfig(cfg)
		ctx := b.Context()
		_, err = client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family:               aws.String("bench"),
			ContainerDefinitions: []types.ContainerDefinition{container},
		})
		if err != nil {
			b.Fatal(err)
		}

		launchStart := time.Now()
		var mu sync.Mutex
		var runLatencies []time.Duration
		var arns []string
		var wg sync.WaitGroup
		next := make(chan struct{}, tasks)
		for range tasks {
			next <- struct{}{}
		}
		close(next)
		for range callers {
			wg.Go(func() {
				for range next {
					start := time.Now()
					out, err := client.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("bench")})
					took := time.Since(start)
					if err != nil || len(out.Tasks) != 1 {
						b.Errorf("RunTask: %v %v", err, out)
						return
					}
					mu.Lock()
					runLatencies = append(runLatencies, took)
					arns = append(arns, aws.ToString(out.Tasks[0].TaskArn))
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if b.Failed() {
			b.FailNow()
		}

		var describeLatencies []time.Duration
		deadline := time.Now().Add(2 * time.Minute)
		for running := 0; running < tasks; {
			if time.Now().After(deadline) {
				b.Fatalf("only %d of %d tasks RUNNING after 2 minutes", running, tasks)
			}
			running = 0
			for batch := range slices.Chunk(arns, 100) {
				start := time.Now()
				out, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Tasks: batch})
				describeLatencies = append(describeLatencies, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				for _, task := range out.Tasks {
					if aws.ToString(task.LastStatus) == "RUNNING" {
						running++
					} else if aws.ToString(task.LastStatus) == "STOPPED" {
						b.Fatalf("task stopped: %s", aws.ToString(task.StoppedReason))
					}
				}
			}
		}
		allRunning := time.Since(launchStart)
		var allLogged time.Duration
		if linesPerTask > 0 {
			waitForLogEvents(b, cloudwatchlogs.NewFromConfig(cfg), tasks*linesPerTask, deadline)
			allLogged = time.Since(launchStart)
		}
		rss := vmRSS(b)

		b.StopTimer()
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
		transport.CloseIdleConnections()
		b.StartTimer()

		b.ReportMetric(percentile(runLatencies, 50), "runtask-p50-ms")
		b.ReportMetric(percentile(runLatencies, 99), "runtask-p99-ms")
		b.ReportMetric(percentile(describeLatencies, 50), "describe100-p50-ms")
		b.ReportMetric(percentile(describeLatencies, 99), "describe100-p99-ms")
		b.ReportMetric(rss, "rss-MiB")
		b.ReportMetric(baseRSS, "rss-base-MiB")
		b.ReportMetric(allRunning.Seconds(), "s-to-all-running")
		if linesPerTask > 0 {
			b.ReportMetric(allLogged.Seconds(), "s-to-all-logged")
		}
	}
}

// waitForLogEvents polls the benchmark's log group until it holds want
// events, failing after deadline.
func waitForLogEvents(b *testing.B, logs *cloudwatchlogs.Client, want int, deadline time.Time) {
	for {
		got := 0
		p := cloudwatchlogs.NewFilterLogEventsPaginator(logs, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String(benchLogGroup)})
		for p.HasMorePages() {
			out, err := p.NextPage(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			got += len(out.Events)
		}
		if got == want {
			return
		}
		if got > want || time.Now().After(deadline) {
			b.Fatalf("%d log events in %s, want %d", got, benchLogGroup, want)
		}
		time.Sleep(20 * time.Millisecond) // poll interval, not synchronisation
	}
}

// percentile returns the p-th percentile of ds in milliseconds.
func percentile(ds []time.Duration, p int) float64 {
	slices.Sort(ds)
	i := min(len(ds)-1, (len(ds)*p+99)/100-1)
	return float64(ds[max(i, 0)]) / float64(time.Millisecond)
}

// vmRSS returns this process's resident set size in MiB.
func vmRSS(b *testing.B) float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				b.Fatal(err)
			}
			return float64(kb) / 1024
		}
	}
	b.Fatal("no VmRSS in /proc/self/status")
	return 0
}
