package codec

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// KeySize is the size of a payload key: 32 bytes, for AES-256.
const KeySize = 32

// maxKeyIDLength bounds a key ID, which every encrypted payload carries.
const maxKeyIDLength = 64

// Keys are the payload keys of a key file, the newest last: payloads are
// encrypted with the newest and decrypted with the one their metadata
// names. The key material never leaves a Keys value: printing one (with
// fmt, %v, %+v, %#v, or log/slog) shows its key IDs only.
type Keys struct {
	keys []key // in file order, the newest last
}

type key struct {
	id   string
	aead cipher.AEAD
}

// NewKeys returns the keys of ids and secrets (each KeySize bytes), the
// newest last. It is for programs that hold their keys elsewhere than in
// a key file (a secret manager); LoadKeys reads a key file.
func NewKeys(ids []string, secrets [][]byte) (*Keys, error) {
	if len(ids) != len(secrets) {
		return nil, fmt.Errorf("encryption keys: %d key IDs for %d keys", len(ids), len(secrets))
	}
	k := &Keys{}
	for i, id := range ids {
		if err := k.add(id, secrets[i]); err != nil {
			return nil, fmt.Errorf("encryption key %d: %w", i+1, err)
		}
	}
	if len(k.keys) == 0 {
		return nil, errors.New("encryption keys: none given")
	}
	return k, nil
}

// LoadKeys reads the key file at path (see ParseKeys). Its errors name the
// file and, for a malformed line, the line number, never the line.
func LoadKeys(path string) (*Keys, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("encryption key file: %w", err)
	}
	defer clear(b)
	k, err := ParseKeys(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("encryption key file %s: %w", path, err)
	}
	return k, nil
}

// ParseKeys reads a key file: one KEY_ID:BASE64_32_BYTES per line, the
// newest last (generate a key with `openssl rand -base64 32`). Blank lines
// and lines starting with # are skipped; spaces around the ID and the key
// are ignored. A key ID is 1 to 64 letters, digits, '.', '_' or '-', and
// appears once. An error names the line number of a malformed line, never
// its content.
func ParseKeys(r io.Reader) (*Keys, error) {
	k := &Keys{}
	lineOf := map[string]int{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, encoded, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want KEY_ID:BASE64_32_BYTES", n)
		}
		id = strings.TrimSpace(id)
		if first, dup := lineOf[id]; dup {
			return nil, fmt.Errorf("line %d: its key ID is already the ID of line %d", n, first)
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(encoded))
		if err != nil {
			// The decoder's error is not wrapped: it would point into the key.
			return nil, fmt.Errorf("line %d: the key is not valid base64", n)
		}
		err = k.add(id, secret)
		clear(secret)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		lineOf[id] = n
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("after line %d: %w", n, err)
	}
	if len(k.keys) == 0 {
		return nil, errors.New("no key in the file: want one KEY_ID:BASE64_32_BYTES per line")
	}
	return k, nil
}

// add appends the key id of secret, which it does not keep: the cipher
// holds its own copy.
func (k *Keys) add(id string, secret []byte) error {
	if !validKeyID(id) {
		return fmt.Errorf("the key ID must be 1 to %d letters, digits, '.', '_' or '-'", maxKeyIDLength)
	}
	for _, e := range k.keys {
		if e.id == id {
			return errors.New("its key ID is already used")
		}
	}
	if len(secret) != KeySize {
		return fmt.Errorf("the key is %d bytes, want %d (AES-256)", len(secret), KeySize)
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return errors.New("the key is no AES key")
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return errors.New("the key is no AES-GCM key")
	}
	k.keys = append(k.keys, key{id: id, aead: aead})
	return nil
}

func validKeyID(id string) bool {
	if id == "" || len(id) > maxKeyIDLength {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// IDs returns the key IDs, the newest last.
func (k *Keys) IDs() []string {
	if k == nil {
		return nil
	}
	ids := make([]string, len(k.keys))
	for i, e := range k.keys {
		ids[i] = e.id
	}
	return ids
}

// Newest returns the ID of the key new payloads are encrypted with; ""
// for nil Keys.
func (k *Keys) Newest() string {
	if k == nil || len(k.keys) == 0 {
		return ""
	}
	return k.keys[len(k.keys)-1].id
}

func (k *Keys) newest() key { return k.keys[len(k.keys)-1] }

func (k *Keys) lookup(id string) (key, bool) {
	if k != nil {
		for _, e := range k.keys {
			if e.id == id {
				return e, true
			}
		}
	}
	return key{}, false
}

// String lists the key IDs, never the keys: "keys k1, k2 (newest k2)".
func (k *Keys) String() string {
	if k == nil || len(k.keys) == 0 {
		return "no keys"
	}
	return fmt.Sprintf("keys %s (newest %s)", strings.Join(k.IDs(), ", "), k.Newest())
}

// GoString is String, for %#v.
func (k *Keys) GoString() string { return k.String() }

// Format prints String for every verb, so that no fmt verb reaches the
// key material.
func (k *Keys) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, k.String()) }

// LogValue is String, for log/slog.
func (k *Keys) LogValue() slog.Value { return slog.StringValue(k.String()) }
