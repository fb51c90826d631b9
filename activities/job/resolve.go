package job

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// Resolve returns a copy of p completed with the facts of the task
// definition the job will run (an ARN-given definition once described, or
// the registered one): the orchestrated container's name (and the run
// request's override named after it), its image, the network mode and the
// container's awslogs settings. It checks the definition against the job
// before any task is started: the container must exist, every launch type
// but EC2 (and null) needs FARGATE in requiresCompatibilities (see
// needsFargateCompatibility), and FARGATE and FARGATE_SPOT need the awsvpc
// network mode. Problems are *Error.
func (p *Prepared) Resolve(def *types.TaskDefinition) (*Prepared, error) {
	if def == nil {
		return nil, fmt.Errorf("resolve prepared job: no task definition")
	}
	out, err := p.clone()
	if err != nil {
		return nil, err
	}
	m := WireMap(def)
	field := "taskDefinitionArn"
	if p.TaskDefinitionArn == "" {
		field = "taskDefinition"
	}
	containers := arrayAt(m, "containerDefinitions")
	name := ContainerNameOf(m, p.ContainerName)
	c := containerByName(m, name)
	if c == nil {
		return nil, errorf("containerName", "container %q is not in task definition %s (its containers: %s)", name, definitionName(def), describeList(containerNames(containers)))
	}
	if needsFargateCompatibility(p) && !slices.Contains(def.RequiresCompatibilities, types.CompatibilityFargate) {
		return nil, errorf(field, "task definition %s does not have FARGATE in requiresCompatibilities and cannot run with launch type %s: use a definition made for Fargate, or the EC2 launch type", definitionName(def), p.LaunchType)
	}
	if p.LaunchType == LaunchTypeFargate || p.LaunchType == LaunchTypeFargateSpot {
		if def.NetworkMode != types.NetworkModeAwsvpc {
			return nil, errorf(field, "task definition %s has network mode %q, but launch type %s needs \"awsvpc\": use the awsvpc network mode or the EC2 launch type", definitionName(def), networkModeOrDefault(string(def.NetworkMode)), p.LaunchType)
		}
	}
	out.ContainerName = name
	out.Essential = essentialContainers(m)
	out.Image = stringAt(c, "image")
	out.NetworkMode = networkModeOrDefault(string(def.NetworkMode))
	out.LogGroup, out.LogRegion, out.LogStreamPrefix, _ = awslogsOfContainer(c)
	if p.StreamOutput && out.LogGroup == "" {
		out.Warnings = append(out.Warnings, fmt.Sprintf("streamOutput is on, but container %q has no awslogs log configuration: its output cannot be streamed", name))
	}
	if err := nameOverride(out.RunRequest, name); err != nil {
		return nil, err
	}
	return out, nil
}

// needsFargateCompatibility reports whether the definition the job runs
// must list FARGATE in requiresCompatibilities. As Prefect's check of a
// definition, every launch type but EC2 needs it: FARGATE and FARGATE_SPOT,
// and EXTERNAL too for a definition given by ARN (one the job prepared for
// EXTERNAL is built without it, on purpose). A capacity provider strategy
// does not change the rule: the launch type it replaces (FARGATE unless the
// job says otherwise) is the one checked, as in Prefect. With launchType
// null, the cluster's default capacity provider strategy decides where the
// task runs, which the job cannot know: no compatibility is required (where
// Prefect, comparing the launch type with "EC2", would require FARGATE).
func needsFargateCompatibility(p *Prepared) bool {
	switch p.LaunchType {
	case LaunchTypeFargate, LaunchTypeFargateSpot:
		return true
	case LaunchTypeExternal:
		return p.TaskDefinitionArn != ""
	}
	return false
}

// clone deep-copies p through JSON, as it travels through workflow history.
func (p *Prepared) clone() (*Prepared, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return nil, fmt.Errorf("copy prepared job: %w", err)
	}
	var out Prepared
	if err := decodeJSON(b, &out); err != nil {
		return nil, fmt.Errorf("copy prepared job: %w", err)
	}
	return &out, nil
}

// definitionName names a described definition for messages.
func definitionName(def *types.TaskDefinition) string {
	if def.TaskDefinitionArn != nil {
		return *def.TaskDefinitionArn
	}
	if def.Family != nil {
		return fmt.Sprintf("%s:%d", *def.Family, def.Revision)
	}
	return "(unnamed)"
}
