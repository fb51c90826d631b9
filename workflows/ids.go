package workflows

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
)

// maxStartedBy is ECS's limit on RunTask's startedBy.
const maxStartedBy = 128

// clientToken derives the idempotency token of the n-th RunTask activity of
// a workflow execution (n counts from 1; each RunTask the workflow retries
// after a failure, or runs after a re-registered task definition, takes
// the next): the same for every attempt and replay of one run, different
// for every other run. runID is the original run ID (which a reset keeps,
// so that a reset run gets back the task of the run it replaced), or the
// run ID in executions recorded before changeOwnedTasks. ECS accepts up to 64 characters in the
// ASCII range 33-126; a hex SHA-256 is exactly 64.
//
// ECS ties a token to its request: the same token with another task
// definition is an idempotency error. The second RunTask therefore needs a
// token of its own, and not the first one plus "-2": the RunTask activity
// itself derives the tokens of its calls after a failed one that way (then
// re-hashed), so the first activity may already have used it. A token
// hashed from another preimage collides with none of those. (RunTask no
// longer derives tokens itself since changeOwnedTasks.)
func clientToken(namespace, workflowID, runID string, n int) string {
	parts := []string{"temporal-ecs/RunTask", namespace, workflowID, runID}
	if n > 1 {
		parts = append(parts, "#"+strconv.Itoa(n))
	}
	h := sha256.New()
	for _, s := range parts {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// startedBy derives RunTask's startedBy from the workflow ID, so that
// `aws ecs list-tasks --started-by` finds a workflow's task. ECS allows
// letters, digits, '-', '/' and '_', up to 128 characters: every other
// character becomes '_', and a longer ID keeps its head and gains a short
// hash of the whole ID so that distinct IDs stay distinct.
func startedBy(workflowID string) string {
	if workflowID == "" {
		return "temporal-ecs"
	}
	var b strings.Builder
	for _, r := range workflowID {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '/', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if len(s) <= maxStartedBy {
		return s
	}
	sum := sha256.Sum256([]byte(workflowID))
	suffix := "-" + hex.EncodeToString(sum[:])[:12]
	return s[:maxStartedBy-len(suffix)] + suffix
}
