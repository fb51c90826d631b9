package activities

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.temporal.io/sdk/temporal"
)

// defaultStopReason is ECS's stoppedReason when the caller gives none.
const defaultStopReason = "Stopped by temporal-ecs"

// StopTask stops the task; a task already stopped or missing is success.
// The identifier must be "<cluster>::<taskArn>" and its cluster the job's
// (when the job names one); both are checked before any AWS call.
func (a *Activities) StopTask(ctx context.Context, in StopInput) error {
	cluster, taskArn, err := ParseIdentifier(in.Identifier)
	if err != nil {
		return err
	}
	if in.Cluster != "" && !sameCluster(cluster, in.Cluster) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("cannot stop task %s: it runs in cluster %q but the job's cluster is %q", taskArn, cluster, in.Cluster),
			ErrClusterMismatch, nil)
	}
	reason := in.Reason
	if reason == "" {
		reason = defaultStopReason
	}
	api := a.clients.get(in.Region, in.RoleArn).ECS
	_, err = api.StopTask(ctx, &ecs.StopTaskInput{
		Cluster: aws.String(cluster),
		Task:    aws.String(taskArn),
		Reason:  aws.String(truncate(reason, 255)),
	})
	switch {
	case err == nil:
		a.logger(ctx).Info("Stopped ECS task", "taskArn", taskArn, "reason", reason)
		return nil
	case isClusterNotFound(err):
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("cannot stop task %s: cluster %q was not found", taskArn, cluster), ErrClusterNotFound, err)
	}
	var invalid *types.InvalidParameterException
	if errors.As(err, &invalid) {
		// ECS answers InvalidParameterException for a task it no longer
		// knows; ask it rather than reading the message.
		gone, derr := taskGone(ctx, api, cluster, taskArn)
		if derr == nil && gone {
			a.logger(ctx).Info("ECS task already stopped or gone", "taskArn", taskArn)
			return nil
		}
	}
	return wrapAWS(err, "stop task %s", taskArn)
}

// taskGone reports whether ECS describes the task as STOPPED or missing.
func taskGone(ctx context.Context, api ECSAPI, cluster, taskArn string) (bool, error) {
	out, err := api.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(cluster), Tasks: []string{taskArn}})
	if err != nil {
		return false, err
	}
	if len(out.Tasks) == 0 {
		return true, nil
	}
	return aws.ToString(out.Tasks[0].LastStatus) == "STOPPED", nil
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
