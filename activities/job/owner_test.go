package job_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func tagMap(t *testing.T, tags []map[string]any) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, tg := range tags {
		k, v := tg["key"].(string), tg["value"].(string)
		require.NotContains(t, m, k, "duplicate key")
		require.LessOrEqual(t, len(k), 128)
		require.LessOrEqual(t, len(v), 256, k)
		m[k] = v
	}
	return m
}

// The owner's tags carry the full identity, whatever characters and
// length the workflow ID has, within ECS's tag rules.
func TestOwnerTagsRoundTrip(t *testing.T) {
	for _, id := range []string{
		"etl.daily", "etl_daily", "etl daily #1 ✓", "b64:not-encoded-by-the-user", strings.Repeat("é", 500), strings.Repeat("x/", 500),
	} {
		o := job.Owner{Namespace: "prod", WorkflowID: id, RunID: "r2", OriginalRunID: "r1"}
		got, ok := job.OwnerFromTags(tagMap(t, o.Tags()))
		require.True(t, ok, id)
		assert.Equal(t, o, got)
	}
}

func TestOwnerFromTagsNeedsEveryPart(t *testing.T) {
	o := job.Owner{Namespace: "prod", WorkflowID: "w", RunID: "r", OriginalRunID: "r"}
	tags := tagMap(t, o.Tags())
	delete(tags, job.TagOriginalRunID)
	_, ok := job.OwnerFromTags(tags)
	assert.False(t, ok)
	_, ok = job.OwnerFromTags(map[string]string{"team": "data"})
	assert.False(t, ok)
}

// startedBy tells apart the IDs that sanitising used to merge, and the
// same ID in two namespaces; a reset (new run, same chain) keeps it.
func TestOwnerStartedByIsADigestOfNamespaceAndWorkflowID(t *testing.T) {
	a := job.Owner{Namespace: "prod", WorkflowID: "etl.daily", RunID: "1", OriginalRunID: "1"}
	b := job.Owner{Namespace: "prod", WorkflowID: "etl_daily", RunID: "1", OriginalRunID: "1"}
	c := job.Owner{Namespace: "staging", WorkflowID: "etl.daily", RunID: "1", OriginalRunID: "1"}
	assert.NotEqual(t, a.StartedBy(), b.StartedBy())
	assert.NotEqual(t, a.StartedBy(), c.StartedBy())
	reset := a
	reset.RunID = "2"
	assert.Equal(t, a.StartedBy(), reset.StartedBy())
	assert.True(t, a.SameChain(reset))
	assert.False(t, a.SameChain(b))
	assert.True(t, strings.HasPrefix(a.StartedBy(), job.StartedByPrefix))
	assert.LessOrEqual(t, len(a.StartedBy()), 128)
}

func TestAddOwnerAppendsAfterTheJobsTags(t *testing.T) {
	o := job.Owner{Namespace: "prod", WorkflowID: "w", RunID: "r", OriginalRunID: "r"}
	req := map[string]any{"tags": []any{map[string]any{"key": "team", "value": "data"}}}
	require.NoError(t, job.AddOwner(req, o))
	assert.Equal(t, o.StartedBy(), req["startedBy"])
	tags := req["tags"].([]any)
	require.Len(t, tags, 5)
	assert.Equal(t, "team", tags[0].(map[string]any)["key"])

	many := make([]any, 47)
	for i := range many {
		many[i] = map[string]any{"key": "k" + strings.Repeat("x", i), "value": "v"}
	}
	err := job.AddOwner(map[string]any{"tags": many}, o)
	var e *job.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, "labels", e.Field)
}
