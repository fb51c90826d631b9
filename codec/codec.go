// Package codec encrypts the Temporal payloads of temporal-ecs with
// AES-256-GCM, so that workflow histories hold only ciphertext: the job
// (its environment values included), activity inputs and results,
// heartbeats, query results, summaries and, with NewFailureConverter,
// failure messages and stack traces.
//
// The keys come from a key file (LoadKeys), named by the
// TEMPORAL_ECS_ENCRYPTION_KEY_FILE variable for the worker and the starter:
// one KEY_ID:BASE64_32_BYTES per line, the newest last. Each payload is
// encrypted with the newest key, and its metadata names the key
// (encryption-key-id), so that adding a key rotates: new payloads use it,
// older ones still decrypt with theirs.
//
// A Go client that starts or reads RunECSTask executions (workflows.Start,
// workflows.Result, or the SDK directly) encrypts when it is dialled with
// ClientOptions:
//
//	keys, err := codec.LoadKeys(os.Getenv(codec.EnvKeyFile))
//	...
//	c, err := client.Dial(codec.ClientOptions(client.Options{HostPort: "localhost:7233"}, keys))
//	...
//	run, err := workflows.Start(ctx, c, client.StartWorkflowOptions{}, cfg)
//
// Format of an encrypted payload: metadata encoding "binary/encrypted" and
// encryption-key-id; data the 12-byte random nonce followed by the
// AES-256-GCM sealing (ciphertext and 16-byte tag, no additional data) of
// the original payload serialized as a temporal.api.common.v1.Payload
// protobuf message.
package codec

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strconv"
	"strings"

	commonpb "go.temporal.io/api/common/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"
)

const (
	// EnvKeyFile is the environment variable naming the key file of the
	// worker and the starter.
	EnvKeyFile = "TEMPORAL_ECS_ENCRYPTION_KEY_FILE"
	// EncodingEncrypted is the metadata encoding of an encrypted payload.
	EncodingEncrypted = "binary/encrypted"
	// MetadataKeyID is the metadata entry naming the key of an encrypted
	// payload.
	MetadataKeyID = "encryption-key-id"
)

// The causes of a DecryptError.
var (
	// ErrNoKeys: the payload is encrypted and the process has no key.
	ErrNoKeys = errors.New("this process has no encryption key (set " + EnvKeyFile + " or --encryption-key-file)")
	// ErrUnknownKey: the payload's key ID is not one of the keys'.
	ErrUnknownKey = errors.New("the key ID is not in the key file")
	// ErrAuthentication: the key of that ID is not the key that encrypted
	// the payload, or the payload was altered.
	ErrAuthentication = errors.New("authentication failed: the key of that ID is not the one that encrypted the payload, or the payload was altered")
	// ErrMalformed: the payload is too short to be ciphertext, or what it
	// decrypts to is no payload.
	ErrMalformed = errors.New("the payload is no ciphertext of this codec")
)

// DecryptError is why an encrypted payload could not be decrypted. It
// names the payload's key ID, never a key.
type DecryptError struct {
	// KeyID is the payload's encryption-key-id.
	KeyID string
	// Known are the IDs of the process's keys.
	Known []string
	// Err is ErrNoKeys, ErrUnknownKey, ErrAuthentication or ErrMalformed.
	Err error
}

func (e *DecryptError) Error() string {
	msg := "decrypt payload with key ID " + strconv.Quote(e.KeyID) + ": " + e.Err.Error()
	if errors.Is(e.Err, ErrUnknownKey) {
		msg += " (it holds " + quoteAll(e.Known) + ")"
	}
	return msg
}

func (e *DecryptError) Unwrap() error { return e.Err }

func quoteAll(ids []string) string {
	q := make([]string, len(ids))
	for i, id := range ids {
		q[i] = strconv.Quote(id)
	}
	return strings.Join(q, ", ")
}

// Codec is a converter.PayloadCodec encrypting with the newest of its keys
// and decrypting with the key a payload names. Payloads that are not
// encrypted (encoding other than binary/encrypted) decode as they are, so
// that histories written before encryption was turned on still read.
//
// A Codec without keys (NewCodec(nil)) encodes nothing and fails to decode
// an encrypted payload with ErrNoKeys: a process that lacks the key file
// fails clearly instead of misreading.
//
// A decryption error is a converter.WorkflowTaskFailureError: decoding a
// workflow's input or an activity's result during a workflow task fails
// that workflow task, which the server retries, instead of failing the
// workflow. A worker with the wrong key therefore writes no event but
// WorkflowTaskFailed, and resumes the workflow once it has the right key.
type Codec struct {
	keys *Keys
}

var _ converter.PayloadCodec = (*Codec)(nil)

// NewCodec returns the codec of keys; nil keys: see Codec.
func NewCodec(keys *Keys) *Codec {
	if keys != nil && len(keys.keys) == 0 {
		keys = nil
	}
	return &Codec{keys: keys}
}

// Encode encrypts each payload with the newest key; without keys it
// returns payloads as they are.
func (c *Codec) Encode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	if c.keys == nil {
		return payloads, nil
	}
	k := c.keys.newest()
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if p == nil {
			continue
		}
		plain, err := proto.Marshal(p)
		if err != nil {
			return payloads, fmt.Errorf("encrypt payload: serialize it: %w", err)
		}
		sealed := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plain)+k.aead.Overhead())
		if _, err := rand.Read(sealed); err != nil {
			return payloads, fmt.Errorf("encrypt payload: nonce: %w", err)
		}
		sealed = k.aead.Seal(sealed, sealed, plain, nil)
		clear(plain)
		out[i] = &commonpb.Payload{
			Metadata: map[string][]byte{
				converter.MetadataEncoding: []byte(EncodingEncrypted),
				MetadataKeyID:              []byte(k.id),
			},
			Data: sealed,
		}
	}
	return out, nil
}

// Decode decrypts the encrypted payloads with the key each names; the
// others are returned as they are. Its error wraps a *DecryptError in a
// converter.WorkflowTaskFailureError.
func (c *Codec) Decode(payloads []*commonpb.Payload) ([]*commonpb.Payload, error) {
	out := make([]*commonpb.Payload, len(payloads))
	for i, p := range payloads {
		if string(p.GetMetadata()[converter.MetadataEncoding]) != EncodingEncrypted {
			out[i] = p
			continue
		}
		d, err := c.decrypt(p)
		if err != nil {
			return payloads, converter.NewWorkflowTaskFailureError(err)
		}
		out[i] = d
	}
	return out, nil
}

func (c *Codec) decrypt(p *commonpb.Payload) (*commonpb.Payload, error) {
	id := string(p.GetMetadata()[MetadataKeyID])
	fail := func(cause error) error {
		return &DecryptError{KeyID: id, Known: c.keys.IDs(), Err: cause}
	}
	if c.keys == nil {
		return nil, fail(ErrNoKeys)
	}
	k, ok := c.keys.lookup(id)
	if !ok {
		return nil, fail(ErrUnknownKey)
	}
	data := p.GetData()
	if len(data) < k.aead.NonceSize()+k.aead.Overhead() {
		return nil, fail(ErrMalformed)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, data[:n], data[n:], nil)
	if err != nil {
		return nil, fail(ErrAuthentication)
	}
	var d commonpb.Payload
	err = proto.Unmarshal(plain, &d)
	clear(plain)
	if err != nil {
		return nil, fail(ErrMalformed)
	}
	return &d, nil
}

// NewDataConverter returns the SDK's default data converter with the codec
// of keys on top (converter.NewCodecDataConverter); nil keys: see Codec.
// In workflow code a payload that does not decrypt fails the workflow
// task, never the workflow.
func NewDataConverter(keys *Keys) converter.DataConverter {
	return wrapDataConverter(converter.GetDefaultDataConverter(), keys)
}

func wrapDataConverter(parent converter.DataConverter, keys *Keys) converter.DataConverter {
	return dataConverter{DataConverter: converter.NewCodecDataConverter(parent, NewCodec(keys))}
}

// dataConverter is a codec data converter that, bound to a workflow
// context, panics with a decryption error instead of returning it. The SDK
// fails the workflow task on a codec's WorkflowTaskFailureError returned
// for most decodes, but when the workflow's own input does not decrypt
// (a worker with the wrong key replaying a longer history) it goes on
// replaying the history without the workflow and fails the task as
// non-deterministic, hiding the cause. The panic stops the replay there,
// and the SDK, which recognizes the codec's error in it, fails the task
// with the decryption error (under either WorkflowPanicPolicy).
type dataConverter struct {
	converter.DataConverter
	inWorkflow bool
}

var (
	_ converter.ContextAware                          = dataConverter{}
	_ converter.DataConverterWithSerializationContext = dataConverter{}
	_ converter.PayloadCodecProvider                  = dataConverter{}
)

func (d dataConverter) FromPayload(p *commonpb.Payload, valuePtr any) error {
	return d.check(d.DataConverter.FromPayload(p, valuePtr))
}

func (d dataConverter) FromPayloads(ps *commonpb.Payloads, valuePtrs ...any) error {
	return d.check(d.DataConverter.FromPayloads(ps, valuePtrs...))
}

func (d dataConverter) check(err error) error {
	if d.inWorkflow && errors.As(err, new(*DecryptError)) {
		panic(err)
	}
	return err
}

// WithWorkflowContext binds the converter to a workflow: see dataConverter.
func (d dataConverter) WithWorkflowContext(workflow.Context) converter.DataConverter {
	d.inWorkflow = true
	return d
}

// WithContext returns d: outside workflows errors are returned.
func (d dataConverter) WithContext(context.Context) converter.DataConverter { return d }

func (d dataConverter) WithSerializationContext(sc converter.SerializationContext) converter.DataConverter {
	d.DataConverter = converter.WithDataConverterSerializationContext(d.DataConverter, sc)
	return d
}

// Codec exposes the codec stage, as converter.CodecDataConverter does.
func (d dataConverter) Codec() converter.PayloadCodec {
	if p, ok := d.DataConverter.(converter.PayloadCodecProvider); ok {
		return p.Codec()
	}
	return nil
}

// NewFailureConverter returns the SDK's default failure converter over dc
// (a data converter of NewDataConverter) with EncodeCommonAttributes: a
// failure's message and stack trace travel in an encrypted payload, the
// message in history reading "Encoded failure". Its type, its
// non-retryable flag and its structure stay plaintext.
//
// An error caused by a DecryptError (a worker with the wrong key) is the
// exception: its failure stays plaintext, so that the workflow task
// failure it causes reads the same to every holder of a key. Its message
// holds key IDs only.
func NewFailureConverter(dc converter.DataConverter) converter.FailureConverter {
	return failureConverter{
		encrypted: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}),
		plain:     temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc}),
	}
}

type failureConverter struct {
	encrypted, plain converter.FailureConverter
}

func (f failureConverter) ErrorToFailure(err error) *failurepb.Failure {
	if errors.As(err, new(*DecryptError)) {
		return f.plain.ErrorToFailure(err)
	}
	return f.encrypted.ErrorToFailure(err)
}

// FailureToError decodes both: the default converter decrypts the encoded
// attributes when there are some.
func (f failureConverter) FailureToError(failure *failurepb.Failure) error {
	return f.encrypted.FailureToError(failure)
}

// ClientOptions returns opts with the data converter and failure converter
// of keys, for client.Dial: every payload the client and the workers
// created from it send is encrypted. A data converter already in opts is
// kept under the codec. With nil keys only the data converter is set,
// encoding nothing (see Codec).
func ClientOptions(opts client.Options, keys *Keys) client.Options {
	parent := opts.DataConverter
	if parent == nil {
		parent = converter.GetDefaultDataConverter()
	}
	opts.DataConverter = wrapDataConverter(parent, keys)
	if keys != nil && len(keys.keys) > 0 {
		opts.FailureConverter = NewFailureConverter(opts.DataConverter)
	}
	return opts
}
