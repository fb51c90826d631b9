package job

import (
	"encoding/json"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// RegisterInput converts a task definition body (ECS wire casing) into the
// aws-sdk-go-v2 RegisterTaskDefinition input. encoding/json matches the wire
// names to the SDK's field names case-insensitively.
func RegisterInput(def map[string]any) (*ecs.RegisterTaskDefinitionInput, error) {
	var in ecs.RegisterTaskDefinitionInput
	if err := convert(def, &in); err != nil {
		return nil, fmt.Errorf("task definition to RegisterTaskDefinitionInput: %w", err)
	}
	return &in, nil
}

// RunTaskInput converts a RunTask request body (ECS wire casing) into the
// aws-sdk-go-v2 RunTask input.
func RunTaskInput(req map[string]any) (*ecs.RunTaskInput, error) {
	var in ecs.RunTaskInput
	if err := convert(req, &in); err != nil {
		return nil, fmt.Errorf("run request to RunTaskInput: %w", err)
	}
	return &in, nil
}

func convert(body map[string]any, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, out)
}

// WireMap returns an aws-sdk-go-v2 value (a *types.TaskDefinition, an input
// struct) as a body in ECS wire casing: exported fields named with a lower
// first letter, nil pointers and slices as null, times as RFC 3339 text.
func WireMap(v any) map[string]any {
	m, _ := wireValue(reflect.ValueOf(v)).(map[string]any)
	return m
}

var timeType = reflect.TypeFor[time.Time]()

func wireValue(v reflect.Value) any {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return wireValue(v.Elem())
	case reflect.Struct:
		if v.Type() == timeType {
			return v.Interface().(time.Time).UTC().Format(time.RFC3339Nano)
		}
		m := map[string]any{}
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if !f.IsExported() || f.Anonymous {
				continue
			}
			m[lowerFirst(f.Name)] = wireValue(v.Field(i))
		}
		return m
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return nil
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = wireValue(v.Index(i))
		}
		return out
	case reflect.Map:
		if v.IsNil() {
			return nil
		}
		out := make(map[string]any, v.Len())
		for it := v.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = wireValue(it.Value())
		}
		return out
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(v.Uint())
	case reflect.Float32, reflect.Float64:
		return v.Float()
	}
	return nil
}
