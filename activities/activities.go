// Package activities runs the ECS, EC2 and CloudWatch Logs side of a job as
// Temporal activities. STUB: the signatures are the contract the workflow
// codes against; the implementation replaces the bodies.
package activities

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// Options configures Activities.
type Options struct {
	// AWS is the worker's base AWS configuration (region, credentials,
	// endpoint); jobs may override the region and assume a role.
	AWS aws.Config
	// Defaults is the worker's job defaults, merged under every job.
	Defaults json.RawMessage
	// Logger receives activity logs; nil means slog.Default().
	Logger *slog.Logger
	// RunTaskAttempts and RegisterAttempts bound the in-activity retries of
	// RunTask and RegisterTaskDefinition (default 3); the delays are the
	// first backoff (default 1s), doubled with jitter.
	RunTaskAttempts  int
	RunTaskDelay     time.Duration
	RegisterAttempts int
	RegisterDelay    time.Duration
}

// Activities holds the AWS clients and the per-worker state (task
// definition cache, task watcher) the activities share.
type Activities struct{}

var errStub = errors.New("not implemented")

// New returns Activities ready to register on a worker.
func New(ctx context.Context, opts Options) (*Activities, error) { return &Activities{}, nil }

// Close stops the shared task watcher.
func (a *Activities) Close() {}

// PrepareTaskDefinition validates the job, merges it onto the worker's
// defaults and returns the task definition and run request it will send.
func (a *Activities) PrepareTaskDefinition(ctx context.Context, in PrepareInput) (*job.Prepared, error) {
	return nil, errStub
}

// GetOrRegisterTaskDefinition returns the ARN of a task definition equal to
// the prepared one, registering it only when no cached or latest revision matches.
func (a *Activities) GetOrRegisterTaskDefinition(ctx context.Context, p *job.Prepared) (*RegisterResult, error) {
	return nil, errStub
}

// RunTask starts the job's task, idempotently under in.ClientToken.
func (a *Activities) RunTask(ctx context.Context, in RunTaskInput) (*TaskRef, error) {
	return nil, errStub
}

// WaitForTaskStart polls until the task is RUNNING, heartbeating.
func (a *Activities) WaitForTaskStart(ctx context.Context, in WaitInput) (*WaitForStartResult, error) {
	return nil, errStub
}

// WaitForTaskFinish polls until the task is STOPPED, heartbeating and
// streaming its logs, and returns its result.
func (a *Activities) WaitForTaskFinish(ctx context.Context, in WaitInput) (*TaskResult, error) {
	return nil, errStub
}

// StopTask stops the task; a task already stopped or missing is success.
func (a *Activities) StopTask(ctx context.Context, in StopInput) error { return errStub }

// DeregisterTaskDefinition deregisters a task definition this job registered.
func (a *Activities) DeregisterTaskDefinition(ctx context.Context, in DeregisterInput) error {
	return errStub
}
