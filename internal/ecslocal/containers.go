package ecslocal

import (
	"cmp"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// containerSpec is what to run for one container of a task: its
// definition with the RunTask overrides applied.
type containerSpec struct {
	name, image string
	entryPoint  []string // empty: the image's
	command     []string // empty: the image's (process runtime: none)
	env         []string // KEY=VALUE, the definition's with the overrides
	dir         string
	user        string
	essential   bool
	stopTimeout time.Duration // zero: the server's
	// startTimeout bounds the wait for dependsOn conditions; zero: no bound.
	startTimeout time.Duration
	dependsOn    []types.ContainerDependency
	healthCheck  *healthCheck // nil: none
	labels       map[string]string

	cpu, memory, memoryReservation *string // as the task's Container reports them
	// limits are the cgroup limits the Docker runtime applies.
	limits resourceLimits

	logDriver  types.LogDriver
	logOptions map[string]string
}

// args is what the process runtime executes: entryPoint + command.
func (sp *containerSpec) args() []string {
	return append(slices.Clone(sp.entryPoint), sp.command...)
}

// resourceLimits are a container's limits in Docker's terms.
type resourceLimits struct {
	// cpuShares is the container's cpu units (relative weight); 0: none.
	cpuShares int64
	// nanoCPUs caps the container at the task's cpu (1024 units = 1e9);
	// 0: no cap.
	nanoCPUs int64
	// memory is the hard limit in bytes: the container's memory, else the
	// task's; 0: none.
	memory int64
	// memoryReservation is the soft limit in bytes; 0: none.
	memoryReservation int64
}

const mib = 1 << 20

// containerSpecs applies overrides to a definition's containers; taskCPU
// and taskMemory are the task's (after overrides), nil when unset.
func (s *Server) containerSpecs(d *taskDef, overrides *types.TaskOverride, taskCPU, taskMemory *string) ([]containerSpec, error) {
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
	taskLimits := taskResourceLimits(taskCPU, taskMemory)
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
			entryPoint:        slices.Clone(c.EntryPoint),
			command:           slices.Clone(command),
			env:               envList(env),
			dir:               str(c.WorkingDirectory),
			user:              str(c.User),
			essential:         c.Essential == nil || *c.Essential,
			dependsOn:         slices.Clone(c.DependsOn),
			healthCheck:       newHealthCheck(c.HealthCheck),
			labels:            maps.Clone(c.DockerLabels),
			cpu:               ptr(strconv.Itoa(int(cpu))),
			memory:            intString(memory),
			memoryReservation: intString(reservation),
			limits:            taskLimits,
		}
		if cpu > 0 {
			sp.limits.cpuShares = int64(cpu)
		}
		if memory != nil && *memory > 0 {
			sp.limits.memory = int64(*memory) * mib
		}
		if reservation != nil && *reservation > 0 {
			sp.limits.memoryReservation = int64(*reservation) * mib
		}
		if c.StopTimeout != nil && *c.StopTimeout > 0 {
			sp.stopTimeout = time.Duration(*c.StopTimeout) * time.Second
		}
		if c.StartTimeout != nil && *c.StartTimeout > 0 {
			sp.startTimeout = time.Duration(*c.StartTimeout) * time.Second
		}
		if lc := c.LogConfiguration; lc != nil {
			sp.logDriver, sp.logOptions = lc.LogDriver, lc.Options
		}
		specs = append(specs, sp)
	}
	return specs, nil
}

// taskResourceLimits turns the task-level cpu and memory into the limits
// each container gets when it sets none of its own: Docker has no
// task-level cgroup here, so each container is capped at the whole task's
// size.
func taskResourceLimits(cpu, memory *string) resourceLimits {
	var l resourceLimits
	if cpu != nil {
		if units, err := parseCPU(*cpu); err == nil {
			l.nanoCPUs = int64(units) * 1e9 / 1024
		}
	}
	if memory != nil {
		if m, err := parseMemory(*memory); err == nil {
			l.memory = int64(m) * mib
		}
	}
	return l
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

// envList is a definition's variables as KEY=VALUE.
func envList(vars []types.KeyValuePair) []string {
	env := make([]string, 0, len(vars))
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
