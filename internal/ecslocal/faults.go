package ecslocal

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/temporal-ecs/temporal-ecs/internal/ecslocal/awsproto"
)

// Faults injects failures into a Server for tests; get it with
// Server.Faults. Operations are named as in Stats: "ecs:RunTask",
// "logs:GetLogEvents", "ec2:DescribeSubnets". Counted faults ("for the next
// n calls") are used up by the calls they fail. All methods are safe for
// concurrent use.
type Faults struct {
	s *Server

	mu              sync.Mutex
	throttle        map[string]int
	limiters        map[string]*rate.Limiter
	serverErrors    map[string]serverErrorFault
	lost            map[string]int
	slow            map[string]time.Duration
	runTaskFailures int
	runTaskReason   string
	describeMissing int
	registerBusy    int
	hold            time.Duration
}

type serverErrorFault struct {
	n      int
	status int
}

func newFaults(s *Server) *Faults {
	return &Faults{
		s:            s,
		throttle:     map[string]int{},
		limiters:     map[string]*rate.Limiter{},
		serverErrors: map[string]serverErrorFault{},
		lost:         map[string]int{},
		slow:         map[string]time.Duration{},
	}
}

// Faults returns the server's fault injector.
func (s *Server) Faults() *Faults { return s.faults }

// Throttle makes the next n calls of op fail with the service's throttling
// error: ThrottlingException (HTTP 400) for ECS and Logs,
// RequestLimitExceeded (503) for EC2.
func (f *Faults) Throttle(op string, n int) {
	mustOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.throttle[op] = n
}

// ThrottleAbove throttles the calls of op that exceed perSecond calls a
// second on average, with bursts of up to burst calls (a token bucket, as
// AWS's API rate limits are). perSecond <= 0 removes the limit.
func (f *Faults) ThrottleAbove(op string, perSecond float64, burst int) {
	mustOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	if perSecond <= 0 {
		delete(f.limiters, op)
		return
	}
	f.limiters[op] = rate.NewLimiter(rate.Limit(perSecond), max(burst, 1))
}

// ServerErrors makes the next n calls of op fail with an HTTP 5xx status:
// 503 answers ServiceUnavailable (EC2: Unavailable), any other status
// InternalFailure (EC2: InternalError). The operation is not performed.
func (f *Faults) ServerErrors(op string, n, status int) {
	mustOp(op)
	if status < 500 || status > 599 {
		panic(fmt.Sprintf("ecslocal: ServerErrors status %d is not 5xx", status))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.serverErrors[op] = serverErrorFault{n: n, status: status}
}

// LoseResponses makes the next n calls of op perform the operation and then
// drop the connection instead of answering, as when a response is lost on
// the network. The SDK sees a connection error and retries; this is how to
// test that a retried RunTask with a clientToken launches nothing twice.
func (f *Faults) LoseResponses(op string, n int) {
	mustOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lost[op] = n
}

// SlowCalls makes every call of op answer d late, as a slow or distant
// endpoint does (e.g. "logs:GetLogEvents", to slow the pages of a log
// stream down). Zero removes the fault.
func (f *Faults) SlowCalls(op string, d time.Duration) {
	mustOp(op)
	f.mu.Lock()
	defer f.mu.Unlock()
	if d <= 0 {
		delete(f.slow, op)
		return
	}
	f.slow[op] = d
}

// RunTaskFailures makes the next n RunTask calls launch nothing and answer
// with one failure per requested task carrying reason, as ECS does when it
// cannot place a task (e.g. "RESOURCE:MEMORY", "RESOURCE:CPU").
func (f *Faults) RunTaskFailures(n int, reason string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runTaskFailures, f.runTaskReason = n, reason
}

// RegisterConflicts makes the next n RegisterTaskDefinition calls register
// nothing and fail with the ClientException ECS answers while other
// revisions of the family are being created: "Too many concurrent attempts
// to create a new revision of the specified family." (HTTP 400).
func (f *Faults) RegisterConflicts(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.registerBusy = n
}

// DescribeTasksMissing makes the next n DescribeTasks calls report every
// task as a failure with reason MISSING, as ECS's eventual consistency can
// right after RunTask.
func (f *Faults) DescribeTasksMissing(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.describeMissing = n
}

// HoldProvisioning keeps every task launched from now on in PROVISIONING
// for d before it starts (StopTask still stops it). Zero ends the hold for
// tasks launched afterwards.
func (f *Faults) HoldProvisioning(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hold = d
}

// DelayLogDelivery makes log events readable only d after a container wrote
// them, as CloudWatch Logs' ingestion delay does. Zero delivers at once.
func (f *Faults) DelayLogDelivery(d time.Duration) {
	f.s.logs.SetDeliveryDelay(d)
}

// StopTask stops a task as ECS itself would, e.g. stopCode
// "SpotInterruption" with reason "Your Spot Task was interrupted.": its
// containers get SIGTERM and, after their stop timeout, SIGKILL, and the
// task ends STOPPED with this stopCode and stoppedReason. taskARN is the
// task's ARN or id. It returns an error if there is no such task.
func (f *Faults) StopTask(taskARN, stopCode, reason string) error {
	return f.s.stopTaskByARN(taskARN, stopCode, reason)
}

// Reset removes every fault.
func (f *Faults) Reset() {
	f.mu.Lock()
	clear(f.throttle)
	clear(f.limiters)
	clear(f.serverErrors)
	clear(f.lost)
	clear(f.slow)
	f.runTaskFailures, f.runTaskReason, f.describeMissing, f.hold = 0, "", 0, 0
	f.registerBusy = 0
	f.mu.Unlock()
	f.s.logs.SetDeliveryDelay(0)
}

// before returns the error a call of op must fail with, if any, after the
// delay of SlowCalls.
func (f *Faults) before(op, service string) error {
	f.mu.Lock()
	slow := f.slow[op]
	f.mu.Unlock()
	if slow > 0 {
		time.Sleep(slow)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	throttled := false
	if n := f.throttle[op]; n > 0 {
		f.throttle[op] = n - 1
		throttled = true
	} else if l := f.limiters[op]; l != nil && !l.Allow() {
		throttled = true
	}
	if throttled {
		if service == serviceEC2 {
			return awsproto.Errorf(http.StatusServiceUnavailable, "RequestLimitExceeded", "Request limit exceeded. (fault injected by ecslocal for %s)", op)
		}
		return awsproto.Errorf(http.StatusBadRequest, "ThrottlingException", "Rate exceeded (fault injected by ecslocal for %s)", op)
	}
	if e := f.serverErrors[op]; e.n > 0 {
		e.n--
		f.serverErrors[op] = e
		code := "InternalFailure"
		switch {
		case service == serviceEC2 && e.status == http.StatusServiceUnavailable:
			code = "Unavailable"
		case service == serviceEC2:
			code = "InternalError"
		case e.status == http.StatusServiceUnavailable:
			code = "ServiceUnavailable"
		}
		return awsproto.Errorf(e.status, code, "The service is unavailable (fault injected by ecslocal for %s)", op)
	}
	return nil
}

// loseResponse reports whether the response to this call of op is to be
// dropped.
func (f *Faults) loseResponse(op string) bool {
	return f.take(f.lost, op)
}

func (f *Faults) take(m map[string]int, op string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m[op] > 0 {
		m[op]--
		return true
	}
	return false
}

// takeRunTaskFailure returns the reason a RunTask call must fail with.
func (f *Faults) takeRunTaskFailure() (reason string, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.runTaskReason, decrement(&f.runTaskFailures)
}

// takeRegisterConflict reports whether a RegisterTaskDefinition call must
// fail as if another revision of the family were being created.
func (f *Faults) takeRegisterConflict() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return decrement(&f.registerBusy)
}

// takeDescribeMissing reports whether a DescribeTasks call must answer
// MISSING for every task.
func (f *Faults) takeDescribeMissing() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return decrement(&f.describeMissing)
}

// decrement uses up one of the calls *n counts, reporting whether there was
// one; the caller holds f.mu.
func decrement(n *int) bool {
	if *n > 0 {
		*n--
		return true
	}
	return false
}

// provisioningHold is how long a task launched now stays PROVISIONING.
func (f *Faults) provisioningHold() time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hold
}

// mustOp panics unless op is "ecs:X", "logs:X" or "ec2:X": a misspelt
// operation would otherwise make a fault silently never fire.
func mustOp(op string) {
	if err := checkOp(op); err != nil {
		panic(err.Error())
	}
}

// checkOp returns an error unless op is "ecs:X", "logs:X" or "ec2:X".
func checkOp(op string) error {
	service, name, _ := strings.Cut(op, ":")
	switch service {
	case serviceECS, serviceLogs, serviceEC2:
		if name != "" {
			return nil
		}
	}
	return fmt.Errorf("ecslocal: fault operation %q is not of the form ecs:Op, logs:Op or ec2:Op", op)
}
