package ecslocal

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// tagsLocked returns a pointer to the tags of the cluster, task definition
// or task an ARN names, or an InvalidParameterException.
func (s *Server) tagsLocked(arn string) (*[]types.Tag, error) {
	resource := s.resourceOf(arn)
	kind, rest, _ := strings.Cut(resource, "/")
	switch kind {
	case "cluster":
		if c := s.ecs.clusters[rest]; c != nil {
			return &c.tags, nil
		}
	case "task-definition":
		if strings.Contains(rest, ":") {
			if d := s.taskDefLocked(arn); d != nil {
				return &d.tags, nil
			}
		}
	case "task":
		clusterName, id, _ := strings.Cut(rest, "/")
		if t := s.ecs.tasks[id]; t != nil && t.cluster.name == clusterName {
			return &t.t.Tags, nil
		}
	}
	return nil, invalidParameter("The specified resource %q could not be found: give the ARN of an existing cluster, task definition revision or task.", arn)
}

func (s *Server) tagResource(in *ecs.TagResourceInput) (*ecs.TagResourceOutput, error) {
	if len(in.Tags) == 0 {
		return nil, invalidParameter("tags must not be empty.")
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.tagsLocked(str(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	merged := mergeTags(*tags, in.Tags)
	if len(merged) > maxTags {
		return nil, invalidParameter("Too many tags: the resource would have %d tags, at most %d are allowed.", len(merged), maxTags)
	}
	*tags = merged
	return &ecs.TagResourceOutput{}, nil
}

func (s *Server) untagResource(in *ecs.UntagResourceInput) (*ecs.UntagResourceOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.tagsLocked(str(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	*tags = slices.DeleteFunc(slices.Clone(*tags), func(t types.Tag) bool {
		return slices.Contains(in.TagKeys, str(t.Key))
	})
	return &ecs.UntagResourceOutput{}, nil
}

func (s *Server) listTagsForResource(in *ecs.ListTagsForResourceInput) (*ecs.ListTagsForResourceOutput, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	tags, err := s.tagsLocked(str(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	return &ecs.ListTagsForResourceOutput{Tags: slices.Clone(*tags)}, nil
}

// mergeTags returns base with the tags of over added, over winning for keys
// in both. The result is a new slice; base keeps its order.
func mergeTags(base, over []types.Tag) []types.Tag {
	out := slices.Clone(base)
	for _, t := range over {
		i := slices.IndexFunc(out, func(b types.Tag) bool { return str(b.Key) == str(t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}
