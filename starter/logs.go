package main

import (
	"context"
	"fmt"
	"strings"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// logPrinter prints a container's CloudWatch log lines to stdout as they
// arrive, reading them with the starter's own AWS configuration (the
// default credential chain: AWS_PROFILE, AWS_ENDPOINT_URL, ...).
type logPrinter struct {
	c       *cli
	clients map[string]activities.LogsAPI // by region
	tailers map[string]*activities.LogTailer
	warned  map[string]bool
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

// print prints the lines of group/stream written since the last call.
// Errors are reported once each and do not stop the caller.
func (p *logPrinter) print(ctx context.Context, region, group, stream string) {
	key := region + "\x00" + group + "\x00" + stream
	t, ok := p.tailers[key]
	if !ok {
		api, ok := p.clients[region]
		if !ok {
			var err error
			if api, err = p.newClient(ctx, region); err != nil {
				p.warn(err)
				return
			}
			p.clients[region] = api
		}
		t = activities.NewLogTailer(api, group, stream, activities.LogTailerOptions{})
		p.tailers[key] = t
	}
	events, err := t.Next(ctx)
	for _, ev := range events {
		msg := ev.Message
		if !strings.HasSuffix(msg, "\n") {
			msg += "\n"
		}
		fmt.Fprint(p.c.stdout, msg)
	}
	if err != nil && ctx.Err() == nil {
		p.warn(fmt.Errorf("reading logs %s/%s: %w", group, stream, err))
	}
}

func (p *logPrinter) warn(err error) {
	if msg := err.Error(); !p.warned[msg] {
		p.warned[msg] = true
		fmt.Fprintf(p.c.stderr, "starter: warning: %s\n", msg)
	}
}
