package ecslocal

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

const (
	sigV4Algorithm = "AWS4-HMAC-SHA256"
	amzDateFormat  = "20060102T150405Z"
	// maxClockSkew is how far X-Amz-Date may be from the server's clock,
	// as AWS allows.
	maxClockSkew = 15 * time.Minute
)

// sigV4Auth is the parsed Authorization header of a SigV4-signed request.
type sigV4Auth struct {
	accessKeyID   string
	date          string // yyyymmdd of the credential scope
	region        string
	service       string
	signedHeaders []string
	signature     string
}

// authenticate verifies that r carries a valid SigV4 signature made with
// the server's credentials for the server's region and the given service.
// body is the request body, already read. It recomputes the signature with
// aws-sdk-go-v2's signer over the headers the client signed.
func (s *Server) authenticate(r *http.Request, body []byte, service string) error {
	authz := r.Header.Get("Authorization")
	if authz == "" {
		return authError(service, "missing", "Request is missing Authentication Token")
	}
	a, ok := parseAuthorization(authz)
	if !ok {
		return authError(service, "incomplete", "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' in the AWS4-HMAC-SHA256 format")
	}
	if a.accessKeyID != s.creds.AccessKeyID {
		return authError(service, "unknown-key", "The security token included in the request is invalid: access key id %q is not the ecslocal server's", a.accessKeyID)
	}
	if a.region != s.opts.Region {
		return authError(service, "signature", "Credential should be scoped to a valid region, not '%s': this ecslocal server serves '%s'", a.region, s.opts.Region)
	}
	if a.service != service {
		return authError(service, "signature", "Credential should be scoped to correct service: '%s', not '%s'", service, a.service)
	}
	amzDate := r.Header.Get("X-Amz-Date")
	signingTime, err := time.Parse(amzDateFormat, amzDate)
	if err != nil {
		return authError(service, "incomplete", "X-Amz-Date header %q is missing or not in the form %s", amzDate, amzDateFormat)
	}
	if skew := time.Since(signingTime); skew > maxClockSkew || skew < -maxClockSkew {
		return authError(service, "expired", "Signature expired: %s is now earlier or later than %s by more than %s", amzDate, time.Now().UTC().Format(amzDateFormat), maxClockSkew)
	}
	if signingTime.Format("20060102") != a.date {
		return authError(service, "signature", "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s'", a.date, signingTime.Format("20060102"))
	}

	want, err := s.expectedSignature(r, body, a, signingTime)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return authError(service, "signature", "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
	}
	return nil
}

// expectedSignature signs a copy of r made of its method, URL, body and
// the headers the client signed, and returns the resulting signature.
func (s *Server) expectedSignature(r *http.Request, body []byte, a sigV4Auth, signingTime time.Time) (string, error) {
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	req, err := http.NewRequest(r.Method, u.String(), nil)
	if err != nil {
		return "", awsproto.ClientError("IncompleteSignatureException", "cannot rebuild request: %v", err)
	}
	req.Host = r.Host
	for _, h := range a.signedHeaders {
		switch h {
		case "host":
		case "content-length":
			req.ContentLength = int64(len(body))
		default:
			if vs, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
				req.Header[http.CanonicalHeaderKey(h)] = vs
			}
		}
	}
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), s.creds, req, hex.EncodeToString(sum[:]),
		a.service, a.region, signingTime)
	if err != nil {
		return "", err
	}
	got, ok := parseAuthorization(req.Header.Get("Authorization"))
	if !ok {
		return "", awsproto.Errorf(http.StatusInternalServerError, "InternalFailure", "signer produced no Authorization header")
	}
	return got.signature, nil
}

// parseAuthorization parses "AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/
// SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex".
func parseAuthorization(h string) (sigV4Auth, bool) {
	var a sigV4Auth
	rest, ok := strings.CutPrefix(h, sigV4Algorithm+" ")
	if !ok {
		return a, false
	}
	for part := range strings.SplitSeq(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "Credential":
			scope := strings.Split(v, "/")
			if len(scope) != 5 || scope[4] != "aws4_request" {
				return a, false
			}
			a.accessKeyID, a.date, a.region, a.service = scope[0], scope[1], scope[2], scope[3]
		case "SignedHeaders":
			a.signedHeaders = strings.Split(v, ";")
		case "Signature":
			a.signature = v
		}
	}
	return a, a.accessKeyID != "" && len(a.signedHeaders) > 0 && a.signature != ""
}

// authError returns the error AWS answers for an authentication failure
// of the given kind, in the service's vocabulary: awsJson services
// (ECS, Logs) and EC2's query protocol name them differently.
func authError(service, kind, format string, args ...any) error {
	type codes struct {
		status int
		code   string
	}
	var c codes
	if service == serviceEC2 {
		c = map[string]codes{
			"missing":     {http.StatusUnauthorized, "MissingAuthenticationToken"},
			"incomplete":  {http.StatusBadRequest, "IncompleteSignature"},
			"unknown-key": {http.StatusUnauthorized, "AuthFailure"},
			"expired":     {http.StatusBadRequest, "RequestExpired"},
			"signature":   {http.StatusForbidden, "SignatureDoesNotMatch"},
		}[kind]
	} else {
		c = map[string]codes{
			"missing":     {http.StatusForbidden, "MissingAuthenticationTokenException"},
			"incomplete":  {http.StatusBadRequest, "IncompleteSignatureException"},
			"unknown-key": {http.StatusBadRequest, "UnrecognizedClientException"},
			"expired":     {http.StatusForbidden, "InvalidSignatureException"},
			"signature":   {http.StatusForbidden, "InvalidSignatureException"},
		}[kind]
	}
	return awsproto.Errorf(c.status, c.code, format, args...)
}
