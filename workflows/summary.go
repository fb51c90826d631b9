package workflows

import (
	"strings"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// Activity summaries shown by the Web UI, e.g. "RunTask alpine:3.20 on default".

func registerSummary(p *job.Prepared) string {
	if p.TaskDefinitionArn != "" {
		return "GetOrRegisterTaskDefinition " + shortArn(p.TaskDefinitionArn)
	}
	if family, ok := p.TaskDefinition["family"].(string); ok && family != "" {
		return "GetOrRegisterTaskDefinition " + family
	}
	return "GetOrRegisterTaskDefinition"
}

func runTaskSummary(p *job.Prepared) string {
	what := p.Image
	if what == "" {
		what = shortArn(p.TaskDefinitionArn)
	}
	cluster := p.Cluster
	if cluster == "" {
		cluster = "default"
	}
	return strings.TrimSpace("RunTask "+what) + " on " + shortArn(cluster)
}

func (r *run) taskSummary(activity string) string {
	return activity + " " + shortArn(r.task.TaskArn)
}

// shortArn returns the resource part of an ARN after its last '/': the task
// ID of a task ARN, family:revision of a task definition ARN, the name of a
// cluster ARN. Anything else is returned as is.
func shortArn(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return arn
	}
	if i := strings.LastIndexByte(arn, '/'); i >= 0 {
		return arn[i+1:]
	}
	return arn
}
