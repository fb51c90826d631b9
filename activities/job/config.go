// Package job is the job configuration contract of temporal-ecs and the pure
// functions over it: parsing and validation, preparation of the task
// definition and RunTask request, comparison of task definitions, preview.
// STUB: replaced by the implementation.
package job

// Config is the job configuration, the RunECSTask workflow's input.
type Config struct {
	Image string `json:"image,omitempty"`
}
