package job

import (
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// definitionInput is what preparing a task definition needs besides the
// configuration.
type definitionInput struct {
	launch string // effective launch type; "" for none
	region string // region of the awslogs configuration
	logs   bool   // resolved configureCloudwatchLogs
}

// prepareDefinition builds the RegisterTaskDefinition body from the base
// definition and the job's fields (which win), following the Prefect ECS
// worker's rules. It returns the definition and the orchestrated container's
// name.
func prepareDefinition(cfg *Config, in definitionInput) (map[string]any, string, error) {
	def := copyMap(cfg.TaskDefinition)
	if def == nil {
		def = map[string]any{}
	}
	// Containers: empty ones dropped, the rest kept in order.
	var containers []any
	for _, c := range arrayAt(def, "containerDefinitions") {
		if m, ok := c.(map[string]any); ok && len(m) > 0 {
			containers = append(containers, m)
		}
	}

	name := cfg.ContainerName
	if name == "" {
		name = defaultContainerName(containers)
	}
	idx := containerIndex(containers, name)
	if idx < 0 {
		if name != DefaultContainerName {
			return nil, "", errorf("containerName", "container %q is not in the task definition (its containers: %s)", name, describeList(containerNames(containers)))
		}
		// The default name goes to the first unnamed container, else to a new one.
		for i, c := range containers {
			if _, named := c.(map[string]any)["name"]; !named {
				idx = i
				break
			}
		}
		if idx < 0 {
			containers = append(containers, map[string]any{})
			idx = len(containers) - 1
		}
		containers[idx].(map[string]any)["name"] = name
	}
	container := containers[idx].(map[string]any)
	def["containerDefinitions"] = containers

	if cfg.Image != "" {
		container["image"] = cfg.Image
	}
	if stringAt(container, "image") == "" {
		return nil, "", errorf("image", "no image for container %q: set image, or give a task definition whose container has one (there is no default image)", name)
	}
	if err := checkContainers(containers); err != nil {
		return nil, "", err
	}

	removeUnsetEnv(container, cfg.Env)
	mergeSecrets(container, cfg.Secrets)

	if in.logs {
		if err := configureAwslogs(container, cfg, in.region); err != nil {
			return nil, "", err
		}
	}

	family := cfg.Family
	if family == "" {
		family = stringAt(def, "family")
	}
	if family == "" {
		family = DefaultFamily
	}
	slug := slugFamily(family)
	if slug == "" {
		return nil, "", errorf("family", "%q has no character of [a-zA-Z0-9_-]", family)
	}
	def["family"] = slug

	if cfg.ExecutionRoleArn != "" {
		def["executionRoleArn"] = cfg.ExecutionRoleArn
	}
	if err := checkSecretsRole(def); err != nil {
		return nil, "", err
	}

	if err := applyResources(def, container, cfg, in.launch); err != nil {
		return nil, "", err
	}

	if err := checkEssential(containers, idx); err != nil {
		return nil, "", err
	}
	return def, name, nil
}

// defaultContainerName is Prefect's container lookup: "main" when a
// container has that name, else the first container's name, else "main".
func defaultContainerName(containers []any) string {
	if containerIndex(containers, DefaultContainerName) >= 0 {
		return DefaultContainerName
	}
	if len(containers) > 0 {
		if n, _ := containers[0].(map[string]any)["name"].(string); n != "" {
			return n
		}
	}
	return DefaultContainerName
}

// containerIndex returns the index of the container named name, or -1.
func containerIndex(containers []any, name string) int {
	for i, c := range containers {
		if m, ok := c.(map[string]any); ok && stringAt(m, "name") == name {
			return i
		}
	}
	return -1
}

func containerNames(containers []any) []string {
	var names []string
	for _, c := range containers {
		if m, ok := c.(map[string]any); ok {
			names = append(names, stringAt(m, "name"))
		}
	}
	return names
}

// checkContainers refuses, before ECS would, containers without a name or
// an image and duplicate names.
func checkContainers(containers []any) error {
	seen := map[string]bool{}
	for i, c := range containers {
		m := c.(map[string]any)
		p := indexPath("taskDefinition.containerDefinitions", i)
		n := stringAt(m, "name")
		switch {
		case n == "":
			return errorf(p+".name", "every container needs a name")
		case seen[n]:
			return errorf(p+".name", "two containers are named %q", n)
		case stringAt(m, "image") == "":
			return errorf(p+".image", "every container needs an image")
		}
		seen[n] = true
	}
	return nil
}

// checkEssential refuses a definition whose containers are all
// essential:false (a container without essential counts as essential). The
// error names the orchestrated container's flag (at idx): it can only be
// the base definition's, as a container the job adds is essential.
func checkEssential(containers []any, idx int) error {
	for _, c := range containers {
		if e, ok := c.(map[string]any)["essential"].(bool); !ok || e {
			return nil
		}
	}
	return errorf(indexPath("taskDefinition.containerDefinitions", idx)+".essential",
		"no container is essential: set essential to true (or leave it out) on at least one container, usually the orchestrated one")
}

// removeUnsetEnv removes from the container's environment the variables the
// job sets to null, and entries without a value.
func removeUnsetEnv(container map[string]any, env map[string]*string) {
	list := arrayAt(container, "environment")
	if list == nil {
		return
	}
	kept := make([]any, 0, len(list))
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok || m["value"] == nil {
			continue
		}
		if v, set := env[stringAt(m, "name")]; set && v == nil {
			continue
		}
		kept = append(kept, e)
	}
	container["environment"] = kept
}

// configureAwslogs sets the awslogs driver on the container: group
// temporal-ecs, the job's region, the stream prefix, group creation, then
// the job's options over those.
func configureAwslogs(container map[string]any, cfg *Config, region string) error {
	prefix := cfg.CloudwatchLogsPrefix
	if prefix == "" {
		prefix = DefaultLogStreamPrefix
	}
	opts := map[string]any{
		"awslogs-create-group":  "true",
		"awslogs-group":         DefaultLogGroup,
		"awslogs-stream-prefix": prefix,
	}
	if region != "" {
		opts["awslogs-region"] = region
	}
	for k, v := range cfg.CloudwatchLogsOptions {
		opts[k] = v
	}
	if stringAt(opts, "awslogs-region") == "" {
		return errorf("region", "the awslogs configuration needs a region: set region (or cloudwatchLogsOptions.awslogs-region), or run the worker with a region")
	}
	container["logConfiguration"] = map[string]any{"logDriver": "awslogs", "options": opts}
	return nil
}

// applyResources applies cpu, memory and the launch type's requirements:
// FARGATE (and FARGATE_SPOT) need task-level cpu and memory as strings, the
// FARGATE compatibility and the awsvpc network mode; EC2 needs
// container-level integers (Prefect also writes the job's values at task
// level there; temporal-ecs does not, so sidecars keep their share); other
// launch types get the job's values at task level when it gives them.
func applyResources(def, container map[string]any, cfg *Config, launch string) error {
	taskCPU, hasCPU, err := taskResource(def, "cpu", 1024, "vcpu")
	if err != nil {
		return err
	}
	taskMem, hasMem, err := taskResource(def, "memory", 1024, "gb")
	if err != nil {
		return err
	}
	if cfg.CPU != nil {
		taskCPU = int64(*cfg.CPU)
	}
	if cfg.Memory != nil {
		taskMem = int64(*cfg.Memory)
	}
	switch launch {
	case LaunchTypeFargate, LaunchTypeFargateSpot:
		if !hasCPU && cfg.CPU == nil {
			taskCPU = DefaultCPU
		}
		if !hasMem && cfg.Memory == nil {
			taskMem = DefaultMemory
		}
		def["cpu"] = strconv.FormatInt(taskCPU, 10)
		def["memory"] = strconv.FormatInt(taskMem, 10)
		compat := arrayAt(def, "requiresCompatibilities")
		if !slices.Contains(compat, any(LaunchTypeFargate)) {
			def["requiresCompatibilities"] = append(compat, LaunchTypeFargate)
		}
		mode := stringAt(def, "networkMode")
		if mode == "" {
			def["networkMode"] = "awsvpc"
		} else if mode != "awsvpc" {
			return errorf("taskDefinition.networkMode", "is %q, but launch type %s needs \"awsvpc\": use the awsvpc network mode or the EC2 launch type", mode, launch)
		}
		return nil
	case LaunchTypeEC2:
		cpu, ok := asInt(container["cpu"])
		switch {
		case cfg.CPU != nil:
			cpu = int64(*cfg.CPU)
		case !ok || cpu == 0:
			cpu = DefaultCPU
			if hasCPU {
				cpu = taskCPU
			}
		}
		container["cpu"] = cpu
		mem, ok := asInt(container["memory"])
		switch {
		case cfg.Memory != nil:
			mem = int64(*cfg.Memory)
		case ok && mem > 0:
		case hasMem:
			mem = taskMem
		case container["memoryReservation"] != nil:
			mem = 0 // the reservation is enough; a default hard limit could be below it
		default:
			mem = DefaultMemory
		}
		if mem > 0 {
			container["memory"] = mem
		}
		// Task-level values are optional on EC2: kept (as strings, the
		// job's when it gives them) only where the definition has them.
		setTaskResource(def, "cpu", taskCPU, hasCPU)
		setTaskResource(def, "memory", taskMem, hasMem)
		return nil
	}
	// EXTERNAL and no launch type: task-level values stay (as strings) when
	// the definition has them, and take the job's when it gives them.
	setTaskResource(def, "cpu", taskCPU, hasCPU || cfg.CPU != nil)
	setTaskResource(def, "memory", taskMem, hasMem || cfg.Memory != nil)
	return nil
}

func setTaskResource(def map[string]any, key string, v int64, set bool) {
	if set {
		def[key] = strconv.FormatInt(v, 10)
	}
}

// taskResource reads a task-level cpu or memory: an integer, or the text
// ECS also accepts ("1 vCPU", "2 GB"), which it stores as the integer.
func taskResource(def map[string]any, key string, unitScale float64, unit string) (int64, bool, error) {
	v, ok := def[key]
	if !ok || isEmpty(v) {
		return 0, false, nil
	}
	if n, ok := asInt(v); ok && n > 0 {
		return n, true, nil
	}
	text, _ := v.(string)
	s := strings.ToLower(strings.TrimSpace(text))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, true, nil
	}
	if num, ok := strings.CutSuffix(s, unit); ok {
		if f, err := strconv.ParseFloat(strings.TrimSpace(num), 64); err == nil && f > 0 {
			return int64(math.Round(f * unitScale)), true, nil
		}
	}
	example := `1024 or "1 vCPU"`
	if key == "memory" {
		example = `2048 or "2 GB"`
	}
	return 0, false, errorf("taskDefinition."+key, "must be a positive amount like %s, got %v", example, v)
}

var familyUnsafe = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// slugFamily makes a family name of [a-zA-Z0-9_-], at most 255 characters:
// runs of other characters become "-", and dashes at the ends are trimmed.
func slugFamily(s string) string {
	s = strings.Trim(familyUnsafe.ReplaceAllString(s, "-"), "-")
	if len(s) > 255 {
		s = strings.TrimRight(s[:255], "-")
	}
	return s
}
