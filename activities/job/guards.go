package job

import (
	"fmt"
	"strings"
)

// The guards: every RunTask request temporal-ecs sends carries count 1, the
// workflow's clientToken and startedBy, the job's cluster and the owner's
// tags (keys under TagPrefix). They are how a task is never started twice
// and never left running, so no job field may set or remove them: see
// checkReserved.

// reservedMember is a RunTask request member temporal-ecs sets itself.
type reservedMember struct {
	name string // ECS wire name
	why  string // what it is for, as a message
	// inBase reports whether taskRunRequest may hold it (prepareRunRequest
	// reads it there); count is allowed there only as 1.
	inBase bool
	// fix says what to do instead of a taskCustomizations operation.
	fix string
}

var reservedMembers = []reservedMember{
	{name: "count", why: "a job runs exactly one task, the one temporal-ecs watches and stops",
		fix: "drop the operation, or set /count to 1"},
	{name: "clientToken", why: "is set by temporal-ecs: it is the idempotency token that keeps a retried RunTask from starting a second task",
		fix: "drop the operation"},
	{name: "startedBy", why: "is set by temporal-ecs: it is how the workflow finds and stops the tasks it started",
		fix: "drop the operation"},
	// taskRunRequest.cluster is the job's cluster when the job sets none
	// (Prepare reads it), so only a patch can move the task elsewhere.
	{name: "cluster", inBase: true, why: "is set from the job's cluster field, the cluster temporal-ecs watches and stops the task in",
		fix: "set the job's cluster field instead"},
}

// reservedMemberNamed returns the reserved member a request member name
// stands for. The match ignores case, as the conversion to the SDK's
// RunTaskInput does.
func reservedMemberNamed(name string) (reservedMember, bool) {
	for _, m := range reservedMembers {
		if strings.EqualFold(m.name, name) {
			return m, true
		}
	}
	return reservedMember{}, false
}

// checkReserved refuses a job whose taskRunRequest, labels or
// taskCustomizations would set or remove what temporal-ecs sets on every
// RunTask request: count (other than 1), clientToken, startedBy, cluster
// (through a patch) and tags whose key begins with TagPrefix (in any case).
// It runs after validatePatch, so the operations are well formed. The
// error is an *Error naming the field, or the operation and its pointer.
//
// For taskCustomizations: test is allowed; remove, and move's from, may not
// touch a reserved member (removing tags is allowed: the owner's tags are
// added after the patch); add, replace, copy and move may not write one
// (count only as the literal 1), nor the root path, which stands for the
// whole request and would drop them. A tag written by add or replace is
// checked; one written by copy or move, whose value is known only at run
// time, is allowed only from the same kind of place among the tags (a tag
// from a tag, a key from a key), whose keys were checked on their way in.
func checkReserved(cfg *Config) error {
	if err := checkReservedBase(cfg.TaskRunRequest); err != nil {
		return err
	}
	for _, k := range sortedKeys(cfg.Labels) {
		if cfg.Labels[k] != nil && reservedTagKey(slugTag(k, 128)) {
			return errorf("labels."+k, "%s", reservedTagMessage(k))
		}
	}
	for i, op := range cfg.TaskCustomizations {
		if msg := checkReservedOp(op); msg != "" {
			return errorf(indexPath("taskCustomizations", i), "%s", msg)
		}
	}
	return nil
}

// checkReservedBase checks the base request (tags already normalised to an
// array by normalizeRunRequest).
func checkReservedBase(rr map[string]any) error {
	for _, m := range reservedMembers {
		v, set := rr[m.name]
		switch {
		case !set || v == nil:
		case m.name == "count":
			if n, ok := asInt(v); !ok || n != 1 {
				return errorf("taskRunRequest.count", "%s: remove count or set it to 1", m.why)
			}
		case !m.inBase:
			return errorf("taskRunRequest."+m.name, "%s: remove it", m.why)
		}
	}
	for i, t := range arrayAt(rr, "tags") {
		tag, _ := t.(map[string]any)
		// mergeTags slugifies the key: check what is sent.
		if key := stringAt(tag, "key"); reservedTagKey(slugTag(key, 128)) {
			return errorf(indexPath("taskRunRequest.tags", i)+".key", "%s", reservedTagMessage(key))
		}
	}
	return nil
}

// checkReservedOp returns why op may not be applied, prefixed with the
// pointer at fault, or "".
func checkReservedOp(op PatchOperation) string {
	switch op.Op {
	case "remove":
		return checkRemoved("", op.Path)
	case "add", "replace":
		var v any
		_ = decodeJSON(op.Value, &v) // validatePatch saw a JSON value
		return checkWritten(op.Path, &v, "")
	case "move":
		if msg := checkRemoved("from ", op.From); msg != "" {
			return msg
		}
		return checkWritten(op.Path, nil, op.From)
	case "copy":
		// copy only reads its from.
		return checkWritten(op.Path, nil, op.From)
	}
	return "" // test changes nothing
}

// checkRemoved checks a pointer whose value the operation removes; label
// prefixes the pointer in the message ("from " for move).
func checkRemoved(label, ptr string) string {
	tokens, root := pointerTokens(ptr)
	if root {
		return label + rootMessage
	}
	if m, ok := reservedMemberNamed(tokens[0]); ok {
		return fmt.Sprintf("%s%s: %s; %s", label, ptr, m.why, m.fix)
	}
	return ""
}

// checkWritten checks a pointer the operation writes: value is the value
// written, or nil when it is copied from the pointer from.
func checkWritten(ptr string, value *any, from string) string {
	tokens, root := pointerTokens(ptr)
	if root {
		return rootMessage
	}
	if m, ok := reservedMemberNamed(tokens[0]); ok {
		if n, isInt := asInt(deref(value)); m.name == "count" && tokens[0] == "count" && len(tokens) == 1 && value != nil && isInt && n == 1 {
			return ""
		}
		return fmt.Sprintf("%s: %s; %s", ptr, m.why, m.fix)
	}
	if !strings.EqualFold(tokens[0], "tags") {
		return ""
	}
	kind := tagPlaceOf(tokens[1:])
	if kind == tagOther {
		return ""
	}
	if value == nil {
		fromTokens, fromRoot := pointerTokens(from)
		if !fromRoot && strings.EqualFold(fromTokens[0], "tags") && tagPlaceOf(fromTokens[1:]) == kind {
			return ""
		}
		return fmt.Sprintf("%s: a tag key copied from %s cannot be checked before the run (keys beginning with %q are reserved); add the tag with an add operation", ptr, displayPointer(from), TagPrefix)
	}
	for _, key := range tagKeys(kind, *value) {
		if reservedTagKey(key) {
			return ptr + ": " + reservedTagMessage(key)
		}
	}
	return ""
}

func deref(v *any) any {
	if v == nil {
		return nil
	}
	return *v
}

// tagPlace is what a pointer below /tags designates.
type tagPlace int

const (
	tagOther tagPlace = iota // a tag's value, or anything holding no key
	tagList                  // /tags: the array of tags
	tagItem                  // /tags/<i> or /tags/-: one tag
	tagKey                   // /tags/<i>/key: one tag's key
)

// tagPlaceOf classifies the tokens after "tags".
func tagPlaceOf(tokens []string) tagPlace {
	switch {
	case len(tokens) == 0:
		return tagList
	case len(tokens) == 1:
		return tagItem
	case len(tokens) == 2 && strings.EqualFold(tokens[1], "key"):
		return tagKey
	}
	return tagOther
}

// tagKeys returns the tag keys a value written at a place holds.
func tagKeys(kind tagPlace, v any) []string {
	switch kind {
	case tagList:
		var keys []string
		items, _ := v.([]any)
		for _, item := range items {
			keys = append(keys, tagKeys(tagItem, item)...)
		}
		return keys
	case tagItem:
		var keys []string
		tag, _ := v.(map[string]any)
		for k, kv := range tag {
			if s, ok := kv.(string); ok && strings.EqualFold(k, "key") {
				keys = append(keys, s)
			}
		}
		return keys
	case tagKey:
		if s, ok := v.(string); ok {
			return []string{s}
		}
	}
	return nil
}

// reservedTagKey reports whether key begins with TagPrefix, in any case.
func reservedTagKey(key string) bool {
	return len(key) >= len(TagPrefix) && strings.EqualFold(key[:len(TagPrefix)], TagPrefix)
}

func reservedTagMessage(key string) string {
	return fmt.Sprintf("tag key %q is reserved: keys beginning with %q are the tags temporal-ecs puts on every task to name the workflow that owns it; use another key", key, TagPrefix)
}

const rootMessage = `"": the root path is the whole RunTask request, and replacing or removing it would drop the clientToken and startedBy temporal-ecs sets; patch the members you need instead`

// pointerTokens splits an RFC 6901 JSON Pointer (checked by checkPointer)
// into its unescaped reference tokens; root is true for "", the whole
// document.
func pointerTokens(ptr string) (tokens []string, root bool) {
	if ptr == "" {
		return nil, true
	}
	tokens = strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	for i, t := range tokens {
		tokens[i] = pointerUnescaper.Replace(t)
	}
	return tokens, false
}

// pointerUnescaper undoes RFC 6901's escapes in one pass, so "~01" is "~1".
var pointerUnescaper = strings.NewReplacer("~1", "/", "~0", "~")

func displayPointer(ptr string) string {
	if ptr == "" {
		return `""`
	}
	return ptr
}
