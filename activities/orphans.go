package activities

import (
	"context"
	"errors"
)

// StopTasksStartedBy stops every task of the cluster whose startedBy is
// in.StartedBy and that has not stopped yet, and returns their ARNs.
// STUB: to be implemented (ListTasks by startedBy, then StopTask each).
func (a *Activities) StopTasksStartedBy(ctx context.Context, in StopStartedByInput) ([]string, error) {
	return nil, errors.New("StopTasksStartedBy: not implemented")
}
