package cliflags

import (
	"errors"
	"flag"
	"fmt"
)

// UsageError is a command-line error: the commands report it in one line
// that points at --help, and exit with status 2.
type UsageError struct{ Err error }

// Error returns the message, pointing at --help.
func (e UsageError) Error() string { return e.Err.Error() + " (see --help)" }

// Unwrap returns the error the command line caused.
func (e UsageError) Unwrap() error { return e.Err }

// UsageErrorf returns a UsageError with the formatted message.
func UsageErrorf(format string, args ...any) error {
	return UsageError{fmt.Errorf(format, args...)}
}

// Parse parses args with fs, then sets the flags the command line left
// unset from their environment variables (Apply). It returns flag.ErrHelp
// as is for -h and --help, any other error as a UsageError.
func (e *Env) Parse(fs *flag.FlagSet, args []string, lookup LookupFunc) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return UsageError{err}
	}
	if err := e.Apply(fs, lookup); err != nil {
		return UsageError{err}
	}
	return nil
}
