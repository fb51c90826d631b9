// Package awsproto holds the pieces of the AWS wire protocols that every
// service of ecslocal shares: the awsJson1_1 request dispatch, the error
// shapes and status codes AWS answers with, and an encoder that writes
// aws-sdk-go-v2 types with their wire member names.
package awsproto

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Error is an AWS service error as the wire carries it: a code (the
// exception's shape name), a message and the HTTP status it travels with.
type Error struct {
	Code    string
	Message string
	Status  int
	// Members are the exception's other modelled members, written into
	// the error body under their wire names beside "message", e.g.
	// {"resourceIds": [...]} for ECS's ConflictException. Optional.
	Members map[string]any
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Errorf returns an *Error with the given code, HTTP status and formatted message.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// ClientError is a 400 error with the given code, as most validation errors are.
func ClientError(code, format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, code, format, args...)
}

// Dispatcher answers one awsJson1_1 operation: op is the part of
// X-Amz-Target after the dot, body the raw JSON request. The response is
// encoded with MarshalWire; a returned error that is not an *Error becomes
// a 500 InternalFailure.
type Dispatcher func(op string, body []byte) (any, error)

// JSONHandler serves awsJson1_1 requests whose X-Amz-Target starts with
// targetPrefix + "." by calling dispatch. It does no authentication; the
// ecslocal server verifies signatures before it routes.
func JSONHandler(targetPrefix string, dispatch Dispatcher) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		target := r.Header.Get("X-Amz-Target")
		op, ok := strings.CutPrefix(target, targetPrefix+".")
		if !ok || op == "" {
			WriteJSONError(w, ClientError("UnknownOperationException", "unknown operation %q", target))
			return
		}
		body, err := io.ReadAll(r.Body)
		if err != nil {
			WriteJSONError(w, ClientError("SerializationException", "reading request body: %v", err))
			return
		}
		if len(body) == 0 {
			body = []byte("{}")
		}
		resp, err := dispatch(op, body)
		if err != nil {
			WriteJSONError(w, err)
			return
		}
		WriteJSON(w, resp)
	})
}

// Call decodes an awsJson1_1 request body into a new In and runs op on it:
// the body of a Dispatcher's case for one operation.
func Call[In, Out any](body []byte, op func(*In) (*Out, error)) (any, error) {
	in := new(In)
	if err := DecodeJSON(body, in); err != nil {
		return nil, err
	}
	out, err := op(in)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DecodeJSON decodes an awsJson1_1 request body into v (usually an
// aws-sdk-go-v2 input struct: member names match its fields without regard
// to case). A malformed body is a SerializationException.
func DecodeJSON(body []byte, v any) error {
	if err := json.Unmarshal(body, v); err != nil {
		return ClientError("SerializationException", "cannot parse request: %v", err)
	}
	return nil
}

// WriteJSON writes v, encoded with MarshalWire, as a 200 awsJson1_1 response.
func WriteJSON(w http.ResponseWriter, v any) {
	b, err := MarshalWire(v)
	if err != nil {
		WriteJSONError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
}

// WriteJSONError writes err as an awsJson1_1 error response: the
// X-Amzn-ErrorType header and a body with __type, message and the error's
// Members, which is how aws-sdk-go-v2 recognises the modelled exception
// types and fills in their fields.
func WriteJSONError(w http.ResponseWriter, err error) {
	e := AsError(err)
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", e.Code)
	w.WriteHeader(e.Status)
	body := make(map[string]any, len(e.Members)+2)
	for k, v := range e.Members {
		body[k] = v
	}
	body["__type"], body["message"] = e.Code, e.Message
	b, _ := json.Marshal(body)
	_, _ = w.Write(b)
}

// AsError returns err as an *Error, wrapping anything else as a 500
// InternalFailure.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		if e.Status == 0 {
			e.Status = http.StatusBadRequest
		}
		return e
	}
	return Errorf(http.StatusInternalServerError, "InternalFailure", "%v", err)
}
