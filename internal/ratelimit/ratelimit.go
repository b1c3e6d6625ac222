// Package ratelimit keeps a token bucket per caller (a credential, or a client address before
// authentication) and says how much of it is left, for the X-RateLimit-* headers.
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Decision is the outcome of taking one request from a bucket.
type Decision struct {
	Allowed bool
	// Limit is the bucket's size (the burst).
	Limit int
	// Remaining is how many requests could be made right now.
	Remaining int
	// Reset is when the bucket will be full again.
	Reset time.Time
	// RetryAfter is how long to wait before the next request can pass (0 when Allowed).
	RetryAfter time.Duration
}

// Limiter decides whether a caller may make one more request. An in-memory Limiter serves one process;
// a shared implementation can replace it behind this interface when several nodes serve one partner.
type Limiter interface {
	Take(key string, now time.Time) Decision
}

// Config sets the budget of every key.
type Config struct {
	// PerSecond is the sustained rate; Burst the bucket size.
	PerSecond float64
	Burst     int
}

// Memory is a Limiter holding one token bucket per key in memory. Idle, full buckets are dropped.
type Memory struct {
	cfg     Config
	mu      sync.Mutex
	buckets map[string]*entry
	takes   int
}

type entry struct {
	lim  *rate.Limiter
	last time.Time
}

// NewMemory returns an in-memory Limiter with cfg.
func NewMemory(cfg Config) *Memory {
	if cfg.Burst < 1 {
		cfg.Burst = 1
	}
	return &Memory{cfg: cfg, buckets: map[string]*entry{}}
}

// Take spends one token of key's bucket at now, if there is one.
func (m *Memory) Take(key string, now time.Time) Decision {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.takes++
	if m.takes%4096 == 0 {
		m.sweep(now)
	}
	e := m.buckets[key]
	if e == nil {
		e = &entry{lim: rate.NewLimiter(rate.Limit(m.cfg.PerSecond), m.cfg.Burst)}
		m.buckets[key] = e
	}
	e.last = now
	d := Decision{Limit: m.cfg.Burst, Allowed: e.lim.AllowN(now, 1)}
	tokens := e.lim.TokensAt(now)
	d.Remaining = max(0, int(math.Floor(tokens)))
	if m.cfg.PerSecond > 0 {
		missing := float64(m.cfg.Burst) - tokens
		d.Reset = now.Add(time.Duration(missing / m.cfg.PerSecond * float64(time.Second)))
		if !d.Allowed {
			d.RetryAfter = time.Duration((1 - tokens) / m.cfg.PerSecond * float64(time.Second))
		}
	} else {
		d.Reset = now
	}
	return d
}

// sweep drops buckets unused for a while whose tokens have all come back.
func (m *Memory) sweep(now time.Time) {
	for k, e := range m.buckets {
		if now.Sub(e.last) > time.Minute && e.lim.TokensAt(now) >= float64(m.cfg.Burst) {
			delete(m.buckets, k)
		}
	}
}
