package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"slices"
	"sync"
	"time"
)

// shape is the load of one measurement: an open loop at rate ops/s, or a closed loop of concurrency
// workers.
type shape struct {
	rate             float64
	concurrency      int
	maxInflight      int
	warmup, duration time.Duration
	drain            time.Duration
}

// outcome is how one operation went: one request, or for the lifecycle many.
type outcome struct {
	answer
	step  string          // the step whose answer ended a multi-request operation
	calls int             // HTTP requests made
	steps []time.Duration // lifecycle only: the time of each step
}

// op is one operation of a scenario.
type op func(ctx context.Context) outcome

// recorder keeps the outcomes of the operations of the measured window [from, to): in the open loop
// those due in it; in the closed loop those that finished in it (so throughput is completions per second,
// right also for operations that take seconds), plus, as errors only, the failures of operations still
// running at its end, so that a server that stalls cannot hide.
type recorder struct {
	from, to time.Time
	open     bool
	mu       sync.Mutex
	lat      []time.Duration
	ok       int
	calls    int
	errs     map[string]int
	samples  map[string]string
	steps    [][]time.Duration // per step index
}

func (r *recorder) add(start time.Time, o outcome) {
	end := time.Now()
	late := false
	if r.open {
		if start.Before(r.from) || !start.Before(r.to) {
			return
		}
	} else if end.Before(r.from) || !end.Before(r.to) {
		if end.Before(r.to) || !start.Before(r.to) || o.ok() {
			return
		}
		late = true
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !late {
		r.lat = append(r.lat, end.Sub(start))
		r.calls += o.calls
	}
	if o.ok() {
		r.ok++
		for i, s := range o.steps {
			if i == len(r.steps) {
				r.steps = append(r.steps, nil)
			}
			r.steps[i] = append(r.steps[i], s)
		}
		return
	}
	k := o.key()
	if o.step != "" {
		k = o.step + ": " + k
	}
	if late {
		k += " (still running at the end of the window)"
	}
	if r.errs == nil {
		r.errs, r.samples = map[string]int{}, map[string]string{}
	}
	r.errs[k]++
	if _, ok := r.samples[k]; !ok && o.err != nil {
		r.samples[k] = o.err.Error()
	}
}

// runLoad applies sh to o: warmup, then the measured duration, then up to sh.drain for what is still in
// flight (cancelled after that, counted as "cancelled").
func runLoad(ctx context.Context, sh shape, o op) *recorder {
	start := time.Now()
	rec := &recorder{from: start.Add(sh.warmup), to: start.Add(sh.warmup + sh.duration), open: sh.rate > 0}
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if sh.rate > 0 {
		// Open loop: operation k is due at start + k/rate whatever happened to the earlier ones. A ticker
		// wakes the dispatcher, which starts every operation that has come due; latency counts from the
		// due time, so a stalled server is charged for the wait of everything scheduled behind it.
		interval := float64(time.Second) / sh.rate
		t := time.NewTicker(max(time.Duration(interval), 100*time.Microsecond))
		defer t.Stop()
		sem := make(chan struct{}, sh.maxInflight)
	dispatch:
		for k := 0; ; {
			select {
			case <-ctx.Done():
				break dispatch
			case <-t.C:
			}
			now := time.Now()
			for {
				due := start.Add(time.Duration(float64(k) * interval))
				if !due.Before(rec.to) {
					break dispatch
				}
				if due.After(now) {
					break
				}
				k++
				select {
				case sem <- struct{}{}:
				case <-ctx.Done():
					break dispatch
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					out := o(opCtx)
					<-sem
					rec.add(due, out)
				}()
			}
		}
	} else {
		for range sh.concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for ctx.Err() == nil {
					s := time.Now()
					if !s.Before(rec.to) {
						return
					}
					rec.add(s, o(opCtx))
				}
			}()
		}
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(time.Until(rec.to) + sh.drain):
		cancel()
		<-done
	}
	return rec
}

// result is one measured line of the report.
type result struct {
	Scenario   string             `json:"scenario"`
	Name       string             `json:"name"`
	Load       string             `json:"load"`
	Seconds    float64            `json:"seconds"`
	Requests   int                `json:"requests"` // operations recorded: requests, or lifecycles
	OK         int                `json:"ok"`
	Throughput float64            `json:"throughput"` // OK per second
	Unit       string             `json:"unit"`
	LatencyMS  latency            `json:"latency_ms"`
	Errors     map[string]int     `json:"errors,omitempty"`
	ErrorText  map[string]string  `json:"error_samples,omitempty"`
	HTTPCalls  int                `json:"http_requests"`
	HTTPRate   float64            `json:"http_requests_per_second"`
	Steps      map[string]latency `json:"steps_ms,omitempty"`
	// PeakRSSBytes is the server's peak resident set during the measurement; null for an external server.
	PeakRSSBytes *int64 `json:"server_peak_rss_bytes"`
	// CeilingRatio is Throughput (for req/s; HTTPRate otherwise) over the ceiling's throughput; null for
	// the ceiling itself.
	CeilingRatio *float64     `json:"ceiling_ratio,omitempty"`
	Webhooks     *webhookStat `json:"webhooks,omitempty"`
	ServerLog    *logSummary  `json:"server_log,omitempty"`
	Notes        []string     `json:"notes,omitempty"`
}

type latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func latencyOf(ds []time.Duration) latency {
	if len(ds) == 0 {
		return latency{}
	}
	slices.Sort(ds)
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(ds)))) - 1
		return ms(ds[min(max(i, 0), len(ds)-1)])
	}
	return latency{P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: ms(ds[len(ds)-1])}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *recorder) result(scenario, name, unit, load string, sh shape, stepNames []string) *result {
	r.mu.Lock()
	defer r.mu.Unlock()
	secs := sh.duration.Seconds()
	res := &result{Scenario: scenario, Name: name, Unit: unit, Load: load, Seconds: secs,
		Requests: len(r.lat), OK: r.ok, Throughput: float64(r.ok) / secs, LatencyMS: latencyOf(r.lat),
		Errors: r.errs, ErrorText: r.samples, HTTPCalls: r.calls, HTTPRate: float64(r.calls) / secs}
	for i, s := range r.steps {
		if i < len(stepNames) {
			if res.Steps == nil {
				res.Steps = map[string]latency{}
			}
			res.Steps[stepNames[i]] = latencyOf(s)
		}
	}
	return res
}

// ratio sets r's share of the ceiling's request rate.
func (r *result) ratio(ceiling *result) {
	if ceiling != nil && ceiling.Throughput > 0 {
		x := r.HTTPRate / ceiling.Throughput
		if r.Unit == "req/s" {
			x = r.Throughput / ceiling.Throughput
		}
		r.CeilingRatio = &x
	}
}

// bench is one run of the tool.
type bench struct {
	cfg     config
	out     io.Writer // progress
	hc      *http.Client
	api     *client
	srv     *proc // nil with --target
	ceiling *result
	cpf     *cpfSeq
}

func (b *bench) shape() shape {
	return shape{rate: b.cfg.rate, concurrency: b.cfg.concurrency, maxInflight: b.cfg.maxInflight,
		warmup: b.cfg.warmup, duration: b.cfg.duration, drain: b.cfg.drain}
}

func (b *bench) shapeText(sh shape) string {
	if sh.rate > 0 {
		return fmt.Sprintf("open loop at %s/s for %s after %s warmup", num(sh.rate), sh.duration, sh.warmup)
	}
	return fmt.Sprintf("closed loop of %d for %s after %s warmup", sh.concurrency, sh.duration, sh.warmup)
}

// measure runs o under sh against p (the dinie server, the ceiling server, or nil for an external one).
func (b *bench) measure(ctx context.Context, p *proc, scenario, name, unit string, sh shape, o op) *result {
	return b.measureWith(ctx, p, scenario, name, unit, sh, o, nil, nil)
}

// measureWith is measure with step names for the lifecycle and after, given the measured window and run
// before the monitor stops (the webhook deliveries still arriving).
func (b *bench) measureWith(ctx context.Context, p *proc, scenario, name, unit string, sh shape, o op, stepNames []string,
	after func(r *result, from, to time.Time)) *result {
	m := watch(p)
	rec := runLoad(ctx, sh, o)
	res := rec.result(scenario, name, unit, b.shapeText(sh), sh, stepNames)
	if after != nil {
		after(res, rec.from, rec.to)
	}
	m.finish(res)
	return res
}
