package cwlogs

import (
	"context"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// t0 is where the test clocks start.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a settable clock for Store.now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestStore returns a Store on a fake clock, served over HTTP, and a
// real CloudWatch Logs client pointed at it.
func newTestStore(t testing.TB) (*Store, *fakeClock, *cloudwatchlogs.Client) {
	t.Helper()
	clock := &fakeClock{t: t0}
	s := New(Options{Region: "eu-west-1", AccountID: "123456789012"})
	s.SetClock(clock.Now)
	srv := httptest.NewServer(awsproto.JSONHandler(TargetPrefix, s.Dispatch))
	t.Cleanup(srv.Close)
	cfg := aws.Config{
		Region:      "eu-west-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		HTTPClient:  srv.Client(),
		Retryer:     retryer,
	}
	client := cloudwatchlogs.NewFromConfig(cfg, func(o *cloudwatchlogs.Options) {
		o.BaseEndpoint = aws.String(srv.URL)
	})
	return s, clock, client
}

// ms returns t as epoch milliseconds.
func ms(t time.Time) int64 { return t.UnixMilli() }

// messages returns the messages of events.
func messages(events []types.OutputLogEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = aws.ToString(e.Message)
	}
	return out
}

// mustCreate creates a group and a stream through the client.
func mustCreate(t testing.TB, c *cloudwatchlogs.Client, group string, streams ...string) {
	t.Helper()
	ctx := context.Background()
	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(group)})
	require.NoError(t, err)
	for _, st := range streams {
		_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
			LogGroupName: aws.String(group), LogStreamName: aws.String(st)})
		require.NoError(t, err)
	}
}

// appendN appends n events "<prefix><i>" one millisecond apart from start.
func appendN(t testing.TB, s *Store, group, stream, prefix string, start time.Time, n int) {
	t.Helper()
	for i := range n {
		require.NoError(t, s.Append(group, stream, start.Add(time.Duration(i)*time.Millisecond), prefix+strconv.Itoa(i)))
	}
}

// retryer is the SDK's standard retryer without its client-side retry
// quota: under the race detector's slowdown the SDK occasionally loses a
// response body mid-read ("use of closed network connection"), which the
// standard retryer retries as a real client would.
func retryer() aws.Retryer {
	return retry.NewStandard(func(o *retry.StandardOptions) { o.RateLimiter = ratelimit.None })
}
