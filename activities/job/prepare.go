package job

import (
	"fmt"
	"math"
	"strings"
)

// PrepareOptions is what the worker knows when it prepares a job.
type PrepareOptions struct {
	// Defaults is the worker's job defaults, a JSON object of the same shape
	// as the job, merged under it (see Prepare). Empty means none.
	Defaults []byte
	// Region is the worker's AWS region, used when the job sets none.
	Region string
}

// definitionFields are the job fields that shape a task definition or
// govern one the job registers, ignored when the job names one by ARN.
// (executionRoleArn is not among them: it is then sent as a run-time
// override.)
var definitionFields = []string{
	"image", "family",
	"configureCloudwatchLogs", "cloudwatchLogsOptions", "cloudwatchLogsPrefix",
	"autoDeregisterTaskDefinition", "matchLatestRevisionInFamily",
}

// Prepare parses the job raw strictly, merges it onto opts.Defaults,
// validates it and builds the task definition and the RunTask request
// template it will send. It makes no AWS call; bad input is an *Error naming
// the field.
//
// Parsing: unknown fields (at any depth, the base taskDefinition and
// taskRunRequest included) are errors, with a "did you mean" when a known
// name is close; values must have the field's JSON type.
//
// Merge: the job's fields win over the defaults'. env, labels and
// cloudwatchLogsOptions merge key by key (a job's null for a key removes the
// default's value); every other field is replaced as a whole, objects and
// arrays included (taskDefinition, taskRunRequest, networkConfiguration,
// capacityProviderStrategy, taskCustomizations, command). A job field set to
// null clears the default's.
func Prepare(raw []byte, opts PrepareOptions) (*Prepared, error) {
	pj, err := parseJob(raw, opts.Defaults)
	if err != nil {
		return nil, err
	}
	return prepareParsed(pj, opts)
}

func prepareParsed(pj *parsedJob, opts PrepareOptions) (*Prepared, error) {
	cfg := pj.cfg
	logs := cfg.StreamOutput
	if cfg.ConfigureCloudwatchLogs != nil {
		logs = *cfg.ConfigureCloudwatchLogs
	}
	if err := validate(&cfg, logs); err != nil {
		return nil, err
	}

	p := &Prepared{
		Config:                      cfg,
		Region:                      cfg.Region,
		RoleArn:                     cfg.RoleArn,
		Cluster:                     cfg.Cluster,
		StartTimeoutSeconds:         DefaultStartTimeoutSeconds,
		PollIntervalSeconds:         DefaultPollIntervalSeconds,
		StreamOutput:                cfg.StreamOutput,
		AllowNonZeroExit:            cfg.AllowNonZeroExit,
		RetryOnInterruption:         cfg.RetryOnInterruption,
		Fallback:                    cfg.InterruptionFallback,
		AutoDeregister:              cfg.AutoDeregisterTaskDefinition,
		MatchLatestRevisionInFamily: cfg.MatchLatestRevisionInFamily,
		ConfigureCloudwatchLogs:     logs,
		ExecutionRoleArn:            cfg.ExecutionRoleArn,
		VpcID:                       cfg.VpcID,
		Network:                     cfg.NetworkConfiguration,
		TaskCustomizations:          cfg.TaskCustomizations,
	}
	if p.Region == "" {
		p.Region = opts.Region
	}
	if p.Cluster == "" {
		p.Cluster = stringAt(cfg.TaskRunRequest, "cluster")
	}
	if cfg.TaskStartTimeoutSeconds != nil {
		p.StartTimeoutSeconds = *cfg.TaskStartTimeoutSeconds
	}
	if cfg.PollIntervalSeconds != nil {
		p.PollIntervalSeconds = *cfg.PollIntervalSeconds
	}
	p.HeartbeatTimeoutSeconds = DefaultHeartbeatTimeoutSeconds
	if cfg.HeartbeatTimeoutSeconds != nil {
		p.HeartbeatTimeoutSeconds = *cfg.HeartbeatTimeoutSeconds
	}
	// The waits heartbeat at each poll: a timeout shorter than three polls
	// would fail attempts that are alive.
	p.HeartbeatTimeoutSeconds = max(p.HeartbeatTimeoutSeconds, int(math.Ceil(3*p.PollIntervalSeconds)))
	for _, k := range sortedKeys(cfg.Env) {
		if cfg.Env[k] == nil {
			p.UnsetEnv = append(p.UnsetEnv, k)
		}
	}

	lc := effectiveLaunch(&cfg)
	p.LaunchType = lc.launch

	arn := cfg.TaskDefinitionArn
	if arn == "" {
		arn = stringAt(cfg.TaskRunRequest, "taskDefinition")
	}
	if arn != "" {
		p.TaskDefinitionArn = arn
		p.ContainerName = cfg.ContainerName // empty: known after Resolve
		p.Warnings = append(p.Warnings, arnWarnings(pj, arn)...)
	} else {
		if logs && cfg.ExecutionRoleArn == "" && stringAt(cfg.TaskDefinition, "executionRoleArn") == "" {
			return nil, errorf("executionRoleArn", "configureCloudwatchLogs (on by default with streamOutput) needs an execution role allowed logs:CreateLogGroup, logs:CreateLogStream and logs:PutLogEvents: set executionRoleArn, or turn configureCloudwatchLogs off")
		}
		def, name, err := prepareDefinition(&cfg, definitionInput{launch: lc.launch, region: p.Region, logs: logs})
		if err != nil {
			return nil, err
		}
		digest, err := Digest(def)
		if err != nil {
			return nil, err
		}
		p.TaskDefinition = def
		p.TaskDefinitionDigest = digest
		p.ContainerName = name
		p.Essential = essentialContainers(def)
		p.NetworkMode = stringAt(def, "networkMode")
		container := containerByName(def, name)
		p.Image = stringAt(container, "image")
		p.LogGroup, p.LogRegion, p.LogStreamPrefix, _ = awslogsOfContainer(container)
		if p.StreamOutput && p.LogGroup == "" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("streamOutput is on, but container %q has no awslogs log configuration (configureCloudwatchLogs is off): its output cannot be streamed", name))
		}
		if cfg.NetworkConfiguration != nil && p.NetworkMode != "awsvpc" {
			p.Warnings = append(p.Warnings, fmt.Sprintf("networkConfiguration is ignored: the task definition's network mode is %q, not awsvpc", networkModeOrDefault(p.NetworkMode)))
		}
	}

	req, warnings := prepareRunRequest(&cfg, lc, p.ContainerName, p.TaskDefinitionArn != "")
	p.RunRequest = req
	p.Warnings = append(p.Warnings, warnings...)
	return p, nil
}

// arnWarnings lists what taskDefinitionArn makes the job ignore, naming only
// the fields the job itself set.
func arnWarnings(pj *parsedJob, arn string) []string {
	var out []string
	if pj.jobSet["taskDefinition"] {
		out = append(out, fmt.Sprintf("taskDefinition is ignored: taskDefinitionArn is set, and the task definition %s is used as is", arn))
	}
	var ignored []string
	for _, f := range definitionFields {
		// A flag set to false (or a field to null) asks nothing that
		// could be ignored.
		if v := pj.merged[f]; pj.jobSet[f] && v != false && v != nil {
			ignored = append(ignored, f)
		}
	}
	if len(ignored) > 0 {
		out = append(out, fmt.Sprintf("taskDefinitionArn is set, so these fields, which shape a task definition, are ignored: %s", strings.Join(ignored, ", ")))
	}
	var unset []string
	for _, k := range sortedKeys(pj.cfg.Env) {
		if pj.cfg.Env[k] == nil && pj.jobSet["env"] {
			unset = append(unset, k)
		}
	}
	if len(unset) > 0 {
		out = append(out, fmt.Sprintf("env %s: null cannot remove a variable from a task definition given by ARN; the task definition's value stays", strings.Join(unset, ", ")))
	}
	return out
}

// containerByName returns the named container of a definition body, or nil.
func containerByName(def map[string]any, name string) map[string]any {
	for _, c := range arrayAt(def, "containerDefinitions") {
		if m, ok := c.(map[string]any); ok && stringAt(m, "name") == name {
			return m
		}
	}
	return nil
}

func networkModeOrDefault(mode string) string {
	if mode == "" {
		return "bridge"
	}
	return mode
}
