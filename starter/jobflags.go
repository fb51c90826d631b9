package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

// jobField maps one flag onto a field of the job configuration; path is
// the field's dot-separated path in the job's JSON object.
type jobField struct {
	flag, path, usage string
	newValue          func() jobValue
}

func str() jobValue     { return &stringValue{} }
func num() jobValue     { return &intValue{} }
func float() jobValue   { return &floatValue{} }
func boolean() jobValue { return &boolValue{} }
func kv() jobValue      { return &mapValue{} }
func list() jobValue    { return &listValue{} }

// jobFields are the job configuration's fields that have a flag; the rest
// (taskDefinition, taskRunRequest, taskCustomizations, capacityProviderStrategy)
// come from --input.
var jobFields = []jobField{
	{"image", "image", "container `image`", str},
	{"command", "command", "container `command` as one string, split like a POSIX shell (or give it as arguments after the flags)", str},
	{"cpu", "cpu", "CPU `units` (1024 = 1 vCPU; default 1024)", num},
	{"memory", "memory", "memory in `MiB` (default 2048)", num},
	{"cluster", "cluster", "ECS `cluster` name or ARN (default: the account's default cluster)", str},
	{"family", "family", "task definition `family` (default temporal-ecs)", str},
	{"launch-type", "launchType", "launch `type`: FARGATE, FARGATE_SPOT, EC2 or EXTERNAL (default FARGATE)", str},
	{"container-name", "containerName", "`name` of the container whose command, env and exit code the job uses (default main)", str},
	{"task-definition-arn", "taskDefinitionArn", "run this task definition `ARN` as is (never register one)", str},
	{"task-role-arn", "taskRoleArn", "IAM role `ARN` of the task's containers", str},
	{"execution-role-arn", "executionRoleArn", "IAM role `ARN` ECS uses to pull the image and write logs", str},
	{"env", "env", "container environment variable `KEY=VALUE` (repeatable)", kv},
	{"secret", "secrets", "container secret `NAME=VALUEFROM`: a Secrets Manager secret ARN or an SSM parameter name or ARN that ECS reads at task start (repeatable; needs --execution-role-arn)", kv},
	{"label", "labels", "task tag `KEY=VALUE` (repeatable)", kv},
	{"vpc-id", "vpcId", "`VPC` whose subnets the task uses (default: the default VPC)", str},
	{"subnet", "networkConfiguration.subnets", "subnet `ID` (repeatable or comma-separated; needs --vpc-id)", list},
	{"security-group", "networkConfiguration.securityGroups", "security group `ID` (repeatable or comma-separated)", list},
	{"assign-public-ip", "networkConfiguration.assignPublicIp", "`ENABLED` or DISABLED: a public IP for the task (awsvpc)", str},
	{"stream-output", "streamOutput", "stream the container's log lines into the worker's log (default false; true for run)", boolean},
	{"configure-cloudwatch-logs", "configureCloudwatchLogs", "configure the awslogs driver (default: equals stream-output)", boolean},
	{"cloudwatch-logs-prefix", "cloudwatchLogsPrefix", "awslogs stream `prefix` (default temporal-ecs)", str},
	{"cloudwatch-logs-option", "cloudwatchLogsOptions", "extra awslogs option `KEY=VALUE` (repeatable)", kv},
	{"allow-non-zero-exit", "allowNonZeroExit", "complete the workflow even when the container exits non-zero", boolean},
	{"retry-on-interruption", "retryOnInterruption", "run a task the infrastructure interrupted (SpotInterruption, TerminationNotice, InfrastructureHealth) again, up to `N` times", num},
	{"interruption-fallback", "interruptionFallback.launchType", "`launch type` the retries of an interrupted task run on (e.g. FARGATE after FARGATE_SPOT)", str},
	{"region", "region", "AWS `region` of the job (default: the worker's)", str},
	{"role-arn", "roleArn", "IAM role `ARN` the worker assumes for this job's AWS calls", str},
	{"task-start-timeout", "taskStartTimeoutSeconds", "`seconds` to wait for the task to start (default 300)", num},
	{"poll-interval", "pollIntervalSeconds", "`seconds` between the worker's task status polls (default 5)", float},
	{"auto-deregister", "autoDeregisterTaskDefinition", "deregister a task definition this job registered once the task stops", boolean},
	{"match-latest-revision", "matchLatestRevisionInFamily", "reuse the family's latest revision when it equals the prepared one", boolean},
}

// jobFlags are the flags that make up a job: --input and the field flags.
type jobFlags struct {
	input  string
	values map[string]jobValue
	fs     *flagSet
}

func (j *jobFlags) register(fs *flagSet) {
	j.fs = fs
	j.values = make(map[string]jobValue, len(jobFields))
	fs.StringVar(&j.input, "input", "", "job configuration JSON `file` (- for stdin); the other flags override its fields")
	for _, f := range jobFields {
		v := f.newValue()
		j.values[f.flag] = v
		fs.Var(v, f.flag, f.usage)
	}
}

// build returns the job configuration: the --input object, the flags given
// on top, the command args (the positional arguments) and, for fields
// still unset, defaults.
func (j *jobFlags) build(stdin io.Reader, command []string, defaults map[string]any) (json.RawMessage, error) {
	job := map[string]any{}
	if j.input != "" {
		var err error
		if job, err = readJobFile(j.input, stdin); err != nil {
			return nil, err
		}
	}
	for _, f := range jobFields {
		if !j.fs.given(f.flag) {
			continue
		}
		if err := setPath(job, f.path, j.values[f.flag].json()); err != nil {
			return nil, cliflags.UsageErrorf("--%s: %v", f.flag, err)
		}
	}
	if len(command) > 0 {
		if j.fs.given("command") {
			return nil, cliflags.UsageErrorf("give the command either with --command or after the flags, not both")
		}
		job["command"] = command
	}
	for k, v := range defaults {
		if _, ok := job[k]; !ok {
			job[k] = v
		}
	}
	return json.Marshal(job)
}

// readJobFile reads a job configuration object from name ("-" is stdin).
func readJobFile(name string, stdin io.Reader) (map[string]any, error) {
	var b []byte
	var err error
	if name == "-" {
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, fmt.Errorf("--input: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep numbers exactly as written
	var job map[string]any
	if err := dec.Decode(&job); err != nil {
		return nil, fmt.Errorf("--input %s: not a JSON object: %w", name, err)
	}
	if job == nil {
		return nil, fmt.Errorf("--input %s: not a JSON object", name)
	}
	return job, nil
}

// setPath sets the dot-separated path of job to v. Objects met on the way
// are created; an object already at the path is merged with v when v is
// an object too, so --env adds to the environment of --input.
func setPath(job map[string]any, path string, v any) error {
	keys := strings.Split(path, ".")
	m := job
	for i, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			if m[k] != nil {
				return fmt.Errorf("%s in --input is not an object", strings.Join(keys[:i+1], "."))
			}
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	last := keys[len(keys)-1]
	if add, ok := v.(map[string]any); ok {
		if old, ok := m[last].(map[string]any); ok {
			for k, x := range add {
				old[k] = x
			}
			return nil
		}
	}
	m[last] = v
	return nil
}
