package main

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
)

// refusal is the one line run and start print for the ID of a running workflow.
const refusal = ": workflow nightly is already running, nothing was started: " +
	"follow it with `starter run --attach --workflow-id nightly` or `starter logs -f nightly`, " +
	"or stop it with `starter cancel nightly`\n"

func TestRunAndStartRefuseTheIDOfARunningWorkflow(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--workflow-id", "nightly", "--logs=false", "--image", "alpine", "--", "true"},
		{"start", "--workflow-id", "nightly", "--image", "alpine", "--", "true"},
	} {
		t.Run(args[0], func(t *testing.T) {
			c, stdout, stderr := testCLI(nil)
			temporal := newFakeTemporal()
			other := temporal.add("nightly")
			c.dialTemporal = temporal.dial
			_, wait := startCLI(t, c, args...)
			assert.Equal(t, 1, wait())
			assert.Equal(t, "starter "+args[0]+refusal, stderr.String(), "one line: what happened and how to follow it")
			assert.Empty(t, stdout.String())
			assert.Zero(t, temporal.starts, "nothing is started")
			assert.Zero(t, temporal.cancels, "nothing is cancelled")
			assert.True(t, other.isRunning(), "the running workflow is left alone")
		})
	}
}

func TestRunRefusedWhileInterruptedLeavesTheRunningWorkflowAlone(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	other := temporal.add("nightly")
	starting := make(chan struct{})
	temporal.onStart = func(ctx context.Context) error {
		close(starting)
		<-ctx.Done() // Ctrl-C while the start request is out; the refusal comes back all the same
		return nil
	}
	c.dialTemporal = temporal.dial
	interrupts, wait := startCLI(t, c, "run", "--workflow-id", "nightly", "--logs=false", "--image", "alpine", "--", "true")
	<-starting
	interrupts <- os.Interrupt
	assert.Equal(t, 1, wait(), "the refusal is reported")
	assert.Equal(t, "starter run"+refusal, stderr.String())
	assert.Zero(t, temporal.starts)
	assert.Zero(t, temporal.cancels, "the interrupt does not cancel the other starter's workflow")
	assert.True(t, other.isRunning())
}

func TestRunWithTheIDOfAClosedWorkflowStartsANewRun(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	old := temporal.add("nightly")
	old.complete(0)
	temporal.onStart = func(context.Context) error {
		temporal.mu.Lock()
		defer temporal.mu.Unlock()
		temporal.workflows["nightly"].complete(5)
		return nil
	}
	c.dialTemporal = temporal.dial
	_, wait := startCLI(t, c, "run", "--workflow-id", "nightly", "--logs=false", "--image", "alpine", "--", "true")
	assert.Equal(t, 5, wait(), "the new run is followed to its exit code: %s", stderr)
	assert.Equal(t, 1, temporal.starts)
	assert.Equal(t, 2, temporal.workflows["nightly"].run, "a second run of the ID")
	assert.Contains(t, stderr.String(), "started workflow nightly")
}

// attachArgs attach to the workflow nightly of a fakeTemporal.
var attachArgs = []string{"run", "--attach", "--workflow-id", "nightly", "--logs=false"}

func TestAttachFollowsTheRunningWorkflowToItsExitCode(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	other := temporal.add("nightly")
	c.dialTemporal = temporal.dial
	_, wait := startCLI(t, c, attachArgs...)
	<-temporal.queried // following
	temporal.mu.Lock()
	other.complete(3)
	temporal.mu.Unlock()
	assert.Equal(t, 3, wait(), stderr.String())
	assert.Zero(t, temporal.starts, "attach starts nothing")
	assert.Zero(t, temporal.cancels)
	assert.Contains(t, stderr.String(), "following workflow nightly (run nightly-run-1)")
	assert.NotContains(t, stderr.String(), "started workflow")
}

func TestAttachReportsAFailureAsRunDoes(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	other := temporal.add("nightly")
	c.dialTemporal = temporal.dial
	_, wait := startCLI(t, c, attachArgs...)
	<-temporal.queried
	temporal.mu.Lock()
	other.err = errors.New("boom")
	close(other.done)
	temporal.mu.Unlock()
	assert.Equal(t, 1, wait())
	assert.Contains(t, stderr.String(), "starter: workflow nightly failed: boom\n")
}

func TestAttachInterruptedStopsFollowingAndLeavesTheWorkflowRunning(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	other := temporal.add("nightly")
	c.dialTemporal = temporal.dial
	interrupts, wait := startCLI(t, c, attachArgs...)
	<-temporal.queried
	interrupts <- os.Interrupt
	assert.Equal(t, 130, wait(), stderr.String())
	assert.Zero(t, temporal.cancels, "Ctrl-C does not cancel a workflow attach did not start")
	assert.True(t, other.isRunning())
	assert.Contains(t, stderr.String(), "stopped following workflow nightly, which goes on running")
}

func TestAttachToAWorkflowThatIsNotRunning(t *testing.T) {
	temporal := newFakeTemporal()
	temporal.add("done").complete(0)
	c, _, stderr := testCLI(nil)
	c.dialTemporal = temporal.dial
	_, wait := startCLI(t, c, "run", "--attach", "--workflow-id", "done")
	assert.Equal(t, 1, wait())
	assert.Equal(t, "starter run: workflow done is not running (its latest run is Completed): see `starter status done`\n", stderr.String())

	c, _, stderr = testCLI(nil)
	c.dialTemporal = temporal.dial
	_, wait = startCLI(t, c, "run", "--attach", "--workflow-id", "unknown")
	assert.Equal(t, 1, wait())
	assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), stderr.String())
	assert.True(t, strings.HasPrefix(stderr.String(), "starter run: workflow unknown is not running: "), stderr.String())
	var notFound *serviceerror.NotFound
	_, err := temporal.DescribeWorkflow(context.Background(), "unknown", "")
	require.ErrorAs(t, err, &notFound, "the fake answers as Temporal does")
	assert.Zero(t, temporal.starts)
}

func TestAttachUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"run", "--attach"},
		{"run", "--attach", "--workflow-id", ""},
		{"run", "--attach", "--workflow-id", "nightly", "--image", "alpine"},
		{"run", "--attach", "--workflow-id", "nightly", "--input", "job.json"},
		{"run", "--attach", "--workflow-id", "nightly", "--", "echo", "hi"},
		{"start", "--attach", "--workflow-id", "nightly"},
	} {
		c, _, stderr := testCLI(nil)
		dialled := false
		c.dialTemporal = func(context.Context) (client.Client, error) {
			dialled = true
			return newFakeTemporal(), nil
		}
		assert.Equal(t, 2, cliMain(args, c), args)
		assert.Equal(t, 1, strings.Count(stderr.String(), "\n"), "%v: %q", args, stderr)
		assert.True(t, strings.HasPrefix(stderr.String(), "starter "+args[0]+": "), stderr.String())
		assert.False(t, dialled, "%v: Temporal is not dialled", args)
	}
}
