package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClientToken(t *testing.T) {
	tok := clientToken("default", "job-1", "run-a", 1)
	assert.Len(t, tok, 64, "ECS allows up to 64 characters")
	assert.Regexp(t, `^[!-~]+$`, tok, "ASCII 33-126 only")
	assert.Equal(t, tok, clientToken("default", "job-1", "run-a", 1), "stable for one run")
	assert.Equal(t, "de45b588754f5bfdb1d4d3c9556a2857b35def664b34b2569fabb50e1e05718b", tok,
		"the first token never changes: a RunTask retried across a deployment must keep it")
	for _, other := range [][3]string{
		{"default", "job-1", "run-b"},
		{"default", "job-2", "run-a"},
		{"prod", "job-1", "run-a"},
		{"default", "job-1r", "un-a"}, // the parts are delimited
	} {
		assert.NotEqual(t, tok, clientToken(other[0], other[1], other[2], 1), other)
	}
}

func TestClientTokenOfTheSecondRunTask(t *testing.T) {
	first, second := clientToken("default", "job-1", "run-a", 1), clientToken("default", "job-1", "run-a", 2)
	assert.Len(t, second, 64)
	assert.Regexp(t, `^[!-~]+$`, second)
	assert.Equal(t, second, clientToken("default", "job-1", "run-a", 2), "stable for one run")
	assert.NotEqual(t, first, second)
	// The RunTask activity's tokens for its calls after a failed one: the
	// first token plus "-k", re-hashed since that exceeds 64 characters.
	for k := 2; k <= 10; k++ {
		sum := sha256.Sum256([]byte(first + "-" + strconv.Itoa(k)))
		assert.NotEqual(t, hex.EncodeToString(sum[:]), second, "collides with the activity's token %d", k)
	}
}

func TestStartedBy(t *testing.T) {
	allowed := regexp.MustCompile(`^[a-zA-Z0-9_/-]{1,128}$`)
	for id, want := range map[string]string{
		"nightly-report":         "nightly-report",
		"team/etl_2024":          "team/etl_2024",
		"nightly:report v2.1":    "nightly_report_v2_1",
		"":                       "temporal-ecs",
		"ünïcode":                "_n_code",
		strings.Repeat("a", 128): strings.Repeat("a", 128),
	} {
		got := startedBy(id)
		assert.Equal(t, want, got, id)
		assert.Regexp(t, allowed, got)
	}

	long1, long2 := strings.Repeat("x", 200)+"1", strings.Repeat("x", 200)+"2"
	s1, s2 := startedBy(long1), startedBy(long2)
	assert.Len(t, s1, 128)
	assert.Regexp(t, allowed, s1)
	assert.NotEqual(t, s1, s2, "long IDs that differ late stay distinct")
	assert.True(t, strings.HasPrefix(s1, strings.Repeat("x", 100)))
}
