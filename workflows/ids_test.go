package workflows

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestClientToken(t *testing.T) {
	tok := clientToken("default", "job-1", "run-a")
	assert.Len(t, tok, 64, "ECS allows up to 64 characters")
	assert.Regexp(t, `^[!-~]+$`, tok, "ASCII 33-126 only")
	assert.Equal(t, tok, clientToken("default", "job-1", "run-a"), "stable for one run")
	for _, other := range [][3]string{
		{"default", "job-1", "run-b"},
		{"default", "job-2", "run-a"},
		{"prod", "job-1", "run-a"},
		{"default", "job-1r", "un-a"}, // the parts are delimited
	} {
		assert.NotEqual(t, tok, clientToken(other[0], other[1], other[2]), other)
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
