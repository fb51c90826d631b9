package activities

import (
	"context"
	"math/rand/v2"
	"time"
)

// backoff bounds an in-activity retry: at most attempts calls, the n-th
// wait being delay·2^(n-1) with equal jitter (half fixed, half random), so
// that workers retrying together spread out.
type backoff struct {
	attempts int
	delay    time.Duration
}

// wait blocks before retry number n (1-based) or until ctx is done.
func (b backoff) wait(ctx context.Context, n int) error {
	d := b.delay << min(n-1, 16)
	if d > 0 {
		d = d/2 + rand.N(d/2+1)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// do calls fn until it succeeds, returns an error that retryable rejects,
// or the attempts are spent; it returns fn's last error.
func (b backoff) do(ctx context.Context, retryable func(error) bool, fn func(attempt int) error) error {
	attempts := max(b.attempts, 1)
	var err error
	for n := 1; ; n++ {
		if err = fn(n); err == nil || !retryable(err) || n >= attempts {
			return err
		}
		if werr := b.wait(ctx, n); werr != nil {
			return err
		}
	}
}
