package secrets_test

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func (e *env) put(t *testing.T, name, value string, typ types.ParameterType, overwrite bool) int64 {
	t.Helper()
	out, err := e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{
		Name: aws.String(name), Value: aws.String(value), Type: typ, Overwrite: aws.Bool(overwrite),
	})
	require.NoError(t, err)
	assert.Equal(t, types.ParameterTierStandard, out.Tier)
	return out.Version
}

func (e *env) get(t *testing.T, name string, decrypt bool) *types.Parameter {
	t.Helper()
	out, err := e.ssm.GetParameter(e.ctx, &ssm.GetParameterInput{Name: aws.String(name), WithDecryption: aws.Bool(decrypt)})
	require.NoError(t, err, name)
	return out.Parameter
}

func TestPutAndGetParameterVersions(t *testing.T) {
	e := newEnv(t)
	assert.Equal(t, int64(1), e.put(t, "/app/url", "https://v1", types.ParameterTypeString, false))

	_, err := e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("https://v2"), Type: types.ParameterTypeString})
	var exists *types.ParameterAlreadyExists
	require.ErrorAs(t, err, &exists)
	assert.NotContains(t, exists.ErrorMessage(), "https://")

	// Overwrite without a type keeps the type.
	out, err := e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("/app/url"), Value: aws.String("https://v2"), Overwrite: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, int64(2), out.Version)

	p := e.get(t, "/app/url", false)
	assert.Equal(t, "/app/url", aws.ToString(p.Name))
	assert.Equal(t, "https://v2", aws.ToString(p.Value))
	assert.Equal(t, types.ParameterTypeString, p.Type)
	assert.Equal(t, int64(2), p.Version)
	assert.Equal(t, "arn:aws:ssm:us-east-1:000000000000:parameter/app/url", aws.ToString(p.ARN))
	assert.Equal(t, "text", aws.ToString(p.DataType))
	assert.NotNil(t, p.LastModifiedDate)
	assert.Nil(t, p.Selector)

	v1 := e.get(t, "/app/url:1", false)
	assert.Equal(t, "https://v1", aws.ToString(v1.Value))
	assert.Equal(t, int64(1), v1.Version)
	assert.Equal(t, ":1", aws.ToString(v1.Selector))
	assert.Equal(t, "https://v2", aws.ToString(e.get(t, "arn:aws:ssm:us-east-1:000000000000:parameter/app/url", false).Value))
	assert.Equal(t, "https://v1", aws.ToString(e.get(t, "arn:aws:ssm:us-east-1:000000000000:parameter/app/url:1", false).Value))

	_, err = e.ssm.GetParameter(e.ctx, &ssm.GetParameterInput{Name: aws.String("/app/url:9")})
	var noVersion *types.ParameterVersionNotFound
	require.ErrorAs(t, err, &noVersion)

	// A name without a hierarchy, and its ARN.
	e.put(t, "flat", "a,b,c", types.ParameterTypeStringList, false)
	flat := e.get(t, "arn:aws:ssm:us-east-1:000000000000:parameter/flat", false)
	assert.Equal(t, "flat", aws.ToString(flat.Name))
	assert.Equal(t, "a,b,c", aws.ToString(flat.Value))
	assert.Equal(t, types.ParameterTypeStringList, flat.Type)
}

func TestSecureStringNeedsDecryption(t *testing.T) {
	e := newEnv(t)
	const plain = "sk_live_abcdef123456"
	e.put(t, "/app/api-key", plain, types.ParameterTypeSecureString, false)

	enc := e.get(t, "/app/api-key", false)
	assert.Equal(t, types.ParameterTypeSecureString, enc.Type)
	assert.NotContains(t, aws.ToString(enc.Value), plain)
	blob, err := base64.StdEncoding.DecodeString(aws.ToString(enc.Value))
	require.NoError(t, err, "without WithDecryption: a base64 blob standing in for the KMS ciphertext")
	assert.NotContains(t, string(blob), plain)
	assert.Equal(t, aws.ToString(enc.Value), aws.ToString(e.get(t, "/app/api-key", false).Value), "the same blob each time")

	assert.Equal(t, plain, aws.ToString(e.get(t, "/app/api-key", true).Value))

	out, err := e.ssm.GetParameters(e.ctx, &ssm.GetParametersInput{Names: []string{"/app/api-key"}, WithDecryption: aws.Bool(true)})
	require.NoError(t, err)
	require.Len(t, out.Parameters, 1)
	assert.Equal(t, plain, aws.ToString(out.Parameters[0].Value))

	_, err = e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("/app/plain"), Value: aws.String("x"),
		Type: types.ParameterTypeString, KeyId: aws.String("alias/mine")})
	var validation *types.ValidationException
	require.ErrorAs(t, err, &validation, "KeyId is for SecureString only")
}

func TestGetParametersReportsInvalidOnes(t *testing.T) {
	e := newEnv(t)
	e.put(t, "/a", "1", types.ParameterTypeString, false)
	e.put(t, "/b", "2", types.ParameterTypeString, false)
	out, err := e.ssm.GetParameters(e.ctx, &ssm.GetParametersInput{Names: []string{"/a", "/missing", "/b:1", "/b:2", "nope"}})
	require.NoError(t, err)
	var got []string
	for _, p := range out.Parameters {
		got = append(got, aws.ToString(p.Name)+"="+aws.ToString(p.Value))
	}
	assert.Equal(t, []string{"/a=1", "/b=2"}, got)
	assert.Equal(t, []string{"/missing", "/b:2", "nope"}, out.InvalidParameters)

	_, err = e.ssm.GetParameters(e.ctx, &ssm.GetParametersInput{Names: strings.Split("a,b,c,d,e,f,g,h,i,j,k", ",")})
	var validation *types.ValidationException
	require.ErrorAs(t, err, &validation, "at most 10 names")
}

func TestGetParametersByPath(t *testing.T) {
	e := newEnv(t)
	for _, name := range []string{"/app/b", "/app/a", "/app/sub/c", "/app/sub/deep/d", "/other/x", "/apps/y"} {
		e.put(t, name, "value of "+name, types.ParameterTypeString, false)
	}
	e.put(t, "/app/secret", "hidden", types.ParameterTypeSecureString, false)
	byPath := func(in *ssm.GetParametersByPathInput) (names []string, pages int) {
		t.Helper()
		p := ssm.NewGetParametersByPathPaginator(e.ssm, in)
		for p.HasMorePages() {
			out, err := p.NextPage(e.ctx)
			require.NoError(t, err)
			pages++
			for _, par := range out.Parameters {
				if par.Type == types.ParameterTypeSecureString {
					names = append(names, aws.ToString(par.Name)+"="+aws.ToString(par.Value))
					continue
				}
				names = append(names, aws.ToString(par.Name))
			}
		}
		return names, pages
	}
	names, _ := byPath(&ssm.GetParametersByPathInput{Path: aws.String("/app"), WithDecryption: aws.Bool(true)})
	assert.Equal(t, []string{"/app/a", "/app/b", "/app/secret=hidden"}, names)
	names, pages := byPath(&ssm.GetParametersByPathInput{Path: aws.String("/app/"), Recursive: aws.Bool(true), MaxResults: aws.Int32(2)})
	require.Len(t, names, 5)
	assert.Equal(t, []string{"/app/a", "/app/b"}, names[:2])
	assert.NotEqual(t, "/app/secret=hidden", names[2], "no plaintext without WithDecryption")
	assert.Equal(t, []string{"/app/sub/c", "/app/sub/deep/d"}, names[3:])
	assert.Equal(t, 3, pages)

	_, err := e.ssm.GetParametersByPath(e.ctx, &ssm.GetParametersByPathInput{Path: aws.String("app")})
	var validation *types.ValidationException
	require.ErrorAs(t, err, &validation)
	_, err = e.ssm.GetParametersByPath(e.ctx, &ssm.GetParametersByPathInput{Path: aws.String("/app"), NextToken: aws.String("garbage")})
	var badToken *types.InvalidNextToken
	require.ErrorAs(t, err, &badToken)
}

func TestDeleteParameterAndValidation(t *testing.T) {
	e := newEnv(t)
	e.put(t, "/gone", "x", types.ParameterTypeString, false)
	_, err := e.ssm.DeleteParameter(e.ctx, &ssm.DeleteParameterInput{Name: aws.String("/gone")})
	require.NoError(t, err)
	var notFound *types.ParameterNotFound
	_, err = e.ssm.GetParameter(e.ctx, &ssm.GetParameterInput{Name: aws.String("/gone")})
	require.ErrorAs(t, err, &notFound)
	_, err = e.ssm.DeleteParameter(e.ctx, &ssm.DeleteParameterInput{Name: aws.String("/gone")})
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, int64(1), e.put(t, "/gone", "again", types.ParameterTypeString, false), "versions start over")

	var validation *types.ValidationException
	for name, in := range map[string]*ssm.PutParameterInput{
		"no type":           {Name: aws.String("/new"), Value: aws.String("hunter2")},
		"relative path":     {Name: aws.String("a/b"), Value: aws.String("hunter2"), Type: types.ParameterTypeString},
		"reserved prefix":   {Name: aws.String("/aws/x"), Value: aws.String("hunter2"), Type: types.ParameterTypeString},
		"pattern mismatch":  {Name: aws.String("/p"), Value: aws.String("hunter2"), Type: types.ParameterTypeString, AllowedPattern: aws.String(`\d+`)},
		"tags on overwrite": {Name: aws.String("/gone"), Value: aws.String("hunter2"), Overwrite: aws.Bool(true), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}},
		"too long":          {Name: aws.String("/big"), Value: aws.String(strings.Repeat("hunter2", 700)), Type: types.ParameterTypeSecureString},
	} {
		_, err := e.ssm.PutParameter(e.ctx, in)
		require.ErrorAs(t, err, &validation, name)
		assert.NotContains(t, validation.ErrorMessage(), "hunter2", "no value in an error message")
	}
	_, err = e.ssm.PutParameter(e.ctx, &ssm.PutParameterInput{Name: aws.String("/advanced"), Value: aws.String(strings.Repeat("x", 5000)),
		Type: types.ParameterTypeString, Tier: types.ParameterTierAdvanced})
	require.NoError(t, err)
}
