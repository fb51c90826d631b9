package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The tests below compare the schema with the parser on many documents:
// the JSON objects written in the repository's Go tests, and mutations of
// rich valid jobs. Two properties must hold:
//
//   - what the parser refuses for its shape (parseJob: unknown fields, JSON
//     types, the SDK's enums), the schema refuses, except what a schema
//     cannot see (inexpressibleByTheSchema);
//   - what the schema refuses, Prepare refuses, except where the schema is
//     knowingly stricter (stricterThanTheParser).

func compiledSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(Schema()))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("job.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("job.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func schemaValidates(t *testing.T, sch *jsonschema.Schema, doc []byte) error {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatalf("not JSON: %v: %s", err, doc)
	}
	return sch.Validate(v)
}

// inexpressibleByTheSchema reports whether a shape error of the parser is
// one no JSON Schema can state: the content of a string the parser splits
// or decodes, or an integral number written with a fraction or an exponent
// (300.0, which JSON Schema's integer type includes).
func inexpressibleByTheSchema(doc []byte, err error) bool {
	var e *Error
	if !errors.As(err, &e) {
		return false
	}
	switch {
	case strings.Contains(e.Message, "cannot split the command like a shell"),
		strings.Contains(e.Message, "a string must hold the JSON array of JSON Patch operations"):
		return true
	case e.Message == "must be an integer" || e.Message == "is out of range":
		var v any
		if decodeJSON(doc, &v) != nil {
			return false
		}
		n, ok := valueAt(v, e.Field).(json.Number)
		return ok && strings.ContainsAny(string(n), ".eE") && func() bool { _, integral := asInt(n); return integral }()
	}
	return false
}

var pathTokenRE = regexp.MustCompile(`([^.\[\]]+)|\[(\d+)\]`)

// valueAt returns the value at an *Error's field path ("a.b[0].c"), or nil.
func valueAt(v any, path string) any {
	for _, m := range pathTokenRE.FindAllStringSubmatch(path, -1) {
		switch cur := v.(type) {
		case map[string]any:
			v = cur[m[1]]
		case []any:
			i, err := strconv.Atoi(m[2])
			if err != nil || i >= len(cur) {
				return nil
			}
			v = cur[i]
		default:
			return nil
		}
	}
	return v
}

// TestSchemaAgreesWithTheParserOnTheTestsJobs runs both checks on every
// JSON object written as a string literal in the Go tests of this
// repository's packages that build jobs.
func TestSchemaAgreesWithTheParserOnTheTestsJobs(t *testing.T) {
	sch := compiledSchema(t)
	var files []string
	for _, dir := range []string{".", "..", "../../workflows", "../../starter", "../../e2e"} {
		m, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.HasPrefix(filepath.Base(f), "schema") || dir != "." {
				files = append(files, f)
			}
		}
	}
	docs := jsonLiterals(t, files)
	accepted, refused := 0, 0
	for _, doc := range docs {
		schemaErr := schemaValidates(t, sch, doc)
		if _, err := Prepare(doc, PrepareOptions{Region: "eu-west-1"}); err == nil {
			accepted++
			if schemaErr != nil {
				t.Errorf("Prepare accepts, the schema refuses: %s\n%v", doc, schemaErr)
			}
		}
		if _, err := parseJob(doc, nil); err != nil {
			refused++
			if schemaErr == nil && !inexpressibleByTheSchema(doc, err) {
				t.Errorf("the parser refuses (%v), the schema accepts: %s", err, doc)
			}
		}
	}
	t.Logf("%d JSON objects in %d test files: %d jobs Prepare accepts, %d the parser refuses", len(docs), len(files), accepted, refused)
	if accepted < 50 {
		t.Errorf("only %d valid jobs found in the tests: is the harvest broken?", accepted)
	}
}

// jsonLiterals returns the distinct string literals of the Go files that
// hold a JSON object.
func jsonLiterals(t *testing.T, files []string) [][]byte {
	t.Helper()
	seen := map[string]bool{}
	var out [][]byte
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Logf("skipped: %v", err) // another package's file being edited
			continue
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || seen[s] || !strings.HasPrefix(strings.TrimSpace(s), "{") || !json.Valid([]byte(s)) {
				return true
			}
			seen[s] = true
			out = append(out, []byte(s))
			return true
		})
	}
	return out
}

// mutationBases are valid jobs that, between them, set most fields; every
// value and object in them is mutated.
var mutationBases = []string{
	`{"$schema":"./job.schema.json","image":"busybox","command":["sh","-c","echo hi"],"env":{"A":"1","B":null,"PORT":8080},
	  "cpu":512,"memory":1024,"cluster":"c1","family":"etl","launchType":"FARGATE_SPOT","containerName":"main",
	  "taskRoleArn":"arn:aws:iam::123456789012:role/task","executionRoleArn":"arn:aws:iam::123456789012:role/exec",
	  "vpcId":"vpc-1","networkConfiguration":{"subnets":["subnet-1"],"securityGroups":["sg-1"],"assignPublicIp":"DISABLED"},
	  "configureCloudwatchLogs":true,"cloudwatchLogsOptions":{"mode":"non-blocking"},"cloudwatchLogsPrefix":"etl","streamOutput":true,
	  "labels":{"team":"data","gone":null},"taskStartTimeoutSeconds":600,"pollIntervalSeconds":2.5,
	  "autoDeregisterTaskDefinition":true,"matchLatestRevisionInFamily":true,"region":"eu-west-1",
	  "roleArn":"arn:aws:iam::123456789012:role/job","allowNonZeroExit":true,"retryOnInterruption":2,"interruptionFallback":{"launchType":"FARGATE"},
	  "taskCustomizations":[{"op":"add","path":"/group","value":"g"},{"op":"copy","from":"/group","path":"/referenceId"},{"op":"remove","path":"/platformVersion"}]}`,
	`{"image":"x","command":"python -c 'print(1)'","launchType":null,
	  "capacityProviderStrategy":[{"capacityProvider":"FARGATE_SPOT","weight":3,"base":1}],
	  "retryOnInterruption":1,"interruptionFallback":{"capacityProviderStrategy":[{"capacityProvider":"FARGATE","weight":1}]},
	  "taskCustomizations":"[{\"op\":\"add\",\"path\":\"/group\",\"value\":\"g\"}]"}`,
	`{"launchType":"FARGATE","executionRoleArn":"arn:aws:iam::123456789012:role/exec","taskDefinition":{"family":"base","cpu":1024,"memory":"2 GB",
	  "networkMode":"awsvpc","requiresCompatibilities":["FARGATE"],"runtimePlatform":{"cpuArchitecture":"ARM64"},"ephemeralStorage":{"sizeInGiB":30},
	  "volumes":[{"name":"scratch","efsVolumeConfiguration":{"fileSystemId":"fs-1","transitEncryption":"ENABLED"}}],"tags":[{"key":"team","value":"data"}],
	  "containerDefinitions":[
	    {"name":"main","image":"busybox","essential":true,"portMappings":[{"containerPort":8080,"protocol":"tcp"}],
	     "secrets":[{"name":"TOKEN","valueFrom":"arn:aws:ssm:eu-west-1:123456789012:parameter/t"}],"environment":[{"name":"X","value":"1"}],
	     "mountPoints":[{"sourceVolume":"scratch","containerPath":"/scratch"}],"ulimits":[{"name":"nofile","softLimit":1024,"hardLimit":4096}],
	     "healthCheck":{"command":["CMD","true"],"interval":30},"dockerLabels":{"a":"b"},"linuxParameters":{"initProcessEnabled":true},
	     "logConfiguration":{"logDriver":"awslogs","options":{"awslogs-group":"g"}}},
	    {"name":"sidecar","image":"envoy","essential":false,"dependsOn":[{"containerName":"main","condition":"START"}]}]},
	  "taskRunRequest":{"cluster":"c2","count":1,"group":"g","platformVersion":"LATEST","propagateTags":"TASK_DEFINITION","enableExecuteCommand":true,
	  "tags":{"owner":"me","gone":null},"placementConstraints":[{"type":"memberOf","expression":"attribute:x == y"}],
	  "overrides":{"cpu":1024,"memory":"2048","containerOverrides":[{"name":"main","command":"sh -c 'echo a'","environment":{"LEVEL":"debug"},"cpu":256}]}}}`,
	`{"taskDefinitionArn":"arn:aws:ecs:eu-west-1:123456789012:task-definition/etl:3","launchType":"EC2",
	  "taskRunRequest":{"tags":[{"key":"k","value":"v"}],"networkConfiguration":{"awsvpcConfiguration":{"subnets":["subnet-9"],"assignPublicIp":"ENABLED"}},
	  "overrides":{"containerOverrides":[{"name":"main","command":["a"],"environment":[{"name":"A","value":"1"}]}]}}}`,
}

// replacements are the values each value of a base job is replaced with.
var replacements = []string{`null`, `""`, `"x"`, `0`, `-1`, `7`, `1.5`, `true`, `[]`, `["x"]`, `{}`, `{"zzUnknown":1}`}

// mutation is a job with one change.
type mutation struct {
	doc  []byte
	what string
	// nullItem: null replaces an array item or a map value (stricter).
	nullItem bool
	// patchPath: the path of a patch operation is removed or null (stricter).
	patchPath bool
	// valuelessEnvEntry: an entry of a base container override's
	// environment without a value, which normalizeRunRequest drops unread
	// (the schema checks its members).
	valuelessEnvEntry bool
}

var (
	patchPathRE = regexp.MustCompile(`^taskCustomizations\[\d+\]\.path$`)
	envEntryRE  = regexp.MustCompile(`^taskRunRequest\.overrides\.containerOverrides\[\d+\]\.environment\[\d+\]$`)
)

// stricter reports whether the schema may refuse the mutation while
// Prepare accepts it: null as an array item or a map value (the parser
// reads a zero value, never meant), a patch operation without a path
// (RFC 6902 requires one; the parser reads "", the whole request, which
// only test may use), a value-less override environment entry.
func (m mutation) stricter() bool { return m.nullItem || m.patchPath || m.valuelessEnvEntry }

// TestSchemaAgreesWithTheParserOnMutations replaces every value of the
// base jobs with values of every JSON type, and adds an unknown member to
// every object.
func TestSchemaAgreesWithTheParserOnMutations(t *testing.T) {
	sch := compiledSchema(t)
	n, excused := 0, 0
	for _, base := range mutationBases {
		var v any
		if err := decodeJSON([]byte(base), &v); err != nil {
			t.Fatal(err)
		}
		if _, err := Prepare([]byte(base), PrepareOptions{Region: "eu-west-1"}); err != nil {
			t.Fatalf("base job refused: %v", err)
		}
		if err := schemaValidates(t, sch, []byte(base)); err != nil {
			t.Fatalf("base job refused by the schema: %v", err)
		}
		for _, m := range mutations(t, v) {
			n++
			schemaErr := schemaValidates(t, sch, m.doc)
			if err := func() error { _, err := parseJob(m.doc, nil); return err }(); err != nil && schemaErr == nil && !inexpressibleByTheSchema(m.doc, err) {
				t.Errorf("%s: the parser refuses (%v), the schema accepts", m.what, err)
			}
			if _, err := Prepare(m.doc, PrepareOptions{Region: "eu-west-1"}); err == nil && schemaErr != nil {
				if !m.stricter() {
					t.Errorf("%s: Prepare accepts, the schema refuses: %v", m.what, schemaErr)
				}
				excused++
			}
		}
	}
	t.Logf("%d mutations; %d refused by the schema only, where it is knowingly stricter", n, excused)
}

// mutations returns the mutations of the decoded job v.
func mutations(t *testing.T, v any) []mutation {
	var out []mutation
	var walk func(cur any, path string, inArrayOrMap bool, set func(any), del func())
	add := func(what string, nullItem, patchPath, valuelessEnvEntry bool) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, mutation{doc: b, what: what, nullItem: nullItem, patchPath: patchPath, valuelessEnvEntry: valuelessEnvEntry})
	}
	walk = func(cur any, path string, itemOrMapValue bool, set func(any), del func()) {
		if set != nil {
			for _, r := range replacements {
				var nv any
				_ = decodeJSON([]byte(r), &nv)
				set(nv)
				entry, isObject := nv.(map[string]any)
				add(fmt.Sprintf("%s = %s", path, r), r == "null" && itemOrMapValue, r == "null" && patchPathRE.MatchString(path),
					isObject && entry["value"] == nil && envEntryRE.MatchString(path))
			}
			set(cur)
		}
		if del != nil {
			del()
			add("without "+path, false, patchPathRE.MatchString(path), false)
			set(cur)
		}
		switch c := cur.(type) {
		case map[string]any:
			c["zzUnknown"] = json.Number("1")
			add(path+" + zzUnknown", false, false, envEntryRE.MatchString(path) && c["value"] == nil)
			delete(c, "zzUnknown")
			// Members of ECS maps and of env, labels, tags, ... are map values.
			isMap := mapValued(path)
			for _, k := range sortedKeys(c) {
				x := c[k]
				var d func()
				if !isMap {
					d = func() { delete(c, k) }
				}
				walk(x, joinPath(path, k), isMap, func(nv any) { c[k] = nv }, d)
			}
		case []any:
			for i := range c {
				walk(c[i], indexPath(path, i), true, func(nv any) { c[i] = nv }, nil)
			}
		}
	}
	walk(v, "", false, nil, nil)
	return out
}

// mapValued reports whether the object at path is a map (its keys are
// data, not field names).
func mapValued(path string) bool {
	last := path[strings.LastIndex(path, ".")+1:]
	switch last {
	case "env", "labels", "cloudwatchLogsOptions", "dockerLabels", "options", "tags", "environment":
		return true
	}
	return false
}
