package webhook

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// MaxAttempts is how many times one delivery is attempted: the first attempt
// right away, then a retry after each delay of the schedule (see
// [RetryDelay]). When the last attempt fails the delivery is failed.
const MaxAttempts = 8

// MaxRetryAfter caps the delay [RetryAfterDelay] takes from a receiver's
// Retry-After header.
const MaxRetryAfter = 24 * time.Hour

// retrySchedule[i] is the nominal delay between attempt i+1 failing and
// attempt i+2 (Svix's schedule, which Standard Webhooks follows).
var retrySchedule = [MaxAttempts - 1]time.Duration{
	5 * time.Second,
	5 * time.Minute,
	30 * time.Minute,
	2 * time.Hour,
	5 * time.Hour,
	10 * time.Hour,
	10 * time.Hour,
}

// RetryDelay returns how long to wait, after attempt number attempt
// (1-based) failed, before the next attempt, and whether there is a next
// attempt at all. The nominal delays after attempts 1 to 7 are 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h and 10 h (about 27.6 h in total); each is scaled by
// a jitter factor 0.9 + 0.2*rnd(), i.e. ±10%, and rounded to the nanosecond.
//
// rnd must return a value in [0, 1), like math/rand/v2.Float64; values
// outside that range are clamped, and a nil rnd means no jitter.
//
// After attempt [MaxAttempts] (8) or later it returns (0, false): the
// delivery has failed. For attempt < 1 (nothing attempted yet) it returns
// (0, true): the first attempt is immediate.
func RetryDelay(attempt int, rnd func() float64) (time.Duration, bool) {
	if attempt < 1 {
		return 0, true
	}
	if attempt >= MaxAttempts {
		return 0, false
	}
	r := 0.5
	if rnd != nil {
		r = min(max(rnd(), 0), 1)
		if math.IsNaN(r) {
			r = 0.5
		}
	}
	d := retrySchedule[attempt-1]
	return time.Duration(math.Round(float64(d) * (0.9 + 0.2*r))), true
}

// RetryAfterDelay reads the Retry-After header of a receiver's response
// (RFC 9110 §10.2.3), either delay-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", interpreted against now). It returns the
// delay it asks for and true; a negative delay or a date in the past counts
// as 0, and a delay longer than [MaxRetryAfter] (24 h) is capped to it. It
// returns (0, false) when the header is absent, empty or unparseable.
func RetryAfterDelay(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if isInteger(v) {
		secs, err := strconv.ParseInt(v, 10, 64)
		switch {
		case strings.HasPrefix(v, "-"):
			return 0, true
		case err != nil || secs > int64(MaxRetryAfter/time.Second):
			// Only overflow can fail here: the value is huge.
			return MaxRetryAfter, true
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return min(max(t.Sub(now), 0), MaxRetryAfter), true
}

// isInteger reports whether s is an optional '-' followed by ASCII digits.
func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
