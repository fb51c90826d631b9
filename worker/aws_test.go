package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The AWS configuration's HTTP client gives up on a connection that does
// not connect, handshake or answer, yet sets no deadline on a whole call.
func TestLoadAWSHTTPClientTimeouts(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(dir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(dir, "credentials"))
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_DEFAULTS_MODE", "")
	cfg, stop, err := loadAWS(t.Context(), &config{}, slog.New(slog.DiscardHandler), env(nil))
	require.NoError(t, err)
	defer stop()

	client, ok := cfg.HTTPClient.(*awshttp.BuildableClient)
	require.True(t, ok, "HTTP client is a %T", cfg.HTTPClient)
	assert.Equal(t, 10*time.Second, client.GetDialer().Timeout, "dial")
	tr := client.GetTransport()
	assert.Equal(t, 10*time.Second, tr.TLSHandshakeTimeout, "TLS handshake")
	assert.Equal(t, 30*time.Second, tr.ResponseHeaderTimeout, "response header")
	assert.Zero(t, client.GetTimeout(), "no overall request timeout: bodies are unbounded")
}

// An AWS call to an endpoint that accepts the connection and never answers
// fails once the response-header timeout has passed.
func TestAWSHTTPClientGivesUpOnSilentEndpoint(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var conns sync.WaitGroup
	t.Cleanup(func() {
		_ = ln.Close()
		conns.Wait()
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Go(func() {
				_, _ = io.Copy(io.Discard, c) // read the request, never answer
				_ = c.Close()
			})
		}
	}()

	client := ecs.New(ecs.Options{
		Region:           "us-east-1",
		BaseEndpoint:     aws.String("http://" + ln.Addr().String()),
		Credentials:      credentials.NewStaticCredentialsProvider("AKID", "SECRET", ""),
		HTTPClient:       newAWSHTTPClient(awsHTTPTimeouts{dial: time.Second, tlsHandshake: time.Second, responseHeader: 50 * time.Millisecond}),
		RetryMaxAttempts: 1,
	})
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute) // backstop only
	defer cancel()
	_, err = client.ListClusters(ctx, &ecs.ListClustersInput{})
	require.Error(t, err)
	require.NoError(t, ctx.Err(), "the call hung until the test's backstop")
	var netErr net.Error
	require.True(t, errors.As(err, &netErr), "%v", err)
	assert.True(t, netErr.Timeout(), "%v", err)
}
