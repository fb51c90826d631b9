package ec2query

import (
	"bytes"
	"crypto/rand"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// Namespace is the XML namespace of EC2 responses for API version 2016-11-15.
const Namespace = "http://ec2.amazonaws.com/doc/2016-11-15/"

// maxBody bounds the size of a request body ServeHTTP reads.
const maxBody = 1 << 20

// Error is an EC2 error: its code (such as InvalidVpcID.NotFound), its
// message and the HTTP status it travels with.
type Error struct {
	Code, Message string
	Status        int
}

// Error implements error.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

func clientError(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Status: http.StatusBadRequest}
}

// result is a response body; handlers return one with the request id unset.
type result interface{ setRequestID(id string) }

// responseMeta is embedded in every response.
type responseMeta struct {
	RequestID string `xml:"requestId"`
}

func (m *responseMeta) setRequestID(id string) { m.RequestID = id }

// handlers maps the supported Actions to their implementations.
var handlers = map[string]func(*Store, url.Values) (result, error){
	"DescribeVpcs":           (*Store).describeVpcs,
	"DescribeSubnets":        (*Store).describeSubnets,
	"DescribeSecurityGroups": (*Store).describeSecurityGroups,
}

// ServeHTTP answers one EC2 query-protocol request: a form (POST body or
// URL query) with Action, Version and the action's parameters.
func (s *Store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	requestID := newRequestID()
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		writeError(w, requestID, clientError("MalformedQueryString", "cannot parse request: %v", err))
		return
	}
	action := r.Form.Get("Action")
	handle, ok := handlers[action]
	if !ok {
		if action == "" {
			writeError(w, requestID, clientError("MissingAction", "The request must contain the parameter Action."))
		} else {
			writeError(w, requestID, clientError("InvalidAction", "The action %s is not valid for this web service.", action))
		}
		return
	}
	if r.Form.Get("DryRun") == "true" {
		writeError(w, requestID, &Error{Code: "DryRunOperation", Status: http.StatusPreconditionFailed,
			Message: "Request would have succeeded, but DryRun flag is set."})
		return
	}
	res, err := handle(s, r.Form)
	if err != nil {
		writeError(w, requestID, err)
		return
	}
	res.setRequestID(requestID)
	writeXML(w, http.StatusOK, xml.StartElement{
		Name: xml.Name{Local: action + "Response"},
		Attr: []xml.Attr{{Name: xml.Name{Local: "xmlns"}, Value: Namespace}},
	}, res)
}

// Operation returns the Action of an EC2 query request, from the URL query
// or the form body. It leaves r.Body readable for ServeHTTP.
func (s *Store) Operation(r *http.Request) string {
	if a := r.URL.Query().Get("Action"); a != "" {
		return a
	}
	if r.Body == nil || r.Body == http.NoBody {
		return ""
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get("Action")
}

// errorResponse is EC2's error document.
type errorResponse struct {
	XMLName   xml.Name      `xml:"Response"`
	Errors    []errorDetail `xml:"Errors>Error"`
	RequestID string        `xml:"RequestID"`
}

type errorDetail struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// writeError writes err in EC2's XML error format; errors that are not
// an *Error become a 500 InternalError.
func writeError(w http.ResponseWriter, requestID string, err error) {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Code: "InternalError", Message: err.Error(), Status: http.StatusInternalServerError}
	}
	resp := errorResponse{Errors: []errorDetail{{Code: e.Code, Message: e.Message}}, RequestID: requestID}
	writeXML(w, e.Status, xml.StartElement{Name: xml.Name{Local: "Response"}}, resp)
}

func writeXML(w http.ResponseWriter, status int, start xml.StartElement, v any) {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := xml.NewEncoder(&buf).EncodeElement(v, start); err != nil {
		http.Error(w, "encoding response: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// newRequestID returns a random UUID, as EC2's request ids are.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := fmt.Sprintf("%x", b)
	return strings.Join([]string{h[0:8], h[8:12], h[12:16], h[16:20], h[20:32]}, "-")
}
