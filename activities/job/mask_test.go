package job_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestLooksSecret(t *testing.T) {
	for _, name := range []string{"API_KEY", "aws_secret_access_key", "GITHUB_TOKEN", "DB_PASSWORD", "MYSQL_PWD", "GOOGLE_APPLICATION_CREDENTIALS",
		"SSH_PASSPHRASE", "PRIVATE_KEY_PEM", "AUTH_HEADER", "SENTRY_DSN", "SESSION_COOKIE", "PASSWD", "REQUEST_SIGNATURE"} {
		assert.True(t, job.LooksSecret(name), name)
	}
	for _, name := range []string{"PATH", "HOME", "LOG_LEVEL", "REGION", "PORT", ""} {
		assert.False(t, job.LooksSecret(name), name)
	}
}

func TestMaskValueKeepsAShortPrefix(t *testing.T) {
	tests := map[string]string{
		"abcdefghijkl":  "abc***",
		"abcdefghijklm": "abc***",
		"abcdefgh":      "ab***",
		"short":         "s***",
		"abc":           "***",
		"":              "***",
		"ééééééééééééé": "ééé***",
	}
	for in, want := range tests {
		assert.Equal(t, want, job.MaskValue(in), in)
	}
}

func TestMaskRequestMasksSecretEnvironmentValues(t *testing.T) {
	body := map[string]any{
		"containerDefinitions": []any{map[string]any{"name": "main", "environment": []any{
			map[string]any{"name": "API_KEY", "value": "sk-1234567890"},
			map[string]any{"name": "LOG_LEVEL", "value": "debug"},
		}}},
		"overrides": map[string]any{"containerOverrides": []any{map[string]any{"name": "main", "environment": []any{
			map[string]any{"name": "DB_PASSWORD", "value": "hunter2hunter2"},
			map[string]any{"name": "REGION", "value": "eu-west-1"},
		}}}},
	}
	masked := job.MaskRequest(body)
	requireJSON(t, `{
		"containerDefinitions":[{"name":"main","environment":[{"name":"API_KEY","value":"sk-***"},{"name":"LOG_LEVEL","value":"debug"}]}],
		"overrides":{"containerOverrides":[{"name":"main","environment":[{"name":"DB_PASSWORD","value":"hun***"},{"name":"REGION","value":"eu-west-1"}]}]}
	}`, masked)
	assert.Equal(t, "sk-1234567890", at(t, body, "containerDefinitions", 0, "environment", 0, "value"), "the original is unchanged")
	assert.Nil(t, job.MaskRequest(nil))
}

func TestMaskRequestOfABuiltRunRequest(t *testing.T) {
	p := mustPrepare(t, `{"image":"x","env":{"STRIPE_SECRET":"sk_live_abcdefghijkl","MODE":"live"}}`)
	req, err := job.BuildRunRequest(p, "td", nil, "", "")
	assert.NoError(t, err)
	requireJSON(t, `[{"name":"MODE","value":"live"},{"name":"STRIPE_SECRET","value":"sk_***"}]`,
		at(t, job.MaskRequest(req), "overrides", "containerOverrides", 0, "environment"))
}

func TestMaskEnv(t *testing.T) {
	v, s := "visible", "topsecretvalue"
	out := job.MaskEnv(map[string]*string{"A": &v, "TOKEN": &s, "UNSET_KEY": nil})
	assert.Equal(t, "visible", *out["A"])
	assert.Equal(t, "top***", *out["TOKEN"])
	assert.Nil(t, out["UNSET_KEY"])
	assert.Equal(t, "topsecretvalue", s)
}
