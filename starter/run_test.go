package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
)

// runArgs are the arguments of a `starter run` against a fakeTemporal.
var runArgs = []string{"run", "--logs=false", "--image", "alpine", "--", "true"}

func TestRunInterruptedWhileReadingStdinExits130(t *testing.T) {
	c, _, stderr := testCLI(nil)
	stdin, stdinWriter := io.Pipe() // nothing is ever written: the read blocks
	defer stdinWriter.Close()
	c.stdin = stdin
	dialled := false
	c.dialTemporal = func(context.Context) (client.Client, error) {
		dialled = true
		return newFakeTemporal(), nil
	}
	interrupts, wait := startCLI(t, c, "run", "--logs=false", "--input", "-")
	interrupts <- os.Interrupt
	assert.Equal(t, 130, wait(), stderr.String())
	assert.False(t, dialled, "Temporal is not dialled after the interrupt")
}

func TestRunInterruptedWhileDiallingExits130(t *testing.T) {
	c, _, stderr := testCLI(nil)
	dialling := make(chan struct{})
	c.dialTemporal = func(ctx context.Context) (client.Client, error) {
		close(dialling)
		<-ctx.Done() // a server that does not answer
		return nil, ctx.Err()
	}
	interrupts, wait := startCLI(t, c, runArgs...)
	<-dialling
	interrupts <- os.Interrupt
	assert.Equal(t, 130, wait(), stderr.String())
	assert.NotContains(t, stderr.String(), "context canceled", "an interrupt is no error")
}

// interruptWhileStarting runs the starter with args against a fakeTemporal
// whose start request reaches the server and then hangs until the starter
// gives up on it, interrupts the starter there and asserts it exits 130. The
// start succeeds all the same when startSucceeds is set; otherwise its answer
// is lost.
func interruptWhileStarting(t *testing.T, startSucceeds bool, args ...string) (*fakeTemporal, *bytes.Buffer) {
	t.Helper()
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	starting := make(chan struct{})
	temporal.onStart = func(ctx context.Context) error {
		close(starting)
		<-ctx.Done()
		if startSucceeds {
			return nil
		}
		return ctx.Err()
	}
	c.dialTemporal = temporal.dial
	interrupts, wait := startCLI(t, c, args...)
	<-starting
	interrupts <- os.Interrupt
	assert.Equal(t, 130, wait(), stderr.String())
	return temporal, stderr
}

func TestRunInterruptedWhileStartingLeavesNoWorkflow(t *testing.T) {
	temporal, stderr := interruptWhileStarting(t, false, runArgs...)
	assert.Empty(t, temporal.running(), "the workflow the interrupted start may have started is cancelled")
	assert.NotContains(t, stderr.String(), "context canceled", "an interrupt is no error")
}

func TestRunInterruptedWhileStartingNamedWorkflowLeavesItAlone(t *testing.T) {
	temporal, stderr := interruptWhileStarting(t, false, append([]string{"run", "--workflow-id", "nightly"}, runArgs[1:]...)...)
	assert.Zero(t, temporal.cancels, "a workflow the user named may be another starter's: it is not cancelled")
	assert.Contains(t, stderr.String(), "starter cancel nightly", "the user is told how to cancel it should it have started")
}

func TestRunInterruptedWhileStartingCancelsTheWorkflowThatStarted(t *testing.T) {
	temporal, stderr := interruptWhileStarting(t, true, runArgs...)
	assert.Empty(t, temporal.running(), "the workflow is cancelled")
	assert.Contains(t, stderr.String(), "cancelling workflow")
	assert.Contains(t, stderr.String(), "cancelled", "the starter followed the workflow until it ended")
}

func TestRunFollowsTheWorkflowToItsExitCode(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	temporal.onStart = func(context.Context) error {
		temporal.mu.Lock()
		defer temporal.mu.Unlock()
		for _, w := range temporal.workflows {
			w.complete(3)
		}
		return nil
	}
	c.dialTemporal = temporal.dial
	_, wait := startCLI(t, c, runArgs...)
	require.Equal(t, 3, wait(), stderr.String())
	assert.Zero(t, temporal.cancels)
}

func TestRunInterruptedAsTheWorkflowClosesExitsWithTheContainersCode(t *testing.T) {
	c, _, stderr := testCLI(nil)
	temporal := newFakeTemporal()
	temporal.onCancel = func(w *fakeWorkflow) { w.complete(3) } // the task exited as Ctrl-C came
	c.dialTemporal = temporal.dial
	interrupts, wait := startCLI(t, c, runArgs...)
	<-temporal.queried
	interrupts <- os.Interrupt
	assert.Equal(t, 3, wait(), stderr.String())
	assert.Contains(t, stderr.String(), "already closed")
	assert.NotContains(t, stderr.String(), "cancel workflow", "a workflow that closed first is no cancellation failure")
}
