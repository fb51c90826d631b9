package ec2query

import (
	"encoding/base64"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// list returns the members of a flattened list parameter (Name.1,
// Name.2, ...) in index order.
func list(form url.Values, name string) []string {
	type member struct {
		i int
		v string
	}
	var ms []member
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, name+".")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(rest); err == nil && len(vs) > 0 {
			ms = append(ms, member{i, vs[0]})
		}
	}
	slices.SortFunc(ms, func(a, b member) int { return a.i - b.i })
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.v
	}
	return out
}

// filter is one Filter.N of a request: the resource matches when its
// attribute Name has a value matching any of Values (with * and ?
// wildcards).
type filter struct {
	Name   string
	Values []string
}

// filters returns the Filter.N.Name / Filter.N.Value.M parameters.
func filters(form url.Values) []filter {
	byIndex := map[int]*filter{}
	for k, vs := range form {
		rest, ok := strings.CutPrefix(k, "Filter.")
		if !ok || len(vs) == 0 {
			continue
		}
		n, field, ok := strings.Cut(rest, ".")
		i, err := strconv.Atoi(n)
		if !ok || err != nil {
			continue
		}
		f := byIndex[i]
		if f == nil {
			f = &filter{}
			byIndex[i] = f
		}
		if field == "Name" {
			f.Name = vs[0]
		}
	}
	var out []filter
	for _, i := range slices.Sorted(maps.Keys(byIndex)) {
		f := byIndex[i]
		f.Values = list(form, "Filter."+strconv.Itoa(i)+".Value")
		out = append(out, *f)
	}
	return out
}

// attributes gives a resource's values for a filter name; ok is false for
// a filter name the resource type does not know.
type attributes func(name string) (values []string, ok bool)

// matchFilters applies fs to the resources, keeping those that match all.
func matchFilters[T any](items []T, fs []filter, attrs func(T) attributes) ([]T, error) {
	out := items[:0:0]
	for _, it := range items {
		a, keep := attrs(it), true
		for _, f := range fs {
			vals, ok := a(f.Name)
			if !ok {
				return nil, clientError("InvalidParameterValue", "The filter '%s' is invalid", f.Name)
			}
			if !anyMatch(vals, f.Values) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, it)
		}
	}
	return out, nil
}

func anyMatch(vals, patterns []string) bool {
	for _, v := range vals {
		for _, p := range patterns {
			if glob(p, v) {
				return true
			}
		}
	}
	return false
}

// glob matches s against a pattern in which * stands for any run of
// characters and ? for any single one, as EC2 filter values do.
func glob(pattern, s string) bool {
	px, sx := 0, 0
	starP, starS := -1, 0
	for sx < len(s) {
		switch {
		case px < len(pattern) && (pattern[px] == '?' || pattern[px] == s[sx]):
			px++
			sx++
		case px < len(pattern) && pattern[px] == '*':
			starP, starS = px, sx
			px++
		case starP >= 0:
			starS++
			px, sx = starP+1, starS
		default:
			return false
		}
	}
	for px < len(pattern) && pattern[px] == '*' {
		px++
	}
	return px == len(pattern)
}

// paginate applies MaxResults and NextToken to items (in their stable
// creation order). Tokens name the last id returned, so they survive
// resources being added.
func paginate[T any](items []T, form url.Values, id func(T) string) (page []T, next string, err error) {
	start := 0
	if tok := form.Get("NextToken"); tok != "" {
		last, derr := base64.RawURLEncoding.DecodeString(tok)
		i := slices.IndexFunc(items, func(it T) bool { return id(it) == string(last) })
		if derr != nil || i < 0 {
			return nil, "", clientError("InvalidParameterValue", "Invalid value '%s' for nextToken", tok)
		}
		start = i + 1
	}
	items = items[start:]
	ms := form.Get("MaxResults")
	if ms == "" {
		return items, "", nil
	}
	n, err := strconv.Atoi(ms)
	if err != nil || n < 5 || n > 1000 {
		return nil, "", clientError("InvalidParameterValue", "Value ( %s ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.", ms)
	}
	if len(items) <= n {
		return items, "", nil
	}
	page = items[:n]
	return page, base64.RawURLEncoding.EncodeToString([]byte(id(page[n-1]))), nil
}
