// Command starter starts, follows and cancels RunECSTask workflows: `starter
// run` behaves like `docker run` for an ECS task. See `starter --help`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"go.temporal.io/sdk/client"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

func main() {
	interrupts := make(chan os.Signal, 2)
	signal.Notify(interrupts, os.Interrupt, syscall.SIGTERM)
	os.Exit(cliMain(os.Args[1:], &cli{
		stdin:      os.Stdin,
		stdout:     os.Stdout,
		stderr:     os.Stderr,
		lookupEnv:  os.LookupEnv,
		interrupts: interrupts,
	}))
}

// cli is what a subcommand may use of its process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookupEnv      func(string) (string, bool)
	// interrupts receives SIGINT and SIGTERM.
	interrupts <-chan os.Signal
	// command is the subcommand being run, for its help.
	command command
	// dialTemporal, when set, replaces dialling the Temporal server the
	// flags and environment name (tests).
	dialTemporal func(ctx context.Context) (client.Client, error)
}

// command is one subcommand. run returns the process's exit status; an
// error is printed in one line and exits 1 (2 for a usage error).
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, c *cli, args []string) (int, error)
}

var commands = []command{
	{"run", "[flags] [--] [command ...]\n       starter run --attach --workflow-id ID [flags]", "start a job (or, with --attach, follow a running one), stream its status and logs, exit with the container's exit code", runCmd},
	{"start", "[flags] [--] [command ...]", "start a job and print its workflow ID", startCmd},
	{"status", "[flags] WORKFLOW_ID", "print a job's status", statusCmd},
	{"logs", "[flags] WORKFLOW_ID", "print a job's container logs (-f to follow)", logsCmd},
	{"cancel", "[flags] WORKFLOW_ID", "cancel a job: its ECS task is stopped", cancelCmd},
	{"preview", "[flags] [--] [command ...]", "print the task definition and RunTask request a job would send, without calling AWS or Temporal", previewCmd},
	{"schema", "", "print the JSON Schema of the job configuration (for editors and validators)", schemaCmd},
	{"codec-server", "[flags]", "serve the payload codec over HTTP (/encode, /decode) for the Web UI and `temporal --codec-endpoint`", codecServerCmd},
}

func usage(w io.Writer) {
	fmt.Fprint(w, "Usage: starter COMMAND [flags] [args]\n\nRuns ECS tasks through the temporal-ecs RunECSTask workflow.\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun `starter COMMAND --help` for a command's flags.\n")
}

// cliMain runs the subcommand args name and returns the exit status.
func cliMain(args []string, c *cli) int {
	if len(args) == 0 {
		usage(c.stderr)
		return 2
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(c.stdout)
		return 0
	}
	for _, cmd := range commands {
		if cmd.name != args[0] {
			continue
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		interrupted := make(chan struct{})
		if cmd.name != "run" { // run handles interrupts itself
			go func() {
				select {
				case <-c.interrupts:
					close(interrupted)
					cancel()
				case <-ctx.Done():
				}
			}()
		}
		c.command = cmd
		code, err := cmd.run(ctx, c, args[1:])
		select {
		case <-interrupted:
			return 130 // Ctrl-C: like a shell, no message
		default:
		}
		switch {
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(cliflags.UsageError)):
			fmt.Fprintf(c.stderr, "starter %s: %v\n", cmd.name, err)
			return 2
		case err != nil:
			fmt.Fprintf(c.stderr, "starter %s: %v\n", cmd.name, err)
			if code == 0 {
				code = 1
			}
		}
		return code
	}
	fmt.Fprintf(c.stderr, "starter: unknown command %q (see starter --help)\n", args[0])
	return 2
}
