package job

import (
	"fmt"
)

// Placeholders for the values a preview cannot know.
const (
	PlaceholderTaskDefinitionArn = "<registered at runtime>"
	PlaceholderDefaultVPCSubnets = "<loaded from the default VPC at runtime>"
	PlaceholderRegion            = "<the worker's region>"
	PlaceholderContainerName     = "<the task definition's container, known at runtime>"
)

// PreviewResult is what a job would send: the task definition to register
// (null when the job names one by ARN) and the RunTask request, with
// placeholders for what is only known at run time, and the job's warnings.
type PreviewResult struct {
	// TaskDefinition is the RegisterTaskDefinition body; nil with taskDefinitionArn.
	TaskDefinition map[string]any `json:"taskDefinition"`
	// TaskRunRequest is the RunTask body, customizations applied.
	TaskRunRequest map[string]any `json:"taskRunRequest"`
	// FallbackRunRequest is the RunTask body of the retries of an
	// interrupted task (interruptionFallback); nil without a fallback.
	FallbackRunRequest map[string]any `json:"fallbackRunTaskRequest,omitempty"`
	// Warnings are the job's configuration warnings and the preview's notes.
	Warnings []string `json:"warnings,omitempty"`
}

// Preview prepares the job like Prepare, without AWS or Temporal, and
// returns the task definition and the RunTask request it would send. The
// placeholders: taskDefinition "<registered at runtime>" (or the job's
// ARN); inferred subnets "<loaded from the default VPC at runtime>" or
// "<loaded from VPC <id> at runtime>"; the region, when neither the job nor
// opts name one, "<the worker's region>". clientToken and startedBy, set
// from the workflow at run time, are left out. With a definition given by
// ARN, the network configuration depends on its network mode and is left
// out unless the job gives a custom one.
func Preview(raw []byte, opts PrepareOptions) (*PreviewResult, error) {
	if opts.Region == "" {
		opts.Region = PlaceholderRegion
	}
	p, err := Prepare(raw, opts)
	if err != nil {
		return nil, err
	}
	arn := p.TaskDefinitionArn
	mode := p.NetworkMode
	warnings := p.Warnings
	if arn == "" {
		arn = PlaceholderTaskDefinitionArn
	} else {
		mode = "awsvpc" // a custom network shows; an inferred one depends on the definition
		if p.ContainerName == "" {
			p.ContainerName = PlaceholderContainerName
		}
		warnings = append(warnings, fmt.Sprintf("the network configuration depends on the network mode of %s, known at runtime", arn))
	}
	var network map[string]any
	if needed, vpcID, custom := p.NeedsNetwork(mode); needed {
		switch {
		case custom != nil:
			network = networkBody(*custom)
		case p.TaskDefinitionArn == "":
			subnets := PlaceholderDefaultVPCSubnets
			if vpcID != "" {
				subnets = fmt.Sprintf("<loaded from VPC %s at runtime>", vpcID)
			}
			network, _ = InferredNetwork(vpcID, []string{subnets})
		}
	}
	req, err := BuildRunRequest(p, arn, network, "", "")
	if err != nil {
		return nil, err
	}
	out := &PreviewResult{TaskDefinition: p.TaskDefinition, TaskRunRequest: req, Warnings: warnings}
	if p.Fallback != nil {
		fb, err := p.OnFallback()
		if err != nil {
			return nil, err
		}
		if out.FallbackRunRequest, err = BuildRunRequest(fb, arn, network, "", ""); err != nil {
			return nil, err
		}
	}
	return out, nil
}
