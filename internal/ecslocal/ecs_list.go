package ecslocal

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// listClusters answers the cluster ARNs in name order, a page at a time.
func (s *Server) listClusters(in *ecs.ListClustersInput) (*ecs.ListClustersOutput, error) {
	page, err := newPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	names := make([]string, 0, len(s.ecs.clusters))
	for name := range s.ecs.clusters {
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	arns := make([]string, len(names))
	for i, name := range names {
		arns[i] = s.clusterARN(name)
	}
	items, next := paginate(page, arns)
	return &ecs.ListClustersOutput{ClusterArns: items, NextToken: next}, nil
}

// listTaskDefinitionFamilies answers the family names, in order, that
// begin with familyPrefix: with status ACTIVE those with an ACTIVE
// revision, INACTIVE those with none, ALL (the default) every one.
func (s *Server) listTaskDefinitionFamilies(in *ecs.ListTaskDefinitionFamiliesInput) (*ecs.ListTaskDefinitionFamiliesOutput, error) {
	status := in.Status
	if status == "" {
		status = types.TaskDefinitionFamilyStatusAll
	}
	if !slices.Contains(status.Values(), status) {
		return nil, invalidParameter("status %q is not one of ACTIVE, INACTIVE, ALL.", status)
	}
	page, err := newPage(in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	prefix := str(in.FamilyPrefix)
	s.mu.Lock()
	var names []string
	for name, f := range s.ecs.families {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		active := slices.ContainsFunc(f.revisions, func(d *taskDef) bool { return d.td.Status == types.TaskDefinitionStatusActive })
		switch {
		case status == types.TaskDefinitionFamilyStatusActive && !active,
			status == types.TaskDefinitionFamilyStatusInactive && active:
			continue
		}
		names = append(names, name)
	}
	s.mu.Unlock()
	slices.Sort(names)
	items, next := paginate(page, names)
	return &ecs.ListTaskDefinitionFamiliesOutput{Families: items, NextToken: next}, nil
}
