package activities

import (
	"math/rand/v2"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Adaptation of a LogBudget: additive increase, multiplicative decrease,
// as TCP shares a link. Every throttling answer halves the rate (once per
// budgetCutSpacing, so that the answers to one burst of calls count once),
// down to budgetFloor of the ceiling; the rate then grows back linearly,
// reaching the ceiling budgetRecovery after the cut. Budgets of several
// workers drawing on one account's quota so converge to shares of it, and
// none is starved.
const (
	budgetCutSpacing = time.Second
	budgetRecovery   = 30 * time.Second
	budgetFloor      = 0.02
)

// LogBudget grants GetLogEvents calls to the log tailers of a process: a
// token bucket whose rate adapts to throttling, between the ceiling it was
// created with and a fiftieth of it. Share one LogBudget among every
// tailer that draws on the same account's quota. It is safe for
// concurrent use; a nil *LogBudget grants every call at once.
type LogBudget struct {
	lim *rate.Limiter

	mu       sync.Mutex
	adaptive bool
	ceiling  rate.Limit
	// cut is the rate set by the last throttling answer, at cutAt.
	cut   rate.Limit
	cutAt time.Time
	// now is the clock (time.Now); tests replace it.
	now func() time.Time
}

// NewLogBudget returns a budget of at most perSecond calls a second, in
// bursts of up to burst calls, that slows down when CloudWatch throttles.
func NewLogBudget(perSecond float64, burst int) *LogBudget {
	return adaptiveBudget(rate.NewLimiter(rate.Limit(perSecond), max(burst, 1)))
}

// adaptiveBudget adapts lim's rate, its current rate being the ceiling.
func adaptiveBudget(lim *rate.Limiter) *LogBudget {
	return &LogBudget{lim: lim, adaptive: true, ceiling: lim.Limit(), now: time.Now}
}

// fixedBudget grants calls at lim's rate, whatever the answers.
func fixedBudget(lim *rate.Limiter) *LogBudget {
	return &LogBudget{lim: lim, now: time.Now}
}

// Limit returns the budget's current rate, in calls a second.
func (b *LogBudget) Limit() float64 {
	if b == nil {
		return float64(rate.Inf)
	}
	return float64(b.lim.Limit())
}

// throttled halves the rate after a throttling answer, at most once per
// budgetCutSpacing.
func (b *LogBudget) throttled() {
	if b == nil || !b.adaptive {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.now()
	if !b.cutAt.IsZero() && now.Sub(b.cutAt) < budgetCutSpacing {
		return
	}
	cur := min(b.lim.Limit(), b.ceiling)
	b.cut = max(cur/2, b.ceiling*budgetFloor)
	b.cutAt = now
	b.lim.SetLimit(b.cut)
}

// succeeded lets the rate grow back towards the ceiling after a call that
// was not throttled.
func (b *LogBudget) succeeded() {
	if b == nil || !b.adaptive {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.cutAt.IsZero() || b.lim.Limit() >= b.ceiling {
		return
	}
	grown := b.cut + b.ceiling*rate.Limit(b.now().Sub(b.cutAt).Seconds()/budgetRecovery.Seconds())
	if grown >= b.ceiling {
		grown = b.ceiling
		b.cutAt = time.Time{}
	}
	b.lim.SetLimit(grown)
}

// jittered returns d with equal jitter: half of it fixed, half random, so
// that readers backing off together spread out.
func jittered(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d/2 + rand.N(d/2+1)
}
