package workflows

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
)

// recordUpserts records the search attributes the workflow upserts, last
// value per name.
func recordUpserts(t *testing.T, f *fakes) (map[string]any, *int) {
	t.Helper()
	var mu sync.Mutex
	got := map[string]any{}
	calls := new(int)
	env := newEnv(t, f)
	env.OnUpsertTypedSearchAttributes(mock.Anything).Run(func(args mock.Arguments) {
		mu.Lock()
		defer mu.Unlock()
		*calls++
		for k, v := range args.Get(0).(temporal.SearchAttributes).GetUntypedValues() {
			got[k.GetName()] = v
		}
	}).Return(nil).Maybe()
	execute(t, env)
	return got, calls
}

func TestSearchAttributesFindTheWorkflowOfATask(t *testing.T) {
	f := newFakes()
	f.prepared.SearchAttributes = true
	f.finished.ExitCode = 3
	got, _ := recordUpserts(t, f)
	assert.Equal(t, map[string]any{
		"EcsTaskArn": testTaskArn, "EcsCluster": "jobs", "EcsImage": "alpine:3.20",
		"EcsPhase": PhaseFailed, "EcsStopCode": "EssentialContainerExited", "EcsExitCode": int64(3),
	}, got)
}

// A namespace without them: nothing is upserted, and the workflow runs.
func TestNoSearchAttributesWhenTheNamespaceHasNone(t *testing.T) {
	f := newFakes()
	got, calls := recordUpserts(t, f)
	assert.Empty(t, got)
	assert.Zero(t, *calls)
}

func TestSearchAttributesAreTheSixDocumented(t *testing.T) {
	var names []string
	for _, k := range SearchAttributes {
		names = append(names, k.GetName()+":"+k.GetValueType().String())
	}
	require.ElementsMatch(t, []string{"EcsTaskArn:Keyword", "EcsCluster:Keyword", "EcsImage:Keyword",
		"EcsPhase:Keyword", "EcsStopCode:Keyword", "EcsExitCode:Int"}, names)
}
