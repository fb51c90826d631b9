package main

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"

	"github.com/temporal-ecs/temporal-ecs/codec"
)

const codecToken = "s3cret-token"

// codecKeyFile writes a key file of random keys named ids and returns its
// path and the keys' base64.
func codecKeyFile(t *testing.T, ids ...string) (string, []string) {
	t.Helper()
	var lines, keys []string
	for _, id := range ids {
		b := make([]byte, codec.KeySize)
		_, err := rand.Read(b)
		require.NoError(t, err)
		k := base64.StdEncoding.EncodeToString(b)
		keys = append(keys, k)
		lines = append(lines, id+":"+k)
	}
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	return path, keys
}

func codecServer(t *testing.T, token string) (*httptest.Server, *codec.Keys) {
	t.Helper()
	path, _ := codecKeyFile(t, "k1")
	keys, err := codec.LoadKeys(path)
	require.NoError(t, err)
	srv := httptest.NewServer(newCodecHandler(keys, []string{defaultCodecOrigin}, token))
	t.Cleanup(srv.Close)
	return srv, keys
}

// remote is the SDK's client of the codec protocol, as the CLI uses it.
func remote(endpoint, authorization string) converter.PayloadCodec {
	return converter.NewRemotePayloadCodec(converter.RemotePayloadCodecOptions{
		Endpoint: endpoint,
		ModifyRequest: func(r *http.Request) error {
			if authorization != "" {
				r.Header.Set("Authorization", authorization)
			}
			return nil
		},
	})
}

func jsonPayload(t *testing.T, v any) *commonpb.Payload {
	t.Helper()
	p, err := converter.GetDefaultDataConverter().ToPayload(v)
	require.NoError(t, err)
	return p
}

func TestCodecServerEncodesAndDecodesOverHTTP(t *testing.T) {
	srv, keys := codecServer(t, "")
	plain := []*commonpb.Payload{jsonPayload(t, map[string]string{"API_KEY": "sk_live_abcdef123456"}), jsonPayload(t, 42)}
	for _, prefix := range []string{"", "/default"} {
		rc := remote(srv.URL+prefix, "")
		enc, err := rc.Encode(plain)
		require.NoError(t, err)
		require.Len(t, enc, 2)
		for _, p := range enc {
			assert.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
			assert.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
			assert.NotContains(t, string(p.Data), "sk_live_abcdef123456")
		}
		// What the server encodes, the worker's codec decodes, and back.
		local, err := codec.NewCodec(keys).Decode(enc)
		require.NoError(t, err)
		assert.Equal(t, plain[0].Data, local[0].Data)
		localEnc, err := codec.NewCodec(keys).Encode(plain)
		require.NoError(t, err)
		dec, err := rc.Decode(localEnc)
		require.NoError(t, err)
		assert.Equal(t, plain[0].Data, dec[0].Data)
		assert.Equal(t, plain[1].Data, dec[1].Data)
		assert.Equal(t, "json/plain", string(dec[0].Metadata[converter.MetadataEncoding]))
	}
}

func TestCodecServerDecodeErrorNamesTheKeyID(t *testing.T) {
	srv, _ := codecServer(t, "")
	path, keys := codecKeyFile(t, "other")
	otherKeys, err := codec.LoadKeys(path)
	require.NoError(t, err)
	enc, err := codec.NewCodec(otherKeys).Encode([]*commonpb.Payload{jsonPayload(t, "x")})
	require.NoError(t, err)
	_, err = remote(srv.URL, "").Decode(enc)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `Bad Request: decrypt payload with key ID "other": the key ID is not in the key file (it holds "k1")`)
	assert.NotContains(t, err.Error(), keys[0])
}

func TestCodecServerToken(t *testing.T) {
	srv, _ := codecServer(t, codecToken)
	plain := []*commonpb.Payload{jsonPayload(t, "hello")}
	for _, auth := range []string{"", "Bearer wrong-token", "Basic " + codecToken, codecToken, "Bearer " + codecToken + "x"} {
		_, err := remote(srv.URL, auth).Encode(plain)
		assert.ErrorContains(t, err, "Unauthorized", "Authorization %q", auth)
		_, err = remote(srv.URL, auth).Decode(plain)
		assert.ErrorContains(t, err, "Unauthorized", "Authorization %q", auth)
	}
	// As `temporal --codec-auth "Bearer TOKEN"` sends it.
	enc, err := remote(srv.URL, "Bearer "+codecToken).Encode(plain)
	require.NoError(t, err)
	dec, err := remote(srv.URL+"/default", "bearer "+codecToken).Decode(enc)
	require.NoError(t, err)
	assert.Equal(t, plain[0].Data, dec[0].Data)

	resp, err := http.Post(srv.URL+"/decode", "application/json", strings.NewReader(`{"payloads":[]}`))
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
	assert.Equal(t, `Bearer realm="temporal-ecs codec server"`, resp.Header.Get("WWW-Authenticate"))
}

func TestCodecServerCORS(t *testing.T) {
	srv, _ := codecServer(t, codecToken)
	do := func(method, path, origin string, header map[string]string, body string) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		require.NoError(t, err)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	// The Web UI's preflight: no credentials, even with a token required.
	resp := do(http.MethodOptions, "/decode", defaultCodecOrigin, map[string]string{
		"Access-Control-Request-Method":  "POST",
		"Access-Control-Request-Headers": "authorization,content-type,x-namespace",
	}, "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	assert.Equal(t, defaultCodecOrigin, resp.Header.Get("Access-Control-Allow-Origin"))
	assert.Equal(t, "true", resp.Header.Get("Access-Control-Allow-Credentials"))
	assert.Contains(t, resp.Header.Get("Access-Control-Allow-Methods"), "POST")
	for _, h := range []string{"Content-Type", "X-Namespace", "Authorization"} {
		assert.Contains(t, resp.Header.Get("Access-Control-Allow-Headers"), h)
	}
	assert.Contains(t, resp.Header.Values("Vary"), "Origin")

	// The call itself carries the CORS headers too.
	resp = do(http.MethodPost, "/default/decode", defaultCodecOrigin, map[string]string{
		"Content-Type": "application/json", "X-Namespace": "default", "Authorization": "Bearer " + codecToken,
	}, `{"payloads":[]}`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, defaultCodecOrigin, resp.Header.Get("Access-Control-Allow-Origin"))

	// Another origin is refused, preflight or not.
	for _, method := range []string{http.MethodOptions, http.MethodPost} {
		resp = do(method, "/decode", "https://evil.example", map[string]string{"Authorization": "Bearer " + codecToken}, `{"payloads":[]}`)
		assert.Equal(t, http.StatusForbidden, resp.StatusCode, method)
		assert.Empty(t, resp.Header.Get("Access-Control-Allow-Origin"), method)
	}

	// Other paths and methods.
	assert.Equal(t, http.StatusNotFound, do(http.MethodPost, "/metrics", "", nil, "").StatusCode)
	resp = do(http.MethodGet, "/decode", "", nil, "")
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	assert.Equal(t, "POST, OPTIONS", resp.Header.Get("Allow"))
}

func TestParseOrigins(t *testing.T) {
	got, err := parseOrigins(" http://localhost:8233, https://temporal.example.com/ ")
	require.NoError(t, err)
	assert.Equal(t, []string{"http://localhost:8233", "https://temporal.example.com"}, got)
	got, err = parseOrigins("")
	require.NoError(t, err)
	assert.Empty(t, got)
	for _, bad := range []string{"localhost:8233", "ftp://x", "http://x/ui", "*"} {
		_, err := parseOrigins(bad)
		assert.Error(t, err, bad)
	}
}

// The command: listens, serves, and stops on SIGINT or SIGTERM.
func TestCodecServerCommand(t *testing.T) {
	path, keys := codecKeyFile(t, "k1", "k2")
	c, _, _ := testCLI(map[string]string{codec.EnvKeyFile: path, "TEMPORAL_ECS_CODEC_AUTH_TOKEN": codecToken})
	r, w := io.Pipe()
	c.stderr = w
	interrupts, wait := startCLI(t, c, "codec-server", "--addr", "127.0.0.1:0")
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err)
	go func() { _, _ = io.Copy(io.Discard, r) }()
	m := regexp.MustCompile(`serving /encode and /decode on (http://127\.0\.0\.1:\d+) \(keys k1, k2 \(newest k2\); CORS origins: http://localhost:8233; bearer token required\)`).FindStringSubmatch(line)
	require.NotNil(t, m, line)
	for _, k := range keys {
		assert.NotContains(t, line, k)
	}
	assert.NotContains(t, line, codecToken)

	rc := remote(m[1], "Bearer "+codecToken)
	enc, err := rc.Encode([]*commonpb.Payload{jsonPayload(t, "hi")})
	require.NoError(t, err)
	assert.Equal(t, "k2", string(enc[0].Metadata[codec.MetadataKeyID]), "the newest key")
	_, err = rc.Decode(enc)
	require.NoError(t, err)

	interrupts <- os.Interrupt
	assert.Equal(t, 130, wait())
	_, err = http.Post(m[1]+"/decode", "application/json", strings.NewReader("{}"))
	assert.Error(t, err, "stopped listening")
}

func TestCodecServerUsageErrors(t *testing.T) {
	path, _ := codecKeyFile(t, "k1")
	bad := filepath.Join(t.TempDir(), "bad")
	require.NoError(t, os.WriteFile(bad, []byte("k1 no colon here\n"), 0o600))
	for _, tc := range []struct {
		env  map[string]string
		args []string
		code int
		want string
	}{
		{nil, nil, 2, "starter codec-server: --encryption-key-file (or TEMPORAL_ECS_ENCRYPTION_KEY_FILE) is required"},
		{map[string]string{codec.EnvKeyFile: path}, []string{"--allowed-origin", "localhost:8233"}, 2, `--allowed-origin: "localhost:8233" is no origin`},
		{map[string]string{codec.EnvKeyFile: path}, []string{"extra"}, 2, `unexpected argument "extra"`},
		{map[string]string{codec.EnvKeyFile: bad}, nil, 1, "starter codec-server: encryption key file " + bad + ": line 1: want KEY_ID:BASE64_32_BYTES\n"},
	} {
		c, _, stderr := testCLI(tc.env)
		assert.Equal(t, tc.code, cliMain(append([]string{"codec-server"}, tc.args...), c), tc.args)
		assert.Contains(t, stderr.String(), tc.want)
		assert.NotContains(t, stderr.String(), "no colon here")
	}
}
