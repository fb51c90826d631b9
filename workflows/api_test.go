package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/temporal-ecs/temporal-ecs/activities"
	"github.com/temporal-ecs/temporal-ecs/activities/job"
)

// A typed job.Config reaches RunECSTask as the JSON it parses strictly,
// on TaskQueue unless the parent chose another.
func TestExecuteChildSendsTheJobAsJSONOnTheTaskQueue(t *testing.T) {
	for name, queue := range map[string]string{"default": "", "chosen": "my-ecs"} {
		t.Run(name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestWorkflowEnvironment()
			var gotQueue string
			var got job.Config
			env.RegisterWorkflowWithOptions(func(ctx workflow.Context, raw json.RawMessage) (*activities.TaskResult, error) {
				gotQueue = workflow.GetInfo(ctx).TaskQueueName
				if _, err := job.Prepare(raw, job.PrepareOptions{}); err != nil {
					return nil, err
				}
				require.NoError(t, json.Unmarshal(raw, &got))
				return &activities.TaskResult{TaskArn: "arn:task", ExitCode: 0}, nil
			}, workflow.RegisterOptions{Name: WorkflowName})
			parent := func(ctx workflow.Context) (string, error) {
				res, err := ExecuteChild(ctx, workflow.ChildWorkflowOptions{TaskQueue: queue}, job.Config{Image: "busybox", Command: job.Command{"echo", "hi"}, LaunchType: job.Some("EC2")})
				if err != nil {
					return "", err
				}
				return res.TaskArn, nil
			}
			env.RegisterWorkflow(parent)
			env.ExecuteWorkflow(parent)
			require.NoError(t, env.GetWorkflowError())
			want := queue
			if want == "" {
				want = TaskQueue
			}
			assert.Equal(t, want, gotQueue)
			assert.Equal(t, job.Command{"echo", "hi"}, got.Command)
			assert.Equal(t, job.Some("EC2"), got.LaunchType)
		})
	}
}

// A parent that wraps the child's failure still gets its type and result.
func TestResultOfAndFailureTypeReadTheChildsFailureThroughWrapping(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := s.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, _ json.RawMessage) (*activities.TaskResult, error) {
		return nil, temporal.NewNonRetryableApplicationError("container exited with code 3", ErrTaskExitedNonZero, nil,
			activities.TaskResult{TaskArn: "arn:task", ExitCode: 3})
	}, workflow.RegisterOptions{Name: WorkflowName})
	parent := func(ctx workflow.Context) error {
		_, err := ExecuteChild(ctx, workflow.ChildWorkflowOptions{}, job.Config{Image: "busybox"})
		return fmt.Errorf("load: %w", err)
	}
	env.RegisterWorkflow(parent)
	env.ExecuteWorkflow(parent)
	err := env.GetWorkflowError()
	assert.Equal(t, ErrTaskExitedNonZero, FailureType(err))
	require.NotNil(t, ResultOf(err))
	assert.Equal(t, 3, ResultOf(err).ExitCode)

	cancelled := temporal.NewCanceledError(activities.TaskResult{TaskArn: "arn:task"})
	assert.Equal(t, "arn:task", ResultOf(cancelled).TaskArn)
	assert.Empty(t, FailureType(cancelled))
	invalid := temporal.NewNonRetryableApplicationError("image: required", ErrInvalidJobConfiguration, nil)
	assert.Nil(t, ResultOf(invalid), "no task ran")
	assert.Equal(t, ErrInvalidJobConfiguration, FailureType(invalid))
	assert.Nil(t, ResultOf(errors.New("boom")))
	assert.Empty(t, FailureType(nil))
}
