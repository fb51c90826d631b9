package ecslocal

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// The admin API drives a server from outside its process, e.g. from an
// end-to-end test running the ecslocal command. It is on only when
// Options.AdminToken is set, and then every request must carry
// "Authorization: Bearer <token>"; otherwise it answers 404. Requests and
// responses are JSON; errors are {"error": "..."} with a 4xx status.
//
//	POST   AdminStopTaskPath  StopTaskRequest: an ECS-initiated stop (Faults.StopTask)
//	POST   AdminFaultsPath    Fault: injects it (Faults.Inject)
//	DELETE AdminFaultsPath    removes every fault (Faults.Reset)
//	DELETE StatsPath          sets the counters to zero (Server.ResetStats)
//
// GET StatsPath needs no token. Every path under AdminPathPrefix is
// reserved: no request to it is taken for an AWS call or counted in Stats.
const (
	AdminPathPrefix   = "/_ecslocal/"
	AdminStopTaskPath = AdminPathPrefix + "tasks/stop"
	AdminFaultsPath   = AdminPathPrefix + "faults"
)

// maxAdminBodyBytes bounds an admin request body.
const maxAdminBodyBytes = 64 << 10

// StopTaskRequest is the body of POST AdminStopTaskPath: stop Task (ARN or
// id, any cluster) as ECS itself would, with StopCode (one of ECS's task
// stop codes: SpotInterruption, TerminationNotice,
// ServiceSchedulerInitiated, InfrastructureHealth, UserInitiated, ...)
// and Reason as the task's stoppedReason (a default naming the stop code
// when empty). Unknown tasks answer 404.
type StopTaskRequest struct {
	Task     string `json:"task"`
	StopCode string `json:"stopCode"`
	Reason   string `json:"reason,omitempty"`
}

// adminAuth checks admin requests' bearer token. It keeps only the
// token's SHA-256, so that comparing takes the same time whatever the
// length and contents of the token presented.
type adminAuth struct{ hash [sha256.Size]byte }

// newAdminAuth returns the check for token, or nil (admin API off) when
// token is empty.
func newAdminAuth(token string) *adminAuth {
	if token == "" {
		return nil
	}
	return &adminAuth{hash: sha256.Sum256([]byte(token))}
}

// allows reports whether r carries "Authorization: Bearer <token>".
func (a *adminAuth) allows(r *http.Request) bool {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	return subtle.ConstantTimeCompare(got[:], a.hash[:]) == 1
}

// adminOp performs one admin request on its body.
type adminOp func(s *Server, body []byte) error

// adminRoutes maps path and method to the operation.
var adminRoutes = map[string]map[string]adminOp{
	AdminStopTaskPath: {http.MethodPost: (*Server).adminStopTask},
	AdminFaultsPath:   {http.MethodPost: (*Server).adminInjectFault, http.MethodDelete: (*Server).adminResetFaults},
	StatsPath:         {http.MethodDelete: (*Server).adminResetStats},
}

// adminError is an admin request's failure with its HTTP status.
type adminError struct {
	status int
	err    error
}

func (e *adminError) Error() string { return e.err.Error() }
func (e *adminError) Unwrap() error { return e.err }

func badAdminRequest(format string, args ...any) error {
	return &adminError{status: http.StatusBadRequest, err: fmt.Errorf(format, args...)}
}

// serveAdmin answers a request under AdminPathPrefix.
func (s *Server) serveAdmin(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == StatsPath {
		s.serveStats(w)
		return
	}
	if s.admin == nil {
		writeAdminError(w, http.StatusNotFound, "%s is not served: the ecslocal admin API is off (turn it on with an admin token: --admin-token, ECSLOCAL_ADMIN_TOKEN or Options.AdminToken)", r.URL.Path)
		return
	}
	if !s.admin.allows(r) {
		s.log.Warn("ecslocal admin: refused a request without the admin token", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr)
		w.Header().Set("WWW-Authenticate", `Bearer realm="ecslocal admin"`)
		writeAdminError(w, http.StatusUnauthorized, "the ecslocal admin API needs the header Authorization: Bearer <admin token>")
		return
	}
	methods, ok := adminRoutes[r.URL.Path]
	if !ok {
		writeAdminError(w, http.StatusNotFound, "%s is not an ecslocal admin path (%s, %s, %s)", r.URL.Path, AdminStopTaskPath, AdminFaultsPath, StatsPath)
		return
	}
	op, ok := methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeAdminError(w, http.StatusMethodNotAllowed, "%s answers %s, not %s", r.URL.Path, strings.Join(allowed, " and "), r.Method)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBodyBytes))
	if err != nil {
		writeAdminError(w, http.StatusBadRequest, "reading the request body: %v", err)
		return
	}
	if err := op(s, body); err != nil {
		status := http.StatusInternalServerError
		var ae *adminError
		if errors.As(err, &ae) {
			status = ae.status
		}
		writeAdminError(w, status, "%v", err)
		return
	}
	writeAdminJSON(w, http.StatusOK, struct{}{})
}

func (s *Server) adminStopTask(body []byte) error {
	var req StopTaskRequest
	if err := decodeStrict(body, &req); err != nil {
		return badAdminRequest("decoding the stop request: %w", err)
	}
	if req.Task == "" {
		return badAdminRequest("task is required: the task's ARN or id")
	}
	codes := types.TaskStopCode("").Values()
	if !slices.Contains(codes, types.TaskStopCode(req.StopCode)) {
		names := make([]string, len(codes))
		for i, c := range codes {
			names[i] = string(c)
		}
		return badAdminRequest("stopCode %q is not one of ECS's: %s", req.StopCode, strings.Join(names, ", "))
	}
	if len(req.Reason) > maxStopReasonLength {
		return badAdminRequest("reason can be at most %d characters; got %d", maxStopReasonLength, len(req.Reason))
	}
	if req.Reason == "" {
		req.Reason = "Task stopped by the ecslocal admin API (stopCode " + req.StopCode + ")"
	}
	if err := s.faults.StopTask(req.Task, req.StopCode, req.Reason); err != nil {
		if errors.Is(err, ErrNoSuchTask) {
			return &adminError{status: http.StatusNotFound, err: err}
		}
		return err
	}
	s.log.Info("ecslocal admin: stopping task", "task", req.Task, "stopCode", req.StopCode, "reason", req.Reason)
	return nil
}

func (s *Server) adminInjectFault(body []byte) error {
	ft, err := ParseFault(body)
	if err != nil {
		return badAdminRequest("%w", err)
	}
	if err := s.faults.Inject(ft); err != nil {
		return badAdminRequest("%w", err)
	}
	s.log.Info("ecslocal admin: fault injected", "fault", fmt.Sprintf("%+v", ft))
	return nil
}

func (s *Server) adminResetFaults([]byte) error {
	s.faults.Reset()
	s.log.Info("ecslocal admin: every fault removed")
	return nil
}

func (s *Server) adminResetStats([]byte) error {
	s.ResetStats()
	return nil
}

// decodeStrict decodes exactly one JSON value into v, rejecting unknown
// members.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if err := dec.Decode(new(json.RawMessage)); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

func writeAdminJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeAdminError(w http.ResponseWriter, status int, format string, args ...any) {
	writeAdminJSON(w, status, map[string]string{"error": fmt.Sprintf(format, args...)})
}
