package ecslocal_test

import (
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// noRetry makes a single attempt.
func noRetry[O any](o *O) {
	switch v := any(o).(type) {
	case *ecs.Options:
		v.RetryMaxAttempts = 1
	case *ec2.Options:
		v.RetryMaxAttempts = 1
	case *cloudwatchlogs.Options:
		v.RetryMaxAttempts = 1
	}
}

// assertWireError checks an error's code and HTTP status.
func assertWireError(t *testing.T, err error, code string, status int) {
	t.Helper()
	require.Error(t, err)
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, code, apiErr.ErrorCode())
	var respErr *awshttp.ResponseError
	require.True(t, errors.As(err, &respErr), "%v", err)
	assert.Equal(t, status, respErr.HTTPStatusCode())
}

func TestFaultThrottle(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.srv.Faults().Throttle("ecs:ListTasks", 2)
	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{})
	require.NoError(t, err, "the SDK retries throttling")
	assert.Equal(t, int64(3), e.srv.Stats()["ecs:ListTasks"])

	e.srv.Faults().Throttle("ecs:ListTasks", 1)
	_, err = e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	assertWireError(t, err, "ThrottlingException", http.StatusBadRequest)

	e.srv.Faults().Throttle("ec2:DescribeSubnets", 1)
	_, err = e.ec2.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{}, noRetry)
	assertWireError(t, err, "RequestLimitExceeded", http.StatusServiceUnavailable)

	e.srv.Faults().Throttle("logs:DescribeLogGroups", 1)
	_, err = e.logs.DescribeLogGroups(e.ctx, &cloudwatchlogs.DescribeLogGroupsInput{}, noRetry)
	assertWireError(t, err, "ThrottlingException", http.StatusBadRequest)
}

func TestFaultThrottleAboveRate(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.srv.Faults().ThrottleAbove("ecs:DescribeClusters", 0.001, 2)
	for range 2 {
		_, err := e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{}, noRetry)
		require.NoError(t, err, "within the burst")
	}
	_, err := e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{}, noRetry)
	assertWireError(t, err, "ThrottlingException", http.StatusBadRequest)
	e.srv.Faults().ThrottleAbove("ecs:DescribeClusters", 0, 0)
	_, err = e.ecs.DescribeClusters(e.ctx, &ecs.DescribeClustersInput{}, noRetry)
	require.NoError(t, err)
}

func TestFaultServerErrors(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("quick", container("app", "true"))
	e.srv.Faults().ServerErrors("ecs:RunTask", 1, http.StatusServiceUnavailable)
	_, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("quick")}, noRetry)
	assertWireError(t, err, "ServiceUnavailable", http.StatusServiceUnavailable)
	assert.Empty(t, e.allTasks(), "a failed call does nothing")

	e.srv.Faults().ServerErrors("ecs:RunTask", 2, http.StatusInternalServerError)
	out, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("quick")})
	require.NoError(t, err, "the SDK retries 5xx")
	assert.Len(t, out.Tasks, 1)

	e.srv.Faults().ServerErrors("ec2:DescribeVpcs", 1, http.StatusInternalServerError)
	_, err = e.ec2.DescribeVpcs(e.ctx, &ec2.DescribeVpcsInput{}, noRetry)
	assertWireError(t, err, "InternalError", http.StatusInternalServerError)
}

func TestFaultRunTaskFailures(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("quick", container("app", "true"))
	e.srv.Faults().RunTaskFailures(1, "RESOURCE:MEMORY")
	out, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("quick"), Count: aws.Int32(2)})
	require.NoError(t, err)
	assert.Empty(t, out.Tasks)
	require.Len(t, out.Failures, 2)
	assert.Equal(t, "RESOURCE:MEMORY", aws.ToString(out.Failures[0].Reason))
	assert.Empty(t, e.allTasks())
	e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("quick")})
}

// A request ECS would reject anyway (here: too many tags once the task
// definition's are propagated) fails with its own error and leaves the
// injected RunTask failure for the next valid request.
func TestFaultRunTaskFailuresSkipInvalidRequests(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	arn := e.register("tagged", container("app", "true"))
	tags := func(prefix string, n int) []types.Tag {
		var ts []types.Tag
		for i := range n {
			ts = append(ts, types.Tag{Key: aws.String(fmt.Sprintf("%s%d", prefix, i)), Value: aws.String("v")})
		}
		return ts
	}
	_, err := e.ecs.TagResource(e.ctx, &ecs.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags("def", 30)})
	require.NoError(t, err)
	e.srv.Faults().RunTaskFailures(1, "RESOURCE:MEMORY")

	_, err = e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{
		TaskDefinition: aws.String("tagged"), PropagateTags: types.PropagateTagsTaskDefinition, Tags: tags("task", 30),
	}, noRetry)
	var ipe *types.InvalidParameterException
	require.ErrorAs(t, err, &ipe)
	assert.Contains(t, ipe.ErrorMessage(), "Too many tags")

	out, err := e.ecs.RunTask(e.ctx, &ecs.RunTaskInput{TaskDefinition: aws.String("tagged")})
	require.NoError(t, err)
	assert.Empty(t, out.Tasks, "the fault still applies to the first valid request")
	require.Len(t, out.Failures, 1)
	assert.Equal(t, "RESOURCE:MEMORY", aws.ToString(out.Failures[0].Reason))
	e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("tagged")})
}

func TestFaultStopTask(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("sleeper", container("app", "sleep", "30"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("sleeper")})
	arn := aws.ToString(task.TaskArn)
	e.waitStatus(arn, "RUNNING")
	require.NoError(t, e.srv.Faults().StopTask(arn, "SpotInterruption", "Your Spot Task was interrupted."))
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCode("SpotInterruption"), done.StopCode)
	assert.Equal(t, "Your Spot Task was interrupted.", aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(143), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Error(t, e.srv.Faults().StopTask("nope", "SpotInterruption", "x"))
}

func TestFaultHoldProvisioning(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	marker := t.TempDir() + "/ran"
	e.register("marker", container("app", "touch", marker))
	e.srv.Faults().HoldProvisioning(time.Hour)
	held := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("marker")})
	for range 3 {
		assert.Equal(t, "PROVISIONING", aws.ToString(e.describe(aws.ToString(held.TaskArn)).LastStatus))
	}
	_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: held.TaskArn})
	require.NoError(t, err)
	done := e.waitStatus(aws.ToString(held.TaskArn), "STOPPED")
	assert.Nil(t, done.StartedAt)
	assert.Equal(t, types.TaskStopCodeUserInitiated, done.StopCode)
	assert.NoFileExists(t, marker, "a task stopped while provisioning never runs")

	const hold = 300 * time.Millisecond
	e.srv.Faults().HoldProvisioning(hold)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("marker")})
	done = e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.GreaterOrEqual(t, done.StartedAt.Sub(*done.CreatedAt), hold-5*time.Millisecond, "timestamps have ms precision")
	assert.FileExists(t, marker)
}

func TestFaultDescribeTasksMissing(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("quick", container("app", "true"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("quick")})
	e.srv.Faults().DescribeTasksMissing(2)
	for range 2 {
		out, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: []string{aws.ToString(task.TaskArn)}})
		require.NoError(t, err)
		assert.Empty(t, out.Tasks)
		require.Len(t, out.Failures, 1)
		assert.Equal(t, "MISSING", aws.ToString(out.Failures[0].Reason))
	}
	e.describe(aws.ToString(task.TaskArn))
}

func TestFaultDelayLogDelivery(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	// The log store's clock runs ahead of real time by skew, so the test
	// lets the delay pass by moving the clock rather than by waiting.
	var skew atomic.Int64
	e.srv.Logs().SetClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) })
	const delay = time.Minute
	e.register("echo", container("app", "echo", "late"))
	e.srv.Faults().DelayLogDelivery(delay)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("echo")})
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	stream := "app/app/" + taskID(aws.ToString(task.TaskArn))
	assert.Empty(t, e.logLines("/ecslocal/test", stream), "not delivered yet")
	skew.Store(int64(delay / 2))
	assert.Empty(t, e.logLines("/ecslocal/test", stream), "not delivered half-way through the delay")
	skew.Store(int64(delay))
	assert.Equal(t, []string{"late"}, e.logLines("/ecslocal/test", stream), "delivered once the delay has passed")
}

func TestFaultReset(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	f := e.srv.Faults()
	f.Throttle("ecs:ListTasks", 5)
	f.ServerErrors("ecs:ListTasks", 5, 500)
	f.LoseResponses("ecs:ListTasks", 5)
	f.Reset()
	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{}, noRetry)
	require.NoError(t, err)
	assert.Panics(t, func() { f.Throttle("RunTask", 1) }, "operation names carry their service")
}

func TestStats(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	_, err := e.ecs.ListTasks(e.ctx, &ecs.ListTasksInput{})
	require.NoError(t, err)
	_, err = e.ec2.DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{})
	require.NoError(t, err)
	_, err = e.logs.DescribeLogGroups(e.ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	require.NoError(t, err)
	want := map[string]int64{"ecs:ListTasks": 1, "ec2:DescribeSubnets": 1, "logs:DescribeLogGroups": 1}
	assert.Equal(t, want, e.srv.Stats())

	resp, err := http.Get(*e.cfg.BaseEndpoint + ecslocal.StatsPath)
	require.NoError(t, err)
	defer resp.Body.Close()
	var got map[string]int64
	require.NoError(t, jsonDecode(resp, &got))
	assert.Equal(t, want, got)

	e.srv.ResetStats()
	assert.Empty(t, e.srv.Stats())
}
