// Package compose_test validates docker-compose.yml, its .env file and the
// Dockerfile with the compose-spec loader, without a Docker engine.
package compose_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const repoRoot = "../.."

// load loads docker-compose.yml as `docker compose [--profile P]... up`
// run in the repository would: the .env file read (so its
// COMPOSE_PROFILES applies unless profiles are given), env as the shell's
// environment, which wins over .env.
func load(t *testing.T, env map[string]string, profiles ...string) *types.Project {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	shell := []string{"HOME=" + t.TempDir()}
	for k, v := range env {
		shell = append(shell, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, "docker-compose.yml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(shell),
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(profiles...),
	)
	require.NoError(t, err)
	p, err := opts.LoadProject(context.Background())
	require.NoError(t, err, "docker-compose.yml does not load")
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, err := p.GetService(name)
	require.NoError(t, err)
	return s
}

func envValue(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	require.True(t, ok, "service %s: no %s in environment", s.Name, key)
	require.NotNil(t, v, "service %s: %s unresolved", s.Name, key)
	return *v
}

// The services of Temporal itself, whatever the profile.
var temporalServices = []string{"postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui"}

func TestPlainUpRunsTemporalTheUIAndTheAWSWorker(t *testing.T) {
	p := load(t, nil)
	assert.ElementsMatch(t, append(slices.Clone(temporalServices), "worker"), p.ServiceNames())
	assert.ElementsMatch(t, []string{"worker-local"}, p.DisabledServiceNames())
}

func TestLocalProfileRunsTheLocalWorkerInsteadOfTheAWSWorker(t *testing.T) {
	p := load(t, nil, "local")
	assert.ElementsMatch(t, append(slices.Clone(temporalServices), "worker-local"), p.ServiceNames(),
		"one worker polls the task queue, not two")
	assert.Contains(t, p.DisabledServiceNames(), "worker")

	p = load(t, map[string]string{"COMPOSE_PROFILES": "local"})
	assert.ElementsMatch(t, append(slices.Clone(temporalServices), "worker-local"), p.ServiceNames(),
		"COMPOSE_PROFILES in the shell wins over .env")
}

func TestTemporalServerWithSchemaAndNamespaceSetUp(t *testing.T) {
	p := load(t, nil)
	pg := service(t, p, "postgresql")
	require.NotNil(t, pg.HealthCheck, "postgresql needs a healthcheck for the schema set-up to wait on")

	// The schema: a one-shot admin-tools container once the database is up.
	schema := service(t, p, "temporal-schema")
	assert.Contains(t, schema.Image, "temporalio/admin-tools:")
	assert.Equal(t, types.ServiceConditionHealthy, schema.DependsOn["postgresql"].Condition)
	assert.Equal(t, "postgres12", envValue(t, schema, "SQL_PLUGIN"))
	assert.Equal(t, "postgresql", envValue(t, schema, "SQL_HOST"))
	assert.Equal(t, envValue(t, pg, "POSTGRES_USER"), envValue(t, schema, "SQL_USER"))
	assert.Equal(t, envValue(t, pg, "POSTGRES_PASSWORD"), envValue(t, schema, "SQL_PASSWORD"))
	assert.Equal(t, filepath.Join("scripts", "compose", "temporal-schema.sh"), runsScript(t, p, schema))
	assert.Empty(t, schema.Restart, "a one-shot is not restarted")

	// The server: temporalio/server (auto-setup is deprecated), after the schema.
	temporal := service(t, p, "temporal")
	assert.Regexp(t, `^temporalio/server:1\.29\.\d+$`, temporal.Image)
	assert.Equal(t, strings.TrimPrefix(temporal.Image, "temporalio/server:"),
		strings.Split(strings.TrimPrefix(schema.Image, "temporalio/admin-tools:"), "-")[0],
		"server and admin-tools of the same release")
	assert.Equal(t, types.ServiceConditionCompletedSuccessfully, temporal.DependsOn["temporal-schema"].Condition)
	assert.Equal(t, "postgres12", envValue(t, temporal, "DB"))
	assert.Equal(t, "postgresql", envValue(t, temporal, "POSTGRES_SEEDS"), "temporal must find the database service")
	assert.Equal(t, envValue(t, pg, "POSTGRES_PASSWORD"), envValue(t, temporal, "POSTGRES_PWD"))
	assert.Equal(t, "0.0.0.0", envValue(t, temporal, "BIND_ON_IP"), "reachable from the other containers and its healthcheck")
	require.NotNil(t, temporal.HealthCheck, "temporal needs a healthcheck for the namespace set-up and the UI")
	assert.True(t, publishes(temporal, 7233), "temporal frontend port")

	// The namespace: a one-shot once the server is up.
	ns := service(t, p, "temporal-namespace")
	assert.Equal(t, schema.Image, ns.Image)
	assert.Equal(t, types.ServiceConditionHealthy, ns.DependsOn["temporal"].Condition)
	assert.Equal(t, "temporal:7233", envValue(t, ns, "TEMPORAL_ADDRESS"))
	assert.Equal(t, "default", envValue(t, ns, "TEMPORAL_NAMESPACE"))
	assert.Equal(t, filepath.Join("scripts", "compose", "temporal-namespace.sh"), runsScript(t, p, ns))

	ui := service(t, p, "temporal-ui")
	assert.Contains(t, ui.Image, "temporalio/ui:")
	assert.Equal(t, "temporal:7233", envValue(t, ui, "TEMPORAL_ADDRESS"))
	assert.True(t, publishes(ui, 8080), "Web UI port")

	for _, s := range p.Services {
		assert.NotContains(t, s.Image, "auto-setup", "temporalio/auto-setup is deprecated")
	}
}

func TestNamespaceFollowsTemporalNamespace(t *testing.T) {
	p := load(t, map[string]string{"TEMPORAL_NAMESPACE": "batch"})
	assert.Equal(t, "batch", envValue(t, service(t, p, "temporal-namespace"), "TEMPORAL_NAMESPACE"))
	assert.Equal(t, "batch", envValue(t, service(t, p, "worker"), "TEMPORAL_NAMESPACE"))
}

// runsScript checks that one-shot service s runs, with sh, a script of the
// repository mounted as a config, and returns the script's path relative to
// the repository (scripts_test.go runs the scripts).
func runsScript(t *testing.T, p *types.Project, s types.ServiceConfig) string {
	t.Helper()
	require.Len(t, s.Entrypoint, 2, "service %s: entrypoint [sh, script]", s.Name)
	assert.Equal(t, "/bin/sh", s.Entrypoint[0])
	require.Len(t, s.Configs, 1)
	assert.Equal(t, s.Entrypoint[1], s.Configs[0].Target, "service %s runs the mounted script", s.Name)
	cfg, ok := p.Configs[s.Configs[0].Source]
	require.True(t, ok, "config %s is defined", s.Configs[0].Source)
	require.NotEmpty(t, cfg.File, "config %s is a file", s.Configs[0].Source)
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)
	rel, err := filepath.Rel(root, cfg.File)
	require.NoError(t, err)
	require.FileExists(t, cfg.File)
	return rel
}

func TestAWSWorkerPassesAWSSettingsThrough(t *testing.T) {
	p := load(t, map[string]string{
		"AWS_REGION":       "eu-west-1",
		"AWS_PROFILE":      "platform",
		"AWS_ENDPOINT_URL": "http://localstack:4566",
	})
	w := service(t, p, "worker")
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
	assert.Equal(t, types.ServiceConditionCompletedSuccessfully, w.DependsOn["temporal-namespace"].Condition,
		"the worker starts once its namespace exists")
	assert.Empty(t, w.Command, "the aws worker must not run --local-ecs")
	assert.Equal(t, "false", envValue(t, w, "TEMPORAL_ECS_LOCAL_ECS"), "nor through the environment")
}

func TestAWSWorkerUserAndConfigDirectory(t *testing.T) {
	root, err := filepath.Abs(repoRoot)
	require.NoError(t, err)

	w := service(t, load(t, nil), "worker")
	assert.Equal(t, "65532:65532", w.User, "the distroless nonroot user by default")
	require.Len(t, w.Volumes, 1)
	v := w.Volumes[0]
	assert.Equal(t, "/aws", v.Target)
	assert.True(t, v.ReadOnly)
	assert.Equal(t, filepath.Join(root, "scripts", "compose", "aws"), v.Source,
		"without AWS_CONFIG_DIR, an empty directory of the repository, never ~/.aws")
	entries, err := os.ReadDir(v.Source)
	require.NoError(t, err)
	for _, e := range entries {
		assert.NotContains(t, []string{"config", "credentials"}, e.Name(), "the default directory holds no AWS configuration")
	}
	assert.Equal(t, "/aws/config", envValue(t, w, "AWS_CONFIG_FILE"))
	assert.Equal(t, "/aws/credentials", envValue(t, w, "AWS_SHARED_CREDENTIALS_FILE"))

	home := t.TempDir()
	w = service(t, load(t, map[string]string{"TEMPORAL_ECS_WORKER_USER": "1000:1000", "AWS_CONFIG_DIR": home}), "worker")
	assert.Equal(t, "1000:1000", w.User)
	assert.Equal(t, home, w.Volumes[0].Source)
}

func TestLocalWorkerRunsWithLocalECS(t *testing.T) {
	p := load(t, nil, "local")
	w := service(t, p, "worker-local")
	assertBuildsTarget(t, w, "worker-local")
	require.NotEmpty(t, w.Command)
	assert.True(t, slices.ContainsFunc(w.Command, func(a string) bool { return strings.HasPrefix(a, "--local-ecs") }),
		"worker-local runs with --local-ecs: %v", w.Command)
	assert.Equal(t, "temporal:7233", envValue(t, w, "TEMPORAL_ADDRESS"))
	assert.Equal(t, types.ServiceConditionCompletedSuccessfully, w.DependsOn["temporal-namespace"].Condition)
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
