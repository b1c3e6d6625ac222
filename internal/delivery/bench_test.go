package delivery_test

import (
	"os"
	"slices"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// benchOptions are production-like job settings: the jobs' default number of webhook workers (50), the
// production retry schedule (no retry happens: the receiver always answers 200), and a 50 ms poll
// interval (`dinie serve -job-poll-interval=50ms`; the flag's default is 200 ms, which adds up to that
// much to every delivery's latency).
var benchOptions = harnessOptions{pollInterval: 50 * time.Millisecond, maxAttempts: 8, step: 5 * time.Second}

// benchDeliveryWait bounds the wait for the last delivery of a benchmark.
const benchDeliveryWait = 5 * time.Minute

// forEachBenchEngine runs fn as a sub-benchmark on SQLite and, when DINIE_TEST_POSTGRES_URL is set, on
// PostgreSQL (benchmarks are opt-in, so a missing PostgreSQL skips rather than fails).
func forEachBenchEngine(b *testing.B, fn func(b *testing.B, e storetest.Engine)) {
	engines := []storetest.Engine{{Name: "sqlite", DSN: storetest.SQLiteDSN}, {Name: "postgres", DSN: storetest.PostgresDSN}}
	for _, e := range engines {
		b.Run(e.Name, func(b *testing.B) {
			if e.Name == "postgres" && os.Getenv(storetest.PostgresURLEnv) == "" {
				b.Skipf("%s is not set", storetest.PostgresURLEnv)
			}
			fn(b, e)
		})
	}
}

// latencies returns, for every event, the time from its commit to the first request carrying it.
func latencies(b *testing.B, rc *receiver, committed map[string]time.Time) []time.Duration {
	b.Helper()
	first := map[string]time.Time{}
	for _, r := range rc.requests() {
		if _, ok := first[r.ID()]; !ok {
			first[r.ID()] = r.At
		}
	}
	out := make([]time.Duration, 0, len(committed))
	for id, at := range committed {
		got, ok := first[id]
		if !ok {
			b.Fatalf("event %s was never received", id)
		}
		out = append(out, max(got.Sub(at), 0))
	}
	slices.Sort(out)
	return out
}

// percentile returns the p-th percentile (0 < p ≤ 100) of sorted ds, by the nearest-rank method.
func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	rank := int(float64(len(ds))*p/100+0.999999) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

func reportLatency(b *testing.B, ds []time.Duration) {
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(ds, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(ds, 99)), "p99-ms")
}

// BenchmarkDeliveryThroughput emits b.N events, each in its own transaction, as fast as it can to one
// endpoint whose receiver answers 200, and measures until every one has been received: deliveries/s, and
// the commit→receipt latency percentiles (which grow with the backlog, unlike the steady benchmark's).
func BenchmarkDeliveryThroughput(b *testing.B) {
	forEachBenchEngine(b, func(b *testing.B, e storetest.Engine) {
		h := newHarness(b, e, benchOptions)
		rc := newReceiver(b, nil)
		scope := scopeOf(h.partner("Bench"), lending.EnvTest)
		h.endpoint(scope, rc.URL+"/hook", nil)
		committed := make(map[string]time.Time, b.N)
		b.ResetTimer()
		start := time.Now()
		for range b.N {
			ev := h.emit(scope, "loan.payment_received")
			committed[ev.ID] = time.Now()
		}
		emitted := time.Since(start)
		rc.waitUnique(b, b.N, benchDeliveryWait)
		elapsed := time.Since(start)
		b.StopTimer()
		h.stop() // the next round of the benchmark starts its own
		b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
		b.ReportMetric(float64(b.N)/emitted.Seconds(), "emits/s")
		b.ReportMetric(float64(h.snoozes())/float64(b.N), "snoozes/delivery")
		reportLatency(b, latencies(b, rc, committed))
	})
}

// BenchmarkDeliveryLatencySteady emits b.N events at a steady 50 events/s to one endpoint whose receiver
// answers 200, and reports the commit→receipt latency percentiles.
func BenchmarkDeliveryLatencySteady(b *testing.B) {
	const rate = 50 // events per second
	forEachBenchEngine(b, func(b *testing.B, e storetest.Engine) {
		h := newHarness(b, e, benchOptions)
		rc := newReceiver(b, nil)
		scope := scopeOf(h.partner("Bench"), lending.EnvTest)
		h.endpoint(scope, rc.URL+"/hook", nil)
		committed := make(map[string]time.Time, b.N)
		tick := time.NewTicker(time.Second / rate)
		defer tick.Stop()
		b.ResetTimer()
		for range b.N {
			<-tick.C
			ev := h.emit(scope, "loan.payment_received")
			committed[ev.ID] = time.Now()
		}
		rc.waitUnique(b, b.N, benchDeliveryWait)
		b.StopTimer()
		h.stop()
		b.ReportMetric(float64(h.snoozes())/float64(b.N), "snoozes/delivery")
		reportLatency(b, latencies(b, rc, committed))
	})
}

// snoozes returns how many times jobs were snoozed in all: between attempts, and when an endpoint already
// had as many attempts in flight as the worker allows.
func (h *harness) snoozes() int64 {
	q := `SELECT coalesce(sum((metadata->>'snoozes')::bigint), 0) FROM river_job`
	if h.st.Engine() == "sqlite" {
		q = `SELECT coalesce(sum(json_extract(metadata, '$.snoozes')), 0) FROM river_job`
	}
	var n int64
	if err := h.st.WriterDB().QueryRowContext(h.ctx, q).Scan(&n); err != nil {
		h.t.Fatalf("count snoozes: %v", err)
	}
	return n
}
