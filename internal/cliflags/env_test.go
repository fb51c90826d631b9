package cliflags_test

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/temporal-ecs/temporal-ecs/internal/cliflags"
)

func lookup(vars map[string]string) cliflags.LookupFunc {
	return func(k string) (string, bool) {
		v, ok := vars[k]
		return v, ok
	}
}

type settings struct {
	queue   string
	delay   time.Duration
	verbose bool
}

func newFlagSet(s *settings, env *cliflags.Env) *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&s.queue, "queue", "default-queue", env.Bind("queue", "APP_QUEUE", "task `queue`"))
	fs.DurationVar(&s.delay, "delay", time.Second, env.Bind("delay", "APP_DELAY", "retry delay"))
	fs.BoolVar(&s.verbose, "verbose", false, "no variable")
	return fs
}

func TestBindAppendsTheVariableToTheUsage(t *testing.T) {
	var env cliflags.Env
	assert.Equal(t, "task `queue` (env APP_QUEUE)", env.Bind("queue", "APP_QUEUE", "task `queue`"))
	v, ok := env.Variable("queue")
	assert.True(t, ok)
	assert.Equal(t, "APP_QUEUE", v)
	_, ok = env.Variable("other")
	assert.False(t, ok)

	env.Bind("queue", "APP_QUEUE_2", "again")
	v, _ = env.Variable("queue")
	assert.Equal(t, "APP_QUEUE_2", v, "binding again replaces the variable")
}

func TestApplyFillsWhatTheCommandLineLeftUnset(t *testing.T) {
	vars := map[string]string{"APP_QUEUE": "from-env", "APP_DELAY": "3s", "verbose": "true"}

	var s settings
	var env cliflags.Env
	fs := newFlagSet(&s, &env)
	require.NoError(t, fs.Parse(nil))
	require.NoError(t, env.Apply(fs, lookup(vars)))
	assert.Equal(t, settings{queue: "from-env", delay: 3 * time.Second}, s, "unbound flags are not read from the environment")
	var set []string
	fs.Visit(func(f *flag.Flag) { set = append(set, f.Name) })
	assert.ElementsMatch(t, []string{"queue", "delay"}, set, "flags set from the environment count as set")

	s = settings{}
	env = cliflags.Env{}
	fs = newFlagSet(&s, &env)
	require.NoError(t, fs.Parse([]string{"--queue=from-flag"}))
	require.NoError(t, env.Apply(fs, lookup(vars)))
	assert.Equal(t, "from-flag", s.queue, "the command line wins")
	assert.Equal(t, 3*time.Second, s.delay)
}

func TestApplyIgnoresEmptyVariables(t *testing.T) {
	var s settings
	var env cliflags.Env
	fs := newFlagSet(&s, &env)
	require.NoError(t, fs.Parse(nil))
	require.NoError(t, env.Apply(fs, lookup(map[string]string{"APP_QUEUE": ""})))
	assert.Equal(t, "default-queue", s.queue)
}

func TestApplyNamesTheVariableOfABadValue(t *testing.T) {
	var s settings
	var env cliflags.Env
	fs := newFlagSet(&s, &env)
	require.NoError(t, fs.Parse(nil))
	err := env.Apply(fs, lookup(map[string]string{"APP_DELAY": "soon"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `invalid value "soon" for APP_DELAY`)
	assert.NotContains(t, err.Error(), "\n")
}

func TestApplyRefusesAnUndefinedFlag(t *testing.T) {
	var env cliflags.Env
	env.Bind("missing", "APP_MISSING", "")
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	require.NoError(t, fs.Parse(nil))
	assert.ErrorContains(t, env.Apply(fs, lookup(map[string]string{"APP_MISSING": "x"})), "APP_MISSING")
}

func TestParseAppliesTheEnvironmentAndMakesUsageErrors(t *testing.T) {
	var s settings
	var env cliflags.Env
	fs := newFlagSet(&s, &env)
	require.NoError(t, env.Parse(fs, []string{"--verbose"}, lookup(map[string]string{"APP_QUEUE": "from-env"})))
	assert.Equal(t, settings{queue: "from-env", delay: time.Second, verbose: true}, s)

	for name, tc := range map[string]struct {
		args []string
		vars map[string]string
	}{
		"unknown flag":          {args: []string{"--bogus"}},
		"bad environment value": {vars: map[string]string{"APP_DELAY": "soon"}},
	} {
		env = cliflags.Env{}
		err := env.Parse(newFlagSet(&s, &env), tc.args, lookup(tc.vars))
		assert.True(t, errors.As(err, new(cliflags.UsageError)), "%s: %v", name, err)
		assert.True(t, strings.HasSuffix(err.Error(), " (see --help)"), "%s: %v", name, err)
	}

	env = cliflags.Env{}
	assert.Equal(t, flag.ErrHelp, env.Parse(newFlagSet(&s, &env), []string{"-h"}, lookup(nil)), "help is not a usage error")
}
