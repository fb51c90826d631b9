package ecslocal

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// ECS list operations answer at most 100 items a page.
const maxPageSize = 100

// page is the window a list request asks for.
type page struct {
	offset, limit int
}

const tokenPrefix = "ecslocal-offset:"

// newPage reads maxResults (1..100, 100 when absent) and nextToken.
func newPage(maxResults *int32, nextToken *string) (page, error) {
	p := page{limit: maxPageSize}
	if maxResults != nil {
		if *maxResults < 1 || *maxResults > maxPageSize {
			return p, invalidParameter("maxResults must be between 1 and %d; got %d.", maxPageSize, *maxResults)
		}
		p.limit = int(*maxResults)
	}
	if tok := str(nextToken); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, ok := strings.CutPrefix(string(raw), tokenPrefix)
		off, convErr := strconv.Atoi(n)
		if err != nil || !ok || convErr != nil || off < 0 {
			return p, invalidParameter("The nextToken %q is invalid: pass back the nextToken of the previous page unchanged.", tok)
		}
		p.offset = off
	}
	return p, nil
}

// paginate returns the page's items and the token of the next page, nil
// after the last.
func paginate[T any](p page, items []T) ([]T, *string) {
	if p.offset >= len(items) {
		return []T{}, nil
	}
	end := min(p.offset+p.limit, len(items))
	var next *string
	if end < len(items) {
		next = ptr(base64.RawURLEncoding.EncodeToString([]byte(tokenPrefix + strconv.Itoa(end))))
	}
	return items[p.offset:end], next
}
