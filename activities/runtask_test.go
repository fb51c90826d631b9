package activities

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// runJob prepares and registers raw in the fake and returns the RunTask
// input for it.
func runJob(t *testing.T, w *fakeWorld, raw string) RunTaskInput {
	t.Helper()
	p := prepare(t, raw)
	arn := p.TaskDefinitionArn
	if arn == "" {
		arn = registerAs(t, w.ecs, p)
	}
	return RunTaskInput{Job: p, TaskDefinitionArn: arn, ClientToken: "wf-1/run-1", StartedBy: "temporal-ecs/wf-1"}
}

func lastRunInput(f *fakeECS) *ecs.RunTaskInput {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runInputs[len(f.runInputs)-1]
}

func TestRunTaskStartsTheTaskWithAnInferredNetwork(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	in := runJob(t, w, `{"image":"busybox","command":"echo hi","cluster":"jobs","streamOutput":true,"executionRoleArn":"arn:aws:iam::123456789012:role/exec"}`)
	env := newTestEnv(t, a)

	var ref TaskRef
	require.NoError(t, env.run(&ref, a.RunTask, in))

	_, tasks, _ := w.ecs.snapshot()
	assert.Equal(t, 1, tasks)
	sent := lastRunInput(w.ecs)
	assert.Equal(t, "wf-1/run-1", aws.ToString(sent.ClientToken))
	assert.Equal(t, "temporal-ecs/wf-1", aws.ToString(sent.StartedBy))
	assert.Equal(t, in.TaskDefinitionArn, aws.ToString(sent.TaskDefinition))
	require.NotNil(t, sent.NetworkConfiguration)
	assert.Equal(t, []string{"subnet-a", "subnet-b"}, sent.NetworkConfiguration.AwsvpcConfiguration.Subnets, "the default VPC's subnets, sorted")
	assert.Equal(t, types.AssignPublicIpEnabled, sent.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp)

	assert.Equal(t, "jobs::"+ref.TaskArn, ref.Identifier)
	assert.Equal(t, testCluster, ref.ClusterArn)
	assert.Equal(t, "main", ref.ContainerName)
	assert.Equal(t, "PROVISIONING", ref.LastStatus, "the status of RunTask's response")
	assert.Equal(t, testRegion, ref.Region)
	assert.Equal(t, "temporal-ecs", ref.LogGroup)
	assert.Equal(t, "temporal-ecs/main/"+taskID(ref.TaskArn), ref.LogStream)
	assert.Equal(t, testRegion, ref.LogRegion)
	started := env.logs.find("Started ECS task")
	require.Len(t, started, 1)
	assert.Equal(t, slog.LevelInfo, started[0].Level)
	assert.Equal(t, ref.TaskArn, started[0].Attrs["taskArn"])
}

func TestRunTaskIdentifierUsesTheClusterArnWhenTheJobNamesNone(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	var ref TaskRef
	require.NoError(t, newTestEnv(t, a).run(&ref, a.RunTask, runJob(t, w, `{"image":"busybox"}`)))
	assert.Equal(t, testCluster+"::"+ref.TaskArn, ref.Identifier)
	assert.Empty(t, ref.LogStream, "no awslogs configured")
}

func TestRunTaskLogsTheRequestWithSecretsMasked(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	env := newTestEnv(t, a)
	require.NoError(t, env.run(nil, a.RunTask, runJob(t, w, `{"image":"busybox","env":{"API_KEY":"abcdefghijkl","PLAIN":"visible"}}`)))

	logged := env.logs.find("ECS RunTask request")
	require.Len(t, logged, 1)
	text := fmt.Sprint(logged[0].Attrs["request"])
	assert.NotContains(t, text, "abcdefghijkl")
	assert.Contains(t, text, "visible")
	assert.Equal(t, "abcdefghijkl", *lastRunInput(w.ecs).Overrides.ContainerOverrides[0].Environment[0].Value, "only the log is masked")
}

func TestRunTaskRetriedAfterALostResponseGetsTheSameTask(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	in := runJob(t, w, `{"image":"busybox"}`)
	w.ecs.runLoseResponse = errors.New("connection reset by peer")

	err := newTestEnv(t, a).run(nil, a.RunTask, in)
	require.Error(t, err)
	var appErr *temporal.ApplicationError
	require.ErrorAs(t, err, &appErr)
	assert.False(t, appErr.NonRetryable(), "a transport error is left to the activity's retry policy")

	var ref TaskRef
	require.NoError(t, newTestEnv(t, a).run(&ref, a.RunTask, in))
	_, tasks, _ := w.ecs.snapshot()
	assert.Equal(t, 1, tasks, "the retried attempt got the task of the lost response")
}

// A failure response started no task: RunTask makes one call and leaves
// the retry, under a new client token, to the workflow, telling it whether
// one may pass.
func TestRunTaskCapacityFailureIsRetryableUnderANewToken(t *testing.T) {
	for _, reason := range []string{"RESOURCE:MEMORY", "AGENT", "Capacity is unavailable at this time. Please try again later or in a different availability zone"} {
		t.Run(reason, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.runFailures = []types.Failure{{Reason: aws.String(reason)}}
			a := newTestActivities(t, w)
			in := runJob(t, w, `{"image":"busybox"}`)
			err := newTestEnv(t, a).run(nil, a.RunTask, in)
			appErr := requireAppError(t, err, ErrRunTaskFailed, true)
			var f RunFailure
			require.NoError(t, appErr.Details(&f))
			assert.Equal(t, RunFailure{Reason: reason, Retryable: true}, f)
			runs, tasks, _ := w.ecs.snapshot()
			assert.Equal(t, 1, runs, "one RunTask call per attempt")
			assert.Zero(t, tasks)

			in.ClientToken += "-next"
			require.NoError(t, newTestEnv(t, a).run(nil, a.RunTask, in))
			_, tasks, _ = w.ecs.snapshot()
			assert.Equal(t, 1, tasks)
		})
	}
}

// Throttling is the SDK retryer's, then Temporal's, under the same token.
func TestRunTaskThrottlingIsRetryableUnderTheSameToken(t *testing.T) {
	w := newFakeWorld()
	w.ecs.runErrs = []error{&smithy.GenericAPIError{Code: "ThrottlingException", Message: "Rate exceeded"}}
	a := newTestActivities(t, w)
	in := runJob(t, w, `{"image":"busybox"}`)
	err := newTestEnv(t, a).run(nil, a.RunTask, in)
	requireAppError(t, err, "ThrottlingException", false)
	require.NoError(t, newTestEnv(t, a).run(nil, a.RunTask, in))
	runs, tasks, _ := w.ecs.snapshot()
	assert.Equal(t, 2, runs)
	assert.Equal(t, 1, tasks)
}

func TestRunTaskFailsWithTheFailureReason(t *testing.T) {
	w := newFakeWorld()
	w.ecs.runFailures = []types.Failure{{Reason: aws.String("MISSING"), Arn: aws.String("arn:x")}}
	a := newTestActivities(t, w)
	err := newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, `{"image":"busybox"}`))
	appErr := requireAppError(t, err, ErrRunTaskFailed, true)
	assert.Contains(t, appErr.Error(), "MISSING")
	var f RunFailure
	require.NoError(t, appErr.Details(&f))
	assert.False(t, f.Retryable, "a failure retrying cannot fix")
}

func TestRunTaskErrorHints(t *testing.T) {
	for _, tc := range []struct {
		name     string
		err      error
		job      string
		wantType string
		wantMsg  string
	}{
		{"cluster not found", &types.ClusterNotFoundException{Message: aws.String("Cluster not found.")}, `{"image":"busybox","cluster":"nope"}`,
			ErrClusterNotFound, `cluster "nope"`},
		{"no container instances", &types.InvalidParameterException{Message: aws.String("No Container Instances were found in your cluster.")},
			`{"image":"busybox","cluster":"ec2","launchType":"EC2"}`, ErrNoContainerInstances, "container instances"},
		{"logs permissions", &types.ClientException{Message: aws.String("failed to validate logger args: AccessDeniedException: not authorized to perform logs:CreateLogGroup")},
			`{"image":"busybox","streamOutput":true,"executionRoleArn":"arn:aws:iam::123456789012:role/exec"}`, ErrMissingLogsPermissions, "arn:aws:iam::123456789012:role/exec"},
		{"inactive definition", &types.ClientException{Message: aws.String("TaskDefinition is inactive")}, `{"image":"busybox"}`,
			ErrTaskDefinitionInactive, "register it again"},
		{"capacity provider", &types.InvalidParameterException{Message: aws.String("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster.")},
			`{"image":"busybox","capacityProviderStrategy":[{"capacityProvider":"mine","weight":1}]}`, ErrCapacityProvider, "capacity providers"},
		{"network", &types.InvalidParameterException{Message: aws.String("Error retrieving subnet information for [subnet-zzz]: The subnet ID 'subnet-zzz' does not exist")},
			`{"image":"busybox"}`, ErrNetworkConfiguration, "subnets and security groups"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.runErrs = []error{tc.err}
			a := newTestActivities(t, w)
			err := newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, tc.job))
			appErr := requireAppError(t, err, tc.wantType, true)
			assert.Contains(t, appErr.Error(), tc.wantMsg)
			cause := errors.Unwrap(appErr)
			require.NotNil(t, cause, "the AWS error is kept as the cause")
			assert.Contains(t, cause.Error(), tc.err.(interface{ ErrorMessage() string }).ErrorMessage())
			var causeErr *temporal.ApplicationError
			require.ErrorAs(t, cause, &causeErr)
			assert.Equal(t, tc.err.(smithy.APIError).ErrorCode(), causeErr.Type(), "the cause is typed by its AWS error code")
		})
	}
}

func TestRunTaskOtherErrorsKeepTheirAWSErrorCode(t *testing.T) {
	for _, tc := range []struct {
		name, code string
		err        error
	}{
		{"access denied", "AccessDeniedException", &types.AccessDeniedException{Message: aws.String("not authorized to perform ecs:RunTask")}},
		{"invalid parameter", "InvalidParameterException", &types.InvalidParameterException{Message: aws.String("Override for container named ghost is not a container in the TaskDefinition.")}},
		{"server", "ServerException", &types.ServerException{Message: aws.String("internal error")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			w.ecs.runErrs = []error{tc.err}
			a := newTestActivities(t, w)
			err := newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, `{"image":"busybox","cluster":"jobs"}`))
			appErr := requireAppError(t, err, tc.code, false)
			assert.Contains(t, appErr.Error(), `run ECS task of arn:aws:ecs:`, "the message says what failed")
			assert.Contains(t, appErr.Error(), `on cluster "jobs"`)
			assert.Contains(t, appErr.Error(), tc.err.(smithy.APIError).ErrorMessage())
		})
	}
}

func TestRunTaskNetworkErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(*fakeEC2)
		job     string
		wantMsg []string
	}{
		{"no default VPC", func(f *fakeEC2) { f.defaultVpc = "" }, `{"image":"busybox"}`, []string{"default VPC", "vpcId"}},
		{"unknown VPC", nil, `{"image":"busybox","vpcId":"vpc-nope"}`, []string{"vpc-nope"}},
		{"VPC without subnets", func(f *fakeEC2) { f.subnets["vpc-empty"] = nil }, `{"image":"busybox","vpcId":"vpc-empty"}`, []string{"no subnets", "vpc-empty"}},
		{"custom subnets outside the VPC", nil,
			`{"image":"busybox","vpcId":"vpc-custom","networkConfiguration":{"subnets":["subnet-c","subnet-a"],"securityGroups":["sg-1"]}}`,
			[]string{"subnet-c", "subnet-a", "vpc-custom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newFakeWorld()
			if tc.setup != nil {
				tc.setup(w.ec2)
			}
			a := newTestActivities(t, w)
			err := newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, tc.job))
			appErr := requireAppError(t, err, ErrNetworkConfiguration, true)
			for _, m := range tc.wantMsg {
				assert.Contains(t, appErr.Error(), m)
			}
			runs, _, _ := w.ecs.snapshot()
			assert.Zero(t, runs, "refused before RunTask")
		})
	}
}

func TestRunTaskUsesACustomNetworkOfTheVPC(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	require.NoError(t, newTestEnv(t, a).run(nil, a.RunTask,
		runJob(t, w, `{"image":"busybox","vpcId":"vpc-custom","networkConfiguration":{"subnets":["subnet-c"],"securityGroups":["sg-1"]}}`)))
	nc := lastRunInput(w.ecs).NetworkConfiguration.AwsvpcConfiguration
	assert.Equal(t, []string{"subnet-c"}, nc.Subnets)
	assert.Equal(t, []string{"sg-1"}, nc.SecurityGroups)
}

func TestRunTaskFargateSpotUsesACapacityProviderStrategy(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	require.NoError(t, newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, `{"image":"busybox","launchType":"FARGATE_SPOT"}`)))
	sent := lastRunInput(w.ecs)
	assert.Empty(t, sent.LaunchType)
	require.Len(t, sent.CapacityProviderStrategy, 1)
	assert.Equal(t, "FARGATE_SPOT", aws.ToString(sent.CapacityProviderStrategy[0].CapacityProvider))
}

func TestRunTaskWithAGivenArnResolvesItsDefinition(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	td := w.ecs.addDef(&ecs.RegisterTaskDefinitionInput{
		Family: aws.String("given"), NetworkMode: types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("nginx"),
			LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": "apps", "awslogs-region": "eu-west-1", "awslogs-stream-prefix": "web"}}}},
	})
	in := runJob(t, w, fmt.Sprintf(`{"taskDefinitionArn":%q,"command":"run"}`, aws.ToString(td.TaskDefinitionArn)))

	var ref TaskRef
	require.NoError(t, newTestEnv(t, a).run(&ref, a.RunTask, in))

	sent := lastRunInput(w.ecs)
	assert.Equal(t, "app", aws.ToString(sent.Overrides.ContainerOverrides[0].Name), "the definition's only container")
	assert.NotNil(t, sent.NetworkConfiguration, "awsvpc: network inferred")
	assert.Equal(t, "app", ref.ContainerName)
	assert.Equal(t, "apps", ref.LogGroup)
	assert.Equal(t, "eu-west-1", ref.LogRegion)
	assert.Equal(t, "web/app/"+taskID(ref.TaskArn), ref.LogStream)
}

func TestRunTaskWithAGivenArnIncompatibleWithTheJobIsRefused(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	td := w.ecs.addDef(&ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("ec2only"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("main"), Image: aws.String("nginx")}},
	})
	err := newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, fmt.Sprintf(`{"taskDefinitionArn":%q}`, aws.ToString(td.TaskDefinitionArn))))
	appErr := requireAppError(t, err, ErrInvalidJobConfiguration, true)
	assert.Contains(t, appErr.Error(), "FARGATE")
	runs, _, _ := w.ecs.snapshot()
	assert.Zero(t, runs)
}

func TestRunTaskBridgeNetworkNeedsNoEC2(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	require.NoError(t, newTestEnv(t, a).run(nil, a.RunTask, runJob(t, w, `{"image":"busybox","launchType":"EC2"}`)))
	assert.Nil(t, lastRunInput(w.ecs).NetworkConfiguration)
	assert.Zero(t, w.ec2.calls)
}

var testOwner = job.Owner{Namespace: "default", WorkflowID: "etl.daily", RunID: "run-2", OriginalRunID: "run-1"}

func ownedRunJob(t *testing.T, w *fakeWorld, raw string) RunTaskInput {
	in := runJob(t, w, raw)
	o := testOwner
	in.Owner, in.StartedBy = &o, ""
	return in
}

// Every task carries its owner: startedBy a digest, the full identity as
// tags after the job's own.
func TestRunTaskTagsTheTaskWithItsOwner(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	var ref TaskRef
	require.NoError(t, newTestEnv(t, a).run(&ref, a.RunTask, ownedRunJob(t, w, `{"image":"busybox","labels":{"team":"data"}}`)))
	req := lastRunInput(w.ecs)
	assert.Equal(t, testOwner.StartedBy(), aws.ToString(req.StartedBy))
	tags := map[string]string{}
	for _, tg := range req.Tags {
		tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
	}
	assert.Equal(t, "data", tags["team"])
	got, ok := job.OwnerFromTags(tags)
	require.True(t, ok)
	assert.Equal(t, testOwner, got)
	assert.Equal(t, &testOwner, ref.Owner, "the waits and stops get the owner to check")
}

// A reset run's token is the run it replaced: ECS answers a request with
// other parameters with ConflictException, whose task is the one to watch.
func TestRunTaskConflictReturnsTheTokensTask(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	in := ownedRunJob(t, w, `{"image":"busybox"}`)
	var first TaskRef
	require.NoError(t, newTestEnv(t, a).run(&first, a.RunTask, in))
	in.TaskDefinitionArn = registerAs(t, w.ecs, prepare(t, `{"image":"busybox:2"}`))
	var second TaskRef
	require.NoError(t, newTestEnv(t, a).run(&second, a.RunTask, in))
	assert.Equal(t, first.TaskArn, second.TaskArn)
	_, tasks, _ := w.ecs.snapshot()
	assert.Equal(t, 1, tasks)
}

// With Adopt, a running task of the owner's chain is returned without a
// RunTask; one of another chain (the same workflow ID, a new run) is not.
func TestRunTaskAdoptsTheRunningTaskOfItsChain(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	in := ownedRunJob(t, w, `{"image":"busybox"}`)
	var first TaskRef
	require.NoError(t, newTestEnv(t, a).run(&first, a.RunTask, in))

	reset := in
	reset.ClientToken, reset.Adopt = "expired-token", true
	var adopted TaskRef
	require.NoError(t, newTestEnv(t, a).run(&adopted, a.RunTask, reset))
	assert.Equal(t, first.TaskArn, adopted.TaskArn)
	runs, tasks, _ := w.ecs.snapshot()
	assert.Equal(t, 1, runs)
	assert.Equal(t, 1, tasks)

	other := reset
	o := testOwner
	o.RunID, o.OriginalRunID = "run-9", "run-9"
	other.Owner = &o
	var fresh TaskRef
	require.NoError(t, newTestEnv(t, a).run(&fresh, a.RunTask, other))
	assert.NotEqual(t, first.TaskArn, fresh.TaskArn, "another chain's task is not adopted")
}

// Customizations cannot push the tags past ECS's limit with the owner's.
func TestRunTaskRefusesTooManyTagsWithTheOwners(t *testing.T) {
	w := newFakeWorld()
	a := newTestActivities(t, w)
	labels := map[string]string{}
	for i := range 48 {
		labels[fmt.Sprintf("l%02d", i)] = "v"
	}
	raw, err := json.Marshal(map[string]any{"image": "busybox", "labels": labels})
	require.NoError(t, err)
	err = newTestEnv(t, a).run(nil, a.RunTask, ownedRunJob(t, w, string(raw)))
	appErr := requireAppError(t, err, ErrInvalidJobConfiguration, true)
	assert.Contains(t, appErr.Error(), "labels")
	runs, _, _ := w.ecs.snapshot()
	assert.Zero(t, runs, "refused before RunTask")
}
