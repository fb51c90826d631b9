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
// (when the job names one); both are checked before any AWS call. With an
// Owner, the task is described with its tags first, and one whose tags do
// not name the owner's chain is refused (TaskNotOwned) and left running.
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
	api := a.clients.get(in.Region, in.RoleArn).ECS
	if in.Owner != nil {
		tasks, err := describeWithTags(ctx, api, cluster, []string{taskArn})
		switch {
		case isClusterNotFound(err):
			return classified(ErrClusterNotFound, fmt.Sprintf("cannot stop task %s: cluster %q was not found", taskArn, cluster), err)
		case err != nil:
			return wrapAWS(err, "describe task %s before stopping it", taskArn)
		case len(tasks) == 0 || aws.ToString(tasks[0].LastStatus) == "STOPPED":
			a.logger(ctx).Info("ECS task already stopped or gone", "taskArn", taskArn)
			return nil
		case !ownedBy(tasks[0], *in.Owner):
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("refusing to stop task %s: its tags do not name %s", taskArn, in.Owner), ErrTaskNotOwned, nil)
		}
	}
	err = a.stopOne(ctx, api, cluster, taskArn, stopReason(in.Reason))
	if isClusterNotFound(err) {
		return classified(ErrClusterNotFound, fmt.Sprintf("cannot stop task %s: cluster %q was not found", taskArn, cluster), err)
	}
	return err
}

// stopReason is the reason given, else the default one.
func stopReason(reason string) string {
	if reason == "" {
		return defaultStopReason
	}
	return reason
}

// stopOne stops a task of cluster (empty: the default cluster); a task
// already stopped or missing is success. A ClusterNotFoundException is
// returned as is, for the caller to word.
func (a *Activities) stopOne(ctx context.Context, api ECSAPI, cluster, taskArn, reason string) error {
	in := &ecs.StopTaskInput{Task: aws.String(taskArn), Reason: aws.String(truncate(reason, 255))}
	if cluster != "" {
		in.Cluster = aws.String(cluster)
	}
	_, err := api.StopTask(ctx, in)
	switch {
	case err == nil:
		a.logger(ctx).Info("Stopped ECS task", "taskArn", taskArn, "reason", reason)
		return nil
	case isClusterNotFound(err):
		return err
	}
	var invalid *types.InvalidParameterException
	if errors.As(err, &invalid) {
		// ECS answers InvalidParameterException for a task it no longer
		// knows; ask it rather than reading the message.
		task, derr := describeTask(ctx, api, cluster, taskArn)
		if derr == nil && (task == nil || aws.ToString(task.LastStatus) == "STOPPED") {
			a.logger(ctx).Info("ECS task already stopped or gone", "taskArn", taskArn)
			return nil
		}
	}
	return wrapAWS(err, "stop task %s", taskArn)
}

// truncate cuts s to at most n bytes.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
