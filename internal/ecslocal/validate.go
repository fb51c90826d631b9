package ecslocal

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var (
	familyPattern        = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)
	containerNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,255}$`)
	tagPattern           = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)
)

// Tag limits of ECS resources.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// validateTaskDefinition checks a RegisterTaskDefinition request as ECS
// does and returns the first problem as ECS's error.
func validateTaskDefinition(in *ecs.RegisterTaskDefinitionInput) error {
	family := str(in.Family)
	if !familyPattern.MatchString(family) {
		return clientException("Family %q is invalid: it must be 1 to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens.", family)
	}
	if len(in.ContainerDefinitions) == 0 {
		return clientException("Task definition %q has no containerDefinitions: at least one container is required.", family)
	}
	if err := validateTags(in.Tags); err != nil {
		return err
	}
	fargate := slices.Contains(in.RequiresCompatibilities, types.CompatibilityFargate)
	if fargate {
		if err := validateFargate(in.NetworkMode, in.Cpu, in.Memory); err != nil {
			return err
		}
	}
	seen := map[string]bool{}
	essential := false
	for i, c := range in.ContainerDefinitions {
		name := str(c.Name)
		if name == "" {
			return clientException("Container.name should not be null or empty (containerDefinitions[%d]).", i)
		}
		if !containerNamePattern.MatchString(name) {
			return clientException("Container name %q is invalid: up to 255 letters (uppercase and lowercase), numbers, underscores, and hyphens are allowed.", name)
		}
		if seen[name] {
			return clientException("Duplicate container name %q: container names must be unique within a task definition.", name)
		}
		seen[name] = true
		if str(c.Image) == "" {
			return clientException("Container.image should not be null or empty (container %q).", name)
		}
		if in.Memory == nil && c.Memory == nil && c.MemoryReservation == nil && !fargate {
			return clientException("Invalid setting for container '%s'. At least one of 'memory' or 'memoryReservation' must be specified.", name)
		}
		if c.Memory != nil && c.MemoryReservation != nil && *c.MemoryReservation > *c.Memory {
			return clientException("Invalid setting for container '%s': memoryReservation (%d) must not be greater than memory (%d).", name, *c.MemoryReservation, *c.Memory)
		}
		if c.Essential == nil || *c.Essential {
			essential = true
		}
		if lc := c.LogConfiguration; lc != nil && lc.LogDriver == types.LogDriverAwslogs {
			if lc.Options["awslogs-group"] == "" {
				return clientException("Invalid setting for container '%s': the awslogs log driver needs the option 'awslogs-group'.", name)
			}
		}
	}
	if !essential {
		return clientException("Task definition %q has no essential container: at least one container must be essential.", family)
	}
	if err := validateContainerSecrets(in); err != nil {
		return err
	}
	return validateContainerOrder(in.ContainerDefinitions)
}

// validateFargate checks what FARGATE requires of a task: awsvpc networking
// and a supported task-level cpu/memory combination.
func validateFargate(mode types.NetworkMode, cpu, memory *string) error {
	if mode != types.NetworkModeAwsvpc {
		return clientException("Fargate only supports network mode 'awsvpc' (networkMode is %q).", string(mode))
	}
	if cpu == nil {
		return clientException("Fargate requires that 'cpu' be defined at the task level.")
	}
	if memory == nil {
		return clientException("Fargate requires that 'memory' be defined at the task level.")
	}
	return validateFargateSize(*cpu, *memory)
}

// validateFargateSize checks a task-level cpu/memory pair against the
// combinations Fargate supports.
func validateFargateSize(cpuText, memoryText string) error {
	cpu, err := parseCPU(cpuText)
	if err != nil {
		return clientException("Invalid 'cpu' setting for task: %v", err)
	}
	memory, err := parseMemory(memoryText)
	if err != nil {
		return clientException("Invalid 'memory' setting for task: %v", err)
	}
	if !fargateSizeOK(cpu, memory) {
		return clientException("No Fargate configuration exists for given values: %d CPU, %d memory. %s", cpu, memory, fargateSizesHelp(cpu))
	}
	return nil
}

// fargateSize is one row of Fargate's supported task sizes: the memory
// values, in MiB, that go with a cpu value, in CPU units.
type fargateSize struct {
	cpu                  int
	minMemory, maxMemory int
	step                 int
	extra                []int // values outside the range
}

var fargateSizes = []fargateSize{
	{cpu: 256, minMemory: 512, maxMemory: 512, step: 1024, extra: []int{1024, 2048}},
	{cpu: 512, minMemory: 1024, maxMemory: 4096, step: 1024},
	{cpu: 1024, minMemory: 2048, maxMemory: 8192, step: 1024},
	{cpu: 2048, minMemory: 4096, maxMemory: 16384, step: 1024},
	{cpu: 4096, minMemory: 8192, maxMemory: 30720, step: 1024},
	{cpu: 8192, minMemory: 16384, maxMemory: 61440, step: 4096},
	{cpu: 16384, minMemory: 32768, maxMemory: 122880, step: 8192},
}

func fargateSizeOK(cpu, memory int) bool {
	for _, row := range fargateSizes {
		if row.cpu != cpu {
			continue
		}
		if slices.Contains(row.extra, memory) {
			return true
		}
		return memory >= row.minMemory && memory <= row.maxMemory && (memory-row.minMemory)%row.step == 0
	}
	return false
}

// fargateSizesHelp says which memory values go with cpu, or which cpu
// values exist.
func fargateSizesHelp(cpu int) string {
	var cpus []string
	for _, row := range fargateSizes {
		cpus = append(cpus, strconv.Itoa(row.cpu))
		if row.cpu == cpu {
			if len(row.extra) > 0 {
				return fmt.Sprintf("With %d CPU units, memory must be one of 512, 1024 or 2048 MiB.", cpu)
			}
			return fmt.Sprintf("With %d CPU units, memory must be %d to %d MiB in steps of %d.", cpu, row.minMemory, row.maxMemory, row.step)
		}
	}
	return "Fargate cpu must be one of " + strings.Join(cpus, ", ") + " CPU units."
}

// parseCPU parses a task cpu value: CPU units ("1024") or vCPUs ("1 vCPU",
// "0.25 vcpu").
func parseCPU(s string) (int, error) {
	return parseUnits(s, []string{"vcpu"}, "CPU units, e.g. \"1024\" or \"1 vCPU\"")
}

// parseMemory parses a task memory value: MiB ("2048") or GB ("2 GB").
func parseMemory(s string) (int, error) {
	return parseUnits(s, []string{"gb"}, "MiB, e.g. \"2048\" or \"2 GB\"")
}

func parseUnits(s string, suffixes []string, want string) (int, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	for _, suf := range suffixes {
		if num, ok := strings.CutSuffix(t, suf); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
			if err != nil || f <= 0 {
				return 0, fmt.Errorf("%q is not a number of %s", s, want)
			}
			return int(f * 1024), nil
		}
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%q is not a number of %s", s, want)
	}
	return n, nil
}

// validateTags checks tags against ECS's limits.
func validateTags(tags []types.Tag) error {
	if len(tags) > maxTags {
		return invalidParameter("Too many tags: %d given, a resource can have at most %d.", len(tags), maxTags)
	}
	for _, t := range tags {
		k, v := str(t.Key), str(t.Value)
		switch {
		case k == "":
			return invalidParameter("Tag keys must not be empty.")
		case utf8.RuneCountInString(k) > maxTagKeyLen:
			return invalidParameter("Tag key %q is longer than %d characters.", k, maxTagKeyLen)
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return invalidParameter("Tag value of key %q is longer than %d characters.", k, maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return invalidParameter("Tag key %q uses the reserved prefix 'aws:'; keys starting with aws: are for AWS use only.", k)
		case !tagPattern.MatchString(k) || !tagPattern.MatchString(v):
			return invalidParameter("Tag %q=%q has characters ECS does not allow: use letters, numbers, spaces and _ . : / = + - @.", k, v)
		}
	}
	return nil
}
