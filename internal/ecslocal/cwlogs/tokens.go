package cwlogs

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
)

// Pagination tokens are opaque to clients. Each encodes a position that
// does not move when events or streams are added:
//
//	f/<pos>, b/<pos>       GetLogEvents: read forward from, or backward
//	                       before, event index pos of the stream
//	n/<name>               DescribeLogStreams/DescribeLogGroups by name:
//	                       continue after this name
//	t/<ts>/<name>          DescribeLogStreams by LastEventTime
//	a/<ts>/<idx>/<stream>  FilterLogEvents ascending (d/ descending): continue
//	                       after the event with this sort key
//
// Names are base64url-encoded so that they cannot clash with the separators.

func errBadToken() error { return invalidParam("The specified nextToken is invalid.") }

// positionToken returns a GetLogEvents token.
func positionToken(forward bool, pos int) string {
	dir := "b/"
	if forward {
		dir = "f/"
	}
	return dir + fmt.Sprintf("%020d", pos)
}

// parsePositionToken parses a GetLogEvents token.
func parsePositionToken(tok string) (forward bool, pos int, err error) {
	dir, num, ok := strings.Cut(tok, "/")
	if !ok || (dir != "f" && dir != "b") {
		return false, 0, errBadToken()
	}
	p, err := strconv.ParseUint(num, 10, 31)
	if err != nil {
		return false, 0, errBadToken()
	}
	return dir == "f", int(p), nil
}

// encodeToken joins a token's kind and fields; the last field is a name.
func encodeToken(kind string, nums []int64, name string) string {
	var b strings.Builder
	b.WriteString(kind)
	for _, n := range nums {
		b.WriteByte('/')
		b.WriteString(strconv.FormatInt(n, 10))
	}
	b.WriteByte('/')
	b.WriteString(base64.RawURLEncoding.EncodeToString([]byte(name)))
	return b.String()
}

// decodeToken splits a token of the given kind into n numbers and a name.
func decodeToken(tok, kind string, n int) ([]int64, string, error) {
	parts := strings.Split(tok, "/")
	if len(parts) != n+2 || parts[0] != kind {
		return nil, "", errBadToken()
	}
	nums := make([]int64, n)
	for i := range n {
		v, err := strconv.ParseInt(parts[i+1], 10, 64)
		if err != nil {
			return nil, "", errBadToken()
		}
		nums[i] = v
	}
	name, err := base64.RawURLEncoding.DecodeString(parts[n+1])
	if err != nil {
		return nil, "", errBadToken()
	}
	return nums, string(name), nil
}
