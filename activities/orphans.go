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

// StopTasksStartedBy stops every task of the cluster whose startedBy is
// in.StartedBy and that has not stopped yet, and returns their ARNs. It is
// the cleanup after a RunTask that gave up without telling which task it
// started: ListTasks by startedBy with desiredStatus RUNNING (which covers
// PROVISIONING, PENDING and RUNNING tasks), then StopTask each with the
// reason. A task that stops or disappears meanwhile counts as stopped. An
// empty StartedBy is refused (InvalidIdentifier: it would match every
// task); a cluster that does not exist is a non-retryable ClusterNotFound.
// When some stops fail, the others are still attempted and the error is
// retryable: the retried attempt lists only the tasks still running. With
// an Owner, only the tasks whose tags name its chain are stopped (its
// StartedBy is then the one listed), so that no workflow stops another's.
func (a *Activities) StopTasksStartedBy(ctx context.Context, in StopStartedByInput) ([]string, error) {
	if in.Owner != nil {
		in.StartedBy = in.Owner.StartedBy()
	}
	if in.StartedBy == "" {
		return nil, temporal.NewNonRetryableApplicationError(
			"cannot stop tasks by startedBy: startedBy is empty and would match every task", ErrInvalidIdentifier, nil)
	}
	cluster := in.Cluster
	clusterLabel := cluster
	if clusterLabel == "" {
		clusterLabel = "default"
	}
	notFound := func(err error) error {
		return classified(ErrClusterNotFound,
			fmt.Sprintf("cannot stop the tasks started by %q: cluster %q was not found", in.StartedBy, clusterLabel), err)
	}
	api := a.clients.get(in.Region, in.RoleArn).ECS
	arns, err := a.tasksStartedBy(ctx, api, in)
	switch {
	case isClusterNotFound(err):
		return nil, notFound(err)
	case err != nil:
		return nil, wrapAWS(err, "list the tasks started by %q", in.StartedBy)
	}

	reason := stopReason(in.Reason)
	var stopped []string
	var errs []error
	for _, arn := range arns {
		err := a.stopOne(ctx, api, cluster, arn, reason)
		switch {
		case err == nil:
			stopped = append(stopped, arn)
		case isClusterNotFound(err):
			return nil, notFound(err)
		default:
			errs = append(errs, err)
		}
		heartbeat(ctx, len(stopped))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("stop the tasks started by %q (%d of %d stopped): %w", in.StartedBy, len(stopped), len(arns), errors.Join(errs...))
	}
	if len(stopped) > 0 {
		a.logger(ctx).Warn("Stopped ECS tasks left by a RunTask that gave up", "startedBy", in.StartedBy, "taskArns", stopped)
	}
	return stopped, nil
}

// tasksStartedBy lists the not-stopped tasks of in's startedBy: those whose
// tags name in.Owner's chain when it is set.
func (a *Activities) tasksStartedBy(ctx context.Context, api ECSAPI, in StopStartedByInput) ([]string, error) {
	var arns []string
	if in.Owner != nil {
		owned, err := ownedTasks(ctx, api, in.Cluster, *in.Owner)
		for _, t := range owned {
			arns = append(arns, aws.ToString(t.TaskArn))
		}
		return arns, err
	}
	list := &ecs.ListTasksInput{StartedBy: aws.String(in.StartedBy), DesiredStatus: types.DesiredStatusRunning}
	if in.Cluster != "" {
		list.Cluster = aws.String(in.Cluster)
	}
	pages := ecs.NewListTasksPaginator(api, list)
	for pages.HasMorePages() {
		out, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		arns = append(arns, out.TaskArns...)
	}
	return arns, nil
}
