package ecslocal_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestFaultSlowCalls(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	const d = 150 * time.Millisecond
	require.NoError(t, e.srv.Faults().Inject(ecslocal.Fault{Kind: ecslocal.FaultSlowCalls, Op: "logs:DescribeLogGroups", Duration: d.String()}))
	began := time.Now()
	_, err := e.logs.DescribeLogGroups(e.ctx, &cloudwatchlogs.DescribeLogGroupsInput{}, noRetry)
	require.NoError(t, err, "a slow call still answers")
	assert.GreaterOrEqual(t, time.Since(began), d)
	assert.Equal(t, int64(1), e.srv.Stats()["logs:DescribeLogGroups"])

	// Removed by Reset (and by a zero duration): with an hour's delay
	// left in place, these calls would not answer within the test.
	e.srv.Faults().SlowCalls("logs:DescribeLogGroups", time.Hour)
	e.srv.Faults().SlowCalls("ecs:ListTasks", time.Hour)
	e.srv.Faults().Reset()
	require.NoError(t, e.srv.Faults().Inject(ecslocal.Fault{Kind: ecslocal.FaultSlowCalls, Op: "ecs:ListClusters", Duration: "1h"}))
	require.NoError(t, e.srv.Faults().Inject(ecslocal.Fault{Kind: ecslocal.FaultSlowCalls, Op: "ecs:ListClusters", Duration: "0s"}))
	ctx, cancel := context.WithTimeout(e.ctx, 30*time.Second)
	defer cancel()
	_, err = e.logs.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{}, noRetry)
	require.NoError(t, err)
	_, err = e.ecs.ListTasks(ctx, &ecs.ListTasksInput{}, noRetry)
	require.NoError(t, err)
	_, err = e.ecs.ListClusters(ctx, &ecs.ListClustersInput{}, noRetry)
	require.NoError(t, err)

	_, err = ecslocal.ParseFault([]byte(`{"kind":"slowCalls","op":"logs:GetLogEvents","count":2,"duration":"1s"}`))
	assert.ErrorContains(t, err, `takes no "count"`)
	assert.Panics(t, func() { e.srv.Faults().SlowCalls("GetLogEvents", time.Second) }, "operation names carry their service")
}
