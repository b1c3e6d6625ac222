package httpapi_test

import (
	"bytes"
	"encoding/json"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"gopkg.in/yaml.v3"

	"github.com/dinie-oss/dinie/api"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/ratelimit"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

func TestRequestID(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		minted := regexp.MustCompile(`^req_[0-9a-f]{32}$`)
		for _, tt := range []struct {
			sent string
			echo bool
		}{
			{"", false},
			{"partner-trace-123:abc.def_ghi", true},
			{"has space", false},
			{strings.Repeat("a", 129), false},
			{"<script>", false},
		} {
			var h []string
			if tt.sent != "" {
				h = []string{"X-Request-Id", tt.sent}
			}
			r := en.do("GET", "/api/v3/nowhere", "", h...)
			got := r.header.Get("X-Request-Id")
			if tt.echo && got != tt.sent || !tt.echo && !minted.MatchString(got) {
				t.Errorf("sent %q, got X-Request-Id %q", tt.sent, got)
			}
			if body := r.json(t)["request_id"]; body != got {
				t.Errorf("body request_id %v, header %q", body, got)
			}
		}
	})
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{limiter: ratelimit.NewMemory(ratelimit.Config{PerSecond: 0.5, Burst: 3})})
		tok := en.token(en.a.test) // token issue is limited per client address
		for i := 2; i >= 0; i-- {
			r := en.do("GET", "/api/v3/banks", "", bearer(tok)...)
			if r.status != 200 {
				t.Fatalf("request within budget: %d %s", r.status, r.body)
			}
			if got := r.header.Get("X-RateLimit-Remaining"); got != strconv.Itoa(i) {
				t.Errorf("X-RateLimit-Remaining %q, want %d", got, i)
			}
			if r.header.Get("X-RateLimit-Limit") != "3" {
				t.Errorf("X-RateLimit-Limit %q", r.header.Get("X-RateLimit-Limit"))
			}
			reset, err := strconv.ParseInt(r.header.Get("X-RateLimit-Reset"), 10, 64)
			if err != nil || reset < time.Now().Unix() || reset > time.Now().Add(10*time.Second).Unix() {
				t.Errorf("X-RateLimit-Reset %q is not the epoch second the bucket refills", r.header.Get("X-RateLimit-Reset"))
			}
		}
		r := en.do("GET", "/api/v3/banks", "", bearer(tok)...)
		if r.status != 429 || r.code(t) != "rate_limit_exceeded" {
			t.Fatalf("over budget: %d %s", r.status, r.body)
		}
		if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 2 {
			t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
		}
		// Another credential has its own budget.
		if r := en.do("GET", "/api/v3/banks", "", bearer(en.token(en.b.test))...); r.status == 429 {
			// B's token was issued from the same address, whose budget is separate from A's credential.
			t.Errorf("B limited by A's budget")
		}
	})
}

func TestBodyLimitAndRouting(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{maxBody: 1024})
		tok := en.token(en.a.test)
		big := `{"name":"` + strings.Repeat("x", 2000) + `"}`
		if r := en.do("POST", "/api/v3/auth/credentials", big, bearer(tok)...); r.status != 413 || r.code(t) != "request_too_large" {
			t.Errorf("oversized body: %d %s", r.status, r.body)
		}
		if r := en.do("POST", "/api/v3/auth/credentials", big, append(bearer(tok), "Idempotency-Key", "big")...); r.status != 413 {
			t.Errorf("oversized body with a key: %d %s", r.status, r.body)
		}
		r := en.do("PUT", "/api/v3/auth/credentials", "", bearer(tok)...)
		if r.status != 405 || r.code(t) != "method_not_allowed" {
			t.Errorf("PUT: %d %s", r.status, r.body)
		}
		if allow := r.header.Values("Allow"); !slices.Contains(allow, "GET") || !slices.Contains(allow, "POST") {
			t.Errorf("Allow %v", allow)
		}
		if r := en.do("GET", "/api/v3/no-such-resource/x1", "", bearer(tok)...); r.status != 404 || r.code(t) != "not_found" {
			t.Errorf("unknown route: %d %s", r.status, r.body)
		}
		for _, prefix := range []string{"/api/v3", "/v3"} {
			r := en.do("GET", prefix+"/banks", "", bearer(tok)...)
			if r.status != 200 {
				t.Errorf("%s/banks: %d", prefix, r.status)
				continue
			}
			b := decode[map[string][]map[string]string](t, r)
			if len(b) != 1 || len(b["data"]) < 100 {
				t.Errorf("%s/banks: %d keys, %d banks", prefix, len(b), len(b["data"]))
			}
			if d := cmp.Diff(map[string]string{"id": "001", "name": "Banco do Brasil", "display_name": "001 - Banco do Brasil"}, b["data"][0]); d != "" {
				t.Errorf("first bank (-want +got):\n%s", d)
			}
		}
	})
}

func TestOperations(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		for _, path := range []string{"/healthz", "/readyz"} {
			if r := en.do("GET", path, ""); r.status != 200 || r.json(t)["status"] != "ok" {
				t.Errorf("%s: %d %s", path, r.status, r.body)
			}
		}
		en.do("GET", "/api/v3/banks", "") // a 401, to be counted
		r := en.do("GET", "/metrics", "")
		if r.status != 200 || !strings.Contains(string(r.body), `dinie_http_requests_total{method="GET",route="/api/v3/banks",status="401"} 1`) {
			t.Errorf("metrics lack the request count by route and status:\n%.2000s", r.body)
		}
		if !strings.Contains(string(r.body), "dinie_http_request_duration_seconds_bucket") {
			t.Errorf("metrics lack the latency histogram")
		}
		r = en.do("GET", "/api/v3/openapi.yaml", "")
		if r.status != 200 || string(r.body) != string(api.Spec) {
			t.Errorf("openapi.yaml: %d, %d bytes", r.status, len(r.body))
		}
		en.store.Close()
		if r := en.do("GET", "/readyz", ""); r.status != 503 {
			t.Errorf("readyz with the database closed: %d %s", r.status, r.body)
		}
	})
}

// TestErrorCatalogue keeps the one list of error codes in the code and the one in api/openapi.yaml
// equal, and every code mapped to a status.
func TestErrorCatalogue(t *testing.T) {
	t.Parallel()
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `yaml:"enum"`
				} `yaml:"properties"`
			} `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(api.Spec, &doc); err != nil {
		t.Fatal(err)
	}
	documented := doc.Components.Schemas["Problem"].Properties["code"].Enum
	slices.Sort(documented)
	var codes []string
	for _, c := range lending.Codes() {
		codes = append(codes, string(c))
		if c != lending.CodeInternal && c.Kind() == lending.KindInternal {
			t.Errorf("code %s has no kind", c)
		}
	}
	if d := cmp.Diff(codes, documented); d != "" {
		t.Errorf("error codes in internal/lending (-) and api/openapi.yaml (+) differ:\n%s", d)
	}
}

// syncBuffer is a bytes.Buffer safe for the server's concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestAccessLogNamesTheCallerButNoSecret(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		var log syncBuffer
		en := newEnv(t, e, envOptions{log: &log})
		tok := en.token(en.a.test)
		created := en.do("POST", "/api/v3/auth/credentials", `{"name":"logged?"}`, bearer(tok)...)
		secret, _ := created.json(t)["client_secret"].(string)
		en.do("GET", "/api/v3/banks", "", append(bearer(tok), "X-Request-Id", "trace-42")...)
		// The access log line is written once the answer has gone out, so it may trail the answer a little.
		for deadline := time.Now().Add(10 * time.Second); !strings.Contains(log.String(), `"request_id":"trace-42"`) && time.Now().Before(deadline); {
			time.Sleep(5 * time.Millisecond)
		}
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		var found bool
		for _, l := range lines {
			var entry map[string]any
			if err := json.Unmarshal([]byte(l), &entry); err != nil {
				t.Fatalf("log line is not JSON: %q", l)
			}
			if entry["request_id"] == "trace-42" {
				found = entry["client_id"] == en.a.test.id && entry["route"] == "/api/v3/banks" && entry["status"] == float64(200)
			}
			for _, s := range []string{en.a.test.secret, tok, strings.TrimPrefix(tok, "dinie_at_"), secret} {
				if s != "" && strings.Contains(l, s) {
					t.Errorf("a secret or token is in the log: %s", l)
				}
			}
		}
		if !found {
			t.Errorf("no access log line for trace-42 with client_id, route and status:\n%s", log.String())
		}
	})
}
