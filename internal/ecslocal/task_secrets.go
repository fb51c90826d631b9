package ecslocal

import (
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
)

// reasonSecretsPrefix starts the stoppedReason of a task whose container
// secrets could not be resolved, as Fargate words it.
const reasonSecretsPrefix = "ResourceInitializationError: unable to pull secrets or registry auth: execution resource retrieval failed: "

// resolveSecrets puts each container's secrets into its environment before
// anything is pulled or started, as the ECS agent does: the variable
// named by a secret's name gets the value its valueFrom names in the
// server's Secrets Manager or SSM Parameter Store (see secrets.Store.Resolve),
// replacing a variable of that name from environment or the overrides.
// A secret that cannot be resolved is a startError whose reason names its
// valueFrom, never a value. It runs in the task's runner before the
// runtime sees t.specs, so it may still change them; values go only into
// the specs' env, which nothing logs or reports.
func (s *Server) resolveSecrets(t *task) error {
	type target struct {
		spec int
		name string
	}
	var refs []string
	var targets []target
	s.mu.Lock()
	if d := s.taskDefLocked(str(t.t.TaskDefinitionArn)); d != nil {
		for _, c := range d.td.ContainerDefinitions {
			i := slices.IndexFunc(t.specs, func(sp containerSpec) bool { return sp.name == str(c.Name) })
			for _, sec := range c.Secrets {
				if i >= 0 {
					refs = append(refs, str(sec.ValueFrom))
					targets = append(targets, target{spec: i, name: str(sec.Name)})
				}
			}
		}
	}
	s.mu.Unlock()
	if len(refs) == 0 {
		return nil
	}
	values, err := s.secrets.Resolve(refs)
	if err != nil {
		return startError{container: -1, reason: reasonSecretsPrefix + err.Error()}
	}
	for k, tg := range targets {
		sp := &t.specs[tg.spec]
		sp.env = setEnv(sp.env, tg.name, values[k])
	}
	return nil
}

// setEnv returns a copy of env (KEY=VALUE) with name set to value.
func setEnv(env []string, name, value string) []string {
	out := slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	return append(out, name+"="+value)
}

// validateContainerSecrets checks the containers' secrets as
// RegisterTaskDefinition does: each with a name and a valueFrom (a
// non-ARN valueFrom is an SSM parameter name), and an executionRoleArn on
// the definition, which ECS needs to fetch them.
func validateContainerSecrets(in *ecs.RegisterTaskDefinitionInput) error {
	hasSecrets := false
	for _, c := range in.ContainerDefinitions {
		for _, sec := range c.Secrets {
			name, from := str(sec.Name), str(sec.ValueFrom)
			switch {
			case name == "":
				return clientException("Container.secrets.name should not be null or empty (container '%s').", str(c.Name))
			case from == "":
				return clientException("Container.secrets.valueFrom should not be null or empty (container '%s', secret '%s').", str(c.Name), name)
			case !strings.HasPrefix(from, "arn:") && !validSSMName(from):
				return clientException("The Systems Manager parameter name specified for secret %s is invalid. The parameter name can be up to 2048 characters and include the following letters and symbols: a-zA-Z0-9_.-/ (a Secrets Manager secret takes its full ARN).", name)
			}
			hasSecrets = true
		}
	}
	if hasSecrets && str(in.ExecutionRoleArn) == "" {
		return clientException("When you are specifying container secrets, you must also specify a value for 'executionRoleArn'.")
	}
	return nil
}

// validSSMName reports whether a valueFrom can be an SSM parameter name.
func validSSMName(name string) bool {
	if len(name) > 2048 {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("_.-/", r):
		default:
			return false
		}
	}
	return true
}
