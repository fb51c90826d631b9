package job_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestDefaultsMerge(t *testing.T) {
	defaults := `{
		"cluster": "prod",
		"executionRoleArn": "` + role + `",
		"env": {"A": "default-a", "B": "default-b"},
		"labels": {"team": "platform", "cost": "shared"},
		"streamOutput": true,
		"cloudwatchLogsOptions": {"awslogs-group": "platform", "mode": "non-blocking"},
		"taskDefinition": {"family": "from-defaults", "containerDefinitions": [{"name": "main", "image": "default-image", "essential": true}]},
		"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}],
		"command": ["default", "command"]
	}`

	t.Run("job fields win over the defaults", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"job-image","cluster":"dev"}`, defaults)
		assert.Equal(t, "dev", p.Cluster)
		assert.Equal(t, "job-image", p.Image)
	})
	t.Run("defaults fill what the job leaves out", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x"}`, defaults)
		assert.Equal(t, "prod", p.Cluster)
		assert.Equal(t, role, p.TaskDefinition["executionRoleArn"])
		assert.True(t, p.StreamOutput)
		assert.Equal(t, "from-defaults", p.TaskDefinition["family"])
	})
	t.Run("env merges key by key, job null unsets", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","env":{"B":"job-b","A":null,"C":"c"}}`, defaults)
		requireJSON(t, `[{"name":"B","value":"job-b"},{"name":"C","value":"c"}]`,
			at(t, p.RunRequest, "overrides", "containerOverrides", 0, "environment"))
	})
	t.Run("labels merge key by key, job null removes", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","labels":{"team":"data","cost":null}}`, defaults)
		requireJSON(t, `[{"key":"team","value":"data"}]`, p.RunRequest["tags"])
	})
	t.Run("cloudwatchLogsOptions merge key by key, job null removes", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","cloudwatchLogsOptions":{"mode":null,"max-buffer-size":"4m"}}`, defaults)
		opts := at(t, p.TaskDefinition, "containerDefinitions", 0, "logConfiguration", "options").(map[string]any)
		assert.Equal(t, "platform", opts["awslogs-group"])
		assert.Equal(t, "4m", opts["max-buffer-size"])
		assert.NotContains(t, opts, "mode")
	})
	t.Run("objects other than env, labels and log options are replaced", func(t *testing.T) {
		p := mustPrepare(t, `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"job-td-image"}]}}`, defaults)
		assert.Equal(t, "temporal-ecs", p.TaskDefinition["family"], "the defaults' family went with their taskDefinition")
		assert.Equal(t, "job-td-image", p.Image)
	})
	t.Run("arrays are replaced", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","command":"job cmd","capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":2}]}`, defaults)
		requireJSON(t, `["job","cmd"]`, at(t, p.RunRequest, "overrides", "containerOverrides", 0, "command"))
		requireJSON(t, `[{"capacityProvider":"FARGATE_SPOT","weight":2}]`, p.RunRequest["capacityProviderStrategy"])
	})
	t.Run("job null clears a default", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x","cluster":null,"command":null,"capacityProviderStrategy":null}`, defaults)
		assert.Empty(t, p.Cluster)
		assert.False(t, has(t, p.RunRequest, "capacityProviderStrategy"))
		assert.False(t, has(t, at(t, p.RunRequest, "overrides", "containerOverrides", 0), "command"))
	})
	t.Run("errors in the defaults say so", func(t *testing.T) {
		e := prepareError(t, `{"image":"x"}`, `{"clustr":"prod"}`)
		assert.Equal(t, "clustr", e.Field)
		assert.Contains(t, e.Message, "worker's job defaults")
		assert.Contains(t, e.Message, `did you mean "cluster"?`)
	})
	t.Run("no defaults", func(t *testing.T) {
		p := mustPrepare(t, `{"image":"x"}`, "")
		assert.Equal(t, "x", p.Image)
	})
}
