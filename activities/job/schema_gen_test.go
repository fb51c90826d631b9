package job

// The generator of job.schema.json, the JSON Schema of the job
// configuration (`go generate ./activities/job/`, which runs
// TestSchemaFileIsUpToDate with -update). It lives in a test file so that
// go/parser stays out of the worker and the starter, which embed its
// output (Schema).
//
// What comes from where:
//   - the fields, their JSON names and JSON types: reflection over Config
//     and the types it holds, named as checkShape names them (structFields);
//     the base taskDefinition and taskRunRequest: the aws-sdk-go-v2 types
//     the parser checks them against (RegisterTaskDefinitionInput,
//     RunTaskInput), with the SDK's enums (enumValues) and int32 bounds;
//   - descriptions: the doc comments of this package's types and fields,
//     parsed from its source (a field without one takes schemaFieldDocs,
//     and the test fails when neither describes it);
//   - what reflection cannot see: schemaRules, the conveniences the parser
//     accepts beyond the Go types (numbers for strings, strings for
//     arrays, ...) and the bounds and enums validate.go checks on single
//     fields. A new bound in validate.go needs its rule here.
//
// Rules across fields (image required unless a task definition gives one,
// networkConfiguration needs vpcId, cloudwatchLogsOptions needs
// configureCloudwatchLogs, ...) stay out: they apply to the job merged onto
// the worker's defaults, which a schema of one document cannot see.

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

var updateSchema = flag.Bool("update", false, "rewrite "+schemaFileName+" (go generate ./activities/job/)")

const schemaFileName = "job.schema.json"

// TestSchemaFileIsUpToDate regenerates the schema and compares it with the
// checked-in (and embedded) file; with -update it rewrites the file.
func TestSchemaFileIsUpToDate(t *testing.T) {
	got, err := generateSchema(".")
	if err != nil {
		t.Fatal(err)
	}
	if *updateSchema {
		if err := os.WriteFile(schemaFileName, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if !bytes.Equal(got, schemaJSON) {
		t.Fatalf("activities/job/%s is out of date with Config (or the AWS SDK's ECS types): run `go generate ./activities/job/` and commit it\n%s",
			schemaFileName, firstDifference(schemaJSON, got))
	}
}

// TestSchemaGeneratorCoversTheContract checks the generator's tables
// against the types: every field of this package's types is described, and
// every rule and fallback description names a field that exists.
func TestSchemaGeneratorCoversTheContract(t *testing.T) {
	g, err := newSchemaGen(".")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := g.generate(); err != nil {
		t.Fatal(err)
	}
	for key := range schemaRules {
		if !g.usedRules[key] {
			t.Errorf("schemaRules[%q] matches no field: rename or delete it", key)
		}
	}
	for key := range schemaFieldDocs {
		if !g.usedFieldDocs[key] {
			t.Errorf("schemaFieldDocs[%q]: the field is gone or now has a doc comment: delete the entry", key)
		}
	}
	for _, key := range g.undocumented {
		t.Errorf("%s has no doc comment: document it (it becomes the schema's description)", key)
	}
}

// firstDifference describes the first line where two texts differ.
func firstDifference(want, got []byte) string {
	w, g := strings.Split(string(want), "\n"), strings.Split(string(got), "\n")
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return fmt.Sprintf("line %d:\n  checked in: %s\n  generated:  %s", i+1, wl, gl)
		}
	}
	return ""
}

// generateSchema returns the schema file's content, generated from the
// types and from the doc comments of the package's source in dir.
func generateSchema(dir string) ([]byte, error) {
	g, err := newSchemaGen(dir)
	if err != nil {
		return nil, err
	}
	return g.generate()
}

// schemaFieldDocs describes the fields that have no doc comment of their
// own, by Go type and field name.
var schemaFieldDocs = map[string]string{
	"Config.Memory":                     "Memory is the memory in MiB, task-level for FARGATE, container-level for EC2; when given, also sent as run-time overrides. Default 2048 unless the task definition has it.",
	"Fallback.LaunchType":               "The launch type of the retries: FARGATE, FARGATE_SPOT, EC2 or EXTERNAL.",
	"Fallback.CapacityProviderStrategy": "The capacity provider strategy of the retries.",
}

// schemaRule completes or replaces the schema reflection gives a field
// (before null is allowed, for a field that is not required) or, keyed by
// a type alone, a type's definition.
type schemaRule func(g *schemaGen, s node) node

// schemaRules are keyed by definition name ("Config", "ecs.RunTaskInput")
// and JSON field name.
var schemaRules = map[string]schemaRule{
	"Config.cpu":    minimum(1),
	"Config.memory": minimum(1),
	"Config.env": func(_ *schemaGen, s node) node {
		s["additionalProperties"] = scalarOrNull()
		s["propertyNames"] = node{"minLength": 1}
		return s
	},
	"Config.launchType": func(_ *schemaGen, s node) node {
		s["enum"] = anys(launchTypes)
		s["default"] = DefaultLaunchType
		return s
	},
	"Config.taskDefinition": func(g *schemaGen, _ node) node { return g.schemaFor(registerType) },
	"Config.taskRunRequest": func(g *schemaGen, _ node) node { return g.schemaFor(runTaskType) },
	"Config.taskCustomizations": func(_ *schemaGen, s node) node {
		s["type"] = []string{"array", "string"} // a string holding the array (Prefect's cast)
		return s
	},
	"Config.cloudwatchLogsOptions": func(_ *schemaGen, s node) node {
		s["additionalProperties"] = scalarOrNull()
		return s
	},
	"Config.labels": func(_ *schemaGen, s node) node {
		s["additionalProperties"] = scalarOrNull()
		s["propertyNames"] = node{"minLength": 1}
		s["patternProperties"] = &members{
			keys: []string{"^" + caseless("aws:"), "^" + caseless(TagPrefix)},
			vals: map[string]any{
				"^" + caseless("aws:"): false, // refused, even null
				// The owner's tags: only null (removing nothing) passes.
				"^" + caseless(TagPrefix): node{"type": "null"},
			},
		}
		return s
	},
	"Config.taskStartTimeoutSeconds": func(_ *schemaGen, s node) node {
		s["minimum"] = 1
		s["default"] = DefaultStartTimeoutSeconds
		return s
	},
	"Config.pollIntervalSeconds": func(_ *schemaGen, s node) node {
		s["exclusiveMinimum"] = 0
		s["default"] = DefaultPollIntervalSeconds
		return s
	},
	"Config.heartbeatTimeoutSeconds": func(_ *schemaGen, s node) node {
		s["minimum"] = minHeartbeatTimeoutSeconds
		s["maximum"] = maxHeartbeatTimeoutSeconds
		s["default"] = DefaultHeartbeatTimeoutSeconds
		return s
	},
	"Config.roleArn": func(_ *schemaGen, s node) node {
		s["pattern"] = "^(arn:|$)"
		return s
	},
	"Config.retryOnInterruption": func(_ *schemaGen, s node) node {
		s["minimum"] = 0
		s["maximum"] = maxRetryOnInterruption
		s["default"] = 0
		return s
	},
	"CapacityProvider.capacityProvider": minLength(1),
	"CapacityProvider.weight":           between(0, 1000),
	"CapacityProvider.base":             between(0, 100000),
	"Network.subnets": func(_ *schemaGen, s node) node {
		s["minItems"] = 1
		s["items"].(node)["minLength"] = 1
		return s
	},
	"Network.securityGroups": func(_ *schemaGen, s node) node {
		s["items"].(node)["minLength"] = 1
		return s
	},
	"Network.assignPublicIp": func(_ *schemaGen, s node) node {
		s["enum"] = append(anys(enumValues(reflect.TypeFor[types.AssignPublicIp]())), "")
		return s
	},
	"Fallback.launchType": func(_ *schemaGen, s node) node {
		s["enum"] = append(anys(launchTypes), "")
		return s
	},
	// Exactly one of launchType and capacityProviderStrategy.
	"Fallback": func(_ *schemaGen, s node) node {
		s["oneOf"] = []any{
			node{"required": []string{"launchType"}, "properties": &members{
				keys: []string{"launchType"}, vals: map[string]any{"launchType": node{"type": "string", "minLength": 1}}}},
			node{"required": []string{"capacityProviderStrategy"}, "properties": &members{
				keys: []string{"capacityProviderStrategy"}, vals: map[string]any{"capacityProviderStrategy": node{"type": "array", "minItems": 1}}}},
		}
		return s
	},
	"PatchOperation.op": func(_ *schemaGen, s node) node {
		s["enum"] = anys([]string{"add", "remove", "replace", "move", "copy", "test"})
		return s
	},
	"PatchOperation.path": jsonPointer,
	"PatchOperation.from": jsonPointer,
	"PatchOperation": func(_ *schemaGen, s node) node {
		s["if"] = node{"required": []string{"op"}, "properties": &members{
			keys: []string{"op"}, vals: map[string]any{"op": node{"enum": anys([]string{"add", "replace", "test"})}}}}
		s["then"] = node{"required": []string{"value"}}
		return s
	},

	// The base task definition: task-level cpu and memory may be numbers.
	"ecs.RegisterTaskDefinitionInput":        describe("A RegisterTaskDefinition request body, with ECS's field names and the enums of the AWS SDK for Go the worker is built with."),
	"ecs.RegisterTaskDefinitionInput.cpu":    stringOrInteger,
	"ecs.RegisterTaskDefinitionInput.memory": stringOrInteger,
	// The base run request: what normalizeRunRequest rewrites, the launch
	// types of launchType, and the members temporal-ecs sets (checkReserved).
	"ecs.RunTaskInput": describe("A RunTask request body, with ECS's field names and the enums of the AWS SDK for Go the worker is built with."),
	"ecs.RunTaskInput.launchType": func(_ *schemaGen, s node) node {
		s["enum"] = anys(launchTypes)
		return s
	},
	"ecs.RunTaskInput.tags": func(_ *schemaGen, s node) node {
		s["description"] = "ECS's array of {key, value}, or an object of values (null drops a tag)."
		s["type"] = []string{"array", "object"}
		s["additionalProperties"] = node{"type": []string{"string", "null"}}
		return s
	},
	"ecs.RunTaskInput.count": func(_ *schemaGen, s node) node {
		s["enum"] = []any{1}
		delete(s, "minimum")
		delete(s, "maximum")
		s["description"] = "A job runs exactly one task: absent or 1."
		return s
	},
	"ecs.RunTaskInput.clientToken": reserved,
	"ecs.RunTaskInput.startedBy":   reserved,
	"ecs.TaskOverride.cpu":         stringOrInteger,
	"ecs.TaskOverride.memory":      stringOrInteger,
	"ecs.ContainerOverride.command": func(_ *schemaGen, s node) node {
		s["description"] = "An array of strings, or a string split like a POSIX shell."
		s["type"] = []string{"array", "string"}
		return s
	},
	"ecs.ContainerOverride.environment": func(_ *schemaGen, s node) node {
		s["description"] = "ECS's array of {name, value}, or an object of values (null drops a variable)."
		s["type"] = []string{"array", "object"}
		s["additionalProperties"] = node{"type": []string{"string", "null"}}
		return s
	},
}

func describe(d string) schemaRule {
	return func(_ *schemaGen, s node) node { s["description"] = d; return s }
}

func minimum(n int) schemaRule {
	return func(_ *schemaGen, s node) node { s["minimum"] = n; return s }
}

func minLength(n int) schemaRule {
	return func(_ *schemaGen, s node) node { s["minLength"] = n; return s }
}

func between(lo, hi int) schemaRule {
	return func(_ *schemaGen, s node) node { s["minimum"], s["maximum"] = lo, hi; return s }
}

// jsonPointer matches what checkPointer accepts: "" or "/..." with ~0 and
// ~1 the only escapes.
func jsonPointer(_ *schemaGen, s node) node {
	s["pattern"] = "^(/([^~]|~[01])*)?$"
	return s
}

func stringOrInteger(_ *schemaGen, s node) node {
	s["type"] = []string{"string", "integer"}
	s["description"] = "ECS's string, or an integer taken as its text."
	return s
}

func reserved(_ *schemaGen, _ node) node {
	return node{"type": "null", "description": "Set by temporal-ecs on every RunTask request: must be absent."}
}

// scalarOrNull is the value of env, labels and cloudwatchLogsOptions: a
// string, a number or a boolean (taken as its text), or null.
func scalarOrNull() node {
	return node{"type": []string{"string", "number", "boolean", "null"}}
}

// caseless is an ECMA-262 pattern matching s in any case.
func caseless(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) {
			fmt.Fprintf(&b, "[%c%c]", unicode.ToLower(r), unicode.ToUpper(r))
		} else {
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// schemaGen generates the schema.
type schemaGen struct {
	typeDocs  map[string]string // Go type name → doc
	fieldDocs map[string]string // "Type.Field" (Go names) → doc
	jsonNames map[string]string // Go field name with several words → JSON name, for descriptions

	defs     *members
	defNames map[reflect.Type]string
	defTypes map[string]reflect.Type
	err      error

	rules         map[string]schemaRule // schemaRules (a field, to break the initialization cycle)
	usedRules     map[string]bool
	usedFieldDocs map[string]bool
	undocumented  []string
}

func newSchemaGen(dir string) (*schemaGen, error) {
	g := &schemaGen{
		typeDocs:      map[string]string{},
		fieldDocs:     map[string]string{},
		jsonNames:     map[string]string{},
		defs:          &members{vals: map[string]any{}},
		defNames:      map[reflect.Type]string{},
		defTypes:      map[string]reflect.Type{},
		rules:         schemaRules,
		usedRules:     map[string]bool{},
		usedFieldDocs: map[string]bool{},
	}
	return g, g.parseDocs(dir)
}

// parseDocs reads the doc comments of the package's types and their fields.
func (g *schemaGen) parseDocs(dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return err
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				g.typeDocs[ts.Name.Name] = docText(doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, field := range st.Fields.List {
					for _, n := range field.Names {
						if d := docText(field.Doc); d != "" {
							g.fieldDocs[ts.Name.Name+"."+n.Name] = d
						}
					}
				}
			}
		}
	}
	return nil
}

// docText renders a doc comment as plain text: one line per paragraph.
func docText(cg *ast.CommentGroup) string {
	if cg == nil {
		return ""
	}
	var p comment.Parser
	pr := &comment.Printer{TextWidth: -1}
	return strings.TrimSpace(string(pr.Text(p.Parse(cg.Text()))))
}

// generate returns the schema, indented, with a final newline.
func (g *schemaGen) generate() ([]byte, error) {
	g.collectJSONNames(configType, map[reflect.Type]bool{})
	root := g.object(configType)
	props := root["properties"].(*members)
	props.prepend(schemaKey, node{
		"type":        []string{"string", "null"},
		"description": "The URL or path of this JSON Schema, for editors; the worker ignores it.",
	})
	root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	root["$comment"] = "Generated from activities/job (Config, its doc comments and the parser's rules) by `go generate ./activities/job/`; do not edit."
	root["title"] = "temporal-ecs job configuration"
	root["description"] = "A job of temporal-ecs: the input of the RunECSTask workflow (also the shape of the worker's job defaults file). " +
		"Unknown fields are refused at every depth, in taskDefinition and taskRunRequest too. " +
		"A field set to null is the field absent (at the top level it clears the worker's default). " +
		"Rules across fields (image required unless a task definition gives one, networkConfiguration needs vpcId, ...) are checked by the worker only."
	root["$defs"] = g.defs
	if g.err != nil {
		return nil, g.err
	}
	// This package's definitions first, then the SDK's.
	slices.SortStableFunc(g.defs.keys, func(a, b string) int {
		return cmpBool(strings.HasPrefix(a, "ecs."), strings.HasPrefix(b, "ecs."))
	})
	b, err := marshal(root)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := indent(&out, b, ""); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// indent writes the JSON value raw indented by two spaces, keeping arrays
// of scalars (types, enums, required) on one line.
func indent(out *bytes.Buffer, raw []byte, prefix string) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		out.Write(raw)
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	open, _ := dec.Token()
	var items []json.RawMessage
	var keys []string
	for dec.More() {
		if open == json.Delim('{') {
			k, err := dec.Token()
			if err != nil {
				return err
			}
			keys = append(keys, k.(string))
		}
		var item json.RawMessage
		if err := dec.Decode(&item); err != nil {
			return err
		}
		items = append(items, item)
	}
	closing := "}"
	if open == json.Delim('[') {
		closing = "]"
		scalars := true
		for _, item := range items {
			scalars = scalars && item[0] != '{' && item[0] != '['
		}
		if scalars {
			out.WriteByte('[')
			for i, item := range items {
				if i > 0 {
					out.WriteString(", ")
				}
				out.Write(item)
			}
			out.WriteByte(']')
			return nil
		}
	}
	if len(items) == 0 {
		out.WriteString(open.(json.Delim).String() + closing)
		return nil
	}
	out.WriteString(open.(json.Delim).String() + "\n")
	for i, item := range items {
		out.WriteString(prefix + "  ")
		if keys != nil {
			kb, err := marshal(keys[i])
			if err != nil {
				return err
			}
			out.Write(kb)
			out.WriteString(": ")
		}
		if err := indent(out, item, prefix+"  "); err != nil {
			return err
		}
		if i < len(items)-1 {
			out.WriteByte(',')
		}
		out.WriteByte('\n')
	}
	out.WriteString(prefix + closing)
	return nil
}

// collectJSONNames records the JSON names of this package's fields whose
// Go names have several words (StreamOutput, VpcID), to write the JSON
// names in descriptions.
func (g *schemaGen) collectJSONNames(t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t.PkgPath() != configType.PkgPath() || seen[t] {
		return
	}
	seen[t] = true
	fs := structFields(t)
	for _, name := range fs.names {
		f := fs.byName[name]
		if hasSeveralWords(f.Name) {
			g.jsonNames[f.Name] = name
		}
		g.collectJSONNames(f.Type, seen)
	}
}

func hasSeveralWords(goName string) bool {
	r := []rune(goName)
	for i := 1; i < len(r); i++ {
		if unicode.IsLower(r[i-1]) && unicode.IsUpper(r[i]) {
			return true
		}
	}
	return false
}

var wordRE = regexp.MustCompile(`\b[A-Z][A-Za-z]*\b`)

// jsonWords replaces the Go names of fields in a description by their JSON
// names.
func (g *schemaGen) jsonWords(s string) string {
	return wordRE.ReplaceAllStringFunc(s, func(w string) string {
		if j, ok := g.jsonNames[w]; ok {
			return j
		}
		return w
	})
}

var (
	commandType    = reflect.TypeFor[Command]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// schemaFor returns the schema of a JSON value that checkShape accepts for
// Go type t (null aside).
func (g *schemaGen) schemaFor(t reflect.Type) node {
	switch {
	case t == commandType:
		return node{"type": []string{"array", "string"}, "items": node{"type": "string"}}
	case t == rawMessageType:
		return node{} // any JSON value
	case t.PkgPath() == configType.PkgPath() && strings.HasPrefix(t.Name(), "Nullable["):
		return orNull(g.schemaFor(t.Field(0).Type))
	case t != configType && t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(unmarshalerType):
		// Its JSON shape is its own: say it here. (Config, should it decode
		// itself strictly, keeps the shape of its fields.)
		g.fail(fmt.Errorf("type %s decodes itself (UnmarshalJSON): add its schema to schemaFor", t))
		return node{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.schemaFor(t.Elem())
	case reflect.Interface:
		return node{}
	case reflect.String:
		s := node{"type": "string"}
		if values := enumValues(t); values != nil {
			s["enum"] = anys(values)
		}
		return s
	case reflect.Bool:
		return node{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s := node{"type": "integer"}
		if bits := t.Bits(); bits < 64 {
			s["minimum"], s["maximum"] = -(int64(1) << (bits - 1)), int64(1)<<(bits-1)-1
		}
		return s
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		s := node{"type": "integer", "minimum": 0}
		if bits := t.Bits(); bits < 64 {
			s["maximum"] = uint64(1)<<bits - 1
		}
		return s
	case reflect.Float32, reflect.Float64:
		return node{"type": "number"}
	case reflect.Slice, reflect.Array:
		return node{"type": "array", "items": g.schemaFor(t.Elem())}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			g.fail(fmt.Errorf("map type %s: only string keys are JSON objects", t))
		}
		return node{"type": "object", "additionalProperties": g.schemaFor(t.Elem())}
	case reflect.Struct:
		return node{"$ref": "#/$defs/" + g.define(t)}
	}
	g.fail(fmt.Errorf("type %s has no JSON schema", t))
	return node{}
}

// define adds the definition of a struct type to $defs, once, and returns
// its name.
func (g *schemaGen) define(t reflect.Type) string {
	if name, ok := g.defNames[t]; ok {
		return name
	}
	name := defName(t)
	if other, ok := g.defTypes[name]; ok {
		g.fail(fmt.Errorf("types %s and %s would share the definition %q", t, other, name))
	}
	g.defNames[t], g.defTypes[name] = name, t
	g.defs.set(name, nil) // placeholder: definitions stay in the order met
	g.defs.set(name, g.object(t))
	return name
}

// defName names a struct type's definition: this package's types by their
// name, the SDK's as "ecs.Name".
func defName(t reflect.Type) string {
	if t.PkgPath() == configType.PkgPath() {
		return t.Name()
	}
	pkg := t.PkgPath()
	if strings.HasSuffix(pkg, "/service/ecs/types") || strings.HasSuffix(pkg, "/service/ecs") {
		return "ecs." + t.Name()
	}
	return pkg[strings.LastIndex(pkg, "/")+1:] + "." + t.Name()
}

// object is the schema of a struct type: its fields as properties, no
// other member, required the fields of this package's types that are
// always marshalled (no omitempty), null allowed for the others.
func (g *schemaGen) object(t reflect.Type) node {
	own := t.PkgPath() == configType.PkgPath()
	name := defName(t)
	s := node{"type": "object"}
	if own && t != configType {
		if d := g.typeDocs[t.Name()]; d != "" {
			s["description"] = d
		}
	}
	props := &members{vals: map[string]any{}}
	var required []string
	fs := structFields(t)
	for _, jsonName := range fs.names {
		f := fs.byName[jsonName]
		p := g.schemaFor(f.Type)
		key := name + "." + jsonName
		if rule, ok := g.rules[key]; ok {
			p = rule(g, p)
			g.usedRules[key] = true
		}
		_, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		isRequired := own && !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero")
		if isRequired {
			required = append(required, jsonName)
		} else {
			p = orNull(p)
		}
		if own {
			if d := g.describeField(t, f); d != "" {
				p["description"] = d
			}
		}
		props.set(jsonName, p)
	}
	s["properties"] = props
	s["additionalProperties"] = false
	if len(required) > 0 {
		s["required"] = required
	}
	if rule, ok := g.rules[name]; ok {
		s = rule(g, s)
		g.usedRules[name] = true
	}
	return s
}

// describeField returns a field's description: its doc comment, else
// schemaFieldDocs; an undocumented field is recorded.
func (g *schemaGen) describeField(t reflect.Type, f reflect.StructField) string {
	key := t.Name() + "." + f.Name
	if d, ok := g.fieldDocs[key]; ok {
		return g.jsonWords(d)
	}
	if d, ok := schemaFieldDocs[key]; ok {
		g.usedFieldDocs[key] = true
		return g.jsonWords(d)
	}
	g.undocumented = append(g.undocumented, key)
	return ""
}

func (g *schemaGen) fail(err error) {
	g.err = errors.Join(g.err, err)
}

// orNull returns s allowing null too.
func orNull(s node) node {
	if len(s) == 0 {
		return s // anything, null included
	}
	if _, ok := s["$ref"]; ok {
		out := node{"anyOf": []any{s, node{"type": "null"}}}
		if d, ok := s["description"]; ok {
			out["description"] = d
			delete(s, "description")
		}
		return out
	}
	switch t := s["type"].(type) {
	case string:
		if t != "null" {
			s["type"] = []string{t, "null"}
		}
	case []string:
		if !slices.Contains(t, "null") {
			s["type"] = append(t, "null")
		}
	}
	if e, ok := s["enum"].([]any); ok && !slices.Contains(e, nil) {
		s["enum"] = append(e, nil)
	}
	return s
}

// node is one schema; its keywords are marshalled in a fixed, readable
// order.
type node map[string]any

var keywordOrder = []string{
	"$schema", "$comment", "title", "description", "$ref", "anyOf", "type", "enum", "default",
	"minimum", "exclusiveMinimum", "maximum", "minLength", "pattern", "minItems", "items",
	"required", "properties", "patternProperties", "additionalProperties", "propertyNames", "oneOf", "if", "then", "$defs",
}

func (n node) MarshalJSON() ([]byte, error) {
	keys := make([]string, 0, len(n))
	for k := range n {
		if !slices.Contains(keywordOrder, k) {
			return nil, fmt.Errorf("schema keyword %q: add it to keywordOrder", k)
		}
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		return slices.Index(keywordOrder, a) - slices.Index(keywordOrder, b)
	})
	return marshalMembers(keys, map[string]any(n))
}

// members is a JSON object whose members stay in insertion order
// (properties, $defs).
type members struct {
	keys []string
	vals map[string]any
}

func (m *members) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *members) prepend(k string, v any) {
	m.keys = append([]string{k}, m.keys...)
	m.vals[k] = v
}

func (m *members) MarshalJSON() ([]byte, error) { return marshalMembers(m.keys, m.vals) }

func marshalMembers(keys []string, vals map[string]any) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, err := marshal(k)
		if err != nil {
			return nil, err
		}
		vb, err := marshal(vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(kb)
		b.WriteByte(':')
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// marshal encodes v without HTML escapes (descriptions hold < and >).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
