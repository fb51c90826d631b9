package main

import (
	"context"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

// schemaCmd is `starter schema`: print the JSON Schema (draft 2020-12) of
// the job configuration, for editors and validators. It calls neither AWS
// nor Temporal.
func schemaCmd(_ context.Context, c *cli, args []string) (int, error) {
	fs := newFlagSet(c)
	if err := fs.parse(c, args); err != nil {
		return 0, err
	}
	if fs.NArg() > 0 {
		return 0, cliflags.UsageErrorf("takes no arguments")
	}
	_, err := c.stdout.Write(job.Schema())
	return 0, err
}
