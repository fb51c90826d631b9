package job

import (
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// AwslogsOf returns the awslogs settings of a container of a task
// definition: def is a definition body (map[string]any, wire casing), a
// *types.TaskDefinition or a types.TaskDefinition (as DescribeTaskDefinition
// returns it). An empty container means the job's default container (named
// "main", else the first). ok is false when the container is missing or does
// not use the awslogs driver with a group. region is empty when the options
// name none (the task's region applies); prefix is empty when they set no
// stream prefix (the stream name is then not predictable). The container's
// stream is "<prefix>/<container>/<task ID>".
func AwslogsOf(def any, container string) (group, region, prefix string, ok bool) {
	m := definitionMap(def)
	if m == nil {
		return "", "", "", false
	}
	c := containerByName(m, ContainerNameOf(m, container))
	return awslogsOfContainer(c)
}

// ContainerNameOf returns the orchestrated container's name for a task
// definition (same def types as AwslogsOf): configured when not empty, else
// a container named "main", else the first container's name, else "main".
func ContainerNameOf(def any, configured string) string {
	if configured != "" {
		return configured
	}
	return defaultContainerName(arrayAt(definitionMap(def), "containerDefinitions"))
}

// definitionMap returns def as a wire-cased body.
func definitionMap(def any) map[string]any {
	switch d := def.(type) {
	case map[string]any:
		return d
	case *types.TaskDefinition:
		if d == nil {
			return nil
		}
		return WireMap(d)
	case types.TaskDefinition:
		return WireMap(&d)
	}
	return nil
}

// awslogsOfContainer reads the awslogs options of a container definition.
func awslogsOfContainer(c map[string]any) (group, region, prefix string, ok bool) {
	lc := objectAt(c, "logConfiguration")
	if stringAt(lc, "logDriver") != "awslogs" {
		return "", "", "", false
	}
	opts := objectAt(lc, "options")
	group = stringAt(opts, "awslogs-group")
	if group == "" {
		return "", "", "", false
	}
	return group, stringAt(opts, "awslogs-region"), stringAt(opts, "awslogs-stream-prefix"), true
}
