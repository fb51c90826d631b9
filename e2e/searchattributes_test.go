package e2e_test

import (
	"encoding/json"
	"fmt"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/require"
)

// The workflow behind a task is found by its task ARN and by exit code,
// through the temporal CLI as an operator would.
func TestSearchAttributesFindTheWorkflowByTaskArnAndExitCode(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	run := h.startJob(ctx, t, shellJob("echo hi; exit 3"))
	require.Error(t, run.Get(ctx, nil), "exit 3 fails the job")
	st, err := h.status(ctx, run)
	require.NoError(t, err)
	require.NotEmpty(t, st.TaskArn)

	list := func(query string) []string {
		out, err := exec.CommandContext(ctx, h.temporalBin, "workflow", "list", "--address", h.address,
			"--namespace", "default", "--query", query, "-o", "json").Output()
		require.NoError(t, err, "%s", out)
		var rows []struct {
			Execution struct {
				WorkflowID string `json:"workflowId"`
			} `json:"execution"`
		}
		require.NoError(t, json.Unmarshal(out, &rows), "%s", out)
		var ids []string
		for _, r := range rows {
			ids = append(ids, r.Execution.WorkflowID)
		}
		return ids
	}
	for _, query := range []string{
		fmt.Sprintf("EcsTaskArn=%q", st.TaskArn),
		fmt.Sprintf("EcsExitCode=3 AND WorkflowId=%q", run.GetID()),
		fmt.Sprintf("EcsPhase='failed' AND EcsStopCode='EssentialContainerExited' AND WorkflowId=%q", run.GetID()),
	} {
		require.NoError(t, waitFor(ctx, nil, "visibility to find the workflow by "+query, func() bool {
			ids := list(query)
			return len(ids) == 1 && ids[0] == run.GetID()
		}), query)
	}
}
