package delivery_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/delivery"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/webhook"
	"github.com/dinie-oss/dinie/webhook/webhooktest"
)

const (
	test = lending.EnvTest
	live = lending.EnvLive
)

// statuses returns the response status of each attempt, in order.
func statuses(d lending.Delivery) []int {
	out := make([]int, len(d.Attempts))
	for i, a := range d.Attempts {
		out[i] = a.ResponseStatus
	}
	return out
}

// referenceCheck runs real deliveries through the reference Standard Webhooks library (npm
// "standardwebhooks"): each must verify with its secrets, and the first one with a tampered body must not.
func referenceCheck(t *testing.T, secrets [][]string, reqs []received) {
	t.Helper()
	var cases []webhooktest.Case
	for i, r := range reqs {
		cases = append(cases, webhooktest.Case{Secrets: secrets[i], Header: r.Header, Body: r.Body})
	}
	tampered := bytes.Replace(reqs[0].Body, []byte(`"api_version":"2026-03-01"`), []byte(`"api_version":"2026-03-02"`), 1)
	if bytes.Equal(tampered, reqs[0].Body) {
		t.Fatalf("could not tamper with body %s", reqs[0].Body)
	}
	cases = append(cases, webhooktest.Case{Secrets: secrets[0], Header: reqs[0].Header, Body: tampered})
	results := webhooktest.ReferenceVerify(t, cases)
	for i, err := range results[:len(reqs)] {
		if err != nil {
			t.Errorf("reference library rejected real delivery %d (webhook-id %s, signature %q): %v",
				i, reqs[i].ID(), reqs[i].Header.Get(webhook.HeaderSignature), err)
		}
	}
	if err := results[len(reqs)]; !errors.Is(err, webhooktest.ErrRejected) {
		t.Errorf("reference library on a tampered body: %v, want a rejection", err)
	}
}

// Scenario 1 (and 11): a receiver that is down (503) for its first 2×N requests serves three scopes —
// partner A test, partner A live, partner B test — on distinct paths, and verifies every request with the
// secret of the endpoint behind the path. After deduplication on webhook-id, every event reaches exactly
// its own scope's endpoint exactly once; deliveries retried through the outage record 503s then a 200.
// Some of the real requests are then checked with the reference library.
func TestOutageEveryEventReachesItsOwnEndpointOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		// A generous attempt budget: the outage is shared, so one delivery may absorb several of its 503s.
		h := newHarness(t, e, harnessOptions{allowPrivateLive: true, maxAttempts: 25})
		const nEvents = 21
		const outage = 2 * nEvents
		var secrets secretBook
		rc := newReceiver(t, func(w http.ResponseWriter, r received, n int) {
			secret, ok := secrets.get(r.Path)
			if !ok {
				t.Errorf("request to unknown path %q", r.Path)
				w.WriteHeader(http.StatusNotFound)
				return
			}
			if err := webhook.Verify([]string{secret}, r.Header, r.Body, time.Now()); err != nil {
				t.Errorf("request %d to %s (webhook-id %s) does not verify with its endpoint's secret: %v", n, r.Path, r.ID(), err)
			}
			if n < outage {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		a, b := h.partner("Partner A"), h.partner("Partner B")
		type target struct {
			path  string
			scope lending.Scope
		}
		targets := []target{{"/a-test", scopeOf(a, test)}, {"/a-live", scopeOf(a, live)}, {"/b-test", scopeOf(b, test)}}
		endpoints := map[string]lending.WebhookEndpoint{}
		for _, tg := range targets {
			var ep lending.WebhookEndpoint
			if tg.scope.Environment == live {
				ep = h.rawEndpoint(tg.scope, rc.URL+tg.path, nil)
			} else {
				ep = h.endpoint(tg.scope, rc.URL+tg.path, nil)
			}
			secrets.set(tg.path, ep.Secret)
			endpoints[tg.path] = ep
		}

		want := map[string][]string{} // path → ids of the events of its scope
		pathOf := map[string]string{} // event id → path of its scope
		for i := range nEvents {
			tg := targets[i%len(targets)]
			ev := h.emit(tg.scope, webhook.EventTypes[i%len(webhook.EventTypes)])
			want[tg.path] = append(want[tg.path], ev.ID)
			pathOf[ev.ID] = tg.path
		}

		retried, attempts := 0, 0
		for _, tg := range targets {
			for _, d := range h.settled(endpoints[tg.path], len(want[tg.path])) {
				attempts += len(d.Attempts)
				if d.Status != lending.DeliverySucceeded {
					t.Errorf("delivery %s to %s: status %s after attempts %v, want succeeded", d.ID, tg.path, d.Status, statuses(d))
					continue
				}
				wantStatuses := make([]int, len(d.Attempts))
				for i := range wantStatuses {
					wantStatuses[i] = http.StatusServiceUnavailable
				}
				wantStatuses[len(wantStatuses)-1] = http.StatusOK
				if diff := cmp.Diff(wantStatuses, statuses(d)); diff != "" {
					t.Errorf("delivery %s attempts' statuses (-want +got):\n%s", d.ID, diff)
				}
				if len(d.Attempts) > 1 {
					retried++
				}
				if d.NextAttemptAt != nil {
					t.Errorf("succeeded delivery %s still has next_attempt_at %v", d.ID, d.NextAttemptAt)
				}
			}
		}
		if retried == 0 {
			t.Errorf("no delivery was retried through the outage")
		}

		// What a receiver that dedupes on webhook-id processed, by path.
		reqs := rc.requests()
		got := map[string][]string{}
		processed := map[string]bool{}
		ok, unavailable := 0, 0
		for _, r := range reqs {
			if want := pathOf[r.ID()]; r.Path != want {
				t.Errorf("event %s of the scope served at %q was sent to %q", r.ID(), want, r.Path)
			}
			switch r.Status {
			case http.StatusOK:
				ok++
				if !processed[r.ID()] {
					processed[r.ID()] = true
					got[r.Path] = append(got[r.Path], r.ID())
				}
			case http.StatusServiceUnavailable:
				unavailable++
			}
		}
		for _, m := range []map[string][]string{want, got} {
			for _, ids := range m {
				slices.Sort(ids)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("events processed by path after deduplication (-want +got):\n%s", diff)
		}
		if ok != nEvents || unavailable != outage {
			t.Errorf("receiver answered %d × 200 and %d × 503, want %d and %d (a second 200 for one event means a duplicate delivery)",
				ok, unavailable, nEvents, outage)
		}
		if attempts != len(reqs) {
			t.Errorf("%d attempts recorded for %d requests received", attempts, len(reqs))
		}
		for path, ep := range endpoints {
			now, err := h.st.WebhookEndpoint(h.ctx, ep.Scope, ep.ID)
			if err != nil {
				t.Fatal(err)
			}
			if now.Status != lending.EndpointActive || now.FailingSince != nil {
				t.Errorf("endpoint %s after its last delivery succeeded: status %s, failing since %v; want active, not failing",
					path, now.Status, now.FailingSince)
			}
		}

		// Scenario 11: real requests (the first 200 of each scope, and a 503 attempt) against the reference
		// library, plus a tampered one.
		var sample []received
		var sampleSecrets [][]string
		for _, tg := range targets {
			r := rc.answered(t, want[tg.path][0])
			sample = append(sample, r)
			sampleSecrets = append(sampleSecrets, []string{endpoints[tg.path].Secret})
		}
		for _, r := range reqs {
			if r.Status == http.StatusServiceUnavailable {
				sample = append(sample, r)
				sampleSecrets = append(sampleSecrets, []string{endpoints[r.Path].Secret})
				break
			}
		}
		referenceCheck(t, sampleSecrets, sample)
	})
}

// Scenario 2: an endpoint's filter selects its deliveries; a disabled endpoint gets none (no delivery row).
func TestFiltersSelectDeliveries(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{})
		rc := newReceiver(t, nil)
		scope := scopeOf(h.partner("Partner A"), test)
		loans := h.endpoint(scope, rc.URL+"/loans", []string{"loan.*"})
		all := h.endpoint(scope, rc.URL+"/all", []string{})
		some := h.endpoint(scope, rc.URL+"/some", []string{"customer.active", "credit_offer.*"})
		off, err := lending.NewWebhookEndpoint(scope, rc.URL+"/disabled", nil, "", webhook.NewSecret(), h.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		disabled := lending.EndpointDisabled
		if off, err = off.Apply(lending.WebhookEndpointPatch{Status: &disabled}, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		if err := h.st.CreateWebhookEndpoint(h.ctx, off); err != nil {
			t.Fatal(err)
		}

		emitted := map[string]lending.Event{} // by type
		for _, typ := range webhook.EventTypes {
			emitted[typ] = h.emit(scope, typ)
		}
		types := func(ds []lending.Delivery) []string {
			var out []string
			for _, d := range ds {
				out = append(out, d.EventType)
				if d.Status != lending.DeliverySucceeded {
					t.Errorf("delivery %s of %s: %s, want succeeded", d.ID, d.EventType, d.Status)
				}
			}
			slices.Sort(out)
			return out
		}
		wantLoans := []string{"loan.active", "loan.cancelled", "loan.created", "loan.error", "loan.finished",
			"loan.payment_received", "loan.processing", "loan.signature_received"}
		wantAll := slices.Sorted(slices.Values(webhook.EventTypes))
		wantSome := []string{"credit_offer.available", "credit_offer.expired", "customer.active"}
		for _, c := range []struct {
			ep   lending.WebhookEndpoint
			want []string
		}{{loans, wantLoans}, {all, wantAll}, {some, wantSome}} {
			if diff := cmp.Diff(c.want, types(h.settled(c.ep, len(c.want)))); diff != "" {
				t.Errorf("event types delivered to %s (-want +got):\n%s", c.ep.URL, diff)
			}
		}
		h.waitJobsSettled()
		if ds := h.deliveries(off); len(ds) != 0 {
			t.Errorf("the disabled endpoint has %d deliveries, want none", len(ds))
		}
		if n := rc.count("/disabled"); n != 0 {
			t.Errorf("the disabled endpoint received %d requests", n)
		}

		// Every request the receiver got is the event's envelope with the emitted data, and a delivery to
		// one endpoint carries that endpoint's delivery id.
		byPath := map[string]int{}
		for _, r := range rc.requests() {
			byPath[r.Path]++
			var env events.Envelope
			if err := json.Unmarshal(r.Body, &env); err != nil {
				t.Fatalf("body %s: %v", r.Body, err)
			}
			ev, ok := emitted[env.Type]
			if !ok || ev.ID != env.ID || r.ID() != ev.ID {
				t.Errorf("request to %s: envelope id %s type %s, webhook-id %s; not an emitted event", r.Path, env.ID, env.Type, r.ID())
				continue
			}
			if diff := cmp.Diff(jsonValue(t, ev.Data), jsonValue(t, env.Data)); diff != "" {
				t.Errorf("data of %s (-emitted +delivered):\n%s", env.Type, diff)
			}
		}
		if diff := cmp.Diff(map[string]int{"/loans": len(wantLoans), "/all": len(wantAll), "/some": len(wantSome)}, byPath); diff != "" {
			t.Errorf("requests by path (-want +got):\n%s", diff)
		}
	})
}

// jsonValue decodes JSON into generic values, for comparisons that ignore formatting.
func jsonValue(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
	return v
}

// Scenario 3 (and 11): after a rotation, deliveries during the grace period carry two v1 signatures and
// verify with the old secret alone and with the new secret alone; once the grace period is over (on the
// worker's clock) they verify with the new secret only.
func TestRotationSignsWithBothSecretsDuringGrace(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		// The clock starts at the wall clock so the grace-period delivery is also current for the reference
		// library, which checks timestamps against the real time.
		clk := clock.NewManual(time.Now())
		h := newHarness(t, e, harnessOptions{clock: clk})
		rc := newReceiver(t, nil)
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		oldSecret, newSecret, stranger := ep.Secret, webhook.NewSecret(), webhook.NewSecret()

		deliver := func(typ string) received {
			t.Helper()
			ev := h.emit(scope, typ)
			var got received
			h.waitFor("the delivery of "+ev.ID, func() error {
				rs := rc.withID(ev.ID)
				if len(rs) == 0 {
					return errors.New("not received")
				}
				got = rs[0]
				return nil
			})
			return got
		}
		tokens := func(r received) int { return len(strings.Fields(r.Header.Get(webhook.HeaderSignature))) }
		verify := func(r received, secrets ...string) error {
			return webhook.Verify(secrets, r.Header, r.Body, clk.Now())
		}

		before := deliver("customer.created")
		if n := tokens(before); n != 1 {
			t.Errorf("before rotation: %d signatures, want 1", n)
		}
		if err := verify(before, oldSecret); err != nil {
			t.Errorf("before rotation, verify with the secret: %v", err)
		}

		rotated, err := h.st.UpdateWebhookEndpoint(h.ctx, scope, ep.ID, func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
			return e.RotateSecret(newSecret, time.Hour, clk.Now())
		})
		if err != nil {
			t.Fatal(err)
		}
		if rotated.Secret != newSecret || rotated.PreviousSecret != oldSecret || rotated.PreviousSecretExpiresAt == nil {
			t.Fatalf("rotated endpoint: secret %q previous %q expires %v", rotated.Secret, rotated.PreviousSecret, rotated.PreviousSecretExpiresAt)
		}

		during := deliver("customer.active")
		if n := tokens(during); n != 2 {
			t.Errorf("during the grace period: %d signatures (%q), want 2", n, during.Header.Get(webhook.HeaderSignature))
		}
		for _, s := range []struct{ name, secret string }{{"old", oldSecret}, {"new", newSecret}} {
			if err := verify(during, s.secret); err != nil {
				t.Errorf("during the grace period, verify with the %s secret alone: %v", s.name, err)
			}
		}
		if err := verify(during, stranger); !errors.Is(err, webhook.ErrNoMatchingSignature) {
			t.Errorf("during the grace period, verify with an unrelated secret: %v, want ErrNoMatchingSignature", err)
		}

		clk.Advance(time.Hour + time.Minute)
		after := deliver("loan.created")
		if n := tokens(after); n != 1 {
			t.Errorf("after the grace period: %d signatures, want 1", n)
		}
		if err := verify(after, newSecret); err != nil {
			t.Errorf("after the grace period, verify with the new secret: %v", err)
		}
		if err := verify(after, oldSecret); !errors.Is(err, webhook.ErrNoMatchingSignature) {
			t.Errorf("after the grace period, verify with the old secret alone: %v, want ErrNoMatchingSignature", err)
		}

		// Scenario 11: the dual-signed delivery verifies in the reference library with either secret alone.
		referenceCheck(t, [][]string{{oldSecret}, {newSecret}, {oldSecret}}, []received{during, during, before})
	})
}

// Scenario 4: a 410 Gone disables the endpoint and fails the delivery after that one attempt; later events
// create no delivery for it.
func TestGoneDisablesEndpoint(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{})
		rc := newReceiver(t, func(w http.ResponseWriter, r received, _ int) {
			if r.Path == "/gone" {
				w.WriteHeader(http.StatusGone)
			}
		})
		scope := scopeOf(h.partner("Partner A"), test)
		gone := h.endpoint(scope, rc.URL+"/gone", nil)
		control := h.endpoint(scope, rc.URL+"/ok", nil)

		h.emit(scope, "customer.created")
		ds := h.settled(gone, 1)
		d := ds[0]
		if d.Status != lending.DeliveryFailed || d.AttemptCount != 1 || d.NextAttemptAt != nil {
			t.Errorf("delivery to the 410 endpoint: status %s, %d attempts, next %v; want failed, 1, none", d.Status, d.AttemptCount, d.NextAttemptAt)
		}
		if diff := cmp.Diff([]int{http.StatusGone}, statuses(d)); diff != "" {
			t.Errorf("attempt statuses (-want +got):\n%s", diff)
		}
		now, err := h.st.WebhookEndpoint(h.ctx, scope, gone.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.Status != lending.EndpointDisabled || !strings.Contains(now.DisabledReason, "410") {
			t.Errorf("endpoint after 410: status %s, reason %q; want disabled because of the 410", now.Status, now.DisabledReason)
		}

		h.emit(scope, "customer.active")
		h.settled(control, 2)
		h.waitJobsSettled()
		if ds := h.deliveries(gone); len(ds) != 1 {
			t.Errorf("the disabled endpoint has %d deliveries, want only the first", len(ds))
		}
		if n := rc.count("/gone"); n != 1 {
			t.Errorf("the 410 endpoint received %d requests, want 1", n)
		}
	})
}

// Scenario 5: a receiver that always fails exhausts the schedule: the delivery fails with exactly the
// schedule's number of attempts and no next attempt; the endpoint stays active (it has not failed for 5
// days) with its failure streak recorded.
func TestExhaustedScheduleFailsDelivery(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{maxAttempts: 3})
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, _ int) {
			http.Error(w, "boom", http.StatusInternalServerError)
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "loan.finished")
		d := h.settled(ep, 1)[0]
		if d.Status != lending.DeliveryFailed || d.AttemptCount != 3 || d.NextAttemptAt != nil {
			t.Errorf("delivery: status %s, %d attempts, next %v; want failed, 3, none", d.Status, d.AttemptCount, d.NextAttemptAt)
		}
		if diff := cmp.Diff([]int{500, 500, 500}, statuses(d)); diff != "" {
			t.Errorf("attempt statuses (-want +got):\n%s", diff)
		}
		for _, a := range d.Attempts {
			if !strings.Contains(a.ResponseExcerpt, "boom") || !strings.Contains(a.Error, "500") {
				t.Errorf("attempt %d: excerpt %q, error %q; want the body and the status", a.Number, a.ResponseExcerpt, a.Error)
			}
		}
		h.waitJobsSettled()
		if n := rc.count(""); n != 3 {
			t.Errorf("receiver got %d requests, want 3", n)
		}
		now, err := h.st.WebhookEndpoint(h.ctx, scope, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.Status != lending.EndpointActive || now.FailingSince == nil {
			t.Errorf("endpoint: status %s, failing since %v; want active and failing", now.Status, now.FailingSince)
		}
	})
}

// An endpoint failing without a success for 5 days (on the worker's clock) is disabled, and the delivery
// that found out stops there.
func TestFailingFiveDaysDisablesEndpoint(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		clk := clock.NewManual(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
		h := newHarness(t, e, harnessOptions{clock: clk, maxAttempts: 10})
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, _ int) {
			clk.Advance(3 * 24 * time.Hour) // each attempt "takes" three days
			w.WriteHeader(http.StatusBadGateway)
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "loan.error")
		d := h.settled(ep, 1)[0]
		// Attempt 1 starts the streak (day 3), attempt 2 is 3 days into it, attempt 3 is 6 days into it.
		if d.Status != lending.DeliveryFailed || d.AttemptCount != 3 || d.NextAttemptAt != nil {
			t.Errorf("delivery: status %s, %d attempts, next %v; want failed, 3, none", d.Status, d.AttemptCount, d.NextAttemptAt)
		}
		now, err := h.st.WebhookEndpoint(h.ctx, scope, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if now.Status != lending.EndpointDisabled || !strings.Contains(now.DisabledReason, "5 days") {
			t.Errorf("endpoint: status %s, reason %q; want disabled after 5 days of failures", now.Status, now.DisabledReason)
		}
		h.emit(scope, "loan.error")
		h.waitJobsSettled()
		if ds := h.deliveries(ep); len(ds) != 1 {
			t.Errorf("the disabled endpoint has %d deliveries, want 1", len(ds))
		}
		if n := rc.count(""); n != 3 {
			t.Errorf("receiver got %d requests, want 3", n)
		}
	})
}

// Scenario 6: a 429 with Retry-After: 1 delays the next attempt by at least a second even though the
// schedule's delay is shorter. Checked on the recorded attempt instants, not by racing the wall clock.
func TestRetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{step: 10 * time.Millisecond})
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, n int) {
			if n == 0 {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusTooManyRequests)
			}
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "customer.kyc_updated")
		d := h.settled(ep, 1)[0]
		if d.Status != lending.DeliverySucceeded {
			t.Fatalf("delivery: %s, want succeeded", d.Status)
		}
		if diff := cmp.Diff([]int{http.StatusTooManyRequests, http.StatusOK}, statuses(d)); diff != "" {
			t.Fatalf("attempt statuses (-want +got):\n%s", diff)
		}
		first, second := d.Attempts[0], d.Attempts[1]
		if earliest := first.AttemptedAt.Add(first.Duration).Add(time.Second); second.AttemptedAt.Before(earliest) {
			t.Errorf("second attempt at %v, less than Retry-After (1 s) after the first ended (%v + %v)",
				second.AttemptedAt, first.AttemptedAt, first.Duration)
		}
	})
}

// Scenario 7: a live endpoint on a loopback address is never called while private live deliveries are
// refused (the attempt says why); test endpoints may be local. With AllowPrivateLive the same live
// delivery succeeds.
func TestLiveDeliveriesRefusePrivateAddresses(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		t.Run("refused", func(t *testing.T) {
			h := newHarness(t, e, harnessOptions{maxAttempts: 2})
			rc := newReceiver(t, nil)
			p := h.partner("Partner A")
			byIP := h.rawEndpoint(scopeOf(p, live), rc.URL+"/live-ip", nil)
			port := rc.URL[strings.LastIndex(rc.URL, ":"):]
			byName := h.rawEndpoint(scopeOf(p, live), "http://localhost"+port+"/live-name", nil)
			local := h.endpoint(scopeOf(p, test), rc.URL+"/test", nil)
			h.emit(scopeOf(p, live), "loan.active")
			h.emit(scopeOf(p, test), "loan.active")
			for _, ep := range []lending.WebhookEndpoint{byIP, byName} {
				d := h.settled(ep, 1)[0]
				if d.Status != lending.DeliveryFailed || d.AttemptCount != 2 {
					t.Errorf("live delivery to %s: %s after %d attempts; want failed after 2", ep.URL, d.Status, d.AttemptCount)
				}
				for _, a := range d.Attempts {
					if a.ResponseStatus != 0 || !strings.Contains(a.Error, "private, loopback or link-local address") {
						t.Errorf("attempt %d to %s: status %d, error %q; want no response and an error about the private address",
							a.Number, ep.URL, a.ResponseStatus, a.Error)
					}
				}
			}
			if d := h.settled(local, 1)[0]; d.Status != lending.DeliverySucceeded {
				t.Errorf("test delivery to a loopback endpoint: %s, want succeeded", d.Status)
			}
			h.waitJobsSettled()
			for _, r := range rc.requests() {
				if r.Path != "/test" {
					t.Errorf("the live endpoint on a private address was called: %s %s", r.Method, r.Path)
				}
			}
		})
		t.Run("allowed", func(t *testing.T) {
			h := newHarness(t, e, harnessOptions{maxAttempts: 2, allowPrivateLive: true})
			rc := newReceiver(t, nil)
			scope := scopeOf(h.partner("Partner A"), live)
			ep := h.rawEndpoint(scope, rc.URL+"/live-ip", nil)
			ev := h.emit(scope, "loan.active")
			if d := h.settled(ep, 1)[0]; d.Status != lending.DeliverySucceeded || d.AttemptCount != 1 {
				t.Errorf("live delivery with AllowPrivateLive: %s after %d attempts (%+v); want succeeded after 1", d.Status, d.AttemptCount, d.Attempts)
			}
			if rs := rc.withID(ev.ID); len(rs) != 1 || rs[0].Path != "/live-ip" {
				t.Errorf("receiver got %d requests for the event, want 1 at /live-ip", len(rs))
			}
		})
	})
}

// A redirect is a failed attempt; it is never followed (it could lead a live delivery anywhere).
func TestRedirectIsNotFollowed(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{maxAttempts: 2})
		rc := newReceiver(t, func(w http.ResponseWriter, r received, _ int) {
			if r.Path == "/hook" {
				w.Header().Set("Location", "/elsewhere")
				w.WriteHeader(http.StatusTemporaryRedirect)
			}
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "customer.denied")
		d := h.settled(ep, 1)[0]
		if d.Status != lending.DeliveryFailed {
			t.Errorf("delivery answered by redirects: %s, want failed", d.Status)
		}
		if diff := cmp.Diff([]int{307, 307}, statuses(d)); diff != "" {
			t.Errorf("attempt statuses (-want +got):\n%s", diff)
		}
		h.waitJobsSettled()
		if n := rc.count("/elsewhere"); n != 0 {
			t.Errorf("the redirect was followed %d times", n)
		}
	})
}

// Scenario 8: a slow endpoint cannot hold back another endpoint's deliveries. SLOW blocks every request
// until FAST has all of its events; the job engine has fewer workers than SLOW has events, so without the
// per-endpoint limit every worker would wait on SLOW and FAST would never get its events.
func TestSlowEndpointDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		const workers, nSlow, nFast = perEndpoint + 2, 3 * perEndpoint, 8
		h := newHarness(t, e, harnessOptions{webhookWorkers: workers})
		release := make(chan struct{})
		var releaseOnce sync.Once
		unblock := func() { releaseOnce.Do(func() { close(release) }) }
		var inFlight, maxInFlight atomic.Int64
		rc := newReceiver(t, func(w http.ResponseWriter, r received, _ int) {
			if r.Path != "/slow" {
				return
			}
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				m := maxInFlight.Load()
				if n <= m || maxInFlight.CompareAndSwap(m, n) {
					break
				}
			}
			select {
			case <-release:
			case <-time.After(waitLimit):
			}
		})
		t.Cleanup(unblock) // runs before the receiver closes, which waits for its handlers
		scope := scopeOf(h.partner("Partner A"), test)
		slow := h.endpoint(scope, rc.URL+"/slow", []string{"customer.*"})
		fast := h.endpoint(scope, rc.URL+"/fast", []string{"loan.*"})

		for range nSlow {
			h.emit(scope, "customer.kyc_updated")
		}
		// Wait until SLOW holds as many attempts as it may, so FAST's events queue behind them.
		h.waitFor("SLOW to hold its attempts", func() error {
			if n := inFlight.Load(); n < perEndpoint {
				return fmt.Errorf("%d in flight", n)
			}
			return nil
		})
		var fastIDs []string
		for range nFast {
			fastIDs = append(fastIDs, h.emit(scope, "loan.payment_received").ID)
		}
		deadline := time.Now().Add(waitLimit)
		for rc.count("/fast") < nFast {
			if time.Now().After(deadline) {
				t.Fatalf("deliveries to FAST are blocked behind SLOW: FAST got %d of %d events in %v while SLOW held %d attempts",
					rc.count("/fast"), nFast, waitLimit, inFlight.Load())
			}
			time.Sleep(pollEvery)
		}
		unblock()
		for _, d := range h.settled(slow, nSlow) {
			if d.Status != lending.DeliverySucceeded {
				t.Errorf("SLOW delivery %s: %s, want succeeded", d.ID, d.Status)
			}
		}
		for _, d := range h.settled(fast, nFast) {
			if d.Status != lending.DeliverySucceeded || d.AttemptCount != 1 {
				t.Errorf("FAST delivery %s: %s after %d attempts, want succeeded after 1", d.ID, d.Status, d.AttemptCount)
			}
		}
		if m := maxInFlight.Load(); m > perEndpoint {
			t.Errorf("SLOW had %d attempts in flight at once, more than the limit of %d", m, perEndpoint)
		}
		for _, id := range fastIDs {
			if n := len(rc.withID(id)); n != 1 {
				t.Errorf("FAST got event %s %d times", id, n)
			}
		}
	})
}

// Scenario 9: a resend makes one more attempt of a delivery, with the same webhook-id and body; another
// scope's resend of it is refused as not found.
func TestResend(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{})
		rc := newReceiver(t, nil)
		a, b := h.partner("Partner A"), h.partner("Partner B")
		scope := scopeOf(a, test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		ev := h.emit(scope, "credit_offer.available")
		d := h.settled(ep, 1)[0]
		if d.Status != lending.DeliverySucceeded || d.AttemptCount != 1 {
			t.Fatalf("first delivery: %s after %d attempts", d.Status, d.AttemptCount)
		}

		resend := func(scope lending.Scope, id string) error {
			return h.st.InTx(h.ctx, func(tx *store.Tx) error {
				_, err := h.em.Resend(h.ctx, tx, scope, id, h.clock.Now())
				return err
			})
		}
		if err := resend(scope, d.ID); err != nil {
			t.Fatalf("resend: %v", err)
		}
		h.waitFor("the resent attempt", func() error {
			ds := h.deliveries(ep)
			if got := ds[0]; got.AttemptCount != 2 || got.Status != lending.DeliverySucceeded {
				return fmt.Errorf("%s after %d attempts", got.Status, got.AttemptCount)
			}
			return nil
		})
		rs := rc.withID(ev.ID)
		if len(rs) != 2 {
			t.Fatalf("receiver got webhook-id %s %d times, want 2", ev.ID, len(rs))
		}
		if !bytes.Equal(rs[0].Body, rs[1].Body) {
			t.Errorf("a resend changed the body:\n%s\n%s", rs[0].Body, rs[1].Body)
		}

		for _, other := range []struct {
			name  string
			scope lending.Scope
			id    string
		}{
			{"another partner", scopeOf(b, test), d.ID},
			{"the other environment", scopeOf(a, live), d.ID},
			{"an unknown delivery", scope, "dlv_00000000000000000000000000000000"},
		} {
			if err := resend(other.scope, other.id); lending.ErrorCode(err) != lending.CodeDeliveryNotFound {
				t.Errorf("resend from %s: %v, want %s", other.name, err, lending.CodeDeliveryNotFound)
			}
		}
		h.waitJobsSettled()
		if n := len(rc.withID(ev.ID)); n != 2 {
			t.Errorf("after refused resends the receiver got the event %d times, want 2", n)
		}
	})
}

// A resend of a delivery that exhausted its schedule makes exactly one more attempt.
func TestResendAfterExhaustionMakesOneAttempt(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{maxAttempts: 2})
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, _ int) { w.WriteHeader(http.StatusInternalServerError) })
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "loan.cancelled")
		d := h.settled(ep, 1)[0]
		if d.Status != lending.DeliveryFailed || d.AttemptCount != 2 {
			t.Fatalf("delivery: %s after %d attempts, want failed after 2", d.Status, d.AttemptCount)
		}
		err := h.st.InTx(h.ctx, func(tx *store.Tx) error {
			_, err := h.em.Resend(h.ctx, tx, scope, d.ID, h.clock.Now())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		h.waitJobsSettled()
		d = h.settled(ep, 1)[0]
		if d.Status != lending.DeliveryFailed || d.AttemptCount != 3 || d.NextAttemptAt != nil {
			t.Errorf("after a failed resend: %s after %d attempts, next %v; want failed after 3, none", d.Status, d.AttemptCount, d.NextAttemptAt)
		}
		if n := rc.count(""); n != 3 {
			t.Errorf("receiver got %d requests, want 3", n)
		}
	})
}

// Resending a delivery that is still pending never puts two attempts of it in flight at once.
func TestResendWhilePendingKeepsOneAttemptInFlight(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		const maxAttempts = 4
		h := newHarness(t, e, harnessOptions{step: 2 * time.Second, maxAttempts: maxAttempts})
		var inFlight, maxInFlight atomic.Int64
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, _ int) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
			}
			time.Sleep(200 * time.Millisecond) // long enough for concurrent attempts to overlap
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "loan.created")
		var d lending.Delivery
		h.waitFor("the first attempt", func() error {
			if ds := h.deliveries(ep); len(ds) == 1 && ds[0].AttemptCount == 1 {
				d = ds[0]
				return nil
			}
			return errors.New("not yet")
		})
		for range 3 {
			err := h.st.InTx(h.ctx, func(tx *store.Tx) error {
				_, err := h.em.Resend(h.ctx, tx, scope, d.ID, h.clock.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		h.waitJobsSettled()
		d = h.settled(ep, 1)[0]
		if m := maxInFlight.Load(); m > 1 {
			t.Errorf("%d attempts of one delivery were in flight at once", m)
		}
		t.Logf("%d attempts in all (schedule: %d)", d.AttemptCount, maxAttempts)
	})
}

// Scenario 10: deleting an endpoint stops its pending delivery between attempts (during one: see
// TestDeleteDuringAttemptFailsDeliveryAtOnce).
func TestDeletedEndpointStopsDelivery(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		t.Run("between attempts", func(t *testing.T) {
			// A long delay between attempts, so the endpoint is deleted while the job waits.
			h := newHarness(t, e, harnessOptions{step: 2 * time.Second})
			rc := newReceiver(t, func(w http.ResponseWriter, _ received, _ int) { w.WriteHeader(http.StatusServiceUnavailable) })
			scope := scopeOf(h.partner("Partner A"), test)
			ep := h.endpoint(scope, rc.URL+"/hook", nil)
			h.emit(scope, "customer.created")
			var id string
			h.waitFor("the first attempt", func() error {
				ds := h.deliveries(ep)
				if len(ds) != 1 || ds[0].AttemptCount != 1 {
					return fmt.Errorf("deliveries %+v", ds)
				}
				id = ds[0].ID
				return nil
			})
			if err := h.st.DeleteWebhookEndpoint(h.ctx, scope, ep.ID, h.clock.Now()); err != nil {
				t.Fatal(err)
			}
			h.waitJobsSettled()
			if d := h.delivery(id); d.Status != lending.DeliveryFailed || d.AttemptCount != 1 || d.NextAttemptAt != nil {
				t.Errorf("delivery after the delete: %s, %d attempts, next %v; want failed, 1, none", d.Status, d.AttemptCount, d.NextAttemptAt)
			}
			if n := rc.count(""); n != 1 {
				t.Errorf("receiver got %d requests, want only the one before the delete", n)
			}
		})
	})
}

// Scenario 10, during an attempt: a delete during an attempt fails the delivery as soon as that attempt is recorded, even when the
// schedule's next attempt is far off: "its pending deliveries fail at once".
func TestDeleteDuringAttemptFailsDeliveryAtOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{step: time.Hour})
		arrived, answer := make(chan struct{}), make(chan struct{})
		var once sync.Once
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, n int) {
			if n == 0 {
				close(arrived)
				select {
				case <-answer:
				case <-time.After(waitLimit):
				}
			}
			w.WriteHeader(http.StatusServiceUnavailable)
		})
		t.Cleanup(func() { once.Do(func() { close(answer) }) })
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		h.emit(scope, "customer.created")
		select {
		case <-arrived:
		case <-time.After(waitLimit):
			t.Fatal("the first attempt never arrived")
		}
		id := h.deliveries(ep)[0].ID
		if err := h.st.DeleteWebhookEndpoint(h.ctx, scope, ep.ID, h.clock.Now()); err != nil {
			t.Fatal(err)
		}
		once.Do(func() { close(answer) })
		var d lending.Delivery
		h.waitFor("the attempt in flight to be recorded", func() error {
			if d = h.delivery(id); d.AttemptCount != 1 {
				return fmt.Errorf("%d attempts", d.AttemptCount)
			}
			return nil
		})
		// Give the worker the moment it needs after recording the attempt (it fails the delivery right
		// away when it sees the endpoint gone); the next scheduled attempt is an hour away.
		waitFor(t, "the delivery to fail", 5*time.Second, func() error {
			if d = h.delivery(id); d.Status != lending.DeliveryFailed || d.NextAttemptAt != nil {
				return fmt.Errorf("delivery of a deleted endpoint is %s with next attempt at %v", d.Status, d.NextAttemptAt)
			}
			return nil
		})
	})
}

// Scenario 12: the body is exactly the envelope {id, type, api_version, created_at, delivery_id,
// timestamp, data} with the event's data; webhook-id is the event id on every attempt, the body is the
// same bytes, and each attempt is signed with a fresh webhook-timestamp (the worker clock's at that
// attempt).
func TestEnvelopeAndHeaders(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		clk := clock.NewManual(time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC))
		h := newHarness(t, e, harnessOptions{clock: clk})
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, n int) {
			clk.Advance(7 * time.Second) // so consecutive attempts fall in different seconds
			if n == 0 {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		ev := h.emit(scope, "customer.created")
		d := h.settled(ep, 1)[0]
		if d.Status != lending.DeliverySucceeded || d.AttemptCount != 2 {
			t.Fatalf("delivery: %s after %d attempts, want succeeded after 2", d.Status, d.AttemptCount)
		}
		rs := rc.withID(ev.ID)
		if len(rs) != 2 {
			t.Fatalf("receiver got %d requests with webhook-id %s, want 2", len(rs), ev.ID)
		}

		var fields map[string]json.RawMessage
		if err := json.Unmarshal(rs[0].Body, &fields); err != nil {
			t.Fatalf("body %s: %v", rs[0].Body, err)
		}
		got := map[string]any{}
		for k, v := range fields {
			got[k] = jsonValue(t, v)
		}
		want := map[string]any{
			"id": ev.ID, "type": "customer.created", "api_version": "2026-03-01",
			"created_at": float64(ev.CreatedAt.Unix()), "delivery_id": d.ID, "timestamp": float64(ev.OccurredAt.Unix()),
			"data": jsonValue(t, ev.Data),
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("envelope (-want +got):\n%s", diff)
		}
		if !strings.HasPrefix(d.ID, "dlv_") || len(d.ID) != len("dlv_")+32 {
			t.Errorf("delivery id %q is not dlv_ + 32 hex", d.ID)
		}

		var stamps []int64
		for i, r := range rs {
			if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || r.Header.Get("User-Agent") != delivery.UserAgent {
				t.Errorf("request %d: %s, Content-Type %q, User-Agent %q", i, r.Method, r.Header.Get("Content-Type"), r.Header.Get("User-Agent"))
			}
			if r.ID() != ev.ID {
				t.Errorf("request %d: webhook-id %q, want the event id %q", i, r.ID(), ev.ID)
			}
			if !bytes.Equal(r.Body, rs[0].Body) {
				t.Errorf("request %d body differs from the first attempt's:\n%s\n%s", i, r.Body, rs[0].Body)
			}
			ts, err := strconv.ParseInt(r.Header.Get(webhook.HeaderTimestamp), 10, 64)
			if err != nil {
				t.Fatalf("request %d: webhook-timestamp %q", i, r.Header.Get(webhook.HeaderTimestamp))
			}
			if want := d.Attempts[i].AttemptedAt.Unix(); ts != want {
				t.Errorf("request %d: webhook-timestamp %d, want the attempt's instant %d", i, ts, want)
			}
			if err := webhook.Verify([]string{ep.Secret}, r.Header, r.Body, time.Unix(ts, 0)); err != nil {
				t.Errorf("request %d does not verify: %v", i, err)
			}
			stamps = append(stamps, ts)
		}
		if stamps[1] <= stamps[0] {
			t.Errorf("webhook-timestamp of the retry (%d) is not later than the first attempt's (%d)", stamps[1], stamps[0])
		}
	})
}

// Deliveries are queued in the transaction of the event: a rolled-back emit delivers nothing.
func TestRolledBackEmitDeliversNothing(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{})
		rc := newReceiver(t, nil)
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		rollback := errors.New("roll back")
		var dropped lending.Event
		err := h.st.InTx(h.ctx, func(tx *store.Tx) error {
			var err error
			if dropped, err = h.em.Emit(h.ctx, tx, scope, "loan.created", map[string]any{"id": "ln_x"}, h.clock.Now()); err != nil {
				return err
			}
			return rollback
		})
		if !errors.Is(err, rollback) {
			t.Fatalf("InTx: %v", err)
		}
		kept := h.emit(scope, "loan.created")
		h.settled(ep, 1)
		h.waitJobsSettled()
		if n := len(rc.withID(dropped.ID)); n != 0 {
			t.Errorf("the rolled-back event was delivered %d times", n)
		}
		if n := len(rc.withID(kept.ID)); n != 1 {
			t.Errorf("the committed event was delivered %d times, want 1", n)
		}
	})
}

// Whatever bytes an endpoint answers, the attempt is recorded: here a 200 whose body holds a NUL byte,
// which a PostgreSQL TEXT column cannot store.
func TestResponseBodyWithNULIsRecorded(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		h := newHarness(t, e, harnessOptions{maxAttempts: 2})
		rc := newReceiver(t, func(w http.ResponseWriter, _ received, _ int) {
			w.Header().Set("Content-Type", "application/octet-stream")
			_, _ = w.Write([]byte("ok\x00\x01\xff binary"))
		})
		scope := scopeOf(h.partner("Partner A"), test)
		ep := h.endpoint(scope, rc.URL+"/hook", nil)
		ev := h.emit(scope, "loan.finished")
		// A shorter wait than usual: if the attempt is never recorded, River retries the job with its own
		// growing backoff and the delivery stays pending.
		var d lending.Delivery
		waitFor(t, "the attempt to be recorded", 15*time.Second, func() error {
			ds := h.deliveries(ep)
			if len(ds) != 1 || ds[0].Status == lending.DeliveryPending {
				return fmt.Errorf("deliveries %+v; the receiver got %d requests; job errors: %s", ds, len(rc.withID(ev.ID)), h.jobErrors())
			}
			d = ds[0]
			return nil
		})
		if d.Status != lending.DeliverySucceeded || d.AttemptCount != 1 {
			t.Errorf("delivery: %s after %d attempts, want succeeded after 1", d.Status, d.AttemptCount)
		} else if x := d.Attempts[0].ResponseExcerpt; !strings.HasPrefix(x, "ok") || !strings.HasSuffix(x, " binary") {
			t.Errorf("response excerpt %q, want the body (with whatever replaces the bytes that are not text)", x)
		}
		if n := len(rc.withID(ev.ID)); n != 1 {
			t.Errorf("receiver got the event %d times, want 1", n)
		}
	})
}
