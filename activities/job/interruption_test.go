package job_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestInterruptedStopCodes(t *testing.T) {
	for _, code := range []string{"SpotInterruption", "TerminationNotice", "InfrastructureHealth"} {
		assert.True(t, job.Interrupted(code), code)
	}
	for _, code := range []string{"", "EssentialContainerExited", "UserInitiated", "ServiceSchedulerInitiated", "TaskFailedToStart"} {
		assert.False(t, job.Interrupted(code), code)
	}
}

func TestInterruptionRetryValidation(t *testing.T) {
	for _, tc := range []struct{ job, field, message string }{
		{`{"image":"x","retryOnInterruption":-1}`, "retryOnInterruption", "between 0 and 10"},
		{`{"image":"x","retryOnInterruption":11}`, "retryOnInterruption", "between 0 and 10"},
		{`{"image":"x","interruptionFallback":{"launchType":"FARGATE"}}`, "interruptionFallback", "set retryOnInterruption"},
		{`{"image":"x","retryOnInterruption":1,"interruptionFallback":{}}`, "interruptionFallback", "exactly one"},
		{`{"image":"x","retryOnInterruption":1,"interruptionFallback":{"launchType":"FARGATE","capacityProviderStrategy":[{"capacityProvider":"FARGATE"}]}}`, "interruptionFallback", "exactly one"},
		{`{"image":"x","retryOnInterruption":1,"interruptionFallback":{"launchType":"SPOT"}}`, "interruptionFallback.launchType", "must be one of"},
		{`{"image":"x","retryOnInterruption":1,"interruptionFallback":{"capacityProviderStrategy":[{"weight":1}]}}`, "interruptionFallback.capacityProviderStrategy[0].capacityProvider", "required"},
		{`{"image":"x","retryOnInterruption":1,"interruptionFallback":{"lanchType":"FARGATE"}}`, "interruptionFallback.lanchType", ""},
	} {
		e := prepareError(t, tc.job)
		assert.Equal(t, tc.field, e.Field, tc.job)
		assert.Contains(t, e.Message, tc.message, tc.job)
	}
}

// The fallback replaces the launch type or strategy of the run request,
// and nothing else.
func TestOnFallbackRunsOnTheFallbackCapacity(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","launchType":"FARGATE_SPOT","retryOnInterruption":2,"interruptionFallback":{"launchType":"FARGATE"}}`)
	assert.Equal(t, 2, p.RetryOnInterruption)
	req, err := job.BuildRunRequest(p, "td:1", nil, "", "")
	require.NoError(t, err)
	requireJSON(t, `[{"capacityProvider":"FARGATE_SPOT","weight":1}]`, req["capacityProviderStrategy"])

	fb, err := p.OnFallback()
	require.NoError(t, err)
	req, err = job.BuildRunRequest(fb, "td:1", nil, "", "")
	require.NoError(t, err)
	assert.Equal(t, "FARGATE", req["launchType"])
	assert.NotContains(t, req, "capacityProviderStrategy")
	_, err = job.BuildRunRequest(p, "td:1", nil, "", "")
	require.NoError(t, err)
	assert.Contains(t, p.RunRequest, "capacityProviderStrategy", "the job itself is unchanged")

	strategy := mustPrepare(t, `{"image":"x","retryOnInterruption":1,"interruptionFallback":{"capacityProviderStrategy":[{"capacityProvider":"ondemand","weight":1,"base":1}]}}`)
	fb, err = strategy.OnFallback()
	require.NoError(t, err)
	requireJSON(t, `[{"capacityProvider":"ondemand","weight":1,"base":1}]`, fb.RunRequest["capacityProviderStrategy"])
	assert.NotContains(t, fb.RunRequest, "launchType")

	none := mustPrepare(t, `{"image":"x","retryOnInterruption":1}`)
	same, err := none.OnFallback()
	require.NoError(t, err)
	assert.Same(t, none, same)
}

func TestPreviewShowsTheFallbackRequest(t *testing.T) {
	out, err := job.Preview([]byte(`{"image":"x","launchType":"FARGATE_SPOT","retryOnInterruption":1,"interruptionFallback":{"launchType":"FARGATE"}}`), job.PrepareOptions{})
	require.NoError(t, err)
	requireJSON(t, `[{"capacityProvider":"FARGATE_SPOT","weight":1}]`, out.TaskRunRequest["capacityProviderStrategy"])
	require.NotNil(t, out.FallbackRunRequest)
	assert.Equal(t, "FARGATE", out.FallbackRunRequest["launchType"])

	out, err = job.Preview([]byte(`{"image":"x"}`), job.PrepareOptions{})
	require.NoError(t, err)
	assert.Nil(t, out.FallbackRunRequest)
}

func TestPreparedNamesTheEssentialContainers(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","taskDefinition":{"containerDefinitions":[
		{"name":"main","image":"x"},
		{"name":"proxy","image":"envoy","essential":true},
		{"name":"metrics","image":"m","essential":false}]}}`)
	assert.ElementsMatch(t, []string{"main", "proxy"}, p.Essential)
}
