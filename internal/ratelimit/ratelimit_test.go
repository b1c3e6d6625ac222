package ratelimit

import (
	"testing"
	"time"
)

func TestMemoryBucket(t *testing.T) {
	t.Parallel()
	m := NewMemory(Config{PerSecond: 2, Burst: 3})
	t0 := time.Unix(1_800_000_000, 0)
	steps := []struct {
		key       string
		at        time.Duration
		allowed   bool
		remaining int
		retry     time.Duration
	}{
		{"a", 0, true, 2, 0},
		{"a", 0, true, 1, 0},
		{"a", 0, true, 0, 0},
		{"a", 0, false, 0, 500 * time.Millisecond},
		{"b", 0, true, 2, 0}, // another key has its own bucket
		{"a", 500 * time.Millisecond, true, 0, 0},
		{"a", 2 * time.Second, true, 2, 0},
	}
	for i, s := range steps {
		d := m.Take(s.key, t0.Add(s.at))
		if d.Allowed != s.allowed || d.Remaining != s.remaining || d.Limit != 3 {
			t.Errorf("step %d: got allowed=%v remaining=%d limit=%d, want %v %d 3", i, d.Allowed, d.Remaining, d.Limit, s.allowed, s.remaining)
		}
		if d.RetryAfter != s.retry {
			t.Errorf("step %d: RetryAfter = %v, want %v", i, d.RetryAfter, s.retry)
		}
		if d.Reset.Before(t0.Add(s.at)) {
			t.Errorf("step %d: Reset %v is in the past", i, d.Reset)
		}
	}
}

func TestMemorySweepKeepsBusyBuckets(t *testing.T) {
	t.Parallel()
	m := NewMemory(Config{PerSecond: 1, Burst: 1})
	t0 := time.Unix(1_800_000_000, 0)
	m.Take("drained", t0)
	for i := range 5000 {
		m.Take("idle"+string(rune('a'+i%20)), t0)
	}
	m.sweep(t0.Add(time.Hour))
	if len(m.buckets) != 0 {
		t.Errorf("after an hour every bucket is full and idle; %d left", len(m.buckets))
	}
	if d := m.Take("drained", t0.Add(time.Hour)); !d.Allowed {
		t.Errorf("a refilled bucket refused a request")
	}
}
