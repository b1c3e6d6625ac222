// Package delivery performs webhook deliveries: it signs each attempt (Standard Webhooks), posts it to
// the partner's endpoint with a bounded timeout and, for live endpoints, only to public addresses, and
// records what happened, retrying on the schedule of spec/README.md decision 9.
package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/webhook"
)

const (
	// Timeout bounds one attempt: success is a 2xx within it.
	Timeout = 15 * time.Second
	// excerptBytes is how much of a response body an attempt keeps.
	excerptBytes = 1024
	// perEndpoint bounds the attempts in flight to one endpoint from this process, so a slow endpoint
	// cannot occupy every worker and delay other endpoints' deliveries.
	perEndpoint = 4
	// slotWait is how long a job waits for a free slot of its endpoint before snoozing.
	slotWait = 200 * time.Millisecond
	// claimSlack tolerates a job woken slightly before its delivery's next attempt is due.
	claimSlack = time.Second
	// UserAgent identifies our deliveries.
	UserAgent = "Dinie-Webhooks/1"
)

// Config builds a Worker.
type Config struct {
	Store *store.Store
	// Clock stamps attempts and signs them; receivers compare the signature timestamp with their own
	// clock, so it is the wall clock outside tests.
	Clock clock.Clock
	// Schedule returns the delay after failed attempt n (1-based) and whether there is another attempt;
	// nil means webhook.RetryDelay with jitter.
	Schedule func(attempt int) (time.Duration, bool)
	Logger   *slog.Logger
	// AllowPrivateLive lets live deliveries reach private and loopback addresses. Only for tests of the
	// live path on one machine; never set in production.
	AllowPrivateLive bool
}

// Worker is the River worker of jobs.DeliverWebhook.
type Worker struct {
	river.WorkerDefaults[jobs.DeliverWebhook]
	cfg      Config
	testHTTP *http.Client
	liveHTTP *http.Client

	mu    sync.Mutex
	slots map[string]*endpointSlots
}

// endpointSlots bounds one endpoint's attempts in flight; users counts the jobs holding or awaiting a
// slot, so the entry can be dropped when nobody needs it.
type endpointSlots struct {
	ch    chan struct{}
	users int
}

// NewWorker returns a delivery worker.
func NewWorker(cfg Config) *Worker {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Schedule == nil {
		cfg.Schedule = func(n int) (time.Duration, bool) { return webhook.RetryDelay(n, rand.Float64) }
	}
	w := &Worker{cfg: cfg, slots: map[string]*endpointSlots{}}
	w.testHTTP = newHTTPClient(nil)
	if cfg.AllowPrivateLive {
		w.liveHTTP = w.testHTTP
	} else {
		w.liveHTTP = newHTTPClient(refusePrivate)
	}
	return w
}

// newHTTPClient returns a client that never follows redirects (a 3xx is a failed attempt) and whose
// dialer runs control on every address it connects to.
func newHTTPClient(control func(network, address string, c syscall.RawConn) error) *http.Client {
	d := &net.Dialer{Timeout: 10 * time.Second, Control: control}
	return &http.Client{
		Timeout: Timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           d.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: Timeout,
			MaxIdleConnsPerHost:   perEndpoint,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// errPrivateAddress refuses a live delivery whose host resolved to a non-public address.
var errPrivateAddress = errors.New("the endpoint resolves to a private, loopback or link-local address")

// refusePrivate is checked after DNS resolution, on the address actually dialled, so a public name that
// resolves (or re-resolves) to an internal address is refused.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || !lending.IsPublicAddr(ip) {
		return errPrivateAddress
	}
	return nil
}

// Timeout bounds a job: one attempt plus bookkeeping.
func (w *Worker) Timeout(*river.Job[jobs.DeliverWebhook]) time.Duration {
	return Timeout + 15*time.Second
}

// Work makes one attempt of a delivery, records it, and snoozes the job until the next attempt when
// there is one.
func (w *Worker) Work(ctx context.Context, job *river.Job[jobs.DeliverWebhook]) error {
	work, err := w.cfg.Store.DeliveryWork(ctx, job.Args.DeliveryID)
	if errors.Is(err, store.ErrNotFound) {
		return river.JobCancel(fmt.Errorf("delivery %s does not exist", job.Args.DeliveryID))
	}
	if err != nil {
		return err
	}
	d, ep := work.Delivery, work.Endpoint
	if d.Status != lending.DeliveryPending {
		return nil // settled already (a duplicate job, or a resend that raced a success)
	}
	if ep.DeletedAt != nil || ep.Status != lending.EndpointActive {
		return w.cfg.Store.FailDelivery(ctx, d.ID, w.cfg.Clock.Now())
	}
	if !w.acquire(ctx, ep.ID) {
		return river.JobSnooze(time.Duration(100+rand.IntN(200)) * time.Millisecond)
	}
	defer w.release(ep.ID)
	claimedAt := w.cfg.Clock.Now()
	claim, until, err := w.cfg.Store.ClaimAttempt(ctx, d.ID, claimedAt.Add(claimSlack), claimedAt.Add(w.Timeout(job)))
	switch {
	case err != nil:
		return err
	case claim == store.InFlight:
		// Another job is attempting. Look again soon: once it has recorded its attempt this job has
		// nothing to do, and if it died its claim expires at until.
		return river.JobSnooze(min(until.Sub(claimedAt)+100*time.Millisecond, time.Duration(1000+rand.IntN(1000))*time.Millisecond))
	case claim == store.NotDue:
		return nil // another job owns the delivery's next attempt (after a resend), or it is settled
	}

	attempt, retryAfter := w.attempt(ctx, work)
	now := w.cfg.Clock.Now()
	o := store.AttemptOutcome{Attempt: attempt}
	switch code := attempt.ResponseStatus; {
	case code >= 200 && code < 300:
		o.Status, o.Succeeded = lending.DeliverySucceeded, true
	case code == http.StatusGone:
		o.Status, o.Gone = lending.DeliveryFailed, true
	default:
		delay, again := w.cfg.Schedule(d.AttemptCount + 1)
		if again {
			delay = max(delay, retryAfter)
			next := now.Add(delay)
			o.Status, o.NextAttemptAt = lending.DeliveryPending, &next
		} else {
			o.Status = lending.DeliveryFailed
		}
	}
	ep, err = w.cfg.Store.RecordAttempt(ctx, d.ID, o, now)
	if err != nil {
		return err
	}
	w.cfg.Logger.Info("webhook attempt", "delivery_id", d.ID, "event_id", d.EventID, "endpoint_id", ep.ID,
		"attempt", d.AttemptCount+1, "status", attempt.ResponseStatus, "duration_ms", attempt.Duration.Milliseconds(),
		"error", attempt.Error, "outcome", string(o.Status))
	if ep.DeletedAt != nil || ep.Status != lending.EndpointActive {
		// Deleted during the attempt, or disabled by it (410, or five days of failures): the delivery stops here.
		if o.Status == lending.DeliveryPending {
			return w.cfg.Store.FailDelivery(ctx, d.ID, now)
		}
		return nil
	}
	if o.Status == lending.DeliveryPending {
		return river.JobSnooze(o.NextAttemptAt.Sub(now))
	}
	return nil
}

// attempt posts the delivery once and describes what happened, with the delay the endpoint asked for
// in Retry-After, if any.
func (w *Worker) attempt(ctx context.Context, work store.DeliveryWork) (lending.DeliveryAttempt, time.Duration) {
	start := w.cfg.Clock.Now()
	a := lending.DeliveryAttempt{AttemptedAt: start}
	fail := func(err error) (lending.DeliveryAttempt, time.Duration) {
		a.Duration, a.Error = w.cfg.Clock.Now().Sub(start), storable(err.Error())
		return a, 0
	}
	body, err := events.EnvelopeFor(work.Event, work.Delivery.ID)
	if err != nil {
		return fail(err)
	}
	sig, err := webhook.Sign(work.Endpoint.SigningSecrets(start), work.Event.ID, start.Unix(), body)
	if err != nil {
		return fail(err)
	}
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, work.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return fail(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	webhook.Headers{ID: work.Event.ID, Timestamp: start.Unix(), Signature: sig}.Apply(req.Header)
	client := w.testHTTP
	if work.Endpoint.Scope.Environment == lending.EnvLive {
		client = w.liveHTTP
	}
	resp, err := client.Do(req)
	if err != nil {
		return fail(err)
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, excerptBytes))
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	a.Duration = w.cfg.Clock.Now().Sub(start)
	a.ResponseStatus = resp.StatusCode
	a.ResponseExcerpt = storable(string(excerpt))
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		a.Error = fmt.Sprintf("the endpoint answered %d", resp.StatusCode)
	}
	retryAfter, _ := webhook.RetryAfterDelay(resp.Header, w.cfg.Clock.Now())
	return a, retryAfter
}

// storable returns s as text every engine keeps: valid UTF-8 without NUL bytes (PostgreSQL refuses them).
func storable(s string) string {
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "\uFFFD")
}

// acquire takes one of the endpoint's in-flight slots, waiting briefly for one to free up.
func (w *Worker) acquire(ctx context.Context, endpointID string) bool {
	w.mu.Lock()
	slots := w.slots[endpointID]
	if slots == nil {
		slots = &endpointSlots{ch: make(chan struct{}, perEndpoint)}
		w.slots[endpointID] = slots
	}
	slots.users++
	w.mu.Unlock()
	t := time.NewTimer(slotWait)
	defer t.Stop()
	select {
	case slots.ch <- struct{}{}:
		return true
	case <-t.C:
	case <-ctx.Done():
	}
	w.mu.Lock()
	w.dropUser(endpointID, slots)
	w.mu.Unlock()
	return false
}

func (w *Worker) release(endpointID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	slots := w.slots[endpointID]
	<-slots.ch
	w.dropUser(endpointID, slots)
}

func (w *Worker) dropUser(endpointID string, slots *endpointSlots) {
	if slots.users--; slots.users == 0 {
		delete(w.slots, endpointID)
	}
}
