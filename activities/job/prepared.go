package job

// Prepared is a validated job, merged onto the worker's defaults, with the
// task definition and the RunTask request it will send. It is the output of
// the PrepareTaskDefinition activity and travels, as JSON, through the
// workflow history into the later activities, so it holds only data.
type Prepared struct {
	// Config is the job after defaults were applied.
	Config Config `json:"config"`

	// Region and RoleArn select the AWS clients for every call of this job.
	Region  string `json:"region,omitempty"`
	RoleArn string `json:"roleArn,omitempty"`
	// Cluster is the cluster as the job named it (name or ARN); empty means
	// the account's default cluster.
	Cluster string `json:"cluster,omitempty"`
	// ContainerName is the orchestrated container: its command, env and
	// exit code are the job's.
	ContainerName string `json:"containerName"`

	// TaskDefinitionArn is set when the job names a task definition to use
	// as is; TaskDefinition is then nil.
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	// TaskDefinition is the RegisterTaskDefinition request body, in ECS's
	// wire casing.
	TaskDefinition map[string]any `json:"taskDefinition,omitempty"`
	// RunRequest is the RunTask request body, in ECS's wire casing, without
	// the fields only known at run time (taskDefinition, network subnets
	// when inferred, clientToken, startedBy) and before taskCustomizations.
	RunRequest map[string]any `json:"runRequest"`

	// Image is the orchestrated container's image, for summaries and logs.
	Image string `json:"image,omitempty"`

	// Resolved settings, defaults applied.
	StartTimeoutSeconds int     `json:"startTimeoutSeconds"`
	PollIntervalSeconds float64 `json:"pollIntervalSeconds"`
	// HeartbeatTimeoutSeconds is the waits' heartbeat timeout, resolved
	// (zero in jobs prepared before it existed: the workflow then keeps
	// its earlier timeout).
	HeartbeatTimeoutSeconds int  `json:"heartbeatTimeoutSeconds,omitempty"`
	StreamOutput            bool `json:"streamOutput,omitempty"`
	AllowNonZeroExit        bool `json:"allowNonZeroExit,omitempty"`
	// RetryOnInterruption and Fallback are the job's retries of a task the
	// infrastructure interrupted, and the capacity they run on (nil: the
	// job's own).
	RetryOnInterruption int       `json:"retryOnInterruption,omitempty"`
	Fallback            *Fallback `json:"fallback,omitempty"`
	// Essential names the task definition's essential containers, when
	// known (always for a prepared definition; after Resolve for an
	// ARN-given one): a job succeeds only if none of them failed.
	Essential                   []string `json:"essential,omitempty"`
	AutoDeregister              bool     `json:"autoDeregister,omitempty"`
	MatchLatestRevisionInFamily bool     `json:"matchLatestRevisionInFamily,omitempty"`

	// SearchAttributes is set by the PrepareTaskDefinition activity when the
	// worker's namespace has the workflow's search attributes registered:
	// the workflow then upserts them (it cannot ask the server itself).
	SearchAttributes bool `json:"searchAttributes,omitempty"`

	// Warnings are the configuration warnings found while preparing, to be
	// logged by the activity and shown to the user.
	Warnings []string `json:"warnings,omitempty"`

	// LaunchType is the launch type the definition was prepared for and the
	// checks of an ARN-given definition use: FARGATE, FARGATE_SPOT, EC2,
	// EXTERNAL, or empty when the job set launchType null. The RunTask
	// request may still carry none (capacity provider strategy).
	LaunchType string `json:"launchType,omitempty"`
	// ConfigureCloudwatchLogs is the resolved configureCloudwatchLogs, and
	// ExecutionRoleArn the job's execution role (for error hints).
	ConfigureCloudwatchLogs bool   `json:"configureCloudwatchLogs,omitempty"`
	ExecutionRoleArn        string `json:"executionRoleArn,omitempty"`

	// VpcID is the VPC whose subnets are inferred or checked; empty means
	// the default VPC. Network is the job's custom awsvpc configuration.
	VpcID   string   `json:"vpcId,omitempty"`
	Network *Network `json:"network,omitempty"`
	// NetworkMode is the task definition's network mode when known (always
	// for a prepared definition; after Resolve for an ARN-given one).
	NetworkMode string `json:"networkMode,omitempty"`

	// TaskDefinitionDigest is Digest(TaskDefinition), the cache key of the
	// registered revision; empty with TaskDefinitionArn.
	TaskDefinitionDigest string `json:"taskDefinitionDigest,omitempty"`

	// LogGroup, LogRegion and LogStreamPrefix are the awslogs settings of
	// the orchestrated container when it has them; its stream is
	// "<prefix>/<container>/<task ID>". LogRegion empty means the task's region.
	LogGroup        string `json:"logGroup,omitempty"`
	LogRegion       string `json:"logRegion,omitempty"`
	LogStreamPrefix string `json:"logStreamPrefix,omitempty"`

	// TaskCustomizations is the RFC 6902 patch BuildRunRequest applies last.
	TaskCustomizations []PatchOperation `json:"taskCustomizations,omitempty"`
	// UnsetEnv lists the env variables the job set to null: removed from a
	// prepared definition, impossible to remove from an ARN-given one.
	UnsetEnv []string `json:"unsetEnv,omitempty"`
}
