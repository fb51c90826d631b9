// Package job is the job configuration contract of temporal-ecs and the pure
// functions over it: strict parsing and validation of a job, its merge onto
// the worker's job defaults, the preparation of the ECS task definition and
// RunTask request it sends, network rules, comparison and digest of task
// definitions, masking of secrets for logs, and the preview of a job.
//
// Nothing here does I/O: the activities package makes the AWS calls and
// feeds their answers (a described task definition, a VPC's subnets) back
// into these functions.
//
// Maps that hold ECS request bodies (task definitions, RunTask requests) use
// ECS's wire casing (camelCase keys, as in the ECS API reference); RegisterInput
// and RunTaskInput turn them into aws-sdk-go-v2 inputs.
package job
