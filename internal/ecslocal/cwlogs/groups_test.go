package cwlogs

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

func TestCreateAndDescribeLogGroups(t *testing.T) {
	_, _, c := newTestStore(t)
	ctx := context.Background()
	for _, name := range []string{"/ecs/app", "/ecs/batch", "other"} {
		_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(name)})
		require.NoError(t, err)
	}

	_, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecs/app")})
	var exists *types.ResourceAlreadyExistsException
	require.ErrorAs(t, err, &exists)

	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("bad name!")})
	var invalid *types.InvalidParameterException
	require.ErrorAs(t, err, &invalid)
	assert.Contains(t, invalid.ErrorMessage(), "logGroupName")

	var names []string
	p := cloudwatchlogs.NewDescribeLogGroupsPaginator(c, &cloudwatchlogs.DescribeLogGroupsInput{
		LogGroupNamePrefix: aws.String("/ecs/"), Limit: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		require.LessOrEqual(t, len(page.LogGroups), 1)
		for _, g := range page.LogGroups {
			names = append(names, aws.ToString(g.LogGroupName))
			assert.Equal(t, "arn:aws:logs:eu-west-1:123456789012:log-group:"+aws.ToString(g.LogGroupName), aws.ToString(g.LogGroupArn))
			assert.Equal(t, ms(t0), aws.ToInt64(g.CreationTime))
		}
	}
	assert.Equal(t, []string{"/ecs/app", "/ecs/batch"}, names)
}

func TestCreateLogStreamErrors(t *testing.T) {
	_, _, c := newTestStore(t)
	ctx := context.Background()

	_, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String("missing"), LogStreamName: aws.String("s")})
	var notFound *types.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound)
	assert.Equal(t, "The specified log group does not exist.", notFound.ErrorMessage())

	mustCreate(t, c, "g", "s")
	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("s")})
	var exists *types.ResourceAlreadyExistsException
	require.ErrorAs(t, err, &exists)

	_, err = c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{
		LogGroupName: aws.String("g"), LogStreamName: aws.String("a:b")})
	var invalid *types.InvalidParameterException
	require.ErrorAs(t, err, &invalid)
}

func TestDescribeLogStreams(t *testing.T) {
	s, clock, c := newTestStore(t)
	ctx := context.Background()
	mustCreate(t, c, "g", "app/web/1", "app/web/2", "app/worker/1", "other")
	// Last event times: other < app/web/2 < app/worker/1 < app/web/1.
	for i, st := range []string{"other", "app/web/2", "app/worker/1", "app/web/1"} {
		require.NoError(t, s.Append("g", st, t0.Add(time.Duration(i)*time.Second), "first"))
		require.NoError(t, s.Append("g", st, t0.Add(time.Duration(i)*time.Second+time.Millisecond), "second"))
	}
	clock.Advance(time.Minute)

	describeAll := func(in *cloudwatchlogs.DescribeLogStreamsInput) []string {
		t.Helper()
		var names []string
		p := cloudwatchlogs.NewDescribeLogStreamsPaginator(c, in)
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			for _, ls := range page.LogStreams {
				names = append(names, aws.ToString(ls.LogStreamName))
			}
		}
		return names
	}
	assert.Equal(t, []string{"app/web/1", "app/web/2", "app/worker/1", "other"},
		describeAll(&cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"), Limit: aws.Int32(3)}))
	assert.Equal(t, []string{"app/web/2", "app/web/1"},
		describeAll(&cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("g"),
			LogStreamNamePrefix: aws.String("app/web/"), Descending: aws.Bool(true), Limit: aws.Int32(1)}))
	assert.Equal(t, []string{"app/web/1", "app/worker/1", "app/web/2", "other"},
		describeAll(&cloudwatchlogs.DescribeLogStreamsInput{
			LogGroupIdentifier: aws.String("arn:aws:logs:eu-west-1:123456789012:log-group:g:*"),
			OrderBy:            types.OrderByLastEventTime, Descending: aws.Bool(true), Limit: aws.Int32(2)}))

	out, err := c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("g"), LogStreamNamePrefix: aws.String("app/worker/")})
	require.NoError(t, err)
	require.Len(t, out.LogStreams, 1)
	ls := out.LogStreams[0]
	assert.Nil(t, out.NextToken)
	assert.Equal(t, "arn:aws:logs:eu-west-1:123456789012:log-group:g:log-stream:app/worker/1", aws.ToString(ls.Arn))
	assert.Equal(t, ms(t0), aws.ToInt64(ls.CreationTime))
	assert.Equal(t, ms(t0.Add(2*time.Second)), aws.ToInt64(ls.FirstEventTimestamp))
	assert.Equal(t, ms(t0.Add(2*time.Second+time.Millisecond)), aws.ToInt64(ls.LastEventTimestamp))
	assert.Equal(t, ms(t0), aws.ToInt64(ls.LastIngestionTime))

	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{
		LogGroupName: aws.String("g"), LogStreamNamePrefix: aws.String("app"), OrderBy: types.OrderByLastEventTime})
	var invalid *types.InvalidParameterException
	require.ErrorAs(t, err, &invalid)

	_, err = c.DescribeLogStreams(ctx, &cloudwatchlogs.DescribeLogStreamsInput{LogGroupName: aws.String("nope")})
	var notFound *types.ResourceNotFoundException
	require.ErrorAs(t, err, &notFound)
}

func TestUnsupportedOperation(t *testing.T) {
	_, _, c := newTestStore(t)
	_, err := c.DeleteLogGroup(context.Background(), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("g")})
	var apiErr smithy.APIError
	require.ErrorAs(t, err, &apiErr)
	assert.Equal(t, "UnknownOperationException", apiErr.ErrorCode())
	assert.Contains(t, apiErr.ErrorMessage(), "DeleteLogGroup")
}

func TestGoAPI(t *testing.T) {
	s, _, c := newTestStore(t)
	assert.False(t, s.GroupExists("/ecs/app"))

	err := s.Append("/ecs/app", "p/c/1", t0, "line")
	var awsErr *awsproto.Error
	require.ErrorAs(t, err, &awsErr)
	assert.Equal(t, "ResourceNotFoundException", awsErr.Code)

	require.NoError(t, s.CreateGroup("/ecs/app"))
	require.NoError(t, s.CreateGroup("/ecs/app"), "CreateGroup is idempotent")
	assert.True(t, s.GroupExists("/ecs/app"))
	require.Error(t, s.CreateGroup("bad name"))

	require.NoError(t, s.Append("/ecs/app", "p/c/1", t0, "line 1"))
	require.NoError(t, s.Append("/ecs/app", "p/c/1", t0, ""), "empty lines are dropped")
	require.NoError(t, s.Append("/ecs/app", "p/c/1", t0.Add(time.Millisecond), "line 2"))
	out, err := c.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/ecs/app"), LogStreamName: aws.String("p/c/1"), StartFromHead: aws.Bool(true)})
	require.NoError(t, err)
	assert.Equal(t, []string{"line 1", "line 2"}, messages(out.Events))
}
