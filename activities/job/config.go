package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/kballard/go-shellquote"
)

// Defaults of the job configuration, applied when neither the job, the
// worker's job defaults nor (where it applies) the base task definition set
// a value.
const (
	DefaultFamily              = "temporal-ecs"
	DefaultContainerName       = "main"
	DefaultLaunchType          = LaunchTypeFargate
	DefaultCPU                 = 1024
	DefaultMemory              = 2048
	DefaultLogGroup            = "temporal-ecs"
	DefaultLogStreamPrefix     = "temporal-ecs"
	DefaultStartTimeoutSeconds = 300
	DefaultPollIntervalSeconds = 5.0
	// DefaultHeartbeatTimeoutSeconds: the SDK sends a wait's heartbeat at
	// most every 0.8 × the timeout, so 180 s costs 25 Temporal actions per
	// task-hour, and a lost worker's waits resume within 3 minutes.
	DefaultHeartbeatTimeoutSeconds = 180
)

// Bounds of heartbeatTimeoutSeconds.
const (
	minHeartbeatTimeoutSeconds = 10
	maxHeartbeatTimeoutSeconds = 3600
)

// Launch types accepted by the launchType field. FARGATE_SPOT is not an ECS
// launch type: it becomes the capacity provider strategy [{FARGATE_SPOT, 1}].
const (
	LaunchTypeFargate     = "FARGATE"
	LaunchTypeFargateSpot = "FARGATE_SPOT"
	LaunchTypeEC2         = "EC2"
	LaunchTypeExternal    = "EXTERNAL"
)

var launchTypes = []string{LaunchTypeFargate, LaunchTypeFargateSpot, LaunchTypeEC2, LaunchTypeExternal}

// Config is the job configuration: the RunECSTask workflow's input and the
// public JSON contract of temporal-ecs (camelCase field names). Go callers
// may build it and marshal it with encoding/json; Prepare parses it.
//
// Fields whose absence differs from their zero value are pointers (cpu, a
// boolean that defaults to another field) or Nullable (launchType, where
// absent means FARGATE and null means "send none").
type Config struct {
	// Image is the orchestrated container's image. Required unless the task
	// definition (taskDefinition or taskDefinitionArn) supplies one; when
	// both give one, the job's wins.
	Image string `json:"image,omitempty"`
	// Command overrides the container's command. In JSON it is an array of
	// strings or a string split like a POSIX shell would.
	Command Command `json:"command,omitempty"`
	// Env is set on the orchestrated container at run time. A null value
	// removes a variable the task definition sets.
	Env map[string]*string `json:"env,omitempty"`
	// Secrets maps environment variable names of the orchestrated container
	// to where ECS reads their values at task start (valueFrom): a Secrets
	// Manager secret ARN, optionally followed by :json-key:version-stage:
	// version-id, or an SSM Parameter Store parameter name or ARN. They are
	// set in the task definition, replacing the base definition's secrets
	// of the same names (ECS cannot override secrets at run time), and need
	// an executionRoleArn allowed to read them. Only the references travel
	// through Temporal, never the values.
	Secrets map[string]string `json:"secrets,omitempty"`
	// CPU (CPU units) and Memory (MiB): task-level for FARGATE, container-level
	// for EC2; when given, also sent as run-time overrides. Defaults 1024 and
	// 2048 unless the task definition has them.
	CPU    *int `json:"cpu,omitempty"`
	Memory *int `json:"memory,omitempty"`
	// Cluster is the cluster's name or ARN; empty means the default cluster.
	Cluster string `json:"cluster,omitempty"`
	// Family is the task definition family, slugified to [a-zA-Z0-9_-] and at
	// most 255 characters. Default: the base definition's, else temporal-ecs.
	Family string `json:"family,omitempty"`
	// LaunchType is FARGATE (the default when absent), FARGATE_SPOT, EC2 or
	// EXTERNAL; JSON null sends no launch type (the cluster's default
	// capacity provider strategy applies).
	LaunchType Nullable[string] `json:"launchType,omitzero"`
	// CapacityProviderStrategy, when set, replaces the launch type.
	CapacityProviderStrategy []CapacityProvider `json:"capacityProviderStrategy,omitempty"`
	// ContainerName names the orchestrated container. Default: a container
	// named "main" in the task definition, else its first container, else "main".
	ContainerName string `json:"containerName,omitempty"`
	// TaskDefinitionArn names a task definition to use as is (never
	// registered); fields that would shape a definition are then ignored.
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	// TaskDefinition is a base definition (ECS RegisterTaskDefinition shape)
	// that the job's fields complete and override.
	TaskDefinition map[string]any `json:"taskDefinition,omitempty"`
	// TaskRunRequest is a base RunTask request (ECS RunTask shape) under the
	// generated fields.
	TaskRunRequest map[string]any `json:"taskRunRequest,omitempty"`
	// TaskCustomizations are RFC 6902 JSON Patch operations applied last,
	// to the final RunTask request.
	TaskCustomizations []PatchOperation `json:"taskCustomizations,omitempty"`
	// TaskRoleArn is the task's IAM role, sent as a run-time override.
	TaskRoleArn string `json:"taskRoleArn,omitempty"`
	// ExecutionRoleArn is the task definition's execution role (needed by
	// the awslogs driver).
	ExecutionRoleArn string `json:"executionRoleArn,omitempty"`
	// VpcID is the VPC whose subnets are inferred (awsvpc network mode);
	// empty means the default VPC. Required with NetworkConfiguration.
	VpcID string `json:"vpcId,omitempty"`
	// NetworkConfiguration replaces the inferred awsvpc configuration;
	// every subnet must belong to VpcID.
	NetworkConfiguration *Network `json:"networkConfiguration,omitempty"`
	// ConfigureCloudwatchLogs sets the awslogs driver on the orchestrated
	// container. Default: StreamOutput.
	ConfigureCloudwatchLogs *bool `json:"configureCloudwatchLogs,omitempty"`
	// CloudwatchLogsOptions adds or overrides awslogs options; needs
	// ConfigureCloudwatchLogs.
	CloudwatchLogsOptions map[string]string `json:"cloudwatchLogsOptions,omitempty"`
	// CloudwatchLogsPrefix is the awslogs stream prefix (default
	// temporal-ecs) unless CloudwatchLogsOptions sets awslogs-stream-prefix.
	CloudwatchLogsPrefix string `json:"cloudwatchLogsPrefix,omitempty"`
	// StreamOutput streams the container's log lines while waiting.
	StreamOutput bool `json:"streamOutput,omitempty"`
	// Labels become RunTask tags, keys and values slugified to ECS's tag
	// character set. A null value removes a tag of the base run request.
	Labels map[string]*string `json:"labels,omitempty"`
	// TaskStartTimeoutSeconds bounds the wait for RUNNING (default 300).
	TaskStartTimeoutSeconds *int `json:"taskStartTimeoutSeconds,omitempty"`
	// PollIntervalSeconds is the time between polls of the task (default 5).
	PollIntervalSeconds *float64 `json:"pollIntervalSeconds,omitempty"`
	// HeartbeatTimeoutSeconds is the heartbeat timeout of the waits (default
	// 180, at least 10 and three poll intervals): how long a lost worker's
	// waits take to resume on another, and their cost, since the SDK sends
	// a heartbeat (a billed action on Temporal Cloud) at most every 0.8 ×
	// this: 180 s is 25 per task-hour, 30 s 150.
	HeartbeatTimeoutSeconds *int `json:"heartbeatTimeoutSeconds,omitempty"`
	// AutoDeregisterTaskDefinition deregisters a definition this job
	// registered once the task stops.
	AutoDeregisterTaskDefinition bool `json:"autoDeregisterTaskDefinition,omitempty"`
	// MatchLatestRevisionInFamily reuses the family's latest ACTIVE revision
	// when it equals the prepared definition.
	MatchLatestRevisionInFamily bool `json:"matchLatestRevisionInFamily,omitempty"`
	// Region is the AWS region of the job; empty means the worker's.
	Region string `json:"region,omitempty"`
	// RoleArn is an IAM role assumed (STS) for this job's AWS calls.
	RoleArn string `json:"roleArn,omitempty"`
	// AllowNonZeroExit completes the workflow on a non-zero exit code of
	// the orchestrated container instead of failing it. It excuses exit
	// codes only: a task ECS stopped (SpotInterruption, UserInitiated, ...)
	// or another essential container's failure still fails the workflow.
	AllowNonZeroExit bool `json:"allowNonZeroExit,omitempty"`
	// RetryOnInterruption is how many times a task the infrastructure
	// interrupted (stopCode SpotInterruption, TerminationNotice or
	// InfrastructureHealth) runs again as a new task (default 0, at most 10).
	RetryOnInterruption int `json:"retryOnInterruption,omitempty"`
	// InterruptionFallback is the capacity the retries of an interrupted
	// task run on, e.g. {"launchType": "FARGATE"} after FARGATE_SPOT; none
	// means the job's own. Needs RetryOnInterruption.
	InterruptionFallback *Fallback `json:"interruptionFallback,omitempty"`
}

// Fallback is the capacity a retried task runs on: a launch type (FARGATE,
// FARGATE_SPOT, EC2, EXTERNAL) or a capacity provider strategy, not both.
type Fallback struct {
	LaunchType               string             `json:"launchType,omitempty"`
	CapacityProviderStrategy []CapacityProvider `json:"capacityProviderStrategy,omitempty"`
}

// CapacityProvider is one entry of a capacity provider strategy.
type CapacityProvider struct {
	// CapacityProvider names the provider (FARGATE, FARGATE_SPOT, or a
	// cluster's Auto Scaling group provider). Required.
	CapacityProvider string `json:"capacityProvider"`
	// Weight is the relative share of tasks, 0 to 1000.
	Weight int `json:"weight,omitempty"`
	// Base is the minimum number of tasks on this provider, 0 to 100000.
	Base int `json:"base,omitempty"`
}

// Network is a custom awsvpc network configuration.
type Network struct {
	// Subnets are the task's subnets; each must belong to the job's vpcId.
	Subnets []string `json:"subnets"`
	// SecurityGroups are the task's security groups; none means the VPC's default.
	SecurityGroups []string `json:"securityGroups,omitempty"`
	// AssignPublicIp is ENABLED or DISABLED; empty leaves ECS's default.
	AssignPublicIp string `json:"assignPublicIp,omitempty"`
}

// PatchOperation is one RFC 6902 JSON Patch operation.
type PatchOperation struct {
	// Op is add, remove, replace, move, copy or test.
	Op string `json:"op"`
	// Path is a JSON Pointer (RFC 6901) into the RunTask request.
	Path string `json:"path"`
	// From is the source pointer of move and copy.
	From string `json:"from,omitempty"`
	// Value is the JSON value of add, replace and test (null is a value).
	Value json.RawMessage `json:"value,omitempty"`
}

// Command is a container command. It unmarshals from a JSON array of strings
// or from a string split like a POSIX shell (quotes and backslashes
// honoured, no expansion), and marshals as an array.
type Command []string

// UnmarshalJSON accepts null, an array of strings or a shell-like string.
func (c *Command) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*c = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		words, err := shellquote.Split(s)
		if err != nil {
			return fmt.Errorf("cannot split the command like a shell: %w", err)
		}
		*c = words
		return nil
	case len(b) > 0 && b[0] == '[':
		var words []string
		if err := json.Unmarshal(b, &words); err != nil {
			return errors.New("must be an array of strings or a string")
		}
		*c = words
		return nil
	}
	return errors.New("must be an array of strings or a string")
}

// Nullable is a JSON value that tells absent (Set false), null (Set true,
// Valid false) and a value (Set and Valid) apart. Tag fields of this type
// `omitzero` so that an absent value stays absent when marshalled.
type Nullable[T any] struct {
	// Value is the value when Valid.
	Value T
	// Valid is true when the JSON held a value, not null.
	Valid bool
	// Set is true when the field was present (a value or null).
	Set bool
}

// Some is a Nullable holding v.
func Some[T any](v T) Nullable[T] { return Nullable[T]{Value: v, Valid: true, Set: true} }

// Null is a Nullable holding JSON null.
func Null[T any]() Nullable[T] { return Nullable[T]{Set: true} }

// IsZero reports whether the value is absent (for `omitzero`).
func (n Nullable[T]) IsZero() bool { return !n.Set }

// MarshalJSON encodes the value, or null.
func (n Nullable[T]) MarshalJSON() ([]byte, error) {
	if !n.Valid {
		return []byte("null"), nil
	}
	return json.Marshal(n.Value)
}

// UnmarshalJSON records that the field is present, and its value or null.
func (n *Nullable[T]) UnmarshalJSON(b []byte) error {
	var zero T
	n.Set, n.Valid, n.Value = true, false, zero
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		return nil
	}
	if err := json.Unmarshal(b, &n.Value); err != nil {
		return err
	}
	n.Valid = true
	return nil
}
