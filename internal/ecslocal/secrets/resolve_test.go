package secrets_test

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The valueFrom forms of ECS container secrets, resolved as the agent
// does, and failures that name what is missing but never a value.
func TestResolveValueFrom(t *testing.T) {
	e := newEnv(t)
	const dbJSON = `{"user":"admin","password":"pw-9f8e7d","port":5432,"opts":{"tls":true}}`
	db, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("prod/db"), SecretString: aws.String(dbJSON),
		ClientRequestToken: aws.String("11111111-1111-4111-8111-111111111111")})
	require.NoError(t, err)
	dbARN := aws.ToString(db.ARN)
	_, err = e.sm.PutSecretValue(e.ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("prod/db"),
		SecretString: aws.String(`{"user":"admin","password":"pw-new-1a2b3c"}`)})
	require.NoError(t, err)
	key, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("api-key"), SecretString: aws.String("sk_live_abcdef123456")})
	require.NoError(t, err)
	keyARN := aws.ToString(key.ARN)
	_, err = e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("blob"), SecretBinary: []byte("bin-value-42")})
	require.NoError(t, err)
	_, err = e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("/app/token"), Value: aws.String("tok-5e6f7a"), Type: ssmtypes.ParameterTypeSecureString})
	require.NoError(t, err)
	_, err = e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("/app/token"), Value: aws.String("tok-v2-8b9c"), Overwrite: aws.Bool(true)})
	require.NoError(t, err)
	_, err = e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("plain"), Value: aws.String("plain-value"), Type: ssmtypes.ParameterTypeString})
	require.NoError(t, err)

	partial := strings.TrimSuffix(dbARN, dbARN[len(dbARN)-7:])
	values, err := e.srv.Secrets().Resolve([]string{
		keyARN,
		dbARN + ":password::",
		partial + ":user::",
		dbARN + ":port:AWSPREVIOUS:",
		dbARN + ":opts:AWSPREVIOUS:",
		dbARN + ":password:AWSPREVIOUS:",
		dbARN + ":password::11111111-1111-4111-8111-111111111111",
		"/app/token",
		"arn:aws:ssm:us-east-1:000000000000:parameter/app/token",
		"/app/token:1",
		"plain",
	})
	require.NoError(t, err)
	assert.Equal(t, []string{
		"sk_live_abcdef123456",
		"pw-new-1a2b3c",
		"admin",
		"5432",
		`{"tls":true}`,
		"pw-9f8e7d",
		"pw-9f8e7d",
		"tok-v2-8b9c",
		"tok-v2-8b9c",
		"tok-5e6f7a",
		"plain-value",
	}, values)

	allValues := []string{"sk_live_abcdef123456", "pw-9f8e7d", "pw-new-1a2b3c", "tok-5e6f7a", "tok-v2-8b9c", "bin-value-42", "plain-value", "admin"}
	for name, c := range map[string]struct {
		refs []string
		want string
	}{
		"missing secret": {
			[]string{"arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf"},
			"unable to retrieve secret from asm: failed to fetch secret arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-AbCdEf from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
		},
		"missing json key": {
			[]string{dbARN + ":nokey::"},
			"unable to retrieve secret from asm: retrieved secret from Secrets Manager did not contain json key nokey",
		},
		"json key of a secret that is no JSON object": {
			[]string{keyARN + ":user::"},
			"unable to retrieve secret from asm: secret " + keyARN + " is not a JSON object, so it has no json key user",
		},
		"binary secret": {
			[]string{"arn:aws:secretsmanager:us-east-1:000000000000:secret:blob"},
			"unable to retrieve secret from asm: secret arn:aws:secretsmanager:us-east-1:000000000000:secret:blob holds a binary value (SecretBinary), which cannot become an environment variable",
		},
		"unknown stage": {
			[]string{dbARN + ":user:AWSPENDING:"},
			"unable to retrieve secret from asm: failed to fetch secret " + dbARN + " from secrets manager: ResourceNotFoundException: Secrets Manager can't find the specified secret value for staging label: AWSPENDING",
		},
		"malformed ARN": {
			[]string{dbARN + ":user"},
			"unable to retrieve secret from asm: invalid secret ARN " + dbARN + ":user: want arn:aws:secretsmanager:region:account:secret:name, optionally followed by :json-key:version-stage:version-id",
		},
		"missing parameters, all named": {
			[]string{"/app/token", "/app/nope", "arn:aws:ssm:us-east-1:000000000000:parameter/gone", "/app/token:7"},
			"unable to retrieve secrets from ssm: invalid ssm parameters: /app/nope, arn:aws:ssm:us-east-1:000000000000:parameter/gone, /app/token:7",
		},
	} {
		_, err := e.srv.Secrets().Resolve(c.refs)
		require.Error(t, err, name)
		assert.Contains(t, err.Error(), c.want, name)
		for _, v := range allValues {
			assert.NotContains(t, err.Error(), v, "%s: no value in the error", name)
		}
	}
}
