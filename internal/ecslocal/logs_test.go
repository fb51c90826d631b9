package ecslocal_test

import (
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

func TestContainerLogsPaginate(t *testing.T) {
	e := newEnv(t, ecslocal.Options{})
	e.register("chatty", container("app", "sh", "-c", `i=1; while [ $i -le 250 ]; do echo "line $i"; i=$((i+1)); done`))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("chatty")})
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	stream := "app/app/" + taskID(aws.ToString(task.TaskArn))

	var want []string
	for i := 1; i <= 250; i++ {
		want = append(want, fmt.Sprint("line ", i))
	}
	var got []string
	var token *string
	var last int64
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10, "pagination does not end")
		out, err := e.logs.GetLogEvents(e.ctx, &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/ecslocal/test"), LogStreamName: aws.String(stream),
			StartFromHead: aws.Bool(true), Limit: aws.Int32(100), NextToken: token,
		})
		require.NoError(t, err)
		assert.LessOrEqual(t, len(out.Events), 100)
		for _, ev := range out.Events {
			got = append(got, aws.ToString(ev.Message))
			assert.GreaterOrEqual(t, aws.ToInt64(ev.Timestamp), last, "timestamps in order")
			last = aws.ToInt64(ev.Timestamp)
		}
		if token != nil && aws.ToString(out.NextForwardToken) == *token {
			assert.Empty(t, out.Events, "the token comes back unchanged once there is nothing newer")
			break
		}
		token = out.NextForwardToken
	}
	assert.Equal(t, want, got)

	var filtered []string
	p := cloudwatchlogs.NewFilterLogEventsPaginator(e.logs, &cloudwatchlogs.FilterLogEventsInput{
		LogGroupName: aws.String("/ecslocal/test"), LogStreamNames: []string{stream}, Limit: aws.Int32(60),
	})
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		require.NoError(t, err)
		for _, ev := range out.Events {
			filtered = append(filtered, aws.ToString(ev.Message))
		}
	}
	assert.Equal(t, want, filtered)
}
