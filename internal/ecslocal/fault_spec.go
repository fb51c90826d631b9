package ecslocal

import (
	"cmp"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// FaultKind names one of the faults of Faults, for Fault.Kind.
type FaultKind string

// The kinds of Fault, each with the Faults method it calls and the Fault
// fields it takes.
const (
	FaultThrottle             FaultKind = "throttle"             // Throttle(Op, Count)
	FaultThrottleAbove        FaultKind = "throttleAbove"        // ThrottleAbove(Op, PerSecond, Burst)
	FaultServerErrors         FaultKind = "serverErrors"         // ServerErrors(Op, Count, Status)
	FaultLoseResponses        FaultKind = "loseResponses"        // LoseResponses(Op, Count)
	FaultRunTaskFailures      FaultKind = "runTaskFailures"      // RunTaskFailures(Count, Reason)
	FaultDescribeTasksMissing FaultKind = "describeTasksMissing" // DescribeTasksMissing(Count)
	FaultRegisterConflicts    FaultKind = "registerConflicts"    // RegisterConflicts(Count)
	FaultHoldProvisioning     FaultKind = "holdProvisioning"     // HoldProvisioning(Duration)
	FaultDelayLogDelivery     FaultKind = "delayLogDelivery"     // DelayLogDelivery(Duration)
	FaultSlowCalls            FaultKind = "slowCalls"            // SlowCalls(Op, Duration)
)

// DefaultRunTaskFailureReason is the reason of a runTaskFailures Fault
// that gives none.
const DefaultRunTaskFailureReason = "RESOURCE:MEMORY"

// faultFields lists the fields each kind takes, by JSON name.
var faultFields = map[FaultKind][]string{
	FaultThrottle:             {"op", "count"},
	FaultThrottleAbove:        {"op", "perSecond", "burst"},
	FaultServerErrors:         {"op", "count", "status"},
	FaultLoseResponses:        {"op", "count"},
	FaultRunTaskFailures:      {"count", "reason"},
	FaultDescribeTasksMissing: {"count"},
	FaultRegisterConflicts:    {"count"},
	FaultHoldProvisioning:     {"duration"},
	FaultDelayLogDelivery:     {"duration"},
	FaultSlowCalls:            {"op", "duration"},
}

// Fault describes one fault as data, for callers outside the process: it
// is the JSON body of the admin API's POST /_ecslocal/faults and the value
// of the ecslocal command's --fault flag, e.g.
//
//	{"kind":"throttle","op":"ecs:RunTask","count":2}
//	{"kind":"serverErrors","op":"ecs:DescribeTasks","count":1,"status":503}
//	{"kind":"holdProvisioning","duration":"2s"}
//
// Which fields a kind takes is listed with the FaultKind constants; giving
// one it does not take is an error, so that a misspelt fault cannot
// silently do nothing. Apply it with Faults.Inject.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Op is the operation, named as in Stats ("ecs:RunTask").
	Op string `json:"op,omitempty"`
	// Count is how many calls fail; 0 removes the fault.
	Count int `json:"count,omitempty"`
	// Status is the HTTP status of serverErrors, 500 to 599; 500 when 0.
	Status int `json:"status,omitempty"`
	// PerSecond and Burst shape throttleAbove's token bucket; PerSecond 0
	// removes the limit.
	PerSecond float64 `json:"perSecond,omitempty"`
	Burst     int     `json:"burst,omitempty"`
	// Reason is the failure reason of runTaskFailures;
	// DefaultRunTaskFailureReason when empty.
	Reason string `json:"reason,omitempty"`
	// Duration is a Go duration ("2s", "500ms") for holdProvisioning,
	// delayLogDelivery and slowCalls; "" or "0s" ends the fault.
	Duration string `json:"duration,omitempty"`
}

// ParseFault decodes a Fault from JSON, rejecting unknown members and
// trailing data, and checks it as Inject would.
func ParseFault(data []byte) (Fault, error) {
	var ft Fault
	if err := decodeStrict(data, &ft); err != nil {
		return Fault{}, fmt.Errorf("ecslocal: decoding fault %s: %w", data, err)
	}
	if _, err := ft.check(); err != nil {
		return Fault{}, err
	}
	return ft, nil
}

// Inject applies ft by calling the Faults method its Kind names. It
// returns an error, and injects nothing, if ft is not valid: unknown kind,
// a field the kind does not take, an operation not of the form ecs:Op,
// logs:Op or ec2:Op, a negative count, a status outside 500..599 or an
// unparsable or negative duration.
func (f *Faults) Inject(ft Fault) error {
	d, err := ft.check()
	if err != nil {
		return err
	}
	switch ft.Kind {
	case FaultThrottle:
		f.Throttle(ft.Op, ft.Count)
	case FaultThrottleAbove:
		f.ThrottleAbove(ft.Op, ft.PerSecond, ft.Burst)
	case FaultServerErrors:
		f.ServerErrors(ft.Op, ft.Count, cmp.Or(ft.Status, http.StatusInternalServerError))
	case FaultLoseResponses:
		f.LoseResponses(ft.Op, ft.Count)
	case FaultRunTaskFailures:
		f.RunTaskFailures(ft.Count, cmp.Or(ft.Reason, DefaultRunTaskFailureReason))
	case FaultDescribeTasksMissing:
		f.DescribeTasksMissing(ft.Count)
	case FaultRegisterConflicts:
		f.RegisterConflicts(ft.Count)
	case FaultHoldProvisioning:
		f.HoldProvisioning(d)
	case FaultDelayLogDelivery:
		f.DelayLogDelivery(d)
	case FaultSlowCalls:
		f.SlowCalls(ft.Op, d)
	}
	return nil
}

// check validates ft and returns its parsed Duration.
func (ft Fault) check() (time.Duration, error) {
	fail := func(format string, args ...any) (time.Duration, error) {
		return 0, fmt.Errorf("ecslocal: fault %q: "+format, append([]any{ft.Kind}, args...)...)
	}
	takes, ok := faultFields[ft.Kind]
	if !ok {
		kinds := make([]string, 0, len(faultFields))
		for k := range faultFields {
			kinds = append(kinds, string(k))
		}
		slices.Sort(kinds)
		return fail("unknown kind: want one of %s", strings.Join(kinds, ", "))
	}
	given := []struct {
		name string
		set  bool
	}{
		{"op", ft.Op != ""}, {"count", ft.Count != 0}, {"status", ft.Status != 0}, {"perSecond", ft.PerSecond != 0},
		{"burst", ft.Burst != 0}, {"reason", ft.Reason != ""}, {"duration", ft.Duration != ""},
	}
	for _, g := range given {
		if g.set && !slices.Contains(takes, g.name) {
			return fail("takes no %q (it takes %s)", g.name, strings.Join(takes, ", "))
		}
	}
	if slices.Contains(takes, "op") {
		if err := checkOp(ft.Op); err != nil {
			return 0, err
		}
	}
	switch {
	case ft.Count < 0:
		return fail("count %d is negative", ft.Count)
	case ft.Status != 0 && (ft.Status < 500 || ft.Status > 599):
		return fail("status %d is not 5xx", ft.Status)
	case ft.PerSecond < 0 || ft.Burst < 0:
		return fail("perSecond and burst must not be negative")
	}
	if ft.Duration == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(ft.Duration)
	if err != nil {
		return fail("duration: %w", err)
	}
	if d < 0 {
		return fail("duration %s is negative", d)
	}
	return d, nil
}
