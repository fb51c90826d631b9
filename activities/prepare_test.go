package activities

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestPrepareTaskDefinitionMergesTheWorkerDefaults(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w, func(o *Options) {
		o.Defaults = json.RawMessage(`{"cluster":"platform","executionRoleArn":"arn:aws:iam::123456789012:role/exec"}`)
	})
	var p job.Prepared
	require.NoError(t, newTestEnv(t, a).run(&p, a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(`{"image":"busybox","command":"echo hi"}`)}))
	assert.Equal(t, "platform", p.Cluster)
	assert.Equal(t, testRegion, p.Region, "the worker's region")
	assert.Equal(t, "busybox", p.Image)
}

func TestPrepareTaskDefinitionRefusesAnInvalidJobNamingTheField(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(`{"image":"busybox","imag":"x"}`)})
	appErr := requireAppError(t, err, ErrInvalidJobConfiguration, true)
	assert.Contains(t, appErr.Error(), "imag")
	var detail job.Error
	require.NoError(t, appErr.Details(&detail))
	assert.Equal(t, "imag", detail.Field)
	assert.Zero(t, w.ecs.registerCalls+w.ecs.runCalls, "no AWS call")
}

func TestPrepareTaskDefinitionLogsEachWarning(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	env := newTestEnv(t, a)
	var p job.Prepared
	require.NoError(t, env.run(&p, a.PrepareTaskDefinition, PrepareInput{Job: json.RawMessage(
		`{"taskDefinitionArn":"arn:aws:ecs:us-east-1:123456789012:task-definition/x:1","image":"busybox"}`)}))
	require.NotEmpty(t, p.Warnings)
	for _, warning := range p.Warnings {
		assert.NotEmpty(t, env.logs.find(warning), "warning logged: %s", warning)
	}
}

func TestClientsAreBuiltOncePerRegionAndRole(t *testing.T) {
	w := newFakeWorld()
	f := newClientFactory(aws.Config{Region: testRegion}, w.newClients)
	f.get("", "")
	f.get(testRegion, "")
	f.get("eu-west-1", "")
	f.get("eu-west-1", "arn:aws:iam::123456789012:role/a")
	f.get("eu-west-1", "arn:aws:iam::123456789012:role/a")
	assert.Equal(t, []clientKey{
		{Region: testRegion},
		{Region: "eu-west-1"},
		{Region: "eu-west-1", RoleArn: "arn:aws:iam::123456789012:role/a"},
	}, w.builds)
}

func TestAssumedRoleClientsUseCachedSTSCredentials(t *testing.T) {
	var got aws.Config
	f := newClientFactory(aws.Config{Region: testRegion}, func(_ clientKey, cfg aws.Config) Clients {
		got = cfg
		return Clients{}
	})
	f.get("eu-west-1", "arn:aws:iam::123456789012:role/a")
	assert.Equal(t, "eu-west-1", got.Region)
	assert.IsType(t, &aws.CredentialsCache{}, got.Credentials)
	assert.NotNil(t, got.Retryer, "the SDK's standard retryer")
}

func TestParseIdentifier(t *testing.T) {
	c, task, err := ParseIdentifier("arn:aws:ecs:us-east-1:1:cluster/a::arn:aws:ecs:us-east-1:1:task/a/b")
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:ecs:us-east-1:1:cluster/a", c)
	assert.Equal(t, "arn:aws:ecs:us-east-1:1:task/a/b", task)
	assert.True(t, sameCluster("a", "arn:aws:ecs:us-east-1:1:cluster/a"))
	assert.False(t, sameCluster("arn:aws:ecs:us-east-1:1:cluster/a", "arn:aws:ecs:us-east-1:2:cluster/a"))
}

func TestBackoffStopsOnSuccessOnUnretryableErrorsAndAfterTheAttempts(t *testing.T) {
	b := backoff{attempts: 4, delay: time.Microsecond}
	calls := 0
	errRetry, errStop := assert.AnError, context.Canceled
	retryable := func(err error) bool { return err == errRetry }

	require.NoError(t, b.do(context.Background(), retryable, func(int) error { calls++; return nil }))
	assert.Equal(t, 1, calls)

	calls = 0
	assert.Equal(t, errStop, b.do(context.Background(), retryable, func(int) error { calls++; return errStop }))
	assert.Equal(t, 1, calls)

	calls = 0
	assert.Equal(t, errRetry, b.do(context.Background(), retryable, func(int) error { calls++; return errRetry }))
	assert.Equal(t, 4, calls)

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	calls = 0
	slow := backoff{attempts: 4, delay: time.Hour}
	assert.Equal(t, errRetry, slow.do(ctx, retryable, func(int) error { calls++; return errRetry }))
	assert.Equal(t, 1, calls, "a cancelled context ends the backoff")
}
