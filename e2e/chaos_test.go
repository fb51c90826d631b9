package e2e_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

const (
	chaosJobs     = 20
	chaosDuration = 40 * time.Second
	chaosTimeout  = 8 * time.Minute
)

// chaosJob is one job of the chaos test and the outcome it deserves.
type chaosJob struct {
	run      client.WorkflowRun
	exitCode int
}

// chaosSeed is CHAOS_SEED when set (to replay a run), else a new seed.
func chaosSeed(t *testing.T) uint64 {
	if s := os.Getenv("CHAOS_SEED"); s != "" {
		seed, err := strconv.ParseUint(s, 10, 64)
		require.NoError(t, err, "CHAOS_SEED")
		return seed
	}
	return rand.Uint64()
}

// While jobs run, a loop SIGKILLs and restarts the worker at random
// moments and the endpoint loses RunTask responses and throttles the
// calls. At the end exactly one task was started per job, none is left
// running, and every workflow ended as its job deserves. The seed is
// printed: CHAOS_SEED=<seed> replays the same jobs, faults and kill times.
func TestChaosWorkerKillsAndFaultsStartOneTaskPerJob(t *testing.T) {
	h := need(t)
	// Longer than testTimeout: each kill costs the waits a heartbeat
	// timeout (30s) before another attempt resumes them.
	ctx, cancel := context.WithTimeout(context.Background(), chaosTimeout)
	t.Cleanup(cancel)
	seed := chaosSeed(t)
	t.Logf("chaos seed %d (replay with CHAOS_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed>>1|1))

	l := h.startLocalECS(ctx, t)
	queue := "e2e-chaos-" + uuid.NewString()[:8]
	env := []string{"AWS_ENDPOINT_URL=" + l.endpoint}
	w, err := h.startWorker(ctx, "chaos-worker", env, "--task-queue="+queue)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })

	fault := func() {
		switch rng.IntN(3) {
		case 0:
			l.loseResponses(ctx, t, "ecs:RunTask", 1+rng.IntN(3))
		case 1:
			l.throttle(ctx, t, "ecs:RunTask", 1+rng.IntN(3))
		default:
			l.throttle(ctx, t, "ecs:DescribeTasks", 1+rng.IntN(5))
		}
	}
	fault()
	var jobs []chaosJob
	for i := range chaosJobs {
		code := []int{0, 0, 0, 3}[rng.IntN(4)]
		script := fmt.Sprintf("echo job %d; sleep %d; exit %d", i, 2+rng.IntN(8), code)
		run := h.startOn(ctx, t, fmt.Sprintf("%s-%02d", workflowID(t), i), queue, shellJob(script))
		jobs = append(jobs, chaosJob{run: run, exitCode: code})
	}

	end := time.Now().Add(chaosDuration)
	for kills := 1; time.Now().Before(end); kills++ {
		select { // the chaos itself: a random moment, not a synchronisation
		case <-ctx.Done():
			t.Fatal(ctx.Err())
		case <-time.After(time.Duration(500+rng.IntN(6000)) * time.Millisecond):
		}
		fault()
		t.Logf("kill %d of the worker", kills)
		w.kill()
		w, err = h.startWorker(ctx, "chaos-worker", env, "--task-queue="+queue)
		require.NoError(t, err)
	}

	for _, j := range jobs {
		err := j.run.Get(ctx, nil)
		if j.exitCode == 0 {
			assert.NoError(t, err, "job %s", j.run.GetID())
		} else {
			var app *temporal.ApplicationError
			if assert.ErrorAs(t, err, &app, "job %s", j.run.GetID()) {
				assert.Equal(t, workflows.ErrTaskExitedNonZero, app.Type(), "job %s", j.run.GetID())
				var res activities.TaskResult
				require.NoError(t, app.Details(&res))
				assert.Equal(t, j.exitCode, res.ExitCode, "job %s", j.run.GetID())
			}
		}
		assert.Len(t, tasksOf(ctx, t, l.aws, j.run.GetID()), 1, "job %s started exactly one task", j.run.GetID())
	}
	running, err := ecs.NewFromConfig(l.aws).ListTasks(ctx, &ecs.ListTasksInput{DesiredStatus: ecstypes.DesiredStatusRunning})
	require.NoError(t, err)
	for _, arn := range running.TaskArns {
		assert.Fail(t, "a task is left running", "%s: %s", arn, aws.ToString(describeTask(ctx, t, l.aws, "default", arn).LastStatus))
	}
	if t.Failed() {
		t.Logf("chaos seed %d (replay with CHAOS_SEED=%d)", seed, seed)
	}
}
