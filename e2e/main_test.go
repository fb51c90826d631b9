// Package e2e_test runs temporal-ecs end to end: a real Temporal dev server
// (the CLI pinned in tools/go.mod), the worker and starter binaries, and the
// worker's in-process local ECS endpoint (--local-ecs). TestMain starts the
// server and one worker for the whole package and tears them down after.
package e2e_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// h is the package's shared environment; nil when skipReason is set.
var (
	h          *harness
	skipReason string
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) (code int) {
	flag.Parse()
	if testing.Short() {
		skipReason = "end-to-end tests do not run with -short"
		return m.Run()
	}
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	temporalBin, err := temporalCLI(root)
	if err != nil {
		reason := "cannot build the Temporal CLI from tools/go.mod: " + err.Error()
		if underCI(os.LookupEnv) {
			// A skipped suite would pass unnoticed: under CI it is a failure.
			fmt.Fprintln(os.Stderr, "e2e: failing (CI is set, so no skip):", reason)
			return 1
		}
		skipReason = reason
		fmt.Fprintln(os.Stderr, "e2e: skipping:", skipReason)
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "temporal-ecs-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	env := &harness{root: root, dir: dir, temporalBin: temporalBin}
	defer func() {
		if err := env.close(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: teardown:", err)
			if code == 0 {
				code = 1
			}
		}
		if code == 0 {
			_ = os.RemoveAll(dir)
		} else {
			fmt.Fprintln(os.Stderr, "e2e: logs kept in", dir)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := env.setUp(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: set-up:", err)
		return 1
	}
	h = env
	return m.Run()
}

// underCI reports whether the tests run under continuous integration: the
// CI variable, which CI services set to true, holds a true boolean.
func underCI(lookup func(string) (string, bool)) bool {
	v, _ := lookup("CI")
	ci, _ := strconv.ParseBool(v)
	return ci
}

// need skips t when the environment could not be set up.
func need(t *testing.T) *harness {
	t.Helper()
	if h == nil {
		t.Skip(skipReason)
	}
	return h
}
