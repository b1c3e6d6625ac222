package storetest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var idempotencyTests = []namedTest{
	{"Lifecycle", testIdempotencyLifecycle},
	{"ResponseRoundTrip", testIdempotencyResponseRoundTrip},
	{"Release", testIdempotencyRelease},
	{"LockTakeover", testIdempotencyLockTakeover},
	{"TTL", testIdempotencyTTL},
	{"Scoped", testIdempotencyScoped},
	{"Concurrent", testIdempotencyConcurrent},
	{"Purge", testIdempotencyPurge},
}

const (
	lockFor = 30 * time.Second
	ttl     = 24 * time.Hour
)

func outcomeName(o store.ReserveOutcome) string {
	switch o {
	case store.Reserved:
		return "Reserved"
	case store.Replay:
		return "Replay"
	case store.InProgress:
		return "InProgress"
	case store.Mismatch:
		return "Mismatch"
	}
	return fmt.Sprintf("ReserveOutcome(%d)", int(o))
}

// expectReserve reserves k for hash at now (with lockFor and ttl) and checks the outcome and, for Replay,
// the stored response (every other outcome returns the zero response).
func expectReserve(t *testing.T, s *store.Store, k store.IdempotencyKey, hash string, now time.Time, want store.ReserveOutcome, wantResp store.StoredResponse) {
	t.Helper()
	got, resp, err := s.ReserveIdempotencyKey(testCtx(t), k, hash, now, lockFor, ttl)
	if err != nil {
		t.Fatalf("ReserveIdempotencyKey(%q, %s, t0+%v): %v", k.Key, hash, now.Sub(t0), err)
	}
	if got != want {
		t.Errorf("ReserveIdempotencyKey(%q, %s, t0+%v) = %s, want %s", k.Key, hash, now.Sub(t0), outcomeName(got), outcomeName(want))
	}
	if want != store.Replay {
		wantResp = store.StoredResponse{}
	}
	if diff := cmpDiff(wantResp, resp); diff != "" {
		t.Errorf("ReserveIdempotencyKey(%q, %s, t0+%v) response (-want +got):\n%s", k.Key, hash, now.Sub(t0), diff)
	}
}

func mustComplete(t *testing.T, s *store.Store, k store.IdempotencyKey, resp store.StoredResponse) {
	t.Helper()
	if err := s.CompleteIdempotencyKey(testCtx(t), k, resp); err != nil {
		t.Fatalf("CompleteIdempotencyKey(%q): %v", k.Key, err)
	}
}

func mustRelease(t *testing.T, s *store.Store, k store.IdempotencyKey) {
	t.Helper()
	if err := s.ReleaseIdempotencyKey(testCtx(t), k); err != nil {
		t.Fatalf("ReleaseIdempotencyKey(%q): %v", k.Key, err)
	}
}

var none = store.StoredResponse{}

var created = store.StoredResponse{
	Status:  201,
	Headers: `{"Content-Type":["application/json"],"Location":["/v1/credentials/x?y=1"]}`,
	Body:    "{\"id\":\"x\",\"name\":\"Ação ? 'q' \\\"quoted\\\"\"}\n",
}

// idemScope returns a fresh partner's scope and a key in it (the partner row is not required by the
// schema, but real keys always belong to one).
func idemScope(t *testing.T, s *store.Store, key string) store.IdempotencyKey {
	t.Helper()
	return store.IdempotencyKey{Scope: mustScope(t, s, lending.EnvTest), Key: key}
}

func testIdempotencyLifecycle(t *testing.T, e Engine) {
	s, _ := open(t, e)
	k := idemScope(t, s, "order-1")
	expectReserve(t, s, k, "h1", t0, store.Reserved, none)
	expectReserve(t, s, k, "h1", t0.Add(time.Second), store.InProgress, none)
	expectReserve(t, s, k, "h2", t0.Add(time.Second), store.Mismatch, none)
	mustComplete(t, s, k, created)
	expectReserve(t, s, k, "h1", t0.Add(2*time.Second), store.Replay, created)
	expectReserve(t, s, k, "h2", t0.Add(2*time.Second), store.Mismatch, none)
	// A finished request keeps replaying after its lock has passed…
	expectReserve(t, s, k, "h1", t0.Add(time.Hour), store.Replay, created)
	// …and Release, meant for unfinished reservations, leaves it alone.
	mustRelease(t, s, k)
	expectReserve(t, s, k, "h1", t0.Add(time.Hour), store.Replay, created)
}

func testIdempotencyResponseRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	cases := map[string]store.StoredResponse{
		"json":       created,
		"empty":      {Status: 204, Headers: "", Body: ""},
		"empty json": {Status: 200, Headers: "{}", Body: "[]"},
		"large body": {Status: 200, Headers: `{"X":["1"]}`, Body: strings.Repeat("0123456789abcdef", 1<<14)},
		"whitespace": {Status: 500, Headers: " {\n} ", Body: "\t\r\n  trailing  "},
	}
	for name, resp := range cases {
		t.Run(name, func(t *testing.T) {
			k := idemScope(t, s, name)
			expectReserve(t, s, k, "h", t0, store.Reserved, none)
			mustComplete(t, s, k, resp)
			expectReserve(t, s, k, "h", t0.Add(time.Second), store.Replay, resp)
		})
	}
}

func testIdempotencyRelease(t *testing.T, e Engine) {
	s, _ := open(t, e)
	k := idemScope(t, s, "order-1")
	expectReserve(t, s, k, "h1", t0, store.Reserved, none)
	mustRelease(t, s, k)
	// Released: the key is free again, even for another request.
	expectReserve(t, s, k, "h2", t0.Add(time.Second), store.Reserved, none)
	expectReserve(t, s, k, "h2", t0.Add(2*time.Second), store.InProgress, none)
	expectReserve(t, s, k, "h1", t0.Add(2*time.Second), store.Mismatch, none)
	// Releasing a key that was never reserved is not an error.
	mustRelease(t, s, idemScope(t, s, "never"))
}

// testIdempotencyLockTakeover: an unfinished claim blocks repeats until its lock passes; then the next
// caller takes it over (its owner is presumed dead) and holds a fresh lock.
func testIdempotencyLockTakeover(t *testing.T, e Engine) {
	s, _ := open(t, e)
	k := idemScope(t, s, "order-1")
	expectReserve(t, s, k, "h1", t0, store.Reserved, none)
	expectReserve(t, s, k, "h1", t0.Add(lockFor-time.Microsecond), store.InProgress, none)
	takeover := t0.Add(lockFor + time.Second)
	expectReserve(t, s, k, "h1", takeover, store.Reserved, none)
	expectReserve(t, s, k, "h1", takeover.Add(lockFor-time.Microsecond), store.InProgress, none)
	// At lockFor exactly the lock has ended.
	second := takeover.Add(lockFor)
	expectReserve(t, s, k, "h1", second, store.Reserved, none)
	expectReserve(t, s, k, "h1", second.Add(time.Second), store.InProgress, none)
	expectReserve(t, s, k, "h2", second.Add(time.Second), store.Mismatch, none)
	// The new owner finishes: from now on the response replays, whatever the lock says.
	mustComplete(t, s, k, created)
	expectReserve(t, s, k, "h1", second.Add(2*lockFor), store.Replay, created)
}

// testIdempotencyTTL: a key is remembered for ttl from its reservation; after that it may serve a new,
// different request and the old response is forgotten.
func testIdempotencyTTL(t *testing.T, e Engine) {
	s, _ := open(t, e)
	k := idemScope(t, s, "order-1")
	expectReserve(t, s, k, "h1", t0, store.Reserved, none)
	mustComplete(t, s, k, created)
	expectReserve(t, s, k, "h2", t0.Add(ttl-time.Second), store.Mismatch, none)
	expectReserve(t, s, k, "h1", t0.Add(ttl-time.Microsecond), store.Replay, created)
	reuse := t0.Add(ttl + time.Second)
	expectReserve(t, s, k, "h2", reuse, store.Reserved, none)
	expectReserve(t, s, k, "h2", reuse.Add(time.Second), store.InProgress, none)
	expectReserve(t, s, k, "h1", reuse.Add(time.Second), store.Mismatch, none)
	other := store.StoredResponse{Status: 200, Headers: "{}", Body: "second"}
	mustComplete(t, s, k, other)
	expectReserve(t, s, k, "h2", reuse.Add(2*time.Second), store.Replay, other)

	// At ttl exactly a key has expired (as for PurgeIdempotencyKeys).
	edge := store.IdempotencyKey{Scope: k.Scope, Key: "order-2"}
	expectReserve(t, s, edge, "h1", t0, store.Reserved, none)
	mustComplete(t, s, edge, created)
	expectReserve(t, s, edge, "h2", t0.Add(ttl-time.Microsecond), store.Mismatch, none)
	expectReserve(t, s, edge, "h2", t0.Add(ttl), store.Reserved, none)
}

// testIdempotencyScoped: the same key string is independent per partner and per environment.
func testIdempotencyScoped(t *testing.T, e Engine) {
	s, _ := open(t, e)
	a := idemScope(t, s, "order-1")
	aLive := store.IdempotencyKey{Scope: lending.Scope{PartnerID: a.Scope.PartnerID, Environment: lending.EnvLive}, Key: a.Key}
	b := idemScope(t, s, a.Key)
	for _, k := range []store.IdempotencyKey{a, aLive, b} {
		expectReserve(t, s, k, "h-"+string(k.Scope.Environment), t0, store.Reserved, none)
	}
	mustComplete(t, s, a, created)
	expectReserve(t, s, a, "h-test", t0.Add(time.Second), store.Replay, created)
	expectReserve(t, s, aLive, "h-live", t0.Add(time.Second), store.InProgress, none)
	expectReserve(t, s, b, "h-test", t0.Add(time.Second), store.InProgress, none)
	mustRelease(t, s, aLive)
	expectReserve(t, s, aLive, "h-other", t0.Add(2*time.Second), store.Reserved, none)
	expectReserve(t, s, b, "h-other", t0.Add(2*time.Second), store.Mismatch, none)
	expectReserve(t, s, a, "h-test", t0.Add(2*time.Second), store.Replay, created)
}

// testIdempotencyConcurrent: of many identical requests arriving at once exactly one is Reserved and
// the others see it InProgress, whether the key is new or an expired one being reused or an abandoned
// claim being taken over.
func testIdempotencyConcurrent(t *testing.T, e Engine) {
	const n = 20
	s, _ := open(t, e)
	cases := []struct {
		name    string
		prepare func(t *testing.T, k store.IdempotencyKey)
		now     time.Time
	}{
		{"new key", func(*testing.T, store.IdempotencyKey) {}, t0},
		{"new key again", func(*testing.T, store.IdempotencyKey) {}, t0},
		{"expired key", func(t *testing.T, k store.IdempotencyKey) {
			expectReserve(t, s, k, "old", t0, store.Reserved, none)
			mustComplete(t, s, k, created)
		}, t0.Add(ttl + time.Second)},
		{"abandoned claim", func(t *testing.T, k store.IdempotencyKey) {
			expectReserve(t, s, k, "h", t0, store.Reserved, none)
		}, t0.Add(lockFor + time.Second)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			k := idemScope(t, s, "concurrent")
			c.prepare(t, k)
			start := make(chan struct{})
			outcomes := make([]store.ReserveOutcome, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					<-start
					outcomes[i], _, errs[i] = s.ReserveIdempotencyKey(ctx, k, "h", c.now, lockFor, ttl)
				})
			}
			close(start)
			wg.Wait()
			counts := map[string]int{}
			for i, err := range errs {
				if err != nil {
					t.Errorf("ReserveIdempotencyKey #%d: %v", i, err)
					continue
				}
				counts[outcomeName(outcomes[i])]++
			}
			want := map[string]int{"Reserved": 1, "InProgress": n - 1}
			if diff := cmpDiff(want, counts); diff != "" {
				t.Errorf("outcomes of %d concurrent reservations (-want +got):\n%s", n, diff)
			}
		})
	}
}

// testIdempotencyPurge: Purge deletes exactly the keys whose ttl has passed (finished or not) and says
// how many; the others keep working.
func testIdempotencyPurge(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	reserve := func(k store.IdempotencyKey, ttl time.Duration) {
		t.Helper()
		out, _, err := s.ReserveIdempotencyKey(ctx, k, "h", t0, lockFor, ttl)
		if err != nil || out != store.Reserved {
			t.Fatalf("ReserveIdempotencyKey(%q) = %s, %v; want Reserved", k.Key, outcomeName(out), err)
		}
	}
	purge := func(at time.Time, want int64) {
		t.Helper()
		n, err := s.PurgeIdempotencyKeys(ctx, at)
		if err != nil {
			t.Fatalf("PurgeIdempotencyKeys(t0+%v): %v", at.Sub(t0), err)
		}
		if n != want {
			t.Errorf("PurgeIdempotencyKeys(t0+%v) = %d, want %d", at.Sub(t0), n, want)
		}
	}
	oneHour := idemScope(t, s, "1h")
	twoHours := idemScope(t, s, "2h")
	twoHoursOther := store.IdempotencyKey{Scope: lending.Scope{PartnerID: twoHours.Scope.PartnerID, Environment: lending.EnvLive}, Key: "2h"}
	threeHours := idemScope(t, s, "3h")
	reserve(oneHour, time.Hour)
	reserve(twoHours, 2*time.Hour)
	reserve(twoHoursOther, 2*time.Hour)
	reserve(threeHours, 3*time.Hour)
	mustComplete(t, s, twoHours, created)
	mustComplete(t, s, threeHours, created)

	purge(t0, 0)
	purge(t0.Add(time.Hour-time.Microsecond), 0)
	purge(t0.Add(90*time.Minute), 1)
	purge(t0.Add(90*time.Minute), 0)
	purge(t0.Add(2*time.Hour), 2) // expiring exactly now counts as expired, as in Reserve
	// The purged keys are gone: another request may use them, with no trace of the old one.
	expectReserve(t, s, oneHour, "other", t0.Add(2*time.Hour), store.Reserved, none)
	expectReserve(t, s, twoHours, "other", t0.Add(2*time.Hour), store.Reserved, none)
	// The unexpired key still replays.
	expectReserve(t, s, threeHours, "h", t0.Add(2*time.Hour), store.Replay, created)
	purge(t0.Add(2*time.Hour), 0)
}
