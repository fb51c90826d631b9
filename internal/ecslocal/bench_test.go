package ecslocal_test

import (
	"bufio"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// BenchmarkConcurrentTasks launches 1,000 `sleep` tasks (one per RunTask,
// from 32 concurrent callers), waits until all are RUNNING while polling
// them with DescribeTasks in batches of 100, and reports RunTask and
// DescribeTasks latency percentiles, the time until all were RUNNING, and
// the process's (server and client) resident memory with every task
// running. Run it with
//
//	go test -run '^$' -bench ConcurrentTasks -benchtime 1x ./internal/ecslocal/
func BenchmarkConcurrentTasks(b *testing.B) {
	const tasks, callers = 1000, 32
	for b.Loop() {
		srv := ecslocal.New(ecslocal.Options{StopTimeout: time.Second})
		endpoint, err := srv.Start("")
		if err != nil {
			b.Fatal(err)
		}
		transport := http.DefaultTransport.(*http.Transport).Clone()
		transport.MaxIdleConnsPerHost = callers
		client := ecs.NewFromConfig(ecslocaltest.Config(srv, endpoint, &http.Client{Transport: transport}))
		ctx := b.Context()
		_, err = client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("sleeper"),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String("busybox"), Memory: aws.Int32(16), Command: []string{"sleep", "3600"},
			}},
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
					out, err := client.RunTask(ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("sleeper")})
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
		b.ReportMetric(allRunning.Seconds(), "s-to-all-running")
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
