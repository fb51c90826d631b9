package e2e_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// The TypeScript side lives in e2e/ts: workflows.ts (the parent workflow the
// README's TypeScript snippet shows), worker.js (its worker) and client.js
// (RunECSTask started from the TypeScript client). `npm ci` in e2e/ts
// installs the SDK packages; .ci/run does it.

// tsPackages are the npm packages the TypeScript side needs.
var tsPackages = []string{"@temporalio/client", "@temporalio/worker", "@temporalio/workflow", "typescript"}

// tsParentWorkflow is the parent workflow of workflows.ts.
const tsParentWorkflow = "runECSTaskAsChild"

// tsTaskResult is the TaskResult as another SDK reads it: the JSON names of
// the contract, decoded independently of the Go type.
type tsTaskResult struct {
	TaskArn    string `json:"taskArn"`
	LastStatus string `json:"lastStatus"`
	ExitCode   int    `json:"exitCode"`
	StopCode   string `json:"stopCode"`
	LogGroup   string `json:"logGroup"`
	LogStream  string `json:"logStream"`
}

// tsOutcome is the Outcome of workflows.ts and client.js: how RunECSTask
// ended, as the TypeScript code read it.
type tsOutcome struct {
	Result  *tsTaskResult `json:"result"`
	Failure *struct {
		Type         string        `json:"type"`
		Message      string        `json:"message"`
		NonRetryable bool          `json:"nonRetryable"`
		ExitCode     *int          `json:"exitCode"`
		Details      *tsTaskResult `json:"details"`
	} `json:"failure"`
}

// tsMissing says what of the TypeScript side's prerequisites is missing in
// dir (e2e/ts), or "" when nothing is: node on PATH, and the packages of
// package-lock.json installed at the versions it pins.
func tsMissing(lookPath func(string) (string, error), dir string) string {
	if _, err := lookPath("node"); err != nil {
		return "node is not on PATH (Node.js >= 20.3 is needed): " + err.Error()
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err != nil {
		return "cannot read the lock file: " + err.Error()
	}
	var locked struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	if err := json.Unmarshal(lock, &locked); err != nil {
		return "cannot parse " + filepath.Join(dir, "package-lock.json") + ": " + err.Error()
	}
	var problems []string
	for _, pkg := range tsPackages {
		want := locked.Packages["node_modules/"+pkg].Version
		var installed struct {
			Version string `json:"version"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "node_modules", pkg, "package.json"))
		switch {
		case err != nil:
			problems = append(problems, pkg+" is not installed")
		case json.Unmarshal(b, &installed) != nil || installed.Version != want:
			problems = append(problems, fmt.Sprintf("%s is %s, the lock file pins %q", pkg, installed.Version, want))
		}
	}
	if len(problems) > 0 {
		return strings.Join(problems, "; ") + " (run `npm ci` in " + dir + ")"
	}
	return ""
}

// skipOrFail skips tb for reason, except under CI, where a skipped test
// would pass unnoticed: there it fails.
func skipOrFail(tb testing.TB, ci bool, reason string) {
	tb.Helper()
	if ci {
		tb.Fatalf("the TypeScript side cannot run, and CI is set, so no skip: %s", reason)
		return
	}
	tb.Skipf("the TypeScript side cannot run: %s", reason)
}

// outcomeTB records what skipOrFail did.
type outcomeTB struct {
	testing.TB
	skipped, failed string
}

func (r *outcomeTB) Helper()                        {}
func (r *outcomeTB) Skipf(format string, a ...any)  { r.skipped = fmt.Sprintf(format, a...) }
func (r *outcomeTB) Fatalf(format string, a ...any) { r.failed = fmt.Sprintf(format, a...) }

func TestTypeScriptPrerequisites(t *testing.T) {
	dir := t.TempDir()
	noNode := func(string) (string, error) { return "", exec.ErrNotFound }
	node := func(string) (string, error) { return "/usr/bin/node", nil }

	assert.Contains(t, tsMissing(noNode, dir), "node is not on PATH")

	lock := `{"packages": {"node_modules/@temporalio/client": {"version": "1.24.0"},
		"node_modules/@temporalio/worker": {"version": "1.24.0"},
		"node_modules/@temporalio/workflow": {"version": "1.24.0"},
		"node_modules/typescript": {"version": "5.9.3"}}}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(lock), 0o644))
	missing := tsMissing(node, dir)
	assert.Contains(t, missing, "@temporalio/worker is not installed")
	assert.Contains(t, missing, "run `npm ci` in "+dir)

	install := func(pkg, version string) {
		p := filepath.Join(dir, "node_modules", pkg)
		require.NoError(t, os.MkdirAll(p, 0o755))
		require.NoError(t, os.WriteFile(filepath.Join(p, "package.json"), []byte(`{"version": "`+version+`"}`), 0o644))
	}
	install("@temporalio/client", "1.24.0")
	install("@temporalio/worker", "1.23.0")
	install("@temporalio/workflow", "1.24.0")
	install("typescript", "5.9.3")
	assert.Equal(t, `@temporalio/worker is 1.23.0, the lock file pins "1.24.0" (run `+"`npm ci`"+` in `+dir+`)`, tsMissing(node, dir))
	install("@temporalio/worker", "1.24.0")
	assert.Empty(t, tsMissing(node, dir))

	for _, ci := range []bool{false, true} {
		var r outcomeTB
		skipOrFail(&r, ci, "node is missing")
		if ci {
			assert.Equal(t, "the TypeScript side cannot run, and CI is set, so no skip: node is missing", r.failed)
			assert.Empty(t, r.skipped)
		} else {
			assert.Equal(t, "the TypeScript side cannot run: node is missing", r.skipped)
			assert.Empty(t, r.failed)
		}
	}
}

// TestTypeScriptREADMESnippet checks that the README's TypeScript snippet is
// the tested code: each of its paragraphs is in e2e/ts/workflows.ts.
func TestTypeScriptREADMESnippet(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	require.NoError(t, err)
	source, err := os.ReadFile(filepath.Join("ts", "workflows.ts"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(readme), "\n### From TypeScript, Python and Java\n")
	require.True(t, ok, "the README has a section From TypeScript, Python and Java")
	_, snippet, ok := strings.Cut(section, "\n```ts\n")
	require.True(t, ok, "the section has a ts code block")
	snippet, _, ok = strings.Cut(snippet, "\n```\n")
	require.True(t, ok, "the ts code block ends")
	for _, paragraph := range strings.Split(snippet, "\n\n") {
		assert.Contains(t, string(source), paragraph, "the README's TypeScript snippet is in e2e/ts/workflows.ts")
	}
}

// TestTypeScript runs the TypeScript parent workflow of e2e/ts on a node
// worker of its own, with RunECSTask as its child on the shared worker.
func TestTypeScript(t *testing.T) {
	h := need(t)
	dir := filepath.Join(h.root, "e2e", "ts")
	if reason := tsMissing(exec.LookPath, dir); reason != "" {
		skipOrFail(t, underCI(os.LookupEnv), reason)
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err)
	env := append(h.baseEnv(), "TEMPORAL_ADDRESS="+h.address, "TEMPORAL_NAMESPACE=default")

	t.Run("TypeCheck", func(t *testing.T) {
		ctx := testContext(t)
		cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", dir)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "tsc: %s", out)
	})

	queue := "ts-parents-" + uuid.NewString()[:8]
	worker := startTSWorker(t, h, node, dir, env, queue)

	// runParent runs the TypeScript parent on job and returns its Outcome.
	runParent := func(ctx context.Context, t *testing.T, job map[string]any) (client.WorkflowRun, tsOutcome) {
		t.Helper()
		run, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID(t), TaskQueue: queue}, tsParentWorkflow, job)
		require.NoError(t, err)
		var out tsOutcome
		require.NoError(t, run.Get(ctx, &out), "TypeScript worker log:\n%s", worker.tail(30))
		return run, out
	}

	t.Run("ChildResult", func(t *testing.T) {
		ctx := testContext(t)
		parent, out := runParent(ctx, t, shellJob("echo hello from typescript"))
		require.Nil(t, out.Failure, "the child completed")
		require.NotNil(t, out.Result, "the parent returns the child's result")
		assert.Equal(t, 0, out.Result.ExitCode)
		assert.NotEmpty(t, out.Result.TaskArn)
		assert.Equal(t, "STOPPED", out.Result.LastStatus)

		childID := parent.GetID() + "-child"
		var child tsTaskResult
		require.NoError(t, h.tc.GetWorkflow(ctx, childID, "").Get(ctx, &child))
		assert.Equal(t, child, *out.Result, "the parent read the child's own result")
		desc, err := h.tc.DescribeWorkflow(ctx, childID, "")
		require.NoError(t, err)
		assert.Equal(t, workflows.WorkflowName, desc.WorkflowType.Name)
		require.NotNil(t, desc.ParentWorkflowExecution, "RunECSTask ran as a child")
		assert.Equal(t, parent.GetID(), desc.ParentWorkflowExecution.ID)
		assert.Equal(t, []string{"hello from typescript"}, logLines(ctx, t, h.aws, child.LogGroup, child.LogStream))
	})

	t.Run("ChildFailure", func(t *testing.T) {
		ctx := testContext(t)
		parent, out := runParent(ctx, t, shellJob("echo failing; exit 3"))
		require.Nil(t, out.Result, "the child failed")
		require.NotNil(t, out.Failure, "the parent caught the child's failure")
		f := out.Failure
		assert.Equal(t, workflows.ErrTaskExitedNonZero, f.Type)
		assert.True(t, f.NonRetryable)
		require.NotNil(t, f.ExitCode, "the parent read the exit code from the details")
		assert.Equal(t, 3, *f.ExitCode)
		require.NotNil(t, f.Details, "the failure's first detail is the TaskResult")
		assert.Equal(t, 3, f.Details.ExitCode)
		assert.NotEmpty(t, f.Details.TaskArn)
		assert.Contains(t, f.Message, "exited with code 3")

		// The TypeScript parent read what a Go caller reads.
		err := h.tc.GetWorkflow(ctx, parent.GetID()+"-child", "").Get(ctx, nil)
		var app *temporal.ApplicationError
		require.ErrorAs(t, err, &app)
		assert.Equal(t, app.Message(), f.Message)
		var details tsTaskResult
		require.NoError(t, app.Details(&details))
		assert.Equal(t, details, *f.Details)
	})

	t.Run("CancelParentStopsTask", func(t *testing.T) {
		ctx := testContext(t)
		parent, err := h.tc.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: workflowID(t), TaskQueue: queue},
			tsParentWorkflow, shellJob(trapScript))
		require.NoError(t, err)
		childID := parent.GetID() + "-child"
		child := h.tc.GetWorkflow(ctx, childID, "")
		st := h.waitStatus(ctx, t, child, "the child's task to be running", func(s workflows.Status) bool {
			return s.Phase == workflows.PhaseRunning && s.LogStream != ""
		})
		waitLogLine(ctx, t, h.aws, st.LogGroup, st.LogStream, "ready")

		require.NoError(t, h.tc.CancelWorkflow(ctx, parent.GetID(), ""))
		err = parent.Get(ctx, nil)
		var canceled *temporal.CanceledError
		require.ErrorAs(t, err, &canceled, "the TypeScript parent ends cancelled")

		// WAIT_CANCELLATION_COMPLETED: the child had ended, cancelled, when
		// the parent did.
		childDesc, err := h.tc.DescribeWorkflow(ctx, childID, "")
		require.NoError(t, err)
		assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, childDesc.Status, "the child ends cancelled")
		parentDesc, err := h.tc.DescribeWorkflow(ctx, parent.GetID(), "")
		require.NoError(t, err)
		assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED, parentDesc.Status)
		require.NotNil(t, childDesc.WorkflowCloseTime)
		require.NotNil(t, parentDesc.WorkflowCloseTime)
		assert.False(t, childDesc.WorkflowCloseTime.After(*parentDesc.WorkflowCloseTime), "the child closed before the parent")

		var lastStatus string
		err = waitFor(ctx, nil, "the task to be STOPPED", func() bool {
			task := describeTask(ctx, t, h.aws, st.Cluster, st.TaskArn)
			lastStatus = *task.LastStatus
			return lastStatus == "STOPPED"
		})
		require.NoError(t, err, "last status %s", lastStatus)
		task := describeTask(ctx, t, h.aws, st.Cluster, st.TaskArn)
		assert.Equal(t, "UserInitiated", string(task.StopCode))
		require.Len(t, task.Containers, 1)
		require.NotNil(t, task.Containers[0].ExitCode)
		assert.EqualValues(t, 143, *task.Containers[0].ExitCode, "the container handled SIGTERM")
		assert.Contains(t, logLines(ctx, t, h.aws, st.LogGroup, st.LogStream), "got TERM", "the container received SIGTERM")
	})

	t.Run("ClientFailure", func(t *testing.T) {
		// RunECSTask started from the TypeScript client, not as a child.
		ctx := testContext(t)
		job, err := json.Marshal(shellJob("exit 3"))
		require.NoError(t, err)
		cmd := exec.CommandContext(ctx, node, filepath.Join(dir, "client.js"), workflowID(t), string(job))
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		require.NoError(t, cmd.Run(), "client.js: %s", stderr.String())
		var out tsOutcome
		require.NoError(t, json.Unmarshal(stdout.Bytes(), &out), "client.js printed %q", stdout.String())
		require.NotNil(t, out.Failure, "client.js printed %q", stdout.String())
		assert.Equal(t, workflows.ErrTaskExitedNonZero, out.Failure.Type)
		require.NotNil(t, out.Failure.ExitCode)
		assert.Equal(t, 3, *out.Failure.ExitCode)
		require.NotNil(t, out.Failure.Details)
		assert.NotEmpty(t, out.Failure.Details.TaskArn)
	})
}

// startTSWorker starts worker.js on queue, waits until it polls, and stops
// it (gracefully: exit status 0) when t ends.
func startTSWorker(t *testing.T, h *harness, node, dir string, env []string, queue string) *process {
	t.Helper()
	logPath := filepath.Join(h.dir, "ts-worker-"+queue+".log")
	p, err := startProcess("TypeScript worker", logPath, env, node, filepath.Join(dir, "worker.js"), queue)
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := p.stop(30 * time.Second); err != nil {
			t.Errorf("TypeScript worker: %v; log:\n%s", err, p.tail(30))
		}
	})
	// Bundling the workflows with webpack takes a few seconds.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err = waitFor(ctx, p, "the TypeScript worker to start polling", func() bool {
		b, _ := os.ReadFile(logPath)
		return bytes.Contains(b, []byte("worker started"))
	})
	require.NoError(t, err)
	return p
}
