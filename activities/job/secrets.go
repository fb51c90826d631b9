package job

import (
	"strings"
)

// IAM actions the execution role needs to resolve container secrets.
const secretsPermissions = "secretsmanager:GetSecretValue (Secrets Manager), ssm:GetParameters (Parameter Store) and kms:Decrypt (customer-managed keys)"

// validateSecrets checks the job's secrets.
func validateSecrets(cfg *Config) error {
	for _, name := range sortedKeys(cfg.Secrets) {
		field := "secrets." + name
		switch v := cfg.Secrets[name]; {
		case name == "":
			return errorf("secrets", "a variable name is empty")
		case strings.TrimSpace(v) == "":
			return errorf(field, "needs a valueFrom: a Secrets Manager secret ARN (optionally :json-key:version-stage:version-id) or an SSM parameter name or ARN")
		case strings.ContainsAny(v, " \t\n"):
			return errorf(field, "valueFrom %q holds white space", v)
		}
	}
	if len(cfg.Secrets) > 0 && cfg.TaskDefinitionArn != "" {
		return errorf("secrets", "cannot be added to a task definition given by taskDefinitionArn: secrets belong to the task definition, and ECS cannot override them at run time")
	}
	return nil
}

// checkOverrideSecrets refuses secrets in a base run request's container
// overrides, which ECS cannot apply, with a clearer line than an unknown
// field's.
func checkOverrideSecrets(rr map[string]any) error {
	for i, c := range arrayAt(objectAt(rr, "overrides"), "containerOverrides") {
		if m, ok := c.(map[string]any); ok {
			if _, set := m["secrets"]; set {
				return errorf(indexPath("taskRunRequest.overrides.containerOverrides", i)+".secrets",
					"ECS cannot override secrets at run time: set them in the job's secrets field (or in the task definition)")
			}
		}
	}
	return nil
}

// mergeSecrets sets the job's secrets on the container, replacing the base
// definition's secrets of the same names, sorted by name.
func mergeSecrets(container map[string]any, secrets map[string]string) {
	if len(secrets) == 0 {
		return
	}
	var out []any
	for _, s := range arrayAt(container, "secrets") {
		if m, ok := s.(map[string]any); ok {
			if _, replaced := secrets[stringAt(m, "name")]; replaced {
				continue
			}
		}
		out = append(out, s)
	}
	for _, name := range sortedKeys(secrets) {
		out = append(out, map[string]any{"name": name, "valueFrom": secrets[name]})
	}
	container["secrets"] = out
}

// checkSecretsRole refuses a definition with container secrets and no
// execution role: ECS resolves secrets with it.
func checkSecretsRole(def map[string]any) error {
	if stringAt(def, "executionRoleArn") != "" {
		return nil
	}
	for _, c := range arrayAt(def, "containerDefinitions") {
		if m, ok := c.(map[string]any); ok && len(arrayAt(m, "secrets")) > 0 {
			return errorf("executionRoleArn", "container %q has secrets, which ECS resolves with the task's execution role: set executionRoleArn to a role allowed %s",
				stringAt(m, "name"), secretsPermissions)
		}
	}
	return nil
}
