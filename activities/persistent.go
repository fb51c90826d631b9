package activities

import (
	"context"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
)

// defaultPersistentErrorLimit is how long the waits' polls may keep failing
// with an error that retrying cannot fix (persistentCode) before the wait
// gives up: it then stops the task and fails with a non-retryable error.
const defaultPersistentErrorLimit = 10 * time.Minute

// persistentFailure is a wait's current run of polls failing with an error
// that retrying cannot fix; zero when the last poll did not so fail. The
// waits heartbeat it, so that the run is timed across attempts.
type persistentFailure struct {
	// Since is when the run's first failure was seen.
	Since time.Time `json:"since"`
	// Code is the error code of the latest failure.
	Code string `json:"code"`
}

// failedPersistently records a failed poll. An error that retrying can fix
// changes nothing (the tolerance deals with it). A persistent one starts a
// run, or extends the current one, possibly an earlier attempt's; once the
// run has lasted longer than the limit, the wait gives up: the result is
// giveUpWatching's error. Otherwise it is nil.
func (p *taskPolls) failedPersistently(ctx context.Context, err error) error {
	code := persistentCode(err)
	if code == "" {
		return nil
	}
	now := time.Now()
	if p.failing.Since.IsZero() {
		p.failing.Since = now
		p.a.logger(ctx).Warn("DescribeTasks fails with an error that retrying cannot fix: the wait gives up unless it clears",
			"taskArn", p.ref.TaskArn, "code", code, "giveUpAfter", p.limit, "error", err)
	}
	p.failing.Code = code
	if failed := now.Sub(p.failing.Since); failed > p.limit {
		return p.a.giveUpWatching(ctx, p.ref, code, failed, err)
	}
	return nil
}

// describedAgain ends the run of persistent failures, if any: DescribeTasks
// answered.
func (p *taskPolls) describedAgain(ctx context.Context) {
	if p.failing.Since.IsZero() {
		return
	}
	p.a.logger(ctx).Info("DescribeTasks succeeds again", "taskArn", p.ref.TaskArn,
		"failedFor", time.Since(p.failing.Since).Round(time.Second), "code", p.failing.Code)
	*p.failing = persistentFailure{}
}

// giveUpWatching ends a wait whose polls have failed for failed with the
// persistent error err, of code code: it stops the task, so that none runs
// on unwatched, and returns the non-retryable error of type code, err as
// its cause. A failed stop is logged and told in the message: the error
// stands either way.
func (a *Activities) giveUpWatching(ctx context.Context, ref TaskRef, code string, failed time.Duration, err error) error {
	failed = failed.Round(time.Second)
	msg := fmt.Sprintf("gave up watching ECS task %s: DescribeTasks has failed with %s for %s, which retrying does not fix",
		ref.TaskArn, code, failed)
	stopErr := a.StopTask(ctx, StopInput{
		Region: ref.Region, RoleArn: ref.RoleArn, Identifier: ref.Identifier, Owner: ref.Owner,
		Reason: fmt.Sprintf("temporal-ecs cannot watch the task: DescribeTasks failed with %s for %s", code, failed),
	})
	if stopErr != nil {
		a.logger(ctx).Warn("Cannot stop the ECS task the wait gives up on", "taskArn", ref.TaskArn, "error", stopErr)
		msg += "; stopping the task was attempted and failed: " + stopErr.Error()
	} else {
		msg += "; the task was stopped"
	}
	return temporal.NewNonRetryableApplicationError(msg, code, awsCause(err))
}
