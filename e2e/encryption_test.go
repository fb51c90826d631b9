package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
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
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/codec"
	"github.com/temporal-ecs/temporal-ecs/workflows"
)

// apiKey is the secret the jobs of these tests carry in their environment.
const apiKey = "sk_live_abcdef123456"

// codecToken is the bearer token of the tests' codec servers.
const codecToken = "e2e-codec-token-0123456789"

// keyLine returns a key file line of a new random key, and the key's base64.
func keyLine(t *testing.T, id string) (line, key string) {
	t.Helper()
	b := make([]byte, codec.KeySize)
	_, err := rand.Read(b)
	require.NoError(t, err)
	key = base64.StdEncoding.EncodeToString(b)
	return id + ":" + key, key
}

// writeKeyFile (over)writes the key file at path with lines.
func writeKeyFile(t *testing.T, path string, lines ...string) {
	t.Helper()
	require.NoError(t, os.WriteFile(path, []byte("# temporal-ecs payload keys, the newest last\n"+strings.Join(lines, "\n")+"\n"), 0o600))
}

// encryptingClient dials the test server with the keys of path.
func (h *harness) encryptingClient(t *testing.T, path string) client.Client {
	t.Helper()
	keys, err := codec.LoadKeys(path)
	require.NoError(t, err)
	quiet := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	tc, err := client.Dial(codec.ClientOptions(client.Options{HostPort: h.address, Logger: quiet}, keys))
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	return tc
}

// history returns the events of the workflow's latest run.
func (h *harness) history(ctx context.Context, t *testing.T, id string) []*historypb.HistoryEvent {
	t.Helper()
	var events []*historypb.HistoryEvent
	it := h.tc.GetWorkflowHistory(ctx, id, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		events = append(events, ev)
	}
	return events
}

// inputKeyID is the key ID of the workflow's input payload.
func inputKeyID(t *testing.T, events []*historypb.HistoryEvent) string {
	t.Helper()
	require.NotEmpty(t, events)
	in := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput().GetPayloads()
	require.Len(t, in, 1)
	return string(in[0].GetMetadata()[codec.MetadataKeyID])
}

// temporalCmd runs the Temporal CLI against the test server.
func (h *harness) temporalCmd(ctx context.Context, args ...string) (string, error) {
	out, err := exec.CommandContext(ctx, h.temporalBin, append(args, "--address", h.address, "--namespace", "default")...).CombinedOutput()
	return string(out), err
}

// startCodecServer starts `starter codec-server` with the keys of path and
// the token codecToken, and returns its endpoint.
func (h *harness) startCodecServer(ctx context.Context, t *testing.T, name, path string) string {
	t.Helper()
	addr, err := freeAddr()
	require.NoError(t, err)
	logPath := filepath.Join(h.dir, name+".log")
	p, err := startProcess(name, logPath,
		append(h.baseEnv(), codec.EnvKeyFile+"="+path, "TEMPORAL_ECS_CODEC_AUTH_TOKEN="+codecToken),
		filepath.Join(h.binDir, "starter"), "codec-server", "--addr", addr)
	require.NoError(t, err)
	t.Cleanup(func() {
		// The starter exits 130 on SIGTERM, as on Ctrl-C.
		var exit *exec.ExitError
		if err := p.stop(30 * time.Second); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 130) {
			t.Errorf("codec server: %v", err)
		}
	})
	require.NoError(t, waitFor(ctx, p, "the codec server to listen", func() bool {
		b, _ := os.ReadFile(logPath)
		return strings.Contains(string(b), "serving /encode and /decode on http://"+addr)
	}))
	return "http://" + addr
}

// payload is one payload of a history the CLI printed as JSON.
type payload struct {
	path, encoding, data string
}

func (p payload) searchAttribute() bool { return strings.Contains(p.path, "searchAttributes") }

// historyPayloads returns the payloads of `temporal workflow show -o json`
// output, their data decoded from base64. A non-JSON output has none.
func historyPayloads(t *testing.T, out string) []payload {
	t.Helper()
	var doc any
	if json.Unmarshal([]byte(out), &doc) != nil {
		return nil
	}
	var found []payload
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if md, ok := v["metadata"].(map[string]any); ok {
				if enc, ok := md["encoding"].(string); ok {
					e, err := base64.StdEncoding.DecodeString(enc)
					require.NoError(t, err, path)
					data, _ := v["data"].(string)
					d, err := base64.StdEncoding.DecodeString(data)
					require.NoError(t, err, path)
					found = append(found, payload{path: path, encoding: string(e), data: string(d)})
					return
				}
			}
			for k, e := range v {
				walk(path+"."+k, e)
			}
		case []any:
			for _, e := range v {
				walk(path, e)
			}
		}
	}
	walk("", doc)
	return found
}

// saveOutput keeps an output in the suite's directory, kept when it fails.
func saveOutput(t *testing.T, name, out string) {
	t.Helper()
	require.NoError(t, os.WriteFile(filepath.Join(h.dir, unsafeID.ReplaceAllString(t.Name(), "-")+"-"+name), []byte(out), 0o644))
}

// noSecrets asserts that none of the files and outputs holds a key or the
// job's secret.
func noSecrets(t *testing.T, secrets []string, files []string, outputs ...string) {
	t.Helper()
	for _, f := range files {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		outputs = append(outputs, string(b))
	}
	for i, out := range outputs {
		for _, s := range secrets {
			assert.NotContains(t, out, s, "output %d", i)
		}
	}
}

// With a key, the job's environment reaches its container but the
// history holds only ciphertext: `temporal workflow show` shows no secret
// unless given the codec server, with its token.
func TestEncryptedJobHistoryHoldsNoSecret(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	keyPath := filepath.Join(t.TempDir(), "keys")
	line, key := keyLine(t, "k1")
	writeKeyFile(t, keyPath, line)
	keyEnv := codec.EnvKeyFile + "=" + keyPath
	queue := "e2e-encryption-" + uuid.NewString()[:8]
	w, err := h.startWorker(ctx, "encryption-worker", []string{keyEnv}, "--task-queue="+queue)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })

	id := workflowID(t)
	cmd, stdout, stderr := h.starter(ctx, "run", "--task-queue", queue, "--workflow-id", id, "--poll", "200ms",
		"--image", "alpine:3.20", "--poll-interval", "0.5", "--env", "API_KEY="+apiKey,
		"--", "sh", "-c", `test "$API_KEY" = `+apiKey+` && echo the key arrived`)
	cmd.Env = append(cmd.Env, keyEnv)
	require.NoError(t, cmd.Run(), "stderr: %s", stderr)
	assert.Equal(t, []string{"the key arrived"}, lines(stdout.String()))

	events := h.history(ctx, t, id)
	assert.Equal(t, "k1", inputKeyID(t, events))
	require.Equal(t, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, events[len(events)-1].GetEventType())

	plain, err := h.temporalCmd(ctx, "workflow", "show", "--workflow-id", id, "--output", "json")
	require.NoError(t, err, plain)
	saveOutput(t, "history-plain.json", plain)
	payloads := historyPayloads(t, plain)
	require.NotEmpty(t, payloads)
	for _, p := range payloads {
		assert.NotContains(t, p.data, apiKey, "%s", p.path)
		if !p.searchAttribute() {
			assert.Equal(t, codec.EncodingEncrypted, p.encoding, "%s", p.path)
		}
	}
	assert.NotContains(t, plain, apiKey)

	endpoint := h.startCodecServer(ctx, t, "codec-server", keyPath)
	decoded, err := h.temporalCmd(ctx, "workflow", "show", "--workflow-id", id, "--output", "json",
		"--codec-endpoint", endpoint, "--codec-auth", "Bearer "+codecToken)
	require.NoError(t, err, decoded)
	saveOutput(t, "history-decoded.json", decoded)
	shown := false
	for _, p := range historyPayloads(t, decoded) {
		assert.NotEqual(t, codec.EncodingEncrypted, p.encoding, "%s decoded", p.path)
		shown = shown || strings.Contains(p.data, `"API_KEY":"`+apiKey+`"`)
	}
	assert.True(t, shown, "the job's environment shows, decoded")

	// Without the token the codec server decodes nothing.
	refused, _ := h.temporalCmd(ctx, "workflow", "show", "--workflow-id", id, "--output", "json", "--codec-endpoint", endpoint)
	assert.NotContains(t, refused, apiKey)
	for _, p := range historyPayloads(t, refused) {
		assert.NotContains(t, p.data, apiKey)
	}

	noSecrets(t, []string{apiKey, key}, []string{w.log}, stdout.String(), stderr.String())
	noSecrets(t, []string{key}, []string{filepath.Join(h.dir, "codec-server.log")}, decoded)
}

// The acceptance's key rotation on real histories: a history written with
// key k1 still replays and reads after k2 is appended to the key file and
// the worker restarted; new payloads use k2; a key file without k1 fails
// the old history clearly, naming k1.
func TestKeyRotationKeepsOldHistoriesReadable(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	dir := t.TempDir()
	keyPath := filepath.Join(dir, "keys")
	line1, key1 := keyLine(t, "k1")
	line2, key2 := keyLine(t, "k2")
	writeKeyFile(t, keyPath, line1)
	keyEnv := codec.EnvKeyFile + "=" + keyPath
	queue := "e2e-rotation-" + uuid.NewString()[:8]
	logs := []string{}
	startWorker := func() *process {
		w, err := h.startWorker(ctx, "rotation-worker", []string{keyEnv}, "--task-queue="+queue)
		require.NoError(t, err)
		logs = append(logs, w.log)
		return w
	}
	runJob := func() (string, starterResult) {
		id := workflowID(t)
		cmd, stdout, stderr := h.starter(ctx, "run", "--task-queue", queue, "--workflow-id", id, "--poll", "200ms",
			"--image", "alpine:3.20", "--poll-interval", "0.5", "--env", "API_KEY="+apiKey, "--", "sh", "-c", "echo rotated")
		cmd.Env = append(cmd.Env, keyEnv)
		err := cmd.Run()
		return id, starterResult{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(t, err)}
	}

	w := startWorker()
	oldID, r := runJob()
	require.Equal(t, 0, r.code, r.stderr)
	require.NoError(t, w.stop(30*time.Second))

	writeKeyFile(t, keyPath, line1, line2)
	w = startWorker()
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })
	newID, r := runJob()
	require.Equal(t, 0, r.code, r.stderr)

	oldHistory, newHistory := h.history(ctx, t, oldID), h.history(ctx, t, newID)
	assert.Equal(t, "k1", inputKeyID(t, oldHistory))
	assert.Equal(t, "k2", inputKeyID(t, newHistory), "new payloads use the newest key")

	// The rotated worker answers queries over the old history, which it
	// replays; the rotated starter reads it.
	st := h.runStarterEnv(ctx, t, []string{keyEnv}, "status", "--json", oldID)
	require.Equal(t, 0, st.code, st.stderr)
	var status workflows.Status
	require.NoError(t, json.Unmarshal([]byte(st.stdout), &status))
	assert.Equal(t, "alpine:3.20", status.Image)

	rotated := h.encryptingClient(t, keyPath)
	var res activities.TaskResult
	require.NoError(t, rotated.GetWorkflow(ctx, oldID, "").Get(ctx, &res))
	assert.Equal(t, 0, res.ExitCode)

	replay := func(path string, events []*historypb.HistoryEvent) error {
		keys, err := codec.LoadKeys(path)
		require.NoError(t, err)
		opts := codec.ClientOptions(client.Options{}, keys)
		replayer, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
			DataConverter: opts.DataConverter, FailureConverter: opts.FailureConverter})
		require.NoError(t, err)
		replayer.RegisterWorkflowWithOptions(workflows.RunECSTask, workflow.RegisterOptions{Name: workflows.WorkflowName})
		logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError})))
		return replayer.ReplayWorkflowHistory(logger, &historypb.History{Events: events})
	}
	assert.NoError(t, replay(keyPath, oldHistory), "the k1 history replays with the rotated key file")
	assert.NoError(t, replay(keyPath, newHistory))

	// k1 retired too early: the old history no longer reads, and says why.
	retired := filepath.Join(dir, "retired")
	writeKeyFile(t, retired, line2)
	err := replay(retired, oldHistory)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `decrypt payload with key ID "k1": the key ID is not in the key file (it holds "k2")`)
	err = h.encryptingClient(t, retired).GetWorkflow(ctx, oldID, "").Get(ctx, &res)
	var de *codec.DecryptError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "k1", de.KeyID)
	assert.NoError(t, replay(retired, newHistory), "the k2 history needs k2 only")

	noSecrets(t, []string{apiKey, key1, key2}, logs, st.stdout, st.stderr)
}

// A worker given the wrong key fails its workflow tasks, with a clear
// error in plaintext, and writes nothing else: once a worker with the
// right key takes over, the job runs to its end.
func TestWrongKeyFailsWorkflowTasksOnly(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	dir := t.TempDir()
	rightPath, wrongPath := filepath.Join(dir, "right"), filepath.Join(dir, "wrong")
	rightLine, rightKey := keyLine(t, "k1")
	wrongLine, wrongKey := keyLine(t, "k1") // same ID, another key
	writeKeyFile(t, rightPath, rightLine)
	writeKeyFile(t, wrongPath, wrongLine)
	queue := "e2e-wrong-key-" + uuid.NewString()[:8]

	wrong, err := h.startWorker(ctx, "wrong-key-worker", []string{codec.EnvKeyFile + "=" + wrongPath}, "--task-queue="+queue)
	require.NoError(t, err)
	id := workflowID(t)
	r := h.runStarterEnv(ctx, t, []string{codec.EnvKeyFile + "=" + rightPath}, "start", "--task-queue", queue,
		"--workflow-id", id, "--image", "alpine:3.20", "--poll-interval", "0.5", "--env", "API_KEY="+apiKey, "--", "sh", "-c", "echo right key")
	require.Equal(t, 0, r.code, r.stderr)

	var events []*historypb.HistoryEvent
	require.NoError(t, waitFor(ctx, wrong, "a workflow task failure", func() bool {
		events = h.history(ctx, t, id)
		for _, ev := range events {
			if ev.GetEventType() == enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED {
				return true
			}
		}
		return false
	}))
	require.NoError(t, wrong.stop(30*time.Second))

	var failure string
	for _, ev := range h.history(ctx, t, id) {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED, enumspb.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED, enumspb.EVENT_TYPE_WORKFLOW_TASK_STARTED:
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			f := ev.GetWorkflowTaskFailedEventAttributes().GetFailure()
			assert.Nil(t, f.GetEncodedAttributes(), "the failure is plaintext: every key holder reads it")
			failure = f.GetMessage()
		default:
			assert.Failf(t, "the wrong key wrote an event", "%s", ev.GetEventType())
		}
	}
	assert.Contains(t, failure, `decrypt payload with key ID "k1": authentication failed`)
	desc, err := h.tc.DescribeWorkflow(ctx, id, "")
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, desc.Status)

	right, err := h.startWorker(ctx, "right-key-worker", []string{codec.EnvKeyFile + "=" + rightPath}, "--task-queue="+queue)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, right.stop(30*time.Second)) })
	var res activities.TaskResult
	require.NoError(t, h.encryptingClient(t, rightPath).GetWorkflow(ctx, id, "").Get(ctx, &res))
	assert.Equal(t, 0, res.ExitCode)
	failures := 0
	for _, ev := range h.history(ctx, t, id) {
		switch ev.GetEventType() {
		case enumspb.EVENT_TYPE_WORKFLOW_TASK_FAILED:
			failures++
		case enumspb.EVENT_TYPE_ACTIVITY_TASK_FAILED, enumspb.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
			assert.Failf(t, "unexpected failure", "%s", ev.GetEventType())
		}
	}
	assert.Equal(t, 1, failures, "one WorkflowTaskFailed: the retries of a failing task are not recorded")

	noSecrets(t, []string{apiKey, rightKey, wrongKey}, []string{wrong.log, right.log}, r.stdout, r.stderr)
}

// runStarterEnv runs the starter to its end with env on top of the client
// environment.
func (h *harness) runStarterEnv(ctx context.Context, t *testing.T, env []string, args ...string) starterResult {
	t.Helper()
	cmd, stdout, stderr := h.starter(ctx, args...)
	cmd.Env = append(cmd.Env, env...)
	err := cmd.Run()
	return starterResult{stdout: stdout.String(), stderr: stderr.String(), code: exitCode(t, err)}
}
