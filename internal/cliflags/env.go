// Package cliflags holds what the worker and starter commands share about
// their command lines: flags that fall back to environment variables, and
// usage errors.
package cliflags

import (
	"flag"
	"fmt"
)

// LookupFunc reads an environment variable, like os.LookupEnv.
type LookupFunc func(key string) (string, bool)

// Env records which environment variable sets each flag of a flag set when
// the command line does not. The zero value is ready to use.
//
//	var env cliflags.Env
//	fs.StringVar(&queue, "task-queue", "ecs-tasks", env.Bind("task-queue", "TEMPORAL_ECS_TASK_QUEUE", "task queue to poll"))
//	if err := fs.Parse(args); err != nil { ... }
//	if err := env.Apply(fs, os.LookupEnv); err != nil { ... }
type Env struct {
	bindings []binding
}

type binding struct{ flag, variable string }

// Bind records that the environment variable named variable sets flag name
// and returns usage with "(env VARIABLE)" appended, for the flag's
// definition, so that --help lists the variable. Binding a flag again
// replaces its variable.
func (e *Env) Bind(name, variable, usage string) string {
	for i := range e.bindings {
		if e.bindings[i].flag == name {
			e.bindings[i].variable = variable
			return withVariable(usage, variable)
		}
	}
	e.bindings = append(e.bindings, binding{name, variable})
	return withVariable(usage, variable)
}

func withVariable(usage, variable string) string {
	return fmt.Sprintf("%s (env %s)", usage, variable)
}

// Variable returns the environment variable bound to flag name.
func (e *Env) Variable(name string) (string, bool) {
	for _, b := range e.bindings {
		if b.flag == name {
			return b.variable, true
		}
	}
	return "", false
}

// Apply sets, in the order they were bound, the flags of fs that the
// command line left unset from their environment variables, when those are
// set and not empty. Call it after fs.Parse: a flag given on the command
// line wins over its variable. A flag Apply sets counts as set for
// fs.Visit. A value the flag refuses is an error naming the variable; a
// bound name fs does not define is an error too (a programming mistake).
func (e *Env) Apply(fs *flag.FlagSet, lookup LookupFunc) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	for _, b := range e.bindings {
		if given[b.flag] {
			continue
		}
		v, ok := lookup(b.variable)
		if !ok || v == "" {
			continue
		}
		if fs.Lookup(b.flag) == nil {
			return fmt.Errorf("%s is bound to flag -%s, which is not defined", b.variable, b.flag)
		}
		if err := fs.Set(b.flag, v); err != nil {
			return fmt.Errorf("invalid value %q for %s: %v", v, b.variable, err)
		}
	}
	return nil
}
