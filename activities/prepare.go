package activities

import (
	"context"
	"errors"

	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// PrepareTaskDefinition validates the job, merges it onto the worker's
// defaults and returns the task definition and run request it will send.
// An invalid job is a non-retryable InvalidJobConfiguration error naming
// the field; each configuration warning is logged. The result tells the
// workflow whether to upsert its search attributes (Options.SearchAttributes).
func (a *Activities) PrepareTaskDefinition(ctx context.Context, in PrepareInput) (*job.Prepared, error) {
	p, err := job.Prepare(in.Job, job.PrepareOptions{Defaults: a.opts.Defaults, Region: a.opts.AWS.Region})
	if err != nil {
		return nil, invalidJob(err)
	}
	log := a.logger(ctx)
	for _, w := range p.Warnings {
		log.Warn(w)
	}
	p.SearchAttributes = a.opts.SearchAttributes
	return p, nil
}

// invalidJob makes err a non-retryable InvalidJobConfiguration error; a
// *job.Error travels as its details, so callers can show the field.
func invalidJob(err error) error {
	var jerr *job.Error
	if errors.As(err, &jerr) {
		return temporal.NewNonRetryableApplicationError(jerr.Error(), ErrInvalidJobConfiguration, nil, *jerr)
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidJobConfiguration, nil)
}
