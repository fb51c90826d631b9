package secrets_test

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCreateGetDescribeSecret(t *testing.T) {
	e := newEnv(t)
	before := time.Now().Add(-time.Second)
	created, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{
		Name:         aws.String("app/db"),
		SecretString: aws.String(`{"user":"admin","password":"s3cr3t"}`),
		Description:  aws.String("the database"),
		Tags:         []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}},
	})
	require.NoError(t, err)
	arn := aws.ToString(created.ARN)
	assert.Regexp(t, `^arn:aws:secretsmanager:us-east-1:000000000000:secret:app/db-[A-Za-z0-9]{6}$`, arn)
	assert.Equal(t, "app/db", aws.ToString(created.Name))
	assert.NotEmpty(t, aws.ToString(created.VersionId), "the CLI and SDKs send a ClientRequestToken, which becomes the version id")

	// By name, full ARN and partial ARN (without the random suffix).
	for _, id := range []string{"app/db", arn, arn[:len(arn)-7]} {
		got, err := e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String(id)})
		require.NoError(t, err, id)
		assert.Equal(t, `{"user":"admin","password":"s3cr3t"}`, aws.ToString(got.SecretString), id)
		assert.Equal(t, arn, aws.ToString(got.ARN))
		assert.Equal(t, "app/db", aws.ToString(got.Name))
		assert.Equal(t, aws.ToString(created.VersionId), aws.ToString(got.VersionId))
		assert.Equal(t, []string{"AWSCURRENT"}, got.VersionStages)
		assert.Nil(t, got.SecretBinary)
		require.NotNil(t, got.CreatedDate)
		assert.True(t, got.CreatedDate.After(before), "%s", got.CreatedDate)
	}

	d, err := e.sm.DescribeSecret(e.ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(d.ARN))
	assert.Equal(t, "app/db", aws.ToString(d.Name))
	assert.Equal(t, "the database", aws.ToString(d.Description))
	assert.Equal(t, []types.Tag{{Key: aws.String("team"), Value: aws.String("data")}}, d.Tags)
	assert.Equal(t, map[string][]string{aws.ToString(created.VersionId): {"AWSCURRENT"}}, d.VersionIdsToStages)
	require.NotNil(t, d.CreatedDate)
	require.NotNil(t, d.LastChangedDate)
	require.NotNil(t, d.LastAccessedDate, "GetSecretValue records the day of the access")
	assert.Equal(t, time.Now().UTC().Truncate(24*time.Hour), d.LastAccessedDate.UTC())
	assert.Nil(t, d.DeletedDate)

	_, err = e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("app/db"), SecretString: aws.String("x")})
	var exists *types.ResourceExistsException
	require.ErrorAs(t, err, &exists)
	assert.Contains(t, exists.ErrorMessage(), "app/db already exists")
}

func TestBinarySecretAndSecretWithoutValue(t *testing.T) {
	e := newEnv(t)
	blob := []byte{0, 1, 2, 0xff, 'k'}
	_, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("blob"), SecretBinary: blob})
	require.NoError(t, err)
	got, err := e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("blob")})
	require.NoError(t, err)
	assert.Equal(t, blob, got.SecretBinary)
	assert.Nil(t, got.SecretString)

	empty, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("empty")})
	require.NoError(t, err)
	assert.Nil(t, empty.VersionId, "no value, no version")
	_, err = e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("empty")})
	var notFound *types.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound)
	assert.Contains(t, notFound.ErrorMessage(), "staging label: AWSCURRENT")
}

func TestPutSecretValueVersionsAndStages(t *testing.T) {
	e := newEnv(t)
	_, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{
		Name: aws.String("api-key"), SecretString: aws.String("v1"),
		ClientRequestToken: aws.String("00000000-0000-4000-8000-000000000001"),
	})
	require.NoError(t, err)
	const v1, v2, v3, v4 = "00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002",
		"00000000-0000-4000-8000-000000000003", "00000000-0000-4000-8000-000000000004"
	put := func(token, value string, stages ...string) *secretsmanager.PutSecretValueOutput {
		t.Helper()
		out, err := e.sm.PutSecretValue(e.ctx, &secretsmanager.PutSecretValueInput{
			SecretId: aws.String("api-key"), SecretString: aws.String(value),
			ClientRequestToken: aws.String(token), VersionStages: stages,
		})
		require.NoError(t, err)
		return out
	}
	out := put(v2, "v2")
	assert.Equal(t, v2, aws.ToString(out.VersionId))
	assert.Equal(t, []string{"AWSCURRENT"}, out.VersionStages)
	put(v3, "v3")
	put(v4, "v4", "canary")

	stages := func() map[string][]string {
		d, err := e.sm.DescribeSecret(e.ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("api-key")})
		require.NoError(t, err)
		return d.VersionIdsToStages
	}
	assert.Equal(t, map[string][]string{v2: {"AWSPREVIOUS"}, v3: {"AWSCURRENT"}, v4: {"canary"}}, stages(),
		"v1 lost its labels (deprecated), a custom label leaves AWSCURRENT alone")

	get := func(in secretsmanager.GetSecretValueInput) (string, error) {
		in.SecretId = aws.String("api-key")
		out, err := e.sm.GetSecretValue(e.ctx, &in)
		if err != nil {
			return "", err
		}
		return aws.ToString(out.SecretString), nil
	}
	for want, in := range map[string]secretsmanager.GetSecretValueInput{
		"v3": {},
		"v2": {VersionStage: aws.String("AWSPREVIOUS")},
		"v4": {VersionStage: aws.String("canary")},
		"v1": {VersionId: aws.String(v1)},
	} {
		got, err := get(in)
		require.NoError(t, err, want)
		assert.Equal(t, want, got)
	}
	_, err = get(secretsmanager.GetSecretValueInput{VersionStage: aws.String("nope")})
	var notFound *types.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound)
	assert.Contains(t, notFound.ErrorMessage(), "staging label: nope")
	_, err = get(secretsmanager.GetSecretValueInput{VersionId: aws.String("00000000-0000-4000-8000-000000000009")})
	require.ErrorAs(t, err, &notFound)
	_, err = get(secretsmanager.GetSecretValueInput{VersionId: aws.String(v1), VersionStage: aws.String("AWSCURRENT")})
	var invalid *types.InvalidParameterException
	require.ErrorAs(t, err, &invalid)

	// A retry with the same token and value is answered again; the same
	// token with another value is refused.
	again := put(v4, "v4")
	assert.Equal(t, []string{"canary"}, again.VersionStages)
	_, err = e.sm.PutSecretValue(e.ctx, &secretsmanager.PutSecretValueInput{
		SecretId: aws.String("api-key"), SecretString: aws.String("other"), ClientRequestToken: aws.String(v4),
	})
	var exists *types.ResourceExistsException
	require.ErrorAs(t, err, &exists)
	assert.NotContains(t, exists.ErrorMessage(), "other")

	// Moving AWSCURRENT onto the canary makes the old current previous.
	put("00000000-0000-4000-8000-000000000005", "v5", "AWSCURRENT", "canary")
	st := stages()
	assert.Equal(t, []string{"AWSPREVIOUS"}, st[v3])
	assert.NotContains(t, st, v4)
	assert.NotContains(t, st, v2)
}

func TestSecretsManagerErrors(t *testing.T) {
	e := newEnv(t)
	var notFound *types.ResourceNotFoundException
	_, err := e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("missing")})
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, "Secrets Manager can't find the specified secret.", notFound.ErrorMessage())
	_, err = e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{
		SecretId: aws.String("arn:aws:secretsmanager:eu-west-1:000000000000:secret:missing-AbCdEf"),
	})
	require.ErrorAs(t, err, &notFound, "another region's ARN names nothing here")
	_, err = e.sm.DescribeSecret(e.ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("missing")})
	require.ErrorAs(t, err, &notFound)
	_, err = e.sm.PutSecretValue(e.ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("missing"), SecretString: aws.String("x")})
	require.ErrorAs(t, err, &notFound)
	_, err = e.sm.DeleteSecret(e.ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("missing")})
	require.ErrorAs(t, err, &notFound)

	var invalid *types.InvalidParameterException
	for name, in := range map[string]*secretsmanager.CreateSecretInput{
		"both values":   {Name: aws.String("both"), SecretString: aws.String("hunter2"), SecretBinary: []byte("hunter2")},
		"bad name":      {Name: aws.String("no spaces"), SecretString: aws.String("hunter2")},
		"short token":   {Name: aws.String("short"), SecretString: aws.String("hunter2"), ClientRequestToken: aws.String("abc")},
		"value too big": {Name: aws.String("big"), SecretString: aws.String(strings.Repeat("hunter2", 10000))},
	} {
		_, err := e.sm.CreateSecret(e.ctx, in)
		require.ErrorAs(t, err, &invalid, name)
		assert.NotContains(t, invalid.ErrorMessage(), "hunter2", "no value in an error message")
	}
	_, err = e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("ok"), SecretString: aws.String("hunter2")})
	require.NoError(t, err)
	_, err = e.sm.PutSecretValue(e.ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("ok")})
	require.ErrorAs(t, err, &invalid, "a new version needs a value")
}

func TestDeleteSecret(t *testing.T) {
	e := newEnv(t)
	create := func(name string) string {
		t.Helper()
		out, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String(name), SecretString: aws.String("value-" + name)})
		require.NoError(t, err)
		return aws.ToString(out.ARN)
	}
	arn := create("scheduled")
	create("forced")

	var invalid *types.InvalidParameterException
	_, err := e.sm.DeleteSecret(e.ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("scheduled"), RecoveryWindowInDays: aws.Int64(3)})
	require.ErrorAs(t, err, &invalid)
	_, err = e.sm.DeleteSecret(e.ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("scheduled"),
		RecoveryWindowInDays: aws.Int64(7), ForceDeleteWithoutRecovery: aws.Bool(true)})
	require.ErrorAs(t, err, &invalid)

	now := time.Now()
	del, err := e.sm.DeleteSecret(e.ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String(arn), RecoveryWindowInDays: aws.Int64(7)})
	require.NoError(t, err)
	assert.Equal(t, arn, aws.ToString(del.ARN))
	assert.WithinDuration(t, now.Add(7*24*time.Hour), aws.ToTime(del.DeletionDate), time.Minute)

	var request *types.InvalidRequestException
	_, err = e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("scheduled")})
	require.ErrorAs(t, err, &request)
	assert.Contains(t, request.ErrorMessage(), "marked for deletion")
	_, err = e.sm.PutSecretValue(e.ctx, &secretsmanager.PutSecretValueInput{SecretId: aws.String("scheduled"), SecretString: aws.String("x")})
	require.ErrorAs(t, err, &request)
	_, err = e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{Name: aws.String("scheduled"), SecretString: aws.String("x")})
	require.ErrorAs(t, err, &request)
	_, err = e.sm.DeleteSecret(e.ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("scheduled")})
	require.ErrorAs(t, err, &request, "already scheduled")
	d, err := e.sm.DescribeSecret(e.ctx, &secretsmanager.DescribeSecretInput{SecretId: aws.String("scheduled")})
	require.NoError(t, err)
	assert.NotNil(t, d.DeletedDate)

	names := func(include bool) []string {
		out, err := e.sm.ListSecrets(e.ctx, &secretsmanager.ListSecretsInput{IncludePlannedDeletion: aws.Bool(include)})
		require.NoError(t, err)
		var ns []string
		for _, s := range out.SecretList {
			ns = append(ns, aws.ToString(s.Name))
		}
		return ns
	}
	assert.Equal(t, []string{"forced"}, names(false))
	assert.Equal(t, []string{"forced", "scheduled"}, names(true))

	_, err = e.sm.DeleteSecret(e.ctx, &secretsmanager.DeleteSecretInput{SecretId: aws.String("forced"), ForceDeleteWithoutRecovery: aws.Bool(true)})
	require.NoError(t, err)
	var notFound *types.ResourceNotFoundException
	_, err = e.sm.GetSecretValue(e.ctx, &secretsmanager.GetSecretValueInput{SecretId: aws.String("forced")})
	require.ErrorAs(t, err, &notFound, "forced: gone at once")
	create("forced") // and the name is free again
}

func TestListSecretsPagesAndFilters(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"prod/b", "prod/a", "dev/x", "prod/c", "dev/y"} {
		_, err := e.sm.CreateSecret(e.ctx, &secretsmanager.CreateSecretInput{
			Name: aws.String(name), SecretString: aws.String("value of " + name),
			Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String(strings.Split(name, "/")[0])}},
		})
		require.NoError(t, err)
	}
	list := func(in *secretsmanager.ListSecretsInput) (names []string, pages int) {
		t.Helper()
		p := secretsmanager.NewListSecretsPaginator(e.sm, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			require.NoError(t, err)
			pages++
			for _, s := range out.SecretList {
				names = append(names, aws.ToString(s.Name))
				assert.NotEmpty(t, s.SecretVersionsToStages)
				assert.NotNil(t, s.CreatedDate)
			}
		}
		return names, pages
	}
	names, pages := list(&secretsmanager.ListSecretsInput{MaxResults: aws.Int32(2)})
	assert.Equal(t, []string{"dev/x", "dev/y", "prod/a", "prod/b", "prod/c"}, names)
	assert.Equal(t, 3, pages)

	names, _ = list(&secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeName, Values: []string{"prod/"}}}})
	assert.Equal(t, []string{"prod/a", "prod/b", "prod/c"}, names)
	names, _ = list(&secretsmanager.ListSecretsInput{Filters: []types.Filter{{Key: types.FilterNameStringTypeTagValue, Values: []string{"!prod"}}}})
	assert.Equal(t, []string{"dev/x", "dev/y"}, names)
	names, _ = list(&secretsmanager.ListSecretsInput{SortOrder: types.SortOrderTypeDesc, MaxResults: aws.Int32(4)})
	assert.Equal(t, []string{"prod/c", "prod/b", "prod/a", "dev/y", "dev/x"}, names)

	_, err := e.sm.ListSecrets(e.ctx, &secretsmanager.ListSecretsInput{NextToken: aws.String("garbage")})
	var badToken *types.InvalidNextTokenException
	require.ErrorAs(t, err, &badToken)
	_, err = e.sm.ListSecrets(e.ctx, &secretsmanager.ListSecretsInput{MaxResults: aws.Int32(101)})
	var invalid *types.InvalidParameterException
	require.ErrorAs(t, err, &invalid)
}
