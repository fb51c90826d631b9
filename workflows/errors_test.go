package workflows

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	failurepb "go.temporal.io/api/failure/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/temporal-ecs/temporal-ecs/activities"
)

// activityFailure builds the error a workflow sees for a failed activity,
// as the SDK decodes it from the server's failure.
func activityFailure(retryState enumspb.RetryState, cause *failurepb.Failure) error {
	f := &failurepb.Failure{
		Message: "activity error",
		Cause:   cause,
		FailureInfo: &failurepb.Failure_ActivityFailureInfo{ActivityFailureInfo: &failurepb.ActivityFailureInfo{
			ActivityType: nil, RetryState: retryState,
		}},
	}
	return temporal.GetDefaultFailureConverter().FailureToError(f)
}

func appFailure(msg, typ string, nonRetryable bool) *failurepb.Failure {
	return &failurepb.Failure{Message: msg, FailureInfo: &failurepb.Failure_ApplicationFailureInfo{
		ApplicationFailureInfo: &failurepb.ApplicationFailureInfo{Type: typ, NonRetryable: nonRetryable},
	}}
}

func TestStepError(t *testing.T) {
	for name, tc := range map[string]struct {
		err          error
		timeoutType  string
		wantType     string
		nonRetryable bool
	}{
		"activity type kept": {
			err:      activityFailure(enumspb.RETRY_STATE_NON_RETRYABLE_FAILURE, appFailure("CannotPullContainerError", "TaskFailedToStart", true)),
			wantType: "TaskFailedToStart", nonRetryable: true,
		},
		"retryable kept retryable": {
			err:      activityFailure(enumspb.RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, appFailure("throttled", "ThrottlingException", false)),
			wantType: "ThrottlingException",
		},
		"retries out of time": {
			err:         activityFailure(enumspb.RETRY_STATE_TIMEOUT, appFailure("connection refused", "", false)),
			timeoutType: activities.ErrTaskStartTimeout, wantType: activities.ErrTaskStartTimeout, nonRetryable: true,
		},
		"timeout": {
			err:         activityFailure(enumspb.RETRY_STATE_TIMEOUT, &failurepb.Failure{Message: "timeout", FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: enumspb.TIMEOUT_TYPE_SCHEDULE_TO_CLOSE}}}),
			timeoutType: activities.ErrTaskStartTimeout, wantType: activities.ErrTaskStartTimeout, nonRetryable: true,
		},
		"timeout without a type for it": {
			err:      activityFailure(enumspb.RETRY_STATE_TIMEOUT, &failurepb.Failure{Message: "timeout", FailureInfo: &failurepb.Failure_TimeoutFailureInfo{TimeoutFailureInfo: &failurepb.TimeoutFailureInfo{TimeoutType: enumspb.TIMEOUT_TYPE_HEARTBEAT}}}),
			wantType: "",
		},
	} {
		t.Run(name, func(t *testing.T) {
			err := stepError("the step failed", tc.timeoutType, tc.err)
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app))
			assert.Equal(t, tc.wantType, app.Type())
			assert.Equal(t, tc.nonRetryable, app.NonRetryable())
			assert.ErrorIs(t, err, tc.err, "the activity error is the cause")
			assert.Contains(t, err.Error(), "the step failed")
		})
	}
}

func TestNonZeroExit(t *testing.T) {
	res := &activities.TaskResult{TaskArn: testTaskArn, ExitCode: 137, StopCode: "EssentialContainerExited", StoppedReason: "OutOfMemoryError"}
	err := nonZeroExit("main", res)
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	assert.Equal(t, ErrTaskExitedNonZero, app.Type())
	assert.True(t, app.NonRetryable())
	assert.Equal(t, `container "main" of task `+testTaskArn+` exited with code 137 (EssentialContainerExited: OutOfMemoryError)`, app.Message())
	var got *activities.TaskResult // not yet encoded: details hold the value as given
	require.NoError(t, app.Details(&got))
	assert.Equal(t, res, got)
}
