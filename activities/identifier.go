package activities

import (
	"fmt"
	"strings"

	"go.temporal.io/sdk/temporal"
)

// identifierSep separates the cluster from the task ARN in an identifier;
// ARNs contain single colons, so a double one is unambiguous.
const identifierSep = "::"

// FormatIdentifier returns "<cluster>::<taskArn>".
func FormatIdentifier(cluster, taskArn string) string {
	return cluster + identifierSep + taskArn
}

// ParseIdentifier splits "<cluster>::<taskArn>"; anything else is a
// non-retryable InvalidIdentifier error.
func ParseIdentifier(id string) (cluster, taskArn string, err error) {
	cluster, taskArn, ok := strings.Cut(id, identifierSep)
	if !ok || cluster == "" || taskArn == "" {
		return "", "", temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("invalid task identifier %q: want <cluster>::<taskArn>", id), ErrInvalidIdentifier, nil)
	}
	return cluster, taskArn, nil
}

// clusterName returns the name of a cluster given by name or ARN
// (arn:aws:ecs:region:account:cluster/NAME).
func clusterName(cluster string) string {
	if strings.HasPrefix(cluster, "arn:") {
		if _, name, ok := strings.Cut(cluster, ":cluster/"); ok {
			return name
		}
	}
	return cluster
}

// sameCluster reports whether a and b, each a name or an ARN, name the same
// cluster: two ARNs must be equal, a name matches an ARN's name part.
func sameCluster(a, b string) bool {
	if a == b {
		return true
	}
	if strings.HasPrefix(a, "arn:") && strings.HasPrefix(b, "arn:") {
		return false
	}
	return clusterName(a) == clusterName(b)
}

// taskID is the last part of a task ARN (arn:...:task/CLUSTER/ID), used in
// awslogs stream names.
func taskID(taskArn string) string {
	if i := strings.LastIndexByte(taskArn, '/'); i >= 0 {
		return taskArn[i+1:]
	}
	return taskArn
}
