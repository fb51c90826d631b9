package main

import (
	"fmt"
	"strconv"
	"strings"
)

// jobValue is a flag.Value holding one job field as it goes into the job's
// JSON object.
type jobValue interface {
	String() string
	Set(string) error
	// json returns the field's value for the job object.
	json() any
}

type stringValue struct{ v string }

func (s *stringValue) String() string { return s.v }
func (s *stringValue) Set(v string) error {
	s.v = v
	return nil
}
func (s *stringValue) json() any { return s.v }

type intValue struct{ v int }

func (i *intValue) String() string { return strconv.Itoa(i.v) }
func (i *intValue) Set(v string) error {
	n, err := strconv.Atoi(v)
	if err != nil {
		return fmt.Errorf("want an integer, got %q", v)
	}
	i.v = n
	return nil
}
func (i *intValue) json() any { return i.v }

type floatValue struct{ v float64 }

func (f *floatValue) String() string { return strconv.FormatFloat(f.v, 'g', -1, 64) }
func (f *floatValue) Set(v string) error {
	n, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return fmt.Errorf("want a number, got %q", v)
	}
	f.v = n
	return nil
}
func (f *floatValue) json() any { return f.v }

type boolValue struct{ v bool }

func (b *boolValue) String() string { return strconv.FormatBool(b.v) }
func (b *boolValue) Set(v string) error {
	x, err := strconv.ParseBool(v)
	if err != nil {
		return fmt.Errorf("want true or false, got %q", v)
	}
	b.v = x
	return nil
}
func (b *boolValue) IsBoolFlag() bool { return true }
func (b *boolValue) json() any        { return b.v }

// mapValue is a repeatable K=V flag.
type mapValue struct{ v map[string]string }

func (m *mapValue) String() string {
	if m == nil || len(m.v) == 0 {
		return ""
	}
	parts := make([]string, 0, len(m.v))
	for k, v := range m.v {
		parts = append(parts, k+"="+v)
	}
	return strings.Join(parts, ",")
}
func (m *mapValue) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", v)
	}
	if m.v == nil {
		m.v = map[string]string{}
	}
	m.v[k] = val
	return nil
}
func (m *mapValue) json() any {
	out := make(map[string]any, len(m.v))
	for k, v := range m.v {
		out[k] = v
	}
	return out
}

// listValue is a repeatable flag whose values may also be comma-separated.
type listValue struct{ v []string }

func (l *listValue) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.v, ",")
}
func (l *listValue) Set(v string) error {
	for p := range strings.SplitSeq(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			l.v = append(l.v, p)
		}
	}
	return nil
}
func (l *listValue) json() any { return l.v }
