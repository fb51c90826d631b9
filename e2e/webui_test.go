package e2e_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/codec"
)

// The Web UI test drives the Temporal Web UI of a dev server of its own
// (the shared one is headless) in headless Chromium: Debian's chromium,
// through playwright-core from e2e/ts (e2e/ts/webui.js), which downloads
// no browser. .ci/run installs both.

// webUIBrowserTimeout bounds one run of webui.js.
const webUIBrowserTimeout = 60 * time.Second

// webUIMissing says what the Web UI test needs and lacks, or "" when
// nothing: chromium and node on PATH, and playwright-core installed in dir
// (e2e/ts) at the version its lock file pins.
func webUIMissing(lookPath func(string) (string, error), dir string) string {
	var problems []string
	if _, err := lookPath("chromium"); err != nil {
		problems = append(problems, "chromium is not on PATH (Debian's chromium package): "+err.Error())
	}
	if _, err := lookPath("node"); err != nil {
		problems = append(problems, "node is not on PATH: "+err.Error())
	}
	var locked struct {
		Packages map[string]struct {
			Version string `json:"version"`
		} `json:"packages"`
	}
	var installed struct {
		Version string `json:"version"`
	}
	lock, err := os.ReadFile(filepath.Join(dir, "package-lock.json"))
	if err == nil {
		err = json.Unmarshal(lock, &locked)
	}
	want := locked.Packages["node_modules/playwright-core"].Version
	b, ierr := os.ReadFile(filepath.Join(dir, "node_modules", "playwright-core", "package.json"))
	switch {
	case err != nil:
		problems = append(problems, "cannot read the lock file: "+err.Error())
	case want == "":
		problems = append(problems, "the lock file pins no playwright-core")
	case ierr != nil:
		problems = append(problems, "playwright-core is not installed (run `npm ci` in "+dir+")")
	case json.Unmarshal(b, &installed) != nil || installed.Version != want:
		problems = append(problems, fmt.Sprintf("playwright-core is %s, the lock file pins %q (run `npm ci` in %s)", installed.Version, want, dir))
	}
	return strings.Join(problems, "; ")
}

// skipOrFailWebUI skips tb for reason, except under CI, where a skipped
// test would pass unnoticed: there it fails.
func skipOrFailWebUI(tb testing.TB, ci bool, reason string) {
	tb.Helper()
	if ci {
		tb.Fatalf("the Web UI test cannot run, and CI is set, so no skip: %s", reason)
		return
	}
	tb.Skipf("the Web UI test cannot run: %s", reason)
}

func TestWebUIPrerequisites(t *testing.T) {
	dir := t.TempDir()
	none := func(string) (string, error) { return "", exec.ErrNotFound }
	all := func(name string) (string, error) { return "/usr/bin/" + name, nil }

	missing := webUIMissing(none, dir)
	assert.Contains(t, missing, "chromium is not on PATH")
	assert.Contains(t, missing, "node is not on PATH")
	assert.Contains(t, missing, "cannot read the lock file")

	require.NoError(t, os.WriteFile(filepath.Join(dir, "package-lock.json"), []byte(`{"packages": {}}`), 0o644))
	assert.Equal(t, "the lock file pins no playwright-core", webUIMissing(all, dir))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "package-lock.json"),
		[]byte(`{"packages": {"node_modules/playwright-core": {"version": "1.65.2"}}}`), 0o644))
	assert.Equal(t, "playwright-core is not installed (run `npm ci` in "+dir+")", webUIMissing(all, dir))
	pkg := filepath.Join(dir, "node_modules", "playwright-core")
	require.NoError(t, os.MkdirAll(pkg, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"version": "1.64.0"}`), 0o644))
	assert.Equal(t, `playwright-core is 1.64.0, the lock file pins "1.65.2" (run `+"`npm ci`"+` in `+dir+`)`, webUIMissing(all, dir))
	require.NoError(t, os.WriteFile(filepath.Join(pkg, "package.json"), []byte(`{"version": "1.65.2"}`), 0o644))
	assert.Empty(t, webUIMissing(all, dir))

	for _, ci := range []bool{false, true} {
		var r outcomeTB
		skipOrFailWebUI(&r, ci, "chromium is missing")
		if ci {
			assert.Equal(t, "the Web UI test cannot run, and CI is set, so no skip: chromium is missing", r.failed)
			assert.Empty(t, r.skipped)
		} else {
			assert.Equal(t, "the Web UI test cannot run: chromium is missing", r.skipped)
			assert.Empty(t, r.failed)
		}
	}
}

// webUIPage is what webui.js saw of a page.
type webUIPage struct {
	Found    bool   `json:"found"`
	URL      string `json:"url"`
	Text     string `json:"text"`
	Error    string `json:"error"`
	Requests []struct {
		Method    string `json:"method"`
		URL       string `json:"url"`
		Namespace string `json:"namespace"`
		Status    any    `json:"status"`
	} `json:"requests"`
}

// uiServer is a dev server with the Web UI.
type uiServer struct {
	address, ui string // host:port of the frontend; http://host:port of the UI
}

// startUIServer starts a dev server with its Web UI on loopback, the UI's
// codec endpoint set to codecEndpoint, and waits until both answer.
func (h *harness) startUIServer(ctx context.Context, t *testing.T, dir, codecEndpoint string) uiServer {
	t.Helper()
	ports := make([]string, 4)
	for i := range ports {
		p, err := freePort()
		require.NoError(t, err)
		ports[i] = strconv.Itoa(p)
	}
	s := uiServer{address: "127.0.0.1:" + ports[0], ui: "http://127.0.0.1:" + ports[3]}
	args := append([]string{"server", "start-dev", "--ip", "127.0.0.1", "--ui-ip", "127.0.0.1",
		"--port", ports[0], "--http-port", ports[1], "--metrics-port", ports[2], "--ui-port", ports[3],
		"--ui-codec-endpoint", codecEndpoint,
		"--db-filename", filepath.Join(dir, "temporal.db"), "--log-level", "warn"}, searchAttributeFlags()...)
	p, err := startProcess("temporal server with UI", filepath.Join(dir, "server.log"), h.baseEnv(), h.temporalBin, args...)
	require.NoError(t, err)
	p.diesOfSIGTERM = true
	t.Cleanup(func() { assert.NoError(t, p.stop(30*time.Second)) })
	hc := &http.Client{Timeout: 2 * time.Second}
	require.NoError(t, waitFor(ctx, p, "the Web UI to answer", func() bool {
		res, err := hc.Get(s.ui + "/")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}))
	return s
}

// browse runs webui.js on url until texts show (or its timeout), with the
// screenshot at png.
func browse(ctx context.Context, t *testing.T, node, dir, url, png string, texts ...string) webUIPage {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, webUIBrowserTimeout+30*time.Second)
	defer cancel()
	chromium, err := exec.LookPath("chromium")
	require.NoError(t, err)
	home := t.TempDir() // the browser's profile, and what it writes to HOME
	args := append([]string{filepath.Join(dir, "webui.js"), url, png, filepath.Join(home, "profile"),
		strconv.Itoa(int(webUIBrowserTimeout.Milliseconds()))}, texts...)
	cmd := exec.CommandContext(ctx, node, args...)
	cmd.Env = append(h.baseEnv(), "HOME="+home, "CHROMIUM="+chromium)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	require.True(t, err == nil || (errors.As(err, &exit) && exit.ExitCode() == 1), "webui.js: %v; stderr:\n%s", err, stderr.String())
	var page webUIPage
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &page), "webui.js printed %q; stderr:\n%s", stdout.String(), stderr.String())
	t.Logf("screenshot of %s: %s (kept with the suite's logs when a test fails)", page.URL, png)
	return page
}

// The acceptance's Web UI check: a job's input is encrypted in history, so
// the Web UI shows ciphertext until its codec endpoint answers; with the
// codec server running, the same page shows the decoded job, environment
// value included. Both pages are screenshots in the suite's directory.
func TestWebUIShowsDecodedInput(t *testing.T) {
	h := need(t)
	dir := filepath.Join(h.root, "e2e", "ts")
	if reason := webUIMissing(exec.LookPath, dir); reason != "" {
		skipOrFailWebUI(t, underCI(os.LookupEnv), reason)
	}
	node, err := exec.LookPath("node")
	require.NoError(t, err)
	ctx := testContext(t)
	// Kept with the suite's logs when it fails.
	out := filepath.Join(h.dir, unsafeID.ReplaceAllString(t.Name(), "-"))
	require.NoError(t, os.MkdirAll(out, 0o755))

	keyPath := filepath.Join(t.TempDir(), "keys")
	line, key := keyLine(t, "k1")
	writeKeyFile(t, keyPath, line)
	codecAddr, err := freeAddr()
	require.NoError(t, err)
	srv := h.startUIServer(ctx, t, out, "http://"+codecAddr)

	env := []string{codec.EnvKeyFile + "=" + keyPath, "TEMPORAL_ADDRESS=" + srv.address}
	queue := "e2e-webui-" + uuid.NewString()[:8]
	w, err := h.startWorker(ctx, "webui-worker", env, "--task-queue="+queue)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, w.stop(30*time.Second)) })
	id := workflowID(t)
	r := h.runStarterEnv(ctx, t, env, "run", "--task-queue", queue, "--workflow-id", id, "--poll", "200ms",
		"--image", "alpine:3.20", "--poll-interval", "0.5", "--env", "API_KEY="+apiKey, "--", "sh", "-c", "echo shown in the web ui")
	require.Equal(t, 0, r.code, r.stderr)

	url := srv.ui + "/namespaces/default/workflows/" + id
	encrypted := base64.StdEncoding.EncodeToString([]byte(codec.EncodingEncrypted)) // the UI shows metadata in base64

	// The codec server is not running yet: the UI shows the input as it is
	// in history.
	raw := browse(ctx, t, node, dir, url, filepath.Join(out, "encrypted.png"), "Input", encrypted)
	require.True(t, raw.Found, "the UI shows the encrypted input: %s; page text:\n%s", raw.Error, raw.Text)
	assert.Contains(t, raw.URL, "/workflows/"+id+"/", "the UI opened the workflow's latest run")
	assert.NotContains(t, raw.Text, apiKey)
	assert.NotContains(t, raw.Text, "echo shown in the web ui")
	assert.Contains(t, raw.Text, "Codec Server could not connect")

	codecLog := filepath.Join(out, "codec-server.log")
	p, err := startProcess("codec server", codecLog, append(h.baseEnv(), codec.EnvKeyFile+"="+keyPath),
		filepath.Join(h.binDir, "starter"), "codec-server", "--addr", codecAddr, "--allowed-origin", srv.ui)
	require.NoError(t, err)
	t.Cleanup(func() {
		// The starter exits 130 on SIGTERM, as on Ctrl-C.
		var exit *exec.ExitError
		if err := p.stop(30 * time.Second); err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 130) {
			t.Errorf("codec server: %v", err)
		}
	})
	require.NoError(t, waitFor(ctx, p, "the codec server to listen", func() bool {
		b, _ := os.ReadFile(codecLog)
		return strings.Contains(string(b), "serving /encode and /decode on http://"+codecAddr)
	}))

	decoded := browse(ctx, t, node, dir, url, filepath.Join(out, "decoded.png"), "Input", apiKey)
	require.True(t, decoded.Found, "the UI shows the decoded input: %s; page text:\n%s", decoded.Error, decoded.Text)
	assert.Contains(t, decoded.Text, `"API_KEY": "`+apiKey+`"`, "the job's environment, decoded")
	assert.Contains(t, decoded.Text, `"echo shown in the web ui"`, "the job's command, decoded")
	assert.NotContains(t, decoded.Text, encrypted, "every payload shown is decoded")
	decodes := 0
	for _, req := range decoded.Requests {
		assert.Equal(t, "http://"+codecAddr+"/decode", req.URL, "the page calls the codec server only")
		assert.Equal(t, "default", req.Namespace, "%s %s", req.Method, req.URL)
		assert.EqualValues(t, http.StatusOK, req.Status, "%s %s", req.Method, req.URL)
		decodes++
	}
	assert.Positive(t, decodes, "the page decoded through the codec server")

	noSecrets(t, []string{apiKey, key}, []string{w.log}, r.stdout, r.stderr)
	noSecrets(t, []string{key}, []string{codecLog}, decoded.Text)
}
