package ecslocal_test

import (
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

func TestCloseLeavesNoProcessOrGoroutine(t *testing.T) {
	baseline := runtime.NumGoroutine()

	srv := ecslocal.New(ecslocal.Options{StopTimeout: 200 * time.Millisecond})
	endpoint, err := srv.Start("")
	require.NoError(t, err)
	transport := http.DefaultTransport.(*http.Transport).Clone()
	cfg := ecslocaltest.Config(srv, endpoint, &http.Client{Transport: transport})
	e := &env{t: t, ctx: t.Context(), srv: srv, cfg: cfg, ecs: ecs.NewFromConfig(cfg), logs: cloudwatchlogs.NewFromConfig(cfg)}

	// Tasks that report their pid (and that of a child) and then wait: one
	// obeys SIGTERM, one ignores it, one is held in PROVISIONING.
	e.register("obedient", container("app", "sh", "-c", `sleep 60 & echo "pids $$ $!"; wait`))
	e.register("stubborn", container("app", "sh", "-c", `trap "" TERM; sleep 60 & echo "pids $$ $!"; while :; do wait; done`))
	var arns []string
	for _, family := range []string{"obedient", "stubborn", "obedient"} {
		arns = append(arns, aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String(family)}).TaskArn))
	}
	var pids []int
	for _, arn := range arns {
		stream := "app/app/" + taskID(arn)
		var lines []string
		require.Eventually(t, func() bool {
			lines = e.logLines("/ecslocal/test", stream)
			return len(lines) > 0
		}, waitTimeout, 10*time.Millisecond)
		for _, f := range strings.Fields(strings.TrimPrefix(lines[0], "pids ")) {
			pid, err := strconv.Atoi(f)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
	}
	srv.Faults().HoldProvisioning(time.Hour)
	e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("obedient")})
	for _, pid := range pids {
		require.True(t, processAlive(pid), "pid %d runs before Close", pid)
	}

	require.NoError(t, srv.Close())
	for _, pid := range pids {
		assert.False(t, processAlive(pid), "pid %d is gone after Close", pid)
	}
	transport.CloseIdleConnections()
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() > baseline && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // poll interval
	}
	if n := runtime.NumGoroutine(); n > baseline {
		buf := make([]byte, 1<<20)
		t.Fatalf("%d goroutines after Close, %d before:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
	}

	_, err = srv.Start("")
	assert.Error(t, err, "a closed server does not serve again")
	assert.NoError(t, srv.Close(), "Close is idempotent")
}
