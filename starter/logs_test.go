package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// fakeLogs is a stream whose events the test appends; token "n" means
// "after n events".
type fakeLogs struct {
	events []string
	err    error
}

func (f *fakeLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	if f.err != nil {
		return nil, f.err
	}
	from := 0
	if in.NextToken != nil {
		from = len(*in.NextToken) - 1
	}
	out := &cloudwatchlogs.GetLogEventsOutput{NextForwardToken: aws.String("t" + strings.Repeat("x", len(f.events)))}
	for i, m := range f.events[from:] {
		out.Events = append(out.Events, cwtypes.OutputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(int64(from + i + 1))})
	}
	return out, nil
}

func TestLogPrinterPrintsEachLineOnce(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	api := &fakeLogs{events: []string{"one", "two\n"}}
	var regions []string
	p := newLogPrinter(c)
	p.newClient = func(_ context.Context, region string) (activities.LogsAPI, error) {
		regions = append(regions, region)
		return api, nil
	}
	ctx := context.Background()
	p.print(ctx, "eu-west-1", "g", "s")
	api.events = append(api.events, "three")
	p.print(ctx, "eu-west-1", "g", "s")
	p.print(ctx, "eu-west-1", "g", "s")
	assert.Equal(t, "one\ntwo\nthree\n", stdout.String())
	assert.Equal(t, []string{"eu-west-1"}, regions, "one client per region")

	api.err = errors.New("AccessDenied")
	p.print(ctx, "eu-west-1", "g", "s")
	p.print(ctx, "eu-west-1", "g", "s")
	assert.Equal(t, 1, strings.Count(stderr.String(), "AccessDenied"), "an error is reported once")
}
