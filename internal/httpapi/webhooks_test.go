package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/webhook"
)

// Wire shapes of the webhook routes (contract.md §6.11, §6.12, sandbox.md).
type endpointWire struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	CreatedAt   int64    `json:"created_at"`
	UpdatedAt   int64    `json:"updated_at"`
	Secret      *string  `json:"secret"`
}

type endpointList struct {
	Data    []endpointWire `json:"data"`
	HasMore bool           `json:"has_more"`
}

type rotationWire struct {
	ID                      string `json:"id"`
	Secret                  string `json:"secret"`
	PreviousSecretExpiresAt int64  `json:"previous_secret_expires_at"`
}

type attemptWire struct {
	AttemptedAt     int64   `json:"attempted_at"`
	ResponseStatus  *int    `json:"response_status"`
	DurationMS      int64   `json:"duration_ms"`
	ResponseExcerpt string  `json:"response_excerpt"`
	Error           *string `json:"error"`
}

type deliveryWire struct {
	ID            string        `json:"id"`
	EventID       string        `json:"event_id"`
	EventType     string        `json:"event_type"`
	Status        string        `json:"status"`
	Attempts      []attemptWire `json:"attempts"`
	NextAttemptAt *int64        `json:"next_attempt_at"`
	CreatedAt     int64         `json:"created_at"`
}

type deliveryList struct {
	Data    []deliveryWire `json:"data"`
	HasMore bool           `json:"has_more"`
}

type testEventWire struct {
	DeliveryID string `json:"delivery_id"`
	EventID    string `json:"event_id"`
}

var (
	endpointIDPattern = regexp.MustCompile(`^we_[0-9a-f]{32}$`)
	deliveryIDPattern = regexp.MustCompile(`^dlv_[0-9a-f]{32}$`)
	eventIDPattern    = regexp.MustCompile(`^evt_[0-9a-f]{32}$`)
)

const (
	// waitLimit bounds every wait for a delivery; generous, since no test asserts how long one takes.
	waitLimit = 30 * time.Second
	// unknownEndpoint and unknownDelivery are well-formed ids that name nothing.
	unknownEndpoint = "we_ffffffffffffffffffffffffffffffff"
	unknownDelivery = "dlv_ffffffffffffffffffffffffffffffff"
)

// param returns the param of the first field error of a problem ("" when it has none).
func (r response) param(t *testing.T) string {
	t.Helper()
	var p struct {
		Errors []struct{ Param string } `json:"errors"`
	}
	_ = json.Unmarshal(r.body, &p)
	if len(p.Errors) == 0 {
		return ""
	}
	return p.Errors[0].Param
}

// wantProblem fails t unless r is a problem with status and code (and, when param is not "", a field
// error naming param).
func wantProblem(t *testing.T, what string, r response, status int, code, param string) {
	t.Helper()
	if r.status != status || r.code(t) != code {
		t.Errorf("%s: %d %s, want %d %s", what, r.status, r.body, status, code)
		return
	}
	if param != "" && r.param(t) != param {
		t.Errorf("%s: errors %s, want param %s", what, r.body, param)
	}
}

// createEndpoint creates an endpoint with body and fails the test unless it is created.
func (en *env) createEndpoint(tok, body string) endpointWire {
	en.t.Helper()
	r := en.do("POST", "/api/v3/webhooks/endpoints", body, bearer(tok)...)
	if r.status != http.StatusCreated {
		en.t.Fatalf("create endpoint %s: %d %s", body, r.status, r.body)
	}
	return decode[endpointWire](en.t, r)
}

// endpoints lists every endpoint the token sees.
func (en *env) endpoints(tok string) []endpointWire {
	en.t.Helper()
	r := en.do("GET", "/api/v3/webhooks/endpoints?limit=100", "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("list endpoints: %d %s", r.status, r.body)
	}
	return decode[endpointList](en.t, r).Data
}

// getEndpoint fetches endpoint id and fails the test unless it is there.
func (en *env) getEndpoint(tok, id string) endpointWire {
	en.t.Helper()
	r := en.do("GET", "/api/v3/webhooks/endpoints/"+id, "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("get endpoint %s: %d %s", id, r.status, r.body)
	}
	return decode[endpointWire](en.t, r)
}

// testEvent sends a sandbox test event of type typ to endpoint id and fails the test unless it is accepted.
func (en *env) testEvent(tok, id, typ string) testEventWire {
	en.t.Helper()
	r := en.do("POST", "/api/v3/sandbox/webhooks/endpoints/"+id+"/test-events", `{"type":"`+typ+`"}`, bearer(tok)...)
	if r.status != http.StatusAccepted {
		en.t.Fatalf("test event %s to %s: %d %s", typ, id, r.status, r.body)
	}
	out := decode[testEventWire](en.t, r)
	if !deliveryIDPattern.MatchString(out.DeliveryID) || !eventIDPattern.MatchString(out.EventID) {
		en.t.Errorf("test event answer %s", r.body)
	}
	return out
}

// deliveries lists the deliveries of endpoint id (query is appended to the path, e.g. "?status=failed").
func (en *env) deliveries(tok, id, query string) deliveryList {
	en.t.Helper()
	r := en.do("GET", "/api/v3/webhooks/endpoints/"+id+"/deliveries"+query, "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("list deliveries of %s%s: %d %s", id, query, r.status, r.body)
	}
	return decode[deliveryList](en.t, r)
}

// eventually polls cond until it holds, failing the test after waitLimit.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// noSecret fails the test if an answer shows a signing secret.
func noSecret(t *testing.T, what string, r response, secrets ...string) {
	t.Helper()
	if bytes.Contains(r.body, []byte(`"secret"`)) || bytes.Contains(r.body, []byte("whsec_")) {
		t.Errorf("%s shows a secret: %s", what, r.body)
	}
	for _, s := range secrets {
		if s != "" && bytes.Contains(r.body, []byte(s)) {
			t.Errorf("%s shows the secret %s", what, s)
		}
	}
}

func checkSecret(t *testing.T, what, secret string) {
	t.Helper()
	if !strings.HasPrefix(secret, "whsec_") {
		t.Errorf("%s: secret %q does not start with whsec_", what, secret)
		return
	}
	key, err := webhook.DecodeSecret(secret)
	if err != nil || len(key) != 32 {
		t.Errorf("%s: secret %q decodes to %d bytes (%v), want 32", what, secret, len(key), err)
	}
}

func TestCreateWebhookEndpoint(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		testTok, liveTok := en.token(en.a.test), en.token(en.a.live)

		// The smallest request: description "" and events [] on the wire.
		r := en.do("POST", "/api/v3/webhooks/endpoints", `{"url":"http://localhost:3000/hook"}`, bearer(testTok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q on the answer with the secret", r.header.Get("Cache-Control"))
		}
		got := r.json(t)
		id, _ := got["id"].(string)
		secret, _ := got["secret"].(string)
		if !endpointIDPattern.MatchString(id) {
			t.Errorf("id %q", id)
		}
		checkSecret(t, "created", secret)
		want := map[string]any{
			"id": id, "url": "http://localhost:3000/hook", "events": []any{}, "description": "", "status": "active",
			"created_at": float64(epoch.Unix()), "updated_at": float64(epoch.Unix()), "secret": secret,
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("created endpoint (-want +got):\n%s", d)
		}

		// Every field, in live: events are kept as given (duplicates dropped).
		en.clock.Advance(time.Second)
		r = en.do("POST", "/api/v3/webhooks/endpoints",
			`{"url":"https://partner.example.com/webhooks/dinie","events":["customer.active","loan.*","customer.active","*"],"description":"Produção"}`,
			bearer(liveTok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("create live: %d %s", r.status, r.body)
		}
		live := decode[endpointWire](t, r)
		if live.Secret == nil {
			t.Fatal("no secret in the live endpoint's creation")
		}
		checkSecret(t, "live", *live.Secret)
		if *live.Secret == secret {
			t.Error("two endpoints share a secret")
		}
		wantLive := endpointWire{ID: live.ID, URL: "https://partner.example.com/webhooks/dinie",
			Events: []string{"customer.active", "loan.*", "*"}, Description: "Produção", Status: "active",
			CreatedAt: epoch.Unix() + 1, UpdatedAt: epoch.Unix() + 1, Secret: live.Secret}
		if d := cmp.Diff(wantLive, live); d != "" {
			t.Errorf("created live endpoint (-want +got):\n%s", d)
		}

		// The secret is never shown again: not by GET, list, PATCH.
		for _, c := range []struct {
			tok, id, secret string
		}{{testTok, id, secret}, {liveTok, live.ID, *live.Secret}} {
			noSecret(t, "GET", en.do("GET", "/api/v3/webhooks/endpoints/"+c.id, "", bearer(c.tok)...), c.secret)
			noSecret(t, "list", en.do("GET", "/api/v3/webhooks/endpoints", "", bearer(c.tok)...), c.secret)
			noSecret(t, "PATCH", en.do("PATCH", "/api/v3/webhooks/endpoints/"+c.id, `{"description":"x"}`, bearer(c.tok)...), c.secret)
			noSecret(t, "empty PATCH", en.do("PATCH", "/api/v3/webhooks/endpoints/"+c.id, "", bearer(c.tok)...), c.secret)
		}
		// Each environment sees its own endpoint.
		if l := en.endpoints(testTok); len(l) != 1 || l[0].ID != id {
			t.Errorf("test list: %+v", l)
		}
		if l := en.endpoints(liveTok); len(l) != 1 || l[0].ID != live.ID {
			t.Errorf("live list: %+v", l)
		}
		// The /v3 alias is the same route.
		if r := en.do("GET", "/v3/webhooks/endpoints/"+id, "", bearer(testTok)...); r.status != 200 {
			t.Errorf("GET on /v3: %d %s", r.status, r.body)
		}
	})
}

func TestCreateWebhookEndpointValidation(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		toks := map[lending.Environment]string{lending.EnvTest: en.token(en.a.test), lending.EnvLive: en.token(en.a.live)}
		both := []lending.Environment{lending.EnvTest, lending.EnvLive}
		live := []lending.Environment{lending.EnvLive}
		long := strings.Repeat("é", 501)
		bad := []struct {
			envs        []lending.Environment
			body        string
			status      int
			code, param string
		}{
			{both, `{}`, 422, "missing_required_field", "url"},
			{both, ``, 422, "missing_required_field", "url"},
			{both, `{"url":null}`, 422, "missing_required_field", "url"},
			{both, `{"url":"  "}`, 422, "missing_required_field", "url"},
			{both, `{"events":["*"]}`, 422, "missing_required_field", "url"},
			{both, `{"url":42}`, 422, "invalid_field", "url"},
			{both, `{"url":"ftp://x"}`, 422, "invalid_url", "url"},
			{both, `{"url":"not a url"}`, 422, "invalid_url", "url"},
			{both, `{"url":"/relative/hook"}`, 422, "invalid_url", "url"},
			{both, `{"url":"https://"}`, 422, "invalid_url", "url"},
			{both, `{"url":"https://partner.example.com/hook#frag"}`, 422, "invalid_url", "url"},
			{both, `{"url":"https://partner.example.com/` + strings.Repeat("a", 2048) + `"}`, 422, "invalid_url", "url"},
			{live, `{"url":"http://example.com"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://127.0.0.1/x"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://10.0.0.5/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://192.168.1.1/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://[::1]/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://[::ffff:127.0.0.1]/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://[fe80::1]/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://169.254.169.254/latest"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://0.0.0.0/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://localhost/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://LOCALHOST./"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://api.localhost/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://printer.local/"}`, 422, "invalid_url", "url"},
			{live, `{"url":"https://metadata.google.internal/"}`, 422, "invalid_url", "url"},
			{both, `{"url":"https://partner.example.com/h","events":["loan.nope"]}`, 422, "invalid_event_filter", "events"},
			{both, `{"url":"https://partner.example.com/h","events":["foo.*"]}`, 422, "invalid_event_filter", "events"},
			{both, `{"url":"https://partner.example.com/h","events":["loan*"]}`, 422, "invalid_event_filter", "events"},
			{both, `{"url":"https://partner.example.com/h","events":[""]}`, 422, "invalid_event_filter", "events"},
			{both, `{"url":"https://partner.example.com/h","events":[5]}`, 422, "invalid_field", "events"},
			{both, `{"url":"https://partner.example.com/h","events":"loan.*"}`, 422, "invalid_field", "events"},
			{both, `{"url":"https://partner.example.com/h","description":"` + long + `"}`, 422, "invalid_field", "description"},
			{both, `{"url":"https://partner.example.com/h","description":7}`, 422, "invalid_field", "description"},
			{both, `{"url":"https://partner.example.com/h"`, 400, "malformed_json", ""},
			{both, `["https://partner.example.com/h"]`, 400, "malformed_json", ""},
		}
		for _, tt := range bad {
			for _, env := range tt.envs {
				r := en.do("POST", "/api/v3/webhooks/endpoints", tt.body, bearer(toks[env])...)
				wantProblem(t, fmt.Sprintf("%s %.80s", env, tt.body), r, tt.status, tt.code, tt.param)
			}
		}
		for _, env := range both {
			if l := en.endpoints(toks[env]); len(l) != 0 {
				t.Errorf("%s: refused requests created %d endpoints", env, len(l))
			}
		}

		// What the test environment allows, so partners can develop on their machine; and a description of
		// exactly 500 characters.
		for _, url := range []string{"http://localhost:3000/hook", "http://127.0.0.1:8080/", "https://[::1]:8443/h", "http://10.0.0.5/"} {
			ep := en.createEndpoint(toks[lending.EnvTest], `{"url":"`+url+`"}`)
			if ep.URL != url {
				t.Errorf("url %q stored as %q", url, ep.URL)
			}
		}
		ep := en.createEndpoint(toks[lending.EnvLive], `{"url":"https://partner.example.com/h","description":"`+long[:1000]+`"}`)
		if len([]rune(ep.Description)) != 500 {
			t.Errorf("description of %d characters", len([]rune(ep.Description)))
		}
	})
}

func TestListWebhookEndpointsPagination(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		var created []string
		for i := range 7 {
			if i%3 == 0 {
				en.clock.Advance(time.Second) // some share a creation second: the id breaks the tie
			}
			created = append(created, en.createEndpoint(tok, fmt.Sprintf(`{"url":"https://partner.example.com/h%d"}`, i)).ID)
		}
		full := decode[endpointList](t, en.do("GET", "/api/v3/webhooks/endpoints", "", bearer(tok)...))
		var all []string
		for i, ep := range full.Data {
			all = append(all, ep.ID)
			if i > 0 {
				prev := full.Data[i-1]
				if ep.CreatedAt < prev.CreatedAt || (ep.CreatedAt == prev.CreatedAt && ep.ID < prev.ID) {
					t.Errorf("not oldest first: %s (%d) after %s (%d)", ep.ID, ep.CreatedAt, prev.ID, prev.CreatedAt)
				}
			}
		}
		if full.HasMore || len(all) != 7 {
			t.Fatalf("full list: %d items, has_more %v", len(all), full.HasMore)
		}
		if d := cmp.Diff(slices.Sorted(slices.Values(created)), slices.Sorted(slices.Values(all))); d != "" {
			t.Errorf("listed ids (-created +listed):\n%s", d)
		}
		for _, limit := range []int{1, 2, 3, 6, 7, 100} {
			got := en.pageIDs(tok, "/api/v3/webhooks/endpoints", limit)
			if d := cmp.Diff(all, got); d != "" {
				t.Errorf("limit %d: pages differ from the full list (-want +got):\n%s", limit, d)
			}
		}
		// A deleted endpoint leaves the list, and is no cursor.
		if r := en.do("DELETE", "/api/v3/webhooks/endpoints/"+all[2], "", bearer(tok)...); r.status != 204 {
			t.Fatalf("delete: %d %s", r.status, r.body)
		}
		if l := en.endpoints(tok); len(l) != 6 || slices.ContainsFunc(l, func(ep endpointWire) bool { return ep.ID == all[2] }) {
			t.Errorf("after a delete the list has %d endpoints", len(l))
		}
		other := en.createEndpoint(en.token(en.b.test), `{"url":"https://b.example.com/h"}`)
		for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=", "starting_after=" + unknownEndpoint,
			"starting_after=" + other.ID, "starting_after=" + all[2]} {
			r := en.do("GET", "/api/v3/webhooks/endpoints?"+q, "", bearer(tok)...)
			wantProblem(t, q, r, 422, "invalid_parameter", "")
		}
	})
}

func TestWebhookEndpointIsolation(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		aTest, aLive, bTest := en.token(en.a.test), en.token(en.a.live), en.token(en.b.test)
		ep := en.createEndpoint(aTest, `{"url":"https://a.example.com/h","events":["loan.*"],"description":"A's"}`)
		sent := en.testEvent(aTest, ep.ID, "loan.created")
		before := en.getEndpoint(aTest, ep.ID)

		for _, who := range []struct{ name, tok string }{{"B test", bTest}, {"A live", aLive}} {
			if l := en.endpoints(who.tok); len(l) != 0 {
				t.Errorf("%s lists %d endpoints", who.name, len(l))
			}
			base := "/api/v3/webhooks/endpoints/" + ep.ID
			for _, req := range []struct{ method, path, body string }{
				{"GET", base, ""},
				{"PATCH", base, `{"status":"disabled"}`},
				{"DELETE", base, ""},
				{"POST", base + "/rotate-secret", `{}`},
				{"GET", base + "/deliveries", ""},
			} {
				r := en.do(req.method, req.path, req.body, bearer(who.tok)...)
				wantProblem(t, who.name+" "+req.method+" "+req.path, r, 404, "webhook_endpoint_not_found", "")
			}
			r := en.do("POST", "/api/v3/webhooks/deliveries/"+sent.DeliveryID+"/resend", "", bearer(who.tok)...)
			wantProblem(t, who.name+" resend", r, 404, "delivery_not_found", "")
		}
		// Test events: another partner's endpoint is not found; a live token is refused before anything.
		r := en.do("POST", "/api/v3/sandbox/webhooks/endpoints/"+ep.ID+"/test-events", `{"type":"loan.created"}`, bearer(bTest)...)
		wantProblem(t, "B test event", r, 404, "webhook_endpoint_not_found", "")
		r = en.do("POST", "/api/v3/sandbox/webhooks/endpoints/"+ep.ID+"/test-events", `{"type":"loan.created"}`, bearer(aLive)...)
		wantProblem(t, "A live test event", r, 403, "sandbox_only", "")

		// A's endpoint and its delivery are as they were.
		if d := cmp.Diff(before, en.getEndpoint(aTest, ep.ID)); d != "" {
			t.Errorf("others' requests changed A's endpoint (-before +after):\n%s", d)
		}
		l := en.deliveries(aTest, ep.ID, "")
		if len(l.Data) != 1 || l.Data[0].ID != sent.DeliveryID {
			t.Errorf("A's deliveries: %+v", l)
		}
	})
}

func TestUpdateWebhookEndpoint(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.live)
		created := en.createEndpoint(tok, `{"url":"https://partner.example.com/h","events":["customer.active"],"description":"first"}`)
		cur := created
		cur.Secret = nil
		path := "/api/v3/webhooks/endpoints/" + created.ID
		steps := []struct {
			body   string
			change func(*endpointWire)
		}{
			{`{"url":"https://partner.example.com/v2"}`, func(e *endpointWire) { e.URL = "https://partner.example.com/v2" }},
			{`{"events":["loan.*","credit_offer.expired"]}`, func(e *endpointWire) { e.Events = []string{"loan.*", "credit_offer.expired"} }},
			{`{"events":[]}`, func(e *endpointWire) { e.Events = []string{} }},
			{`{"description":"second"}`, func(e *endpointWire) { e.Description = "second" }},
			{`{"description":""}`, func(e *endpointWire) { e.Description = "" }},
			{`{"status":"disabled"}`, func(e *endpointWire) { e.Status = "disabled" }},
			{`{"status":"disabled"}`, func(e *endpointWire) {}},
			{`{"status":"active"}`, func(e *endpointWire) { e.Status = "active" }},
			{`{"url":"https://partner.example.com/v3","events":["*"],"description":"all","status":"disabled"}`, func(e *endpointWire) {
				e.URL, e.Events, e.Description, e.Status = "https://partner.example.com/v3", []string{"*"}, "all", "disabled"
			}},
			{`{"url":null,"events":null,"description":null,"status":null,"unknown":1}`, func(e *endpointWire) {}},
			{`{}`, func(e *endpointWire) {}},
		}
		for i, s := range steps {
			before := cur
			s.change(&cur)
			// A request that changes nothing is left out of the updated_at check (whether it should move
			// updated_at is not settled): the clock stays put for it.
			at := en.clock.Now()
			if !cmp.Equal(before, cur) {
				at = en.clock.Advance(time.Minute)
			}
			r := en.do("PATCH", path, s.body, bearer(tok)...)
			if r.status != 200 {
				t.Fatalf("step %d %s: %d %s", i, s.body, r.status, r.body)
			}
			cur.UpdatedAt = at.Unix()
			if d := cmp.Diff(cur, decode[endpointWire](t, r)); d != "" {
				t.Errorf("step %d %s (-want +got):\n%s", i, s.body, d)
			}
			if d := cmp.Diff(cur, en.getEndpoint(tok, created.ID)); d != "" {
				t.Errorf("step %d %s: GET afterwards (-want +got):\n%s", i, s.body, d)
			}
		}
		if cur.CreatedAt != epoch.Unix() {
			t.Errorf("created_at moved to %d", cur.CreatedAt)
		}

		// Refused changes change nothing, not even updated_at.
		en.clock.Advance(time.Minute)
		for _, tt := range []struct {
			body, code, param string
			status            int
		}{
			{`{"status":"paused"}`, "invalid_field", "status", 422},
			{`{"status":""}`, "invalid_field", "status", 422},
			{`{"status":1}`, "invalid_field", "status", 422},
			{`{"url":"http://partner.example.com/h"}`, "invalid_url", "url", 422},
			{`{"url":"https://10.1.2.3/h"}`, "invalid_url", "url", 422},
			{`{"url":""}`, "missing_required_field", "url", 422},
			{`{"events":["loan.nope"]}`, "invalid_event_filter", "events", 422},
			{`{"events":["foo.*"]}`, "invalid_event_filter", "events", 422},
			{`{"events":[5]}`, "invalid_field", "events", 422},
			{`{"description":"` + strings.Repeat("x", 501) + `"}`, "invalid_field", "description", 422},
			{`{"description":"ok","status":"bogus"}`, "invalid_field", "status", 422},
			{`{"status":"active"`, "malformed_json", "", 400},
		} {
			r := en.do("PATCH", path, tt.body, bearer(tok)...)
			wantProblem(t, fmt.Sprintf("PATCH %.60s", tt.body), r, tt.status, tt.code, tt.param)
		}
		if d := cmp.Diff(cur, en.getEndpoint(tok, created.ID)); d != "" {
			t.Errorf("refused PATCHes changed the endpoint (-want +got):\n%s", d)
		}
		r := en.do("PATCH", "/api/v3/webhooks/endpoints/"+unknownEndpoint, `{"status":"active"}`, bearer(tok)...)
		wantProblem(t, "PATCH unknown", r, 404, "webhook_endpoint_not_found", "")
	})
}

func TestDeleteWebhookEndpoint(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		ep := en.createEndpoint(tok, `{"url":"https://partner.example.com/h"}`)
		keep := en.createEndpoint(tok, `{"url":"https://partner.example.com/keep"}`)
		pending := en.testEvent(tok, ep.ID, "loan.created")
		path := "/api/v3/webhooks/endpoints/" + ep.ID
		for i := range 2 { // DELETE is idempotent
			if r := en.do("DELETE", path, "", bearer(tok)...); r.status != 204 || len(r.body) != 0 {
				t.Fatalf("delete #%d: %d %q", i, r.status, r.body)
			}
		}
		// A key-less retry of the SDK's DELETE on the /v3 alias also succeeds.
		if r := en.do("DELETE", "/v3/webhooks/endpoints/"+ep.ID, "", bearer(tok)...); r.status != 204 {
			t.Errorf("delete on /v3: %d %s", r.status, r.body)
		}
		for _, req := range []struct{ method, path, body string }{
			{"GET", path, ""},
			{"PATCH", path, `{"status":"active"}`},
			{"POST", path + "/rotate-secret", ""},
			{"GET", path + "/deliveries", ""},
			{"POST", "/api/v3/sandbox/webhooks/endpoints/" + ep.ID + "/test-events", `{"type":"loan.created"}`},
			{"DELETE", "/api/v3/webhooks/endpoints/" + unknownEndpoint, ""},
		} {
			r := en.do(req.method, req.path, req.body, bearer(tok)...)
			wantProblem(t, "after delete: "+req.method+" "+req.path, r, 404, "webhook_endpoint_not_found", "")
		}
		// Another partner, or the other environment, never had it.
		for _, other := range []string{en.token(en.b.test), en.token(en.a.live)} {
			r := en.do("DELETE", path, "", bearer(other)...)
			wantProblem(t, "deleting another's deleted endpoint", r, 404, "webhook_endpoint_not_found", "")
		}
		// Its deliveries can no longer be resent, and the pending one stopped.
		r := en.do("POST", "/api/v3/webhooks/deliveries/"+pending.DeliveryID+"/resend", "", bearer(tok)...)
		wantProblem(t, "resend after delete", r, 404, "delivery_not_found", "")
		work, err := en.store.DeliveryWork(context.Background(), pending.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if work.Delivery.Status != lending.DeliveryFailed || work.Delivery.NextAttemptAt != nil {
			t.Errorf("the deleted endpoint's pending delivery is %s, next %v; want failed, none", work.Delivery.Status, work.Delivery.NextAttemptAt)
		}
		if l := en.endpoints(tok); len(l) != 1 || l[0].ID != keep.ID {
			t.Errorf("after delete the list is %+v", l)
		}
	})
}

func TestRotateWebhookSecret(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.live)
		ep := en.createEndpoint(tok, `{"url":"https://partner.example.com/h"}`)
		path := "/api/v3/webhooks/endpoints/" + ep.ID + "/rotate-secret"
		seen := map[string]bool{*ep.Secret: true}
		for _, tt := range []struct {
			name, body string
			headers    []string
			grace      int64
		}{
			{"empty body, no Content-Type", "", nil, 3600},
			{"{} as the JS SDK sends", `{}`, nil, 3600},
			{"60 seconds", `{"expire_current_in":60}`, nil, 60},
			{"at once", `{"expire_current_in":0}`, nil, 0},
			{"the most", `{"expire_current_in":86400}`, nil, 86400},
			{"null", `{"expire_current_in":null}`, nil, 3600},
			{"unknown keys ignored", `{"algorithm":"v1"}`, nil, 3600},
			{"unknown keys beside", `{"algorithm":"v1","expire_current_in":120}`, nil, 120},
			{"JSON with a charset", `{"expire_current_in":5}`, []string{"Content-Type", "application/json; charset=utf-8"}, 5},
			{"whitespace body", " \n", nil, 3600},
		} {
			now := en.clock.Advance(time.Minute)
			r := en.do("POST", path, tt.body, append(bearer(tok), tt.headers...)...)
			if r.status != 200 {
				t.Errorf("%s: %d %s", tt.name, r.status, r.body)
				continue
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", tt.name, r.header.Get("Cache-Control"))
			}
			got := r.json(t)
			secret, _ := got["secret"].(string)
			checkSecret(t, tt.name, secret)
			if seen[secret] {
				t.Errorf("%s: the secret %s was issued before", tt.name, secret)
			}
			seen[secret] = true
			want := map[string]any{"id": ep.ID, "secret": secret, "previous_secret_expires_at": float64(now.Unix() + tt.grace)}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("%s (-want +got):\n%s", tt.name, d)
			}
			if g := en.getEndpoint(tok, ep.ID); g.UpdatedAt != now.Unix() {
				t.Errorf("%s: updated_at %d, want %d", tt.name, g.UpdatedAt, now.Unix())
			}
		}

		// Refused: nothing changes.
		before := en.getEndpoint(tok, ep.ID)
		en.clock.Advance(time.Minute)
		for _, tt := range []struct {
			body, code, param string
			status            int
		}{
			{`{"expire_current_in":86401}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":-1}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":"x"}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":"60"}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":1.5}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":9223372036854775807}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":1e30}`, "invalid_field", "expire_current_in", 422},
			{`{"expire_current_in":`, "malformed_json", "", 400},
			{`[]`, "malformed_json", "", 400},
		} {
			r := en.do("POST", path, tt.body, bearer(tok)...)
			wantProblem(t, "rotate "+tt.body, r, tt.status, tt.code, tt.param)
		}
		if r := en.do("POST", path, "expire_current_in=60", append(bearer(tok), "Content-Type", "application/x-www-form-urlencoded")...); r.status != 415 {
			t.Errorf("a form body: %d %s, want 415", r.status, r.body)
		}
		if d := cmp.Diff(before, en.getEndpoint(tok, ep.ID)); d != "" {
			t.Errorf("refused rotations changed the endpoint (-before +after):\n%s", d)
		}
		r := en.do("POST", "/api/v3/webhooks/endpoints/"+unknownEndpoint+"/rotate-secret", "", bearer(tok)...)
		wantProblem(t, "rotate unknown", r, 404, "webhook_endpoint_not_found", "")
	})
}

func TestSandboxTestEvents(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok, liveTok := en.token(en.a.test), en.token(en.a.live)
		// The endpoint's filter does not apply to test events.
		ep := en.createEndpoint(tok, `{"url":"http://localhost:3000/hook","events":["loan.*"]}`)
		path := "/api/v3/sandbox/webhooks/endpoints/" + ep.ID + "/test-events"

		r := en.do("POST", path, `{"type":"customer.created"}`, bearer(tok)...)
		if r.status != 202 {
			t.Fatalf("test event: %d %s", r.status, r.body)
		}
		got := r.json(t)
		did, _ := got["delivery_id"].(string)
		eid, _ := got["event_id"].(string)
		if !deliveryIDPattern.MatchString(did) || !eventIDPattern.MatchString(eid) {
			t.Errorf("answer %s", r.body)
		}
		if d := cmp.Diff(map[string]any{"delivery_id": did, "event_id": eid}, got); d != "" {
			t.Errorf("answer (-want +got):\n%s", d)
		}
		l := en.deliveries(tok, ep.ID, "")
		if len(l.Data) != 1 || l.Data[0].ID != did || l.Data[0].EventID != eid || l.Data[0].EventType != "customer.created" {
			t.Errorf("deliveries after a test event: %+v", l)
		}
		// The stored event is the sample, in the endpoint's scope.
		work, err := en.store.DeliveryWork(context.Background(), did)
		if err != nil {
			t.Fatal(err)
		}
		if work.Event.ID != eid || work.Event.Type != "customer.created" || work.Event.Scope != (lending.Scope{PartnerID: en.a.id, Environment: lending.EnvTest}) ||
			!work.Event.OccurredAt.Equal(epoch) || work.Endpoint.ID != ep.ID {
			t.Errorf("stored event %+v to endpoint %s", work.Event, work.Endpoint.ID)
		}

		// A live token: 403 and nothing happens, whatever the body.
		liveEP := en.createEndpoint(liveTok, `{"url":"https://partner.example.com/h"}`)
		for _, body := range []string{`{"type":"loan.created"}`, `{}`, `{"type":"nope"}`} {
			r := en.do("POST", "/api/v3/sandbox/webhooks/endpoints/"+liveEP.ID+"/test-events", body, bearer(liveTok)...)
			wantProblem(t, "live test event "+body, r, 403, "sandbox_only", "")
		}
		if l := en.deliveries(liveTok, liveEP.ID, ""); len(l.Data) != 0 {
			t.Errorf("a refused live test event created %d deliveries", len(l.Data))
		}

		for _, tt := range []struct {
			body, code, param string
			status            int
		}{
			{`{"type":"loan.nope"}`, "invalid_field", "type", 422},
			{`{"type":"loan.*"}`, "invalid_field", "type", 422},
			{`{"type":"*"}`, "invalid_field", "type", 422},
			{`{"type":"LOAN.CREATED"}`, "invalid_field", "type", 422},
			{`{"type":5}`, "invalid_field", "type", 422},
			{`{}`, "missing_required_field", "type", 422},
			{``, "missing_required_field", "type", 422},
			{`{"type":null}`, "missing_required_field", "type", 422},
			{`{"type":" "}`, "missing_required_field", "type", 422},
			{`{"type":`, "malformed_json", "", 400},
		} {
			r := en.do("POST", path, tt.body, bearer(tok)...)
			wantProblem(t, "test event "+tt.body, r, tt.status, tt.code, tt.param)
		}
		r = en.do("POST", "/api/v3/sandbox/webhooks/endpoints/"+unknownEndpoint+"/test-events", `{"type":"loan.created"}`, bearer(tok)...)
		wantProblem(t, "test event to an unknown endpoint", r, 404, "webhook_endpoint_not_found", "")

		// A disabled endpoint: 409, until it is active again.
		if r := en.do("PATCH", "/api/v3/webhooks/endpoints/"+ep.ID, `{"status":"disabled"}`, bearer(tok)...); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		r = en.do("POST", path, `{"type":"loan.created"}`, bearer(tok)...)
		wantProblem(t, "test event to a disabled endpoint", r, 409, "conflict", "")
		if l := en.deliveries(tok, ep.ID, ""); len(l.Data) != 1 {
			t.Errorf("refused test events created deliveries: %d in all", len(l.Data))
		}
		if r := en.do("PATCH", "/api/v3/webhooks/endpoints/"+ep.ID, `{"status":"active"}`, bearer(tok)...); r.status != 200 {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		en.testEvent(tok, ep.ID, "loan.created")

		// With an idempotency key, a retried test event is one event.
		key := append(bearer(tok), "Idempotency-Key", "test-event-1")
		first := en.do("POST", path, `{"type":"loan.error"}`, key...)
		again := en.do("POST", path, `{"type":"loan.error"}`, key...)
		if first.status != 202 || again.status != 202 || !bytes.Equal(first.body, again.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("retried test event: %d %s, then %d %s replayed=%q", first.status, first.body, again.status, again.body, again.header.Get("Idempotent-Replayed"))
		}
		if l := en.deliveries(tok, ep.ID, ""); len(l.Data) != 3 {
			t.Errorf("%d deliveries, want 3", len(l.Data))
		}
	})
}

func TestListDeliveries(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{}) // insert-only: deliveries stay pending
		tok := en.token(en.a.test)
		ep := en.createEndpoint(tok, `{"url":"http://localhost:3000/hook"}`)
		types := []string{"customer.created", "credit_offer.available", "loan.created", "loan.active", "loan.finished"}
		var sent []testEventWire
		var at []time.Time
		for i, typ := range types {
			if i != 2 { // two share a creation second: the id breaks the tie
				en.clock.Advance(time.Second)
			}
			at = append(at, en.clock.Now())
			sent = append(sent, en.testEvent(tok, ep.ID, typ))
		}
		r := en.do("GET", "/api/v3/webhooks/endpoints/"+ep.ID+"/deliveries", "", bearer(tok)...)
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		// The exact wire shape of a pending delivery.
		var raw struct {
			Data    []map[string]any `json:"data"`
			HasMore bool             `json:"has_more"`
		}
		if err := json.Unmarshal(r.body, &raw); err != nil {
			t.Fatal(err)
		}
		if len(raw.Data) != len(types) || raw.HasMore {
			t.Fatalf("%d deliveries, has_more %v", len(raw.Data), raw.HasMore)
		}
		wantFirst := map[string]any{"id": sent[4].DeliveryID, "event_id": sent[4].EventID, "event_type": "loan.finished",
			"status": "pending", "attempts": []any{}, "next_attempt_at": float64(at[4].Unix()), "created_at": float64(at[4].Unix())}
		if d := cmp.Diff(wantFirst, raw.Data[0]); d != "" {
			t.Errorf("newest delivery (-want +got):\n%s", d)
		}

		// Newest first: by creation time, then by id, both descending.
		l := decode[deliveryList](t, r)
		var want []deliveryWire
		for i := len(types) - 1; i >= 0; i-- {
			n := at[i].Unix()
			want = append(want, deliveryWire{ID: sent[i].DeliveryID, EventID: sent[i].EventID, EventType: types[i], Status: "pending",
				Attempts: []attemptWire{}, NextAttemptAt: &n, CreatedAt: n})
		}
		if sent[1].DeliveryID > sent[2].DeliveryID { // the same second: the higher id first
			want[2], want[3] = want[3], want[2]
		}
		if d := cmp.Diff(want, l.Data); d != "" {
			t.Errorf("deliveries (-want +got):\n%s", d)
		}
		var all []string
		for _, d := range l.Data {
			all = append(all, d.ID)
		}
		for _, limit := range []int{1, 2, 4} {
			got := en.pageIDs(tok, "/api/v3/webhooks/endpoints/"+ep.ID+"/deliveries", limit)
			if d := cmp.Diff(all, got); d != "" {
				t.Errorf("limit %d: pages differ from the full list (-want +got):\n%s", limit, d)
			}
		}

		// status filters.
		if p := en.deliveries(tok, ep.ID, "?status=pending"); len(p.Data) != len(types) {
			t.Errorf("status=pending: %d", len(p.Data))
		}
		for _, s := range []string{"succeeded", "failed"} {
			if p := en.deliveries(tok, ep.ID, "?status="+s); len(p.Data) != 0 || p.HasMore {
				t.Errorf("status=%s: %+v", s, p)
			}
		}
		for _, q := range []string{"?status=bogus", "?status=PENDING", "?limit=0", "?limit=101", "?starting_after=" + unknownDelivery} {
			r := en.do("GET", "/api/v3/webhooks/endpoints/"+ep.ID+"/deliveries"+q, "", bearer(tok)...)
			wantProblem(t, q, r, 422, "invalid_parameter", "")
		}
		// Another endpoint's delivery is not a cursor of this list.
		other := en.createEndpoint(tok, `{"url":"http://localhost:3000/other"}`)
		r = en.do("GET", "/api/v3/webhooks/endpoints/"+other.ID+"/deliveries?starting_after="+sent[0].DeliveryID, "", bearer(tok)...)
		wantProblem(t, "another endpoint's cursor", r, 422, "invalid_parameter", "starting_after")
		if p := en.deliveries(tok, other.ID, ""); len(p.Data) != 0 {
			t.Errorf("the other endpoint lists %d deliveries", len(p.Data))
		}
		r = en.do("GET", "/api/v3/webhooks/endpoints/"+unknownEndpoint+"/deliveries", "", bearer(tok)...)
		wantProblem(t, "unknown endpoint", r, 404, "webhook_endpoint_not_found", "")
	})
}

func TestResendDelivery(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		ep := en.createEndpoint(tok, `{"url":"http://localhost:3000/hook"}`)
		sent := en.testEvent(tok, ep.ID, "loan.created")
		resend := "/api/v3/webhooks/deliveries/" + sent.DeliveryID + "/resend"

		at := en.clock.Advance(10 * time.Minute) // less than a token lives
		r := en.do("POST", resend, "", bearer(tok)...)
		if r.status != 202 {
			t.Fatalf("resend: %d %s", r.status, r.body)
		}
		if d := cmp.Diff(map[string]any{"delivery_id": sent.DeliveryID}, r.json(t)); d != "" {
			t.Errorf("resend answer (-want +got):\n%s", d)
		}
		l := en.deliveries(tok, ep.ID, "")
		if len(l.Data) != 1 || l.Data[0].Status != "pending" || l.Data[0].NextAttemptAt == nil || *l.Data[0].NextAttemptAt != at.Unix() {
			t.Errorf("after resend: %+v", l.Data)
		}
		// Also with {} (the JS SDK's body) on /v3.
		if r := en.do("POST", "/v3/webhooks/deliveries/"+sent.DeliveryID+"/resend", `{}`, bearer(tok)...); r.status != 202 {
			t.Errorf("resend with {}: %d %s", r.status, r.body)
		}

		for _, c := range []struct{ name, tok, id string }{
			{"B", en.token(en.b.test), sent.DeliveryID},
			{"A live", en.token(en.a.live), sent.DeliveryID},
			{"unknown", tok, unknownDelivery},
		} {
			r := en.do("POST", "/api/v3/webhooks/deliveries/"+c.id+"/resend", "", bearer(c.tok)...)
			wantProblem(t, "resend "+c.name, r, 404, "delivery_not_found", "")
		}

		// A disabled endpoint's delivery: 409 until the endpoint is active again.
		if r := en.do("PATCH", "/api/v3/webhooks/endpoints/"+ep.ID, `{"status":"disabled"}`, bearer(tok)...); r.status != 200 {
			t.Fatalf("disable: %d %s", r.status, r.body)
		}
		wantProblem(t, "resend to a disabled endpoint", en.do("POST", resend, "", bearer(tok)...), 409, "conflict", "")
		if r := en.do("PATCH", "/api/v3/webhooks/endpoints/"+ep.ID, `{"status":"active"}`, bearer(tok)...); r.status != 200 {
			t.Fatalf("enable: %d %s", r.status, r.body)
		}
		if r := en.do("POST", resend, "", bearer(tok)...); r.status != 202 {
			t.Errorf("resend after re-enabling: %d %s", r.status, r.body)
		}
	})
}

func TestCreateWebhookEndpointIdempotent(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		body := `{"url":"https://partner.example.com/h","events":["loan.*"]}`
		for _, header := range []string{"Idempotency-Key", "X-Idempotency-Key"} {
			key := append(bearer(tok), header, "create-endpoint-"+header)
			first := en.do("POST", "/api/v3/webhooks/endpoints", body, key...)
			en.clock.Advance(time.Second)
			again := en.do("POST", "/api/v3/webhooks/endpoints", body, key...)
			if first.status != 201 || again.status != 201 {
				t.Fatalf("%s: %d then %d: %s", header, first.status, again.status, again.body)
			}
			if !bytes.Equal(first.body, again.body) {
				t.Errorf("%s: the replay differs:\n%s\n%s", header, first.body, again.body)
			}
			if first.header.Get("Idempotent-Replayed") != "" || again.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s: Idempotent-Replayed %q then %q", header, first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
			}
			checkSecret(t, header, *decode[endpointWire](t, again).Secret)
			// Same key, another request.
			r := en.do("POST", "/api/v3/webhooks/endpoints", `{"url":"https://partner.example.com/other"}`, key...)
			wantProblem(t, header+" reused", r, 422, "idempotency_key_reused", "")
		}
		if l := en.endpoints(tok); len(l) != 2 {
			t.Errorf("%d endpoints after two keys used twice each, want 2", len(l))
		}

		// A retried rotation rotates once: the replay shows the same new secret, which is the one in force.
		ep := en.endpoints(tok)[0]
		key := append(bearer(tok), "Idempotency-Key", "rotate-1")
		first := en.do("POST", "/api/v3/webhooks/endpoints/"+ep.ID+"/rotate-secret", `{"expire_current_in":60}`, key...)
		en.clock.Advance(time.Second)
		again := en.do("POST", "/api/v3/webhooks/endpoints/"+ep.ID+"/rotate-secret", `{"expire_current_in":60}`, key...)
		if first.status != 200 || !bytes.Equal(first.body, again.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retried rotation: %d %s, then %d %s", first.status, first.body, again.status, again.body)
		}
		stored, err := en.store.WebhookEndpoint(context.Background(), lending.Scope{PartnerID: en.a.id, Environment: lending.EnvTest}, ep.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rot := decode[rotationWire](t, again); stored.Secret != rot.Secret || stored.PreviousSecretExpiresAt == nil ||
			stored.PreviousSecretExpiresAt.Unix() != rot.PreviousSecretExpiresAt {
			t.Errorf("after a retried rotation the endpoint signs with %s (previous until %v), the answer says %+v",
				stored.Secret, stored.PreviousSecretExpiresAt, rot)
		}
	})
}

// TestIdempotentReplayOfSecretsIsNotCached checks that a replayed answer that shows a secret keeps the
// Cache-Control: no-store of the original answer.
func TestIdempotentReplayOfSecretsIsNotCached(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		ep := en.createEndpoint(tok, `{"url":"https://partner.example.com/h"}`)
		for _, req := range []struct{ path, body string }{
			{"/api/v3/webhooks/endpoints", `{"url":"https://partner.example.com/h"}`},
			{"/api/v3/webhooks/endpoints/" + ep.ID + "/rotate-secret", `{}`},
			{"/api/v3/auth/credentials", `{"name":"replayed"}`},
		} {
			key := append(bearer(tok), "Idempotency-Key", "no-store-"+req.path)
			for i := range 2 {
				r := en.do("POST", req.path, req.body, key...)
				if r.status >= 300 {
					t.Fatalf("POST %s: %d %s", req.path, r.status, r.body)
				}
				if cc := r.header.Get("Cache-Control"); cc != "no-store" {
					t.Errorf("POST %s #%d (replayed %q): Cache-Control %q, want no-store", req.path, i+1, r.header.Get("Idempotent-Replayed"), cc)
				}
			}
		}
	})
}

// receiver is a partner's webhook endpoint on the loopback: it records what it gets and answers with
// the status its answer function picks (200 when nil).
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	got    []received
	answer func(path string) int
}

type received struct {
	path   string
	header http.Header
	body   []byte
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.got = append(rc.got, received{path: r.URL.Path, header: r.Header.Clone(), body: body})
		answer := rc.answer
		rc.mu.Unlock()
		status := http.StatusOK
		if answer != nil {
			status = answer(r.URL.Path)
		}
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"received":%t}`, status < 300)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// on returns what the receiver got on path.
func (rc *receiver) on(path string) []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []received
	for _, g := range rc.got {
		if g.path == path {
			out = append(out, g)
		}
	}
	return out
}

// TestWebhookDeliveryEndToEnd runs real deliveries: a test event of every type reaches a receiver,
// signed with the endpoint's secret, with a body that matches its type's schema in api/openapi.yaml;
// the deliveries list shows the attempts; resends, rotations, failures and 410 Gone behave as documented.
func TestWebhookDeliveryEndToEnd(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		ep := en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["customer.active"]}`)
		secret := *ep.Secret

		sent := map[string]testEventWire{}
		for _, typ := range webhook.EventTypes {
			sent[typ] = en.testEvent(tok, ep.ID, typ)
		}
		eventually(t, "a delivery of each of the 15 types", func() bool { return len(rc.on("/hook")) >= len(webhook.EventTypes) })
		got := map[string]received{}
		for _, g := range rc.on("/hook") {
			var env struct {
				ID, Type   string
				DeliveryID string `json:"delivery_id"`
			}
			if err := json.Unmarshal(g.body, &env); err != nil {
				t.Errorf("a body that is not JSON: %q", g.body)
				continue
			}
			if _, dup := got[env.Type]; dup {
				t.Errorf("%s arrived twice", env.Type)
			}
			got[env.Type] = g
			s, ok := sent[env.Type]
			switch {
			case !ok:
				t.Errorf("an event of unknown type %q arrived", env.Type)
				continue
			case env.ID != s.EventID || env.DeliveryID != s.DeliveryID:
				t.Errorf("%s: body id %s delivery %s, want %s %s", env.Type, env.ID, env.DeliveryID, s.EventID, s.DeliveryID)
			}
			if err := en.validator.ValidateEvent(env.Type, g.body); err != nil {
				t.Errorf("%s: %v\nbody: %s", env.Type, err, g.body)
			}
			if err := webhook.Verify([]string{secret}, g.header, g.body, en.clock.Now()); err != nil {
				t.Errorf("%s: the signature does not verify with the endpoint's secret: %v", env.Type, err)
			}
			if err := webhook.Verify([]string{webhook.NewSecret()}, g.header, g.body, en.clock.Now()); err == nil {
				t.Errorf("%s: the signature verifies with another secret", env.Type)
			}
			if g.header.Get("webhook-id") != s.EventID || g.header.Get("webhook-timestamp") != fmt.Sprint(en.clock.Now().Unix()) {
				t.Errorf("%s: webhook-id %q webhook-timestamp %q", env.Type, g.header.Get("webhook-id"), g.header.Get("webhook-timestamp"))
			}
			if ct := g.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("%s: Content-Type %q", env.Type, ct)
			}
		}
		if d := cmp.Diff(slices.Sorted(slices.Values(webhook.EventTypes)), slices.Sorted(func(yield func(string) bool) {
			for k := range got {
				if !yield(k) {
					return
				}
			}
		})); d != "" {
			t.Errorf("types received (-want +got):\n%s", d)
		}

		// The deliveries list shows each succeeded, with its one attempt.
		eventually(t, "15 succeeded deliveries", func() bool {
			return len(en.deliveries(tok, ep.ID, "?status=succeeded&limit=100").Data) == len(webhook.EventTypes)
		})
		if p := en.deliveries(tok, ep.ID, "?status=pending"); len(p.Data) != 0 {
			t.Errorf("%d still pending", len(p.Data))
		}
		r := en.do("GET", "/api/v3/webhooks/endpoints/"+ep.ID+"/deliveries?limit=1", "", bearer(tok)...)
		var raw struct {
			Data []map[string]any `json:"data"`
		}
		_ = json.Unmarshal(r.body, &raw)
		if len(raw.Data) == 1 {
			wantRaw := map[string]any{"id": raw.Data[0]["id"], "event_id": raw.Data[0]["event_id"], "event_type": raw.Data[0]["event_type"],
				"status": "succeeded", "next_attempt_at": nil, "created_at": float64(epoch.Unix()),
				"attempts": []any{map[string]any{"attempted_at": float64(epoch.Unix()), "response_status": float64(200),
					"duration_ms": float64(0), "response_excerpt": `{"received":true}`, "error": nil}}}
			if d := cmp.Diff(wantRaw, raw.Data[0]); d != "" {
				t.Errorf("a succeeded delivery (-want +got):\n%s", d)
			}
		} else {
			t.Errorf("limit=1: %s", r.body)
		}

		// A resend: one more attempt of the same delivery, the same body and webhook-id, signed afresh.
		en.clock.Advance(time.Minute)
		first := got["loan.error"]
		if r := en.do("POST", "/api/v3/webhooks/deliveries/"+sent["loan.error"].DeliveryID+"/resend", "", bearer(tok)...); r.status != 202 {
			t.Fatalf("resend: %d %s", r.status, r.body)
		}
		eventually(t, "the resent delivery", func() bool { return len(rc.on("/hook")) == len(webhook.EventTypes)+1 })
		again := rc.on("/hook")[len(webhook.EventTypes)]
		if !bytes.Equal(again.body, first.body) || again.header.Get("webhook-id") != first.header.Get("webhook-id") {
			t.Errorf("the resend differs:\n%s %s\n%s %s", first.header.Get("webhook-id"), first.body, again.header.Get("webhook-id"), again.body)
		}
		if again.header.Get("webhook-timestamp") != fmt.Sprint(en.clock.Now().Unix()) {
			t.Errorf("the resend's timestamp %q, want %d", again.header.Get("webhook-timestamp"), en.clock.Now().Unix())
		}
		if err := webhook.Verify([]string{secret}, again.header, again.body, en.clock.Now()); err != nil {
			t.Errorf("the resend does not verify: %v", err)
		}
		eventually(t, "the resend's attempt in the list", func() bool {
			for _, d := range en.deliveries(tok, ep.ID, "?limit=100").Data {
				if d.ID == sent["loan.error"].DeliveryID {
					return len(d.Attempts) == 2 && d.Status == "succeeded"
				}
			}
			return false
		})

		// Rotation: during the grace period every delivery carries both signatures; after rotating with
		// expire_current_in 0 only the new secret signs.
		rot := decode[rotationWire](t, en.do("POST", "/api/v3/webhooks/endpoints/"+ep.ID+"/rotate-secret", `{}`, bearer(tok)...))
		en.testEvent(tok, ep.ID, "loan.active")
		eventually(t, "a delivery after the rotation", func() bool { return len(rc.on("/hook")) == len(webhook.EventTypes)+2 })
		g := rc.on("/hook")[len(webhook.EventTypes)+1]
		for name, s := range map[string]string{"old": secret, "new": rot.Secret} {
			if err := webhook.Verify([]string{s}, g.header, g.body, en.clock.Now()); err != nil {
				t.Errorf("during the grace period the %s secret alone does not verify: %v (signature %q)", name, err, g.header.Get("webhook-signature"))
			}
		}
		if n := len(strings.Fields(g.header.Get("webhook-signature"))); n != 2 {
			t.Errorf("%d signatures during the grace period, want 2", n)
		}
		rot2 := decode[rotationWire](t, en.do("POST", "/api/v3/webhooks/endpoints/"+ep.ID+"/rotate-secret", `{"expire_current_in":0}`, bearer(tok)...))
		en.testEvent(tok, ep.ID, "loan.finished")
		eventually(t, "a delivery after the second rotation", func() bool { return len(rc.on("/hook")) == len(webhook.EventTypes)+3 })
		g = rc.on("/hook")[len(webhook.EventTypes)+2]
		if err := webhook.Verify([]string{rot2.Secret}, g.header, g.body, en.clock.Now()); err != nil {
			t.Errorf("the newest secret does not verify: %v", err)
		}
		for name, s := range map[string]string{"first": secret, "retired": rot.Secret} {
			if webhook.Verify([]string{s}, g.header, g.body, en.clock.Now()) == nil {
				t.Errorf("the %s secret still verifies after expire_current_in 0", name)
			}
		}

		// Failures: an endpoint answering 500 gets every attempt of the schedule, then the delivery fails.
		rc.mu.Lock()
		rc.answer = func(path string) int {
			switch path {
			case "/broken":
				return http.StatusInternalServerError
			case "/gone":
				return http.StatusGone
			}
			return http.StatusOK
		}
		rc.mu.Unlock()
		broken := en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/broken"}`)
		bad := en.testEvent(tok, broken.ID, "loan.cancelled")
		var failed deliveryWire
		eventually(t, "the failing delivery to fail", func() bool {
			l := en.deliveries(tok, broken.ID, "?status=failed").Data
			if len(l) == 1 {
				failed = l[0]
			}
			return len(l) == 1
		})
		if failed.ID != bad.DeliveryID || len(failed.Attempts) != 3 || failed.NextAttemptAt != nil {
			t.Errorf("failed delivery: %+v", failed)
		}
		for i, a := range failed.Attempts {
			if a.ResponseStatus == nil || *a.ResponseStatus != 500 || a.Error == nil || *a.Error != "the endpoint answered 500" ||
				a.ResponseExcerpt != `{"received":false}` {
				t.Errorf("attempt %d: %+v", i+1, a)
			}
		}
		if g := en.getEndpoint(tok, broken.ID); g.Status != "active" {
			t.Errorf("a few failures disabled the endpoint: %s", g.Status)
		}

		// 410 Gone disables the endpoint at once; its deliveries can then not be resent until it is active.
		gone := en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/gone"}`)
		goneEvent := en.testEvent(tok, gone.ID, "customer.active")
		eventually(t, "the endpoint answering 410 to be disabled", func() bool { return en.getEndpoint(tok, gone.ID).Status == "disabled" })
		l := en.deliveries(tok, gone.ID, "")
		if len(l.Data) != 1 || l.Data[0].Status != "failed" || len(l.Data[0].Attempts) != 1 || *l.Data[0].Attempts[0].ResponseStatus != 410 {
			t.Errorf("the 410 delivery: %+v", l.Data)
		}
		r = en.do("POST", "/api/v3/webhooks/deliveries/"+goneEvent.DeliveryID+"/resend", "", bearer(tok)...)
		wantProblem(t, "resend to an endpoint disabled by 410", r, 409, "conflict", "")
		r = en.do("POST", "/api/v3/sandbox/webhooks/endpoints/"+gone.ID+"/test-events", `{"type":"loan.created"}`, bearer(tok)...)
		wantProblem(t, "test event to an endpoint disabled by 410", r, 409, "conflict", "")

		// A failed delivery can be resent; once the endpoint recovers, it succeeds.
		rc.mu.Lock()
		rc.answer = nil
		rc.mu.Unlock()
		if r := en.do("POST", "/api/v3/webhooks/deliveries/"+bad.DeliveryID+"/resend", "", bearer(tok)...); r.status != 202 {
			t.Fatalf("resend a failed delivery: %d %s", r.status, r.body)
		}
		eventually(t, "the resent failed delivery to succeed", func() bool {
			l := en.deliveries(tok, broken.ID, "?status=succeeded").Data
			return len(l) == 1 && len(l[0].Attempts) == 4
		})
	})
}
