package ecslocal

import (
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// Task and container statuses, as ECS reports them.
const (
	statusProvisioning   = "PROVISIONING"
	statusPending        = "PENDING"
	statusActivating     = "ACTIVATING"
	statusRunning        = "RUNNING"
	statusDeprovisioning = "DEPROVISIONING"
	statusStopped        = "STOPPED"
)

// ECS's stopped reasons.
const (
	reasonEssentialExited = "Essential container in task exited"
	reasonUserStopped     = "Task stopped by user"
	reasonShutdown        = "ecslocal server is shutting down"
)

// Limits of RunTask and DescribeTasks.
const (
	maxRunTaskCount     = 10
	maxDescribeTasks    = 100
	maxOverridesLength  = 8192
	maxStopReasonLength = 255
)

// task is a launched task. t is its ECS view, guarded by Server.mu; the
// runner replaces pointer fields rather than writing through them, so a
// shallow copy of t (with its Containers slice cloned) is a consistent
// snapshot. specs says what to run and never changes.
type task struct {
	id       string
	cluster  *cluster
	family   string
	t        types.Task
	specs    []containerSpec
	hold     time.Duration
	stopping bool          // a stop was requested (stopCh is closed)
	stopCh   chan struct{} // closed when a stop is requested
	// ctx is cancelled with stopCh: it bounds the runtime's pulls and
	// starts.
	ctx    context.Context
	cancel context.CancelFunc
}

// runTaskRecord remembers a RunTask call made with a clientToken.
type runTaskRecord struct {
	fingerprint string
	tasks       []*task
	failures    []types.Failure
}

func (s *Server) runTask(in *ecs.RunTaskInput) (*ecs.RunTaskOutput, error) {
	count := int32(1)
	if in.Count != nil {
		count = *in.Count
	}
	if count < 1 || count > maxRunTaskCount {
		return nil, invalidParameter("count must be between 1 and %d; got %d.", maxRunTaskCount, count)
	}
	if in.LaunchType != "" && len(in.CapacityProviderStrategy) > 0 {
		return nil, invalidParameter("Specifying both a launchType and capacityProviderStrategy is not supported. Remove one and try again.")
	}
	if str(in.TaskDefinition) == "" {
		return nil, invalidParameter("taskDefinition is required: give a family, family:revision or task definition ARN.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	if in.Overrides != nil {
		b, _ := json.Marshal(in.Overrides.ContainerOverrides)
		if len(b) > maxOverridesLength {
			return nil, invalidParameter("Container Overrides length must be at most %d characters; these are %d.", maxOverridesLength, len(b))
		}
	}
	fingerprint := runTaskFingerprint(in)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, serverUnavailable()
	}
	cl, err := s.clusterLocked(in.Cluster)
	if err != nil {
		return nil, err
	}
	token := str(in.ClientToken)
	if token != "" {
		if rec := s.ecs.tokens[token]; rec != nil {
			if rec.fingerprint != fingerprint {
				return nil, tokenConflict(token, rec)
			}
			return s.runTaskOutputLocked(rec.tasks, rec.failures), nil
		}
	}
	ref := str(in.TaskDefinition)
	d := s.taskDefLocked(ref)
	if d == nil {
		return nil, clientException("TaskDefinition not found: %q names no registered family, revision or ARN.", ref)
	}
	if d.td.Status != types.TaskDefinitionStatusActive {
		return nil, clientException("TaskDefinition is inactive: %s was deregistered; register a new revision.", *d.td.TaskDefinitionArn)
	}
	launch, err := s.placementLocked(in, cl, d)
	if err != nil {
		return nil, err
	}
	if err := s.validateNetwork(in, d); err != nil {
		return nil, err
	}
	cpu, memory := d.td.Cpu, d.td.Memory
	if o := in.Overrides; o != nil {
		cpu, memory = cmp.Or(o.Cpu, cpu), cmp.Or(o.Memory, memory)
	}
	specs, err := s.containerSpecs(d, in.Overrides, cpu, memory)
	if err != nil {
		return nil, err
	}
	if launch.launchType == types.LaunchTypeFargate && (in.Overrides != nil && (in.Overrides.Cpu != nil || in.Overrides.Memory != nil)) {
		if cpu == nil || memory == nil {
			return nil, invalidParameter("Fargate tasks need task-level cpu and memory.")
		}
		if err := validateFargateSize(*cpu, *memory); err != nil {
			return nil, err
		}
	}

	tags := in.Tags
	if in.PropagateTags == types.PropagateTagsTaskDefinition {
		tags = mergeTags(d.tags, in.Tags)
	}
	if len(tags) > maxTags {
		return nil, invalidParameter("Too many tags: the task would have %d tags, at most %d are allowed.", len(tags), maxTags)
	}

	// The request is valid: only now may an injected placement failure
	// answer it, so that a request rejected anyway does not use one up.
	var tasks []*task
	var failures []types.Failure
	if reason, fail := s.faults.takeRunTaskFailure(); fail {
		for range count {
			failures = append(failures, types.Failure{Arn: ptr(cl.arn), Reason: ptr(reason)})
		}
	} else {
		hold := s.faults.provisioningHold()
		for range count {
			t := s.newTaskLocked(cl, d, in, launch, cpu, memory, tags, specs)
			t.hold = hold
			tasks = append(tasks, t)
		}
		for _, t := range tasks {
			s.tasksWG.Add(1)
			go s.runLifecycle(t)
		}
	}
	if token != "" {
		s.ecs.tokens[token] = &runTaskRecord{fingerprint: fingerprint, tasks: tasks, failures: failures}
	}
	return s.runTaskOutputLocked(tasks, failures), nil
}

func (s *Server) runTaskOutputLocked(tasks []*task, failures []types.Failure) *ecs.RunTaskOutput {
	out := &ecs.RunTaskOutput{Tasks: []types.Task{}, Failures: slices.Clone(failures)}
	for _, t := range tasks {
		out.Tasks = append(out.Tasks, t.snapshot(true))
	}
	if out.Failures == nil {
		out.Failures = []types.Failure{}
	}
	return out
}

// tokenConflict is ECS's answer to a RunTask whose clientToken was used
// before with different parameters: a ConflictException whose resourceIds
// are the tasks that token launched (none if it answered only failures).
func tokenConflict(token string, rec *runTaskRecord) error {
	ids := make([]string, 0, len(rec.tasks))
	for _, t := range rec.tasks {
		ids = append(ids, *t.t.TaskArn)
	}
	e := awsproto.ClientError("ConflictException",
		"The clientToken %q was already used with different RunTask parameters: reuse a token only to retry the identical request (resourceIds lists the tasks it launched).", token)
	e.Members = map[string]any{"resourceIds": ids}
	return e
}

// runTaskFingerprint identifies a RunTask request apart from its
// clientToken, to tell a retry from a different request.
func runTaskFingerprint(in *ecs.RunTaskInput) string {
	c := *in
	c.ClientToken = nil
	b, _ := json.Marshal(c)
	return string(b)
}

// launchPlacement is how a task is launched.
type launchPlacement struct {
	launchType       types.LaunchType
	capacityProvider string
}

// placementLocked decides the launch type and capacity provider of a
// RunTask request and checks the definition supports it.
func (s *Server) placementLocked(in *ecs.RunTaskInput, cl *cluster, d *taskDef) (launchPlacement, error) {
	strategy := in.CapacityProviderStrategy
	if in.LaunchType == "" && len(strategy) == 0 {
		strategy = cl.defaultProviderStrategy
	}
	p := launchPlacement{launchType: in.LaunchType}
	if len(strategy) > 0 {
		for _, item := range strategy {
			name := str(item.CapacityProvider)
			if !slices.Contains(fargateProviders, name) && !slices.Contains(cl.capacityProviders, name) {
				return p, invalidParameter("The specified capacity provider strategy cannot contain a capacity provider that is not associated with the cluster: %q (ecslocal accepts FARGATE and FARGATE_SPOT).", name)
			}
		}
		p.launchType, p.capacityProvider = types.LaunchTypeFargate, str(strategy[0].CapacityProvider)
	}
	if p.launchType == "" {
		// ECS would pick EC2 and find no container instance for a
		// Fargate-only definition; ecslocal runs it as FARGATE instead.
		p.launchType = types.LaunchTypeEc2
		if slices.Equal(d.td.RequiresCompatibilities, []types.Compatibility{types.CompatibilityFargate}) {
			p.launchType = types.LaunchTypeFargate
		}
	}
	switch p.launchType {
	case types.LaunchTypeFargate:
		if !slices.Contains(d.td.Compatibilities, types.CompatibilityFargate) {
			return p, invalidParameter("Task definition %s does not support launch_type FARGATE: it needs networkMode awsvpc and a Fargate task-level cpu/memory combination.", *d.td.TaskDefinitionArn)
		}
	case types.LaunchTypeEc2, types.LaunchTypeExternal, types.LaunchTypeManagedInstances:
		if slices.Equal(d.td.RequiresCompatibilities, []types.Compatibility{types.CompatibilityFargate}) {
			return p, invalidParameter("Task definition %s requires FARGATE compatibility and cannot run with launch_type %s.", *d.td.TaskDefinitionArn, p.launchType)
		}
	default:
		return p, invalidParameter("launchType %q is not one of EC2, FARGATE, EXTERNAL, MANAGED_INSTANCES.", p.launchType)
	}
	return p, nil
}

// validateNetwork checks the network configuration against the
// definition's network mode and the subnets EC2 knows.
func (s *Server) validateNetwork(in *ecs.RunTaskInput, d *taskDef) error {
	var vpc *types.AwsVpcConfiguration
	if in.NetworkConfiguration != nil {
		vpc = in.NetworkConfiguration.AwsvpcConfiguration
	}
	if d.td.NetworkMode != types.NetworkModeAwsvpc {
		if vpc != nil {
			return invalidParameter("Network Configuration is not valid for the given networkMode %q of this task definition: awsvpcConfiguration needs networkMode awsvpc.", string(d.td.NetworkMode))
		}
		return nil
	}
	if vpc == nil {
		return invalidParameter("Network Configuration must be provided when networkMode 'awsvpc' is specified: set networkConfiguration.awsvpcConfiguration.subnets.")
	}
	if len(vpc.Subnets) == 0 {
		return invalidParameter("subnets can not be empty: networkConfiguration.awsvpcConfiguration.subnets needs at least one subnet id.")
	}
	if len(vpc.Subnets) > 16 {
		return invalidParameter("At most 16 subnets are allowed in awsvpcConfiguration; got %d.", len(vpc.Subnets))
	}
	for _, id := range vpc.Subnets {
		if !s.ec2.SubnetExists(id) {
			return invalidParameter("Error retrieving subnet information for [%s]: The subnet ID '%s' does not exist (ErrorCode: InvalidSubnetID.NotFound)", id, id)
		}
	}
	for _, id := range vpc.SecurityGroups {
		if !s.ec2.SecurityGroupExists(id) {
			return invalidParameter("Error retrieving security group information for [%s]: The security group '%s' does not exist (ErrorCode: InvalidGroup.NotFound)", id, id)
		}
	}
	return nil
}

// newTaskLocked creates a task in PROVISIONING.
func (s *Server) newTaskLocked(cl *cluster, d *taskDef, in *ecs.RunTaskInput, launch launchPlacement,
	cpu, memory *string, tags []types.Tag, specs []containerSpec) *task {
	id := newID()
	arn := s.taskARN(cl.name, id)
	now := time.Now()
	group := str(in.Group)
	if group == "" {
		group = "family:" + *d.td.Family
	}
	overrides := types.TaskOverride{ContainerOverrides: []types.ContainerOverride{}}
	if in.Overrides != nil {
		overrides = *in.Overrides
		if overrides.ContainerOverrides == nil {
			overrides.ContainerOverrides = []types.ContainerOverride{}
		}
	}
	t := &task{
		id:      id,
		cluster: cl,
		family:  *d.td.Family,
		specs:   slices.Clone(specs),
		stopCh:  make(chan struct{}),
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.t = types.Task{
		TaskArn:              ptr(arn),
		ClusterArn:           ptr(cl.arn),
		TaskDefinitionArn:    d.td.TaskDefinitionArn,
		LastStatus:           ptr(statusProvisioning),
		DesiredStatus:        ptr(statusRunning),
		CreatedAt:            ptr(now),
		Version:              1,
		Cpu:                  cpu,
		Memory:               memory,
		LaunchType:           launch.launchType,
		Group:                ptr(group),
		StartedBy:            in.StartedBy,
		Tags:                 slices.Clone(tags),
		Overrides:            &overrides,
		AvailabilityZone:     ptr(s.opts.Region + "a"),
		EnableExecuteCommand: in.EnableExecuteCommand,
	}
	if launch.capacityProvider != "" {
		t.t.CapacityProviderName = ptr(launch.capacityProvider)
	}
	if launch.launchType == types.LaunchTypeFargate {
		version := str(in.PlatformVersion)
		if version == "" || version == "LATEST" {
			version = "1.4.0" // what LATEST resolves to
		}
		t.t.PlatformVersion = ptr(version)
		t.t.PlatformFamily = ptr("Linux")
	}
	if d.td.NetworkMode == types.NetworkModeAwsvpc {
		t.t.Attachments = []types.Attachment{eniAttachment(in.NetworkConfiguration.AwsvpcConfiguration.Subnets[0])}
	}
	for i := range t.specs {
		sp := &t.specs[i]
		t.t.Containers = append(t.t.Containers, types.Container{
			ContainerArn:      ptr(s.arn("container/" + cl.name + "/" + id + "/" + uuid())),
			Name:              ptr(sp.name),
			Image:             ptr(sp.image),
			LastStatus:        ptr(statusPending),
			TaskArn:           ptr(arn),
			Cpu:               sp.cpu,
			Memory:            sp.memory,
			MemoryReservation: sp.memoryReservation,
			RuntimeId:         ptr(id + "-" + randomString("0123456789", 10)),
		})
	}
	s.ecs.tasks[id] = t
	cl.tasks = append(cl.tasks, t)
	return t
}

// eniAttachment is the network interface attachment of an awsvpc task.
func eniAttachment(subnet string) types.Attachment {
	return types.Attachment{
		Id:     ptr(uuid()),
		Type:   ptr("ElasticNetworkInterface"),
		Status: ptr("PRECREATED"),
		Details: []types.KeyValuePair{
			{Name: ptr("subnetId"), Value: ptr(subnet)},
			{Name: ptr("networkInterfaceId"), Value: ptr("eni-" + randomString("0123456789abcdef", 17))},
			{Name: ptr("macAddress"), Value: ptr("02:00:00:00:00:01")},
			{Name: ptr("privateIPv4Address"), Value: ptr("127.0.0.1")},
		},
	}
}

// snapshot returns a copy of the task's ECS view that later changes do not
// touch; withTags false leaves the tags out, as DescribeTasks does unless
// asked for TAGS.
func (t *task) snapshot(withTags bool) types.Task {
	v := t.t
	v.Containers = slices.Clone(t.t.Containers)
	v.Attachments = slices.Clone(t.t.Attachments)
	v.Tags = nil
	if withTags {
		v.Tags = slices.Clone(t.t.Tags)
	}
	return v
}

// taskLocked resolves a task id or ARN within a cluster.
func (s *Server) taskLocked(cl *cluster, ref string) *task {
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		rest, ok := strings.CutPrefix(s.resourceOf(ref), "task/")
		if !ok {
			return nil
		}
		clusterName, taskID, ok := strings.Cut(rest, "/")
		if !ok || clusterName != cl.name {
			return nil
		}
		id = taskID
	}
	t := s.ecs.tasks[id]
	if t == nil || t.cluster != cl {
		return nil
	}
	return t
}

func (s *Server) describeTasks(in *ecs.DescribeTasksInput) (*ecs.DescribeTasksOutput, error) {
	if len(in.Tasks) == 0 {
		return nil, invalidParameter("Tasks cannot be empty: give 1 to %d task ids or ARNs.", maxDescribeTasks)
	}
	if len(in.Tasks) > maxDescribeTasks {
		return nil, invalidParameter("DescribeTasks accepts at most %d tasks per call; got %d.", maxDescribeTasks, len(in.Tasks))
	}
	missing := s.faults.takeDescribeMissing()
	withTags := hasTagsField(in.Include)
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, err := s.clusterLocked(in.Cluster)
	if err != nil {
		return nil, err
	}
	out := &ecs.DescribeTasksOutput{Tasks: []types.Task{}, Failures: []types.Failure{}}
	for _, ref := range in.Tasks {
		t := s.taskLocked(cl, ref)
		if t == nil || missing {
			out.Failures = append(out.Failures, types.Failure{Arn: ptr(ref), Reason: ptr("MISSING")})
			continue
		}
		out.Tasks = append(out.Tasks, t.snapshot(withTags))
	}
	return out, nil
}

func (s *Server) stopTask(in *ecs.StopTaskInput) (*ecs.StopTaskOutput, error) {
	reason := str(in.Reason)
	if len(reason) > maxStopReasonLength {
		return nil, invalidParameter("reason can be at most %d characters; got %d.", maxStopReasonLength, len(reason))
	}
	if reason == "" {
		reason = reasonUserStopped
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, err := s.clusterLocked(in.Cluster)
	if err != nil {
		return nil, err
	}
	t := s.taskLocked(cl, str(in.Task))
	if t == nil {
		return nil, invalidParameter("The referenced task %q was not found in cluster %s.", str(in.Task), cl.name)
	}
	s.requestStopLocked(t, types.TaskStopCodeUserInitiated, reason)
	return &ecs.StopTaskOutput{Task: ptr(t.snapshot(true))}, nil
}

// ErrNoSuchTask is what Faults.StopTask's error wraps when the server has
// no task with the given ARN or id.
var ErrNoSuchTask = errors.New("no such task")

// stopTaskByARN stops a task (by ARN or id, in any cluster) with the given
// stop code and reason, for Faults.StopTask.
func (s *Server) stopTaskByARN(ref, stopCode, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := ref
	if strings.HasPrefix(ref, "arn:") {
		rest, _ := strings.CutPrefix(s.resourceOf(ref), "task/")
		_, id, _ = strings.Cut(rest, "/")
	}
	t := s.ecs.tasks[id]
	if t == nil {
		return fmt.Errorf("ecslocal: stopping task %q: %w", ref, ErrNoSuchTask)
	}
	s.requestStopLocked(t, types.TaskStopCode(stopCode), reason)
	return nil
}

func (s *Server) listTasks(in *ecs.ListTasksInput) (*ecs.ListTasksOutput, error) {
	page, err := newPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	desired := in.DesiredStatus
	if desired == "" {
		desired = types.DesiredStatusRunning
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cl, err := s.clusterLocked(in.Cluster)
	if err != nil {
		return nil, err
	}
	var arns []string
	for _, t := range cl.tasks {
		switch {
		case in.ServiceName != nil || in.ContainerInstance != nil || in.DaemonName != nil:
			continue // ecslocal has no services, container instances or daemons
		case in.Family != nil && t.family != *in.Family:
			continue
		case in.StartedBy != nil && str(t.t.StartedBy) != *in.StartedBy:
			continue
		case in.LaunchType != "" && t.t.LaunchType != in.LaunchType:
			continue
		case str(t.t.DesiredStatus) != string(desired):
			continue
		}
		arns = append(arns, *t.t.TaskArn)
	}
	items, next := paginate(page, arns)
	return &ecs.ListTasksOutput{TaskArns: items, NextToken: next}, nil
}

// uuid returns a random version 4 UUID.
func uuid() string {
	b := randomBytes(16)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
