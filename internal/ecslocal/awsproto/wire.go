package awsproto

import (
	"encoding/json"
	"reflect"
	"time"
	"unicode"
	"unicode/utf8"
)

// MarshalWire encodes v as AWS JSON protocols spell it. v may hold
// aws-sdk-go-v2 types, whose Go field names are the wire member names with
// the first letter upper-cased: struct fields are written under their
// member names, nil pointers and empty slices and maps are left out,
// time.Time becomes epoch seconds, and map keys (docker labels, log
// options, ...) are kept exactly as they are. Values that are already
// json.Marshaler or carry json tags (maps built by hand) encode as usual.
// The ResultMetadata field of SDK operation outputs is left out.
func MarshalWire(v any) ([]byte, error) {
	return json.Marshal(wireValue(reflect.ValueOf(v)))
}

var timeType = reflect.TypeFor[time.Time]()

func wireValue(v reflect.Value) any {
	if !v.IsValid() {
		return nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return wireValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			t := v.Interface().(time.Time)
			return float64(t.UnixMilli()) / 1000
		}
		out := make(map[string]any, v.NumField())
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Name == "ResultMetadata" {
				continue // operation outputs carry SDK-side metadata, never sent
			}
			fv := v.Field(i)
			if isEmpty(fv) {
				continue
			}
			name := f.Name
			if tag, ok := f.Tag.Lookup("json"); ok {
				if n, _, _ := cutComma(tag); n == "-" {
					continue
				} else if n != "" {
					name = n
				}
			} else {
				name = lowerFirst(name)
			}
			out[name] = wireValue(fv)
		}
		return out
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Interface() // []byte: base64, as blobs travel
		}
		out := make([]any, v.Len())
		for i := range v.Len() {
			out[i] = wireValue(v.Index(i))
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = wireValue(iter.Value())
		}
		return out
	default:
		return v.Interface()
	}
}

// isEmpty reports whether a struct field is absent on the wire: nil
// pointers, interfaces, slices and maps, and empty slices and maps. Zero
// scalars are kept, since the SDK's non-pointer scalars are always sent.
func isEmpty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	case reflect.Slice, reflect.Map:
		return v.IsNil() || v.Len() == 0
	case reflect.String:
		return v.Len() == 0
	case reflect.Struct:
		return v.Type() == timeType && v.Interface().(time.Time).IsZero()
	}
	return false
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

func cutComma(s string) (before, after string, found bool) {
	for i := range len(s) {
		if s[i] == ',' {
			return s[:i], s[i+1:], true
		}
	}
	return s, "", false
}
