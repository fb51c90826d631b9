package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

// flagSet is a subcommand's flag.FlagSet with environment fallbacks and
// one-line errors.
type flagSet struct {
	*flag.FlagSet
	env  cliflags.Env
	help func(io.Writer)
}

// newFlagSet returns the flag set of the subcommand c runs.
func newFlagSet(c *cli) *flagSet {
	cmd := c.command
	fs := &flagSet{FlagSet: flag.NewFlagSet("starter "+cmd.name, flag.ContinueOnError)}
	fs.SetOutput(io.Discard) // errors are returned; help is printed by parse
	fs.Usage = func() {}
	fs.help = func(w io.Writer) {
		fmt.Fprintf(w, "Usage: starter %s %s\n\n%s.\n\nFlags:\n", cmd.name, cmd.args, capitalize(cmd.summary))
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	return fs
}

// parse parses args, then applies environment fallbacks. --help prints the
// help to c.stdout and returns flag.ErrHelp; other errors are
// cliflags.UsageErrors.
func (fs *flagSet) parse(c *cli, args []string) error {
	err := fs.env.Parse(fs.FlagSet, args, c.lookupEnv)
	if errors.Is(err, flag.ErrHelp) {
		fs.help(c.stdout)
	}
	return err
}

// given reports whether the command line or the environment set flag name.
func (fs *flagSet) given(name string) bool {
	found := false
	fs.Visit(func(f *flag.Flag) { found = found || f.Name == name })
	return found
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
