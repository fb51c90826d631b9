package job

import (
	"strings"
	"unicode/utf8"
)

// secretMarkers are the parts of a variable name that make it look secret.
var secretMarkers = []string{
	"KEY", "SECRET", "TOKEN", "PASSWORD", "PASSWD", "PWD", "CREDENTIAL",
	"PASSPHRASE", "PRIVATE", "AUTH", "SIGNATURE", "DSN", "COOKIE",
}

// LooksSecret reports whether an environment variable's name looks like it
// holds a secret (API_KEY, DB_PASSWORD, GITHUB_TOKEN, ...). It errs on the
// side of masking.
func LooksSecret(name string) bool {
	up := strings.ToUpper(name)
	for _, m := range secretMarkers {
		if strings.Contains(up, m) {
			return true
		}
	}
	return false
}

// MaskValue hides a secret value, keeping a short prefix to recognise it:
// up to 3 characters, and at most a quarter of the value ("abcdefghijkl"
// becomes "abc***", "short" becomes "s***").
func MaskValue(v string) string {
	keep := min(3, utf8.RuneCountInString(v)/4)
	r := []rune(v)
	return string(r[:keep]) + "***"
}

// MaskEnv returns a copy of env with the values of secret-looking names masked.
func MaskEnv(env map[string]*string) map[string]*string {
	if env == nil {
		return nil
	}
	out := make(map[string]*string, len(env))
	for k, v := range env {
		if v != nil && LooksSecret(k) {
			m := MaskValue(*v)
			v = &m
		}
		out[k] = v
	}
	return out
}

// MaskRequest returns a deep copy of an ECS request body (a task definition,
// a RunTask request) for logs: in every "environment" list of name/value
// pairs (containerDefinitions[].environment,
// overrides.containerOverrides[].environment), the values of secret-looking
// names are masked.
func MaskRequest(body map[string]any) map[string]any {
	if body == nil {
		return nil
	}
	out := copyMap(body)
	maskWalk(out)
	return out
}

func maskWalk(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if k == "environment" {
				maskEnvList(x)
			}
			maskWalk(x)
		}
	case []any:
		for _, x := range t {
			maskWalk(x)
		}
	}
}

func maskEnvList(v any) {
	list, _ := v.([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok {
			maskEnvEntry(m)
		}
	}
}

// maskEnvEntry masks the value of a {name, value} pair in place.
func maskEnvEntry(m map[string]any) {
	if s, ok := m["value"].(string); ok && LooksSecret(stringAt(m, "name")) {
		m["value"] = MaskValue(s)
	}
}
