package job

import (
	"encoding/json"
	"sort"
	"strconv"
)

// This file holds helpers over decoded JSON values (map[string]any, []any,
// string, json.Number or float64, bool, nil).

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// deepCopy copies the maps and slices of a decoded JSON value.
func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		return copyMap(t)
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			out[i] = deepCopy(x)
		}
		return out
	}
	return v
}

// copyMap deep-copies m; nil stays nil.
func copyMap(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = deepCopy(v)
	}
	return out
}

// objectAt returns m[key] as an object, or nil.
func objectAt(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// arrayAt returns m[key] as an array, or nil.
func arrayAt(m map[string]any, key string) []any {
	a, _ := m[key].([]any)
	return a
}

// stringAt returns m[key] as a string, or "".
func stringAt(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

// isEmpty reports whether a JSON value is null, false, zero, "" or an empty
// array or object: the values ECS treats as unset.
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case bool:
		return !t
	case string:
		return t == ""
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		return err == nil && f == 0
	}
	if n, ok := asFloat(v); ok {
		return n == 0
	}
	return false
}

// decodeJSON decodes b keeping numbers as json.Number.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytesReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errTrailingData
	}
	return nil
}

// roundTrip re-decodes v through JSON into a map, numbers as json.Number.
func roundTrip(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := decodeJSON(b, &m); err != nil {
		return nil, err
	}
	return m, nil
}
