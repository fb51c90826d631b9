package job

import (
	"fmt"
	"sort"
	"strings"
)

// Error is an invalid job configuration. Field is the JSON path of the
// offending field (for example "taskDefinition.containerDefinitions[0].essential"),
// Message says what is wrong and what to do.
type Error struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error returns "invalid job configuration: <field>: <message>".
func (e *Error) Error() string {
	if e.Field == "" {
		return "invalid job configuration: " + e.Message
	}
	return "invalid job configuration: " + e.Field + ": " + e.Message
}

func errorf(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

// joinPath appends a key to a JSON path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// indexPath appends an array index to a JSON path.
func indexPath(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// unknownField builds the error for a key that is not a known field,
// suggesting the closest known name when there is one.
func unknownField(path, key string, known []string) *Error {
	msg := "unknown field"
	if s := suggest(key, known); s != "" {
		msg += fmt.Sprintf(", did you mean %q?", s)
	}
	return &Error{Field: joinPath(path, key), Message: msg}
}

// suggest returns the known name closest to key: a case-insensitive match,
// else the nearest by edit distance when it is at most 2 (and less than the
// key's length, so short keys do not match everything).
func suggest(key string, known []string) string {
	for _, k := range known {
		if strings.EqualFold(k, key) {
			return k
		}
	}
	sorted := append([]string(nil), known...)
	sort.Strings(sorted)
	best, bestD := "", 3
	lk := strings.ToLower(key)
	for _, k := range sorted {
		d := levenshtein(lk, strings.ToLower(k))
		if d < bestD && d < len(key) {
			best, bestD = k, d
		}
	}
	return best
}

// levenshtein is the edit distance between a and b, counted in runes.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
