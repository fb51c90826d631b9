package activities

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
)

const (
	testRegion  = "us-east-1"
	testCluster = "arn:aws:ecs:us-east-1:123456789012:cluster/jobs"
)

// fakeECS is a small in-memory ECS: task definitions by family and
// revision, tasks by ARN, idempotent RunTask, and queues of injected
// errors and failures.
type fakeECS struct {
	mu sync.Mutex

	defs      map[string]*types.TaskDefinition // by ARN
	latest    map[string]string                // family → ARN of the latest ACTIVE revision
	revisions map[string]int                   // family → last revision number

	tasks  map[string]*types.Task // by ARN
	tokens map[string]string      // client token → task ARN
	taskN  int

	// Injected outcomes, consumed one per call.
	registerErrs   []error
	describeDefErr map[string]error
	runErrs        []error
	runFailures    []types.Failure
	// runLoseResponse: the next RunTask starts the task but returns this error.
	runLoseResponse error
	// missing: DescribeTasks reports the task MISSING this many more times.
	missing          map[string]int
	describeTasksErr error
	stopErr          error
	listErr          error
	deregisterErr    error
	// listPageSize is the most ARNs one ListTasks page holds (default 100).
	listPageSize int
	// listGhosts are listed by ListTasks although ECS no longer knows them.
	listGhosts []string
	// stopErrs fails StopTask of these tasks.
	stopErrs map[string]error

	// Observations.
	registerCalls      int
	runCalls           int
	runInputs          []*ecs.RunTaskInput
	describeTasksCalls int
	describeBatchMax   int
	stopped            map[string]string // task ARN → reason
}

func newFakeECS() *fakeECS {
	return &fakeECS{
		defs: map[string]*types.TaskDefinition{}, latest: map[string]string{}, revisions: map[string]int{},
		tasks: map[string]*types.Task{}, tokens: map[string]string{},
		describeDefErr: map[string]error{}, missing: map[string]int{}, stopped: map[string]string{},
	}
}

// sdkError wraps err as the SDK returns an API error: in a
// *smithy.OperationError naming the service and the operation.
func sdkError(service, op string, err error) error {
	return &smithy.OperationError{ServiceID: service, OperationName: op, Err: err}
}

func pop[T any](q *[]T) (T, bool) {
	var zero T
	if len(*q) == 0 {
		return zero, false
	}
	v := (*q)[0]
	*q = (*q)[1:]
	return v, true
}

func (f *fakeECS) RegisterTaskDefinition(_ context.Context, in *ecs.RegisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.RegisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registerCalls++
	if err, ok := pop(&f.registerErrs); ok && err != nil {
		return nil, sdkError("ECS", "RegisterTaskDefinition", err)
	}
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: f.addDefLocked(in)}, nil
}

// addDef registers a revision as ECS would, with its defaults filled in.
func (f *fakeECS) addDef(in *ecs.RegisterTaskDefinitionInput) *types.TaskDefinition {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.addDefLocked(in)
}

func (f *fakeECS) addDefLocked(in *ecs.RegisterTaskDefinitionInput) *types.TaskDefinition {
	family := aws.ToString(in.Family)
	f.revisions[family]++
	rev := f.revisions[family]
	arn := fmt.Sprintf("arn:aws:ecs:%s:123456789012:task-definition/%s:%d", testRegion, family, rev)
	td := &types.TaskDefinition{
		TaskDefinitionArn:       aws.String(arn),
		Family:                  in.Family,
		Revision:                int32(rev),
		Status:                  types.TaskDefinitionStatusActive,
		ContainerDefinitions:    slices.Clone(in.ContainerDefinitions),
		Cpu:                     in.Cpu,
		Memory:                  in.Memory,
		NetworkMode:             in.NetworkMode,
		RequiresCompatibilities: in.RequiresCompatibilities,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		TaskRoleArn:             in.TaskRoleArn,
	}
	if td.NetworkMode == "" {
		td.NetworkMode = types.NetworkModeBridge
	}
	f.defs[arn] = td
	f.latest[family] = arn
	return td
}

func (f *fakeECS) DescribeTaskDefinition(_ context.Context, in *ecs.DescribeTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := aws.ToString(in.TaskDefinition)
	if err := f.describeDefErr[id]; err != nil {
		return nil, sdkError("ECS", "DescribeTaskDefinition", err)
	}
	if arn, ok := f.latest[id]; ok {
		id = arn
	}
	td, ok := f.defs[id]
	if !ok {
		return nil, sdkError("ECS", "DescribeTaskDefinition", &types.ClientException{Message: aws.String("Unable to describe task definition.")})
	}
	c := *td
	return &ecs.DescribeTaskDefinitionOutput{TaskDefinition: &c}, nil
}

func (f *fakeECS) DeregisterTaskDefinition(_ context.Context, in *ecs.DeregisterTaskDefinitionInput, _ ...func(*ecs.Options)) (*ecs.DeregisterTaskDefinitionOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.deregisterErr != nil {
		return nil, sdkError("ECS", "DeregisterTaskDefinition", f.deregisterErr)
	}
	td, ok := f.defs[aws.ToString(in.TaskDefinition)]
	if !ok {
		return nil, sdkError("ECS", "DeregisterTaskDefinition", &types.ClientException{Message: aws.String("The specified task definition does not exist.")})
	}
	if td.Status != types.TaskDefinitionStatusActive {
		return nil, sdkError("ECS", "DeregisterTaskDefinition", &types.ClientException{Message: aws.String("The specified task definition is already inactive.")})
	}
	f.deactivateLocked(aws.ToString(td.TaskDefinitionArn))
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: td}, nil
}

// deactivateLocked marks a revision INACTIVE as a deregistration would.
func (f *fakeECS) deactivateLocked(arn string) {
	td := f.defs[arn]
	td.Status = types.TaskDefinitionStatusInactive
	family := aws.ToString(td.Family)
	delete(f.latest, family)
	for r := f.revisions[family]; r > 0; r-- {
		a := fmt.Sprintf("arn:aws:ecs:%s:123456789012:task-definition/%s:%d", testRegion, family, r)
		if d, ok := f.defs[a]; ok && d.Status == types.TaskDefinitionStatusActive {
			f.latest[family] = a
			break
		}
	}
}

func (f *fakeECS) RunTask(_ context.Context, in *ecs.RunTaskInput, _ ...func(*ecs.Options)) (*ecs.RunTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runCalls++
	f.runInputs = append(f.runInputs, in)
	if err, ok := pop(&f.runErrs); ok && err != nil {
		return nil, sdkError("ECS", "RunTask", err)
	}
	if fl, ok := pop(&f.runFailures); ok {
		return &ecs.RunTaskOutput{Failures: []types.Failure{fl}}, nil
	}
	token := aws.ToString(in.ClientToken)
	if arn, ok := f.tokens[token]; ok && token != "" {
		if t := f.tasks[arn]; aws.ToString(t.TaskDefinitionArn) != aws.ToString(in.TaskDefinition) {
			return nil, sdkError("ECS", "RunTask", &types.ConflictException{
				Message: aws.String("the client token was used with other parameters"), ResourceIds: []string{arn}})
		}
		return &ecs.RunTaskOutput{Tasks: []types.Task{*f.tasks[arn]}}, nil
	}
	f.taskN++
	arn := fmt.Sprintf("arn:aws:ecs:%s:123456789012:task/jobs/%032d", testRegion, f.taskN)
	t := &types.Task{
		TaskArn: aws.String(arn), ClusterArn: aws.String(testCluster), TaskDefinitionArn: in.TaskDefinition,
		LastStatus: aws.String("PROVISIONING"), DesiredStatus: aws.String("RUNNING"),
		Containers: []types.Container{{Name: aws.String("main")}}, StartedBy: in.StartedBy, Tags: in.Tags,
	}
	f.tasks[arn] = t
	f.tokens[token] = arn
	if err := f.runLoseResponse; err != nil {
		f.runLoseResponse = nil
		return nil, sdkError("ECS", "RunTask", err)
	}
	return &ecs.RunTaskOutput{Tasks: []types.Task{*t}}, nil
}

func (f *fakeECS) DescribeTasks(_ context.Context, in *ecs.DescribeTasksInput, _ ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describeTasksCalls++
	f.describeBatchMax = max(f.describeBatchMax, len(in.Tasks))
	if f.describeTasksErr != nil {
		return nil, sdkError("ECS", "DescribeTasks", f.describeTasksErr)
	}
	if len(in.Tasks) > 100 {
		return nil, sdkError("ECS", "DescribeTasks", &types.InvalidParameterException{Message: aws.String("too many tasks")})
	}
	out := &ecs.DescribeTasksOutput{}
	for _, arn := range in.Tasks {
		t, ok := f.tasks[arn]
		if n := f.missing[arn]; n > 0 || !ok {
			f.missing[arn] = max(n-1, 0)
			out.Failures = append(out.Failures, types.Failure{Arn: aws.String(arn), Reason: aws.String("MISSING")})
			continue
		}
		c := *t
		c.Containers = slices.Clone(t.Containers)
		if !slices.Contains(in.Include, types.TaskFieldTags) {
			c.Tags = nil
		}
		out.Tasks = append(out.Tasks, c)
	}
	return out, nil
}

func (f *fakeECS) StopTask(_ context.Context, in *ecs.StopTaskInput, _ ...func(*ecs.Options)) (*ecs.StopTaskOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopErr != nil {
		return nil, sdkError("ECS", "StopTask", f.stopErr)
	}
	arn := aws.ToString(in.Task)
	if err := f.stopErrs[arn]; err != nil {
		return nil, sdkError("ECS", "StopTask", err)
	}
	t, ok := f.tasks[arn]
	if !ok {
		return nil, sdkError("ECS", "StopTask", &types.InvalidParameterException{Message: aws.String("The referenced task was not found.")})
	}
	f.stopped[arn] = aws.ToString(in.Reason)
	t.LastStatus, t.DesiredStatus = aws.String("STOPPED"), aws.String("STOPPED")
	t.StopCode, t.StoppedReason = types.TaskStopCodeUserInitiated, in.Reason
	return &ecs.StopTaskOutput{Task: t}, nil
}

func (f *fakeECS) ListTasks(_ context.Context, in *ecs.ListTasksInput, _ ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.listErr != nil {
		return nil, sdkError("ECS", "ListTasks", f.listErr)
	}
	desired := string(in.DesiredStatus)
	if desired == "" {
		desired = "RUNNING"
	}
	var arns []string
	for arn, t := range f.tasks {
		if in.StartedBy != nil && aws.ToString(t.StartedBy) != *in.StartedBy {
			continue
		}
		if desiredStatus(t) != desired {
			continue
		}
		arns = append(arns, arn)
	}
	arns = append(arns, f.listGhosts...)
	slices.Sort(arns)
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		start, _ = strconv.Atoi(tok)
	}
	size := cmp.Or(f.listPageSize, 100)
	end := min(start+size, len(arns))
	out := &ecs.ListTasksOutput{TaskArns: arns[start:end]}
	if end < len(arns) {
		out.NextToken = aws.String(strconv.Itoa(end))
	}
	return out, nil
}

// desiredStatus is the task's desired status, STOPPED once it stopped.
func desiredStatus(t *types.Task) string {
	if aws.ToString(t.LastStatus) == "STOPPED" {
		return "STOPPED"
	}
	return cmp.Or(aws.ToString(t.DesiredStatus), "RUNNING")
}

// addTask adds a task in the given status, as if started by RunTask.
func (f *fakeECS) addTask(status string, containers ...string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.taskN++
	arn := fmt.Sprintf("arn:aws:ecs:%s:123456789012:task/jobs/%032d", testRegion, f.taskN)
	if len(containers) == 0 {
		containers = []string{"main"}
	}
	t := &types.Task{TaskArn: aws.String(arn), ClusterArn: aws.String(testCluster), LastStatus: aws.String(status),
		TaskDefinitionArn: aws.String("arn:aws:ecs:us-east-1:123456789012:task-definition/job:1")}
	for _, c := range containers {
		t.Containers = append(t.Containers, types.Container{Name: aws.String(c)})
	}
	f.tasks[arn] = t
	return arn
}

// update changes a task under the lock.
func (f *fakeECS) update(arn string, fn func(t *types.Task)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.tasks[arn])
}

// stop marks a task STOPPED with the exit codes given by container name.
func (f *fakeECS) stop(arn string, code types.TaskStopCode, reason string, exits map[string]int32) {
	f.update(arn, func(t *types.Task) {
		t.LastStatus = aws.String("STOPPED")
		t.StopCode, t.StoppedReason = code, aws.String(reason)
		now := time.Now()
		t.StoppedAt = &now
		for i := range t.Containers {
			if c, ok := exits[aws.ToString(t.Containers[i].Name)]; ok {
				t.Containers[i].ExitCode = aws.Int32(c)
			}
		}
		if len(exits) > 0 && t.StartedAt == nil {
			t.StartedAt = &now
		}
	})
}

func (f *fakeECS) snapshot() (runCalls, tasks, describeCalls int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runCalls, len(f.tasks), f.describeTasksCalls
}

// fakeEC2 holds VPCs and their subnets.
type fakeEC2 struct {
	mu         sync.Mutex
	defaultVpc string
	subnets    map[string][]string // VPC → subnet IDs
	calls      int
}

func (f *fakeEC2) DescribeVpcs(_ context.Context, in *ec2.DescribeVpcsInput, _ ...func(*ec2.Options)) (*ec2.DescribeVpcsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	out := &ec2.DescribeVpcsOutput{}
	if len(in.VpcIds) == 0 {
		if f.defaultVpc != "" {
			out.Vpcs = []ec2types.Vpc{{VpcId: aws.String(f.defaultVpc), IsDefault: aws.Bool(true)}}
		}
		return out, nil
	}
	for _, id := range in.VpcIds {
		if _, ok := f.subnets[id]; ok {
			out.Vpcs = append(out.Vpcs, ec2types.Vpc{VpcId: aws.String(id)})
		}
	}
	return out, nil
}

func (f *fakeEC2) DescribeSubnets(_ context.Context, in *ec2.DescribeSubnetsInput, _ ...func(*ec2.Options)) (*ec2.DescribeSubnetsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	out := &ec2.DescribeSubnetsOutput{}
	for _, flt := range in.Filters {
		if aws.ToString(flt.Name) != "vpc-id" {
			continue
		}
		for _, vpc := range flt.Values {
			for _, s := range f.subnets[vpc] {
				out.Subnets = append(out.Subnets, ec2types.Subnet{SubnetId: aws.String(s), VpcId: aws.String(vpc)})
			}
		}
	}
	return out, nil
}

// fakeLogs is one CloudWatch Logs group of streams. Pages hold pageSize
// events; a forward token is "f/<index of the next event>", and at the end
// the token sent is returned, as CloudWatch does.
type fakeLogs struct {
	mu       sync.Mutex
	streams  map[string][]cwtypes.OutputLogEvent // "group/stream" → events
	pageSize int
	calls    int
	errs     []error
}

func newFakeLogs(pageSize int) *fakeLogs {
	return &fakeLogs{streams: map[string][]cwtypes.OutputLogEvent{}, pageSize: pageSize}
}

// write appends lines to a stream, all with timestamp ts (milliseconds).
func (f *fakeLogs) write(group, stream string, ts int64, lines ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, l := range lines {
		f.streams[group+"/"+stream] = append(f.streams[group+"/"+stream], cwtypes.OutputLogEvent{Timestamp: aws.Int64(ts), Message: aws.String(l)})
	}
}

func (f *fakeLogs) GetLogEvents(_ context.Context, in *cloudwatchlogs.GetLogEventsInput, _ ...func(*cloudwatchlogs.Options)) (*cloudwatchlogs.GetLogEventsOutput, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if err, ok := pop(&f.errs); ok && err != nil {
		return nil, sdkError("CloudWatch Logs", "GetLogEvents", err)
	}
	events, ok := f.streams[aws.ToString(in.LogGroupName)+"/"+aws.ToString(in.LogStreamName)]
	if !ok {
		return nil, sdkError("CloudWatch Logs", "GetLogEvents", &cwtypes.ResourceNotFoundException{Message: aws.String("The specified log stream does not exist.")})
	}
	start := 0
	if tok := aws.ToString(in.NextToken); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "f/"))
		if err != nil || !strings.HasPrefix(tok, "f/") || n > len(events) {
			return nil, sdkError("CloudWatch Logs", "GetLogEvents", &cwtypes.InvalidParameterException{Message: aws.String("The specified nextToken is invalid.")})
		}
		start = n
	} else if in.StartTime != nil {
		for start < len(events) && aws.ToInt64(events[start].Timestamp) < *in.StartTime {
			start++
		}
	}
	end := min(start+f.pageSize, len(events))
	next := "f/" + strconv.Itoa(end)
	if start == end && aws.ToString(in.NextToken) != "" {
		next = aws.ToString(in.NextToken)
	}
	return &cloudwatchlogs.GetLogEventsOutput{Events: slices.Clone(events[start:end]), NextForwardToken: aws.String(next)}, nil
}

// fakeWorld is the fakes behind one Activities.
type fakeWorld struct {
	ecs  *fakeECS
	ec2  *fakeEC2
	logs *fakeLogs

	mu     sync.Mutex
	builds []clientKey
}

func newFakeWorld() *fakeWorld {
	return &fakeWorld{
		ecs:  newFakeECS(),
		ec2:  &fakeEC2{defaultVpc: "vpc-default", subnets: map[string][]string{"vpc-default": {"subnet-b", "subnet-a"}, "vpc-custom": {"subnet-c"}}},
		logs: newFakeLogs(3),
	}
}

func (w *fakeWorld) newClients(key clientKey, _ aws.Config) Clients {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.builds = append(w.builds, key)
	return Clients{ECS: w.ecs, EC2: w.ec2, Logs: w.logs}
}

// newTestActivities returns Activities over the fakes, with fast polls and
// retries; it is closed when the test ends.
func newTestActivities(t testing.TB, w *fakeWorld, mutate ...func(*Options)) *Activities {
	t.Helper()
	opts := Options{
		AWS:             aws.Config{Region: testRegion},
		newClients:      w.newClients,
		minPollInterval: 2 * time.Millisecond,
		RegisterDelay:   time.Millisecond,
		Logger:          slog.New(slog.DiscardHandler),
		// The fakes deliver every event at once: no ingestion delay to wait out.
		LogGrace: time.Millisecond, logRetryDelay: time.Millisecond,
	}
	for _, m := range mutate {
		m(&opts)
	}
	a := New(opts)
	t.Cleanup(a.Close)
	return a
}
