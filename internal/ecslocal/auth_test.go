package ecslocal_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestBadlySignedRequestsAreRejected(t *testing.T) {
	e := newEnv(t, ecslocal.Options{AccessKeyID: "AKIAECSLOCALTEST0001", SecretAccessKey: "the-right-secret"})
	marker := t.TempDir() + "/ran"
	e.register("marker", container("app", "touch", marker))
	run := &ecs.RunTaskInput{TaskDefinition: aws.String("marker")}

	with := func(id, secret, region string) aws.Config {
		cfg := e.cfg.Copy()
		cfg.Credentials = credentials.NewStaticCredentialsProvider(id, secret, "")
		cfg.Region = region
		return cfg
	}
	wrongSecret := with("AKIAECSLOCALTEST0001", "a-wrong-secret", "us-east-1")
	wrongKey := with("AKIAUNKNOWN000000000", "the-right-secret", "us-east-1")
	wrongRegion := with("AKIAECSLOCALTEST0001", "the-right-secret", "eu-west-1")

	_, err := ecs.NewFromConfig(wrongSecret).RunTask(e.ctx, run)
	assertWireError(t, err, "InvalidSignatureException", http.StatusForbidden)
	_, err = ecs.NewFromConfig(wrongKey).RunTask(e.ctx, run)
	assertWireError(t, err, "UnrecognizedClientException", http.StatusBadRequest)
	_, err = ecs.NewFromConfig(wrongRegion).RunTask(e.ctx, run)
	assertWireError(t, err, "InvalidSignatureException", http.StatusForbidden)
	assert.ErrorContains(t, err, "eu-west-1")

	_, err = ec2.NewFromConfig(wrongSecret).DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{})
	assertWireError(t, err, "SignatureDoesNotMatch", http.StatusForbidden)
	_, err = ec2.NewFromConfig(wrongKey).DescribeSubnets(e.ctx, &ec2.DescribeSubnetsInput{})
	assertWireError(t, err, "AuthFailure", http.StatusUnauthorized)
	_, err = cloudwatchlogs.NewFromConfig(wrongSecret).DescribeLogGroups(e.ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	assertWireError(t, err, "InvalidSignatureException", http.StatusForbidden)

	// A request signed correctly whose body was changed afterwards.
	body, _ := json.Marshal(map[string]string{"taskDefinition": "marker"})
	req := signedRequest(t, e, "ecs", "AmazonEC2ContainerServiceV20141113.RunTask", body)
	req.Body = io.NopCloser(bytes.NewReader(append(body[:len(body)-1:len(body)-1], []byte(`,"count":2}`)...)))
	req.ContentLength = -1
	assertRawError(t, req, http.StatusForbidden, "InvalidSignatureException")

	// A request with no signature at all.
	req, err = http.NewRequest(http.MethodPost, *e.cfg.BaseEndpoint, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.RunTask")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	assertRawError(t, req, http.StatusForbidden, "MissingAuthenticationTokenException")

	// The same request, correctly signed, is accepted: the check above was
	// about the signature only.
	req = signedRequest(t, e, "ecs", "AmazonEC2ContainerServiceV20141113.ListTasks", []byte(`{}`))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	assert.Empty(t, e.allTasks(), "no rejected request launched a task")
	assert.NoFileExists(t, marker)
	assert.NotContains(t, e.srv.Stats(), "ecs:RunTask", "rejected requests are not counted as operations")
}

// signedRequest returns an awsJson1_1 request signed with the server's
// credentials.
func signedRequest(t *testing.T, e *env, service, target string, body []byte) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, *e.cfg.BaseEndpoint, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", target)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	sum := sha256.Sum256(body)
	err = v4.NewSigner().SignHTTP(context.Background(), e.srv.Credentials(), req, hex.EncodeToString(sum[:]), service, e.srv.Region(), time.Now())
	require.NoError(t, err)
	return req
}

func assertRawError(t *testing.T, req *http.Request, status int, code string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, status, resp.StatusCode)
	assert.Equal(t, code, resp.Header.Get("X-Amzn-Errortype"))
}

func TestGeneratedCredentials(t *testing.T) {
	srv := ecslocal.New(ecslocal.Options{})
	t.Cleanup(func() { _ = srv.Close() })
	creds := srv.Credentials()
	assert.Regexp(t, `^AKIA[A-Z2-7]{16}$`, creds.AccessKeyID)
	assert.Len(t, creds.SecretAccessKey, 40)
	other := ecslocal.New(ecslocal.Options{})
	t.Cleanup(func() { _ = other.Close() })
	assert.NotEqual(t, creds, other.Credentials())
}
