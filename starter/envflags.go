package main

import (
	"flag"
	"fmt"
	"sort"
)

// envVars binds flags to the environment variables that set them when the
// command line does not.
type envVars map[string]string

// bind records that flag name is set by env and returns usage with the
// variable's name appended, for the flag's definition.
func (e envVars) bind(name, env, usage string) string {
	e[name] = env
	return fmt.Sprintf("%s (env %s)", usage, env)
}

// apply sets each bound flag that the command line left unset from its
// environment variable, when that is set and not empty.
func (e envVars) apply(fs *flag.FlagSet, lookup func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	names := make([]string, 0, len(e))
	for name := range e {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if given[name] {
			continue
		}
		v, ok := lookup(e[name])
		if !ok || v == "" {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("invalid value %q for %s: %v", v, e[name], err)
		}
	}
	return nil
}
