package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// DeregisterTaskDefinition deregisters a task definition this job
// registered; one already INACTIVE (or being deleted) is success, so the
// activity can be retried.
func (a *Activities) DeregisterTaskDefinition(ctx context.Context, in DeregisterInput) error {
	api := a.clients.get(in.Region, in.RoleArn).ECS
	_, err := api.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(in.TaskDefinitionArn)})
	if err == nil {
		a.defs.forgetArn(in.TaskDefinitionArn)
		a.logger(ctx).Info("Deregistered ECS task definition", "taskDefinitionArn", in.TaskDefinitionArn)
		return nil
	}
	// ECS may refuse to deregister a revision that is no longer ACTIVE;
	// ask it for the status rather than reading the message.
	out, derr := api.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(in.TaskDefinitionArn)})
	if derr == nil && out.TaskDefinition != nil && out.TaskDefinition.Status != types.TaskDefinitionStatusActive {
		a.logger(ctx).Info("ECS task definition already deregistered", "taskDefinitionArn", in.TaskDefinitionArn,
			"status", string(out.TaskDefinition.Status))
		a.defs.forgetArn(in.TaskDefinitionArn)
		return nil
	}
	return wrapAWS(err, "deregister task definition %s", in.TaskDefinitionArn)
}
