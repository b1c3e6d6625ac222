package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/webhook"
)

var webhookTests = []namedTest{
	{"EndpointRoundTrip", testEndpointRoundTrip},
	{"EndpointOutsideScope", testEndpointOutsideScope},
	{"ListEndpoints", testListEndpoints},
	{"UpdateEndpoint", testUpdateEndpoint},
	{"UpdateEndpointErrorLeavesRow", testUpdateEndpointErrorLeavesRow},
	{"UpdateEndpointConcurrent", testUpdateEndpointConcurrent},
	{"DeleteEndpoint", testDeleteEndpoint},
	{"EventRoundTrip", testEventRoundTrip},
	{"ReceivingEndpoints", testReceivingEndpoints},
	{"DeliveryWork", testDeliveryWork},
	{"ClaimAttemptConcurrent", testClaimAttemptConcurrent},
	{"ClaimAttemptNotDue", testClaimAttemptNotDue},
	{"ClaimAttemptExpiredLease", testClaimAttemptExpiredLease},
	{"RecordAttempt", testRecordAttempt},
	{"RecordAttemptGone", testRecordAttemptGone},
	{"RecordAttemptFiveDaysOfFailure", testRecordAttemptFiveDaysOfFailure},
	{"FailDelivery", testFailDelivery},
	{"ReopenDelivery", testReopenDelivery},
	{"ListDeliveries", testListDeliveries},
}

// subSecond is a sub-second offset in whole microseconds: the instants it makes survive the store
// unchanged, and show any column that loses precision.
const subSecond = 123456 * time.Microsecond

// mustEndpoint creates an active endpoint of scope through the domain's validation, at now.
func mustEndpoint(t *testing.T, s *store.Store, scope lending.Scope, filters []string, now time.Time) lending.WebhookEndpoint {
	t.Helper()
	url := "https://hooks.example.com/" + ids.New("")
	if scope.Environment == lending.EnvTest {
		url = "http://127.0.0.1:9/" + ids.New("")
	}
	ep, err := lending.NewWebhookEndpoint(scope, url, filters, "endpoint", webhook.NewSecret(), now)
	if err != nil {
		t.Fatalf("NewWebhookEndpoint(%v): %v", filters, err)
	}
	if err := s.CreateWebhookEndpoint(testCtx(t), ep); err != nil {
		t.Fatalf("CreateWebhookEndpoint: %v", err)
	}
	return ep
}

// mustGetEndpoint reads endpoint id of scope back.
func mustGetEndpoint(t *testing.T, s *store.Store, scope lending.Scope, id string) lending.WebhookEndpoint {
	t.Helper()
	ep, err := s.WebhookEndpoint(testCtx(t), scope, id)
	if err != nil {
		t.Fatalf("WebhookEndpoint(%s): %v", id, err)
	}
	return ep
}

// mustEvent records an event of type typ in scope at now.
func mustEvent(t *testing.T, s *store.Store, scope lending.Scope, typ string, data string, now time.Time) lending.Event {
	t.Helper()
	ev, err := lending.NewEvent(scope, typ, []byte(data), now)
	if err != nil {
		t.Fatalf("NewEvent(%s): %v", typ, err)
	}
	ctx := testCtx(t)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertEvent(ctx, ev) }); err != nil {
		t.Fatalf("InsertEvent: %v", err)
	}
	return ev
}

// mustDelivery records a new pending delivery of ev to ep, due at now.
func mustDelivery(t *testing.T, s *store.Store, ev lending.Event, ep lending.WebhookEndpoint, now time.Time) lending.Delivery {
	t.Helper()
	d := lending.NewDelivery(ev, ep, now)
	ctx := testCtx(t)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertDelivery(ctx, d) }); err != nil {
		t.Fatalf("InsertDelivery: %v", err)
	}
	return d
}

// deliveryFixture is one scope with one endpoint and one pending delivery, due at t0+subSecond.
type deliveryFixture struct {
	s     *store.Store
	scope lending.Scope
	ep    lending.WebhookEndpoint
	ev    lending.Event
	d     lending.Delivery
}

func newDeliveryFixture(t *testing.T, e Engine) deliveryFixture {
	t.Helper()
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	ep := mustEndpoint(t, s, scope, nil, t0)
	ev := mustEvent(t, s, scope, "loan.created", `{"loan_id":"loan_1"}`, t0.Add(subSecond))
	return deliveryFixture{s: s, scope: scope, ep: ep, ev: ev, d: mustDelivery(t, s, ev, ep, t0.Add(subSecond))}
}

// delivery returns delivery id of the fixture's endpoint, with its attempts, as ListDeliveries has it.
func (f deliveryFixture) delivery(t *testing.T, id string) lending.Delivery {
	t.Helper()
	ds, _, err := f.s.ListDeliveries(testCtx(t), f.scope, f.ep.ID, "", store.Page{Limit: 100})
	if err != nil {
		t.Fatalf("ListDeliveries: %v", err)
	}
	for _, d := range ds {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("ListDeliveries does not list delivery %s", id)
	return lending.Delivery{}
}

// claim claims the delivery at now for a lease of 30 s, failing t unless the outcome is want.
func (f deliveryFixture) claim(t *testing.T, id string, now time.Time, want store.ClaimOutcome) time.Time {
	t.Helper()
	got, until, err := f.s.ClaimAttempt(testCtx(t), id, now, now.Add(30*time.Second))
	if err != nil {
		t.Fatalf("ClaimAttempt(%s, %s): %v", id, now, err)
	}
	if got != want {
		t.Fatalf("ClaimAttempt(%s, %s) = %v (until %s), want %v", id, now, claimName(got), until, claimName(want))
	}
	return until
}

// record records an attempt of the fixture's delivery, failing t on error.
func (f deliveryFixture) record(t *testing.T, o store.AttemptOutcome, now time.Time) lending.WebhookEndpoint {
	t.Helper()
	ep, err := f.s.RecordAttempt(testCtx(t), f.d.ID, o, now)
	if err != nil {
		t.Fatalf("RecordAttempt at %s: %v", now, err)
	}
	return ep
}

func claimName(o store.ClaimOutcome) string {
	switch o {
	case store.Claimed:
		return "Claimed"
	case store.InFlight:
		return "InFlight"
	case store.NotDue:
		return "NotDue"
	}
	return fmt.Sprintf("ClaimOutcome(%d)", int(o))
}

// failedAttempt is a failed attempt at at, answered with status (0: no answer).
func failedAttempt(at time.Time, status int, errText string, next *time.Time) store.AttemptOutcome {
	return store.AttemptOutcome{
		Attempt: lending.DeliveryAttempt{AttemptedAt: at, ResponseStatus: status, Duration: 15 * time.Millisecond, Error: errText},
		Status:  lending.DeliveryPending, NextAttemptAt: next,
	}
}

// succeededAttempt is a successful attempt at at.
func succeededAttempt(at time.Time) store.AttemptOutcome {
	return store.AttemptOutcome{
		Attempt: lending.DeliveryAttempt{AttemptedAt: at, ResponseStatus: 200, Duration: 7 * time.Millisecond, ResponseExcerpt: "ok"},
		Status:  lending.DeliverySucceeded, Succeeded: true,
	}
}

// testEndpointRoundTrip stores an endpoint built by the domain and one with every optional column set,
// and reads both back unchanged (instants to the microsecond, in UTC).
func testEndpointRoundTrip(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	plain := mustEndpoint(t, s, scope, []string{"loan.*", "customer.created"}, t0.Add(subSecond))
	if diff := cmpDiff(plain, mustGetEndpoint(t, s, scope, plain.ID)); diff != "" {
		t.Errorf("endpoint read back (-want +got):\n%s", diff)
	}

	now := t0.Add(2 * subSecond)
	full := lending.WebhookEndpoint{
		ID: ids.New("we_"), Scope: scope, URL: "https://hooks.example.com/ação?x=1&y=ü", Events: []string{"*"},
		Description: "Endpoint de produção 🚀", Status: lending.EndpointDisabled, DisabledReason: "the endpoint answered 410 Gone",
		Secret: webhook.NewSecret(), PreviousSecret: webhook.NewSecret(), PreviousSecretExpiresAt: ptr(now.Add(time.Hour)),
		FailingSince: ptr(now.Add(-time.Minute)), CreatedAt: now.Add(-time.Hour), UpdatedAt: now,
	}
	if err := s.CreateWebhookEndpoint(ctx, full); err != nil {
		t.Fatalf("CreateWebhookEndpoint(full): %v", err)
	}
	got := mustGetEndpoint(t, s, scope, full.ID)
	if diff := cmpDiff(full, got); diff != "" {
		t.Errorf("endpoint with every column set, read back (-want +got):\n%s", diff)
	}
	for name, tm := range map[string]*time.Time{"CreatedAt": &got.CreatedAt, "UpdatedAt": &got.UpdatedAt,
		"PreviousSecretExpiresAt": got.PreviousSecretExpiresAt, "FailingSince": got.FailingSince} {
		assertUTC(t, name, tm)
	}

	// The same id twice is refused.
	if err := s.CreateWebhookEndpoint(ctx, full); err == nil {
		t.Errorf("CreateWebhookEndpoint with an existing id = nil, want an error")
	}
}

func testEndpointOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	ep := mustEndpoint(t, s, scope, nil, t0)
	other := mustScope(t, s, lending.EnvTest)
	cases := []struct {
		name  string
		scope lending.Scope
		id    string
	}{
		{"other partner", other, ep.ID},
		{"other environment", lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, ep.ID},
		{"unknown partner", lending.Scope{PartnerID: ids.New("prt_"), Environment: lending.EnvTest}, ep.ID},
		{"unknown id", scope, ids.New("we_")},
	}
	for _, c := range cases {
		_, err := s.WebhookEndpoint(ctx, c.scope, c.id)
		wantCode(t, "WebhookEndpoint: "+c.name, err, lending.CodeWebhookEndpointNotFound)
		_, err = s.UpdateWebhookEndpoint(ctx, c.scope, c.id, func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
			t.Errorf("UpdateWebhookEndpoint (%s) called the change function with %s", c.name, e.ID)
			return e, nil
		})
		wantCode(t, "UpdateWebhookEndpoint: "+c.name, err, lending.CodeWebhookEndpointNotFound)
		err = s.DeleteWebhookEndpoint(ctx, c.scope, c.id, t0.Add(time.Second))
		wantCode(t, "DeleteWebhookEndpoint: "+c.name, err, lending.CodeWebhookEndpointNotFound)
		_, _, err = s.ListDeliveries(ctx, c.scope, c.id, "", store.Page{Limit: 10})
		wantCode(t, "ListDeliveries: "+c.name, err, lending.CodeWebhookEndpointNotFound)
	}
	if diff := cmpDiff(ep, mustGetEndpoint(t, s, scope, ep.ID)); diff != "" {
		t.Errorf("endpoint after calls from outside its scope (-want +got):\n%s", diff)
	}
}

// testListEndpoints pages through a scope's endpoints (several sharing created_at) among other scopes'
// and a deleted one.
func testListEndpoints(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	live := lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}
	other := mustScope(t, s, lending.EnvTest)
	var want []lending.WebhookEndpoint
	for i, at := range []time.Duration{0, subSecond, subSecond, subSecond, 2 * subSecond, time.Second} {
		want = append(want, mustEndpoint(t, s, scope, nil, t0.Add(at)))
		mustEndpoint(t, s, live, nil, t0.Add(at))
		if i%2 == 0 {
			mustEndpoint(t, s, other, nil, t0.Add(at))
		}
	}
	gone := want[2]
	if err := s.DeleteWebhookEndpoint(ctx, scope, gone.ID, t0.Add(time.Minute)); err != nil {
		t.Fatalf("DeleteWebhookEndpoint: %v", err)
	}
	want = slices.DeleteFunc(want, func(ep lending.WebhookEndpoint) bool { return ep.ID == gone.ID })
	slices.SortFunc(want, func(a, b lending.WebhookEndpoint) int {
		return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})

	for limit := 1; limit <= len(want)+1; limit++ {
		t.Run(fmt.Sprintf("limit=%d", limit), func(t *testing.T) {
			var got []lending.WebhookEndpoint
			page := store.Page{Limit: limit}
			for range 100 {
				items, more, err := s.ListWebhookEndpoints(ctx, scope, page)
				if err != nil {
					t.Fatalf("ListWebhookEndpoints(%+v): %v", page, err)
				}
				if len(items) > limit || (more && len(items) != limit) {
					t.Fatalf("ListWebhookEndpoints(%+v) = %d items, has_more %v", page, len(items), more)
				}
				got = append(got, items...)
				if !more {
					break
				}
				page.StartingAfter = items[len(items)-1].ID
			}
			if diff := cmpDiff(want, got); diff != "" {
				t.Errorf("endpoints across pages (-want +got):\n%s", diff)
			}
		})
	}
	for _, sc := range []lending.Scope{live, other} {
		items, _, err := s.ListWebhookEndpoints(ctx, sc, store.Page{Limit: 100})
		if err != nil {
			t.Fatalf("ListWebhookEndpoints(%v): %v", sc, err)
		}
		for _, ep := range items {
			if ep.Scope != sc {
				t.Errorf("ListWebhookEndpoints(%v) lists %s of %v", sc, ep.ID, ep.Scope)
			}
		}
		if wantN := map[lending.Scope]int{live: 6, other: 3}[sc]; len(items) != wantN {
			t.Errorf("ListWebhookEndpoints(%v) = %d endpoints, want %d", sc, len(items), wantN)
		}
	}
	// A cursor from another scope is not an item of this list.
	otherItems, _, _ := s.ListWebhookEndpoints(ctx, other, store.Page{Limit: 1})
	_, _, err := s.ListWebhookEndpoints(ctx, scope, store.Page{Limit: 10, StartingAfter: otherItems[0].ID})
	wantCode(t, "ListWebhookEndpoints after another scope's endpoint", err, lending.CodeInvalidParameter)
}

func testUpdateEndpoint(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	ep := mustEndpoint(t, s, scope, nil, t0)
	bystander := mustEndpoint(t, s, scope, nil, t0)
	now := t0.Add(time.Hour + subSecond)
	patch := lending.WebhookEndpointPatch{
		URL: ptr("http://127.0.0.1:8080/novo"), Events: ptr([]string{"loan.*"}), Description: ptr("atualizado ✓"),
		Status: ptr(lending.EndpointDisabled),
	}
	var seen lending.WebhookEndpoint
	got, err := s.UpdateWebhookEndpoint(ctx, scope, ep.ID, func(cur lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
		seen = cur
		return cur.Apply(patch, now)
	})
	if err != nil {
		t.Fatalf("UpdateWebhookEndpoint: %v", err)
	}
	if diff := cmpDiff(ep, seen); diff != "" {
		t.Errorf("the change function was given (-want +got):\n%s", diff)
	}
	want := ep
	want.URL, want.Events, want.Description, want.Status, want.UpdatedAt = *patch.URL, *patch.Events, *patch.Description, lending.EndpointDisabled, now
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("UpdateWebhookEndpoint returned (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(want, mustGetEndpoint(t, s, scope, ep.ID)); diff != "" {
		t.Errorf("endpoint after the update (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(bystander, mustGetEndpoint(t, s, scope, bystander.ID)); diff != "" {
		t.Errorf("another endpoint changed (-want +got):\n%s", diff)
	}

	// Every column the change function may touch is stored, including the rotation and failure ones.
	later := now.Add(time.Minute)
	got, err = s.UpdateWebhookEndpoint(ctx, scope, ep.ID, func(cur lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
		cur, err := cur.RotateSecret(webhook.NewSecret(), time.Hour, later)
		cur.FailingSince, cur.DisabledReason = ptr(later.Add(-subSecond)), "no successful delivery for 5 days"
		return cur, err
	})
	if err != nil {
		t.Fatalf("UpdateWebhookEndpoint (rotate): %v", err)
	}
	if got.PreviousSecret != want.Secret || got.Secret == want.Secret || got.PreviousSecretExpiresAt == nil {
		t.Errorf("after a rotation: secret %q, previous %q (expires %v); want a new secret and the old one previous",
			got.Secret, got.PreviousSecret, got.PreviousSecretExpiresAt)
	}
	if diff := cmpDiff(got, mustGetEndpoint(t, s, scope, ep.ID)); diff != "" {
		t.Errorf("endpoint after the rotation, read back (-want +got):\n%s", diff)
	}
}

// testUpdateEndpointErrorLeavesRow: when the change function fails, UpdateWebhookEndpoint returns its
// error and stores nothing, even if the function had changed the value it was given.
func testUpdateEndpointErrorLeavesRow(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	ep := mustEndpoint(t, s, scope, []string{"*"}, t0)
	boom := errors.New("boom")
	_, err := s.UpdateWebhookEndpoint(ctx, scope, ep.ID, func(cur lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
		cur.URL, cur.Status = "http://127.0.0.1:1/changed", lending.EndpointDisabled
		return cur, boom
	})
	if !errors.Is(err, boom) {
		t.Errorf("UpdateWebhookEndpoint with a failing change = %v, want the change's error", err)
	}
	// A domain refusal is returned as it is too.
	_, err = s.UpdateWebhookEndpoint(ctx, scope, ep.ID, func(cur lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
		return cur.Apply(lending.WebhookEndpointPatch{Events: ptr([]string{"loan.nonsense"})}, t0.Add(time.Hour))
	})
	wantCode(t, "UpdateWebhookEndpoint with an invalid filter", err, lending.CodeInvalidEventFilter)
	if diff := cmpDiff(ep, mustGetEndpoint(t, s, scope, ep.ID)); diff != "" {
		t.Errorf("endpoint after failed updates (-want +got):\n%s", diff)
	}
}

// testUpdateEndpointConcurrent appends a distinct filter from each of 10 goroutines at once: the change
// runs under a lock, so none is lost.
func testUpdateEndpointConcurrent(t *testing.T, e Engine) {
	const n = 10
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	ep := mustEndpoint(t, s, scope, []string{}, t0)
	start := make(chan struct{})
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = s.UpdateWebhookEndpoint(ctx, scope, ep.ID, func(cur lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
				evs := append(slices.Clone(cur.Events), webhook.EventTypes[i])
				return cur.Apply(lending.WebhookEndpointPatch{Events: &evs}, t0.Add(time.Duration(i+1)*time.Second))
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("UpdateWebhookEndpoint %d: %v", i, err)
		}
	}
	got := mustGetEndpoint(t, s, scope, ep.ID).Events
	slices.Sort(got)
	want := slices.Sorted(slices.Values(webhook.EventTypes[:n]))
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("filters after %d concurrent appends (-want +got):\n%s", n, diff)
	}
}

// testDeleteEndpoint: a deleted endpoint disappears from its scope, deleting it again succeeds and keeps
// the first deletion, and its pending deliveries (only they, only its) fail at once.
func testDeleteEndpoint(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newDeliveryFixture(t, e)
	s, scope, ep := f.s, f.scope, f.ep
	ev2 := mustEvent(t, s, scope, "loan.active", `{}`, t0.Add(subSecond))
	done := mustDelivery(t, s, ev2, ep, t0.Add(subSecond))
	f.claim(t, done.ID, t0.Add(time.Second), store.Claimed)
	if _, err := s.RecordAttempt(ctx, done.ID, succeededAttempt(t0.Add(time.Second)), t0.Add(time.Second)); err != nil {
		t.Fatalf("RecordAttempt: %v", err)
	}
	inFlight := mustDelivery(t, s, ev2, ep, t0.Add(subSecond))
	f.claim(t, inFlight.ID, t0.Add(time.Second), store.Claimed)
	keep := mustEndpoint(t, s, scope, nil, t0)
	keepD := mustDelivery(t, s, f.ev, keep, t0.Add(subSecond))

	at := t0.Add(time.Hour + subSecond)
	if err := s.DeleteWebhookEndpoint(ctx, scope, ep.ID, at); err != nil {
		t.Fatalf("DeleteWebhookEndpoint: %v", err)
	}
	_, err := s.WebhookEndpoint(ctx, scope, ep.ID)
	wantCode(t, "WebhookEndpoint after deletion", err, lending.CodeWebhookEndpointNotFound)
	items, _, err := s.ListWebhookEndpoints(ctx, scope, store.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 || items[0].ID != keep.ID {
		t.Errorf("ListWebhookEndpoints after deletion = %v, want only %s", items, keep.ID)
	}
	_, err = s.UpdateWebhookEndpoint(ctx, scope, ep.ID, func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) { return e, nil })
	wantCode(t, "UpdateWebhookEndpoint after deletion", err, lending.CodeWebhookEndpointNotFound)
	_, _, err = s.ListDeliveries(ctx, scope, ep.ID, "", store.Page{Limit: 10})
	wantCode(t, "ListDeliveries after deletion", err, lending.CodeWebhookEndpointNotFound)

	// Deleting again succeeds and changes nothing; from another scope it is still unknown.
	if err := s.DeleteWebhookEndpoint(ctx, scope, ep.ID, at.Add(time.Hour)); err != nil {
		t.Errorf("DeleteWebhookEndpoint again = %v, want nil", err)
	}
	err = s.DeleteWebhookEndpoint(ctx, mustScope(t, s, lending.EnvTest), ep.ID, at)
	wantCode(t, "DeleteWebhookEndpoint of another scope's deleted endpoint", err, lending.CodeWebhookEndpointNotFound)

	// The deleted endpoint is still there for the deliveries' workers, stamped with the first deletion.
	w, err := s.DeliveryWork(ctx, f.d.ID)
	if err != nil {
		t.Fatalf("DeliveryWork of a deleted endpoint's delivery: %v", err)
	}
	wantEP := ep
	wantEP.DeletedAt, wantEP.UpdatedAt = ptr(at), at
	if diff := cmpDiff(wantEP, w.Endpoint); diff != "" {
		t.Errorf("deleted endpoint (-want +got):\n%s", diff)
	}
	for _, c := range []struct {
		id     string
		status lending.DeliveryStatus
	}{
		{f.d.ID, lending.DeliveryFailed}, {inFlight.ID, lending.DeliveryFailed},
		{done.ID, lending.DeliverySucceeded}, {keepD.ID, lending.DeliveryPending},
	} {
		w, err := s.DeliveryWork(ctx, c.id)
		if err != nil {
			t.Fatalf("DeliveryWork(%s): %v", c.id, err)
		}
		if w.Delivery.Status != c.status {
			t.Errorf("delivery %s is %s after the endpoint's deletion, want %s", c.id, w.Delivery.Status, c.status)
		}
		if c.status == lending.DeliveryFailed && (w.Delivery.NextAttemptAt != nil || !w.Delivery.UpdatedAt.Equal(at)) {
			t.Errorf("failed delivery %s: next attempt %v, updated %s; want none and %s", c.id, w.Delivery.NextAttemptAt, w.Delivery.UpdatedAt, at)
		}
	}
	// A failed delivery is no longer claimable.
	f.claim(t, f.d.ID, at.Add(time.Hour), store.NotDue)
}

// testEventRoundTrip stores events and reads them back: the data bytes exactly as given, the instants to
// the microsecond.
func testEventRoundTrip(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	for _, data := range []string{
		`{}`,
		`{"b": 1,   "a": [true, null, 1.50, 1e3],` + "\n\t" + `"nome": "João \u00e9 ção 🚀 \"quoted\" \\ </script>"}`,
		`{"big":123456789012345678901234567890,"neg":-0.0}`,
	} {
		ev := mustEvent(t, s, scope, "customer.kyc_updated", data, t0.Add(subSecond))
		got, err := s.Event(ctx, ev.ID)
		if err != nil {
			t.Fatalf("Event(%s): %v", ev.ID, err)
		}
		if string(got.Data) != data {
			t.Errorf("event data read back = %q, want exactly %q", got.Data, data)
		}
		if diff := cmpDiff(ev, got); diff != "" {
			t.Errorf("event read back (-want +got):\n%s", diff)
		}
		assertUTC(t, "OccurredAt", &got.OccurredAt)
		assertUTC(t, "CreatedAt", &got.CreatedAt)
	}
	// An event whose instants differ is read back with each.
	ev := lending.Event{ID: ids.New("evt_"), Scope: scope, Type: "loan.finished", Data: []byte(`{"x":1}`),
		OccurredAt: t0.Add(-time.Hour + subSecond), CreatedAt: t0.Add(2 * subSecond)}
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertEvent(ctx, ev) }); err != nil {
		t.Fatalf("InsertEvent: %v", err)
	}
	got, err := s.Event(ctx, ev.ID)
	if err != nil {
		t.Fatalf("Event(%s): %v", ev.ID, err)
	}
	if diff := cmpDiff(ev, got); diff != "" {
		t.Errorf("event read back (-want +got):\n%s", diff)
	}
	if _, err := s.Event(ctx, ids.New("evt_")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Event(unknown) = %v, want store.ErrNotFound", err)
	}
	// A rolled-back insert leaves no event.
	rolledBack, _ := lending.NewEvent(scope, "loan.error", []byte(`{}`), t0)
	boom := errors.New("boom")
	err = s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertEvent(ctx, rolledBack); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if _, err := s.Event(ctx, rolledBack.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Event(rolled back) = %v, want store.ErrNotFound", err)
	}
}

// testReceivingEndpoints: the scope's active, undeleted endpoints whose filters take the type, in
// creation order.
func testReceivingEndpoints(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	all := mustEndpoint(t, s, scope, nil, t0.Add(5*time.Second))
	star := mustEndpoint(t, s, scope, []string{"*"}, t0.Add(4*time.Second))
	loans := mustEndpoint(t, s, scope, []string{"loan.*"}, t0.Add(3*time.Second))
	created := mustEndpoint(t, s, scope, []string{"customer.created", "loan.finished"}, t0.Add(2*time.Second))
	disabled := mustEndpoint(t, s, scope, []string{"*"}, t0.Add(time.Second))
	if _, err := s.UpdateWebhookEndpoint(ctx, scope, disabled.ID, func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
		return e.Apply(lending.WebhookEndpointPatch{Status: ptr(lending.EndpointDisabled)}, t0.Add(time.Minute))
	}); err != nil {
		t.Fatal(err)
	}
	deleted := mustEndpoint(t, s, scope, []string{"*"}, t0)
	if err := s.DeleteWebhookEndpoint(ctx, scope, deleted.ID, t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	mustEndpoint(t, s, lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, nil, t0)
	mustEndpoint(t, s, mustScope(t, s, lending.EnvTest), nil, t0)

	cases := []struct {
		typ  string
		want []lending.WebhookEndpoint
	}{
		{"loan.created", []lending.WebhookEndpoint{loans, star, all}},
		{"loan.finished", []lending.WebhookEndpoint{created, loans, star, all}},
		{"customer.created", []lending.WebhookEndpoint{created, star, all}},
		{"credit_offer.available", []lending.WebhookEndpoint{star, all}},
	}
	for _, c := range cases {
		var got []lending.WebhookEndpoint
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			got, err = tx.ReceivingEndpoints(ctx, scope, c.typ)
			return err
		})
		if err != nil {
			t.Fatalf("ReceivingEndpoints(%s): %v", c.typ, err)
		}
		if diff := cmpDiff(c.want, got); diff != "" {
			t.Errorf("ReceivingEndpoints(%s) (-want +got):\n%s", c.typ, diff)
		}
	}
	var none []lending.WebhookEndpoint
	empty := mustScope(t, s, lending.EnvLive)
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		none, err = tx.ReceivingEndpoints(ctx, empty, "loan.created")
		return err
	})
	if err != nil || len(none) != 0 {
		t.Errorf("ReceivingEndpoints of a scope without endpoints = %v, %v; want none", none, err)
	}
}

// testDeliveryWork: InsertDelivery then DeliveryWork returns the delivery with its event and endpoint.
func testDeliveryWork(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newDeliveryFixture(t, e)
	w, err := f.s.DeliveryWork(ctx, f.d.ID)
	if err != nil {
		t.Fatalf("DeliveryWork: %v", err)
	}
	want := store.DeliveryWork{Delivery: f.d, Event: f.ev, Endpoint: f.ep}
	if diff := cmpDiff(want, w); diff != "" {
		t.Errorf("DeliveryWork (-want +got):\n%s", diff)
	}
	if w.Delivery.NextAttemptAt == nil || !w.Delivery.NextAttemptAt.Equal(t0.Add(subSecond)) {
		t.Errorf("a new delivery's next attempt = %v, want %s", w.Delivery.NextAttemptAt, t0.Add(subSecond))
	}
	if _, err := f.s.DeliveryWork(ctx, ids.New("dlv_")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeliveryWork(unknown) = %v, want store.ErrNotFound", err)
	}
	// A delivery inserted in a transaction that rolls back does not exist.
	d := lending.NewDelivery(f.ev, f.ep, t0)
	boom := errors.New("boom")
	if err := f.s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.InsertDelivery(ctx, d); err != nil {
			return err
		}
		return boom
	}); !errors.Is(err, boom) {
		t.Fatalf("InTx = %v, want boom", err)
	}
	if _, err := f.s.DeliveryWork(ctx, d.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("DeliveryWork(rolled back) = %v, want store.ErrNotFound", err)
	}
}

// testClaimAttemptConcurrent: of 10 claimers at once exactly one gets the attempt; the others learn that
// it is in flight and until when.
func testClaimAttemptConcurrent(t *testing.T, e Engine) {
	const n = 10
	f := newDeliveryFixture(t, e)
	for round := range 3 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			ctx := testCtx(t)
			d := mustDelivery(t, f.s, f.ev, f.ep, t0)
			now := t0.Add(time.Duration(round+1)*time.Second + subSecond)
			leases := make([]time.Time, n)
			outcomes := make([]store.ClaimOutcome, n)
			untils := make([]time.Time, n)
			errs := make([]error, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range n {
				leases[i] = now.Add(30*time.Second + time.Duration(i)*time.Microsecond)
				wg.Go(func() {
					<-start
					outcomes[i], untils[i], errs[i] = f.s.ClaimAttempt(ctx, d.ID, now, leases[i])
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i := range n {
				switch {
				case errs[i] != nil:
					t.Errorf("ClaimAttempt %d: %v", i, errs[i])
				case outcomes[i] == store.Claimed:
					if winner >= 0 {
						t.Errorf("ClaimAttempt %d and %d both claimed the attempt", winner, i)
					}
					winner = i
				}
			}
			if winner < 0 {
				t.Fatalf("none of %d concurrent ClaimAttempt claimed a due delivery: %v", n, outcomes)
			}
			for i := range n {
				if i == winner || errs[i] != nil {
					continue
				}
				if outcomes[i] != store.InFlight || !untils[i].Equal(leases[winner]) {
					t.Errorf("ClaimAttempt %d = %s until %s, want InFlight until the winner's lease %s",
						i, claimName(outcomes[i]), untils[i], leases[winner])
				}
			}
			// Later, while the lease lasts, still in flight.
			if until := f.claim(t, d.ID, now.Add(29*time.Second), store.InFlight); !until.Equal(leases[winner]) {
				t.Errorf("ClaimAttempt during the lease: until %s, want %s", until, leases[winner])
			}
		})
	}
}

// testClaimAttemptNotDue: a delivery whose next attempt is later, or that is settled, or unknown, is not
// claimed.
func testClaimAttemptNotDue(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newDeliveryFixture(t, e)
	due := *f.d.NextAttemptAt
	f.claim(t, f.d.ID, due.Add(-time.Microsecond), store.NotDue)
	f.claim(t, f.d.ID, due, store.Claimed) // due at exactly its next attempt

	// Failed attempt: due again 5 s later, not before.
	next := due.Add(5 * time.Second)
	f.record(t, failedAttempt(due, 503, "the endpoint answered 503", &next), due.Add(time.Millisecond))
	f.claim(t, f.d.ID, next.Add(-time.Microsecond), store.NotDue)
	f.claim(t, f.d.ID, next, store.Claimed)

	// Settled: never again, however late.
	f.record(t, succeededAttempt(next), next.Add(time.Millisecond))
	f.claim(t, f.d.ID, next.Add(365*24*time.Hour), store.NotDue)

	failedD := mustDelivery(t, f.s, f.ev, f.ep, t0)
	if err := f.s.FailDelivery(ctx, failedD.ID, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	f.claim(t, failedD.ID, t0.Add(time.Hour), store.NotDue)
	f.claim(t, ids.New("dlv_"), t0.Add(time.Hour), store.NotDue)
}

// testClaimAttemptExpiredLease: a claim whose job died expires at its lease, and the next claim after it
// gets the attempt.
func testClaimAttemptExpiredLease(t *testing.T, e Engine) {
	f := newDeliveryFixture(t, e)
	now := t0.Add(time.Second + subSecond)
	lease := now.Add(30 * time.Second)
	f.claim(t, f.d.ID, now, store.Claimed)
	if until := f.claim(t, f.d.ID, lease, store.InFlight); !until.Equal(lease) {
		t.Errorf("ClaimAttempt at the lease's end: until %s, want %s", until, lease)
	}
	f.claim(t, f.d.ID, lease.Add(time.Microsecond), store.Claimed)
	// The new claim has its own lease.
	if until := f.claim(t, f.d.ID, lease.Add(time.Second), store.InFlight); !until.Equal(lease.Add(time.Microsecond + 30*time.Second)) {
		t.Errorf("ClaimAttempt during the second lease: until %s, want %s", until, lease.Add(time.Microsecond+30*time.Second))
	}
}

// testRecordAttempt records a delivery's three attempts (an error status, no answer, success) and checks
// the delivery, its attempts and its endpoint's failure streak after each.
func testRecordAttempt(t *testing.T, e Engine) {
	f := newDeliveryFixture(t, e)
	s := f.s
	want := f.d
	wantEP := f.ep

	// 1: 503 with an excerpt; due again at next1.
	at1 := t0.Add(time.Second + subSecond)
	f.claim(t, f.d.ID, at1, store.Claimed)
	next1 := at1.Add(5 * time.Second)
	o1 := failedAttempt(at1, 503, "the endpoint answered 503", &next1)
	o1.Attempt.ResponseExcerpt = "Serviço indisponível — 稍后再试 🚧 \u00e9\u0301"
	o1.Attempt.Duration = 1234 * time.Millisecond
	now1 := at1.Add(1234 * time.Millisecond)
	ep := f.record(t, o1, now1)
	wantEP.FailingSince = ptr(now1)
	if diff := cmpDiff(wantEP, ep); diff != "" {
		t.Errorf("endpoint returned after a first failure (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(wantEP, mustGetEndpoint(t, s, f.scope, f.ep.ID)); diff != "" {
		t.Errorf("endpoint stored after a first failure (-want +got):\n%s", diff)
	}
	a1 := o1.Attempt
	a1.Number = 1
	want.Status, want.AttemptCount, want.NextAttemptAt, want.UpdatedAt = lending.DeliveryPending, 1, &next1, now1
	want.Attempts = []lending.DeliveryAttempt{a1}
	if diff := cmpDiff(want, f.delivery(t, f.d.ID)); diff != "" {
		t.Errorf("delivery after attempt 1 (-want +got):\n%s", diff)
	}

	// 2: no answer at all (status 0, stored as NULL), duration truncated to the millisecond; due again at
	// once, which shows the in-flight claim was cleared.
	f.claim(t, f.d.ID, next1, store.Claimed)
	now2 := next1.Add(time.Second)
	o2 := failedAttempt(next1, 0, "dial tcp 127.0.0.1:9: connect: connection refused", &now2)
	o2.Attempt.Duration = 2700 * time.Microsecond
	ep = f.record(t, o2, now2)
	if diff := cmpDiff(wantEP, ep); diff != "" {
		t.Errorf("endpoint after a second failure: the streak must keep its start (-want +got):\n%s", diff)
	}
	a2 := o2.Attempt
	a2.Number, a2.Duration = 2, 2*time.Millisecond
	want.AttemptCount, want.NextAttemptAt, want.UpdatedAt = 2, &now2, now2
	want.Attempts = append(want.Attempts, a2)
	if diff := cmpDiff(want, f.delivery(t, f.d.ID)); diff != "" {
		t.Errorf("delivery after attempt 2 (-want +got):\n%s", diff)
	}
	// No answer is stored as NULL (the API shows response_status null), not as a status 0; so is no error.
	// Ids are hex, safe to inline: the query then needs no engine's placeholder syntax.
	var statusNull, errorNull [2]bool
	q := `SELECT response_status IS NULL, error IS NULL FROM webhook_attempts WHERE delivery_id = '` + f.d.ID + `' AND attempt = `
	for i, n := range []string{"1", "2"} {
		if err := s.WriterDB().QueryRowContext(testCtx(t), q+n).Scan(&statusNull[i], &errorNull[i]); err != nil {
			t.Fatalf("read attempt %s's columns: %v", n, err)
		}
	}
	if statusNull != [2]bool{false, true} || errorNull != [2]bool{false, false} {
		t.Errorf("response_status IS NULL for attempts 1 and 2 = %v, error IS NULL = %v; want [false true] and [false false]",
			statusNull, errorNull)
	}

	// 3: success ends the delivery and the endpoint's failure streak.
	f.claim(t, f.d.ID, now2, store.Claimed)
	now3 := now2.Add(subSecond)
	o3 := succeededAttempt(now2)
	o3.Attempt.ResponseExcerpt = ""
	ep = f.record(t, o3, now3)
	wantEP.FailingSince = nil
	if diff := cmpDiff(wantEP, ep); diff != "" {
		t.Errorf("endpoint returned after a success (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(wantEP, mustGetEndpoint(t, s, f.scope, f.ep.ID)); diff != "" {
		t.Errorf("endpoint stored after a success (-want +got):\n%s", diff)
	}
	a3 := o3.Attempt
	a3.Number = 3
	want.Status, want.AttemptCount, want.NextAttemptAt, want.UpdatedAt = lending.DeliverySucceeded, 3, nil, now3
	want.Attempts = append(want.Attempts, a3)
	got := f.delivery(t, f.d.ID)
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("delivery after attempt 3 (-want +got):\n%s", diff)
	}
	for i := range got.Attempts {
		assertUTC(t, fmt.Sprintf("attempt %d AttemptedAt", i+1), &got.Attempts[i].AttemptedAt)
	}
	w, err := s.DeliveryWork(testCtx(t), f.d.ID)
	if err != nil {
		t.Fatal(err)
	}
	want.Attempts = nil
	if diff := cmpDiff(want, w.Delivery); diff != "" {
		t.Errorf("DeliveryWork after attempt 3 (-want +got):\n%s", diff)
	}

	// Recording an attempt of an unknown delivery fails.
	if _, err := s.RecordAttempt(testCtx(t), ids.New("dlv_"), succeededAttempt(now3), now3); err == nil {
		t.Errorf("RecordAttempt(unknown delivery) = nil, want an error")
	}
}

// testRecordAttemptGone: a 410 fails the delivery and disables its endpoint at once.
func testRecordAttemptGone(t *testing.T, e Engine) {
	f := newDeliveryFixture(t, e)
	at := t0.Add(time.Second + subSecond)
	f.claim(t, f.d.ID, at, store.Claimed)
	o := store.AttemptOutcome{
		Attempt: lending.DeliveryAttempt{AttemptedAt: at, ResponseStatus: 410, Duration: time.Millisecond, Error: "the endpoint answered 410"},
		Status:  lending.DeliveryFailed, Gone: true,
	}
	now := at.Add(time.Millisecond)
	ep := f.record(t, o, now)
	want := f.ep
	want.Status, want.DisabledReason, want.FailingSince, want.UpdatedAt = lending.EndpointDisabled, "the endpoint answered 410 Gone", ptr(now), now
	if diff := cmpDiff(want, ep); diff != "" {
		t.Errorf("endpoint returned after a 410 (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(want, mustGetEndpoint(t, f.s, f.scope, f.ep.ID)); diff != "" {
		t.Errorf("endpoint stored after a 410 (-want +got):\n%s", diff)
	}
	d := f.delivery(t, f.d.ID)
	if d.Status != lending.DeliveryFailed || d.NextAttemptAt != nil || d.AttemptCount != 1 {
		t.Errorf("delivery after a 410: %s, next %v, %d attempts; want failed, none, 1", d.Status, d.NextAttemptAt, d.AttemptCount)
	}
	var receiving []lending.WebhookEndpoint
	ctx := testCtx(t)
	if err := f.s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		receiving, err = tx.ReceivingEndpoints(ctx, f.scope, "loan.created")
		return err
	}); err != nil || len(receiving) != 0 {
		t.Errorf("ReceivingEndpoints after a 410 = %v, %v; want none", receiving, err)
	}
}

// testRecordAttemptFiveDaysOfFailure: an endpoint failing without a success for 5 days is disabled, not a
// microsecond before.
func testRecordAttemptFiveDaysOfFailure(t *testing.T, e Engine) {
	f := newDeliveryFixture(t, e)
	start := t0.Add(time.Second + subSecond)
	f.claim(t, f.d.ID, start, store.Claimed)
	next := start.Add(time.Second)
	f.record(t, failedAttempt(start, 500, "the endpoint answered 500", &next), start)

	almost := start.Add(lending.DisableAfterFailing - time.Microsecond)
	f.claim(t, f.d.ID, almost, store.Claimed)
	next = almost.Add(time.Microsecond)
	ep := f.record(t, failedAttempt(almost, 500, "the endpoint answered 500", &next), almost)
	if ep.Status != lending.EndpointActive || ep.FailingSince == nil || !ep.FailingSince.Equal(start) {
		t.Errorf("endpoint failing for 5 days less 1 µs: %s since %v, want active since %s", ep.Status, ep.FailingSince, start)
	}

	five := start.Add(lending.DisableAfterFailing)
	f.claim(t, f.d.ID, five, store.Claimed)
	ep = f.record(t, failedAttempt(five, 0, "timeout", nil), five)
	want := f.ep
	want.Status, want.DisabledReason, want.FailingSince, want.UpdatedAt = lending.EndpointDisabled, "no successful delivery for 5 days", ptr(start), five
	if diff := cmpDiff(want, ep); diff != "" {
		t.Errorf("endpoint returned after 5 days of failures (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(want, mustGetEndpoint(t, f.s, f.scope, f.ep.ID)); diff != "" {
		t.Errorf("endpoint stored after 5 days of failures (-want +got):\n%s", diff)
	}
}

// testFailDelivery: FailDelivery fails a pending delivery (in flight or not) and leaves a settled one.
func testFailDelivery(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newDeliveryFixture(t, e)
	f.claim(t, f.d.ID, t0.Add(time.Second), store.Claimed)
	now := t0.Add(time.Minute + subSecond)
	if err := f.s.FailDelivery(ctx, f.d.ID, now); err != nil {
		t.Fatalf("FailDelivery: %v", err)
	}
	want := f.d
	want.Status, want.NextAttemptAt, want.UpdatedAt = lending.DeliveryFailed, nil, now
	if diff := cmpDiff(want, f.delivery(t, f.d.ID)); diff != "" {
		t.Errorf("delivery after FailDelivery (-want +got):\n%s", diff)
	}
	// The claim was cleared with it: reopened, the delivery is claimable at once.
	reopenAt := now.Add(time.Second)
	if err := f.s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ReopenDelivery(ctx, f.scope, f.d.ID, reopenAt)
		return err
	}); err != nil {
		t.Fatalf("ReopenDelivery: %v", err)
	}
	f.claim(t, f.d.ID, reopenAt, store.Claimed)

	// A succeeded delivery stays succeeded; an unknown id is no error.
	done := mustDelivery(t, f.s, f.ev, f.ep, t0)
	f.claim(t, done.ID, t0.Add(time.Second), store.Claimed)
	if _, err := f.s.RecordAttempt(ctx, done.ID, succeededAttempt(t0.Add(time.Second)), t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	before := f.delivery(t, done.ID)
	if err := f.s.FailDelivery(ctx, done.ID, now); err != nil {
		t.Fatalf("FailDelivery(succeeded): %v", err)
	}
	if diff := cmpDiff(before, f.delivery(t, done.ID)); diff != "" {
		t.Errorf("succeeded delivery after FailDelivery (-want +got):\n%s", diff)
	}
	if err := f.s.FailDelivery(ctx, ids.New("dlv_"), now); err != nil {
		t.Errorf("FailDelivery(unknown) = %v, want nil", err)
	}
}

// testReopenDelivery: a resend puts the scope's delivery back to pending, due now; other scopes' and
// deleted endpoints' deliveries are unknown, a disabled endpoint's a conflict.
func testReopenDelivery(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newDeliveryFixture(t, e)
	s := f.s
	reopen := func(scope lending.Scope, id string, now time.Time) (lending.Delivery, error) {
		var d lending.Delivery
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			d, err = tx.ReopenDelivery(ctx, scope, id, now)
			return err
		})
		return d, err
	}

	// A failed delivery (after one attempt) comes back pending, due now, with its attempts kept.
	at := t0.Add(time.Second)
	f.claim(t, f.d.ID, at, store.Claimed)
	f.record(t, store.AttemptOutcome{
		Attempt: lending.DeliveryAttempt{AttemptedAt: at, ResponseStatus: 500, Duration: time.Millisecond, Error: "500"},
		Status:  lending.DeliveryFailed,
	}, at)
	before := f.delivery(t, f.d.ID)
	now := t0.Add(time.Hour + subSecond)
	got, err := reopen(f.scope, f.d.ID, now)
	if err != nil {
		t.Fatalf("ReopenDelivery: %v", err)
	}
	want := before
	want.Status, want.NextAttemptAt, want.UpdatedAt = lending.DeliveryPending, ptr(now), now
	if diff := cmpDiff(want, f.delivery(t, f.d.ID)); diff != "" {
		t.Errorf("delivery after ReopenDelivery (-want +got):\n%s", diff)
	}
	want.Attempts = nil
	if diff := cmpDiff(want, got); diff != "" {
		t.Errorf("ReopenDelivery returned (-want +got):\n%s", diff)
	}
	f.claim(t, f.d.ID, now, store.Claimed)

	// A succeeded delivery may be resent too.
	f.record(t, succeededAttempt(now), now)
	if _, err := reopen(f.scope, f.d.ID, now.Add(time.Second)); err != nil {
		t.Errorf("ReopenDelivery(succeeded) = %v, want nil", err)
	}
	if d := f.delivery(t, f.d.ID); d.Status != lending.DeliveryPending {
		t.Errorf("succeeded delivery after ReopenDelivery is %s, want pending", d.Status)
	}

	other := mustScope(t, s, lending.EnvTest)
	for _, c := range []struct {
		name  string
		scope lending.Scope
		id    string
	}{
		{"other partner", other, f.d.ID},
		{"other environment", lending.Scope{PartnerID: f.scope.PartnerID, Environment: lending.EnvLive}, f.d.ID},
		{"unknown id", f.scope, ids.New("dlv_")},
	} {
		_, err := reopen(c.scope, c.id, now)
		wantCode(t, "ReopenDelivery: "+c.name, err, lending.CodeDeliveryNotFound)
	}

	// A disabled endpoint's delivery: a conflict, and nothing changes.
	disabledEP := mustEndpoint(t, s, f.scope, nil, t0)
	dd := mustDelivery(t, s, f.ev, disabledEP, t0)
	if err := s.FailDelivery(ctx, dd.ID, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateWebhookEndpoint(ctx, f.scope, disabledEP.ID, func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
		return e.Apply(lending.WebhookEndpointPatch{Status: ptr(lending.EndpointDisabled)}, t0.Add(time.Second))
	}); err != nil {
		t.Fatal(err)
	}
	_, err = reopen(f.scope, dd.ID, now)
	wantCode(t, "ReopenDelivery of a disabled endpoint's delivery", err, lending.CodeConflict)
	if w, err := s.DeliveryWork(ctx, dd.ID); err != nil || w.Delivery.Status != lending.DeliveryFailed {
		t.Errorf("delivery after a refused reopen: %s, %v; want failed", w.Delivery.Status, err)
	}

	// A deleted endpoint's delivery: unknown.
	deletedEP := mustEndpoint(t, s, f.scope, nil, t0)
	dl := mustDelivery(t, s, f.ev, deletedEP, t0)
	if err := s.DeleteWebhookEndpoint(ctx, f.scope, deletedEP.ID, t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err = reopen(f.scope, dl.ID, now)
	wantCode(t, "ReopenDelivery of a deleted endpoint's delivery", err, lending.CodeDeliveryNotFound)
}

// testListDeliveries lists an endpoint's deliveries newest first, page by page, filtered by status, with
// their attempts in order.
func testListDeliveries(t *testing.T, e Engine) {
	ctx := testCtx(t)
	f := newDeliveryFixture(t, e)
	s := f.s
	// Seven more deliveries, some sharing created_at; one succeeds after two attempts, one fails.
	all := []lending.Delivery{f.d}
	for i, at := range []time.Duration{2 * subSecond, 2 * subSecond, 3 * subSecond, 3 * subSecond, 3 * subSecond, time.Second, 2 * time.Second} {
		ev := mustEvent(t, s, f.scope, webhook.EventTypes[i], fmt.Sprintf(`{"i":%d}`, i), t0.Add(at))
		all = append(all, mustDelivery(t, s, ev, f.ep, t0.Add(at)))
	}
	// Another endpoint's delivery, of the same event, is not listed.
	otherEP := mustEndpoint(t, s, f.scope, nil, t0)
	mustDelivery(t, s, f.ev, otherEP, t0.Add(subSecond))

	retried, lost := all[3].ID, all[5].ID
	now := t0.Add(time.Minute)
	f.claim(t, retried, now, store.Claimed)
	if _, err := s.RecordAttempt(ctx, retried, failedAttempt(now, 502, "502", &now), now); err != nil {
		t.Fatal(err)
	}
	f.claim(t, retried, now, store.Claimed)
	if _, err := s.RecordAttempt(ctx, retried, succeededAttempt(now.Add(subSecond)), now.Add(subSecond)); err != nil {
		t.Fatal(err)
	}
	if err := s.FailDelivery(ctx, lost, now); err != nil {
		t.Fatal(err)
	}

	// The expected list: created_at descending, then id descending.
	slices.SortFunc(all, func(a, b lending.Delivery) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	byStatus := map[lending.DeliveryStatus][]string{}
	var order []string
	for _, d := range all {
		order = append(order, d.ID)
		st := lending.DeliveryPending
		switch d.ID {
		case retried:
			st = lending.DeliverySucceeded
		case lost:
			st = lending.DeliveryFailed
		}
		byStatus[st] = append(byStatus[st], d.ID)
	}

	walk := func(t *testing.T, status lending.DeliveryStatus, limit int) []lending.Delivery {
		t.Helper()
		var out []lending.Delivery
		page := store.Page{Limit: limit}
		for range 100 {
			items, more, err := s.ListDeliveries(ctx, f.scope, f.ep.ID, status, page)
			if err != nil {
				t.Fatalf("ListDeliveries(%q, %+v): %v", status, page, err)
			}
			if len(items) > limit || (more && len(items) != limit) {
				t.Fatalf("ListDeliveries(%q, %+v) = %d items, has_more %v", status, page, len(items), more)
			}
			out = append(out, items...)
			if !more {
				return out
			}
			page.StartingAfter = items[len(items)-1].ID
		}
		t.Fatalf("ListDeliveries did not end")
		return nil
	}
	idsOf := func(ds []lending.Delivery) []string {
		var out []string
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	for limit := 1; limit <= len(all)+1; limit++ {
		if diff := cmpDiff(order, idsOf(walk(t, "", limit))); diff != "" {
			t.Errorf("ListDeliveries with limit %d, ids in order (-want +got):\n%s", limit, diff)
		}
	}
	for _, st := range []lending.DeliveryStatus{lending.DeliveryPending, lending.DeliverySucceeded, lending.DeliveryFailed} {
		got := walk(t, st, 2)
		if diff := cmpDiff(byStatus[st], idsOf(got)); diff != "" {
			t.Errorf("ListDeliveries(status %s) ids (-want +got):\n%s", st, diff)
		}
		for _, d := range got {
			if d.Status != st {
				t.Errorf("ListDeliveries(status %s) lists %s, which is %s", st, d.ID, d.Status)
			}
		}
	}

	// Attempts come attached, in order; a delivery without any has none.
	for _, d := range walk(t, "", 100) {
		var wantNumbers []int
		switch d.ID {
		case retried:
			wantNumbers = []int{1, 2}
		}
		var got []int
		for _, a := range d.Attempts {
			got = append(got, a.Number)
		}
		if diff := cmpDiff(wantNumbers, got); diff != "" {
			t.Errorf("delivery %s: attempt numbers (-want +got):\n%s", d.ID, diff)
		}
		if d.ID == retried && (d.Attempts[0].ResponseStatus != 502 || d.Attempts[1].ResponseStatus != 200) {
			t.Errorf("delivery %s: attempts %+v, want 502 then 200", d.ID, d.Attempts)
		}
	}
}
