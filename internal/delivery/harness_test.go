package delivery_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/delivery"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/webhook"
)

const (
	// waitLimit bounds every wait for an outcome. It is generous on purpose: machines are noisy, and no
	// test asserts how long anything takes.
	waitLimit = 30 * time.Second
	// pollEvery is how often a wait looks at the store or the receiver again.
	pollEvery = 20 * time.Millisecond
	// perEndpoint mirrors the worker's limit of attempts in flight to one endpoint (delivery.perEndpoint).
	perEndpoint = 4
)

// quiet discards the worker's and River's logs (one line per attempt).
var quiet = slog.New(slog.DiscardHandler)

// forEachEngine runs fn as a parallel subtest on every store engine.
func forEachEngine(t *testing.T, fn func(t *testing.T, e storetest.Engine)) {
	t.Helper()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			fn(t, e)
		})
	}
}

// harnessOptions tune one harness.
type harnessOptions struct {
	// clock is the worker's and the store's clock (nil: the system clock).
	clock clock.Clock
	// maxAttempts is how many attempts a delivery gets (default 10); step is the delay after failed attempt
	// n, times n (default 30 ms).
	maxAttempts int
	step        time.Duration
	// allowPrivateLive lets live deliveries reach loopback receivers.
	allowPrivateLive bool
	// webhookWorkers and pollInterval tune the job engine (defaults: jobs' default, and 20 ms).
	webhookWorkers int
	pollInterval   time.Duration
}

// harness is a fresh database with River migrated, and a running job client whose delivery worker uses a
// short retry schedule.
type harness struct {
	t     testing.TB
	ctx   context.Context
	clock clock.Clock
	st    *store.Store
	em    *events.Emitter
	// stop stops the job client (it is also stopped when the test ends).
	stop func()
}

func newHarness(t testing.TB, e storetest.Engine, o harnessOptions) *harness {
	t.Helper()
	if o.clock == nil {
		o.clock = clock.System{}
	}
	if o.maxAttempts == 0 {
		o.maxAttempts = 10
	}
	if o.step == 0 {
		o.step = 30 * time.Millisecond
	}
	if o.pollInterval == 0 {
		o.pollInterval = 20 * time.Millisecond
	}
	ctx := context.Background()
	st := e.Open(t, o.clock)
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatalf("jobs.Migrate on %s: %v", e.Name, err)
	}
	ws := river.NewWorkers()
	maxAttempts, step := o.maxAttempts, o.step
	river.AddWorker(ws, delivery.NewWorker(delivery.Config{
		Store: st, Clock: o.clock, Logger: quiet, AllowPrivateLive: o.allowPrivateLive,
		Schedule: func(n int) (time.Duration, bool) { return time.Duration(n) * step, n < maxAttempts },
	}))
	jc, err := jobs.New(st, jobs.Config{
		Workers: ws, WebhookWorkers: o.webhookWorkers, PollInterval: o.pollInterval,
		// Longer than any attempt may run (delivery.Timeout plus bookkeeping), so no job is rescued and
		// run twice while its attempt is merely slow.
		RescueAfter: time.Minute,
		Logger:      quiet,
	})
	if err != nil {
		t.Fatalf("jobs.New: %v", err)
	}
	if err := jc.Start(ctx); err != nil {
		t.Fatalf("start jobs: %v", err)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := jc.Stop(ctx); err != nil {
				t.Errorf("stop jobs: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return &harness{t: t, ctx: ctx, clock: o.clock, st: st, em: events.NewEmitter(jc), stop: stop}
}

// partner creates a partner and returns its id.
func (h *harness) partner(name string) string {
	h.t.Helper()
	p, err := lending.NewPartner(name, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	if err := h.st.InTx(h.ctx, func(tx *store.Tx) error { return tx.CreatePartner(h.ctx, p) }); err != nil {
		h.t.Fatalf("create partner: %v", err)
	}
	return p.ID
}

// endpoint creates an active endpoint of scope through the domain's validation.
func (h *harness) endpoint(scope lending.Scope, url string, filters []string) lending.WebhookEndpoint {
	h.t.Helper()
	ep, err := lending.NewWebhookEndpoint(scope, url, filters, "test endpoint", webhook.NewSecret(), h.clock.Now())
	if err != nil {
		h.t.Fatalf("NewWebhookEndpoint(%s, %q): %v", scope.Environment, url, err)
	}
	if err := h.st.CreateWebhookEndpoint(h.ctx, ep); err != nil {
		h.t.Fatalf("create endpoint: %v", err)
	}
	return ep
}

// rawEndpoint creates an active endpoint built by hand, skipping URL validation: the way to get a live
// endpoint on a loopback receiver, which NewWebhookEndpoint rightly refuses.
func (h *harness) rawEndpoint(scope lending.Scope, url string, filters []string) lending.WebhookEndpoint {
	h.t.Helper()
	if _, err := lending.NewWebhookEndpoint(scope, url, filters, "", webhook.NewSecret(), h.clock.Now()); scope.Environment == lending.EnvLive && err == nil {
		h.t.Fatalf("NewWebhookEndpoint accepted the live URL %q; this helper is for URLs it refuses", url)
	}
	now := h.clock.Now().UTC().Truncate(time.Microsecond)
	if filters == nil {
		filters = []string{}
	}
	ep := lending.WebhookEndpoint{ID: ids.New("we_"), Scope: scope, URL: url, Events: filters, Description: "by hand",
		Status: lending.EndpointActive, Secret: webhook.NewSecret(), CreatedAt: now, UpdatedAt: now}
	if err := h.st.CreateWebhookEndpoint(h.ctx, ep); err != nil {
		h.t.Fatalf("create endpoint: %v", err)
	}
	return ep
}

// emit records an event of type typ in scope, with sample data, in its own transaction.
func (h *harness) emit(scope lending.Scope, typ string) lending.Event {
	h.t.Helper()
	data, err := events.Sample(typ, h.clock.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	var ev lending.Event
	err = h.st.InTx(h.ctx, func(tx *store.Tx) error {
		var err error
		ev, err = h.em.Emit(h.ctx, tx, scope, typ, data, h.clock.Now())
		return err
	})
	if err != nil {
		h.t.Fatalf("emit %s: %v", typ, err)
	}
	return ev
}

// deliveries returns every delivery of endpoint ep (newest first), with their attempts.
func (h *harness) deliveries(ep lending.WebhookEndpoint) []lending.Delivery {
	h.t.Helper()
	var out []lending.Delivery
	page := store.Page{Limit: 100}
	for {
		ds, more, err := h.st.ListDeliveries(h.ctx, ep.Scope, ep.ID, "", page)
		if err != nil {
			h.t.Fatalf("list deliveries of %s: %v", ep.ID, err)
		}
		out = append(out, ds...)
		if !more {
			return out
		}
		page.StartingAfter = ds[len(ds)-1].ID
	}
}

// delivery returns delivery id as the worker sees it (also when its endpoint is deleted), without attempts.
func (h *harness) delivery(id string) lending.Delivery {
	h.t.Helper()
	w, err := h.st.DeliveryWork(h.ctx, id)
	if err != nil {
		h.t.Fatalf("DeliveryWork(%s): %v", id, err)
	}
	return w.Delivery
}

// settled waits until endpoint ep has n deliveries, none of them pending, and returns them (newest first).
func (h *harness) settled(ep lending.WebhookEndpoint, n int) []lending.Delivery {
	h.t.Helper()
	var ds []lending.Delivery
	h.waitFor(fmt.Sprintf("%d settled deliveries to %s", n, ep.URL), func() error {
		ds = h.deliveries(ep)
		if len(ds) != n {
			return fmt.Errorf("%d deliveries", len(ds))
		}
		for _, d := range ds {
			if d.Status == lending.DeliveryPending {
				return fmt.Errorf("delivery %s pending after %d attempts", d.ID, d.AttemptCount)
			}
		}
		return nil
	})
	return ds
}

// waitFor polls check until it returns nil, failing the test after waitLimit with check's last answer.
func (h *harness) waitFor(what string, check func() error) {
	h.t.Helper()
	waitFor(h.t, what, waitLimit, check)
}

func waitFor(t testing.TB, what string, limit time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s: %v", limit, what, err)
		}
		time.Sleep(pollEvery)
	}
}

// waitJobsSettled waits until River has no job left to run: after it, no delivery attempt can happen
// unless something queues a new job.
func (h *harness) waitJobsSettled() {
	h.t.Helper()
	h.waitFor("every job to finish", func() error {
		var n int
		err := h.st.WriterDB().QueryRowContext(h.ctx,
			`SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'cancelled', 'discarded')`).Scan(&n)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("%d jobs not finished", n)
		}
		return nil
	})
}

// jobErrors returns the errors River recorded for the jobs that failed, for failure messages.
func (h *harness) jobErrors() string {
	q := `SELECT coalesce(array_to_string(errors, ' | '), '') FROM river_job WHERE errors IS NOT NULL`
	if h.st.Engine() == "sqlite" {
		q = `SELECT coalesce(json(errors), '') FROM river_job WHERE errors IS NOT NULL`
	}
	rows, err := h.st.WriterDB().QueryContext(h.ctx, q)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return err.Error()
		}
		out = append(out, s)
	}
	return strings.Join(out, "\n")
}

// scopeOf is a test helper for scope literals.
func scopeOf(partnerID string, env lending.Environment) lending.Scope {
	return lending.Scope{PartnerID: partnerID, Environment: env}
}

// received is one request a receiver got.
type received struct {
	Path   string
	Method string
	Header http.Header
	Body   []byte
	// At is when it arrived (wall clock); Status is what the receiver answered (0 while it is answering).
	At     time.Time
	Status int
}

// ID returns the request's webhook-id.
func (r received) ID() string { return r.Header.Get(webhook.HeaderID) }

// receiver is a loopback HTTP server that records every request and answers as its respond function says.
type receiver struct {
	URL     string
	mu      sync.Mutex
	reqs    []received
	arrived chan struct{} // signalled (without blocking) on every request
}

// respondFunc answers request r, the n-th (from 0) the receiver got.
type respondFunc func(w http.ResponseWriter, r received, n int)

// newReceiver starts a receiver; a nil respond answers 200 with an empty body. It is closed when t ends.
func newReceiver(t testing.TB, respond respondFunc) *receiver {
	t.Helper()
	rc := &receiver{arrived: make(chan struct{}, 1)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		rec := received{Path: r.URL.Path, Method: r.Method, Header: r.Header.Clone(), Body: body, At: time.Now()}
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, rec)
		rc.mu.Unlock()
		select {
		case rc.arrived <- struct{}{}:
		default:
		}
		sw := &statusWriter{ResponseWriter: w}
		if respond != nil {
			respond(sw, rec, n)
		}
		if sw.status == 0 {
			sw.WriteHeader(http.StatusOK)
		}
		rc.mu.Lock()
		rc.reqs[n].Status = sw.status
		rc.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	rc.URL = srv.URL
	return rc
}

// requests returns a copy of the requests so far, in arrival order.
func (rc *receiver) requests() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.reqs)
}

// count returns how many requests arrived at path ("" for any path).
func (rc *receiver) count(path string) int {
	n := 0
	for _, r := range rc.requests() {
		if path == "" || r.Path == path {
			n++
		}
	}
	return n
}

// withID returns the requests whose webhook-id is id, in arrival order.
func (rc *receiver) withID(id string) []received {
	var out []received
	for _, r := range rc.requests() {
		if r.ID() == id {
			out = append(out, r)
		}
	}
	return out
}

// answered returns the first request with webhook-id id that the receiver answered with a 2xx: what a
// receiver that dedupes on webhook-id processes. It fails the test when there is none.
func (rc *receiver) answered(t testing.TB, id string) received {
	t.Helper()
	for _, r := range rc.withID(id) {
		if r.Status >= 200 && r.Status < 300 {
			return r
		}
	}
	t.Fatalf("no request with webhook-id %s was answered 2xx", id)
	return received{}
}

// waitUnique waits (up to limit) until the receiver has answered n distinct webhook-ids with a 2xx.
func (rc *receiver) waitUnique(t testing.TB, n int, limit time.Duration) {
	t.Helper()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		seen := map[string]bool{}
		for _, r := range rc.requests() {
			if r.Status >= 200 && r.Status < 300 {
				seen[r.ID()] = true
			}
		}
		if len(seen) >= n {
			return
		}
		select {
		case <-rc.arrived:
		case <-time.After(pollEvery):
		case <-deadline.C:
			t.Fatalf("gave up after %v: the receiver has %d of %d events", limit, len(seen), n)
		}
	}
}

// statusWriter remembers the status a handler answered.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// secretBook maps receiver paths to the secret the receiver verifies them with; it is filled after the
// server starts (endpoints need its URL), so it is guarded.
type secretBook struct {
	mu sync.Mutex
	m  map[string]string
}

func (b *secretBook) set(path, secret string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = map[string]string{}
	}
	b.m[path] = secret
}

func (b *secretBook) get(path string) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.m[path]
	return s, ok
}
