// Package sandboxclock gives each partner's test environment its own clock, which the partner can move
// forward (POST /sandbox/clock/advance) to see time-based work happen without waiting: offer expiry,
// overdue installments, unsigned loans cancelled. The live environment always runs on the real clock.
package sandboxclock

import (
	"context"
	"time"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/lending"
)

// Offsets is where the partners' offsets are kept.
type Offsets interface {
	// SandboxClockOffset returns how far the partner's test clock runs ahead of the real one (0 if never
	// moved).
	SandboxClockOffset(ctx context.Context, partnerID string) (time.Duration, error)
}

// Clock answers "what time is it" per scope.
type Clock struct {
	Base    clock.Clock
	Offsets Offsets
}

// Within returns the clock reading offsets from o: inside a transaction, pass the transaction, so the
// read does not wait for a second connection of the pool (with every connection held by a transaction
// doing the same, that would never come).
func (c Clock) Within(o Offsets) Clock {
	c.Offsets = o
	return c
}

// Now returns the time in scope: the base clock for live, the base clock plus the partner's offset for
// test. It fails only when the offset cannot be read.
func (c Clock) Now(ctx context.Context, scope lending.Scope) (time.Time, error) {
	now := c.Base.Now()
	if scope.Environment != lending.EnvTest {
		return now, nil
	}
	off, err := c.Offsets.SandboxClockOffset(ctx, scope.PartnerID)
	if err != nil {
		return now, err
	}
	return now.Add(off), nil
}

// Advance returns the new offset of a partner's test clock moved by by (or to to, when to is not zero),
// given its current offset, at the real time now. Time never goes backwards: a negative move, or a target
// before the partner's current time, is CodeInvalidField; a move beyond ten years is refused too.
func Advance(current time.Duration, now time.Time, by time.Duration, to time.Time) (time.Duration, error) {
	if !to.IsZero() {
		by = to.Sub(now.Add(current))
	}
	switch {
	case by < 0:
		return current, lending.FieldErrorf(lending.CodeInvalidField, "seconds", "the sandbox clock only moves forward")
	case current+by > 10*365*24*time.Hour:
		return current, lending.FieldErrorf(lending.CodeInvalidField, "seconds", "the sandbox clock may run at most ten years ahead")
	}
	return current + by, nil
}
