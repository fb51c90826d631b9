package job

import (
	"bytes"
	_ "embed"
)

// job.schema.json is generated from Config (its types, JSON tags and doc
// comments) and from the parser's enums and bounds by the generator in
// schema_gen_test.go; TestSchemaFileIsUpToDate fails when it is stale.
//
//go:generate go test -run TestSchemaFileIsUpToDate -update .

//go:embed job.schema.json
var schemaJSON []byte

// Schema returns the JSON Schema (draft 2020-12) of a job configuration,
// the document Prepare parses: field names, JSON types, enums, unknown
// fields refused at every depth (in taskDefinition and taskRunRequest too,
// with the AWS SDK's ECS shapes and enums) and the bounds of single fields.
// Rules that span fields or depend on the worker's job defaults (image
// required unless a task definition gives one, networkConfiguration needs
// vpcId, ...) are Prepare's alone. The same schema describes the worker's
// job defaults file.
func Schema() []byte { return bytes.Clone(schemaJSON) }

// schemaKey is the top-level member a job document (or the worker's job
// defaults file) may hold to name its JSON Schema for editors, as in
// {"$schema": "./job.schema.json", "image": "busybox"}. Prepare ignores it.
const schemaKey = "$schema"

// dropSchemaKey removes a top-level "$schema" member, which must be a
// string (or null), from a decoded job document.
func dropSchemaKey(obj map[string]any) error {
	v, ok := obj[schemaKey]
	if !ok {
		return nil
	}
	if _, isString := v.(string); !isString && v != nil {
		return errorf(schemaKey, "must be a string: the URL or path of the job configuration's JSON Schema (ignored by the worker)")
	}
	delete(obj, schemaKey)
	return nil
}
