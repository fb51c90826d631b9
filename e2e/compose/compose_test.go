// Package compose_test validates docker-compose.yml and the Dockerfile with
// the compose-spec loader, without a Docker engine.
package compose_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const repoRoot = "../.."

// load loads docker-compose.yml as `docker compose --profile ...` would,
// with env as the shell's environment.
func load(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	if env == nil {
		env = map[string]string{}
	}
	env["HOME"] = t.TempDir()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  root,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(root, "docker-compose.yml")}},
		Environment: env,
	}, loader.WithProfiles(profiles))
	require.NoError(t, err, "docker-compose.yml does not load")
	return p
}

func envValue(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.True(t, ok, "service %s: no %s in environment", s.Name, key)
	require.NotNil(t, v, "service %s: %s unresolved", s.Name, key)
	return *v
}

func TestDefaultProfileRunsTemporalAndUI(t *testing.T) {
	p := load(t, nil)
	assert.ElementsMatch(t, []string{"postgresql", "temporal", "temporal-ui"}, p.ServiceNames())
	assert.ElementsMatch(t, []string{"worker", "worker-local"}, p.DisabledServiceNames())

	pg, err := p.GetService("postgresql")
	require.NoError(t, err)
	require.NotNil(t, pg.HealthCheck, "postgresql needs a healthcheck for temporal to wait on")

	temporal, err := p.GetService("temporal")
	require.NoError(t, err)
	assert.Contains(t, temporal.Image, "temporalio/auto-setup:")
	assert.Equal(t, "postgres12", envValue(t, temporal, "DB"))
	assert.Equal(t, "postgresql", envValue(t, temporal, "POSTGRES_SEEDS"), "temporal must find the database service")
	assert.Equal(t, envValue(t, pg, "POSTGRES_PASSWORD"), envValue(t, temporal, "POSTGRES_PWD"))
	require.Contains(t, temporal.DependsOn, "postgresql")
	assert.Equal(t, types.ServiceConditionHealthy, temporal.DependsOn["postgresql"].Condition)
	assert.True(t, publishes(temporal, 7233), "temporal frontend port")

	ui, err := p.GetService("temporal-ui")
	require.NoError(t, err)
	assert.Contains(t, ui.Image, "temporalio/ui:")
	assert.Equal(t, "temporal:7233", envValue(t, ui, "TEMPORAL_ADDRESS"))
	assert.True(t, publishes(ui, 8080), "Web UI port")
}

func TestAWSProfileWorkerPassesAWSSettingsThrough(t *testing.T) {
	p := load(t, map[string]string{
		"AWS_REGION":       "eu-west-1",
		"AWS_PROFILE":      "platform",
		"AWS_ENDPOINT_URL": "http://localstack:4566",
	}, "aws")
	assert.ElementsMatch(t, []string{"postgresql", "temporal", "temporal-ui", "worker"}, p.ServiceNames())

	w, err := p.GetService("worker")
	require.NoError(t, err)
	assertBuildsTarget(t, w, "worker")
	assert.Equal(t, "eu-west-1", envValue(t, w, "AWS_REGION"))
	assert.Equal(t, "platform", envValue(t, w, "AWS_PROFILE"))
	assert.Equal(t, "http://localstack:4566", envValue(t, w, "AWS_ENDPOINT_URL"))
	// Unset in the shell: declared for pass-through, not given a value.
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "TEMPORAL_API_KEY"} {
		v, ok := w.Environment[k]
		assert.True(t, ok, "%s must be passed through", k)
		assert.Nil(t, v, "%s must not be set when the shell does not set it", k)
	}
	assert.Equal(t, "temporal:7233", envValue(t, w, "TEMPORAL_ADDRESS"))
	assert.Equal(t, "ecs-tasks", envValue(t, w, "TEMPORAL_ECS_TASK_QUEUE"))
	assert.Contains(t, w.DependsOn, "temporal")
	assert.Empty(t, w.Command, "the aws worker must not run --local-ecs")
}

func TestLocalProfileRunsWorkerWithLocalECS(t *testing.T) {
	p := load(t, nil, "local")
	assert.ElementsMatch(t, []string{"postgresql", "temporal", "temporal-ui", "worker-local"}, p.ServiceNames())

	w, err := p.GetService("worker-local")
	require.NoError(t, err)
	assertBuildsTarget(t, w, "worker-local")
	require.NotEmpty(t, w.Command)
	assert.True(t, slices.ContainsFunc(w.Command, func(a string) bool { return strings.HasPrefix(a, "--local-ecs") }),
		"worker-local runs with --local-ecs: %v", w.Command)
	assert.Equal(t, "temporal:7233", envValue(t, w, "TEMPORAL_ADDRESS"))
	assert.NotEmpty(t, envValue(t, w, "AWS_ACCESS_KEY_ID"), "fixed local credentials let the host's starter read logs")
	require.True(t, publishes(w, 4599), "local ECS endpoint port")
	for _, p := range w.Ports {
		assert.Equal(t, "127.0.0.1", p.HostIP, "the local endpoint's well-known credentials stay on the host")
	}
	require.Len(t, w.Configs, 1)
	assert.Contains(t, p.Configs, w.Configs[0].Source)
}

func publishes(s types.ServiceConfig, port uint32) bool {
	for _, p := range s.Ports {
		if p.Target == port && p.Published != "" {
			return true
		}
	}
	return false
}

// assertBuildsTarget checks that s builds the repository's Dockerfile at
// a stage that exists.
func assertBuildsTarget(t *testing.T, s types.ServiceConfig, target string) {
	t.Helper()
	require.NotNil(t, s.Build, "service %s must be built", s.Name)
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	assert.Equal(t, root, s.Build.Context)
	assert.Equal(t, "Dockerfile", filepath.Base(s.Build.Dockerfile))
	assert.Equal(t, target, s.Build.Target)
	assert.Contains(t, dockerfileStages(t), target)
}

var fromLine = regexp.MustCompile(`(?im)^FROM\s+\S+(?:\s+AS\s+(\S+))?\s*$`)

// dockerfileStages returns the Dockerfile's stage names, in order.
func dockerfileStages(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	require.NoError(t, err)
	var names []string
	for _, m := range fromLine.FindAllStringSubmatch(string(b), -1) {
		names = append(names, strings.ToLower(m[1]))
	}
	return names
}

// stage returns the instructions of the Dockerfile's stage name.
func stage(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	require.NoError(t, err)
	text := string(b)
	locs := fromLine.FindAllStringSubmatchIndex(text, -1)
	for i, l := range locs {
		if l[2] >= 0 && strings.EqualFold(text[l[2]:l[3]], name) {
			end := len(text)
			if i+1 < len(locs) {
				end = locs[i+1][0]
			}
			return text[l[0]:end]
		}
	}
	t.Fatalf("Dockerfile has no stage %q", name)
	return ""
}

func TestDockerfile(t *testing.T) {
	stages := dockerfileStages(t)
	require.NotEmpty(t, stages)
	assert.Equal(t, "worker", stages[len(stages)-1], "the default target is the production worker")

	build := stage(t, "build")
	assert.Contains(t, build, "CGO_ENABLED=0", "static binaries")
	assert.Contains(t, build, "./worker")

	for _, name := range []string{"worker", "worker-local"} {
		s := stage(t, name)
		user := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindStringSubmatch(s)
		require.NotNil(t, user, "stage %s sets no USER", name)
		assert.NotRegexp(t, `^(root|0)(:|$)`, user[1], "stage %s runs as root", name)
		assert.Regexp(t, `(?m)^ENTRYPOINT \["/usr/local/bin/worker"\]`, s, "stage %s runs the worker", name)
	}
}
