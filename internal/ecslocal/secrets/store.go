// Package secrets is the AWS Secrets Manager and SSM Parameter Store part
// of ecslocal: an in-memory store of secrets (with their versions and
// staging labels) and parameters (with their versions) that answers the
// awsJson1_1 operations the AWS CLI and SDKs use to populate and read
// them, and that resolves the valueFrom of an ECS container's secrets at
// task start, as the ECS agent does.
//
// No secret or parameter value ever appears in an error message; the
// store logs nothing.
package secrets

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// X-Amz-Target prefixes of the two services.
const (
	SecretsManagerTargetPrefix = "secretsmanager"
	SSMTargetPrefix            = "AmazonSSM"
)

// Options configure a Store.
type Options struct {
	// Region and AccountID appear in the ARNs of secrets and parameters;
	// ARNs naming another region or account name nothing here.
	Region, AccountID string
}

// Store holds the secrets and parameters of one endpoint in memory. It is
// safe for concurrent use.
type Store struct {
	opts Options

	mu sync.Mutex
	// now is the clock of every date; read with mu held (see SetClock).
	now     func() time.Time
	secrets map[string]*secret    // by name, deleted ones included
	params  map[string]*parameter // by name
}

// New returns an empty Store.
func New(opts Options) *Store {
	return &Store{
		opts:    opts,
		now:     time.Now,
		secrets: map[string]*secret{},
		params:  map[string]*parameter{},
	}
}

// SetClock replaces the store's clock, for tests.
func (s *Store) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// decode decodes an awsJson1_1 request body into v. Unlike
// awsproto.DecodeJSON its errors quote nothing of the body, which may hold
// a secret value: they give the offset or the member and type only.
func decode(body []byte, v any) error {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntaxErr):
		return awsproto.ClientError("SerializationException", "cannot parse request: malformed JSON at byte %d", syntaxErr.Offset)
	case errors.As(err, &typeErr):
		return awsproto.ClientError("SerializationException", "cannot parse request: member %s must be of type %s, got a JSON %s", typeErr.Field, typeErr.Type, typeErr.Value)
	}
	return awsproto.ClientError("SerializationException", "cannot parse request: the body is not a JSON object of the operation's input")
}

// call decodes body into a new In with decode and runs op on it.
func call[In, Out any](body []byte, op func(*In) (*Out, error)) (any, error) {
	in := new(In)
	if err := decode(body, in); err != nil {
		return nil, err
	}
	out, err := op(in)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Pagination tokens are opaque to clients: "<kind>/<base64url of the last
// name returned>", so that a page continues after that name however the
// store changed meanwhile.

func encodeToken(kind, after string) *string {
	tok := kind + "/" + base64.RawURLEncoding.EncodeToString([]byte(after))
	return &tok
}

// decodeToken returns the name a token of the given kind continues after.
func decodeToken(kind, tok string) (string, bool) {
	k, enc, ok := strings.Cut(tok, "/")
	if !ok || k != kind {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", false
	}
	return string(b), true
}

// uuid returns a random version 4 UUID, the shape of version ids.
func uuid() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// randomString returns n characters drawn from alphabet.
func randomString(alphabet string, n int) string {
	b := randomBytes(n)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on Linux
	return b
}

// arnParts splits an ARN of this store's partition into service, region,
// account and resource; ok is false for anything else.
func arnParts(arn string) (service, region, account, resource string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] != "aws" {
		return "", "", "", "", false
	}
	return parts[2], parts[3], parts[4], parts[5], true
}

// local reports whether an ARN's region and account are the store's.
func (s *Store) local(region, account string) bool {
	return region == s.opts.Region && account == s.opts.AccountID
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func ptr[T any](v T) *T { return &v }

// errorf is a 400 error of the given code.
func errorf(code, format string, args ...any) error {
	return awsproto.ClientError(code, format, args...)
}

// unknownOperation answers an operation the store does not implement.
func unknownOperation(service, op string) error {
	return errorf("UnknownOperationException", "ecslocal does not implement %s operation %q", service, op)
}

// sizeError says a value is too long without quoting it.
func sizeError(code, member string, got, limit int) error {
	return errorf(code, "%s is %d bytes long; at most %d are allowed.", member, got, limit)
}
