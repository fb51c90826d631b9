package e2e_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// A job's secret reaches its container's environment through the local
// endpoint's Secrets Manager, and its value nowhere else: not in the
// workflow's history (only the reference travels), not in the worker's
// log, not in the endpoint's answers.
func TestSecretReachesTheContainerAndNothingElse(t *testing.T) {
	h := need(t)
	ctx := testContext(t)
	const value = "sk_live_secret_value_42"
	out, err := secretsmanager.NewFromConfig(h.aws).CreateSecret(ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String(workflowID(t)), SecretString: aws.String(value),
	})
	require.NoError(t, err)

	// The script compares a digest: the value itself is not in the job.
	sum := sha256.Sum256([]byte(value))
	job := shellJob(`if [ "$(printf %s "$API_KEY" | sha256sum | cut -d' ' -f1)" = "` + hex.EncodeToString(sum[:]) +
		`" ]; then echo the secret is set; else echo the secret is missing; exit 3; fi`)
	job["secrets"] = map[string]string{"API_KEY": aws.ToString(out.ARN)}
	run := h.startJob(ctx, t, job)
	var res activities.TaskResult
	require.NoError(t, run.Get(ctx, &res), "the container saw the secret's value")
	st, err := h.status(ctx, run)
	require.NoError(t, err)
	waitLogLine(ctx, t, h.aws, st.LogGroup, st.LogStream, "the secret is set")

	raw, err := exec.CommandContext(ctx, h.temporalBin, "workflow", "show", "--address", h.address, "--namespace", "default",
		"--workflow-id", run.GetID(), "-o", "json").Output()
	require.NoError(t, err)
	history := decodedPayloads(t, raw)
	assert.Contains(t, history, aws.ToString(out.ARN), "the reference is in history")
	assert.NotContains(t, history, value, "the value is not")
	worker, err := os.ReadFile(h.worker.log)
	require.NoError(t, err)
	assert.False(t, bytes.Contains(worker, []byte(value)), "the worker's log holds no secret value")
	task := describeTask(ctx, t, h.aws, "default", res.TaskArn)
	for _, c := range task.Containers {
		assert.NotContains(t, aws.ToString(c.Reason), value)
	}
}

// decodedPayloads is a history as `temporal workflow show -o json` prints
// it, with every payload's base64 data decoded, for searching its text.
func decodedPayloads(t *testing.T, raw []byte) string {
	t.Helper()
	var doc any
	require.NoError(t, json.Unmarshal(raw, &doc))
	var b strings.Builder
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "data" {
					if d, err := base64.StdEncoding.DecodeString(s); err == nil {
						b.Write(d)
						b.WriteByte('\n')
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(doc)
	return b.String()
}
