package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// The search attributes RunECSTask upserts, when the namespace has them
// registered (SearchAttributes lists them with their types):
// `temporal workflow list --query 'EcsTaskArn="arn:..."'` finds the
// workflow behind a task, and the Web UI filters by them.
var (
	SearchAttributeTaskArn  = temporal.NewSearchAttributeKeyKeyword("EcsTaskArn")
	SearchAttributeCluster  = temporal.NewSearchAttributeKeyKeyword("EcsCluster")
	SearchAttributeImage    = temporal.NewSearchAttributeKeyKeyword("EcsImage")
	SearchAttributePhase    = temporal.NewSearchAttributeKeyKeyword("EcsPhase")
	SearchAttributeStopCode = temporal.NewSearchAttributeKeyKeyword("EcsStopCode")
	SearchAttributeExitCode = temporal.NewSearchAttributeKeyInt64("EcsExitCode")
)

// SearchAttributes are RunECSTask's search attributes, for registering them
// (`temporal operator search-attribute create`) or checking that they are.
var SearchAttributes = []temporal.SearchAttributeKey{
	SearchAttributeTaskArn, SearchAttributeCluster, SearchAttributeImage,
	SearchAttributePhase, SearchAttributeStopCode, SearchAttributeExitCode,
}

// upsertSearchAttributes upserts those of the status that changed since the
// last upsert, when the execution upserts them at all.
func (r *run) upsertSearchAttributes() {
	if !r.searchAttributes {
		return
	}
	var updates []temporal.SearchAttributeUpdate
	keyword := func(k temporal.SearchAttributeKeyKeyword, v string) {
		if v != "" && r.upserted[k.GetName()] != v {
			r.upserted[k.GetName()] = v
			updates = append(updates, k.ValueSet(v))
		}
	}
	keyword(SearchAttributePhase, r.status.Phase)
	keyword(SearchAttributeImage, r.status.Image)
	keyword(SearchAttributeCluster, r.status.Cluster)
	keyword(SearchAttributeTaskArn, r.status.TaskArn)
	keyword(SearchAttributeStopCode, r.status.StopCode)
	if c := r.status.ExitCode; c != nil && r.upserted[SearchAttributeExitCode.GetName()] != int64(*c) {
		r.upserted[SearchAttributeExitCode.GetName()] = int64(*c)
		updates = append(updates, SearchAttributeExitCode.ValueSet(int64(*c)))
	}
	if len(updates) == 0 {
		return
	}
	if err := workflow.UpsertTypedSearchAttributes(r.cleanup, updates...); err != nil {
		r.logger.Warn("Could not upsert the search attributes", "Error", err)
	}
}
