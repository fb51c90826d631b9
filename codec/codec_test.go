package codec_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/codec"
)

// secret is a value the tests encrypt and then look for.
const secret = "sk_live_abcdef123456"

// newKey returns a random key and its base64.
func newKey(t *testing.T) string {
	t.Helper()
	b := make([]byte, codec.KeySize)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return base64.StdEncoding.EncodeToString(b)
}

// keyFile writes lines to a key file and loads it.
func keyFile(t *testing.T, lines ...string) (*codec.Keys, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys")
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600))
	k, err := codec.LoadKeys(path)
	require.NoError(t, err)
	return k, path
}

type job struct {
	Env map[string]string `json:"environment"`
}

func TestRoundTrip(t *testing.T) {
	keys, _ := keyFile(t, "k1:"+newKey(t))
	dc := codec.NewDataConverter(keys)

	p, err := dc.ToPayload(job{Env: map[string]string{"API_KEY": secret}})
	require.NoError(t, err)
	assert.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
	assert.Equal(t, "k1", string(p.Metadata[codec.MetadataKeyID]))
	assert.Len(t, p.Metadata, 2, "no other metadata: the original encoding is encrypted too")
	assert.NotContains(t, string(p.Data), secret)
	assert.NotContains(t, string(p.Data), "json/plain")

	var got job
	require.NoError(t, dc.FromPayload(p, &got))
	assert.Equal(t, secret, got.Env["API_KEY"])
	assert.Contains(t, dc.ToString(p), secret)

	// A random nonce per payload: the same value encrypts differently.
	again, err := dc.ToPayload(job{Env: map[string]string{"API_KEY": secret}})
	require.NoError(t, err)
	assert.NotEqual(t, p.Data, again.Data)

	// Several payloads, nil among them.
	ps, err := dc.ToPayloads("a", 2, nil)
	require.NoError(t, err)
	var a string
	var n int
	var none *job
	require.NoError(t, dc.FromPayloads(ps, &a, &n, &none))
	assert.Equal(t, "a", a)
	assert.Equal(t, 2, n)
	assert.Nil(t, none)
}

func TestPlaintextPayloadsStillDecode(t *testing.T) {
	keys, _ := keyFile(t, "k1:"+newKey(t))
	plain, err := converter.GetDefaultDataConverter().ToPayload(job{Env: map[string]string{"A": "b"}})
	require.NoError(t, err)
	var got job
	require.NoError(t, codec.NewDataConverter(keys).FromPayload(plain, &got), "histories from before encryption read")
	assert.Equal(t, "b", got.Env["A"])
}

// The acceptance's key rotation, at the codec level (e2e/encryption_test.go
// does it on real histories): payloads written with key A decode after key
// B is appended to the file, new ones use B, and a file without A fails
// them, naming A.
func TestKeyRotation(t *testing.T) {
	a, b := newKey(t), newKey(t)
	before, _ := keyFile(t, "key-a:"+a)
	old, err := codec.NewDataConverter(before).ToPayload(secret)
	require.NoError(t, err)
	require.Equal(t, "key-a", string(old.Metadata[codec.MetadataKeyID]))

	rotated, _ := keyFile(t, "# rotated", "key-a:"+a, "", "key-b:"+b)
	dc := codec.NewDataConverter(rotated)
	var got string
	require.NoError(t, dc.FromPayload(old, &got))
	assert.Equal(t, secret, got)

	fresh, err := dc.ToPayload(secret)
	require.NoError(t, err)
	assert.Equal(t, "key-b", string(fresh.Metadata[codec.MetadataKeyID]), "new payloads use the newest key")
	assert.Equal(t, "key-b", rotated.Newest())

	// Retired too early: key A is gone.
	retired, _ := keyFile(t, "key-b:"+b)
	err = codec.NewDataConverter(retired).FromPayload(old, &got)
	var de *codec.DecryptError
	require.ErrorAs(t, err, &de)
	assert.Equal(t, "key-a", de.KeyID)
	assert.ErrorIs(t, err, codec.ErrUnknownKey)
	assert.Contains(t, err.Error(), `decrypt payload with key ID "key-a": the key ID is not in the key file (it holds "key-b")`)
	require.NoError(t, codec.NewDataConverter(retired).FromPayload(fresh, &got))
}

func TestWrongKeyFailsAuthenticationAndRequestsATaskFailure(t *testing.T) {
	right, _ := keyFile(t, "k1:"+newKey(t))
	wrongKey := newKey(t)
	wrong, _ := keyFile(t, "k1:"+wrongKey)
	p, err := codec.NewDataConverter(right).ToPayload(secret)
	require.NoError(t, err)

	var got string
	err = codec.NewDataConverter(wrong).FromPayload(p, &got)
	require.Error(t, err)
	assert.ErrorIs(t, err, codec.ErrAuthentication)
	assert.ErrorAs(t, err, new(*converter.WorkflowTaskFailureError),
		"during a workflow task the SDK fails the task, not the workflow")
	assert.Contains(t, err.Error(), `decrypt payload with key ID "k1": authentication failed`)
	assert.NotContains(t, err.Error(), wrongKey)
	assert.Empty(t, got)

	// Altered ciphertext fails the same way.
	altered := &commonpb.Payload{Metadata: p.Metadata, Data: bytes.Clone(p.Data)}
	altered.Data[len(altered.Data)-1] ^= 1
	assert.ErrorIs(t, codec.NewDataConverter(right).FromPayload(altered, &got), codec.ErrAuthentication)
	short := &commonpb.Payload{Metadata: p.Metadata, Data: p.Data[:10]}
	assert.ErrorIs(t, codec.NewDataConverter(right).FromPayload(short, &got), codec.ErrMalformed)
}

func TestWithoutKeysNothingChangesButEncryptedPayloadsFailClearly(t *testing.T) {
	dc := codec.NewDataConverter(nil)
	p, err := dc.ToPayload(job{Env: map[string]string{"A": secret}})
	require.NoError(t, err)
	want, err := converter.GetDefaultDataConverter().ToPayload(job{Env: map[string]string{"A": secret}})
	require.NoError(t, err)
	assert.Equal(t, want.Metadata, p.Metadata)
	assert.Equal(t, want.Data, p.Data)

	keys, _ := keyFile(t, "k1:"+newKey(t))
	enc, err := codec.NewDataConverter(keys).ToPayload(secret)
	require.NoError(t, err)
	var got string
	err = dc.FromPayload(enc, &got)
	assert.ErrorIs(t, err, codec.ErrNoKeys)
	assert.ErrorAs(t, err, new(*converter.WorkflowTaskFailureError))
	assert.Contains(t, err.Error(), `key ID "k1": this process has no encryption key (set TEMPORAL_ECS_ENCRYPTION_KEY_FILE`)
}

func TestMalformedKeyFilesNameTheLineNeverItsContent(t *testing.T) {
	good := newKey(t)
	short := base64.StdEncoding.EncodeToString([]byte("sixteen byte key"))
	for name, tc := range map[string]struct {
		content, want string
	}{
		"no colon":        {"# keys\n\n" + good + "\n", "line 3: want KEY_ID:BASE64_32_BYTES"},
		"not base64":      {"k1:" + good + "\nk2:not*base64!" + good[:10] + "\n", "line 2: the key is not valid base64"},
		"wrong size":      {"k1:" + short + "\n", "line 1: the key is 16 bytes, want 32 (AES-256)"},
		"empty key ID":    {":" + good + "\n", "line 1: the key ID must be 1 to 64 letters, digits, '.', '_' or '-'"},
		"bad key ID":      {"my key:" + good + "\n", "line 1: the key ID must be"},
		"duplicate ID":    {"k1:" + good + "\n\nk1:" + newKey(t) + "\n", "line 3: its key ID is already the ID of line 1"},
		"no key":          {"# nothing yet\n\n", "no key in the file"},
		"empty":           {"", "no key in the file"},
		"key ID too long": {strings.Repeat("k", 65) + ":" + good, "line 1: the key ID must be 1 to 64"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys")
			require.NoError(t, os.WriteFile(path, []byte(tc.content), 0o600))
			_, err := codec.LoadKeys(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "encryption key file "+path+": "+tc.want)
			assert.NotContains(t, err.Error(), good)
			assert.NotContains(t, err.Error(), good[:10])
			assert.NotContains(t, err.Error(), short)
			assert.NotContains(t, err.Error(), "my key")
		})
	}

	_, err := codec.LoadKeys(filepath.Join(t.TempDir(), "missing"))
	assert.ErrorContains(t, err, "encryption key file: open ")
}

func TestKeyFileSyntax(t *testing.T) {
	a, b := newKey(t), newKey(t)
	keys, _ := keyFile(t, "# comment", "  old.2024-01 : "+a+"  ", "\r", "new_2025-06:"+b+"\r")
	assert.Equal(t, []string{"old.2024-01", "new_2025-06"}, keys.IDs())
	assert.Equal(t, "new_2025-06", keys.Newest())
}

func TestKeysNeverPrintTheirKeys(t *testing.T) {
	a := newKey(t)
	keys, _ := keyFile(t, "k1:"+a, "k2:"+newKey(t))
	raw, err := base64.StdEncoding.DecodeString(a)
	require.NoError(t, err)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("loaded", "keys", keys)
	c := codec.NewCodec(keys)
	for _, s := range []string{
		fmt.Sprint(keys), fmt.Sprintf("%v %+v %#v %s %x %q", keys, keys, keys, keys, keys, keys),
		fmt.Sprintf("%v %+v %#v", c, c, *c), fmt.Sprintf("%#v", codec.NewDataConverter(keys)), logged.String(),
	} {
		assert.NotContains(t, s, a)
		assert.NotContains(t, s, string(raw))
		assert.NotContains(t, s, fmt.Sprintf("%x", raw))
	}
	assert.Equal(t, "keys k1, k2 (newest k2)", keys.String())
	assert.Contains(t, logged.String(), `"keys":"keys k1, k2 (newest k2)"`)
}

func TestNewKeys(t *testing.T) {
	k, err := codec.NewKeys([]string{"a", "b"}, [][]byte{make([]byte, 32), bytes.Repeat([]byte{1}, 32)})
	require.NoError(t, err)
	assert.Equal(t, "b", k.Newest())
	_, err = codec.NewKeys([]string{"a"}, [][]byte{make([]byte, 31)})
	assert.ErrorContains(t, err, "encryption key 1: the key is 31 bytes")
	_, err = codec.NewKeys(nil, nil)
	assert.ErrorContains(t, err, "none given")
	_, err = codec.NewKeys([]string{"a", "a"}, [][]byte{make([]byte, 32), make([]byte, 32)})
	assert.ErrorContains(t, err, "encryption key 2: its key ID is already used")
}

func TestFailuresAreEncryptedButDecryptionFailuresStayReadable(t *testing.T) {
	keys, _ := keyFile(t, "k1:"+newKey(t))
	opts := codec.ClientOptions(client.Options{}, keys)
	fc := opts.FailureConverter
	require.NotNil(t, fc)

	f := fc.ErrorToFailure(temporal.NewApplicationError("job env API_KEY="+secret, "SomeType", "detail "+secret))
	assert.Equal(t, "Encoded failure", f.Message)
	assert.Equal(t, "SomeType", f.GetApplicationFailureInfo().GetType(), "the type stays plaintext")
	assert.NotContains(t, f.String(), secret)
	assert.Equal(t, codec.EncodingEncrypted, string(f.GetEncodedAttributes().GetMetadata()[converter.MetadataEncoding]))
	back := fc.FailureToError(f)
	assert.Contains(t, back.Error(), "job env API_KEY="+secret)
	var app *temporal.ApplicationError
	require.ErrorAs(t, back, &app)
	var detail string
	require.NoError(t, app.Details(&detail))
	assert.Equal(t, "detail "+secret, detail)

	// A decryption failure (a worker with the wrong key) stays plaintext.
	other, _ := keyFile(t, "k9:"+newKey(t))
	p, err := codec.NewDataConverter(other).ToPayload("x")
	require.NoError(t, err)
	var s string
	decodeErr := opts.DataConverter.FromPayload(p, &s)
	require.Error(t, decodeErr)
	f = fc.ErrorToFailure(fmt.Errorf("unable to decode the workflow function input payload with error: %w", decodeErr))
	assert.Contains(t, f.Message, `decrypt payload with key ID "k9": the key ID is not in the key file (it holds "k1")`)
	assert.Nil(t, f.GetEncodedAttributes())
}

func TestClientOptionsKeepsTheDataConverterBelow(t *testing.T) {
	keys, _ := keyFile(t, "k1:"+newKey(t))
	inner := converter.NewCodecDataConverter(converter.GetDefaultDataConverter(), converter.NewZlibCodec(converter.ZlibCodecOptions{AlwaysEncode: true}))
	opts := codec.ClientOptions(client.Options{DataConverter: inner}, keys)
	p, err := opts.DataConverter.ToPayload(secret)
	require.NoError(t, err)
	assert.Equal(t, codec.EncodingEncrypted, string(p.Metadata[converter.MetadataEncoding]))
	decrypted, err := codec.NewCodec(keys).Decode([]*commonpb.Payload{p})
	require.NoError(t, err)
	assert.Equal(t, "binary/zlib", string(decrypted[0].Metadata[converter.MetadataEncoding]), "the codec encrypts what the user's converter made")
	var got string
	require.NoError(t, opts.DataConverter.FromPayload(p, &got))
	assert.Equal(t, secret, got)

	none := codec.ClientOptions(client.Options{}, nil)
	assert.NotNil(t, none.DataConverter)
	assert.Nil(t, none.FailureConverter, "without keys the failures are the SDK's default")
}

func TestDecryptErrorMessage(t *testing.T) {
	err := &codec.DecryptError{KeyID: "a", Known: []string{"b", "c"}, Err: codec.ErrUnknownKey}
	assert.Equal(t, `decrypt payload with key ID "a": the key ID is not in the key file (it holds "b", "c")`, err.Error())
	assert.True(t, errors.Is(err, codec.ErrUnknownKey))
}

// Bound to a workflow, the converter panics with a decryption error (the
// SDK fails the workflow task on it); elsewhere it returns it.
func TestInWorkflowsADecryptionErrorPanics(t *testing.T) {
	keys, _ := keyFile(t, "k1:"+newKey(t))
	other, _ := keyFile(t, "k9:"+newKey(t))
	p, err := codec.NewDataConverter(other).ToPayload("x")
	require.NoError(t, err)
	dc := codec.NewDataConverter(keys)
	var s string
	aware, ok := dc.(converter.ContextAware)
	require.True(t, ok)
	assert.ErrorIs(t, aware.WithContext(context.Background()).FromPayload(p, &s), codec.ErrUnknownKey)

	inWorkflow := aware.WithWorkflowContext(nil)
	for name, decode := range map[string]func() error{
		"FromPayload":  func() error { return inWorkflow.FromPayload(p, &s) },
		"FromPayloads": func() error { return inWorkflow.FromPayloads(&commonpb.Payloads{Payloads: []*commonpb.Payload{p}}, &s) },
	} {
		func() {
			defer func() {
				r := recover()
				err, ok := r.(error)
				require.True(t, ok, "%s: panics with the error, got %v", name, r)
				assert.ErrorIs(t, err, codec.ErrUnknownKey, name)
				assert.ErrorAs(t, err, new(*converter.WorkflowTaskFailureError), name)
			}()
			_ = decode()
		}()
	}
	// Other errors, and what decrypts, are as usual.
	good, err := inWorkflow.ToPayload("y")
	require.NoError(t, err)
	require.NoError(t, inWorkflow.FromPayload(good, &s))
	assert.Equal(t, "y", s)
	var n int
	assert.Error(t, inWorkflow.FromPayload(good, &n), "a type mismatch is returned")

	sc, ok := dc.(converter.DataConverterWithSerializationContext)
	require.True(t, ok)
	bound := sc.WithSerializationContext(converter.WorkflowSerializationContext{Namespace: "default", WorkflowID: "w"})
	require.NoError(t, bound.FromPayload(good, &s))
	provider, ok := dc.(converter.PayloadCodecProvider)
	require.True(t, ok)
	assert.NotNil(t, provider.Codec())
}
