package activities

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/smithy-go"
	"go.temporal.io/sdk/temporal"
)

// This file is the one place that classifies AWS errors and failures.
//
// Most cases are told apart by type (errors.As on the SDK's modeled
// exceptions) or by the smithy error code. A few are not: ECS reports them
// only through a generic ClientException or InvalidParameterException whose
// message is the sole discriminator (ECS has no modeled type and no error
// code of their own for "too many concurrent revisions", "no container
// instances", an inactive task definition, a capacity provider or network
// problem, an execution role without logs permissions, or an IAM denial
// reported as a ClientException). Those messages are inspected here, and
// only here, by apiMessageHas.

// wrapAWS adds context to an AWS error while keeping its error code as the
// type Temporal reports, so that workflows and callers can still match on
// it: returned as is, the SDK's *smithy.OperationError wrapper would be
// reported as "OperationError", and a plain fmt wrap as "wrapError". The
// error is retryable (retrying what is known not to help is refused by a
// classified error instead) and err stays its cause. An error that is not
// an AWS API error (a transport failure, a cancellation) is wrapped with
// fmt.
func wrapAWS(err error, format string, args ...any) error {
	what := fmt.Sprintf(format, args...)
	if code := apiCode(err); code != "" {
		return temporal.NewApplicationErrorWithCause(what+": "+err.Error(), code, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// awsCause is err as the cause of a classified error: an AWS API error
// becomes an application error typed by its error code, as in wrapAWS,
// with err as its own cause; any other error is returned as is.
func awsCause(err error) error {
	if code := apiCode(err); code != "" {
		return temporal.NewApplicationErrorWithCause(err.Error(), code, err)
	}
	return err
}

// classified is the non-retryable error of type kind (one of the Err*
// constants) for what retrying cannot fix, with the AWS error err, typed
// by its code, as its cause.
func classified(kind, msg string, err error) error {
	return temporal.NewNonRetryableApplicationError(msg, kind, awsCause(err))
}

// apiCode returns the smithy error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// apiMessageHas reports whether err is an AWS API error of type T whose
// message contains every one of parts (case-insensitively).
func apiMessageHas[T interface {
	*types.ClientException | *types.InvalidParameterException | *types.AccessDeniedException
	error
	ErrorMessage() string
}](err error, parts ...string) bool {
	var typed T
	if !errors.As(err, &typed) {
		return false
	}
	msg := strings.ToLower(typed.ErrorMessage())
	for _, p := range parts {
		if !strings.Contains(msg, strings.ToLower(p)) {
			return false
		}
	}
	return true
}

func isClusterNotFound(err error) bool {
	var e *types.ClusterNotFoundException
	return errors.As(err, &e)
}

// persistentCodes are the error codes of calls refused for a reason that no
// retry fixes, only a change of IAM policy or credentials: a denied action
// (AccessDenied, AccessDeniedException, UnauthorizedOperation) and unknown,
// invalid or expired credentials (InvalidClientTokenId,
// UnrecognizedClientException, ExpiredToken, ExpiredTokenException). A
// credential provider's failure (an AssumeRole denied) carries the STS
// error, so it is classified by the same codes.
var persistentCodes = map[string]bool{
	"AccessDenied":                true,
	"AccessDeniedException":       true,
	"UnauthorizedOperation":       true,
	"InvalidClientTokenId":        true,
	"UnrecognizedClientException": true,
	"ExpiredToken":                true,
	"ExpiredTokenException":       true,
}

// persistentCode returns the error code of err when it is one of
// persistentCodes, or a ClientException about IAM permissions (ECS reports
// some denials so, with IAM's "is not authorized to perform" as the only
// discriminator); "" otherwise. ClusterNotFoundException is not one: the
// waits fail on it at once (see taskPolls.observe).
func persistentCode(err error) string {
	if code := apiCode(err); persistentCodes[code] {
		return code
	}
	if apiMessageHas[*types.ClientException](err, "is not authorized to perform") {
		return apiCode(err)
	}
	return ""
}

// isConcurrentRevision is ECS's refusal to register a revision while others
// of the same family are being created.
func isConcurrentRevision(err error) bool {
	return apiMessageHas[*types.ClientException](err, "too many concurrent attempts to create a new revision")
}

// isNoContainerInstances is RunTask on an EC2 cluster without instances.
func isNoContainerInstances(err error) bool {
	return apiMessageHas[*types.InvalidParameterException](err, "no container instances") ||
		apiMessageHas[*types.ClientException](err, "no container instances")
}

// isTaskDefinitionInactive is RunTask with a deregistered revision.
func isTaskDefinitionInactive(err error) bool {
	return apiMessageHas[*types.ClientException](err, "taskdefinition", "inactive") ||
		apiMessageHas[*types.ClientException](err, "task definition", "inactive") ||
		apiMessageHas[*types.InvalidParameterException](err, "task definition", "inactive")
}

// isCapacityProviderProblem is an invalid capacity provider strategy or a
// cluster without the capacity it names.
func isCapacityProviderProblem(err error) bool {
	for _, p := range []string{"capacity provider", "capacityprovider", "no capacity"} {
		if apiMessageHas[*types.InvalidParameterException](err, p) || apiMessageHas[*types.ClientException](err, p) {
			return true
		}
	}
	return false
}

// isNetworkProblem is an InvalidParameterException about the subnets,
// security groups or network configuration.
func isNetworkProblem(err error) bool {
	for _, p := range []string{"subnet", "security group", "securitygroup", "network"} {
		if apiMessageHas[*types.InvalidParameterException](err, p) {
			return true
		}
	}
	return false
}

// isMissingLogsPermissions is the awslogs driver refusing to start because
// the execution role may not write logs. ECS reports it either on RunTask
// or, more often, as the stopped reason of a task that never ran.
func isMissingLogsPermissions(err error) bool {
	for _, check := range []func(error, ...string) bool{
		apiMessageHas[*types.ClientException], apiMessageHas[*types.InvalidParameterException], apiMessageHas[*types.AccessDeniedException],
	} {
		if check(err, "failed to validate logger args", "accessdenied") {
			return true
		}
	}
	return false
}

// stoppedForLogsPermissions is isMissingLogsPermissions for a stopped
// task's reason, which is plain text and not an error.
func stoppedForLogsPermissions(reason string) bool {
	r := strings.ToLower(reason)
	return strings.Contains(r, "failed to validate logger args") && strings.Contains(r, "accessdenied")
}

// isVpcNotFound is DescribeVpcs with an unknown VPC ID.
func isVpcNotFound(err error) bool {
	return apiCode(err) == "InvalidVpcID.NotFound"
}

// retryableFailure reports whether a RunTask failure entry is one that
// retrying can fix: a lack of resources, of capacity or of an agent.
// Failures are data in a successful response, so their reason is a field
// to read, not an error to classify.
func retryableFailure(f types.Failure) bool {
	reason := strings.ToUpper(aws.ToString(f.Reason))
	return strings.HasPrefix(reason, "RESOURCE:") || reason == "AGENT" || strings.Contains(reason, "CAPACITY")
}
