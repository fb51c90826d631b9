package cwlogs

import (
	"regexp"
	"strings"
)

// compilePattern compiles the subset of CloudWatch Logs filter-pattern
// syntax that matches unstructured text, case-sensitively:
//
//	ERROR timeout        both terms must occur
//	"disk full"          a quoted term may hold spaces
//	?ERROR ?WARN         at least one of the ?-terms must occur
//	-DEBUG               the term must not occur
//	%time ?out%          a regular expression between percent signs
//
// An empty pattern matches every event. JSON ({...}) and space-delimited
// ([...]) patterns are answered with InvalidParameterException.
func compilePattern(pattern string) (func(string) bool, error) {
	p := strings.TrimSpace(pattern)
	if p == "" {
		return func(string) bool { return true }, nil
	}
	if p[0] == '{' || p[0] == '[' {
		return nil, invalidParam("filterPattern %q: JSON and space-delimited patterns are not supported by ecslocal; use terms, quoted phrases or %%regex%%", pattern)
	}
	var all, anyOf, none []func(string) bool
	for p != "" {
		kind := byte(0)
		if p[0] == '?' || p[0] == '-' {
			kind, p = p[0], p[1:]
		}
		var term string
		var m func(string) bool
		switch {
		case strings.HasPrefix(p, `"`):
			end := strings.IndexByte(p[1:], '"')
			if end < 0 {
				return nil, invalidParam("filterPattern %q: unterminated quoted term", pattern)
			}
			term, p = p[1:1+end], p[2+end:]
		case strings.HasPrefix(p, "%"):
			end := strings.IndexByte(p[1:], '%')
			if end < 0 {
				return nil, invalidParam("filterPattern %q: unterminated %%regex%%", pattern)
			}
			re, err := regexp.Compile(p[1 : 1+end])
			if err != nil {
				return nil, invalidParam("filterPattern %q: %v", pattern, err)
			}
			m, p = re.MatchString, p[2+end:]
		default:
			end := strings.IndexAny(p, " \t")
			if end < 0 {
				end = len(p)
			}
			term, p = p[:end], p[end:]
		}
		if m == nil {
			if term == "" {
				return nil, invalidParam("filterPattern %q: empty term", pattern)
			}
			m = func(s string) bool { return strings.Contains(s, term) }
		}
		switch kind {
		case '?':
			anyOf = append(anyOf, m)
		case '-':
			none = append(none, m)
		default:
			all = append(all, m)
		}
		p = strings.TrimLeft(p, " \t")
	}
	return func(msg string) bool {
		for _, m := range all {
			if !m(msg) {
				return false
			}
		}
		for _, m := range none {
			if m(msg) {
				return false
			}
		}
		if len(anyOf) == 0 {
			return true
		}
		for _, m := range anyOf {
			if m(msg) {
				return true
			}
		}
		return false
	}, nil
}
