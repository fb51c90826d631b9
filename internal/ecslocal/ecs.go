package ecslocal

import (
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// ecsTargetPrefix is the X-Amz-Target prefix of ECS requests.
const ecsTargetPrefix = "AmazonEC2ContainerServiceV20141113"

// defaultCluster is the cluster that exists from the start and that
// requests naming no cluster use.
const defaultCluster = "default"

// ecsState is the ECS part of the server's state, guarded by Server.mu.
type ecsState struct {
	clusters map[string]*cluster // by name
	families map[string]*family  // by family name
	tasks    map[string]*task    // by task id
	tokens   map[string]*runTaskRecord
}

func (st *ecsState) init() {
	st.clusters = map[string]*cluster{}
	st.families = map[string]*family{}
	st.tasks = map[string]*task{}
	st.tokens = map[string]*runTaskRecord{}
}

// dispatchECS answers one ECS operation (awsproto.Dispatcher).
func (s *Server) dispatchECS(op string, body []byte) (any, error) {
	switch op {
	case "CreateCluster":
		return awsproto.Call(body, s.createCluster)
	case "DescribeClusters":
		return awsproto.Call(body, s.describeClusters)
	case "ListClusters":
		return awsproto.Call(body, s.listClusters)
	case "ListTaskDefinitionFamilies":
		return awsproto.Call(body, s.listTaskDefinitionFamilies)
	case "RegisterTaskDefinition":
		return awsproto.Call(body, s.registerTaskDefinition)
	case "DescribeTaskDefinition":
		return awsproto.Call(body, s.describeTaskDefinition)
	case "DeregisterTaskDefinition":
		return awsproto.Call(body, s.deregisterTaskDefinition)
	case "ListTaskDefinitions":
		return awsproto.Call(body, s.listTaskDefinitions)
	case "RunTask":
		return awsproto.Call(body, s.runTask)
	case "DescribeTasks":
		return awsproto.Call(body, s.describeTasks)
	case "StopTask":
		return awsproto.Call(body, s.stopTask)
	case "ListTasks":
		return awsproto.Call(body, s.listTasks)
	case "TagResource":
		return awsproto.Call(body, s.tagResource)
	case "UntagResource":
		return awsproto.Call(body, s.untagResource)
	case "ListTagsForResource":
		return awsproto.Call(body, s.listTagsForResource)
	}
	return nil, awsproto.ClientError("UnknownOperationException",
		"ecslocal does not implement the ECS operation %q", op)
}

// ECS's error types.

func clientException(format string, args ...any) error {
	return awsproto.ClientError("ClientException", format, args...)
}

func invalidParameter(format string, args ...any) error {
	return awsproto.ClientError("InvalidParameterException", format, args...)
}

func clusterNotFound(ref string) error {
	return awsproto.ClientError("ClusterNotFoundException", "Cluster not found: %q does not exist in ecslocal (create it with CreateCluster).", ref)
}

func serverUnavailable() error {
	return awsproto.Errorf(http.StatusServiceUnavailable, "ServerException", "ecslocal is shutting down")
}

// ARNs, as ECS formats them.

func (s *Server) arn(resource string) string {
	return "arn:aws:ecs:" + s.opts.Region + ":" + s.opts.AccountID + ":" + resource
}

func (s *Server) clusterARN(name string) string { return s.arn("cluster/" + name) }

func (s *Server) taskARN(cluster, id string) string { return s.arn("task/" + cluster + "/" + id) }

// resourceOf returns the resource part ("task/c/id") of an ECS ARN of this
// server's region and account, or "" if ref is not one.
func (s *Server) resourceOf(ref string) string {
	r, ok := strings.CutPrefix(ref, s.arn(""))
	if !ok {
		return ""
	}
	return r
}

// clusterLocked resolves a cluster name or ARN (the default cluster when
// empty) or returns ClusterNotFoundException.
func (s *Server) clusterLocked(ref *string) (*cluster, error) {
	name := defaultCluster
	if ref != nil && *ref != "" {
		name = *ref
		if strings.HasPrefix(name, "arn:") {
			r, ok := strings.CutPrefix(s.resourceOf(name), "cluster/")
			if !ok {
				return nil, clusterNotFound(name)
			}
			name = r
		}
	}
	c := s.ecs.clusters[name]
	if c == nil {
		return nil, clusterNotFound(name)
	}
	return c, nil
}

// str returns the value of an optional string.
func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ptr returns a pointer to v.
func ptr[T any](v T) *T { return &v }

// hasTagsField reports whether include asks for tags.
func hasTagsField[T ~string](include []T) bool {
	for _, f := range include {
		if string(f) == string(types.TaskFieldTags) {
			return true
		}
	}
	return false
}
