package job_test

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

const testRegion = "eu-west-1"

// mustPrepare prepares a job with the test region and optional defaults.
func mustPrepare(t *testing.T, raw string, defaults ...string) *job.Prepared {
	t.Helper()
	p, err := job.Prepare([]byte(raw), opts(defaults...))
	require.NoError(t, err)
	return p
}

// prepareError prepares a job expected to be invalid and returns its *Error.
func prepareError(t *testing.T, raw string, defaults ...string) *job.Error {
	t.Helper()
	_, err := job.Prepare([]byte(raw), opts(defaults...))
	require.Error(t, err)
	var e *job.Error
	require.True(t, errors.As(err, &e), "want *job.Error, got %T: %v", err, err)
	return e
}

func opts(defaults ...string) job.PrepareOptions {
	o := job.PrepareOptions{Region: testRegion}
	if len(defaults) > 0 {
		o.Defaults = []byte(defaults[0])
	}
	return o
}

// jsonOf re-encodes v and decodes it into a generic value, so expectations
// can be written as JSON and compared regardless of Go number types.
func jsonOf(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	var out any
	require.NoError(t, json.Unmarshal(b, &out))
	return out
}

// requireJSON asserts that got encodes to the same JSON value as want.
func requireJSON(t *testing.T, want string, got any) {
	t.Helper()
	var w any
	require.NoError(t, json.Unmarshal([]byte(want), &w), "bad expectation")
	require.Equal(t, w, jsonOf(t, got))
}

// at walks a decoded JSON value along keys (string) and indexes (int).
func at(t *testing.T, v any, path ...any) any {
	t.Helper()
	cur := jsonOf(t, v)
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := cur.(map[string]any)
			require.True(t, ok, "not an object at %v", p)
			cur = m[k]
		case int:
			l, ok := cur.([]any)
			require.True(t, ok, "not an array at %v", p)
			require.Less(t, k, len(l))
			cur = l[k]
		}
	}
	return cur
}

// has reports whether the object at path has key.
func has(t *testing.T, v any, key string, path ...any) bool {
	t.Helper()
	m, ok := at(t, v, path...).(map[string]any)
	if !ok {
		return false
	}
	_, found := m[key]
	return found
}

const role = "arn:aws:iam::123456789012:role/exec"
