package ecslocal

import (
	"cmp"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// containerSpec is what to run for one container of a task: its
// definition with the RunTask overrides applied.
type containerSpec struct {
	name, image string
	args        []string // entryPoint + command, executed directly
	env         []string // KEY=VALUE
	dir         string
	essential   bool
	stopTimeout time.Duration // zero: the server's

	cpu, memory, memoryReservation *string // as the task's Container reports them

	logDriver  types.LogDriver
	logOptions map[string]string
}

// containerSpecs applies overrides to a definition's containers.
func (s *Server) containerSpecs(d *taskDef, overrides *types.TaskOverride) ([]containerSpec, error) {
	byName := map[string]types.ContainerOverride{}
	if overrides != nil {
		for _, o := range overrides.ContainerOverrides {
			name := str(o.Name)
			if !slices.ContainsFunc(d.td.ContainerDefinitions, func(c types.ContainerDefinition) bool { return str(c.Name) == name }) {
				return nil, invalidParameter("Override for container named %q is not a container in the TaskDefinition %s.", name, *d.td.TaskDefinitionArn)
			}
			byName[name] = o
		}
	}
	specs := make([]containerSpec, 0, len(d.td.ContainerDefinitions))
	for _, c := range d.td.ContainerDefinitions {
		o, overridden := byName[str(c.Name)]
		command := c.Command
		env := c.Environment
		cpu, memory, reservation := c.Cpu, c.Memory, c.MemoryReservation
		if overridden {
			if o.Command != nil {
				command = o.Command
			}
			env = mergeEnvironment(env, o.Environment)
			if o.Cpu != nil {
				cpu = *o.Cpu
			}
			memory = cmp.Or(o.Memory, memory)
			reservation = cmp.Or(o.MemoryReservation, reservation)
		}
		sp := containerSpec{
			name:              str(c.Name),
			image:             str(c.Image),
			args:              append(slices.Clone(c.EntryPoint), command...),
			env:               processEnv(env),
			dir:               str(c.WorkingDirectory),
			essential:         c.Essential == nil || *c.Essential,
			cpu:               ptr(strconv.Itoa(int(cpu))),
			memory:            intString(memory),
			memoryReservation: intString(reservation),
		}
		if c.StopTimeout != nil && *c.StopTimeout > 0 {
			sp.stopTimeout = time.Duration(*c.StopTimeout) * time.Second
		}
		if lc := c.LogConfiguration; lc != nil {
			sp.logDriver, sp.logOptions = lc.LogDriver, lc.Options
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

// mergeEnvironment returns base with over's variables set, over winning.
func mergeEnvironment(base, over []types.KeyValuePair) []types.KeyValuePair {
	out := slices.Clone(base)
	for _, kv := range over {
		i := slices.IndexFunc(out, func(b types.KeyValuePair) bool { return str(b.Name) == str(kv.Name) })
		if i >= 0 {
			out[i] = kv
		} else {
			out = append(out, kv)
		}
	}
	return out
}

// processEnv is a container's process environment: PATH and HOME of the
// server (an image would bring its own), then the definition's variables.
func processEnv(vars []types.KeyValuePair) []string {
	env := []string{"PATH=" + cmp.Or(os.Getenv("PATH"), "/usr/local/bin:/usr/bin:/bin"), "HOME=" + cmp.Or(os.Getenv("HOME"), "/")}
	for _, kv := range vars {
		env = append(env, str(kv.Name)+"="+str(kv.Value))
	}
	return env
}

func intString(p *int32) *string {
	if p == nil {
		return nil
	}
	return ptr(strconv.Itoa(int(*p)))
}
