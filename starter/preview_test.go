package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests below pin, through `starter preview`, the rules of the job
// contract that show in the request bodies (issue 5); activities/job has
// the unit tests of the same rules.

// preview runs `starter preview args...` and returns the two bodies
// (numbers as json.Number, so that "512" and 512 differ) and stderr; it
// fails the test unless the command succeeds.
func preview(t *testing.T, args ...string) (taskDef, runReq map[string]any, stderr string) {
	t.Helper()
	c, stdout, errOut := testCLI(nil)
	require.Equal(t, 0, cliMain(append([]string{"preview"}, args...), c), errOut.String())
	dec := json.NewDecoder(bytes.NewReader(stdout.Bytes()))
	dec.UseNumber()
	var out map[string]any
	require.NoError(t, dec.Decode(&out), stdout.String())
	assert.False(t, dec.More(), "stdout holds one JSON object: %s", stdout)
	assert.Len(t, out, 2, "stdout is one object with taskDefinition and taskRunRequest: %s", stdout)
	require.Contains(t, out, "taskRunRequest")
	def, _ := out["taskDefinition"].(map[string]any)
	return def, out["taskRunRequest"].(map[string]any), errOut.String()
}

// previewFails runs `starter preview args...`, expects it to fail, and
// returns stdout and stderr.
func previewFails(t *testing.T, args ...string) (stdout, stderr string) {
	t.Helper()
	c, out, errOut := testCLI(nil)
	assert.Equal(t, 1, cliMain(append([]string{"preview"}, args...), c), errOut.String())
	return out.String(), errOut.String()
}

// inputFile writes a job configuration for --input.
func inputFile(t *testing.T, job string) string {
	t.Helper()
	return writeFile(t, "job.json", job)
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

// path walks v along object keys (string) and array indexes (int).
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

// object returns the object at keys of v, or nil when there is none.
func object(v any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	m, _ := v.(map[string]any)
	return m
}

// warnings returns the warning lines of stderr.
func warnings(stderr string) []string {
	var out []string
	for line := range strings.SplitSeq(strings.TrimSpace(stderr), "\n") {
		if w, ok := strings.CutPrefix(line, "starter: warning: "); ok {
			out = append(out, w)
		}
	}
	return out
}

func TestPreviewCPUAndMemoryTheJobGivesAreAlsoOverrides(t *testing.T) {
	def, run, _ := preview(t, "--image", "busybox", "--cpu", "512", "--memory", "1024")
	assert.Equal(t, "512", path(t, def, "cpu"))
	assert.Equal(t, "1024", path(t, def, "memory"))
	assert.Equal(t, "512", path(t, run, "overrides", "cpu"), "task-level override: a string")
	assert.Equal(t, "1024", path(t, run, "overrides", "memory"))
	co := path(t, run, "overrides", "containerOverrides", 0)
	assert.Equal(t, "main", path(t, co, "name"), "on the orchestrated container")
	assert.Equal(t, json.Number("512"), path(t, co, "cpu"), "container override: an integer")
	assert.Equal(t, json.Number("1024"), path(t, co, "memory"))
}

func TestPreviewDefaultsTheJobDidNotGiveAreNeverOverrides(t *testing.T) {
	def, run, _ := preview(t, "--image", "busybox")
	assert.Equal(t, "1024", path(t, def, "cpu"), "the definition gets the default cpu")
	assert.Equal(t, "2048", path(t, def, "memory"), "and memory")
	assert.NotContains(t, run, "overrides", "nothing to override: no overrides at all")

	_, run, _ = preview(t, "--image", "busybox", "--cpu", "256")
	overrides := object(run, "overrides")
	assert.Equal(t, "256", overrides["cpu"])
	assert.NotContains(t, overrides, "memory", "memory was not given")
	co := path(t, run, "overrides", "containerOverrides", 0).(map[string]any)
	assert.Equal(t, json.Number("256"), co["cpu"])
	assert.NotContains(t, co, "memory")

	_, run, _ = preview(t, "--image", "busybox", "--memory", "4096", "--env", "A=1")
	overrides = object(run, "overrides")
	assert.Equal(t, "4096", overrides["memory"])
	assert.NotContains(t, overrides, "cpu", "cpu was not given")
	assert.NotContains(t, path(t, run, "overrides", "containerOverrides", 0), "cpu")
}

func TestPreviewEC2AddsNoFargateAndForcesNoNetworkMode(t *testing.T) {
	def, run, _ := preview(t, "--image", "busybox", "--launch-type", "EC2", "--memory", "300")
	assert.Equal(t, "EC2", run["launchType"])
	assert.NotContains(t, def, "requiresCompatibilities", "nothing added for EC2")
	assert.NotContains(t, def, "networkMode", "no network mode forced")
	assert.NotContains(t, run, "networkConfiguration", "no awsvpc network for the default bridge mode")
	assert.Equal(t, json.Number("300"), path(t, run, "overrides", "containerOverrides", 0, "memory"))

	def, _, _ = preview(t, "--launch-type", "EC2", "--input", inputFile(t,
		`{"image": "busybox", "taskDefinition": {"networkMode": "host", "requiresCompatibilities": ["EC2", "EXTERNAL"]}}`))
	assert.Equal(t, "host", def["networkMode"], "the base definition's network mode is kept")
	assert.Equal(t, []any{"EC2", "EXTERNAL"}, def["requiresCompatibilities"], "the base definition's compatibilities are kept")
}

func TestPreviewNullLaunchTypeLeavesItToTheCluster(t *testing.T) {
	def, run, stderr := preview(t, "--input", inputFile(t, `{"image": "busybox", "launchType": null}`))
	assert.NotContains(t, run, "launchType", "the cluster's default capacity provider strategy applies")
	assert.NotContains(t, run, "capacityProviderStrategy")
	assertNoFargate(t, def)
	assert.NotContains(t, def, "networkMode", "no network mode forced")
	assert.Empty(t, warnings(stderr))

	// null in --input, the flag on top: the flag wins.
	_, run, _ = preview(t, "--launch-type", "EC2", "--input", inputFile(t, `{"image": "busybox", "launchType": null}`))
	assert.Equal(t, "EC2", run["launchType"])
}

func assertNoFargate(t *testing.T, def map[string]any) {
	t.Helper()
	if compat, ok := def["requiresCompatibilities"].([]any); ok {
		assert.NotContains(t, compat, "FARGATE")
	}
}

func TestPreviewRefusesADefinitionWithoutAnEssentialContainer(t *testing.T) {
	stdout, stderr := previewFails(t, "--input", inputFile(t, `{"image": "busybox", "taskDefinition": {"containerDefinitions": [
		{"name": "main", "essential": false}, {"name": "sidecar", "image": "envoy", "essential": false}]}}`))
	assert.Empty(t, stdout, "no request bodies for a refused job")
	assert.Equal(t, 1, strings.Count(stderr, "\n"), "one line: %q", stderr)
	assert.True(t, strings.HasPrefix(stderr, "starter preview: invalid job configuration: "), stderr)
	assert.Contains(t, stderr, "essential", "the message names the field")

	// A container without essential counts as essential.
	def, _, _ := preview(t, "--input", inputFile(t, `{"image": "busybox", "taskDefinition": {"containerDefinitions": [
		{"name": "main"}, {"name": "sidecar", "image": "envoy", "essential": false}]}}`))
	assert.Len(t, path(t, def, "containerDefinitions"), 2)
}

func TestPreviewKeepsTheBaseDefinitionsContainers(t *testing.T) {
	def, _, _ := preview(t, "--input", inputFile(t, `{"image": "app:2", "containerName": "app", "executionRoleArn": "arn:aws:iam::1:role/exec", "taskDefinition": {"containerDefinitions": [
		{"name": "init", "image": "init:1", "essential": false},
		{"name": "app", "image": "app:1", "secrets": [
			{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/t"},
			{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db"}]},
		{"name": "sidecar", "image": "envoy", "essential": true, "secrets": [{"name": "CERT", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/c"}]}]}}`))
	containers := path(t, def, "containerDefinitions").([]any)
	require.Len(t, containers, 3)
	var names []any
	for _, c := range containers {
		names = append(names, path(t, c, "name"))
	}
	assert.Equal(t, []any{"init", "app", "sidecar"}, names, "extra containers kept, in their order")
	assert.Equal(t, false, path(t, containers[0], "essential"), "essential flags kept")
	assert.Equal(t, true, path(t, containers[2], "essential"))
	assert.Equal(t, "init:1", path(t, containers[0], "image"), "other containers' images kept")
	assert.Equal(t, "app:2", path(t, containers[1], "image"), "the job's image wins on the orchestrated container")
	assert.Equal(t, []any{
		map[string]any{"name": "TOKEN", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/t"},
		map[string]any{"name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:db"},
	}, path(t, containers[1], "secrets"), "secrets kept as given, in order")
	assert.Equal(t, "CERT", path(t, containers[2], "secrets", 0, "name"))
}

func TestPreviewWarnsOfTheFieldsATaskDefinitionArnIgnores(t *testing.T) {
	const arn = "arn:aws:ecs:us-east-1:1:task-definition/etl:3"
	defaults := writeFile(t, "defaults.json", `{"executionRoleArn": "arn:aws:iam::1:role/exec", "cloudwatchLogsPrefix": "team"}`)
	def, run, stderr := preview(t, "--task-definition-arn", arn, "--job-defaults", defaults,
		"--image", "busybox", "--family", "etl", "--cpu", "256", "--env", "MODE=x")
	assert.Nil(t, def, "no definition is registered")
	assert.Equal(t, arn, run["taskDefinition"])
	assert.Contains(t, warnings(stderr),
		"taskDefinitionArn is set, so these fields, which shape a task definition, are ignored: image, family",
		"only the fields the job set: not the worker's defaults, not the run-time overrides")
	assert.Equal(t, "256", path(t, run, "overrides", "cpu"), "cpu still applies, as an override")
	assert.Equal(t, "MODE", path(t, run, "overrides", "containerOverrides", 0, "environment", 0, "name"))

	_, _, stderr = preview(t, "--task-definition-arn", arn, "--cpu", "256")
	for _, w := range warnings(stderr) {
		assert.NotContains(t, w, "are ignored", "the job set no definition field")
	}

	_, _, stderr = preview(t, "--input", inputFile(t, `{"taskDefinitionArn": "`+arn+`", "taskDefinition": {"cpu": "256"}}`))
	assert.Contains(t, strings.Join(warnings(stderr), "\n"), "taskDefinition is ignored")
}

func TestPreviewWarnsWhenCapacityProvidersDropTheLaunchType(t *testing.T) {
	job := `{"image": "busybox", "capacityProviderStrategy": [{"capacityProvider": "spot-pool", "weight": 1}]}`
	_, run, stderr := preview(t, "--launch-type", "EC2", "--input", inputFile(t, job))
	assert.NotContains(t, run, "launchType")
	assert.Equal(t, "spot-pool", path(t, run, "capacityProviderStrategy", 0, "capacityProvider"))
	assert.Contains(t, warnings(stderr), "launchType EC2 is not sent: capacityProviderStrategy is set, and ECS accepts only one of them")

	_, run, stderr = preview(t, "--input", inputFile(t, job))
	assert.NotContains(t, run, "launchType")
	assert.Empty(t, warnings(stderr), "no launch type was asked for: nothing dropped, no warning")
}

func TestPreviewFargateSpot(t *testing.T) {
	_, run, _ := preview(t, "--image", "busybox", "--launch-type", "FARGATE_SPOT")
	assert.NotContains(t, run, "launchType")
	assert.Equal(t, "FARGATE_SPOT", path(t, run, "capacityProviderStrategy", 0, "capacityProvider"))
	assert.Equal(t, json.Number("1"), path(t, run, "capacityProviderStrategy", 0, "weight"))
}

func TestPreviewPrintsPlaceholdersUnescaped(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	require.Equal(t, 0, cliMain([]string{"preview", "--image", "busybox"}, c), stderr.String())
	assert.Contains(t, stdout.String(), `"taskDefinition": "<registered at runtime>"`)
	assert.Contains(t, stdout.String(), `"<loaded from the default VPC at runtime>"`)
	assert.NotContains(t, stdout.String(), `\u003c`, "no HTML escaping of < and >")
}

// The retries of an interrupted task run on the fallback: preview shows
// that request beside the first.
func TestPreviewShowsTheInterruptionFallback(t *testing.T) {
	c, stdout, errOut := testCLI(nil)
	require.Equal(t, 0, cliMain([]string{"preview", "--image", "busybox", "--launch-type", "FARGATE_SPOT",
		"--retry-on-interruption", "2", "--interruption-fallback", "FARGATE"}, c), errOut.String())
	var out map[string]map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), stdout.String())
	assert.Equal(t, []any{map[string]any{"capacityProvider": "FARGATE_SPOT", "weight": float64(1)}}, out["taskRunRequest"]["capacityProviderStrategy"])
	require.Contains(t, out, "fallbackRunTaskRequest")
	assert.Equal(t, "FARGATE", out["fallbackRunTaskRequest"]["launchType"])
	assert.NotContains(t, out["fallbackRunTaskRequest"], "capacityProviderStrategy")
}

func TestPreviewSecretFlagSetsTheContainersSecrets(t *testing.T) {
	def, req, _ := preview(t, "--image", "busybox", "--execution-role-arn", "arn:aws:iam::1:role/exec",
		"--secret", "API_KEY=arn:aws:secretsmanager:us-east-1:1:secret:api-AbCdEf", "--secret", "DB=/prod/db")
	assert.Equal(t, []any{
		map[string]any{"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:us-east-1:1:secret:api-AbCdEf"},
		map[string]any{"name": "DB", "valueFrom": "/prod/db"},
	}, path(t, def, "containerDefinitions", 0, "secrets"))
	assert.NotContains(t, req, "secrets")
}
