// Package ecslocaltest starts an ecslocal server for a test and returns the
// aws.Config that points the real aws-sdk-go-v2 clients at it:
//
//	srv, cfg := ecslocaltest.Start(t, ecslocal.Options{StopTimeout: 2 * time.Second})
//	client := ecs.NewFromConfig(cfg)
package ecslocaltest

import (
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// MaxBackoff is the longest the returned config's retryer waits between
// attempts, so that tests of retries stay fast.
const MaxBackoff = 50 * time.Millisecond

// Start starts an ecslocal server on a free loopback port and returns it
// with an aws.Config for it: the server's static credentials and region,
// BaseEndpoint set to its URL, and the SDK's standard retryer with short
// backoffs and no client-side retry quota. t.Cleanup closes the server
// (stopping every task's processes) and the config's idle connections.
func Start(t testing.TB, opts ecslocal.Options) (*ecslocal.Server, aws.Config) {
	t.Helper()
	srv := ecslocal.New(opts)
	endpoint, err := srv.Start("")
	if err != nil {
		t.Fatalf("ecslocaltest: %v", err)
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 64 // tests often call from many goroutines
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("ecslocaltest: closing the server: %v", err)
		}
		transport.CloseIdleConnections()
	})
	return srv, Config(srv, endpoint, &http.Client{Transport: transport})
}

// Config returns an aws.Config for a server reachable at endpoint, using
// httpClient (the SDK's default when nil).
func Config(srv *ecslocal.Server, endpoint string, httpClient aws.HTTPClient) aws.Config {
	creds := srv.Credentials()
	cfg := aws.Config{
		Region:       srv.Region(),
		Credentials:  credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, ""),
		BaseEndpoint: aws.String(endpoint),
		Retryer: func() aws.Retryer {
			return retry.NewStandard(func(o *retry.StandardOptions) {
				o.MaxBackoff = MaxBackoff
				o.RateLimiter = ratelimit.None
			})
		},
	}
	if httpClient != nil {
		cfg.HTTPClient = httpClient
	}
	return cfg
}
