package ecslocal

import (
	"bytes"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"strings"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/cwlogs"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/secrets"
)

// StatsPath is where GET answers the request counters as JSON.
const StatsPath = "/_ecslocal/stats"

// maxBodyBytes bounds a request body (PutLogEvents allows 1 MiB of events).
const maxBodyBytes = 8 << 20

// Signing names of the services, as they appear in SigV4 credential
// scopes and as the prefixes of operation names ("ecs:RunTask").
const (
	serviceECS  = "ecs"
	serviceLogs = "logs"
	serviceEC2  = "ec2"
	serviceSM   = "secretsmanager"
	serviceSSM  = "ssm"
)

// ServeHTTP routes a request to ECS, CloudWatch Logs, Secrets Manager or
// SSM Parameter Store (by X-Amz-Target) or to EC2 (a query-protocol form
// POST) after verifying its signature; paths under AdminPathPrefix go to
// GET StatsPath (the request counters) and the admin API instead.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Amzn-Requestid", requestID())
	if strings.HasPrefix(r.URL.Path, AdminPathPrefix) {
		s.serveAdmin(w, r) // never an AWS call, never counted
		return
	}
	service, handler := s.route(r)
	if handler == nil {
		awsproto.WriteJSONError(w, awsproto.ClientError("UnknownOperationException",
			"ecslocal serves ECS (X-Amz-Target %s.*), CloudWatch Logs (%s.*), Secrets Manager (%s.*), SSM (%s.*) and EC2 (query protocol POST); got %s %s with X-Amz-Target %q",
			ecsTargetPrefix, cwlogs.TargetPrefix, secrets.SecretsManagerTargetPrefix, secrets.SSMTargetPrefix, r.Method, r.URL.Path, r.Header.Get("X-Amz-Target")))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		writeError(w, service, awsproto.ClientError("SerializationException", "reading request body: %v", err))
		return
	}
	if err := s.authenticate(r, body, service); err != nil {
		writeError(w, service, err)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := service + ":" + s.operation(r, service)
	r.Body = io.NopCloser(bytes.NewReader(body))
	s.stats.add(op)
	if err := s.faults.before(op, service); err != nil {
		writeError(w, service, err)
		return
	}
	if s.faults.loseResponse(op) {
		handler.ServeHTTP(discardResponse{header: http.Header{}}, r)
		// The work is done; the client sees the connection drop.
		panic(http.ErrAbortHandler)
	}
	handler.ServeHTTP(w, r)
}

// route picks the service and handler of a request, or a nil handler.
func (s *Server) route(r *http.Request) (service string, h http.Handler) {
	target := r.Header.Get("X-Amz-Target")
	switch {
	case strings.HasPrefix(target, ecsTargetPrefix+"."):
		return serviceECS, s.ecsHandler
	case strings.HasPrefix(target, cwlogs.TargetPrefix+"."):
		return serviceLogs, s.logsHandler
	case strings.HasPrefix(target, secrets.SecretsManagerTargetPrefix+"."):
		return serviceSM, s.smHandler
	case strings.HasPrefix(target, secrets.SSMTargetPrefix+"."):
		return serviceSSM, s.ssmHandler
	case target == "" && r.Method == http.MethodPost &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		return serviceEC2, s.ec2
	}
	return "", nil
}

// operation names the operation of a routed request (without service).
func (s *Server) operation(r *http.Request, service string) string {
	if service == serviceEC2 {
		return s.ec2.Operation(r)
	}
	_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
	return op
}

// writeError answers err in the error format of the service's protocol.
func writeError(w http.ResponseWriter, service string, err error) {
	if service == serviceEC2 {
		writeEC2Error(w, err)
		return
	}
	awsproto.WriteJSONError(w, err)
}

// writeEC2Error writes err as an EC2 query-protocol XML error response.
func writeEC2Error(w http.ResponseWriter, err error) {
	e := awsproto.AsError(err)
	type ec2Error struct {
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	}
	type response struct {
		XMLName   xml.Name   `xml:"Response"`
		Errors    []ec2Error `xml:"Errors>Error"`
		RequestID string     `xml:"RequestID"`
	}
	b, _ := xml.Marshal(response{
		Errors:    []ec2Error{{Code: e.Code, Message: e.Message}},
		RequestID: w.Header().Get("X-Amzn-Requestid"),
	})
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(e.Status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

// requestID returns a random request id shaped like AWS's.
func requestID() string { return uuid() }

// newID returns 32 random hex digits, the shape of ECS task ids.
func newID() string { return hex.EncodeToString(randomBytes(16)) }

// discardResponse is a ResponseWriter that drops the response, for the
// lost-response fault.
type discardResponse struct{ header http.Header }

func (d discardResponse) Header() http.Header         { return d.header }
func (d discardResponse) Write(b []byte) (int, error) { return len(b), nil }
func (d discardResponse) WriteHeader(int)             {}
