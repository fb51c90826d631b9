package ecslocal_test

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/ecslocaltest"
)

// waitTimeout bounds every wait on a condition in these tests.
const waitTimeout = 20 * time.Second

// env is a started server with SDK clients for it.
type env struct {
	t    *testing.T
	ctx  context.Context
	srv  *ecslocal.Server
	cfg  aws.Config
	ecs  *ecs.Client
	logs *cloudwatchlogs.Client
	ec2  *ec2.Client
	// image is what e.container's definitions name.
	image string
}

func newEnv(t *testing.T, opts ecslocal.Options) *env {
	t.Helper()
	srv, cfg := ecslocaltest.Start(t, opts)
	return &env{
		t:     t,
		ctx:   t.Context(),
		srv:   srv,
		cfg:   cfg,
		ecs:   ecs.NewFromConfig(cfg),
		logs:  cloudwatchlogs.NewFromConfig(cfg),
		ec2:   ec2.NewFromConfig(cfg),
		image: "busybox:latest",
	}
}

// container returns a container definition running args, logging to the
// awslogs group "/ecslocal/test" (created on demand) with prefix "app".
func container(name string, args ...string) types.ContainerDefinition {
	return types.ContainerDefinition{
		Name:      aws.String(name),
		Image:     aws.String("busybox:latest"),
		Command:   args,
		Essential: aws.Bool(true),
		Memory:    aws.Int32(128),
		LogConfiguration: &types.LogConfiguration{
			LogDriver: types.LogDriverAwslogs,
			Options: map[string]string{
				"awslogs-group":         "/ecslocal/test",
				"awslogs-stream-prefix": "app",
				"awslogs-region":        "us-east-1",
				"awslogs-create-group":  "true",
			},
		},
	}
}

// register registers a family with the given containers and returns its ARN.
func (e *env) register(family string, containers ...types.ContainerDefinition) string {
	e.t.Helper()
	out, err := e.ecs.RegisterTaskDefinition(e.ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String(family),
		ContainerDefinitions: containers,
	})
	require.NoError(e.t, err)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// run runs one task of taskDef and returns it.
func (e *env) run(in *ecs.RunTaskInput) types.Task {
	e.t.Helper()
	out, err := e.ecs.RunTask(e.ctx, in)
	require.NoError(e.t, err)
	require.Empty(e.t, out.Failures)
	require.Len(e.t, out.Tasks, 1)
	return out.Tasks[0]
}

// describe returns the task with this ARN.
func (e *env) describe(arn string) types.Task {
	e.t.Helper()
	out, err := e.ecs.DescribeTasks(e.ctx, &ecs.DescribeTasksInput{Tasks: []string{arn}})
	require.NoError(e.t, err)
	require.Len(e.t, out.Tasks, 1, "failures: %v", out.Failures)
	return out.Tasks[0]
}

// waitStatus polls DescribeTasks until the task's lastStatus is status.
func (e *env) waitStatus(arn, status string) types.Task {
	e.t.Helper()
	return e.waitFor(arn, "lastStatus "+status, func(task types.Task) bool { return aws.ToString(task.LastStatus) == status })
}

// waitFor polls DescribeTasks until cond holds for the task, what saying
// what cond waits for.
func (e *env) waitFor(arn, what string, cond func(types.Task) bool) types.Task {
	e.t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for {
		task := e.describe(arn)
		if cond(task) {
			return task
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("task %s (%s) has no %s after %s", arn, aws.ToString(task.LastStatus), what, waitTimeout)
		}
		time.Sleep(10 * time.Millisecond) // poll interval, not synchronisation
	}
}

// logLines returns every message of a log stream, from the head.
func (e *env) logLines(group, stream string) []string {
	e.t.Helper()
	var lines []string
	p := cloudwatchlogs.NewGetLogEventsPaginator(e.logs, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName:  aws.String(group),
		LogStreamName: aws.String(stream),
		StartFromHead: aws.Bool(true),
	}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		out, err := p.NextPage(e.ctx)
		require.NoError(e.t, err)
		for _, ev := range out.Events {
			lines = append(lines, aws.ToString(ev.Message))
		}
	}
	return lines
}

// taskID returns the id part of a task ARN.
func taskID(arn string) string { return arn[strings.LastIndex(arn, "/")+1:] }

// processAlive reports whether a process with this pid exists (and is not
// a zombie).
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) > 0 && fields[0] != "Z"
}

func jsonDecode(resp *http.Response, v any) error { return json.NewDecoder(resp.Body).Decode(v) }
