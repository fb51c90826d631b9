package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// The starter's own GetLogEvents budget: a share of CloudWatch's quota of
// 25 calls a second per account and region, which the workers draw on too;
// it halves when CloudWatch throttles.
const (
	starterLogsPerSecond = 5
	starterLogsBurst     = 5
)

// starterIdleMax is the longest interval between two reads of a followed
// stream that has stayed empty: the starter backs off as the worker does,
// but less, since someone is watching.
const starterIdleMax = 10 * time.Second

// logPrinter prints a container's CloudWatch log lines to stdout, each
// once and in order: it keeps one tailer, and so one cursor, per stream,
// whatever happens to the workers. It reads them with the starter's own
// AWS configuration (the default credential chain: AWS_PROFILE,
// AWS_ENDPOINT_URL, ...).
type logPrinter struct {
	c       *cli
	clients map[string]activities.LogsAPI // by region
	tailers map[string]*activities.LogTailer
	warned  map[string]bool
	budget  *activities.LogBudget
	// every is how often print is called (the follower's poll); reads are
	// paced from it, and the final drain reads that often while it waits
	// (defaultPoll when zero). Zero reads at every call of print.
	every time.Duration
	// grace and retryFor configure the final drain (activities'
	// DefaultLogGrace and DefaultLogDrainRetry when zero); retryDelay is
	// its first backoff.
	grace, retryFor, retryDelay time.Duration
	// newClient builds the Logs client of a region; nil means the
	// default AWS configuration.
	newClient func(ctx context.Context, region string) (activities.LogsAPI, error)
}

func newLogPrinter(c *cli) *logPrinter {
	return &logPrinter{
		c:         c,
		clients:   map[string]activities.LogsAPI{},
		tailers:   map[string]*activities.LogTailer{},
		warned:    map[string]bool{},
		budget:    activities.NewLogBudget(starterLogsPerSecond, starterLogsBurst),
		newClient: defaultLogsClient,
	}
}

func defaultLogsClient(ctx context.Context, region string) (activities.LogsAPI, error) {
	var opts []func(*awsconfig.LoadOptions) error
	if region != "" {
		opts = append(opts, awsconfig.WithRegion(region))
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("AWS configuration: %w", err)
	}
	return cloudwatchlogs.NewFromConfig(cfg), nil
}

// tailer returns the tailer of group/stream, nil (with a warning) when no
// client can be built.
func (p *logPrinter) tailer(ctx context.Context, region, group, stream string) *activities.LogTailer {
	key := region + "\x00" + group + "\x00" + stream
	if t, ok := p.tailers[key]; ok {
		return t
	}
	api, ok := p.clients[region]
	if !ok {
		var err error
		if api, err = p.newClient(ctx, region); err != nil {
			p.warn(err)
			return nil
		}
		p.clients[region] = api
	}
	t := activities.NewLogTailer(api, group, stream, activities.LogTailerOptions{
		Budget: p.budget, PollEvery: p.every, IdleMax: starterIdleMax,
	})
	p.tailers[key] = t
	return t
}

// print prints the lines of group/stream written since the last read, page
// by page; while the stream stays empty, reads are spaced out (up to
// starterIdleMax). Errors are reported once each and do not stop the
// caller; throttling is not reported (the budget slows down, and the next
// call reads on).
func (p *logPrinter) print(ctx context.Context, region, group, stream string) {
	t := p.tailer(ctx, region, group, stream)
	if t == nil {
		return
	}
	_, err := t.Poll(ctx, p.write)
	if err != nil && ctx.Err() == nil && !throttled(err) {
		p.warn(fmt.Errorf("reading logs %s/%s: %w", group, stream, err))
	}
}

// drain prints every line of group/stream not printed yet: to the end of
// the stream, retrying throttling and failures that may pass, then on
// until the stream has been quiet for grace (zero: at once), or, when
// want >= 0, until want lines in all were read (the worker read that many
// and saw the stream end). An output it could not read completely is
// reported.
func (p *logPrinter) drain(ctx context.Context, region, group, stream string, want int64, grace time.Duration) {
	t := p.tailer(ctx, region, group, stream)
	if t == nil {
		return
	}
	interval := p.every
	if interval <= 0 {
		interval = defaultPoll
	}
	opts := activities.DrainOptions{Grace: grace, Interval: interval, RetryFor: p.retryFor, RetryDelay: p.retryDelay}
	if want >= 0 {
		opts.Done = func(c activities.LogCursor) bool { return c.Events >= want }
	}
	res, err := t.Drain(ctx, opts, p.write)
	if err == nil && !res.Complete {
		p.warn(fmt.Errorf("the output of %s/%s may be incomplete: %s", group, stream, res.Reason))
	}
}

// finalGrace is the drain's grace period: how long to read on for lines
// CloudWatch makes readable late.
func (p *logPrinter) finalGrace() time.Duration {
	if p.grace > 0 {
		return p.grace
	}
	return activities.DefaultLogGrace
}

// write prints the events, one line each.
func (p *logPrinter) write(events []activities.LogEvent) {
	for _, ev := range events {
		msg := ev.Message
		if !strings.HasSuffix(msg, "\n") {
			msg += "\n"
		}
		fmt.Fprint(p.c.stdout, msg)
	}
}

func (p *logPrinter) warn(err error) {
	if msg := err.Error(); !p.warned[msg] {
		p.warned[msg] = true
		fmt.Fprintf(p.c.stderr, "starter: warning: %s\n", msg)
	}
}

// throttled reports whether err is CloudWatch's throttling, as the SDK's
// retryer tells it.
func throttled(err error) bool {
	return retry.IsErrorThrottles(retry.DefaultThrottles).IsErrorThrottle(err) == aws.TrueTernary
}
