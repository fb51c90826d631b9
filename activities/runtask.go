package activities

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// maxClientToken is the longest client token RunTask accepts.
const maxClientToken = 64

// runProgress is RunTask's heartbeat: the index of the client token in
// flight. A retried attempt resumes with that token, so a task started by
// a call whose response was lost is returned instead of started again.
type runProgress struct {
	TokenIndex int `json:"tokenIndex"`
}

// RunTask starts the job's task, idempotently under in.ClientToken. It
// infers the network when the job needs it, builds the request (the job's
// customizations applied last), and retries failures that retrying can fix
// (capacity, agent, throttling) with backoff. Errors that retrying cannot
// fix become non-retryable errors with a hint, keeping the AWS error as
// their cause; any other AWS error is returned with its error code as its
// type.
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
	if err != nil {
		return nil, invalidJob(err)
	}
	a.logger(ctx).Debug("ECS RunTask request", "request", job.MaskRequest(req))
	input, err := job.RunTaskInput(req)
	if err != nil {
		return nil, invalidJob(err)
	}

	task, err := a.runWithRetries(ctx, clients.ECS, input)
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

// runWithRetries calls RunTask until a task starts, retrying throttling and
// failures that retrying can fix. A response with failures and no task
// started none, so the next call may use the next client token; the token
// in flight is heartbeated first.
func (a *Activities) runWithRetries(ctx context.Context, api ECSAPI, input *ecs.RunTaskInput) (*types.Task, error) {
	base := aws.ToString(input.ClientToken)
	var prog runProgress
	if activity.IsActivity(ctx) && activity.HasHeartbeatDetails(ctx) {
		_ = activity.GetHeartbeatDetails(ctx, &prog)
	}
	log := a.logger(ctx)
	var task *types.Task
	b := backoff{attempts: a.opts.RunTaskAttempts, delay: a.opts.RunTaskDelay}
	err := b.do(ctx, retryableRun, func(n int) error {
		call := *input
		if base != "" {
			call.ClientToken = aws.String(clientToken(base, prog.TokenIndex))
		}
		heartbeat(ctx, prog)
		out, err := api.RunTask(ctx, &call)
		switch {
		case err != nil:
		case len(out.Tasks) > 0:
			task = &out.Tasks[0]
			return nil
		case len(out.Failures) > 0:
			// ECS answered this token with failures, and would answer it
			// so again: a retried attempt must go on with the next one.
			prog.TokenIndex++
			heartbeat(ctx, prog)
			err = &runFailure{failure: out.Failures[0]}
		default:
			err = errNoTask
		}
		if retryableRun(err) && n < b.attempts {
			log.Warn("ECS could not start the task yet: retrying", "attempt", n, "error", err)
		}
		return err
	})
	return task, err
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

// retryableRun reports whether a RunTask outcome may succeed when retried.
func retryableRun(err error) bool {
	var f *runFailure
	if errors.As(err, &f) {
		return retryableFailure(f.failure)
	}
	return isThrottle(err)
}

// clientToken is the token of the index-th call: the workflow's token, then
// derived ones; a token RunTask would refuse (too long, or with characters
// outside 33-126) is replaced by its SHA-256.
func clientToken(base string, index int) string {
	t := base
	if index > 0 {
		t += "-" + strconv.Itoa(index+1)
	}
	valid := len(t) <= maxClientToken
	for i := 0; valid && i < len(t); i++ {
		valid = t[i] >= 33 && t[i] <= 126
	}
	if valid {
		return t
	}
	sum := sha256.Sum256([]byte(t))
	return hex.EncodeToString(sum[:])
}

// runTaskError turns what RunTask failed with into the error the activity
// returns: a hint for what the job or the account must fix, else err with
// its context (wrapAWS).
func (a *Activities) runTaskError(err error, p *job.Prepared, input *ecs.RunTaskInput) error {
	cluster := p.Cluster
	if cluster == "" {
		cluster = "default"
	}
	hint := func(kind, msg string) error { return classified(kind, msg+": "+err.Error(), err) }
	var failure *runFailure
	switch {
	case errors.As(err, &failure):
		if retryableFailure(failure.failure) {
			return temporal.NewApplicationError(err.Error(), ErrRunTaskFailed)
		}
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrRunTaskFailed, nil)
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
