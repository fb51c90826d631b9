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
	StartTimeoutSeconds         int     `json:"startTimeoutSeconds"`
	PollIntervalSeconds         float64 `json:"pollIntervalSeconds"`
	StreamOutput                bool    `json:"streamOutput,omitempty"`
	AllowNonZeroExit            bool    `json:"allowNonZeroExit,omitempty"`
	AutoDeregister              bool    `json:"autoDeregister,omitempty"`
	MatchLatestRevisionInFamily bool    `json:"matchLatestRevisionInFamily,omitempty"`

	// Warnings are the configuration warnings found while preparing, to be
	// logged by the activity and shown to the user.
	Warnings []string `json:"warnings,omitempty"`
}
