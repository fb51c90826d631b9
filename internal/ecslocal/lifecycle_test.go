package ecslocal_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal"
)

// lifecycleCase is one behaviour every runtime shows, with the same
// assertions on each.
type lifecycleCase struct {
	name string
	// needs lists what the case needs of a runtime; on one without it,
	// the case is skipped.
	needs []capability
	opts  ecslocal.Options
	run   func(t *testing.T, e *env, rt testRuntime)
}

// TestLifecycle runs every lifecycle case against every runtime: the
// process runtime always, the Docker runtime when an engine answers (and
// always under CI).
func TestLifecycle(t *testing.T) {
	for _, rt := range testRuntimes(t) {
		t.Run(rt.name, func(t *testing.T) {
			for _, c := range lifecycleCases {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					for _, need := range c.needs {
						if !rt.caps[need] {
							t.Skipf("the %s runtime has no %s", rt.name, need)
						}
					}
					c.run(t, newRuntimeEnv(t, rt, c.opts), rt)
				})
			}
		})
	}
}

var lifecycleCases = []lifecycleCase{
	{name: "exit code zero and every line", run: testExitZero},
	{name: "non-zero exit code", run: testNonZeroExit},
	{name: "essential and non-essential containers", opts: ecslocal.Options{StopTimeout: 10 * time.Second}, run: testEssentialContainers},
	{name: "dependsOn START", run: testDependsOnStart},
	{name: "dependsOn COMPLETE", run: testDependsOnComplete},
	{name: "dependsOn SUCCESS", run: testDependsOnSuccess},
	{name: "dependsOn SUCCESS not met", run: testDependsOnSuccessNotMet},
	{name: "dependsOn HEALTHY", run: testDependsOnHealthy},
	{name: "health check HEALTHY", run: testHealthy},
	{name: "health check UNHEALTHY", run: testUnhealthy},
	{name: "one network namespace", run: testSharedNetwork},
	{name: "env, overrides and working directory", run: testOverrides},
	{name: "command without a shell", run: testNoShell},
	{name: "command that cannot start", run: testCannotStart},
	{name: "missing log group", run: testMissingLogGroup},
	{name: "awslogs lines in order", run: testLinesInOrder},
	{name: "long lines split", run: testLongLines},
	{name: "StopTask: SIGTERM", run: testStopTaskTerm},
	{name: "StopTask: SIGKILL after the stop timeout", opts: ecslocal.Options{StopTimeout: 300 * time.Millisecond}, run: testStopTaskKill},
	{name: "StopTask: the container's stopTimeout", opts: ecslocal.Options{StopTimeout: time.Hour}, run: testContainerStopTimeout},
	{name: "nothing left after Close", opts: ecslocal.Options{StopTimeout: 200 * time.Millisecond}, run: testNothingLeftAfterClose},
	{name: "nothing left after a crash and a restart", run: testNothingLeftAfterCrash},
	{name: "the image's files", needs: []capability{capImages}, run: testImageFiles},
	{name: "user", needs: []capability{capImages}, run: testUser},
	{name: "pull failure", needs: []capability{capImages}, run: testPullFailure},
	{name: "OOM kill", needs: []capability{capMemoryLimits}, run: testOOMKill},
}

func testExitZero(t *testing.T, e *env, _ testRuntime) {
	def := e.register("hello", e.container("app", "sh", "-c", "echo hello; echo world >&2"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("hello"), StartedBy: aws.String("tester")})
	assert.Equal(t, "PROVISIONING", aws.ToString(task.LastStatus))
	assert.Equal(t, "RUNNING", aws.ToString(task.DesiredStatus))
	assert.Equal(t, def, aws.ToString(task.TaskDefinitionArn))
	assert.Equal(t, "arn:aws:ecs:us-east-1:000000000000:cluster/default", aws.ToString(task.ClusterArn))
	assert.Regexp(t, `^arn:aws:ecs:us-east-1:000000000000:task/default/[0-9a-f]{32}$`, aws.ToString(task.TaskArn))
	assert.Equal(t, "family:hello", aws.ToString(task.Group))
	assert.Equal(t, "tester", aws.ToString(task.StartedBy))

	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, "Essential container in task exited", aws.ToString(done.StoppedReason))
	assert.Equal(t, "STOPPED", aws.ToString(done.DesiredStatus))
	require.Len(t, done.Containers, 1)
	assert.Equal(t, int32(0), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Nil(t, done.Containers[0].Reason)
	assert.Equal(t, "STOPPED", aws.ToString(done.Containers[0].LastStatus))
	assert.NotEmpty(t, aws.ToString(done.Containers[0].RuntimeId))
	for name, ts := range map[string]any{"createdAt": done.CreatedAt, "pullStartedAt": done.PullStartedAt, "pullStoppedAt": done.PullStoppedAt,
		"startedAt": done.StartedAt, "stoppingAt": done.StoppingAt, "stoppedAt": done.StoppedAt} {
		assert.NotNil(t, ts, name)
	}
	assert.False(t, done.PullStoppedAt.Before(*done.PullStartedAt))
	assert.False(t, done.StartedAt.Before(*done.PullStoppedAt))
	assert.False(t, done.StoppedAt.Before(*done.StartedAt))

	// stdout and stderr are two pipes: only their own order is kept.
	lines := e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn)))
	assert.ElementsMatch(t, []string{"hello", "world"}, lines)
}

func testNonZeroExit(t *testing.T, e *env, _ testRuntime) {
	e.register("fails", e.container("app", "sh", "-c", "echo failing; exit 3"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("fails")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, int32(3), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Equal(t, []string{"failing"}, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

// upFile returns a file name under /tmp, of the container (Docker) or the
// host (process runtime), for a container to say it is ready and a
// health check to test; t.Cleanup removes the host's.
func upFile(t *testing.T) string {
	name := fmt.Sprintf("/tmp/ecslocal-up-%d-%s", os.Getpid(), strings.NewReplacer("/", "-", " ", "-").Replace(t.Name()))
	t.Cleanup(func() { _ = os.Remove(name) })
	return name
}

// readyCheck is a health check that passes once file exists, after the
// first interval (ECS's shortest, 5 s).
func readyCheck(file string) *types.HealthCheck {
	return &types.HealthCheck{Command: []string{"CMD-SHELL", "test -e " + file}, Interval: aws.Int32(5), Timeout: aws.Int32(2), Retries: aws.Int32(1)}
}

// Several essential containers: the first to exit stops the task and the
// other gets SIGTERM; a non-essential one exits without stopping it.
func testEssentialContainers(t *testing.T, e *env, _ testRuntime) {
	up := upFile(t)
	sidecar := e.container("sidecar", "sh", "-c", `trap "echo sidecar got TERM; exit 143" TERM; echo sidecar up; touch "$1"; while :; do sleep 0.05; done`, "sh", up)
	sidecar.HealthCheck = readyCheck(up)
	helper := e.container("helper", "true")
	helper.Essential = aws.Bool(false)
	// main starts once the sidecar handles SIGTERM, well after the helper
	// exited: had the helper's exit stopped the task, main would never run.
	main := e.container("main", "sh", "-c", "exit 7")
	main.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("sidecar"), Condition: types.ContainerConditionHealthy}}
	e.register("multi", main, sidecar, helper)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("multi")})
	arn := aws.ToString(task.TaskArn)

	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.NotNil(t, done.StartedAt, "the task ran")
	assert.Equal(t, map[string]int32{"main": 7, "sidecar": 143, "helper": 0}, exitCodes(done))
	for _, c := range done.Containers {
		assert.Equal(t, "STOPPED", aws.ToString(c.LastStatus))
	}
	lines := e.logLines("/ecslocal/test", "app/sidecar/"+taskID(arn))
	require.NotEmpty(t, lines)
	// The process runtime signals the whole process group: the shell may
	// also report its sleep "Terminated".
	assert.Equal(t, "sidecar up", lines[0])
	assert.Equal(t, "sidecar got TERM", lines[len(lines)-1])
}

// exitCodes maps each container that exited to its exit code.
func exitCodes(task types.Task) map[string]int32 {
	codes := map[string]int32{}
	for _, c := range task.Containers {
		if c.ExitCode != nil {
			codes[aws.ToString(c.Name)] = *c.ExitCode
		}
	}
	return codes
}

func containerNamed(t *testing.T, task types.Task, name string) types.Container {
	t.Helper()
	i := slices.IndexFunc(task.Containers, func(c types.Container) bool { return aws.ToString(c.Name) == name })
	require.GreaterOrEqual(t, i, 0, "no container %q", name)
	return task.Containers[i]
}

// firstEvent returns the first event of a container's stream.
func (e *env) firstEvent(arn, name string) int64 {
	e.t.Helper()
	out, err := e.logs.GetLogEvents(e.ctx, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String("/ecslocal/test"), LogStreamName: aws.String("app/" + name + "/" + taskID(arn)), StartFromHead: aws.Bool(true),
	})
	require.NoError(e.t, err)
	require.NotEmpty(e.t, out.Events, "no output of %s", name)
	return aws.ToInt64(out.Events[0].Timestamp)
}

func testDependsOnStart(t *testing.T, e *env, _ testRuntime) {
	sidecar := e.container("sidecar", "sh", "-c", `trap "exit 0" TERM; echo sidecar up; while :; do sleep 0.05; done`)
	sidecar.Essential = aws.Bool(false)
	app := e.container("app", "echo", "app ran")
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("sidecar"), Condition: types.ContainerConditionStart}}
	e.register("start", app, sidecar)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("start")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, map[string]int32{"app": 0, "sidecar": 0}, exitCodes(done), "app started after its sidecar, which got SIGTERM when app exited")
	assert.Equal(t, []string{"app ran"}, e.logLines("/ecslocal/test", "app/app/"+taskID(arn)))
}

// initThenApp registers an init container (not essential) running script
// and an app that waits for condition on it.
func initThenApp(e *env, family, script string, condition types.ContainerCondition) {
	init := e.container("init", "sh", "-c", script)
	init.Essential = aws.Bool(false)
	app := e.container("app", "echo", "app ran")
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("init"), Condition: condition}}
	e.register(family, app, init)
}

func testDependsOnComplete(t *testing.T, e *env, _ testRuntime) {
	initThenApp(e, "complete", "echo init; sleep 1; exit 3", types.ContainerConditionComplete)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("complete")}).TaskArn)
	pending := e.waitFor(arn, "init running and app waiting", func(task types.Task) bool {
		return aws.ToString(containerNamed(t, task, "init").LastStatus) == "RUNNING"
	})
	assert.Equal(t, "PENDING", aws.ToString(containerNamed(t, pending, "app").LastStatus))
	assert.Equal(t, "PENDING", aws.ToString(pending.LastStatus), "a task is PENDING while a container waits")
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, map[string]int32{"app": 0, "init": 3}, exitCodes(done))
	assert.GreaterOrEqual(t, e.firstEvent(arn, "app")-e.firstEvent(arn, "init"), int64(900), "app started after init exited")
}

func testDependsOnSuccess(t *testing.T, e *env, _ testRuntime) {
	initThenApp(e, "success", "echo init; sleep 1", types.ContainerConditionSuccess)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("success")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, map[string]int32{"app": 0, "init": 0}, exitCodes(done))
	assert.GreaterOrEqual(t, e.firstEvent(arn, "app")-e.firstEvent(arn, "init"), int64(900), "app started after init exited")
}

func testDependsOnSuccessNotMet(t *testing.T, e *env, _ testRuntime) {
	initThenApp(e, "failure", "echo init; exit 1", types.ContainerConditionSuccess)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("failure")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	reason := aws.ToString(done.StoppedReason)
	assert.True(t, strings.HasPrefix(reason, "CannotStartContainerError: "), reason)
	assert.Contains(t, reason, `SUCCESS of container "app" on container "init"`)
	assert.Contains(t, reason, "exited with code 1")
	assert.Equal(t, map[string]int32{"init": 1}, exitCodes(done), "app never started")
	assert.Equal(t, reason, aws.ToString(containerNamed(t, done, "app").Reason))
	assert.Nil(t, done.StartedAt, "the task never ran")
}

func testDependsOnHealthy(t *testing.T, e *env, _ testRuntime) {
	up := upFile(t)
	db := e.container("db", "sh", "-c", `trap "exit 0" TERM; echo db up; touch "$1"; while :; do sleep 0.05; done`, "sh", up)
	db.Essential = aws.Bool(false)
	db.HealthCheck = readyCheck(up)
	app := e.container("app", "echo", "app ran")
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy}}
	e.register("healthy", app, db)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("healthy")}).TaskArn)
	pending := e.waitFor(arn, "db running", func(task types.Task) bool {
		return aws.ToString(containerNamed(t, task, "db").LastStatus) == "RUNNING"
	})
	assert.Equal(t, "PENDING", aws.ToString(containerNamed(t, pending, "app").LastStatus), "app waits for db to be HEALTHY")
	assert.Equal(t, types.HealthStatusUnknown, containerNamed(t, pending, "db").HealthStatus)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, map[string]int32{"app": 0, "db": 0}, exitCodes(done))
	assert.Equal(t, types.HealthStatusHealthy, containerNamed(t, done, "db").HealthStatus)
	assert.GreaterOrEqual(t, e.firstEvent(arn, "app")-e.firstEvent(arn, "db"), int64(4500), "the first health check runs one interval (5 s) after the start")
}

func testHealthy(t *testing.T, e *env, _ testRuntime) {
	c := e.container("app", "sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.05; done`)
	c.HealthCheck = &types.HealthCheck{Command: []string{"CMD", "true"}, Interval: aws.Int32(5)}
	e.register("checked", c)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("checked")}).TaskArn)
	running := e.waitStatus(arn, "RUNNING")
	assert.Equal(t, types.HealthStatusUnknown, running.HealthStatus, "no check has run yet")
	healthy := e.waitFor(arn, "the task HEALTHY", func(task types.Task) bool { return task.HealthStatus == types.HealthStatusHealthy })
	assert.Equal(t, types.HealthStatusHealthy, healthy.Containers[0].HealthStatus)
	_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
	require.NoError(t, err)
	assert.Equal(t, int32(0), aws.ToInt32(e.waitStatus(arn, "STOPPED").Containers[0].ExitCode))
}

func testUnhealthy(t *testing.T, e *env, _ testRuntime) {
	db := e.container("db", "sh", "-c", `trap "exit 0" TERM; while :; do sleep 0.05; done`)
	db.Essential = aws.Bool(false)
	db.HealthCheck = &types.HealthCheck{Command: []string{"CMD-SHELL", "exit 1"}, Interval: aws.Int32(5), Retries: aws.Int32(1)}
	app := e.container("app", "echo", "never")
	app.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy}}
	e.register("unhealthy", app, db)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("unhealthy")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	assert.Contains(t, aws.ToString(done.StoppedReason), `"db" is UNHEALTHY`)
	assert.Equal(t, types.HealthStatusUnhealthy, containerNamed(t, done, "db").HealthStatus)
	assert.Equal(t, map[string]int32{"db": 0}, exitCodes(done), "db got SIGTERM; app never started")
}

// The containers of a task reach each other on localhost.
func testSharedNetwork(t *testing.T, e *env, rt testRuntime) {
	if rt.name == ecslocal.RuntimeProcess {
		if _, err := exec.LookPath("busybox"); err != nil {
			t.Skip("the host has no busybox for nc")
		}
	}
	port := strconv.Itoa(freePort(t))
	server := e.container("server", "busybox", "nc", "-l", "-p", port)
	server.Essential = aws.Bool(false)
	client := e.container("client", "sh", "-c", `i=0; until echo "hello over $1" | busybox nc 127.0.0.1 "$1"; do i=$((i+1)); [ $i -lt 400 ] || exit 9; sleep 0.05; done`, "sh", port)
	client.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("server"), Condition: types.ContainerConditionStart}}
	e.register("net", server, client)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("net")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, int32(0), exitCodes(done)["client"])
	// The server's last line may reach its stream after the task stopped
	// (the client, essential, stopped it), as CloudWatch's may.
	stream := "app/server/" + taskID(arn)
	lines := e.logLines("/ecslocal/test", stream)
	for deadline := time.Now().Add(10 * time.Second); len(lines) == 0 && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // poll interval of the wait for the line
		lines = e.logLines("/ecslocal/test", stream)
	}
	assert.Equal(t, []string{"hello over " + port}, lines)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func testOverrides(t *testing.T, e *env, _ testRuntime) {
	c := e.container("app")
	c.EntryPoint = []string{"sh", "-c"}
	c.Command = []string{"echo original"}
	c.WorkingDirectory = aws.String("/tmp")
	c.Environment = []types.KeyValuePair{{Name: aws.String("KEEP"), Value: aws.String("kept")}, {Name: aws.String("CHANGE"), Value: aws.String("old")}}
	e.register("overrides", c)
	task := e.run(&ecs.RunTaskInput{
		TaskDefinition: aws.String("overrides"),
		Overrides: &types.TaskOverride{
			Cpu:              aws.String("512"),
			Memory:           aws.String("1024"),
			TaskRoleArn:      aws.String("arn:aws:iam::000000000000:role/task"),
			ExecutionRoleArn: aws.String("arn:aws:iam::000000000000:role/exec"),
			ContainerOverrides: []types.ContainerOverride{{
				Name:        aws.String("app"),
				Command:     []string{`echo "$KEEP $CHANGE $ADDED $(pwd)"`},
				Environment: []types.KeyValuePair{{Name: aws.String("CHANGE"), Value: aws.String("new")}, {Name: aws.String("ADDED"), Value: aws.String("added")}},
				Cpu:         aws.Int32(256),
				Memory:      aws.Int32(512),
			}},
		},
	})
	assert.Equal(t, "512", aws.ToString(task.Cpu))
	assert.Equal(t, "1024", aws.ToString(task.Memory))
	assert.Equal(t, "arn:aws:iam::000000000000:role/task", aws.ToString(task.Overrides.TaskRoleArn))
	assert.Equal(t, "arn:aws:iam::000000000000:role/exec", aws.ToString(task.Overrides.ExecutionRoleArn))
	assert.Equal(t, "256", aws.ToString(task.Containers[0].Cpu))
	assert.Equal(t, "512", aws.ToString(task.Containers[0].Memory))
	assert.Equal(t, e.image, aws.ToString(task.Containers[0].Image))
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, []string{"kept new added /tmp"}, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func testNoShell(t *testing.T, e *env, _ testRuntime) {
	e.register("noshell", e.container("app", "echo", "$HOME", "a;b", "*"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("noshell")})
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, []string{"$HOME a;b *"}, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func testCannotStart(t *testing.T, e *env, _ testRuntime) {
	e.register("nosuch", e.container("app", "/nonexistent/ecslocal-command", "x"))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nosuch")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	assert.True(t, strings.HasPrefix(aws.ToString(done.StoppedReason), "CannotStartContainerError: "), aws.ToString(done.StoppedReason))
	assert.Contains(t, aws.ToString(done.StoppedReason), "/nonexistent/ecslocal-command")
	assert.True(t, strings.HasPrefix(aws.ToString(done.Containers[0].Reason), "CannotStartContainerError: "))
	assert.Nil(t, done.StartedAt)
	assert.Nil(t, done.Containers[0].ExitCode)
}

func testMissingLogGroup(t *testing.T, e *env, _ testRuntime) {
	c := e.container("app", "echo", "never")
	delete(c.LogConfiguration.Options, "awslogs-create-group")
	c.LogConfiguration.Options["awslogs-group"] = "/ecslocal/absent"
	e.register("nogroup", c)
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nogroup")})
	done := e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	assert.True(t, strings.HasPrefix(aws.ToString(done.StoppedReason), "ResourceInitializationError: failed to validate logger args: "), aws.ToString(done.StoppedReason))

	_, err := e.logs.CreateLogGroup(e.ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("/ecslocal/absent")})
	require.NoError(t, err)
	task = e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nogroup")})
	done = e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, []string{"never"}, e.logLines("/ecslocal/absent", "app/app/"+taskID(aws.ToString(task.TaskArn))))
}

func testLinesInOrder(t *testing.T, e *env, _ testRuntime) {
	e.register("chatty", e.container("app", "sh", "-c", `i=1; while [ $i -le 250 ]; do echo "line $i"; i=$((i+1)); done`))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("chatty")})
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	var want []string
	for i := 1; i <= 250; i++ {
		want = append(want, fmt.Sprint("line ", i))
	}
	assert.Equal(t, want, e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn))), "every line, in order, once the task is STOPPED")
}

func testLongLines(t *testing.T, e *env, _ testRuntime) {
	e.register("long", e.container("app", "sh", "-c", `head -c 300000 /dev/zero | tr '\0' x; echo; echo; echo after`))
	task := e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("long")})
	e.waitStatus(aws.ToString(task.TaskArn), "STOPPED")
	lines := e.logLines("/ecslocal/test", "app/app/"+taskID(aws.ToString(task.TaskArn)))
	require.Len(t, lines, 3, "the long line in two events, the empty line dropped")
	assert.Equal(t, 300000, len(lines[0])+len(lines[1]))
	assert.Equal(t, strings.Repeat("x", len(lines[0])), lines[0])
	assert.Equal(t, 256*1024-26, len(lines[0]))
	assert.Equal(t, "after", lines[2])
}

// runUntilStarted runs a task of family and waits until it is RUNNING and
// its container printed "started".
func (e *env) runUntilStarted(family string) (arn, stream string) {
	e.t.Helper()
	arn = aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String(family)}).TaskArn)
	stream = "app/app/" + taskID(arn)
	e.waitStatus(arn, "RUNNING")
	require.Eventually(e.t, func() bool { return slices.Contains(e.logLines("/ecslocal/test", stream), "started") }, waitTimeout, 10*time.Millisecond)
	return arn, stream
}

func testStopTaskTerm(t *testing.T, e *env, _ testRuntime) {
	e.register("trap", e.container("app", "sh", "-c", `trap "echo got TERM; exit 143" TERM; echo started; while :; do sleep 0.05; done`))
	arn, stream := e.runUntilStarted("trap")
	out, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn), Reason: aws.String("no longer needed")})
	require.NoError(t, err)
	assert.Equal(t, "STOPPED", aws.ToString(out.Task.DesiredStatus))

	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeUserInitiated, done.StopCode)
	assert.Equal(t, "no longer needed", aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(143), aws.ToInt32(done.Containers[0].ExitCode))
	assert.NotNil(t, done.StoppingAt)
	// Every line is in the log store by the time the task is STOPPED (the
	// process runtime's shell may also report its sleep "Terminated").
	lines := e.logLines("/ecslocal/test", stream)
	require.NotEmpty(t, lines)
	assert.Equal(t, "started", lines[0])
	assert.Equal(t, "got TERM", lines[len(lines)-1])
}

func testStopTaskKill(t *testing.T, e *env, _ testRuntime) {
	e.register("stubborn", e.container("app", "sh", "-c", `trap "echo ignoring TERM" TERM; echo started; while :; do sleep 0.05; done`))
	arn, stream := e.runUntilStarted("stubborn")
	_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
	require.NoError(t, err)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, "Task stopped by user", aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(137), aws.ToInt32(done.Containers[0].ExitCode), "killed by SIGKILL")
	assert.GreaterOrEqual(t, done.StoppedAt.Sub(*done.StoppingAt), 290*time.Millisecond, "timestamps have ms precision")
	assert.Contains(t, e.logLines("/ecslocal/test", stream), "ignoring TERM")
}

func testContainerStopTimeout(t *testing.T, e *env, _ testRuntime) {
	c := e.container("app", "sh", "-c", `trap "" TERM; echo started; while :; do sleep 0.05; done`)
	c.StopTimeout = aws.Int32(1)
	e.register("own-timeout", c)
	arn, _ := e.runUntilStarted("own-timeout")
	_, err := e.ecs.StopTask(e.ctx, &ecs.StopTaskInput{Task: aws.String(arn)})
	require.NoError(t, err)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, int32(137), aws.ToInt32(done.Containers[0].ExitCode))
	assert.GreaterOrEqual(t, done.StoppedAt.Sub(*done.StoppingAt), 990*time.Millisecond)
}

// pidTasks runs one task that obeys SIGTERM and one that ignores it, each
// reporting the pids of its shell and of a child, and returns their ARNs
// and pids (meaningful on the host for the process runtime only).
func (e *env) pidTasks() (arns []string, pids [][]int) {
	e.t.Helper()
	e.register("obedient", e.container("app", "sh", "-c", `sleep 60 & echo "pids $$ $!"; wait`))
	e.register("stubborn", e.container("app", "sh", "-c", `trap "" TERM; sleep 60 & echo "pids $$ $!"; while :; do wait; done`))
	for _, family := range []string{"obedient", "stubborn"} {
		arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String(family)}).TaskArn)
		arns = append(arns, arn)
		e.waitStatus(arn, "RUNNING")
		var lines []string
		require.Eventually(e.t, func() bool {
			lines = e.logLines("/ecslocal/test", "app/app/"+taskID(arn))
			return len(lines) > 0
		}, waitTimeout, 10*time.Millisecond)
		var ps []int
		for _, f := range strings.Fields(strings.TrimPrefix(lines[0], "pids ")) {
			pid, err := strconv.Atoi(f)
			require.NoError(e.t, err)
			ps = append(ps, pid)
		}
		pids = append(pids, ps)
	}
	return arns, pids
}

func testNothingLeftAfterClose(t *testing.T, e *env, rt testRuntime) {
	arns, pids := e.pidTasks()
	for i, arn := range arns {
		require.NotEmpty(t, rt.leftovers(t, arn, pids[i]), "task %d runs before Close", i)
	}
	require.NoError(t, e.srv.Close())
	for i, arn := range arns {
		assert.Empty(t, rt.leftovers(t, arn, pids[i]), "nothing of task %d is left once Close returned", i)
	}
}

func testNothingLeftAfterCrash(t *testing.T, e *env, rt testRuntime) {
	stateDir := t.TempDir()
	child := startCrashChild(t, rt.name, stateDir)
	ce := child.env(t)
	ce.image = e.image
	arns, pids := ce.pidTasks()
	// A runtime that starts leaves a live server's containers alone.
	bystander := ecslocal.New(ecslocal.Options{Runtime: rt.open(t, stateDir)})
	for i, arn := range arns {
		require.NotEmpty(t, rt.leftovers(t, arn, pids[i]), "task %d of the live server still runs", i)
	}
	require.NoError(t, bystander.Close())
	child.kill(t)
	for i, arn := range arns {
		require.NotEmpty(t, rt.leftovers(t, arn, pids[i]), "task %d outlives the crashed server", i)
	}

	// Creating the runtime removes the leftovers; a killed process may
	// take a moment to die.
	restarted := rt.open(t, stateDir)
	for i, arn := range arns {
		assert.Eventually(t, func() bool { return len(rt.leftovers(t, arn, pids[i])) == 0 }, waitTimeout, 10*time.Millisecond,
			"the restarted runtime removes what is left of task %d", i)
	}
	srv := ecslocal.New(ecslocal.Options{Runtime: restarted})
	require.NoError(t, srv.Close())
	entries, err := os.ReadDir(stateDir)
	require.NoError(t, err)
	assert.Empty(t, entries, "no crash record is left")
}

func testImageFiles(t *testing.T, e *env, _ testRuntime) {
	e.register("image", e.container("app", "cat", "/etc/ecslocal-test-image"))
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("image")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, int32(0), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Equal(t, []string{"temporal-ecs test image"}, e.logLines("/ecslocal/test", "app/app/"+taskID(arn)), "the file comes from the image")
}

func testUser(t *testing.T, e *env, _ testRuntime) {
	c := e.container("app", "id", "-u")
	c.User = aws.String("65534")
	e.register("user", c)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("user")}).TaskArn)
	e.waitStatus(arn, "STOPPED")
	assert.Equal(t, []string{"65534"}, e.logLines("/ecslocal/test", "app/app/"+taskID(arn)))
}

func testPullFailure(t *testing.T, e *env, _ testRuntime) {
	c := e.container("app", "true")
	c.Image = aws.String("temporal-ecs-test/no-such-image:missing")
	e.register("nopull", c)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("nopull")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeTaskFailedToStart, done.StopCode)
	reason := aws.ToString(done.StoppedReason)
	assert.True(t, strings.HasPrefix(reason, "CannotPullContainerError: "), reason)
	assert.Contains(t, reason, "temporal-ecs-test/no-such-image")
	assert.Equal(t, reason, aws.ToString(done.Containers[0].Reason))
	assert.Nil(t, done.Containers[0].ExitCode)
	assert.Nil(t, done.StartedAt)
}

func testOOMKill(t *testing.T, e *env, _ testRuntime) {
	// Grows by 1 MiB a step past its 16 MiB.
	c := e.container("app", "sh", "-c", `echo growing; c=$(head -c 1048576 /dev/zero | tr '\0' x); x=; while :; do x="$x$c"; done`)
	c.Memory = aws.Int32(16)
	e.register("oom", c)
	arn := aws.ToString(e.run(&ecs.RunTaskInput{TaskDefinition: aws.String("oom")}).TaskArn)
	done := e.waitStatus(arn, "STOPPED")
	assert.Equal(t, types.TaskStopCodeEssentialContainerExited, done.StopCode)
	assert.Equal(t, "Essential container in task exited", aws.ToString(done.StoppedReason))
	assert.Equal(t, int32(137), aws.ToInt32(done.Containers[0].ExitCode))
	assert.Equal(t, "OutOfMemoryError: Container killed due to memory usage", aws.ToString(done.Containers[0].Reason))
}
