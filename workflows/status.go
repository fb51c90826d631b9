package workflows

import (
	"fmt"
	"strings"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// Phases of a RunECSTask workflow, as Status.Phase reports them.
const (
	PhasePreparing       = "preparing"
	PhaseRegistering     = "registering"
	PhaseStarting        = "starting"
	PhaseWaitingForStart = "waiting-for-start"
	PhaseRunning         = "running"
	PhaseStopping        = "stopping"
	PhaseDeregistering   = "deregistering"
	PhaseCompleted       = "completed"
	PhaseFailed          = "failed"
	PhaseCancelled       = "cancelled"
)

// Status is what the StatusQuery returns: where the workflow is and what it
// knows of its ECS task. Fields are empty until known.
type Status struct {
	// Phase is one of the Phase* constants.
	Phase string `json:"phase"`
	// Image is the orchestrated container's image.
	Image string `json:"image,omitempty"`
	// TaskDefinitionArn is the task definition the task runs.
	TaskDefinitionArn string `json:"taskDefinitionArn,omitempty"`
	// TaskArn is set once RunTask has started the task.
	TaskArn string `json:"taskArn,omitempty"`
	// Cluster is the cluster as the job named it, or as ECS returned it
	// when the job named none.
	Cluster string `json:"cluster,omitempty"`
	// LastStatus is the last ECS task status the workflow learnt: the one
	// of RunTask's response (PROVISIONING, ...) while it waits for the task
	// to start, then RUNNING, STOPPED. The wait activities report only when
	// they return (they poll far more often; their heartbeat details hold
	// the latest status).
	LastStatus string `json:"lastStatus,omitempty"`
	// ExitCode is the orchestrated container's exit code once the task has
	// stopped (-1 when ECS reported none).
	ExitCode      *int   `json:"exitCode,omitempty"`
	StopCode      string `json:"stopCode,omitempty"`
	StoppedReason string `json:"stoppedReason,omitempty"`
	// LogGroup, LogStream and LogRegion locate the container's awslogs
	// stream, when it has one.
	LogGroup  string `json:"logGroup,omitempty"`
	LogStream string `json:"logStream,omitempty"`
	LogRegion string `json:"logRegion,omitempty"`
	// LogConsoleURL opens the stream in the CloudWatch console, once the
	// task has started; empty unless the worker calls AWS's own endpoints.
	LogConsoleURL string `json:"logConsoleUrl,omitempty"`
	// Output, once the task has stopped, says whether the worker read all
	// of its output (see activities.OutputReport).
	Output *activities.OutputReport `json:"output,omitempty"`
	// Attempts are the tasks the job ran that ended, in order, with their
	// stop codes and reasons: more than one when tasks the infrastructure
	// interrupted ran again (retryOnInterruption).
	Attempts []activities.TaskAttempt `json:"attempts,omitempty"`
	// Error is the failure message of a failed workflow.
	Error string `json:"error,omitempty"`
	// Warnings are configuration warnings and cleanup problems.
	Warnings []string `json:"warnings,omitempty"`
}

// clone returns a copy that shares no memory with s, for the query handler.
func (s Status) clone() Status {
	c := s
	if s.ExitCode != nil {
		code := *s.ExitCode
		c.ExitCode = &code
	}
	c.Warnings = append([]string(nil), s.Warnings...)
	c.Attempts = append([]activities.TaskAttempt(nil), s.Attempts...)
	if s.Output != nil {
		o := *s.Output
		c.Output = &o
	}
	return c
}

// setTask records what RunTask returned.
func (s *Status) setTask(ref *activities.TaskRef) {
	s.TaskArn = ref.TaskArn
	if ref.Cluster != "" {
		s.Cluster = ref.Cluster
	} else if ref.ClusterArn != "" {
		s.Cluster = ref.ClusterArn
	}
	if ref.TaskDefinitionArn != "" {
		s.TaskDefinitionArn = ref.TaskDefinitionArn
	}
	if ref.LastStatus != "" {
		s.LastStatus = ref.LastStatus
	}
	s.LogGroup, s.LogStream, s.LogRegion = ref.LogGroup, ref.LogStream, ref.LogRegion
	s.LogConsoleURL, s.Output = "", nil // a new task's output: not located yet
}

// setResult records the outcome of a stopped task.
func (s *Status) setResult(res *activities.TaskResult) {
	if res.TaskArn != "" {
		s.TaskArn = res.TaskArn
	}
	if res.LastStatus != "" {
		s.LastStatus = res.LastStatus
	}
	code := res.ExitCode
	s.ExitCode = &code
	s.StopCode, s.StoppedReason = res.StopCode, res.StoppedReason
	if res.LogGroup != "" {
		s.LogGroup, s.LogStream = res.LogGroup, res.LogStream
	}
	s.setOutput(res.Output, true)
}

// markdown renders s as the workflow's current details for the Web UI.
func (s Status) markdown() string {
	var b strings.Builder
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "- **%s:** %s\n", label, value)
		}
	}
	code := func(v string) string {
		if v == "" {
			return ""
		}
		return "`" + strings.ReplaceAll(v, "`", "'") + "`"
	}
	line("Phase", s.Phase)
	line("Image", code(s.Image))
	line("Cluster", code(s.Cluster))
	line("Task definition", code(s.TaskDefinitionArn))
	line("Task", code(s.TaskArn))
	line("ECS status", s.LastStatus)
	if s.ExitCode != nil {
		line("Exit code", fmt.Sprint(*s.ExitCode))
	}
	if s.StopCode != "" {
		line("Stop", code(s.StopCode)+" "+s.StoppedReason)
	}
	if s.LogGroup != "" {
		line("Logs", code(s.LogGroup+"/"+s.LogStream))
	}
	line("Logs console", s.LogConsoleURL)
	line("Output", s.outputLine())
	if len(s.Attempts) > 0 {
		for i, a := range s.Attempts {
			line(fmt.Sprintf("Attempt %d", i+1), code(a.TaskArn)+" "+code(a.StopCode)+" "+a.StoppedReason)
		}
	}
	line("Error", s.Error)
	for _, w := range s.Warnings {
		line("Warning", w)
	}
	return b.String()
}
