package workflows

import "github.com/temporal-ecs/temporal-ecs/activities"

// setOutput records what a wait activity reported of the container's
// output: where its log stream is (with its CloudWatch console address on
// AWS) and, from the result of the stopped task (final), whether the
// worker read all of it. It only changes the status the query and the
// current details show, never a command: no version marker is needed.
func (s *Status) setOutput(o *activities.OutputReport, final bool) {
	if o == nil {
		return
	}
	if o.LogStream != "" {
		s.LogGroup, s.LogStream = o.LogGroup, o.LogStream
		if o.LogRegion != "" {
			s.LogRegion = o.LogRegion
		}
	}
	if o.ConsoleURL != "" {
		s.LogConsoleURL = o.ConsoleURL
	}
	if final {
		c := *o
		s.Output = &c
	}
}

// outputLine renders, for the current details, an output that the worker
// did not read completely; "" otherwise.
func (s Status) outputLine() string {
	if s.Output == nil || s.Output.Complete {
		return ""
	}
	return "incomplete: " + s.Output.Reason
}
