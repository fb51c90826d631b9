package activities

import (
	"context"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// taskResult builds the job's result from the stopped task.
func taskResult(ref TaskRef, t *types.Task) *TaskResult {
	r := &TaskResult{
		Identifier:        ref.Identifier,
		TaskArn:           aws.ToString(t.TaskArn),
		ClusterArn:        aws.ToString(t.ClusterArn),
		TaskDefinitionArn: aws.ToString(t.TaskDefinitionArn),
		LastStatus:        aws.ToString(t.LastStatus),
		ExitCode:          -1,
		StopCode:          string(t.StopCode),
		StoppedReason:     aws.ToString(t.StoppedReason),
		StartedAt:         t.StartedAt,
		StoppedAt:         t.StoppedAt,
		LogGroup:          ref.LogGroup,
		LogStream:         ref.LogStream,
	}
	if r.TaskArn == "" {
		r.TaskArn = ref.TaskArn
	}
	if r.ClusterArn == "" {
		r.ClusterArn = ref.ClusterArn
	}
	for _, c := range t.Containers {
		cr := ContainerResult{Name: aws.ToString(c.Name), Reason: aws.ToString(c.Reason)}
		cr.Essential = slices.Contains(ref.Essential, cr.Name)
		if c.ExitCode != nil {
			code := int(*c.ExitCode)
			cr.ExitCode = &code
			if cr.Name == ref.ContainerName {
				r.ExitCode = code
			}
		}
		r.Containers = append(r.Containers, cr)
	}
	return r
}

// hasRun reports whether a task got as far as running: ECS set its start
// time or a container exited with a code.
func hasRun(t *types.Task) bool {
	if t.StartedAt != nil {
		return true
	}
	for _, c := range t.Containers {
		if c.ExitCode != nil {
			return true
		}
	}
	return false
}

// reportExit logs the orchestrated container's exit.
func (a *Activities) reportExit(ctx context.Context, ref TaskRef, r *TaskResult) {
	log := a.logger(ctx)
	switch {
	case !containerReported(r, ref.ContainerName):
		log.Error("ECS task stopped without an exit code for the container", "container", ref.ContainerName,
			"taskArn", r.TaskArn, "stopCode", r.StopCode, "stoppedReason", r.StoppedReason)
	case r.ExitCode == 0:
		log.Info("Container exited successfully", "container", ref.ContainerName, "taskArn", r.TaskArn)
	default:
		log.Warn("Container exited with a non-zero exit code", "container", ref.ContainerName,
			"exitCode", r.ExitCode, "taskArn", r.TaskArn)
	}
}

func containerReported(r *TaskResult, name string) bool {
	for _, c := range r.Containers {
		if c.Name == name && c.ExitCode != nil {
			return true
		}
	}
	return false
}
