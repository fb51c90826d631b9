package workflows

import (
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// stepError wraps the error that failed a step of the workflow. The result
// is an application error saying what failed and why (the activity error's
// message), with the activity's error as cause and the activity's error type (for a task that failed to start, its
// stopCode) and retryability at the top, so callers match one type
// whatever the depth; a TaskResult in the activity error's details is
// carried too. When the activity ran out of time (a timeout, or retries
// given up for its ScheduleToClose), the type is timeoutType when set.
func stepError(what, timeoutType string, err error) error {
	if timeoutType != "" && outOfTime(err) {
		return temporal.NewNonRetryableApplicationError(what, timeoutType, err)
	}
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return temporal.NewApplicationErrorWithCause(what, "", err)
	}
	opts := temporal.ApplicationErrorOptions{NonRetryable: app.NonRetryable(), Cause: err}
	if res := resultDetails(app); res != nil {
		opts.Details = []any{res}
	}
	// The message carries the whole explanation, for callers (any SDK)
	// that read only the failure's own message.
	return temporal.NewApplicationErrorWithOptions(what+": "+app.Message(), app.Type(), opts)
}

// resultDetails returns the task result an activity error carries (a task
// that failed to start has one), or nil.
func resultDetails(app *temporal.ApplicationError) *activities.TaskResult {
	var res activities.TaskResult
	if !app.HasDetails() || app.Details(&res) != nil || res.TaskArn == "" {
		return nil
	}
	return &res
}

// errType returns the type of the application error in err's chain (an
// activity's own error type), or "".
func errType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}

// errResult returns the task result the application error in err's chain
// carries (a task that failed to start has one), or nil.
func errResult(err error) *activities.TaskResult {
	var app *temporal.ApplicationError
	if !errors.As(err, &app) {
		return nil
	}
	return resultDetails(app)
}

// outOfTime reports whether an activity failed for lack of time rather than
// for a reason of its own.
func outOfTime(err error) bool {
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return true
	}
	var act *temporal.ActivityError
	return errors.As(err, &act) && act.RetryState() == enumspb.RETRY_STATE_TIMEOUT
}

// outcomeError is the failure a stopped task deserves, nil for a success:
// the task must have stopped because its containers exited
// (EssentialContainerExited), the orchestrated container must have exited
// 0 (unless allowNonZeroExit) and no other essential container may have
// exited non-zero. A task ECS or someone else stopped fails with the stop
// code as the type (SpotInterruption, UserInitiated, ...), whatever its
// exit codes. Every failure carries the result as its details.
func outcomeError(p *job.Prepared, res *activities.TaskResult) error {
	if res.StopCode != "" && res.StopCode != stopCodeEssentialExited {
		msg := fmt.Sprintf("task %s was stopped (%s: %s) before its containers exited by themselves; container %q %s",
			res.TaskArn, res.StopCode, res.StoppedReason, p.ContainerName, exitPhrase(res.ExitCode))
		if res.StopCode == StopCodeUserInitiated {
			msg = fmt.Sprintf("task %s was stopped from outside this workflow (%s: %s); container %q %s",
				res.TaskArn, res.StopCode, res.StoppedReason, p.ContainerName, exitPhrase(res.ExitCode))
		}
		return temporal.NewNonRetryableApplicationError(msg, res.StopCode, nil, res)
	}
	if res.ExitCode != 0 && !p.AllowNonZeroExit {
		return nonZeroExit(p.ContainerName, res)
	}
	for _, c := range res.Containers {
		if c.Name == p.ContainerName || !c.Essential || c.ExitCode == nil || *c.ExitCode == 0 {
			continue
		}
		msg := fmt.Sprintf("essential container %q of task %s exited with code %d", c.Name, res.TaskArn, *c.ExitCode)
		if c.Reason != "" {
			msg += " (" + c.Reason + ")"
		}
		return temporal.NewNonRetryableApplicationError(msg, ErrEssentialContainerFailed, nil, res)
	}
	return nil
}

// stopCodeEssentialExited is the stop code of a task its containers
// stopped: the only one a success has.
const stopCodeEssentialExited = "EssentialContainerExited"

// exitPhrase says how the orchestrated container exited.
func exitPhrase(code int) string {
	if code == -1 {
		return "reported no exit code"
	}
	return fmt.Sprintf("exited with code %d", code)
}

// nonZeroExit is the failure of a task whose container did not exit with 0.
func nonZeroExit(container string, res *activities.TaskResult) error {
	msg := fmt.Sprintf("container %q of task %s exited with code %d", container, res.TaskArn, res.ExitCode)
	if res.ExitCode == -1 {
		msg = fmt.Sprintf("container %q of task %s stopped without an exit code", container, res.TaskArn)
	}
	if res.StopCode != "" || res.StoppedReason != "" {
		msg += fmt.Sprintf(" (%s: %s)", res.StopCode, res.StoppedReason)
	}
	return temporal.NewNonRetryableApplicationError(msg, ErrTaskExitedNonZero, nil, res)
}
