package job_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// compileSchema compiles job.Schema() (which checks it against the draft
// 2020-12 meta-schema).
func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(job.Schema()))
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	require.NoError(t, c.AddResource("job.schema.json", doc))
	sch, err := c.Compile("job.schema.json")
	require.NoError(t, err)
	return sch
}

// validate validates a JSON document against the schema.
func validate(t *testing.T, sch *jsonschema.Schema, doc string) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(doc))
	require.NoError(t, err, "not JSON: %s", doc)
	return sch.Validate(v)
}

func TestSchemaIsDraft2020_12(t *testing.T) {
	var s map[string]any
	require.NoError(t, json.Unmarshal(job.Schema(), &s))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
	assert.Equal(t, false, s["additionalProperties"])
	compileSchema(t)

	// Schema returns a copy.
	b := job.Schema()
	b[0] = 'x'
	assert.Equal(t, byte('{'), job.Schema()[0])
}

// validJobs cover every field of the job's own types (see
// TestValidJobsCoverEveryField); each is prepared without defaults.
var validJobs = []string{
	`{"image":"busybox"}`,
	`{"$schema":"./job.schema.json","image":"busybox","command":["sh","-c","echo hi"],"env":{"A":"1","B":null,"PORT":8080,"DEBUG":true},
	  "cpu":512,"memory":1024,"cluster":"c1","family":"etl","launchType":"FARGATE_SPOT","containerName":"main",
	  "taskRoleArn":"arn:aws:iam::123456789012:role/task","executionRoleArn":"arn:aws:iam::123456789012:role/exec",
	  "vpcId":"vpc-1","networkConfiguration":{"subnets":["subnet-1","subnet-2"],"securityGroups":["sg-1"],"assignPublicIp":"DISABLED"},
	  "configureCloudwatchLogs":true,"cloudwatchLogsOptions":{"awslogs-group":"g","mode":"non-blocking","max-buffer-size":25},
	  "cloudwatchLogsPrefix":"etl","streamOutput":true,"labels":{"team":"data","run":7,"gone":null,"temporal-ecs:x":null},
	  "taskStartTimeoutSeconds":600,"pollIntervalSeconds":2.5,"autoDeregisterTaskDefinition":true,"matchLatestRevisionInFamily":true,
	  "region":"eu-west-1","roleArn":"arn:aws:iam::123456789012:role/job","allowNonZeroExit":true,
	  "retryOnInterruption":10,"interruptionFallback":{"launchType":"FARGATE"}}`,
	`{"image":"x","command":"python -c 'print(1)'","launchType":null,"capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":3,"base":1},{"capacityProvider":"FARGATE","weight":1000,"base":100000}],
	  "retryOnInterruption":1,"interruptionFallback":{"capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1,"base":0}]}}`,
	`{"image":"x","launchType":"EC2","cpu":128,"memory":256,"retryOnInterruption":0,"heartbeatTimeoutSeconds":30}`,
	`{"image":"x","executionRoleArn":"arn:aws:iam::1:role/exec","secrets":{"API_KEY":"arn:aws:secretsmanager:us-east-1:1:secret:api-AbCdEf:key::","DB":"/prod/db/password"}}`,
	`{"image":"x","launchType":"EXTERNAL","interruptionFallback":null,"networkConfiguration":null,"env":null,"command":null}`,
	// taskCustomizations: every operation, and as a string holding them.
	`{"image":"x","taskCustomizations":[{"op":"add","path":"/group","value":"g"},{"op":"test","path":"/group","value":"g"},
	  {"op":"copy","from":"/group","path":"/referenceId"},{"op":"move","from":"/referenceId","path":"/startedBy~1x"},
	  {"op":"replace","path":"/group","value":null},{"op":"remove","path":"/group"}]}`,
	`{"image":"x","taskCustomizations":"[{\"op\":\"add\",\"path\":\"/group\",\"value\":\"g\"}]"}`,
	// The base task definition, with numbers for task-level cpu and memory.
	`{"launchType":"FARGATE","taskDefinition":{"family":"base","cpu":1024,"memory":"2 GB","networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],
	  "runtimePlatform":{"cpuArchitecture":"ARM64","operatingSystemFamily":"LINUX"},"ephemeralStorage":{"sizeInGiB":30},
	  "volumes":[{"name":"scratch"}],"tags":[{"key":"team","value":"data"}],"executionRoleArn":"arn:aws:iam::123456789012:role/exec",
	  "containerDefinitions":[
	    {"name":"main","image":"busybox","essential":true,"portMappings":[{"containerPort":8080,"protocol":"tcp"}],
	     "secrets":[{"name":"TOKEN","valueFrom":"arn:aws:ssm:eu-west-1:123456789012:parameter/t"}],"environment":[{"name":"X","value":"1"}],
	     "mountPoints":[{"sourceVolume":"scratch","containerPath":"/scratch"}],"ulimits":[{"name":"nofile","softLimit":1024,"hardLimit":4096}],
	     "healthCheck":{"command":["CMD","true"],"interval":30},"dockerLabels":{"a":"b"},"linuxParameters":{"initProcessEnabled":true},
	     "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"g"}}},
	    {"name":"sidecar","image":"envoy","essential":false,"dependsOn":[{"containerName":"main","condition":"START"}]}]}}`,
	// The base run request, with its conveniences (tags and environment
	// as objects, a command as a string, override cpu and memory as numbers).
	`{"image":"x","taskRunRequest":{"cluster":"c2","count":1,"group":"g","platformVersion":"LATEST","propagateTags":"TASK_DEFINITION",
	  "enableExecuteCommand":true,"launchType":"FARGATE_SPOT","tags":{"owner":"me","gone":null},
	  "overrides":{"cpu":1024,"memory":"2048","containerOverrides":[{"name":"main","command":"sh -c 'echo a'","environment":{"LEVEL":"debug","GONE":null}}]},
	  "networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-9"],"assignPublicIp":"ENABLED"}}}}`,
	`{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:123456789012:task-definition/etl:3","taskRunRequest":{"taskDefinition":"arn:aws:ecs:eu-west-1:123456789012:task-definition/etl:3",
	  "tags":[{"key":"k","value":"v"}],"overrides":{"containerOverrides":[{"name":"main","command":["a"],"environment":[{"name":"A","value":"1"}]}]}}}`,
}

func TestSchemaAcceptsValidJobs(t *testing.T) {
	sch := compileSchema(t)
	for _, doc := range validJobs {
		_, err := job.Prepare([]byte(doc), opts())
		require.NoError(t, err, "the example must be a valid job: %s", doc)
		assert.NoError(t, validate(t, sch, doc), doc)
	}
}

// TestValidJobsCoverEveryField fails when a field of Config or of the types
// it holds appears in no valid example: add one to validJobs.
func TestValidJobsCoverEveryField(t *testing.T) {
	seen := map[string]bool{}
	for _, doc := range validJobs {
		var v any
		require.NoError(t, json.Unmarshal([]byte(doc), &v))
		keyPaths(v, "", seen)
	}
	for _, p := range fieldPaths(reflect.TypeFor[job.Config](), "") {
		assert.True(t, seen[p], "no valid example sets %s: add one to validJobs", p)
	}
}

// keyPaths records the dotted key paths of a decoded document (array
// indexes left out), not below the base bodies and the maps.
func keyPaths(v any, prefix string, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			p := strings.TrimPrefix(prefix+"."+k, ".")
			seen[p] = true
			if p != "taskDefinition" && p != "taskRunRequest" {
				keyPaths(x, p, seen)
			}
		}
	case []any:
		for _, x := range v {
			keyPaths(x, prefix, seen)
		}
	}
}

// fieldPaths lists the JSON paths of the fields of t, a type of package job.
func fieldPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != reflect.TypeFor[job.Config]().PkgPath() || strings.HasPrefix(t.Name(), "Nullable[") {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		p := strings.TrimPrefix(prefix+"."+name, ".")
		out = append(out, p)
		out = append(out, fieldPaths(f.Type, p)...)
	}
	return out
}

// TestSchemaAcceptsTheREADMEJobs checks the JSON jobs of the README and
// docs/job-configuration.md (```json blocks and `--input '{...}'`
// arguments) that the worker of `make demo`
// (its job defaults) accepts, and the demo's defaults file.
func TestSchemaAcceptsTheREADMEJobs(t *testing.T) {
	sch := compileSchema(t)
	defaults, err := os.ReadFile("../../scripts/demo-job-defaults.json")
	require.NoError(t, err)
	require.NoError(t, validate(t, sch, string(defaults)), "scripts/demo-job-defaults.json")
	readme, err := os.ReadFile("../../README.md")
	require.NoError(t, err)
	reference, err := os.ReadFile("../../docs/job-configuration.md")
	require.NoError(t, err)
	readme = append(append(readme, '\n'), reference...)

	var docs []string
	for _, m := range regexp.MustCompile("(?ms)^```json\n(.*?)^```").FindAllStringSubmatch(string(readme), -1) {
		docs = append(docs, m[1])
	}
	for _, m := range regexp.MustCompile(`--input '(\{[^']*\})'`).FindAllStringSubmatch(string(readme), -1) {
		docs = append(docs, m[1])
	}
	jobs := 0
	for _, doc := range docs {
		if !json.Valid([]byte(doc)) || !strings.HasPrefix(strings.TrimSpace(doc), "{") {
			continue
		}
		if _, err := job.Prepare([]byte(doc), job.PrepareOptions{Defaults: defaults, Region: testRegion}); err != nil {
			continue // not a job (a result, a fragment)
		}
		jobs++
		assert.NoError(t, validate(t, sch, doc), "README job %s", doc)
	}
	t.Logf("%d README jobs", jobs)
	assert.GreaterOrEqual(t, jobs, 2, "the README's jobs were not found")
}

// TestSchemaRefusesWhatPrepareRefuses: unknown fields, JSON types, enums
// and the bounds of single fields, each refused by both.
func TestSchemaRefusesWhatPrepareRefuses(t *testing.T) {
	const c = `"containerDefinitions":[{"name":"main","image":"x"}]`
	tests := []struct{ name, job, field string }{
		// Unknown fields, at every depth.
		{"unknown top-level field", `{"imgae":"busybox"}`, "imgae"},
		{"wrong case", `{"Image":"busybox"}`, "Image"},
		{"unknown in networkConfiguration", `{"image":"x","vpcId":"v","networkConfiguration":{"subnet":["s"]}}`, "networkConfiguration.subnet"},
		{"unknown in capacityProviderStrategy", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"A","wieght":1}]}`, "capacityProviderStrategy[0].wieght"},
		{"unknown in interruptionFallback", `{"image":"x","retryOnInterruption":1,"interruptionFallback":{"launch":"EC2"}}`, "interruptionFallback.launch"},
		{"unknown in a patch operation", `{"image":"x","taskCustomizations":[{"op":"add","path":"/a","vaule":1}]}`, "taskCustomizations[0].vaule"},
		{"unknown in taskDefinition", `{"image":"x","taskDefinition":{"famly":"f"}}`, "taskDefinition.famly"},
		{"SDK casing in taskDefinition", `{"image":"x","taskDefinition":{"Family":"f"}}`, "taskDefinition.Family"},
		{"deep in taskDefinition", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","esential":true}]}}`, "taskDefinition.containerDefinitions[0].esential"},
		{"unknown in taskRunRequest", `{"image":"x","taskRunRequest":{"overrides":{"containerOverride":[]}}}`, "taskRunRequest.overrides.containerOverride"},
		{"deep in taskRunRequest", `{"image":"x","taskRunRequest":{"overrides":{"containerOverrides":[{"nam":"main"}]}}}`, "taskRunRequest.overrides.containerOverrides[0].nam"},
		// JSON types.
		{"string expected", `{"image":1}`, "image"},
		{"integer expected", `{"image":"x","cpu":"a lot"}`, "cpu"},
		{"integer, not a fraction", `{"image":"x","memory":1.5}`, "memory"},
		{"boolean expected", `{"image":"x","streamOutput":"yes"}`, "streamOutput"},
		{"number expected", `{"image":"x","pollIntervalSeconds":"5"}`, "pollIntervalSeconds"},
		{"object expected", `{"image":"x","env":["A=1"]}`, "env"},
		{"env value not a scalar", `{"image":"x","env":{"A":["1"]}}`, "env.A"},
		{"label value not a scalar", `{"image":"x","labels":{"a":{}}}`, "labels.a"},
		{"command of numbers", `{"image":"x","command":[1,2]}`, "command"},
		{"command an object", `{"image":"x","command":{"sh":"x"}}`, "command"},
		{"launchType not a string", `{"image":"x","launchType":3}`, "launchType"},
		{"taskDefinition an array", `{"image":"x","taskDefinition":[]}`, "taskDefinition"},
		{"taskCustomizations an object", `{"image":"x","taskCustomizations":{"op":"add"}}`, "taskCustomizations"},
		{"subnets a string", `{"image":"x","vpcId":"v","networkConfiguration":{"subnets":"s"}}`, "networkConfiguration.subnets"},
		{"int32 out of range in taskDefinition", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","memory":99999999999}]}}`, "taskDefinition.containerDefinitions[0].memory"},
		{"task-level cpu a fraction", `{"taskDefinition":{"cpu":0.5,` + c + `}}`, "taskDefinition.cpu"},
		{"tags neither array nor object", `{"image":"x","taskRunRequest":{"tags":"a"}}`, "taskRunRequest.tags"},
		{"tag value a number", `{"image":"x","taskRunRequest":{"tags":{"a":1}}}`, "taskRunRequest.tags[0].value"},
		{"override environment value a number", `{"image":"x","taskRunRequest":{"overrides":{"containerOverrides":[{"environment":{"A":1}}]}}}`, "taskRunRequest.overrides.containerOverrides[0].environment[0].value"},
		{"$schema not a string", `{"$schema":1,"image":"x"}`, "$schema"},
		// Enums.
		{"bad launchType", `{"image":"x","launchType":"LAMBDA"}`, "launchType"},
		{"lower-case launchType", `{"image":"x","launchType":"fargate"}`, "launchType"},
		{"empty launchType", `{"image":"x","launchType":""}`, "launchType"},
		{"bad launchType in taskRunRequest", `{"image":"x","taskRunRequest":{"launchType":"K8S"}}`, "taskRunRequest.launchType"},
		{"SDK launch type temporal-ecs does not run", `{"image":"x","taskRunRequest":{"launchType":"MANAGED_INSTANCES"}}`, "taskRunRequest.launchType"},
		{"bad fallback launchType", `{"image":"x","retryOnInterruption":1,"interruptionFallback":{"launchType":"SPOT"}}`, "interruptionFallback.launchType"},
		{"bad assignPublicIp", `{"image":"x","vpcId":"v","networkConfiguration":{"subnets":["a"],"assignPublicIp":"YES"}}`, "networkConfiguration.assignPublicIp"},
		{"bad patch op", `{"image":"x","taskCustomizations":[{"op":"merge","path":"/a","value":1}]}`, "taskCustomizations[0].op"},
		{"bad networkMode", `{"taskDefinition":{"networkMode":"awsvcp",` + c + `}}`, "taskDefinition.networkMode"},
		{"bad requiresCompatibilities", `{"taskDefinition":{"requiresCompatibilities":["LAMBDA"],` + c + `}}`, "taskDefinition.requiresCompatibilities[0]"},
		{"bad port protocol", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","portMappings":[{"containerPort":80,"protocol":"TCP"}]}]}}`, "taskDefinition.containerDefinitions[0].portMappings[0].protocol"},
		{"bad logDriver", `{"taskDefinition":{"containerDefinitions":[{"name":"main","image":"x","logConfiguration":{"logDriver":"loki"}}]}}`, "taskDefinition.containerDefinitions[0].logConfiguration.logDriver"},
		{"bad propagateTags", `{"image":"x","taskRunRequest":{"propagateTags":"ALL"}}`, "taskRunRequest.propagateTags"},
		// Bounds and formats of single fields.
		{"zero cpu", `{"image":"x","cpu":0}`, "cpu"},
		{"negative memory", `{"image":"x","memory":-1}`, "memory"},
		{"zero start timeout", `{"image":"x","taskStartTimeoutSeconds":0}`, "taskStartTimeoutSeconds"},
		{"zero poll interval", `{"image":"x","pollIntervalSeconds":0}`, "pollIntervalSeconds"},
		{"negative poll interval", `{"image":"x","pollIntervalSeconds":-0.5}`, "pollIntervalSeconds"},
		{"retryOnInterruption above 10", `{"image":"x","retryOnInterruption":11}`, "retryOnInterruption"},
		{"negative retryOnInterruption", `{"image":"x","retryOnInterruption":-1}`, "retryOnInterruption"},
		{"weight above 1000", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1001}]}`, "capacityProviderStrategy[0].weight"},
		{"negative base", `{"image":"x","capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1,"base":-1}]}`, "capacityProviderStrategy[0].base"},
		{"capacity provider without name", `{"image":"x","capacityProviderStrategy":[{"weight":1}]}`, "capacityProviderStrategy[0].capacityProvider"},
		{"fallback with both", `{"image":"x","retryOnInterruption":1,"interruptionFallback":{"launchType":"EC2","capacityProviderStrategy":[{"capacityProvider":"A"}]}}`, "interruptionFallback"},
		{"fallback with neither", `{"image":"x","retryOnInterruption":1,"interruptionFallback":{}}`, "interruptionFallback"},
		{"no subnets", `{"image":"x","vpcId":"v","networkConfiguration":{"subnets":[]}}`, "networkConfiguration.subnets"},
		{"empty subnet", `{"image":"x","vpcId":"v","networkConfiguration":{"subnets":["a",""]}}`, "networkConfiguration.subnets[1]"},
		{"empty security group", `{"image":"x","vpcId":"v","networkConfiguration":{"subnets":["a"],"securityGroups":[""]}}`, "networkConfiguration.securityGroups[0]"},
		{"empty env name", `{"image":"x","env":{"":"a"}}`, "env"},
		{"empty label key", `{"image":"x","labels":{"":"a"}}`, "labels"},
		{"aws: label", `{"image":"x","labels":{"AWS:team":"a"}}`, "labels.AWS:team"},
		{"aws: label, even null", `{"image":"x","labels":{"aws:team":null}}`, "labels.aws:team"},
		{"owner's tag prefix", `{"image":"x","labels":{"Temporal-ECS:workflow":"w"}}`, "labels.Temporal-ECS:workflow"},
		{"roleArn not an ARN", `{"image":"x","roleArn":"deployer"}`, "roleArn"},
		{"patch without op", `{"image":"x","taskCustomizations":[{"path":"/a","value":1}]}`, "taskCustomizations[0].op"},
		{"add without value", `{"image":"x","taskCustomizations":[{"op":"add","path":"/a"}]}`, "taskCustomizations[0].value"},
		{"test without value", `{"image":"x","taskCustomizations":[{"op":"test","path":"/a"}]}`, "taskCustomizations[0].value"},
		{"path not a pointer", `{"image":"x","taskCustomizations":[{"op":"remove","path":"overrides"}]}`, "taskCustomizations[0].path"},
		{"bad escape", `{"image":"x","taskCustomizations":[{"op":"remove","path":"/a~2b"}]}`, "taskCustomizations[0].path"},
		{"from not a pointer", `{"image":"x","taskCustomizations":[{"op":"move","path":"/a","from":"b"}]}`, "taskCustomizations[0].from"},
		{"more than one task", `{"image":"x","taskRunRequest":{"count":2}}`, "taskRunRequest.count"},
		{"clientToken", `{"image":"x","taskRunRequest":{"clientToken":"t"}}`, "taskRunRequest.clientToken"},
		{"startedBy", `{"image":"x","taskRunRequest":{"startedBy":"me"}}`, "taskRunRequest.startedBy"},
	}
	sch := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := prepareError(t, tt.job)
			assert.Equal(t, tt.field, e.Field, e.Message)
			assert.Error(t, validate(t, sch, tt.job), "the schema accepts what Prepare refuses (%s)", e)
		})
	}
}

// TestSchemaLeavesCrossFieldRulesToPrepare pins what the schema does not
// check, as the README says: rules across fields (the job merged onto the
// worker's defaults may satisfy them), the content of strings the parser
// splits or decodes, and integers written with a fraction.
func TestSchemaLeavesCrossFieldRulesToPrepare(t *testing.T) {
	tests := []struct{ name, job, field string }{
		{"no image", `{}`, "image"},
		{"networkConfiguration without vpcId", `{"image":"x","networkConfiguration":{"subnets":["subnet-1"]}}`, "networkConfiguration"},
		{"cloudwatchLogsOptions without configureCloudwatchLogs", `{"image":"x","cloudwatchLogsOptions":{"awslogs-group":"g"}}`, "cloudwatchLogsOptions"},
		{"logs without an execution role", `{"image":"x","streamOutput":true}`, "executionRoleArn"},
		{"interruptionFallback without retryOnInterruption", `{"image":"x","interruptionFallback":{"launchType":"FARGATE"}}`, "interruptionFallback"},
		{"containerName not in the definition", `{"image":"x","containerName":"app"}`, "containerName"},
		{"FARGATE with network mode bridge", `{"taskDefinition":{"networkMode":"bridge","containerDefinitions":[{"name":"main","image":"x"}]}}`, "taskDefinition.networkMode"},
		{"two different ARNs", `{"taskDefinitionArn":"arn:a","taskRunRequest":{"taskDefinition":"arn:b"}}`, "taskRunRequest.taskDefinition"},
		{"a patch of a reserved member", `{"image":"x","taskCustomizations":[{"op":"add","path":"/count","value":2}]}`, "taskCustomizations[0]"},
		{"an owner's tag in taskRunRequest", `{"image":"x","taskRunRequest":{"tags":{"temporal-ecs:x":"y"}}}`, "taskRunRequest.tags[0].key"},
		{"unbalanced quote in a command", `{"image":"x","command":"echo 'a"}`, "command"},
		{"taskCustomizations string of no array", `{"image":"x","taskCustomizations":"{}"}`, "taskCustomizations"},
		{"integer written with a fraction", `{"image":"x","taskStartTimeoutSeconds":300.0}`, "taskStartTimeoutSeconds"},
	}
	sch := compileSchema(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := prepareError(t, tt.job)
			assert.Equal(t, tt.field, e.Field, e.Message)
			assert.NoError(t, validate(t, sch, tt.job), "the schema checks this now: update this test and the README")
		})
	}
}

func TestPrepareIgnoresTheSchemaMember(t *testing.T) {
	p := mustPrepare(t, `{"$schema":"./job.schema.json","image":"busybox"}`, `{"$schema":"https://example.com/job.schema.json","cluster":"c"}`)
	assert.Equal(t, "busybox", p.Image)
	assert.Equal(t, "c", p.Cluster)
	assert.Empty(t, p.Warnings)
	mustPrepare(t, `{"$schema":null,"image":"busybox"}`)

	e := prepareError(t, `{"image":"x"}`, `{"$schema":true}`)
	assert.Equal(t, "$schema", e.Field)
	assert.Contains(t, e.Message, "in the worker's job defaults")
	var je *job.Error
	_, err := job.Prepare([]byte(`{"$schema":{},"image":"x"}`), opts())
	require.True(t, errors.As(err, &je))
	assert.Equal(t, "$schema", je.Field)
}
