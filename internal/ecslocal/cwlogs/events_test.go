package cwlogs

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// readForward follows nextForwardToken from in until it repeats, as a log
// tailer does, and returns the messages and the final token.
func readForward(t *testing.T, c *cloudwatchlogs.Client, in cloudwatchlogs.GetLogEventsInput) ([]string, string, int) {
	t.Helper()
	var got []string
	calls := 0
	for {
		out, err := c.GetLogEvents(context.Background(), &in)
		require.NoError(t, err)
		calls++
		require.NotNil(t, out.NextForwardToken)
		require.NotNil(t, out.NextBackwardToken)
		got = append(got, messages(out.Events)...)
		if in.NextToken != nil && *in.NextToken == *out.NextForwardToken {
			require.Empty(t, out.Events, "a repeated token means nothing new")
			return got, *out.NextForwardToken, calls
		}
		require.Less(t, calls, 1000, "token never repeated")
		in.NextToken = out.NextForwardToken
	}
}

func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func TestGetLogEventsForwardPaginationAndTokenRule(t *testing.T) {
	s, _, c := newTestStore(t)
	mustCreate(t, c, "g", "s")
	appendN(t, s, "g", "s", "e", t0, 25)

	in := cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
		StartFromHead: aws.Bool(true), Limit: aws.Int32(10)}
	got, token, calls := readForward(t, c, in)
	assert.Equal(t, seq("e", 0, 25), got)
	assert.Equal(t, 4, calls, "pages of 10, 10 and 5, then the repeated token")

	// The token stays valid while events arrive: continuing from it
	// yields exactly the new events, then repeats again.
	appendN(t, s, "g", "s", "new", t0.Add(time.Second), 3)
	in.NextToken = aws.String(token)
	got, _, _ = readForward(t, c, in)
	assert.Equal(t, seq("new", 0, 3), got)

	// The SDK paginator stops on the repeated token too.
	var all []string
	p := cloudwatchlogs.NewGetLogEventsPaginator(c, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true), Limit: aws.Int32(7)},
		func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		all = append(all, messages(page.Events)...)
	}
	assert.Equal(t, append(seq("e", 0, 25), seq("new", 0, 3)...), all)
}

func TestGetLogEventsEmptyStream(t *testing.T) {
	s, _, c := newTestStore(t)
	mustCreate(t, c, "g", "s")
	in := cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)}
	got, token, calls := readForward(t, c, in)
	assert.Empty(t, got)
	assert.Equal(t, 2, calls)

	require.NoError(t, s.Append("g", "s", t0, "late"))
	in.NextToken = aws.String(token)
	got, _, _ = readForward(t, c, in)
	assert.Equal(t, []string{"late"}, got)
}

func TestGetLogEventsFromTail(t *testing.T) {
	s, _, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g", "s")
	appendN(t, s, "g", "s", "e", t0, 25)

	// Without a token and startFromHead=false (the default) the newest
	// events come back, in chronological order.
	out, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10)})
	require.NoError(t, err)
	assert.Equal(t, seq("e", 15, 25), messages(out.Events))
	forward := out.NextForwardToken

	// Walking backward yields older pages until the backward token repeats.
	var older []string
	back := out.NextBackwardToken
	for range 10 {
		page, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10), NextToken: back})
		require.NoError(t, err)
		older = append(messages(page.Events), older...)
		if *page.NextBackwardToken == *back {
			break
		}
		back = page.NextBackwardToken
	}
	assert.Equal(t, seq("e", 0, 15), older)

	// The forward token of the tail read picks up what is appended next.
	appendN(t, s, "g", "s", "n", t0.Add(time.Second), 2)
	got, _, _ := readForward(t, c, cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: forward, StartFromHead: aws.Bool(true)})
	assert.Equal(t, seq("n", 0, 2), got)
}

func TestGetLogEventsTimeRange(t *testing.T) {
	s, _, c := newTestStore(t)
	mustCreate(t, c, "g", "s")
	for i := range 10 {
		require.NoError(t, s.Append("g", "s", t0.Add(time.Duration(i)*time.Second), "sec"+strconv.Itoa(i)))
	}
	got, _, _ := readForward(t, c, cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true), Limit: aws.Int32(2),
		StartTime: aws.Int64(ms(t0.Add(3 * time.Second))), // inclusive
		EndTime:   aws.Int64(ms(t0.Add(7 * time.Second))), // exclusive
	})
	assert.Equal(t, seq("sec", 3, 7), got)

	out, err := c.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(2),
		EndTime: aws.Int64(ms(t0.Add(7 * time.Second)))})
	require.NoError(t, err)
	assert.Equal(t, seq("sec", 5, 7), messages(out.Events), "tail read within the range")
}

func TestGetLogEventsWireFields(t *testing.T) {
	s, clock, c := newTestStore(t)
	mustCreate(t, c, "g", "s")
	clock.Advance(time.Minute)
	require.NoError(t, s.Append("g", "s", t0.Add(1500*time.Millisecond), "hello"))
	out, err := c.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupIdentifier: aws.String("arn:aws:logs:eu-west-1:123456789012:log-group:g"), LogStreamName: aws.String("s")})
	require.NoError(t, err)
	require.Len(t, out.Events, 1)
	e := out.Events[0]
	assert.Equal(t, "hello", aws.ToString(e.Message))
	assert.Equal(t, ms(t0)+1500, aws.ToInt64(e.Timestamp))
	assert.Equal(t, ms(t0.Add(time.Minute)), aws.ToInt64(e.IngestionTime))
	assert.True(t, strings.HasPrefix(aws.ToString(out.NextForwardToken), "f/"))
	assert.True(t, strings.HasPrefix(aws.ToString(out.NextBackwardToken), "b/"))
}

func TestGetLogEventsLimitsAndErrors(t *testing.T) {
	s, _, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g", "s")
	big := strings.Repeat("x", 200<<10)
	for range 12 {
		require.NoError(t, s.Append("g", "s", t0, big))
	}
	out, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Len(t, out.Events, 5, "a page holds at most 1 MB")

	var invalid *types.InvalidParameterException
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), Limit: aws.Int32(10001)})
	require.ErrorAs(t, err, &invalid)
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("garbage")})
	require.ErrorAs(t, err, &invalid)
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), NextToken: aws.String("f/99999")})
	require.ErrorAs(t, err, &invalid)
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogGroupIdentifier: aws.String("g"), LogStreamName: aws.String("s")})
	require.ErrorAs(t, err, &invalid)

	var notFound *types.ResourceNotFoundException
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("nope")})
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, "The specified log stream does not exist.", notFound.ErrorMessage())
	_, err = c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("nope"), LogStreamName: aws.String("s")})
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, "The specified log group does not exist.", notFound.ErrorMessage())
}

func TestPutLogEvents(t *testing.T) {
	_, _, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g", "s")
	ev := func(ts time.Time, msg string) types.InputLogEvent {
		return types.InputLogEvent{Timestamp: aws.Int64(ms(ts)), Message: aws.String(msg)}
	}
	put := func(events ...types.InputLogEvent) (*cloudwatchlogs.PutLogEventsOutput, error) {
		return c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), LogEvents: events})
	}

	out1, err := put(ev(t0, "a"), ev(t0, "b"), ev(t0.Add(time.Millisecond), "c"))
	require.NoError(t, err)
	assert.NotEmpty(t, aws.ToString(out1.NextSequenceToken))
	assert.Nil(t, out1.RejectedLogEventsInfo)

	out2, err := put(ev(t0.Add(-15*24*time.Hour), "too old"), ev(t0.Add(time.Second), "d"), ev(t0.Add(3*time.Hour), "too new"))
	require.NoError(t, err)
	assert.NotEqual(t, aws.ToString(out1.NextSequenceToken), aws.ToString(out2.NextSequenceToken))
	require.NotNil(t, out2.RejectedLogEventsInfo)
	assert.Equal(t, int32(1), aws.ToInt32(out2.RejectedLogEventsInfo.TooOldLogEventEndIndex))
	assert.Equal(t, int32(2), aws.ToInt32(out2.RejectedLogEventsInfo.TooNewLogEventStartIndex))

	got, _, _ := readForward(t, c, cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)})
	assert.Equal(t, []string{"a", "b", "c", "d"}, got)

	var invalid *types.InvalidParameterException
	_, err = put(ev(t0.Add(time.Second), "late"), ev(t0, "early"))
	require.ErrorAs(t, err, &invalid)
	assert.Contains(t, invalid.ErrorMessage(), "chronological order")
	_, err = put(ev(t0, ""))
	require.ErrorAs(t, err, &invalid)
	_, err = put(ev(t0.Add(-10*24*time.Hour), "a"), ev(t0, "b"))
	require.ErrorAs(t, err, &invalid, "a batch spans at most 24 hours")
	_, err = put([]types.InputLogEvent{}...)
	require.ErrorAs(t, err, &invalid, "a batch holds at least one event")

	var notFound *types.ResourceNotFoundException
	_, err = c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("missing"), LogEvents: []types.InputLogEvent{ev(t0, "x")}})
	require.ErrorAs(t, err, &notFound)
}

func TestConcurrentAppendKeepsOrder(t *testing.T) {
	s, _, c := newTestStore(t)
	mustCreate(t, c, "g")
	const writers, lines = 8, 200
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				msg := fmt.Sprintf("w%d-%d", w, i)
				assert.NoError(t, s.Append("g", "shared", t0.Add(time.Duration(i)*time.Millisecond), msg))
				assert.NoError(t, s.Append("g", fmt.Sprintf("own-%d", w), t0.Add(time.Duration(i)*time.Millisecond), msg))
			}
		})
	}
	// A reader follows the shared stream while the writers run.
	wg.Go(func() {
		out, err := c.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String("shared"), StartFromHead: aws.Bool(true)})
		if err == nil {
			assert.LessOrEqual(t, len(out.Events), writers*lines)
		} else {
			var notFound *types.ResourceNotFoundException
			assert.ErrorAs(t, err, &notFound, "the stream may not exist yet")
		}
	})
	wg.Wait()

	shared, _, _ := readForward(t, c, cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("shared"), StartFromHead: aws.Bool(true), Limit: aws.Int32(500)})
	require.Len(t, shared, writers*lines)
	next := make([]int, writers)
	for _, msg := range shared {
		var w, i int
		_, err := fmt.Sscanf(msg, "w%d-%d", &w, &i)
		require.NoError(t, err)
		require.Equal(t, next[w], i, "writer %d's lines out of order", w)
		next[w]++
	}
	for w := range writers {
		own, _, _ := readForward(t, c, cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("g"), LogStreamName: aws.String(fmt.Sprintf("own-%d", w)), StartFromHead: aws.Bool(true)})
		assert.Equal(t, seq(fmt.Sprintf("w%d-", w), 0, lines), own)
	}
}

func TestDeliveryDelay(t *testing.T) {
	s, clock, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g")
	require.NoError(t, s.Append("g", "s", t0, "before"))
	s.SetDeliveryDelay(5 * time.Second)
	require.NoError(t, s.Append("g", "s", t0, "delayed 1"))
	clock.Advance(time.Second)
	require.NoError(t, s.Append("g", "s", t0, "delayed 2"))

	in := cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s"), StartFromHead: aws.Bool(true)}
	got, token, _ := readForward(t, c, in)
	assert.Equal(t, []string{"before"}, got)
	filter := func() []string {
		out, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("g")})
		require.NoError(t, err)
		var msgs []string
		for _, e := range out.Events {
			msgs = append(msgs, aws.ToString(e.Message))
		}
		return msgs
	}
	assert.Equal(t, []string{"before"}, filter())

	in.NextToken = aws.String(token)
	clock.Advance(3999 * time.Millisecond)
	got, token, _ = readForward(t, c, in)
	assert.Empty(t, got, "nothing is delivered before the delay has passed")

	clock.Advance(time.Millisecond)
	in.NextToken = aws.String(token)
	got, token, _ = readForward(t, c, in)
	assert.Equal(t, []string{"delayed 1"}, got)

	clock.Advance(time.Second)
	in.NextToken = aws.String(token)
	got, _, _ = readForward(t, c, in)
	assert.Equal(t, []string{"delayed 2"}, got)
	assert.Equal(t, []string{"before", "delayed 1", "delayed 2"}, filter())

	s.SetDeliveryDelay(0)
	require.NoError(t, s.Append("g", "s", t0, "immediate"))
	assert.Contains(t, filter(), "immediate")
}
