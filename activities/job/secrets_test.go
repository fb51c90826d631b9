package job_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

const execRole = `"executionRoleArn":"arn:aws:iam::1:role/exec"`

// The job's secrets go on the orchestrated container in the definition,
// replacing the base definition's of the same name, and only references
// travel: the prepared job holds valueFrom, never a value.
func TestSecretsGoOnTheOrchestratedContainer(t *testing.T) {
	p := mustPrepare(t, `{"image":"x",`+execRole+`,"secrets":{"API_KEY":"arn:aws:secretsmanager:us-east-1:1:secret:api-AbCdEf","DB":"/prod/db"},
		"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","secrets":[{"name":"DB","valueFrom":"/old/db"},{"name":"KEEP","valueFrom":"/keep"}]},
		{"name":"proxy","image":"p","secrets":[{"name":"TLS","valueFrom":"/tls"}]}]}}`)
	requireJSON(t, `[{"name":"KEEP","valueFrom":"/keep"},{"name":"API_KEY","valueFrom":"arn:aws:secretsmanager:us-east-1:1:secret:api-AbCdEf"},{"name":"DB","valueFrom":"/prod/db"}]`,
		at(t, p.TaskDefinition, "containerDefinitions", 0, "secrets"))
	requireJSON(t, `[{"name":"TLS","valueFrom":"/tls"}]`, at(t, p.TaskDefinition, "containerDefinitions", 1, "secrets"))
}

// ECS compares secrets by name, not by order: the same secrets in another
// order are the same definition.
func TestSecretsOrderMakesTheSameDefinition(t *testing.T) {
	a := mustPrepare(t, `{"image":"x",`+execRole+`,"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","secrets":[{"name":"A","valueFrom":"/a"},{"name":"B","valueFrom":"/b"}]}]}}`)
	b := mustPrepare(t, `{"image":"x",`+execRole+`,"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","secrets":[{"name":"B","valueFrom":"/b"},{"name":"A","valueFrom":"/a"}]}]}}`)
	assert.Equal(t, a.TaskDefinitionDigest, b.TaskDefinitionDigest)
}

func TestSecretsRules(t *testing.T) {
	for _, tc := range []struct{ job, field, message string }{
		{`{"image":"x","secrets":{"API_KEY":"/k"}}`, "executionRoleArn", "secretsmanager:GetSecretValue"},
		{`{"image":"x",` + execRole + `,"secrets":{"API_KEY":""}}`, "secrets.API_KEY", "needs a valueFrom"},
		{`{"image":"x",` + execRole + `,"secrets":{"API_KEY":"/a b"}}`, "secrets.API_KEY", "white space"},
		{`{"taskDefinitionArn":"arn:aws:ecs:us-east-1:1:task-definition/f:1","secrets":{"API_KEY":"/k"}}`, "secrets", "taskDefinitionArn"},
		{`{"image":"x","taskRunRequest":{"overrides":{"containerOverrides":[{"name":"main","secrets":[{"name":"A","valueFrom":"/a"}]}]}}}`,
			"taskRunRequest.overrides.containerOverrides[0].secrets", "cannot override secrets at run time"},
		{`{"image":"x","taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","secrets":[{"name":"A","valueFrom":"/a"}]}]}}`, "executionRoleArn", "has secrets"},
	} {
		e := prepareError(t, tc.job)
		assert.Equal(t, tc.field, e.Field, tc.job)
		assert.Contains(t, e.Message, tc.message, tc.job)
	}
}

func TestSecretsReferencesAreNotMaskedAway(t *testing.T) {
	p := mustPrepare(t, `{"image":"x",`+execRole+`,"secrets":{"API_KEY":"/k"}}`)
	req, err := job.BuildRunRequest(p, "td:1", nil, "", "")
	require.NoError(t, err)
	assert.NotContains(t, jsonOf(t, req), "secrets", "secrets are in the definition, never in RunTask")
}
