package ecslocal

import (
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// cluster is an ECS cluster. Its fields are guarded by Server.mu.
type cluster struct {
	name                    string
	arn                     string
	capacityProviders       []string
	defaultProviderStrategy []types.CapacityProviderStrategyItem
	settings                []types.ClusterSetting
	tags                    []types.Tag
	tasks                   []*task // in launch order
}

var clusterNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)

// fargateProviders are the capacity providers every cluster can use.
var fargateProviders = []string{"FARGATE", "FARGATE_SPOT"}

func (s *Server) createCluster(in *ecs.CreateClusterInput) (*ecs.CreateClusterOutput, error) {
	name := str(in.ClusterName)
	if name == "" {
		name = defaultCluster
	}
	if !clusterNamePattern.MatchString(name) {
		return nil, invalidParameter("Cluster name %q is invalid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
	}
	if err := validateTags(in.Tags); err != nil {
		return nil, err
	}
	for _, p := range in.CapacityProviders {
		if !slices.Contains(fargateProviders, p) {
			return nil, invalidParameter("The specified capacity provider %q is not supported by ecslocal: use FARGATE or FARGATE_SPOT.", p)
		}
	}
	for _, item := range in.DefaultCapacityProviderStrategy {
		if !slices.Contains(in.CapacityProviders, str(item.CapacityProvider)) {
			return nil, invalidParameter("The default capacity provider strategy names capacity provider %q, which is not among the cluster's capacityProviders %v.", str(item.CapacityProvider), in.CapacityProviders)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.ecs.clusters[name]
	if c == nil {
		c = s.createClusterLocked(name, in, in.Tags)
	}
	return &ecs.CreateClusterOutput{Cluster: ptr(s.describeClusterLocked(c, true))}, nil
}

// createClusterLocked adds a cluster; in may be nil (the default cluster).
func (s *Server) createClusterLocked(name string, in *ecs.CreateClusterInput, tags []types.Tag) *cluster {
	c := &cluster{
		name:     name,
		arn:      s.clusterARN(name),
		tags:     slices.Clone(tags),
		settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: ptr("disabled")}},
	}
	if in != nil {
		c.capacityProviders = slices.Clone(in.CapacityProviders)
		c.defaultProviderStrategy = slices.Clone(in.DefaultCapacityProviderStrategy)
		if len(in.Settings) > 0 {
			c.settings = slices.Clone(in.Settings)
		}
	}
	s.ecs.clusters[name] = c
	return c
}

func (s *Server) describeClusters(in *ecs.DescribeClustersInput) (*ecs.DescribeClustersOutput, error) {
	refs := in.Clusters
	if len(refs) == 0 {
		refs = []string{defaultCluster}
	}
	if len(refs) > 100 {
		return nil, invalidParameter("clusters can have at most 100 entries; got %d.", len(refs))
	}
	withTags := hasTagsField(in.Include)
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &ecs.DescribeClustersOutput{Clusters: []types.Cluster{}, Failures: []types.Failure{}}
	for _, ref := range refs {
		c, err := s.clusterLocked(&ref)
		if err != nil {
			arn := ref
			if !strings.HasPrefix(ref, "arn:") {
				arn = s.clusterARN(ref)
			}
			out.Failures = append(out.Failures, types.Failure{Arn: ptr(arn), Reason: ptr("MISSING")})
			continue
		}
		out.Clusters = append(out.Clusters, s.describeClusterLocked(c, withTags))
	}
	return out, nil
}

// describeClusterLocked returns the ECS view of c.
func (s *Server) describeClusterLocked(c *cluster, withTags bool) types.Cluster {
	out := types.Cluster{
		ClusterArn:                      ptr(c.arn),
		ClusterName:                     ptr(c.name),
		Status:                          ptr("ACTIVE"),
		CapacityProviders:               slices.Clone(c.capacityProviders),
		DefaultCapacityProviderStrategy: slices.Clone(c.defaultProviderStrategy),
		Settings:                        slices.Clone(c.settings),
	}
	for _, t := range c.tasks {
		switch str(t.t.LastStatus) {
		case statusRunning:
			out.RunningTasksCount++
		case statusProvisioning, statusPending, statusActivating:
			out.PendingTasksCount++
		}
	}
	if withTags {
		out.Tags = slices.Clone(c.tags)
	}
	return out
}
