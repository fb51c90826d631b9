package workflows

import "github.com/temporal-ecs/temporal-ecs/activities"

// Failure types of RunECSTask: a job that did not succeed fails the
// workflow with a non-retryable application error of one of these types
// (FailureType reads it, from any depth of the error chain), and a job
// whose task ran carries the *activities.TaskResult as the error's first
// detail (ResultOf reads it). Other SDKs match the same strings.
const (
	// ErrTaskExitedNonZero: the orchestrated container exited with a code
	// other than 0 (or without one), and allowNonZeroExit is not set.
	ErrTaskExitedNonZero = "TaskExitedNonZero"
	// ErrEssentialContainerFailed: the orchestrated container exited 0, but
	// another essential container exited non-zero; the message names it.
	ErrEssentialContainerFailed = "EssentialContainerFailed"
	// ErrStopTaskFailed: the workflow was cancelled but could not stop its
	// task, which may still run and needs attention.
	ErrStopTaskFailed = "StopTaskFailed"

	// ErrInvalidJobConfiguration: the job is invalid; the message names the
	// field. No task was started.
	ErrInvalidJobConfiguration = activities.ErrInvalidJobConfiguration
	// ErrTaskStartTimeout: the task was not RUNNING within
	// taskStartTimeoutSeconds; it was stopped.
	ErrTaskStartTimeout = activities.ErrTaskStartTimeout
	// ErrClusterNotFound: the job's cluster does not exist in its region.
	ErrClusterNotFound = activities.ErrClusterNotFound
	// ErrRunTaskFailed: ECS refused to place the task, after the retries of
	// the failures that may pass (capacity, agent).
	ErrRunTaskFailed = activities.ErrRunTaskFailed
	// ErrTaskDefinitionInactive: the task definition named by the job is
	// INACTIVE.
	ErrTaskDefinitionInactive = activities.ErrTaskDefinitionInactive
	// ErrNoContainerInstances: an EC2 launch on a cluster without instances.
	ErrNoContainerInstances = activities.ErrNoContainerInstances
	// ErrMissingLogsPermissions: the execution role may not write the
	// task's CloudWatch logs.
	ErrMissingLogsPermissions = activities.ErrMissingLogsPermissions
	// ErrNetworkConfiguration: subnets or security groups are missing or
	// outside the job's VPC.
	ErrNetworkConfiguration = activities.ErrNetworkConfiguration
	// ErrCapacityProvider: the capacity provider strategy was refused.
	ErrCapacityProvider = activities.ErrCapacityProvider
	// ErrTaskNotFound: ECS stopped describing the watched task.
	ErrTaskNotFound = activities.ErrTaskNotFound
)

// ECS stop codes that are failure types too: the task stopped for another
// reason than its containers exiting (for UserInitiated, by someone else
// than this workflow). TaskFailedToStart is a task that never ran.
const (
	StopCodeTaskFailedToStart         = "TaskFailedToStart"
	StopCodeUserInitiated             = "UserInitiated"
	StopCodeSpotInterruption          = "SpotInterruption"
	StopCodeTerminationNotice         = "TerminationNotice"
	StopCodeServiceSchedulerInitiated = "ServiceSchedulerInitiated"
	StopCodeInfrastructureHealth      = "InfrastructureHealth"
)
