package e2e_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// A job whose taskCustomizations ask for three tasks is refused while it is
// prepared: the workflow fails with InvalidJobConfiguration naming the
// operation and its path, and no task is started.
func TestCustomizationSettingCountIsRefusedBeforeRunTask(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	j := shellJob("echo never")
	j["taskCustomizations"] = []map[string]any{{"op": "replace", "path": "/count", "value": 3}}

	before := h.localStats(ctx, t) // the tests run one at a time
	run := h.startJob(ctx, t, j)
	err := run.Get(ctx, nil)
	require.Error(t, err)

	// The workflow's error: the step that failed, with the activity's type
	// and retryability at the top and the activity's own error as cause.
	var top *temporal.ApplicationError
	require.ErrorAs(t, err, &top)
	assert.Equal(t, activities.ErrInvalidJobConfiguration, top.Type())
	assert.True(t, top.NonRetryable())
	var cause *temporal.ApplicationError
	require.True(t, errors.As(top.Unwrap(), &cause), "the activity's error is the cause: %v", err)
	assert.Equal(t, activities.ErrInvalidJobConfiguration, cause.Type())
	assert.Contains(t, cause.Message(), "invalid job configuration: taskCustomizations[0]: /count: a job runs exactly one task")
	var detail job.Error
	require.NoError(t, cause.Details(&detail), "the *job.Error travels as details")
	assert.Equal(t, "taskCustomizations[0]", detail.Field)

	after := h.localStats(ctx, t)
	assert.Zero(t, after["ecs:RunTask"]-before["ecs:RunTask"], "no RunTask")
	assert.Zero(t, after["ecs:RegisterTaskDefinition"]-before["ecs:RegisterTaskDefinition"], "refused before any AWS call")

	desc, err := h.tc.DescribeWorkflow(ctx, run.GetID(), run.GetRunID())
	require.NoError(t, err)
	assert.Equal(t, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, desc.Status)
}
