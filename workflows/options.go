package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// Timeouts of the activities. The waits take theirs from the job's poll
// interval and start timeout.
const (
	prepareTimeout  = time.Minute
	registerTimeout = 2 * time.Minute
	registerTotal   = 10 * time.Minute
	runTaskTimeout  = 3 * time.Minute // one attempt, including the activity's own capacity retries (before owned-tasks)
	// runTaskCallTimeout bounds one RunTask attempt since owned-tasks: one
	// call, with the SDK retryer's retries of throttling and transport
	// errors under the same token.
	runTaskCallTimeout = time.Minute
	runTaskTotal       = 10 * time.Minute
	stopTimeout        = time.Minute
	stopTotal          = 5 * time.Minute
	deregisterTimeout  = time.Minute
	deregisterTotal    = 5 * time.Minute

	// finishAttemptTimeout bounds one attempt of WaitForTaskFinish. A task
	// may run for days: an attempt that times out is retried, and resumes
	// from its last heartbeat, so this only caps how long a stuck attempt
	// can go unnoticed when it still heartbeats.
	finishAttemptTimeout = 24 * time.Hour
	// stoppedWait bounds the wait for STOPPED after StopTask.
	stoppedWait = 5 * time.Minute

	// maxRetryInterval caps the backoff of boundedOptions.
	maxRetryInterval = 30 * time.Second

	// runTaskFailureAttempts bounds the RunTasks a workflow makes when ECS
	// answers with failures that may pass (capacity, agent), each under a
	// new client token after a backoff from runTaskFailureBackoff, doubled
	// up to maxRetryInterval.
	runTaskFailureAttempts = 5
	runTaskFailureBackoff  = 5 * time.Second

	minHeartbeatTimeout = 30 * time.Second
	minStartMargin      = time.Minute
)

// retry returns a retry policy with exponential backoff up to maxInterval,
// at most attempts attempts (0: unlimited, within the activity's
// ScheduleToClose) and the given non-retryable error types.
func retry(maxInterval time.Duration, attempts int32, nonRetryable ...string) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:        time.Second,
		BackoffCoefficient:     2,
		MaximumInterval:        maxInterval,
		MaximumAttempts:        attempts,
		NonRetryableErrorTypes: nonRetryable,
	}
}

// boundedOptions are the options of an activity whose attempts each take
// at most attempt and all of them at most total, retried with backoff up
// to maxRetryInterval at most attempts times (0: as often as total allows),
// except for the nonRetryable error types.
func boundedOptions(summary string, attempt, total time.Duration, attempts int32, nonRetryable ...string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout:    attempt,
		ScheduleToCloseTimeout: total,
		RetryPolicy:            retry(maxRetryInterval, attempts, nonRetryable...),
		Summary:                summary,
	}
}

// pollInterval is the job's poll interval, defaulted.
func pollInterval(p *job.Prepared) time.Duration {
	if p.PollIntervalSeconds <= 0 {
		return time.Duration(job.DefaultPollIntervalSeconds * float64(time.Second)) // a job prepared without it
	}
	return time.Duration(p.PollIntervalSeconds * float64(time.Second))
}

// heartbeatTimeout is the heartbeat timeout of the waits: the job's,
// resolved by Prepare (default 180s); for a job prepared before that field
// existed, several poll intervals and at least 30s, as then. The recorded
// Prepared decides, so a replay takes the branch its execution took.
func heartbeatTimeout(p *job.Prepared) time.Duration {
	if p.HeartbeatTimeoutSeconds > 0 {
		return time.Duration(p.HeartbeatTimeoutSeconds) * time.Second
	}
	return max(3*pollInterval(p), minHeartbeatTimeout)
}

// startTimeout is the job's task start timeout, defaulted.
func startTimeout(p *job.Prepared) time.Duration {
	if p.StartTimeoutSeconds <= 0 {
		return job.DefaultStartTimeoutSeconds * time.Second // a job prepared without it
	}
	return time.Duration(p.StartTimeoutSeconds) * time.Second
}

func prepareOptions() workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: prepareTimeout,
		RetryPolicy:         retry(10*time.Second, 3, activities.ErrInvalidJobConfiguration),
		Summary:             "PrepareTaskDefinition",
	}
}

func registerOptions(summary string) workflow.ActivityOptions {
	return boundedOptions(summary, registerTimeout, registerTotal, 5,
		activities.ErrInvalidJobConfiguration, activities.ErrTaskDefinitionInactive)
}

// runTaskOptions retries RunTask safely: the client token makes a retried
// attempt return the task a lost attempt started. RunTaskFailed is left to
// the activity: it marks capacity failures retryable, the others not.
func runTaskOptions(summary string) workflow.ActivityOptions {
	return boundedOptions(summary, runTaskTimeout, runTaskTotal, 5,
		activities.ErrInvalidJobConfiguration, activities.ErrClusterNotFound,
		activities.ErrNoContainerInstances, activities.ErrMissingLogsPermissions,
		activities.ErrNetworkConfiguration, activities.ErrTaskDefinitionInactive)
}

// waitStartOptions lets WaitForTaskStart run the job's start timeout plus a
// margin; a retried attempt (lost worker) gets what is left of the total.
func waitStartOptions(p *job.Prepared, summary string) workflow.ActivityOptions {
	hb := heartbeatTimeout(p)
	margin := max(hb, minStartMargin)
	o := boundedOptions(summary, startTimeout(p)+margin, startTimeout(p)+2*margin, 0,
		activities.ErrTaskStartTimeout, activities.ErrTaskFailedToStart, activities.ErrTaskNotFound,
		activities.ErrInvalidIdentifier, activities.ErrClusterNotFound)
	o.HeartbeatTimeout = hb
	return o
}

// waitFinishOptions lets WaitForTaskFinish run as long as the task does:
// unlimited attempts, each resuming from the last heartbeat, so a dead
// worker is detected by the heartbeat timeout and another takes over.
func waitFinishOptions(p *job.Prepared, summary string) workflow.ActivityOptions {
	return workflow.ActivityOptions{
		StartToCloseTimeout: finishAttemptTimeout,
		HeartbeatTimeout:    heartbeatTimeout(p),
		RetryPolicy: retry(time.Minute, 0,
			activities.ErrTaskNotFound, activities.ErrInvalidIdentifier, activities.ErrClusterNotFound),
		Summary: summary,
	}
}

// stoppedWaitOptions bounds the wait for STOPPED after StopTask.
func stoppedWaitOptions(p *job.Prepared, summary string) workflow.ActivityOptions {
	o := boundedOptions(summary, stoppedWait, stoppedWait, 0,
		activities.ErrTaskNotFound, activities.ErrInvalidIdentifier, activities.ErrClusterNotFound)
	o.HeartbeatTimeout = heartbeatTimeout(p)
	return o
}

func stopOptions(summary string) workflow.ActivityOptions {
	return boundedOptions(summary, stopTimeout, stopTotal, 0, activities.ErrInvalidIdentifier, activities.ErrClusterMismatch)
}

// stopUntilDoneOptions retries StopTask, with backoff up to a minute, until
// it succeeds (the task is stopped, STOPPED or gone) or fails for a reason
// retrying cannot fix: while the task may run, cleanup never gives up.
func stopUntilDoneOptions(o workflow.ActivityOptions) workflow.ActivityOptions {
	o.ScheduleToCloseTimeout = 0
	o.RetryPolicy = retry(time.Minute, 0, activities.ErrInvalidIdentifier, activities.ErrClusterMismatch,
		activities.ErrTaskNotOwned, activities.ErrClusterNotFound)
	return o
}

// stopStartedByOptions: listing the job's tasks and stopping the few found.
func stopStartedByOptions(summary string) workflow.ActivityOptions {
	return boundedOptions(summary, 2*stopTimeout, stopTotal, 0, activities.ErrInvalidIdentifier, activities.ErrClusterNotFound)
}

func deregisterOptions(summary string) workflow.ActivityOptions {
	return boundedOptions(summary, deregisterTimeout, deregisterTotal, 0, activities.ErrInvalidJobConfiguration)
}
