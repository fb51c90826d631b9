package activities

import (
	"encoding/json"
	"time"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// PrepareInput is the input of PrepareTaskDefinition: the job configuration
// exactly as the workflow received it.
type PrepareInput struct {
	Job json.RawMessage `json:"job"`
}

// RegisterResult is the output of GetOrRegisterTaskDefinition.
type RegisterResult struct {
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	// Registered is true when this call registered a new revision, which
	// autoDeregisterTaskDefinition may then deregister.
	Registered bool `json:"registered"`
}

// RunTaskInput is the input of RunTask.
type RunTaskInput struct {
	Job               *job.Prepared `json:"job"`
	TaskDefinitionArn string        `json:"taskDefinitionArn"`
	// ClientToken makes RunTask idempotent: the workflow derives it from its
	// execution, so a retried attempt never starts a second task.
	ClientToken string `json:"clientToken"`
	// StartedBy names the workflow on the task (ECS allows 128 characters);
	// ignored when Owner is set, whose StartedBy is used.
	StartedBy string `json:"startedBy,omitempty"`
	// Owner is the workflow execution the task belongs to: RunTask tags the
	// task with it (nil from workflows recorded before owner tags).
	Owner *job.Owner `json:"owner,omitempty"`
	// Adopt asks RunTask to look for a running task of Owner's chain first,
	// and to return it instead of starting another: a reset run's client
	// token may have expired since the run it replaced started the task.
	Adopt bool `json:"adopt,omitempty"`
	// OnFallback runs the task on the job's interruptionFallback capacity:
	// the retry of a task the infrastructure interrupted.
	OnFallback bool `json:"onFallback,omitempty"`
}

// TaskRef locates a running task and the clients that reach it.
type TaskRef struct {
	Region  string `json:"region,omitempty"`
	RoleArn string `json:"roleArn,omitempty"`
	// Cluster is the cluster as the job named it; ClusterArn as ECS returned it.
	Cluster    string `json:"cluster,omitempty"`
	ClusterArn string `json:"clusterArn"`
	TaskArn    string `json:"taskArn"`
	// Identifier is "<cluster>::<taskArn>", the configured cluster name when given.
	Identifier        string `json:"identifier"`
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	ContainerName     string `json:"containerName"`
	// LastStatus is the task's status in RunTask's response: PROVISIONING
	// for a new task, possibly later for one that a retried call found
	// started already. The wait activities report the statuses after it.
	LastStatus string `json:"lastStatus,omitempty"`
	// LogGroup and LogStream locate the orchestrated container's awslogs
	// stream; empty when it has no awslogs configuration.
	LogGroup  string `json:"logGroup,omitempty"`
	LogStream string `json:"logStream,omitempty"`
	// LogRegion is the region of the log group (awslogs-region).
	LogRegion string `json:"logRegion,omitempty"`
	// Owner is the workflow execution the task's tags name; nil for a task
	// started before owner tags.
	Owner *job.Owner `json:"owner,omitempty"`
	// Essential names the task's essential containers; nil when unknown
	// (tasks started before it was recorded).
	Essential []string `json:"essential,omitempty"`
}

// cluster is the cluster to address the task in: as ECS returned it, else
// as the job named it (empty: the default cluster).
func (r TaskRef) cluster() string {
	if r.ClusterArn != "" {
		return r.ClusterArn
	}
	return r.Cluster
}

// WaitInput is the input of WaitForTaskStart and WaitForTaskFinish.
type WaitInput struct {
	Task                TaskRef `json:"task"`
	PollIntervalSeconds float64 `json:"pollIntervalSeconds"`
	StartTimeoutSeconds int     `json:"startTimeoutSeconds,omitempty"`
	StreamOutput        bool    `json:"streamOutput,omitempty"`
	// WorkflowID is attached to streamed log lines.
	WorkflowID string `json:"workflowId,omitempty"`
}

// WaitForStartResult is the output of WaitForTaskStart.
type WaitForStartResult struct {
	LastStatus string `json:"lastStatus"`
	// Finished is set when the task had already run and stopped between two
	// polls: the workflow then skips WaitForTaskFinish.
	Finished *TaskResult `json:"finished,omitempty"`
	// Output locates the container's log stream (its console address on
	// AWS) once the task has started; Finished carries its own.
	Output *OutputReport `json:"output,omitempty"`
}

// ContainerResult is one container of a stopped task.
type ContainerResult struct {
	Name string `json:"name"`
	// ExitCode is nil when ECS reported none.
	ExitCode *int   `json:"exitCode,omitempty"`
	Reason   string `json:"reason,omitempty"`
	// Essential is set for an essential container (when the task's
	// essential containers are known).
	Essential bool `json:"essential,omitempty"`
}

// TaskAttempt is one task a job ran: the job runs another after one the
// infrastructure interrupted (retryOnInterruption).
type TaskAttempt struct {
	TaskArn       string `json:"taskArn"`
	StopCode      string `json:"stopCode,omitempty"`
	StoppedReason string `json:"stoppedReason,omitempty"`
	// ExitCode is the orchestrated container's, -1 when ECS reported none.
	ExitCode int `json:"exitCode"`
}

// TaskResult is the outcome of a job: the workflow's result.
type TaskResult struct {
	Identifier        string `json:"identifier"`
	TaskArn           string `json:"taskArn"`
	ClusterArn        string `json:"clusterArn"`
	TaskDefinitionArn string `json:"taskDefinitionArn"`
	LastStatus        string `json:"lastStatus"`
	// ExitCode is the orchestrated container's exit code, -1 when ECS reported none.
	ExitCode      int               `json:"exitCode"`
	StopCode      string            `json:"stopCode,omitempty"`
	StoppedReason string            `json:"stoppedReason,omitempty"`
	Containers    []ContainerResult `json:"containers,omitempty"`
	StartedAt     *time.Time        `json:"startedAt,omitempty"`
	StoppedAt     *time.Time        `json:"stoppedAt,omitempty"`
	LogGroup      string            `json:"logGroup,omitempty"`
	LogStream     string            `json:"logStream,omitempty"`
	// Attempts are the job's tasks in order, this one last: more than one
	// when interrupted tasks were run again. Set by the workflow.
	Attempts []TaskAttempt `json:"attempts,omitempty"`
	// Output locates the container's log stream and says whether the
	// worker read all of it (see OutputReport); nil from results recorded
	// before it was reported.
	Output *OutputReport `json:"output,omitempty"`
}

// StopInput is the input of StopTask.
type StopInput struct {
	Region  string `json:"region,omitempty"`
	RoleArn string `json:"roleArn,omitempty"`
	// Cluster is the job's cluster; an identifier in another cluster is refused.
	Cluster string `json:"cluster,omitempty"`
	// Identifier is "<cluster>::<taskArn>".
	Identifier string `json:"identifier"`
	Reason     string `json:"reason,omitempty"`
	// Owner, when set, must be what the task's tags name: a task of another
	// workflow is refused (TaskNotOwned) and left running.
	Owner *job.Owner `json:"owner,omitempty"`
}

// DeregisterInput is the input of DeregisterTaskDefinition.
type DeregisterInput struct {
	Region            string `json:"region,omitempty"`
	RoleArn           string `json:"roleArn,omitempty"`
	TaskDefinitionArn string `json:"taskDefinitionArn"`
}

// Stable error types of the non-retryable application errors the
// activities return; the workflow and callers match on them.
const (
	ErrInvalidJobConfiguration = "InvalidJobConfiguration"
	ErrClusterNotFound         = "ClusterNotFound"
	ErrTaskFailedToStart       = "TaskFailedToStart"
	ErrTaskStartTimeout        = "TaskStartTimeout"
	ErrTaskDefinitionInactive  = "TaskDefinitionInactive"
	ErrNoContainerInstances    = "NoContainerInstances"
	ErrMissingLogsPermissions  = "MissingLogsPermissions"
	ErrNetworkConfiguration    = "NetworkConfiguration"
	ErrRunTaskFailed           = "RunTaskFailed"
	ErrInvalidIdentifier       = "InvalidIdentifier"
	// ErrClusterMismatch: StopTask refused a task of another cluster than the job's.
	ErrClusterMismatch = "ClusterMismatch"
	// ErrTaskNotFound: ECS no longer describes the watched task.
	ErrTaskNotFound = "TaskNotFound"
	// ErrCapacityProvider: RunTask refused the capacity provider strategy
	// or found no capacity for it.
	ErrCapacityProvider = "CapacityProvider"
	// ErrTaskNotOwned: StopTask refused a task whose tags name another
	// workflow than the one asking.
	ErrTaskNotOwned = "TaskNotOwned"
)

// RunFailure is the details of a RunTaskFailed error: ECS answered RunTask
// with a failure and started no task. Retryable failures (capacity, agent)
// may succeed with a new client token after a backoff.
type RunFailure struct {
	Reason    string `json:"reason"`
	Detail    string `json:"detail,omitempty"`
	Retryable bool   `json:"retryable"`
}

// StopStartedByInput is the input of StopTasksStartedBy: the cleanup the
// workflow runs when RunTask gave up without telling which task it started
// (every response lost), so that no task outlives its workflow.
type StopStartedByInput struct {
	Region  string `json:"region,omitempty"`
	RoleArn string `json:"roleArn,omitempty"`
	// Cluster is the job's cluster (name or ARN; empty: the default cluster).
	Cluster string `json:"cluster,omitempty"`
	// StartedBy is the value RunTask was given: tasks whose startedBy equals
	// it exactly, and which are not yet stopped, are stopped.
	StartedBy string `json:"startedBy"`
	Reason    string `json:"reason,omitempty"`
	// Owner, when set, limits the stop to the tasks whose tags name its
	// chain, so that workflows never stop each other's tasks.
	Owner *job.Owner `json:"owner,omitempty"`
}
