package ecslocal

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// family is the revisions of a task definition family; revisions[i] is
// revision i+1.
type family struct {
	name      string
	revisions []*taskDef
}

// taskDef is a registered task definition revision. td changes only when
// it is deregistered; tags may change. Guarded by Server.mu.
type taskDef struct {
	td   types.TaskDefinition
	tags []types.Tag
}

func (s *Server) taskDefARN(family string, revision int32) string {
	return s.arn("task-definition/" + family + ":" + strconv.Itoa(int(revision)))
}

func (s *Server) registerTaskDefinition(in *ecs.RegisterTaskDefinitionInput) (*ecs.RegisterTaskDefinitionOutput, error) {
	if err := validateTaskDefinition(in); err != nil {
		return nil, err
	}
	if s.faults.takeRegisterConflict() {
		return nil, clientException("Too many concurrent attempts to create a new revision of the specified family.")
	}
	containers := slices.Clone(in.ContainerDefinitions)
	for i := range containers {
		if containers[i].Essential == nil {
			containers[i].Essential = ptr(true)
		}
	}
	compat := []types.Compatibility{types.CompatibilityEc2}
	if in.NetworkMode == types.NetworkModeAwsvpc && in.Cpu != nil && in.Memory != nil &&
		validateFargateSize(*in.Cpu, *in.Memory) == nil {
		compat = append(compat, types.CompatibilityFargate)
	}
	td := types.TaskDefinition{
		Family:                  in.Family,
		ContainerDefinitions:    containers,
		Cpu:                     in.Cpu,
		Memory:                  in.Memory,
		ExecutionRoleArn:        in.ExecutionRoleArn,
		TaskRoleArn:             in.TaskRoleArn,
		NetworkMode:             in.NetworkMode,
		RequiresCompatibilities: in.RequiresCompatibilities,
		Compatibilities:         compat,
		Volumes:                 in.Volumes,
		PlacementConstraints:    in.PlacementConstraints,
		RuntimePlatform:         in.RuntimePlatform,
		PidMode:                 in.PidMode,
		IpcMode:                 in.IpcMode,
		ProxyConfiguration:      in.ProxyConfiguration,
		EphemeralStorage:        in.EphemeralStorage,
		EnableFaultInjection:    in.EnableFaultInjection,
		Status:                  types.TaskDefinitionStatusActive,
		RegisteredAt:            ptr(time.Now()),
		RegisteredBy:            ptr("arn:aws:iam::" + s.opts.AccountID + ":root"),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f := s.ecs.families[*in.Family]
	if f == nil {
		f = &family{name: *in.Family}
		s.ecs.families[*in.Family] = f
	}
	td.Revision = int32(len(f.revisions) + 1)
	td.TaskDefinitionArn = ptr(s.taskDefARN(f.name, td.Revision))
	d := &taskDef{td: td, tags: slices.Clone(in.Tags)}
	f.revisions = append(f.revisions, d)
	return &ecs.RegisterTaskDefinitionOutput{TaskDefinition: ptr(d.td), Tags: slices.Clone(d.tags)}, nil
}

// taskDefLocked resolves a task definition reference: a family (its
// latest ACTIVE revision), "family:revision", or an ARN. It returns nil if
// there is no such definition.
func (s *Server) taskDefLocked(ref string) *taskDef {
	if strings.HasPrefix(ref, "arn:") {
		r, ok := strings.CutPrefix(s.resourceOf(ref), "task-definition/")
		if !ok {
			return nil
		}
		ref = r
	}
	name, rev, hasRev := strings.Cut(ref, ":")
	f := s.ecs.families[name]
	if f == nil {
		return nil
	}
	if !hasRev {
		for i := len(f.revisions) - 1; i >= 0; i-- {
			if f.revisions[i].td.Status == types.TaskDefinitionStatusActive {
				return f.revisions[i]
			}
		}
		return nil
	}
	n, err := strconv.Atoi(rev)
	if err != nil || n < 1 || n > len(f.revisions) {
		return nil
	}
	return f.revisions[n-1]
}

func (s *Server) describeTaskDefinition(in *ecs.DescribeTaskDefinitionInput) (*ecs.DescribeTaskDefinitionOutput, error) {
	ref := str(in.TaskDefinition)
	if ref == "" {
		return nil, invalidParameter("taskDefinition is required: give a family, family:revision or task definition ARN.")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.taskDefLocked(ref)
	if d == nil {
		return nil, clientException("Unable to describe task definition %q: no such family, revision or ARN (a bare family resolves to its latest ACTIVE revision).", ref)
	}
	out := &ecs.DescribeTaskDefinitionOutput{TaskDefinition: ptr(d.td)}
	if hasTagsField(in.Include) {
		out.Tags = slices.Clone(d.tags)
	}
	return out, nil
}

func (s *Server) deregisterTaskDefinition(in *ecs.DeregisterTaskDefinitionInput) (*ecs.DeregisterTaskDefinitionOutput, error) {
	ref := str(in.TaskDefinition)
	if !strings.Contains(strings.TrimPrefix(ref, "arn:"), ":") {
		return nil, clientException("Invalid revision number in %q: DeregisterTaskDefinition needs family:revision or a task definition ARN.", ref)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.taskDefLocked(ref)
	if d == nil {
		return nil, clientException("The specified task definition %q does not exist.", ref)
	}
	if d.td.Status == types.TaskDefinitionStatusActive {
		d.td.Status = types.TaskDefinitionStatusInactive
		d.td.DeregisteredAt = ptr(time.Now())
	}
	return &ecs.DeregisterTaskDefinitionOutput{TaskDefinition: ptr(d.td)}, nil
}

func (s *Server) listTaskDefinitions(in *ecs.ListTaskDefinitionsInput) (*ecs.ListTaskDefinitionsOutput, error) {
	status := in.Status
	if status == "" {
		status = types.TaskDefinitionStatusActive
	}
	page, err := newPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	var defs []*taskDef
	for _, f := range s.ecs.families {
		// familyPrefix is, as ECS documents, the full family name.
		if in.FamilyPrefix != nil && f.name != *in.FamilyPrefix {
			continue
		}
		for _, d := range f.revisions {
			if d.td.Status == status {
				defs = append(defs, d)
			}
		}
	}
	s.mu.Unlock()
	slices.SortFunc(defs, func(a, b *taskDef) int {
		return cmp.Or(strings.Compare(*a.td.Family, *b.td.Family), cmp.Compare(a.td.Revision, b.td.Revision))
	})
	if in.Sort == types.SortOrderDesc {
		slices.Reverse(defs)
	}
	arns := make([]string, len(defs))
	for i, d := range defs {
		arns[i] = *d.td.TaskDefinitionArn
	}
	items, next := paginate(page, arns)
	return &ecs.ListTaskDefinitionsOutput{TaskDefinitionArns: items, NextToken: next}, nil
}
