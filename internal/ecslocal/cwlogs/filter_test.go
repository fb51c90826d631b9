package cwlogs

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// filterAll pages through FilterLogEvents and returns "stream: message"
// for every event.
func filterAll(t *testing.T, c *cloudwatchlogs.Client, in *cloudwatchlogs.FilterLogEventsInput) []string {
	t.Helper()
	var got []string
	ids := map[string]bool{}
	p := cloudwatchlogs.NewFilterLogEventsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		if in.Limit != nil {
			require.LessOrEqual(t, len(page.Events), int(*in.Limit))
		}
		for _, e := range page.Events {
			got = append(got, aws.ToString(e.LogStreamName)+": "+aws.ToString(e.Message))
			id := aws.ToString(e.EventId)
			require.False(t, ids[id], "event id %s repeated", id)
			ids[id] = true
			require.NotZero(t, aws.ToInt64(e.IngestionTime))
		}
	}
	return got
}

func TestFilterLogEventsAcrossStreams(t *testing.T) {
	s, _, c := newTestStore(t)
	mustCreate(t, c, "g")
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	for _, e := range []struct {
		stream string
		sec    int
		msg    string
	}{
		{"app/a", 1, "INFO start"},
		{"app/a", 4, "ERROR disk full"},
		{"app/a", 6, "INFO done"},
		{"app/b", 2, "WARN slow disk"},
		{"app/b", 4, "ERROR timeout"},
		{"other", 3, "DEBUG noise"},
		{"other", 5, "ERROR other"},
	} {
		require.NoError(t, s.Append("g", e.stream, at(e.sec), e.msg))
	}
	g := aws.String("g")

	// Events of all streams interleave by timestamp, then stream name.
	assert.Equal(t, []string{
		"app/a: INFO start", "app/b: WARN slow disk", "other: DEBUG noise", "app/a: ERROR disk full",
		"app/b: ERROR timeout", "other: ERROR other", "app/a: INFO done",
	}, filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g, Limit: aws.Int32(2)}))

	assert.Equal(t, []string{"app/a: ERROR disk full", "app/b: ERROR timeout"},
		filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g, LogStreamNamePrefix: aws.String("app/"),
			FilterPattern: aws.String("ERROR")}))
	assert.Equal(t, []string{"app/b: WARN slow disk", "other: DEBUG noise", "app/b: ERROR timeout", "other: ERROR other"},
		filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g, LogStreamNames: []string{"other", "app/b"}, Limit: aws.Int32(1)}))

	// startTime and endTime are both inclusive.
	assert.Equal(t, []string{"other: DEBUG noise", "app/a: ERROR disk full", "app/b: ERROR timeout"},
		filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g,
			StartTime: aws.Int64(ms(at(3))), EndTime: aws.Int64(ms(at(4)))}))

	// startFromHead=false returns the newest first.
	assert.Equal(t, []string{"app/a: INFO done", "other: ERROR other", "app/b: ERROR timeout", "app/a: ERROR disk full"},
		filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g, StartFromHead: aws.Bool(false),
			StartTime: aws.Int64(ms(at(4))), Limit: aws.Int32(2)}))

	for pattern, want := range map[string][]string{
		`"disk full"`:       {"app/a: ERROR disk full"},
		`ERROR -disk`:       {"app/b: ERROR timeout", "other: ERROR other"},
		`?WARN ?DEBUG`:      {"app/b: WARN slow disk", "other: DEBUG noise"},
		`disk ?WARN ?ERROR`: {"app/b: WARN slow disk", "app/a: ERROR disk full"},
		`%^INFO (start|d)%`: {"app/a: INFO start", "app/a: INFO done"},
		`error`:             nil, // case-sensitive
	} {
		assert.Equal(t, want, filterAll(t, c, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: g, FilterPattern: aws.String(pattern)}), pattern)
	}
}

func TestFilterLogEventsTokenSurvivesNewEvents(t *testing.T) {
	s, _, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g")
	appendN(t, s, "g", "s1", "a", t0, 5)
	out, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(3)})
	require.NoError(t, err)
	require.NotNil(t, out.NextToken)
	assert.Len(t, out.Events, 3)

	appendN(t, s, "g", "s0", "later", t0.Add(time.Hour), 1)
	out, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), NextToken: out.NextToken})
	require.NoError(t, err)
	var msgs []string
	for _, e := range out.Events {
		msgs = append(msgs, aws.ToString(e.Message))
	}
	assert.Equal(t, []string{"a3", "a4", "later0"}, msgs)
	assert.Nil(t, out.NextToken)
}

func TestFilterLogEventsErrors(t *testing.T) {
	_, _, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g", "s")
	var invalid *types.InvalidParameterException
	for name, in := range map[string]*cloudwatchlogs.FilterLogEventsInput{
		"names and prefix": {LogGroupName: aws.String("g"), LogStreamNames: []string{"s"}, LogStreamNamePrefix: aws.String("s")},
		"json pattern":     {LogGroupName: aws.String("g"), FilterPattern: aws.String(`{ $.level = "error" }`)},
		"open quote":       {LogGroupName: aws.String("g"), FilterPattern: aws.String(`"abc`)},
		"bad token":        {LogGroupName: aws.String("g"), NextToken: aws.String("f/1")},
		"limit":            {LogGroupName: aws.String("g"), Limit: aws.Int32(0)},
		"tail before 2024": {LogGroupName: aws.String("g"), StartFromHead: aws.Bool(false), StartTime: aws.Int64(0)},
	} {
		_, err := c.FilterLogEvents(ctx, in)
		require.ErrorAs(t, err, &invalid, name)
	}
	var notFound *types.ResourceNotFoundException
	_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("nope")})
	require.ErrorAs(t, err, &notFound)
	_, err = c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g"), LogStreamNames: []string{"nope"}})
	require.ErrorAs(t, err, &notFound)
}
