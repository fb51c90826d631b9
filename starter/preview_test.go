package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// preview runs `starter preview args...` and returns the two bodies and
// stderr; it fails the test unless the command succeeds.
func preview(t *testing.T, args ...string) (taskDef, runReq map[string]any, stderr string) {
	t.Helper()
	c, stdout, errOut := testCLI(nil)
	require.Equal(t, 0, cliMain(append([]string{"preview"}, args...), c), errOut.String())
	var out map[string]map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
	assert.Len(t, out, 2, "stdout is one object with taskDefinition and taskRunRequest: %s", stdout)
	require.Contains(t, out, "taskRunRequest")
	return out["taskDefinition"], out["taskRunRequest"], errOut.String()
}

// inputFile writes a job configuration for --input.
func inputFile(t *testing.T, job string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "job.json")
	require.NoError(t, os.WriteFile(p, []byte(job), 0o644))
	return p
}

func path(t *testing.T, v any, keys ...any) any {
	t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case string:
			m, ok := v.(map[string]any)
			require.True(t, ok, "not an object at %q: %v", k, v)
			v = m[k]
		case int:
			a, ok := v.([]any)
			require.True(t, ok && k < len(a), "no index %d in %v", k, v)
			v = a[k]
		}
	}
	return v
}

func TestPreviewCPUAndMemoryAlsoSentAsOverrides(t *testing.T) {
	_, run, _ := preview(t, "--image", "busybox", "--cpu", "512", "--memory", "1024")
	assert.Equal(t, "512", path(t, run, "overrides", "cpu"), "task-level override as a string")
	assert.Equal(t, "1024", path(t, run, "overrides", "memory"))
	assert.EqualValues(t, 512, path(t, run, "overrides", "containerOverrides", 0, "cpu"), "container override as an integer")
	assert.EqualValues(t, 1024, path(t, run, "overrides", "containerOverrides", 0, "memory"))

	_, run, _ = preview(t, "--image", "busybox")
	overrides, _ := run["overrides"].(map[string]any)
	assert.NotContains(t, overrides, "cpu", "defaults the job did not give are not overrides")
	assert.NotContains(t, overrides, "memory")
}

func TestPreviewEC2KeepsCompatibilitiesAndNetworkMode(t *testing.T) {
	def, run, _ := preview(t, "--image", "busybox", "--launch-type", "EC2")
	assert.Equal(t, "EC2", run["launchType"])
	assertNoFargate(t, def)
	assert.NotContains(t, def, "networkMode", "no network mode forced")

	def, _, _ = preview(t, "--launch-type", "EC2", "--input", inputFile(t,
		`{"image": "busybox", "taskDefinition": {"networkMode": "bridge", "requiresCompatibilities": ["EC2"]}}`))
	assert.Equal(t, "bridge", def["networkMode"], "the base definition's network mode is kept")
	assert.Equal(t, []any{"EC2"}, def["requiresCompatibilities"])
}

func TestPreviewNullLaunchTypeUsesClusterDefault(t *testing.T) {
	def, run, _ := preview(t, "--input", inputFile(t, `{"image": "busybox", "launchType": null}`))
	assert.NotContains(t, run, "launchType")
	assertNoFargate(t, def)
}

func assertNoFargate(t *testing.T, def map[string]any) {
	t.Helper()
	if compat, ok := def["requiresCompatibilities"].([]any); ok {
		assert.NotContains(t, compat, "FARGATE")
	}
}

func TestPreviewRefusesDefinitionWithoutEssentialContainer(t *testing.T) {
	c, _, stderr := testCLI(nil)
	code := cliMain([]string{"preview", "--input", inputFile(t, `{"image": "busybox", "taskDefinition": {"containerDefinitions": [
		{"name": "main", "essential": false}, {"name": "sidecar", "image": "envoy", "essential": false}]}}`)}, c)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr.String(), "invalid job configuration")
	assert.Contains(t, stderr.String(), "essential")
}

func TestPreviewKeepsBaseDefinitionContainers(t *testing.T) {
	def, _, _ := preview(t, "--input", inputFile(t, `{"image": "app:2", "containerName": "app", "taskDefinition": {"containerDefinitions": [
		{"name": "init", "image": "init:1", "essential": false},
		{"name": "app", "image": "app:1", "secrets": [{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/t"}]},
		{"name": "sidecar", "image": "envoy", "essential": true}]}}`))
	containers := path(t, def, "containerDefinitions").([]any)
	require.Len(t, containers, 3)
	var names []any
	for _, c := range containers {
		names = append(names, c.(map[string]any)["name"])
	}
	assert.Equal(t, []any{"init", "app", "sidecar"}, names, "extra containers kept, in order")
	assert.Equal(t, false, path(t, containers[0], "essential"))
	assert.Equal(t, "app:2", path(t, containers[1], "image"), "the job's image wins")
	assert.Equal(t, "TOKEN", path(t, containers[1], "secrets", 0, "name"), "secrets kept")
	assert.Equal(t, true, path(t, containers[2], "essential"))
}

func TestPreviewWarnings(t *testing.T) {
	_, run, stderr := preview(t, "--task-definition-arn", "arn:aws:ecs:us-east-1:1:task-definition/etl:3",
		"--family", "ignored", "--cpu", "256")
	assert.Equal(t, "arn:aws:ecs:us-east-1:1:task-definition/etl:3", run["taskDefinition"])
	assert.Regexp(t, `starter: warning: .*ignored.*family`, stderr, "names the definition fields the job set")
	assert.NotRegexp(t, `ignored.*memory`, stderr, "only fields the job set")

	_, run, stderr = preview(t, "--launch-type", "FARGATE", "--input", inputFile(t,
		`{"image": "busybox", "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}`))
	assert.NotContains(t, run, "launchType")
	assert.Contains(t, stderr, "launchType", "a warning says launchType was dropped")
}

func TestPreviewFargateSpot(t *testing.T) {
	_, run, _ := preview(t, "--image", "busybox", "--launch-type", "FARGATE_SPOT")
	assert.NotContains(t, run, "launchType")
	assert.Equal(t, "FARGATE_SPOT", path(t, run, "capacityProviderStrategy", 0, "capacityProvider"))
	assert.EqualValues(t, 1, path(t, run, "capacityProviderStrategy", 0, "weight"))
}
