package compose_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runWithFakes runs the repository's shell script script with env and, first
// on PATH, fake commands: name -> shell body. Each fake call is logged as
// "name args..." and the log is returned with the script's exit status and
// output.
func runWithFakes(t *testing.T, script string, env []string, fakes map[string]string) (calls []string, code int, output string) {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh to run the compose scripts with")
	}
	dir := t.TempDir()
	logFile := filepath.Join(dir, "calls.log")
	bin := filepath.Join(dir, "bin")
	require.NoError(t, os.Mkdir(bin, 0o755))
	for name, body := range fakes {
		fake := "#!" + sh + "\necho \"" + name + " $*\" >>" + logFile + "\n" + body + "\n"
		require.NoError(t, os.WriteFile(filepath.Join(bin, name), []byte(fake), 0o755))
	}
	cmd := exec.Command(sh, filepath.Join(repoRoot, script))
	cmd.Env = append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "STATE=" + dir}, env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		code = exit.ExitCode()
	default:
		require.NoError(t, err)
	}
	b, err := os.ReadFile(logFile)
	if err == nil {
		calls = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	return calls, code, string(out)
}

func TestSchemaScriptSetsUpBothStores(t *testing.T) {
	calls, code, out := runWithFakes(t, "scripts/compose/temporal-schema.sh", nil,
		map[string]string{"temporal-sql-tool": "exit 0"})
	require.Equal(t, 0, code, out)
	const v12 = "/etc/temporal/schema/postgresql/v12"
	assert.Equal(t, []string{
		"temporal-sql-tool --db temporal create",
		"temporal-sql-tool --db temporal setup-schema -v 0.0",
		"temporal-sql-tool --db temporal update-schema -d " + v12 + "/temporal/versioned",
		"temporal-sql-tool --db temporal_visibility create",
		"temporal-sql-tool --db temporal_visibility setup-schema -v 0.0",
		"temporal-sql-tool --db temporal_visibility update-schema -d " + v12 + "/visibility/versioned",
	}, calls)
}

func TestSchemaScriptStopsAtTheFirstFailure(t *testing.T) {
	calls, code, out := runWithFakes(t, "scripts/compose/temporal-schema.sh", nil,
		map[string]string{"temporal-sql-tool": `case "$*" in *setup-schema*) exit 1;; esac`})
	assert.NotEqual(t, 0, code, "a failed step fails the one-shot, so the server does not start: %s", out)
	assert.Len(t, calls, 2, "create, then the failing setup-schema")
}

// fakeTemporal is a `temporal` CLI whose cluster health fails until it has
// been asked $HEALTHY_AFTER times, and whose namespace describe fails until
// a create ran.
const fakeTemporal = `
case "$*" in
"operator cluster health")
	n=$(cat "$STATE/health" 2>/dev/null || echo 0); echo $((n + 1)) >"$STATE/health"
	[ "$n" -ge "${HEALTHY_AFTER:-0}" ];;
"operator namespace describe"*) [ -f "$STATE/created" ];;
"operator namespace create"*) touch "$STATE/created";;
*) exit 2;;
esac`

func TestNamespaceScriptWaitsForTheServerThenCreatesTheNamespace(t *testing.T) {
	calls, code, out := runWithFakes(t, "scripts/compose/temporal-namespace.sh",
		[]string{"TEMPORAL_ADDRESS=temporal:7233", "TEMPORAL_NAMESPACE=batch", "HEALTHY_AFTER=1"},
		map[string]string{"temporal": fakeTemporal})
	require.Equal(t, 0, code, out)
	assert.Equal(t, []string{
		"temporal operator cluster health",
		"temporal operator cluster health",
		"temporal operator namespace describe --namespace batch",
		"temporal operator namespace create --namespace batch --retention 72h",
	}, calls)
}

func TestNamespaceScriptKeepsAnExistingNamespace(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "created"), nil, 0o644))
	calls, code, out := runWithFakes(t, "scripts/compose/temporal-namespace.sh",
		[]string{"TEMPORAL_ADDRESS=temporal:7233"},
		map[string]string{"temporal": strings.Replace(fakeTemporal, `[ -f "$STATE/created" ]`, `[ -f "`+dir+`/created" ]`, 1)})
	require.Equal(t, 0, code, out)
	assert.Equal(t, []string{
		"temporal operator cluster health",
		"temporal operator namespace describe --namespace default",
	}, calls, "no create for a namespace that exists")
}

func TestNamespaceScriptGivesUpOnAnUnhealthyServer(t *testing.T) {
	calls, code, out := runWithFakes(t, "scripts/compose/temporal-namespace.sh",
		[]string{"TEMPORAL_ADDRESS=temporal:7233", "TEMPORAL_WAIT_SECONDS=0"},
		map[string]string{"temporal": "exit 1"})
	assert.Equal(t, 1, code, out)
	assert.Contains(t, out, "temporal:7233 is not healthy")
	for _, c := range calls {
		assert.NotContains(t, c, "namespace create")
	}
}
