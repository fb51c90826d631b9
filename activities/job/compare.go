package job

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// postRegistrationFields are set by ECS on registration and are no part of
// a definition's content.
var postRegistrationFields = []string{
	"taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
	"registeredAt", "registeredBy", "deregisteredAt", "deleteRequestedAt",
}

// canonical returns the normalized form of a task definition body used by
// Digest and Equal: the body as the SDK input would send it, in wire
// casing, normalized as Prefect compares definitions and further (see
// normalizeDefinition).
func canonical(def map[string]any) (map[string]any, error) {
	in, err := RegisterInput(def)
	if err != nil {
		return nil, err
	}
	m := WireMap(in)
	normalizeDefinition(m)
	return m, nil
}

// normalizeDefinition rewrites a wire-cased definition so that definitions
// with the same meaning are equal: fields set on registration are removed;
// AWS's defaults are filled in (networkMode bridge, a container without
// essential is essential, port mappings' protocol tcp and, in awsvpc or host
// mode, hostPort equal to containerPort); environment and secrets entries
// are sorted by name; empty values (null, false, 0, "", [], {}) are dropped.
func normalizeDefinition(m map[string]any) {
	for _, f := range postRegistrationFields {
		delete(m, f)
	}
	mode := stringAt(m, "networkMode")
	if mode == "" {
		mode = "bridge"
		m["networkMode"] = mode
	}
	for _, c := range arrayAt(m, "containerDefinitions") {
		cm, ok := c.(map[string]any)
		if !ok {
			continue
		}
		if cm["essential"] == nil {
			cm["essential"] = true
		}
		sortByName(arrayAt(cm, "environment"))
		sortByName(arrayAt(cm, "secrets"))
		for _, pm := range arrayAt(cm, "portMappings") {
			pmm, ok := pm.(map[string]any)
			if !ok {
				continue
			}
			if isEmpty(pmm["protocol"]) {
				pmm["protocol"] = "tcp"
			}
			if (mode == "awsvpc" || mode == "host") && isEmpty(pmm["hostPort"]) {
				pmm["hostPort"] = pmm["containerPort"]
			}
		}
	}
	dropEmpty(m)
}

// sortByName sorts {name, ...} entries by name, then by their JSON text.
func sortByName(list []any) {
	slices.SortStableFunc(list, func(a, b any) int {
		am, _ := a.(map[string]any)
		bm, _ := b.(map[string]any)
		if c := cmp.Compare(stringAt(am, "name"), stringAt(bm, "name")); c != 0 {
			return c
		}
		aj, _ := json.Marshal(a)
		bj, _ := json.Marshal(b)
		return cmp.Compare(string(aj), string(bj))
	})
}

// dropEmpty removes, recursively, the keys whose values are empty. Array
// elements are kept (their position is meaningful) but cleaned inside.
func dropEmpty(v any) {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			dropEmpty(x)
			if isEmpty(x) {
				delete(t, k)
			}
		}
	case []any:
		for _, x := range t {
			dropEmpty(x)
		}
	}
}

// Digest is the content digest (SHA-256, hex) of a task definition body:
// two bodies have the same digest exactly when their normalized forms are
// equal (see Equal; unlike Equal, the digest covers tags). It keys the cache
// of registered revisions.
func Digest(def map[string]any) (string, error) {
	m, err := canonical(def)
	if err != nil {
		return "", err
	}
	b, err := json.Marshal(m) // map keys sorted: canonical text
	if err != nil {
		return "", fmt.Errorf("digest task definition: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// Equal compares a prepared task definition body with a registered one as
// Prefect does: fields ECS sets on registration are ignored, AWS's
// defaults filled in, empty values dropped; further, a container without
// essential equals one with essential true, and the order of environment
// and secrets entries is ignored. Tags are ignored (DescribeTaskDefinition
// returns them apart from the definition). The Diff says what differs.
func Equal(prepared map[string]any, registered *types.TaskDefinition) (bool, Diff) {
	a, err := canonical(prepared)
	if err != nil {
		return false, Diff{Differing: map[string][2]any{"": {err.Error(), nil}}}
	}
	b := map[string]any{}
	if registered != nil {
		b = WireMap(registered)
		normalizeDefinition(b)
	}
	delete(a, "tags")
	delete(b, "tags")
	var d Diff
	diffValues("", a, b, &d, "")
	return d.Empty(), d
}

// Diff is what differs between a prepared and a registered task
// definition, by JSON path (e.g. "containerDefinitions[0].image"), after
// normalization. Values of secret-looking environment variables are masked.
type Diff struct {
	// OnlyInPrepared and OnlyInRegistered are the paths present on one side only.
	OnlyInPrepared   []string `json:"onlyInPrepared,omitempty"`
	OnlyInRegistered []string `json:"onlyInRegistered,omitempty"`
	// Differing maps a path to its prepared and registered values.
	Differing map[string][2]any `json:"differing,omitempty"`
}

// Empty reports whether nothing differs.
func (d Diff) Empty() bool {
	return len(d.OnlyInPrepared) == 0 && len(d.OnlyInRegistered) == 0 && len(d.Differing) == 0
}

// String describes the differences on one line, for a debug log: the keys
// on one side only, and per differing key both values as JSON.
func (d Diff) String() string {
	if d.Empty() {
		return "no differences"
	}
	var parts []string
	if len(d.OnlyInPrepared) > 0 {
		parts = append(parts, "only in prepared: "+strings.Join(d.OnlyInPrepared, ", "))
	}
	if len(d.OnlyInRegistered) > 0 {
		parts = append(parts, "only in registered: "+strings.Join(d.OnlyInRegistered, ", "))
	}
	for _, k := range sortedKeys(d.Differing) {
		v := d.Differing[k]
		pj, _ := json.Marshal(v[0])
		rj, _ := json.Marshal(v[1])
		parts = append(parts, fmt.Sprintf("%s: prepared %s, registered %s", k, pj, rj))
	}
	return strings.Join(parts, "; ")
}

// diffValues records into d how a (prepared) and b (registered) differ at
// path. envName is set when a and b are the value of an environment entry
// of that name, to mask secret-looking values.
func diffValues(path string, a, b any, d *Diff, envName string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		name := ""
		if strings.Contains(path, "environment[") {
			name = stringAt(am, "name")
		}
		for _, k := range sortedKeys(am) {
			if _, ok := bm[k]; !ok {
				d.OnlyInPrepared = append(d.OnlyInPrepared, joinPath(path, k))
				continue
			}
			sub := ""
			if k == "value" {
				sub = name
			}
			diffValues(joinPath(path, k), am[k], bm[k], d, sub)
		}
		for _, k := range sortedKeys(bm) {
			if _, ok := am[k]; !ok {
				d.OnlyInRegistered = append(d.OnlyInRegistered, joinPath(path, k))
			}
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			diffValues(indexPath(path, i), al[i], bl[i], d, "")
		}
		return
	}
	if jsonEqual(a, b) {
		return
	}
	if d.Differing == nil {
		d.Differing = map[string][2]any{}
	}
	d.Differing[path] = [2]any{maskForDiff(a, envName), maskForDiff(b, envName)}
}

// maskForDiff masks a value that is, or contains, secret environment values.
func maskForDiff(v any, envName string) any {
	if s, ok := v.(string); ok && envName != "" && LooksSecret(envName) {
		return MaskValue(s)
	}
	switch t := v.(type) {
	case map[string]any:
		return MaskRequest(t)
	case []any:
		return MaskRequest(map[string]any{"environment": t})["environment"]
	}
	return v
}

func jsonEqual(a, b any) bool {
	aj, err1 := json.Marshal(a)
	bj, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(aj) == string(bj)
}
