package job

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

var unmarshalerType = reflect.TypeFor[json.Unmarshaler]()

// checkShape checks that v, a decoded JSON value (map[string]any, []any,
// string, json.Number or float64, bool, nil), decodes into a value of type t
// and that every object key names a field exactly. Fields of structs with
// JSON tags (this package's types) are named by their tag; untagged fields
// (the aws-sdk-go-v2 types) by ECS's wire name, their Go name with a lower
// first letter. Other spellings (which encoding/json would accept
// case-insensitively) are refused with a suggestion, so that a body never
// holds one field under two spellings. It returns an *Error naming the path
// of the first problem, in key order.
func checkShape(path string, v any, t reflect.Type) *Error {
	if v == nil {
		// null decodes into anything (zero value or unchanged).
		return nil
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		b, err := json.Marshal(v)
		if err == nil {
			err = json.Unmarshal(b, reflect.New(t).Interface())
		}
		if err != nil {
			return &Error{Field: path, Message: err.Error()}
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		return checkShape(path, v, t.Elem())
	case reflect.Interface:
		return nil
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			return &Error{Field: path, Message: "must be a string"}
		}
		if values := enumValues(t); values != nil && !slices.Contains(values, s) {
			return enumError(path, s, values)
		}
	case reflect.Bool:
		if _, ok := v.(bool); !ok {
			return &Error{Field: path, Message: "must be true or false"}
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, ok := strictInt(v)
		if !ok {
			return &Error{Field: path, Message: "must be an integer"}
		}
		bits := t.Bits()
		if n < -(1<<(bits-1)) || n > (1<<(bits-1))-1 {
			return &Error{Field: path, Message: "is out of range"}
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, ok := strictInt(v)
		if !ok || n < 0 {
			return &Error{Field: path, Message: "must be a non-negative integer"}
		}
	case reflect.Float32, reflect.Float64:
		if _, ok := asFloat(v); !ok {
			return &Error{Field: path, Message: "must be a number"}
		}
	case reflect.Slice, reflect.Array:
		items, ok := v.([]any)
		if !ok {
			return &Error{Field: path, Message: "must be an array"}
		}
		for i, item := range items {
			if err := checkShape(indexPath(path, i), item, t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Map:
		obj, ok := v.(map[string]any)
		if !ok {
			return &Error{Field: path, Message: "must be an object"}
		}
		for _, k := range sortedKeys(obj) {
			if err := checkShape(joinPath(path, k), obj[k], t.Elem()); err != nil {
				return err
			}
		}
	case reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return &Error{Field: path, Message: "must be an object"}
		}
		fields := structFields(t)
		for _, k := range sortedKeys(obj) {
			f, ok := fields.lookup(k)
			if !ok {
				return unknownField(path, k, fields.names)
			}
			if err := checkShape(joinPath(path, k), obj[k], f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

// fieldSet is the JSON view of a struct type's fields.
type fieldSet struct {
	byName map[string]reflect.StructField // by JSON name
	names  []string                       // the names, to suggest
}

func (s fieldSet) lookup(key string) (reflect.StructField, bool) {
	f, ok := s.byName[key]
	return f, ok
}

func structFields(t reflect.Type) fieldSet {
	s := fieldSet{byName: map[string]reflect.StructField{}}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || f.Anonymous {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if name == "" {
			name = lowerFirst(f.Name)
		}
		s.byName[name] = f
		s.names = append(s.names, name)
	}
	return s
}

// lowerFirst turns a Go field name into ECS's wire casing.
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToLower(r)) + s[n:]
}

// strictInt returns v as an integer when it is written as one (1024, not
// 1024.0 or 1e3), as encoding/json requires of integer fields.
func strictInt(v any) (int64, bool) {
	if n, ok := v.(json.Number); ok {
		i, err := strconv.ParseInt(string(n), 10, 64)
		return i, err == nil
	}
	return asInt(v)
}

// asInt returns v as an integer when it is an integral JSON number.
func asInt(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return 0, false
		}
		return int64(f), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > 1<<53 {
			return 0, false
		}
		return int64(n), true
	case int:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	}
	return 0, false
}

// asFloat returns v as a float when it is a JSON number.
func asFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := strconv.ParseFloat(string(n), 64)
		return f, err == nil
	case float64:
		return n, true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	}
	return 0, false
}

// enumTypes caches enumValues by type.
var enumTypes sync.Map // reflect.Type → []string (nil: not an enum)

// enumValues returns the values of an aws-sdk-go-v2 enum type (a string
// type with a method Values() returning a slice of itself, as every enum of
// ecs/types has), or nil when t is not one. The SDK's list is the one ECS
// documents for the SDK version built in.
func enumValues(t reflect.Type) []string {
	if v, ok := enumTypes.Load(t); ok {
		return v.([]string)
	}
	var values []string
	if m, ok := t.MethodByName("Values"); ok && m.Type.NumIn() == 1 && m.Type.NumOut() == 1 && m.Type.Out(0) == reflect.SliceOf(t) {
		list := m.Func.Call([]reflect.Value{reflect.Zero(t)})[0]
		values = make([]string, list.Len())
		for i := range values {
			values[i] = list.Index(i).String()
		}
	}
	enumTypes.Store(t, values)
	return values
}

// enumError refuses a value that is not one of values, suggesting the
// closest one.
func enumError(path, got string, values []string) *Error {
	msg := fmt.Sprintf("must be one of %s; got %q", strings.Join(values, ", "), got)
	if s := suggest(got, values); s != "" {
		msg += fmt.Sprintf(": did you mean %q?", s)
	}
	return &Error{Field: path, Message: msg}
}
