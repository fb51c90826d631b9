package job

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Owner names the workflow execution an ECS task belongs to. Every task
// the product starts carries it as tags (OwnerTags), and nothing stops a
// task whose tags do not name the workflow that asks.
type Owner struct {
	Namespace  string `json:"namespace"`
	WorkflowID string `json:"workflowId"`
	// RunID is the run that started the task.
	RunID string `json:"runId"`
	// OriginalRunID is the run ID a workflow reset keeps
	// (WorkflowInfo.OriginalRunID): the runs of one chain share it, so a
	// reset run recognises the task the run it replaced started.
	OriginalRunID string `json:"originalRunId"`
}

// Tag keys of the owner. Jobs may not set tags under TagPrefix.
const (
	TagPrefix           = "temporal-ecs:"
	TagNamespace        = TagPrefix + "namespace"
	TagWorkflowID       = TagPrefix + "workflow-id"
	TagRunID            = TagPrefix + "run-id"
	TagOriginalRunID    = TagPrefix + "original-run-id"
	startedByPrefix     = "temporal-ecs/"
	maxTagValue         = 256
	encodedPrefix       = "b64:"
	continuationKeySep  = "/"
	startedByDigestSize = 16 // bytes of SHA-256, hex-encoded
)

// StartedByPrefix begins the startedBy of every task the product starts.
const StartedByPrefix = startedByPrefix

// tagSafe is the character set ECS accepts in tag values.
var tagSafe = regexp.MustCompile(`^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$`)

// Valid reports whether the owner names a workflow execution.
func (o Owner) Valid() bool {
	return o.Namespace != "" && o.WorkflowID != "" && o.RunID != "" && o.OriginalRunID != ""
}

// SameChain reports whether o and other name the same workflow chain:
// namespace, workflow ID and original run ID. A reset run is in the chain
// of the run it replaced; a new run reusing the workflow ID is not.
func (o Owner) SameChain(other Owner) bool {
	return o.Namespace == other.Namespace && o.WorkflowID == other.WorkflowID && o.OriginalRunID == other.OriginalRunID
}

// StartedBy is the startedBy of the owner's tasks, for ListTasks filtering:
// a digest of the namespace and workflow ID, so that no two workflows
// share it (`etl.daily` and `etl_daily`, or one ID in two namespaces).
func (o Owner) StartedBy() string {
	sum := sha256.Sum256([]byte(o.Namespace + "\x00" + o.WorkflowID))
	return startedByPrefix + hex.EncodeToString(sum[:startedByDigestSize])
}

// String is the owner as a person reads it.
func (o Owner) String() string {
	return fmt.Sprintf("workflow %s (run %s) in namespace %s", o.WorkflowID, o.RunID, o.Namespace)
}

// Tags returns the owner as ECS tags (wire casing, key and value). A value
// outside ECS's tag character set is base64-encoded behind "b64:", and one
// longer than a tag value may be is split across keys "<key>/2", "<key>/3".
func (o Owner) Tags() []map[string]any {
	var out []map[string]any
	for _, kv := range [][2]string{
		{TagNamespace, o.Namespace}, {TagWorkflowID, o.WorkflowID},
		{TagRunID, o.RunID}, {TagOriginalRunID, o.OriginalRunID},
	} {
		for i, part := range splitTagValue(encodeTagValue(kv[1])) {
			key := kv[0]
			if i > 0 {
				key += continuationKeySep + strconv.Itoa(i+1)
			}
			out = append(out, map[string]any{"key": key, "value": part})
		}
	}
	return out
}

// OwnerFromTags reads the owner from a task's tags (key → value); ok is
// false when they do not name one completely.
func OwnerFromTags(tags map[string]string) (o Owner, ok bool) {
	read := func(key string) (string, bool) {
		v, found := tags[key]
		if !found {
			return "", false
		}
		for i := 2; ; i++ {
			part, more := tags[key+continuationKeySep+strconv.Itoa(i)]
			if !more {
				break
			}
			v += part
		}
		return decodeTagValue(v)
	}
	var oks [4]bool
	o.Namespace, oks[0] = read(TagNamespace)
	o.WorkflowID, oks[1] = read(TagWorkflowID)
	o.RunID, oks[2] = read(TagRunID)
	o.OriginalRunID, oks[3] = read(TagOriginalRunID)
	return o, oks[0] && oks[1] && oks[2] && oks[3] && o.Valid()
}

func encodeTagValue(v string) string {
	if tagSafe.MatchString(v) && !strings.HasPrefix(v, encodedPrefix) {
		return v
	}
	return encodedPrefix + base64.RawURLEncoding.EncodeToString([]byte(v))
}

func decodeTagValue(v string) (string, bool) {
	rest, encoded := strings.CutPrefix(v, encodedPrefix)
	if !encoded {
		return v, true
	}
	b, err := base64.RawURLEncoding.DecodeString(rest)
	return string(b), err == nil
}

// splitTagValue cuts v into parts of at most maxTagValue bytes, at rune
// boundaries.
func splitTagValue(v string) []string {
	parts := []string{}
	for len(v) > maxTagValue {
		cut := maxTagValue
		for cut > 0 && !isRuneStart(v[cut]) {
			cut--
		}
		parts = append(parts, v[:cut])
		v = v[cut:]
	}
	return append(parts, v)
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// maxTaskTags is ECS's limit on the tags of a task.
const maxTaskTags = 50

// AddOwner completes a RunTask request body (BuildRunRequest's) with the
// owner: its startedBy and its tags after the job's own. A request whose
// tags would then pass ECS's limit of 50 is an *Error on labels.
func AddOwner(req map[string]any, o Owner) error {
	req["startedBy"] = o.StartedBy()
	tags := arrayAt(req, "tags")
	for _, t := range o.Tags() {
		tags = append(tags, t)
	}
	if len(tags) > maxTaskTags {
		return errorf("labels", "the task would carry %d tags, %d of them temporal-ecs's own, and ECS allows %d: drop %d labels or tags",
			len(tags), len(o.Tags()), maxTaskTags, len(tags)-maxTaskTags)
	}
	req["tags"] = tags
	return nil
}
