package ecslocal_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

const (
	testExecutionRole = "arn:aws:iam::000000000000:role/ecsTaskExecutionRole"
	secretsPrefix     = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "
)

// The values the secrets tests store; none may show in a log line, an
// error or an ECS response.
var testSecretValues = []string{"sk_live_abcdef123456", "pw-9f8e7d", "tok-5e6f7a"}

// TestTaskSecrets runs the container secrets cases against every runtime:
// the process runtime always, the Docker runtime when an engine answers
// (and always under CI).
func TestTaskSecrets(t *testing.T) {
	for _, rt := range testRuntimes(t) {
		t.Run(rt.name, func(t *testing.T) {
			t.Run("resolved into the environment", func(t *testing.T) {
				t.Parallel()
				testSecretsInEnvironment(t, rt)
			})
			t.Run("missing ones stop the task", func(t *testing.T) {
				t.Parallel()
				testMissingSecretsStopTheTask(t, rt)
			})
		})
	}
}

// secretsEnv is a server on rt whose log is captured and whose ECS client
// records every response body, with the test secrets stored: a plain
// secret, a JSON one and an SSM SecureString.
type secretsEnv struct {
	*env
	log       *syncBuffer
	responses *recorder
	apiKeyARN string
	dbARN     string
}

func newSecretsEnv(t *testing.T, rt testRuntime) *secretsEnv {
	t.Helper()
	var logs syncBuffer
	e := newRuntimeEnv(t, rt, ecslocal.Options{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	rec := &recorder{next: http.DefaultTransport}
	cfg := e.cfg.Copy()
	cfg.HTTPClient = &http.Client{Transport: rec}
	e.ecs = ecs.NewFromConfig(cfg)

	sm := secretsmanager.NewFromConfig(e.cfg)
	apiKey, err := sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String("sk_live_abcdef123456")})
	require.NoError(t, err)
	db, err := sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(`{"user":"admin","password":"pw-9f8e7d"}`)})
	require.NoError(t, err)
	_, err = ssm.NewFromConfig(e.cfg).PutParameter(e.ctx, &ssm.PutParameterInput{
		Name: aws.String("/app/token"), Value: aws.String("tok-5e6f7a"), Type: ssmtypes.ParameterTypeSecureString,
	})
	require.NoError(t, err)
	return &secretsEnv{env: e, log: &logs, responses: rec, apiKeyARN: aws.ToString(apiKey.ARN), dbARN: aws.ToString(db.ARN)}
}

// registerWithSecrets registers a family whose one container runs args
// with these secrets, and the execution role ECS needs for them.
func (e *secretsEnv) registerWithSecrets(family string, secrets []types.Secret, args ...string) {
	e.t.Helper()
	c := e.container("app", args...)
	c.Secrets = secrets
	_, err := e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(family), ExecutionRoleArn: aws.String(testExecutionRole), ContainerDefinitions: []types.ContainerDefinition{c},
	})
	require.NoError(e.t, err)
}

// assertNoValue checks that no secret value reached the server's log or
// any ECS response.
func (e *secretsEnv) assertNoValue() {
	e.t.Helper()
	log, responses := e.log.String(), e.responses.String()
	require.Contains(e.t, log, `msg="task stopped"`, "the log is captured")
	for _, v := range testSecretValues {
		assert.NotContains(e.t, log, v, "a secret value in the endpoint's log")
		assert.NotContains(e.t, responses, v, "a secret value in an ECS response")
	}
}

func secret(name, valueFrom string) types.Secret {
	return types.Secret{Name: aws.String(name), ValueFrom: aws.String(valueFrom)}
}

func testSecretsInEnvironment(t *testing.T, rt testRuntime) {
	e := newSecretsEnv(t, rt)
	c := e.container("app", "sh", "-c", `echo "API_KEY=$API_KEY"; echo "DB_PASSWORD=$DB_PASSWORD"; echo "TOKEN=$TOKEN"; echo "PLAIN=$PLAIN"`)
	c.Environment = []types.KeyValuePair{
		{Name: aws.String("API_KEY"), Value: aws.String("from-environment")}, // the secret wins
		{Name: aws.String("PLAIN"), Value: aws.String("plain")},
	}
	c.Secrets = []types.Secret{
		secret("API_KEY", e.apiKeyARN),
		secret("DB_PASSWORD", e.dbARN+":password::"),
		secret("TOKEN", "/app/token"),
	}
	_, err := e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("with-secrets"), ExecutionRoleArn: aws.String(testExecutionRole), ContainerDefinitions: []types.ContainerDefinition{c},
	})
	require.NoError(t, err)

	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("with-secrets")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode, aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(0), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Equal(t, []string{"API_KEY=sk_live_abcdef123456", "DB_PASSWORD=pw-9f8e7d", "TOKEN=tok-5e6f7a", "PLAIN=plain"},
		e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))

	td, err := e.ecs.DescribeTaskDefinition(e.ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("with-secrets")})
	require.NoError(t, err)
	assert.Equal(t, c.Secrets, td.TaskDefinition.ContainerDefinitions[0].Secrets, "the valueFrom, never the value")
	assert.Contains(t, e.responses.String(), `"valueFrom":"/app/token"`)
	e.assertNoValue()
}

func testMissingSecretsStopTheTask(t *testing.T, rt testRuntime) {
	e := newSecretsEnv(t, rt)
	missingARN := "arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"
	for _, c := range []struct {
		family  string
		secrets []types.Secret
		reason  string
	}{
		{"missing-secret", []types.Secret{secret("API_KEY", e.apiKeyARN), secret("GONE", missingARN)},
			"unable to retrieve secret from asm: failed to fetch secret " + missingARN + " from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret."},
		{"missing-key", []types.Secret{secret("DB_USER", e.dbARN+":username::")},
			"unable to retrieve secret from asm: retrieved secret from Secrets Manager did not contain json key username"},
		{"missing-parameter", []types.Secret{secret("TOKEN", "/app/token"), secret("OTHER", "/app/other")},
			"unable to retrieve secrets from ssm: invalid ssm parameters: /app/other"},
	} {
		e.registerWithSecrets(c.family, c.secrets, "echo", "started")
		task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String(c.family)})
		done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
		assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode, c.family)
		assert.Equal(t, secretsPrefix+c.reason, aws.ToString(done.StoppedReason), c.family)
		assert.Nil(t, done.Containers[0].ExitCode, "%s: the container never ran", c.family)
		assert.Nil(t, done.StartedAt, c.family)
	}
	e.assertNoValue()
}

// Without an execution role, or with a valueFrom that is neither an ARN
// nor a parameter name, RegisterTaskDefinition refuses the secrets.
func TestRegisterTaskDefinitionChecksSecrets(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	register := func(role *string, valueFrom string) error {
		c := container("app", "true")
		c.Secrets = []types.Secret{secret("API_KEY", valueFrom)}
		_, err := e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("checked"), ExecutionRoleArn: role, ContainerDefinitions: []types.ContainerDefinition{c},
		})
		return err
	}
	var client *types.ClientException
	require.ErrorAs(t, register(nil, "/app/token"), &client)
	assert.Equal(t, "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.", client.ErrorMessage())

	require.ErrorAs(t, register(aws.String(testExecutionRole), "api-key:password::"), &client)
	assert.Contains(t, client.ErrorMessage(), "The Systems Manager parameter name specified for secret API_KEY is invalid.")

	require.NoError(t, register(aws.String(testExecutionRole), "/app/token"))
	require.NoError(t, register(aws.String(testExecutionRole), "arn:aws:secretsmanager:us-east-1:000000000000:secret:api-key-AbCdEf:password::"))
}

// recorder is an http.RoundTripper that keeps every response body.
type recorder struct {
	next http.RoundTripper
	mu   sync.Mutex
	buf  bytes.Buffer
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.buf.Write(body)
	r.buf.WriteByte('\n')
	r.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (r *recorder) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.String()
}
