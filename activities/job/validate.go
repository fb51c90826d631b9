package job

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// validate checks the rules on the merged configuration that need no task
// definition, in the order of the configuration table. logs is the resolved
// configureCloudwatchLogs.
func validate(cfg *Config, logs bool) error {
	if cfg.CPU != nil && *cfg.CPU <= 0 {
		return errorf("cpu", "must be a positive number of CPU units (1024 is one vCPU), got %d", *cfg.CPU)
	}
	if cfg.Memory != nil && *cfg.Memory <= 0 {
		return errorf("memory", "must be a positive number of MiB, got %d", *cfg.Memory)
	}
	for _, name := range sortedKeys(cfg.Env) {
		if name == "" {
			return errorf("env", "a variable name is empty")
		}
	}
	if cfg.LaunchType.Valid && !slices.Contains(launchTypes, cfg.LaunchType.Value) {
		return errorf("launchType", "must be one of %s, or null; got %q", strings.Join(launchTypes, ", "), cfg.LaunchType.Value)
	}
	if lt, ok := cfg.TaskRunRequest["launchType"].(string); ok && !slices.Contains(launchTypes, lt) {
		return errorf("taskRunRequest.launchType", "must be one of %s; got %q", strings.Join(launchTypes, ", "), lt)
	}
	for i, cp := range cfg.CapacityProviderStrategy {
		p := indexPath("capacityProviderStrategy", i)
		switch {
		case cp.CapacityProvider == "":
			return errorf(p+".capacityProvider", "is required")
		case cp.Weight < 0 || cp.Weight > 1000:
			return errorf(p+".weight", "must be between 0 and 1000, got %d", cp.Weight)
		case cp.Base < 0 || cp.Base > 100000:
			return errorf(p+".base", "must be between 0 and 100000, got %d", cp.Base)
		}
	}
	if err := validateInterruption(cfg); err != nil {
		return err
	}
	if err := validateSecrets(cfg); err != nil {
		return err
	}
	if err := validateARN(cfg); err != nil {
		return err
	}
	if cfg.NetworkConfiguration != nil {
		if err := validateNetwork(cfg); err != nil {
			return err
		}
	}
	if len(cfg.CloudwatchLogsOptions) > 0 && !logs {
		return errorf("cloudwatchLogsOptions", "needs configureCloudwatchLogs: set configureCloudwatchLogs (or streamOutput) to true, or remove the options")
	}
	for _, k := range sortedKeys(cfg.Labels) {
		if k == "" {
			return errorf("labels", "a label key is empty")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errorf("labels."+k, "keys starting with \"aws:\" are reserved by AWS")
		}
	}
	if t := cfg.TaskStartTimeoutSeconds; t != nil && *t <= 0 {
		return errorf("taskStartTimeoutSeconds", "must be a positive number of seconds, got %d", *t)
	}
	if h := cfg.HeartbeatTimeoutSeconds; h != nil && (*h < minHeartbeatTimeoutSeconds || *h > maxHeartbeatTimeoutSeconds) {
		return errorf("heartbeatTimeoutSeconds", "must be between %d and %d seconds, got %d", minHeartbeatTimeoutSeconds, maxHeartbeatTimeoutSeconds, *h)
	}
	if p := cfg.PollIntervalSeconds; p != nil && (*p <= 0 || math.IsInf(*p, 0) || math.IsNaN(*p)) {
		return errorf("pollIntervalSeconds", "must be a positive number of seconds, got %v", *p)
	}
	if cfg.RoleArn != "" && !strings.HasPrefix(cfg.RoleArn, "arn:") {
		return errorf("roleArn", "must be an IAM role ARN (arn:aws:iam::<account>:role/<name>), got %q", cfg.RoleArn)
	}
	if err := validatePatch(cfg.TaskCustomizations); err != nil {
		return err
	}
	return checkReserved(cfg) // count, clientToken, startedBy, cluster, owner tags
}

// validateARN refuses a taskRunRequest.taskDefinition that contradicts
// taskDefinitionArn.
func validateARN(cfg *Config) error {
	base, ok := cfg.TaskRunRequest["taskDefinition"].(string)
	if ok && base != "" && cfg.TaskDefinitionArn != "" && base != cfg.TaskDefinitionArn {
		return errorf("taskRunRequest.taskDefinition", "differs from taskDefinitionArn %q: set only one", cfg.TaskDefinitionArn)
	}
	return nil
}

// validateNetwork checks a custom network configuration.
func validateNetwork(cfg *Config) error {
	n := cfg.NetworkConfiguration
	if cfg.VpcID == "" {
		return errorf("networkConfiguration", "needs vpcId: set vpcId to the VPC of the subnets")
	}
	if len(n.Subnets) == 0 {
		return errorf("networkConfiguration.subnets", "must list at least one subnet")
	}
	for i, s := range n.Subnets {
		if s == "" {
			return errorf(indexPath("networkConfiguration.subnets", i), "is empty")
		}
	}
	for i, s := range n.SecurityGroups {
		if s == "" {
			return errorf(indexPath("networkConfiguration.securityGroups", i), "is empty")
		}
	}
	if values := enumValues(reflect.TypeFor[types.AssignPublicIp]()); n.AssignPublicIp != "" && !slices.Contains(values, n.AssignPublicIp) {
		return enumError("networkConfiguration.assignPublicIp", n.AssignPublicIp, values)
	}
	return nil
}

// validatePatch checks that every operation is a well-formed RFC 6902
// operation.
func validatePatch(ops []PatchOperation) error {
	for i, op := range ops {
		p := indexPath("taskCustomizations", i)
		switch op.Op {
		case "add", "replace", "test":
			if len(op.Value) == 0 {
				return errorf(p+".value", "is required by the %q operation", op.Op)
			}
		case "remove":
		case "move", "copy":
			if err := checkPointer(p+".from", op.From); err != nil {
				return err
			}
		case "":
			return errorf(p+".op", "is required: add, remove, replace, move, copy or test")
		default:
			return errorf(p+".op", "must be add, remove, replace, move, copy or test, got %q", op.Op)
		}
		if err := checkPointer(p+".path", op.Path); err != nil {
			return err
		}
	}
	return nil
}

// checkPointer checks an RFC 6901 JSON Pointer.
func checkPointer(field, ptr string) error {
	if ptr != "" && !strings.HasPrefix(ptr, "/") {
		return errorf(field, "must be a JSON Pointer starting with \"/\", got %q", ptr)
	}
	for i := 0; i < len(ptr); i++ {
		if ptr[i] == '~' && (i+1 == len(ptr) || (ptr[i+1] != '0' && ptr[i+1] != '1')) {
			return errorf(field, "has an invalid escape %q: use ~0 for ~ and ~1 for /", ptr[i:min(i+2, len(ptr))])
		}
	}
	return nil
}

// describeList formats names for messages.
func describeList(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return fmt.Sprintf("%q", names)
}
