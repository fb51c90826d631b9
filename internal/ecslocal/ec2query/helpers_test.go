package ec2query

import (
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
)

// newTestClient serves s over HTTP and returns a real EC2 client for it.
func newTestClient(t testing.TB, s *Store) *ec2.Client {
	t.Helper()
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  srv.Client(),
		Retryer:     retryer,
	}
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(srv.URL) })
}

func newTestStore(t testing.TB, opts Options) (*Store, *ec2.Client) {
	t.Helper()
	if opts.Region == "" {
		opts.Region = "eu-west-1"
	}
	if opts.AccountID == "" {
		opts.AccountID = "123456789012"
	}
	s := New(opts)
	return s, newTestClient(t, s)
}

// retryer is the SDK's standard retryer without its client-side retry
// quota: under the race detector's slowdown the SDK occasionally loses a
// response body mid-read ("use of closed network connection"), which the
// standard retryer retries as a real client would.
func retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
}
