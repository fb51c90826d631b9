package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// RunTask starts the job's task, idempotently under in.ClientToken: one
// RunTask call (the SDK's retryer retries throttling and transport errors
// with the same token), so that a retried attempt, and the workflow's own
// retries under new tokens, can never start a second task. It infers the
// network when the job needs it and builds the request (the job's
// customizations applied last, then the owner's startedBy and tags).
//
// A ConflictException (the token already started a task with other
// parameters, as after a workflow reset) returns that task. With in.Adopt,
// a running task of the owner's chain is looked for first and returned.
// ECS's failures (no task started) are a non-retryable RunTaskFailed whose
// details (RunFailure) say whether a new token may succeed. Errors that
// retrying cannot fix become non-retryable errors with a hint, keeping the
// AWS error as their cause; any other AWS error is returned with its error
// code as its type.
func (a *Activities) RunTask(ctx context.Context, in RunTaskInput) (*TaskRef, error) {
	p := in.Job
	if p == nil {
		return nil, temporal.NewNonRetryableApplicationError("no prepared job", ErrInvalidJobConfiguration, nil)
	}
	defArn := in.TaskDefinitionArn
	if defArn == "" {
		defArn = p.TaskDefinitionArn
	}
	if defArn == "" {
		return nil, temporal.NewNonRetryableApplicationError("no task definition ARN to run", ErrInvalidJobConfiguration, nil)
	}
	key := a.clients.key(p.Region, p.RoleArn)
	clients := a.clients.get(key.Region, key.RoleArn)

	p, err := resolve(ctx, clients.ECS, p, defArn)
	if err == nil && in.OnFallback {
		p, err = p.OnFallback()
	}
	if err != nil {
		return nil, err
	}
	for _, w := range p.Warnings {
		if !slices.Contains(in.Job.Warnings, w) {
			a.logger(ctx).Warn(w)
		}
	}
	network, err := a.network(ctx, clients.EC2, p, p.NetworkMode)
	if err != nil {
		return nil, err
	}
	req, err := job.BuildRunRequest(p, defArn, network, in.ClientToken, in.StartedBy)
	if err == nil && in.Owner != nil {
		err = job.AddOwner(req, *in.Owner)
	}
	if err != nil {
		return nil, invalidJob(err)
	}
	a.logger(ctx).Debug("ECS RunTask request", "request", job.MaskRequest(req))
	input, err := job.RunTaskInput(req)
	if err != nil {
		return nil, invalidJob(err)
	}

	task, err := a.startOrAdopt(ctx, clients.ECS, input, in)
	if err != nil {
		return nil, a.runTaskError(err, p, input)
	}
	ref := &TaskRef{
		Region:            key.Region,
		RoleArn:           key.RoleArn,
		Cluster:           p.Cluster,
		ClusterArn:        aws.ToString(task.ClusterArn),
		TaskArn:           aws.ToString(task.TaskArn),
		TaskDefinitionArn: aws.ToString(task.TaskDefinitionArn),
		ContainerName:     p.ContainerName,
		LastStatus:        aws.ToString(task.LastStatus),
		Owner:             in.Owner,
		Essential:         p.Essential,
	}
	if ref.TaskDefinitionArn == "" {
		ref.TaskDefinitionArn = defArn
	}
	cluster := p.Cluster
	if cluster == "" {
		cluster = ref.ClusterArn
	}
	ref.Identifier = FormatIdentifier(cluster, ref.TaskArn)
	if p.LogGroup != "" && p.LogStreamPrefix != "" {
		ref.LogGroup = p.LogGroup
		ref.LogRegion = p.LogRegion
		ref.LogStream = p.LogStreamPrefix + "/" + p.ContainerName + "/" + taskID(ref.TaskArn)
	}
	a.logger(ctx).Info("Started ECS task", "taskArn", ref.TaskArn, "cluster", cluster)
	a.recordLaunch(ref)
	return ref, nil
}

// resolve returns the job completed with the facts of the definition it
// runs: a prepared definition already has them; one named by ARN is
// described and checked against the job (container, launch type) first.
func resolve(ctx context.Context, api ECSAPI, p *job.Prepared, arn string) (*job.Prepared, error) {
	if p.TaskDefinitionArn == "" && p.TaskDefinition != nil {
		return p, nil
	}
	td, err := describeDefinition(ctx, api, arn)
	if err != nil {
		return nil, wrapAWS(err, "describe task definition %s", arn)
	}
	r, err := p.Resolve(td)
	if err != nil {
		return nil, invalidJob(err)
	}
	if r.ExecutionRoleArn == "" {
		r.ExecutionRoleArn = aws.ToString(td.ExecutionRoleArn)
	}
	return r, nil
}

// startOrAdopt returns the task of the request: with in.Adopt, a running
// task of the owner's chain when there is one; else the task one RunTask
// call starts, or the one a ConflictException names (its token started it
// already, with other parameters).
func (a *Activities) startOrAdopt(ctx context.Context, api ECSAPI, input *ecs.RunTaskInput, in RunTaskInput) (*types.Task, error) {
	cluster := aws.ToString(input.Cluster)
	if in.Adopt && in.Owner != nil {
		owned, err := ownedTasks(ctx, api, cluster, *in.Owner)
		if err != nil {
			return nil, fmt.Errorf("look for a running task of %s: %w", in.Owner, err)
		}
		if len(owned) > 0 {
			a.logger(ctx).Info("Adopted the running ECS task of the workflow's chain", "taskArn", aws.ToString(owned[0].TaskArn))
			return &owned[0], nil
		}
	}
	out, err := api.RunTask(ctx, input)
	var conflict *types.ConflictException
	switch {
	case errors.As(err, &conflict) && len(conflict.ResourceIds) > 0:
		return a.adoptConflict(ctx, api, cluster, conflict.ResourceIds[0], in.Owner)
	case err != nil:
		return nil, err
	case len(out.Tasks) > 0:
		a.metrics.taskStarted()
		return &out.Tasks[0], nil
	case len(out.Failures) > 0:
		return nil, &runFailure{failure: out.Failures[0]}
	}
	return nil, errNoTask
}

// adoptConflict returns the task a ConflictException names, once its tags
// show that it is the owner's (any task, for a workflow without owner).
func (a *Activities) adoptConflict(ctx context.Context, api ECSAPI, cluster, taskArn string, owner *job.Owner) (*types.Task, error) {
	tasks, err := describeWithTags(ctx, api, cluster, []string{taskArn})
	if err != nil {
		return nil, fmt.Errorf("describe task %s of the client token's conflict: %w", taskArn, err)
	}
	if len(tasks) == 0 {
		return nil, fmt.Errorf("ECS names task %s for the client token, but does not describe it", taskArn)
	}
	if owner != nil && !ownedBy(tasks[0], *owner) {
		return nil, temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("the client token's task %s is not tagged as %s's", taskArn, owner), ErrTaskNotOwned, nil)
	}
	a.logger(ctx).Info("RunTask's client token had started a task already: using it", "taskArn", taskArn)
	return &tasks[0], nil
}

var errNoTask = errors.New("ECS RunTask returned neither a task nor a failure")

// runFailure is a RunTask response with failures and no task.
type runFailure struct {
	failure types.Failure
}

func (f *runFailure) Error() string {
	msg := "failed to run ECS task: " + aws.ToString(f.failure.Reason)
	if d := aws.ToString(f.failure.Detail); d != "" {
		msg += " (" + d + ")"
	}
	return msg
}

// runTaskError turns what RunTask failed with into the error the activity
// returns: a hint for what the job or the account must fix, else err with
// its context (wrapAWS).
func (a *Activities) runTaskError(err error, p *job.Prepared, input *ecs.RunTaskInput) error {
	a.metrics.runTaskFailed(err)
	cluster := p.Cluster
	if cluster == "" {
		cluster = "default"
	}
	hint := func(kind, msg string) error { return classified(kind, msg+": "+err.Error(), err) }
	var failure *runFailure
	switch {
	case errors.As(err, &failure):
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrRunTaskFailed, nil, RunFailure{
			Reason:    aws.ToString(failure.failure.Reason),
			Detail:    aws.ToString(failure.failure.Detail),
			Retryable: retryableFailure(failure.failure),
		})
	case isClusterNotFound(err):
		return hint(ErrClusterNotFound, fmt.Sprintf(
			"cannot run the ECS task: cluster %q does not exist in region %s; check the cluster name and the job's region",
			cluster, a.clients.key(p.Region, "").Region))
	case isNoContainerInstances(err):
		return hint(ErrNoContainerInstances, fmt.Sprintf(
			"cannot run the ECS task: cluster %q has no container instances; the EC2 launch type needs EC2 container instances registered in the cluster",
			cluster))
	case isMissingLogsPermissions(err):
		return hint(ErrMissingLogsPermissions, fmt.Sprintf(
			"cannot run the ECS task: the execution role %q may not write CloudWatch logs; grant it logs:CreateLogStream, logs:CreateLogGroup and logs:PutLogEvents",
			p.ExecutionRoleArn))
	case isTaskDefinitionInactive(err):
		// Never hand this revision out again from the cache.
		a.defs.forgetArn(aws.ToString(input.TaskDefinition))
		return hint(ErrTaskDefinitionInactive, fmt.Sprintf(
			"cannot run the ECS task: task definition %s is INACTIVE; register it again, or drop taskDefinitionArn so that one is registered",
			aws.ToString(input.TaskDefinition)))
	case isCapacityProviderProblem(err):
		return hint(ErrCapacityProvider, fmt.Sprintf(
			"cannot run the ECS task: check the capacity providers of cluster %q and their available capacity", cluster))
	case isNetworkProblem(err):
		return hint(ErrNetworkConfiguration,
			"cannot run the ECS task: check that the subnets and security groups exist and belong to the job's VPC")
	}
	return wrapAWS(err, "run ECS task of %s on cluster %q", aws.ToString(input.TaskDefinition), cluster)
}
