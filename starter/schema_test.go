package main

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

func TestSchemaPrintsTheJobSchema(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	require.Equal(t, 0, cliMain([]string{"schema"}, c), stderr.String())
	assert.Empty(t, stderr.String())
	assert.True(t, bytes.Equal(job.Schema(), stdout.Bytes()), "stdout is job.Schema()")
	var s map[string]any
	require.NoError(t, json.Unmarshal(stdout.Bytes(), &s))
	assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", s["$schema"])
	assert.Contains(t, s["properties"], "image")
}

func TestSchemaTakesNoArguments(t *testing.T) {
	c, stdout, stderr := testCLI(nil)
	assert.Equal(t, 2, cliMain([]string{"schema", "job.json"}, c))
	assert.Empty(t, stdout.String())
	assert.Equal(t, "starter schema: takes no arguments (see --help)\n", stderr.String())
}
