package main

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/converter"

	"github.com/temporal-ecs/temporal-ecs/codec"
	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
	"github.com/temporal-ecs/temporal-ecs/internal/temporalclient"
)

const (
	// defaultCodecOrigin is the Web UI of `temporal server start-dev`.
	defaultCodecOrigin = "http://localhost:8233"
	// maxCodecRequest bounds a request body: the payloads of a history
	// page, each at most the server's blob size limit (2 MiB by default).
	maxCodecRequest = 32 << 20
	// codecShutdownTimeout is how long requests in flight get on SIGINT or
	// SIGTERM.
	codecShutdownTimeout = 5 * time.Second
)

// corsAllowHeaders are the request headers the Web UI's codec calls send:
// Authorization and Authorization-Extras with "pass access token".
const corsAllowHeaders = "Authorization, Authorization-Extras, Content-Type, X-Namespace"

// codecServerCmd is `starter codec-server`: the payload codec over HTTP,
// for `temporal --codec-endpoint` and the Web UI's codec endpoint setting.
func codecServerCmd(ctx context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	var addr, keyFile, origins, token string
	fs.StringVar(&addr, "addr", "127.0.0.1:8081",
		fs.env.Bind("addr", "TEMPORAL_ECS_CODEC_ADDR", "`host:port` to listen on"))
	temporalclient.RegisterKeyFile(fs.FlagSet, &fs.env, &keyFile)
	fs.StringVar(&origins, "allowed-origin", defaultCodecOrigin,
		fs.env.Bind("allowed-origin", "TEMPORAL_ECS_CODEC_ALLOWED_ORIGIN", "`origin` of the Web UI browsers may call from (CORS), comma-separated for several; empty allows none"))
	fs.StringVar(&token, "auth-token", "",
		fs.env.Bind("auth-token", "TEMPORAL_ECS_CODEC_AUTH_TOKEN", "when set, /encode and /decode require the header Authorization: Bearer `token` (prefer the variable: a flag shows in ps)"))
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	if fs.NArg() > 0 {
		return 0, cliflags.UsageErrorf("unexpected argument %q", fs.Arg(0))
	}
	if keyFile == "" {
		return 0, cliflags.UsageErrorf("--encryption-key-file (or %s) is required: the server decrypts with its keys", codec.EnvKeyFile)
	}
	allowed, err := parseOrigins(origins)
	if err != nil {
		return 0, cliflags.UsageError{Err: fmt.Errorf("--allowed-origin: %w", err)}
	}
	keys, err := codec.LoadKeys(keyFile)
	if err != nil {
		return 0, err
	}
	token = strings.TrimSpace(token)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return 0, fmt.Errorf("--addr: %w", err)
	}
	srv := &http.Server{Handler: newCodecHandler(keys, allowed, token), ReadHeaderTimeout: 10 * time.Second}
	auth := "no token required"
	if token != "" {
		auth = "bearer token required"
	}
	fmt.Fprintf(c.stderr, "starter codec-server: serving /encode and /decode on http://%s (%s; CORS origins: %s; %s)\n",
		ln.Addr(), keys, originList(allowed), auth)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return 0, fmt.Errorf("codec server: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), codecShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return 0, fmt.Errorf("codec server shutdown: %w", errors.Join(err, srv.Close()))
	}
	return 0, nil
}

// parseOrigins parses a comma-separated list of origins
// (scheme://host[:port]).
func parseOrigins(s string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(s, ",") {
		o = strings.TrimSpace(o)
		if o == "" {
			continue
		}
		u, err := url.Parse(o)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("%q is no origin: want scheme://host[:port], like %s", o, defaultCodecOrigin)
		}
		out = append(out, u.Scheme+"://"+u.Host)
	}
	return out, nil
}

func originList(origins []string) string {
	if len(origins) == 0 {
		return "none"
	}
	return strings.Join(origins, ", ")
}

// newCodecHandler serves the codec of keys at every path ending in /encode
// or /decode (the SDK's handler; /NAMESPACE/decode works too), as POST
// requests of Payloads in protobuf JSON. Browsers from the allowed origins
// get CORS headers and their preflight OPTIONS answered; a request from
// another origin is refused. With a token, /encode and /decode require
// Authorization: Bearer TOKEN (the preflight, which browsers send without
// credentials, does not).
func newCodecHandler(keys *codec.Keys, origins []string, token string) http.Handler {
	payloads := converter.NewPayloadCodecHTTPHandler(codec.NewCodec(keys))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		if origin := r.Header.Get("Origin"); origin != "" {
			if !slices.Contains(origins, origin) {
				http.Error(w, fmt.Sprintf("origin %s is not allowed: start the codec server with --allowed-origin %s", origin, origin), http.StatusForbidden)
				return
			}
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		if !strings.HasSuffix(r.URL.Path, "/encode") && !strings.HasSuffix(r.URL.Path, "/decode") {
			http.NotFound(w, r)
			return
		}
		switch r.Method {
		case http.MethodOptions:
			h.Set("Access-Control-Allow-Methods", "POST, OPTIONS")
			h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
			h.Set("Access-Control-Max-Age", "600")
			w.WriteHeader(http.StatusNoContent)
			return
		case http.MethodPost:
		default:
			h.Set("Allow", "POST, OPTIONS")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		if token != "" && !bearer(r, token) {
			h.Set("WWW-Authenticate", `Bearer realm="temporal-ecs codec server"`)
			http.Error(w, "unauthorized: want the header Authorization: Bearer TOKEN", http.StatusUnauthorized)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxCodecRequest)
		payloads.ServeHTTP(w, r)
	})
}

// bearer reports whether r carries Authorization: Bearer token, comparing
// the token in constant time.
func bearer(r *http.Request, token string) bool {
	scheme, cred, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(cred)), []byte(token)) == 1
}
