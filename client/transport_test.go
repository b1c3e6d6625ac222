package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/client"
)

// fakeAPI is a scripted API server: it issues tokens at /api/v3/auth/token (counting them) and answers
// every other request with its handler, recording what it received.
type fakeAPI struct {
	t      *testing.T
	srv    *httptest.Server
	tokens atomic.Int32
	// expiresIn is the lifetime of issued tokens (default 3600).
	expiresIn int
	// tokenStatus, when set, makes the token endpoint fail with it.
	tokenStatus int
	// tokenDelay slows the token endpoint down.
	tokenDelay time.Duration

	mu       sync.Mutex
	requests []recorded
	handler  func(w http.ResponseWriter, r *http.Request, n int)
}

type recorded struct {
	// path is the escaped path, as sent.
	method, path, query string
	header              http.Header
	body                string
}

func newFakeAPI(t *testing.T, handler func(w http.ResponseWriter, r *http.Request, n int)) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, expiresIn: 3600, handler: handler}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == "/api/v3/auth/token" {
		n := f.tokens.Add(1)
		select {
		case <-time.After(f.tokenDelay):
		case <-r.Context().Done():
			return
		}
		id, secret, ok := r.BasicAuth()
		form, _ := parseForm(string(body))
		switch {
		case f.tokenStatus != 0:
			problem(w, f.tokenStatus, "invalid_client", "")
		case !ok || id != "dinie_ci_test_abc" || secret != "dinie_cs_test_s3cr3t" || form != "client_credentials" ||
			r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" || r.Header.Get("X-Idempotency-Key") != "":
			problem(w, http.StatusBadRequest, "invalid_request", "")
		default:
			writeJSON(w, http.StatusOK, map[string]any{"access_token": "tok" + strconv.Itoa(int(n)), "token_type": "Bearer", "expires_in": f.expiresIn})
		}
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, recorded{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), string(body)})
	n := len(f.requests)
	f.mu.Unlock()
	f.handler(w, r, n)
}

func parseForm(s string) (string, error) {
	k, v, _ := strings.Cut(s, "=")
	if k != "grant_type" {
		return "", errors.New("no grant_type")
	}
	return v, nil
}

func (f *fakeAPI) client(opts ...client.Option) *client.Client {
	return client.New(f.srv.URL+"/api/v3", append([]client.Option{
		client.WithCredentials("dinie_ci_test_abc", "dinie_cs_test_s3cr3t"), client.WithBackoff(time.Millisecond, 2*time.Millisecond),
	}, opts...)...)
}

func (f *fakeAPI) recorded() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.requests...)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func problem(w http.ResponseWriter, status int, code, requestID string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"type": "https://docs.dinie.com/errors/x", "title": http.StatusText(status), "status": status,
		"detail": "scripted " + code, "code": code, "request_id": requestID,
	})
}

const customerJSON = `{"id":"cust_1","external_id":null,"name":null,"email":"a@b.c","phone":"+5511999999999",` +
	`"cpf":"529.982.247-25","cnpj":null,"trading_name":null,"status":"creating","created_at":1,"updated_at":1}`

func okCustomer(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, customerJSON)
}

// One token serves many calls, concurrent ones included, and it goes out as a Bearer.
func TestTokenIsCached(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) { okCustomer(w, http.StatusOK) })
	c := f.client()
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := f.tokens.Load(); n != 1 {
		t.Errorf("%d token requests for 20 calls, want 1", n)
	}
	for _, r := range f.recorded() {
		if got := r.header.Get("Authorization"); got != "Bearer tok1" {
			t.Errorf("Authorization = %q", got)
		}
	}
}

// The token is replaced 5 minutes before it expires, and not earlier.
func TestTokenRefreshedBeforeExpiry(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) { okCustomer(w, http.StatusOK) })
	var now atomic.Int64
	start := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	now.Store(start.UnixNano())
	c := f.client(client.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
	tests := []struct {
		at         time.Duration
		wantTokens int32
	}{
		{0, 1},
		{54*time.Minute + 59*time.Second, 1}, // 5 min 1 s before the hour: still good
		{55 * time.Minute, 2},                // 5 minutes before: replaced
		{55*time.Minute + 1, 2},
		{110 * time.Minute, 3},
	}
	for _, tt := range tests {
		now.Store(start.Add(tt.at).UnixNano())
		if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
			t.Fatal(err)
		}
		if got := f.tokens.Load(); got != tt.wantTokens {
			t.Errorf("at +%v: %d tokens fetched, want %d", tt.at, got, tt.wantTokens)
		}
	}
}

// A 401 drops the token and the call is retried once with a new one, with the same idempotency key.
func TestUnauthorizedRefreshesOnce(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "Bearer tok1" {
			problem(w, http.StatusUnauthorized, "token_expired", "req_1")
			return
		}
		okCustomer(w, http.StatusCreated)
	})
	c := f.client(client.WithMaxRetries(1))
	cust, created, err := c.Customers.Create(t.Context(), client.CreateCustomerParams{CPF: "1", CNPJ: "2", Email: "e", Phone: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if cust.ID != "cust_1" || !created {
		t.Errorf("got %s created %v", cust.ID, created)
	}
	reqs := f.recorded()
	if len(reqs) != 2 || f.tokens.Load() != 2 {
		t.Fatalf("%d calls and %d tokens, want 2 and 2", len(reqs), f.tokens.Load())
	}
	k1, k2 := reqs[0].header.Get("X-Idempotency-Key"), reqs[1].header.Get("X-Idempotency-Key")
	if k1 == "" || k1 != k2 {
		t.Errorf("idempotency keys %q and %q, want one key reused", k1, k2)
	}
	if reqs[0].body != reqs[1].body {
		t.Errorf("bodies differ: %s / %s", reqs[0].body, reqs[1].body)
	}
}

// A second 401 is final, even with retries left.
func TestSecondUnauthorizedIsFinal(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		problem(w, http.StatusUnauthorized, "invalid_token", "req_"+strconv.Itoa(n))
	})
	_, err := f.client(client.WithMaxRetries(5)).Customers.Get(t.Context(), "cust_1")
	var apiErr *client.Error
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized || apiErr.RequestID != "req_2" {
		t.Fatalf("err = %v, want the second 401", err)
	}
	if n, tok := len(f.recorded()), f.tokens.Load(); n != 2 || tok != 2 {
		t.Errorf("%d calls and %d tokens, want 2 and 2", n, tok)
	}
}

// A refused token request is an error of the call, not retried as a call.
func TestTokenEndpointFailure(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) { okCustomer(w, http.StatusOK) })
	f.tokenStatus = http.StatusUnauthorized
	_, err := f.client().Customers.Get(t.Context(), "cust_1")
	if !client.IsCode(err, "invalid_client") || client.StatusCode(err) != 401 {
		t.Fatalf("err = %v, want the token endpoint's 401", err)
	}
	if n := len(f.recorded()); n != 0 {
		t.Errorf("%d calls reached the API without a token", n)
	}
	if n := f.tokens.Load(); n != 1 {
		t.Errorf("%d token requests, want 1 (a 401 is not retried)", n)
	}
	if _, err := client.New(f.srv.URL).Banks.List(t.Context()); !errors.Is(err, client.ErrNoCredentials) {
		t.Errorf("without credentials: %v", err)
	}
}

// Retried statuses are retried with the same idempotency key and a growing X-Dinie-Retry-Count,
// honouring Retry-After; the others are not.
func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		statuses   []int // answers before a success
		code       string
		retryAfter string
		maxRetries int
		wantCalls  int
		wantStatus int // 0: success
		minElapsed time.Duration
	}{
		{name: "503 then ok", statuses: []int{503}, retryAfter: "0", maxRetries: 2, wantCalls: 2},
		{name: "every retried status", statuses: []int{408, 429, 500, 502, 503, 504}, maxRetries: 6, wantCalls: 7},
		{name: "409 key in use", statuses: []int{409, 409}, code: "idempotency_key_in_use", maxRetries: 2, wantCalls: 3},
		{name: "retry-after honoured", statuses: []int{429}, retryAfter: "1", maxRetries: 2, wantCalls: 2, minElapsed: time.Second},
		{name: "budget used up", statuses: []int{503, 503, 503}, maxRetries: 2, wantCalls: 3, wantStatus: 503},
		{name: "no retries", statuses: []int{500}, maxRetries: 0, wantCalls: 1, wantStatus: 500},
		{name: "409 conflict is final", statuses: []int{409}, code: "offer_already_accepted", maxRetries: 2, wantCalls: 1, wantStatus: 409},
		{name: "400 is final", statuses: []int{400}, maxRetries: 2, wantCalls: 1, wantStatus: 400},
		{name: "403 is final", statuses: []int{403}, maxRetries: 2, wantCalls: 1, wantStatus: 403},
		{name: "404 is final", statuses: []int{404}, maxRetries: 2, wantCalls: 1, wantStatus: 404},
		{name: "410 is final", statuses: []int{410}, maxRetries: 2, wantCalls: 1, wantStatus: 410},
		{name: "422 is final", statuses: []int{422}, code: "idempotency_key_reused", maxRetries: 2, wantCalls: 1, wantStatus: 422},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n <= len(tt.statuses) {
					if tt.retryAfter != "" {
						w.Header().Set("Retry-After", tt.retryAfter)
					}
					problem(w, tt.statuses[n-1], tt.code, "req_"+strconv.Itoa(n))
					return
				}
				okCustomer(w, http.StatusCreated)
			})
			c := f.client(client.WithMaxRetries(tt.maxRetries))
			start := time.Now()
			_, _, err := c.Customers.Create(t.Context(), client.CreateCustomerParams{CPF: "1", CNPJ: "2", Email: "e", Phone: "p"})
			elapsed := time.Since(start)
			if got := client.StatusCode(err); got != tt.wantStatus {
				t.Fatalf("status %d (err %v), want %d", got, err, tt.wantStatus)
			}
			reqs := f.recorded()
			if len(reqs) != tt.wantCalls {
				t.Fatalf("%d calls, want %d", len(reqs), tt.wantCalls)
			}
			key := reqs[0].header.Get("X-Idempotency-Key")
			if !strings.HasPrefix(key, "dinie-go-") {
				t.Errorf("idempotency key %q", key)
			}
			for i, r := range reqs {
				if got := r.header.Get("X-Idempotency-Key"); got != key {
					t.Errorf("call %d: key %q, want %q", i+1, got, key)
				}
				wantCount := ""
				if i > 0 {
					wantCount = strconv.Itoa(i)
				}
				if got := r.header.Get("X-Dinie-Retry-Count"); got != wantCount {
					t.Errorf("call %d: X-Dinie-Retry-Count %q, want %q", i+1, got, wantCount)
				}
			}
			if elapsed < tt.minElapsed {
				t.Errorf("took %v, want at least %v (Retry-After)", elapsed, tt.minElapsed)
			}
		})
	}
}

// Network errors are retried; GETs carry no idempotency key; a caller's key is used as given.
func TestNetworkErrorsAndKeys(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close() // the connection drops before any answer
			}
			return
		}
		okCustomer(w, http.StatusOK)
	})
	c := f.client()
	ctx := client.WithIdempotencyKey(t.Context(), "partner-key-1")
	if _, err := c.Customers.Update(ctx, "cust_1", client.UpdateCustomerParams{Email: new("x@y.z")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
		t.Fatal(err)
	}
	reqs := f.recorded()
	if len(reqs) != 3 {
		t.Fatalf("%d calls, want 3", len(reqs))
	}
	for i, want := range []string{"partner-key-1", "partner-key-1", ""} {
		if got := reqs[i].header.Get("X-Idempotency-Key"); got != want {
			t.Errorf("call %d (%s): key %q, want %q", i+1, reqs[i].method, got, want)
		}
	}
	if reqs[1].body != `{"email":"x@y.z"}` || reqs[1].method != http.MethodPatch {
		t.Errorf("PATCH body %s", reqs[1].body)
	}
	ua := reqs[2].header.Get("User-Agent")
	if !strings.HasPrefix(ua, "Dinie-SDK-Go/") || !strings.Contains(ua, "api-version=2026-03-01") {
		t.Errorf("User-Agent %q", ua)
	}
}

// The context ends a call, even while it waits to retry.
func TestContextCancelsRetries(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		problem(w, http.StatusServiceUnavailable, "", "")
	})
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := f.client().Customers.Get(ctx, "cust_1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want the context's", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the call outlived its context")
	}
}

// An attempt that times out is retried.
func TestAttemptTimeoutIsRetried(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
			return
		}
		okCustomer(w, http.StatusOK)
	})
	if _, err := f.client(client.WithTimeout(100*time.Millisecond)).Customers.Get(t.Context(), "cust_1"); err != nil {
		t.Fatal(err)
	}
	if n := len(f.recorded()); n != 2 {
		t.Errorf("%d calls, want 2", n)
	}
}

func TestErrorDecoding(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		header  map[string]string
		status  int
		body    string
		want    *client.Error
		wantMsg string
	}{
		{
			name:   "problem with fields",
			header: map[string]string{"X-Request-Id": "req_header"},
			status: 422,
			body: `{"type":"https://docs.dinie.com/errors/validation-failed","title":"Validation Failed","status":422,` +
				`"detail":"cpf, cnpj required","instance":"/api/v3/customers","code":"missing_required_field","request_id":"req_body",` +
				`"errors":[{"param":"cpf","detail":"cpf is required","code":"missing_required_field"},{"param":"cnpj","detail":"cnpj is required"}]}`,
			want: &client.Error{Type: client.ProblemValidationFailed, Title: "Validation Failed", Status: 422,
				Detail: "cpf, cnpj required", Instance: "/api/v3/customers", Code: "missing_required_field", RequestID: "req_header",
				Errors: []client.FieldError{{Param: "cpf", Detail: "cpf is required", Code: "missing_required_field"}, {Param: "cnpj", Detail: "cnpj is required"}},
				Method: "GET", Path: "/customers/cust_1"},
			wantMsg: "dinie: GET /customers/cust_1: 422 missing_required_field: cpf, cnpj required (request_id req_header)",
		},
		{
			name:    "request id from the body",
			status:  404,
			body:    `{"type":"https://docs.dinie.com/errors/not-found","title":"Not Found","status":404,"code":"customer_not_found","detail":"no customer","request_id":"req_body"}`,
			want:    &client.Error{Type: client.ProblemNotFound, Title: "Not Found", Status: 404, Code: "customer_not_found", Detail: "no customer", RequestID: "req_body", Method: "GET", Path: "/customers/cust_1"},
			wantMsg: "dinie: GET /customers/cust_1: 404 customer_not_found: no customer (request_id req_body)",
		},
		{
			name:    "gone, without a type",
			status:  410,
			body:    `{"title":"Gone","status":410,"code":"credential_revoked"}`,
			want:    &client.Error{Title: "Gone", Status: 410, Code: "credential_revoked", Method: "GET", Path: "/customers/cust_1"},
			wantMsg: "dinie: GET /customers/cust_1: 410 credential_revoked: Gone",
		},
		{
			name:    "not a problem",
			status:  502,
			body:    "<html>bad gateway</html>",
			want:    &client.Error{Status: 502, Detail: "<html>bad gateway</html>", Method: "GET", Path: "/customers/cust_1"},
			wantMsg: "dinie: GET /customers/cust_1: 502: <html>bad gateway</html>",
		},
		{
			name:    "the status line wins over the body",
			header:  map[string]string{"Retry-After": "7"},
			status:  429,
			body:    `{"status":500,"code":"rate_limit_exceeded","detail":"slow down"}`,
			want:    &client.Error{Status: 429, Code: "rate_limit_exceeded", Detail: "slow down", RetryAfter: 7 * time.Second, Method: "GET", Path: "/customers/cust_1"},
			wantMsg: "dinie: GET /customers/cust_1: 429 rate_limit_exceeded: slow down",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) {
				for k, v := range tt.header {
					w.Header().Set(k, v)
				}
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			_, err := f.client(client.WithMaxRetries(0)).Customers.Get(t.Context(), "cust_1")
			var got *client.Error
			if !errors.As(err, &got) {
				t.Fatalf("err = %v, want a *client.Error", err)
			}
			got.Body = nil
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("error (-want +got):\n%s", diff)
			}
			if got.Error() != tt.wantMsg {
				t.Errorf("Error() = %q\nwant      %q", got.Error(), tt.wantMsg)
			}
			if wrapped := fmt.Errorf("onboarding: %w", err); !client.IsCode(wrapped, tt.want.Code) || client.StatusCode(wrapped) != tt.status {
				t.Error("IsCode/StatusCode do not see through wrapping")
			}
		})
	}
}

// The rate-limit headers of the latest answer are kept.
func TestRateLimitSnapshot(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("X-RateLimit-Limit", "200")
		w.Header().Set("X-RateLimit-Remaining", strconv.Itoa(200-n))
		w.Header().Set("X-RateLimit-Reset", "1775253600")
		okCustomer(w, http.StatusOK)
	})
	c := f.client()
	if _, ok := c.RateLimit(); ok {
		t.Error("a rate limit before any call")
	}
	for range 2 {
		if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
			t.Fatal(err)
		}
	}
	got, ok := c.RateLimit()
	want := client.RateLimit{Limit: 200, Remaining: 198, Reset: time.Unix(1775253600, 0)}
	if !ok || !got.Reset.Equal(want.Reset) || got.Limit != want.Limit || got.Remaining != want.Remaining {
		t.Errorf("RateLimit() = %+v, %v; want %+v", got, ok, want)
	}
}

func TestBaseURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"https://sandbox.api.dinie.com.br/api/v3", "https://sandbox.api.dinie.com.br/api/v3"},
		{"https://sandbox.api.dinie.com.br/api/v3/", "https://sandbox.api.dinie.com.br/api/v3"},
		{"http://localhost:8080", "http://localhost:8080/api/v3"},
		{"http://localhost:8080/", "http://localhost:8080/api/v3"},
		{"http://localhost:8080/v3", "http://localhost:8080/v3"},
	}
	for _, tt := range tests {
		if got := client.New(tt.in).BaseURL(); got != tt.want {
			t.Errorf("New(%q).BaseURL() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Without retries a 401 is returned, but the refused token is dropped: the next call gets a new one.
func TestUnauthorizedWithoutRetriesDropsToken(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if r.Header.Get("Authorization") == "Bearer tok1" {
			problem(w, http.StatusUnauthorized, "invalid_token", "")
			return
		}
		okCustomer(w, http.StatusOK)
	})
	c := f.client(client.WithMaxRetries(0))
	if _, err := c.Customers.Get(t.Context(), "cust_1"); client.StatusCode(err) != 401 {
		t.Fatalf("first call: %v, want 401", err)
	}
	if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
		t.Fatalf("second call: %v", err)
	}
	if n := f.tokens.Load(); n != 2 {
		t.Errorf("%d tokens, want 2", n)
	}
}

// Session mode: the code is exchanged once, with a partner token, and the customer token is used from
// then on; it is never exchanged again, not even after a 401 or once the session expires.
func TestSessionMode(t *testing.T) {
	t.Parallel()
	var exchanges atomic.Int32
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		switch {
		case r.URL.Path == "/api/v3/biometrics/session-exchange":
			exchanges.Add(1)
			if r.Header.Get("Authorization") != "Bearer tok1" {
				problem(w, http.StatusUnauthorized, "invalid_token", "")
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"access_token": "session-tok", "token_type": "bearer", "expires_in": 3600, "customer_id": "cust_1"})
		case r.Header.Get("Authorization") != "Bearer session-tok":
			problem(w, http.StatusForbidden, "forbidden", "")
		case r.Method == http.MethodPost:
			problem(w, http.StatusUnauthorized, "token_expired", "")
		default:
			okCustomer(w, http.StatusOK)
		}
	})
	var now atomic.Int64
	now.Store(time.Now().UnixNano())
	c := f.client(client.WithSessionCode("dinie_bsc_test_code"), client.WithClock(func() time.Time { return time.Unix(0, now.Load()) }))
	// The first call carries the caller's key; the exchange it triggers must not.
	if err := c.Customers.StartKYCReview(client.WithIdempotencyKey(t.Context(), "review-1"), "cust_1"); client.StatusCode(err) != 401 {
		t.Errorf("401 in session mode: %v", err)
	}
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if id, err := c.SessionCustomerID(t.Context()); err != nil || id != "cust_1" {
		t.Errorf("SessionCustomerID = %q, %v", id, err)
	}
	now.Add(int64(time.Hour))
	if _, err := c.Customers.Get(t.Context(), "cust_1"); !errors.Is(err, client.ErrSessionExpired) {
		t.Errorf("after an hour: %v", err)
	}
	reqs := f.recorded()
	if n := exchanges.Load(); n != 1 {
		t.Errorf("%d exchanges, want 1", n)
	}
	if reqs[0].body != `{"code":"dinie_bsc_test_code"}` || reqs[0].header.Get("X-Idempotency-Key") == "review-1" ||
		reqs[1].header.Get("X-Idempotency-Key") != "review-1" {
		t.Errorf("exchange %s with key %q, then the review with key %q", reqs[0].body,
			reqs[0].header.Get("X-Idempotency-Key"), reqs[1].header.Get("X-Idempotency-Key"))
	}
	// 1 exchange + 1 review (a 401 with a session token is not retried) + 5 reads.
	if len(reqs) != 7 || f.tokens.Load() != 1 {
		t.Errorf("%d calls, %d partner tokens; want 7 and 1", len(reqs), f.tokens.Load())
	}

	// A refused code is final: later calls fail the same way without asking again.
	bad := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		problem(w, http.StatusForbidden, "invalid_session_code", "")
	})
	bc := bad.client(client.WithSessionCode("dinie_bsc_spent"))
	for range 2 {
		if _, err := bc.Customers.Get(t.Context(), "cust_1"); !client.IsCode(err, "invalid_session_code") {
			t.Errorf("spent code: %v", err)
		}
	}
	if n := len(bad.recorded()); n != 1 {
		t.Errorf("%d exchange attempts for a refused code, want 1", n)
	}
	if _, err := f.client().SessionCustomerID(t.Context()); !errors.Is(err, client.ErrNoSessionCode) {
		t.Errorf("SessionCustomerID without a code: %v", err)
	}
}

// The logger hears about requests and retries, never about secrets or tokens.
func TestLoggingRedacts(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			problem(w, http.StatusBadGateway, "", "req_1")
			return
		}
		okCustomer(w, http.StatusOK)
	})
	var buf syncBuffer
	c := f.client(client.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		client.WithUserAgent("acme-onboarding/1.2"))
	if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
		t.Fatal(err)
	}
	logs := buf.String()
	for _, secret := range []string{"s3cr3t", "tok1", "Bearer", "Basic"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs show %q:\n%s", secret, logs)
		}
	}
	for _, want := range []string{"dinie: retrying", "status=502", "dinie: access token fetched", "path=/customers/cust_1"} {
		if !strings.Contains(logs, want) {
			t.Errorf("the logs lack %q:\n%s", want, logs)
		}
	}
	if ua := f.recorded()[0].header.Get("User-Agent"); !strings.HasPrefix(ua, "acme-onboarding/1.2 Dinie-SDK-Go/") {
		t.Errorf("User-Agent %q", ua)
	}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Callers waiting for a token fetch started by a caller whose context ends fetch one themselves.
func TestSharedTokenFetchSurvivesItsCaller(t *testing.T) {
	t.Parallel()
	f := newFakeAPI(t, func(w http.ResponseWriter, r *http.Request, _ int) { okCustomer(w, http.StatusOK) })
	f.tokenDelay = 200 * time.Millisecond
	c := f.client()
	short, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, err := c.Customers.Get(short, "cust_1")
		first <- err
	}()
	time.Sleep(10 * time.Millisecond) // the first call is fetching the token
	if _, err := c.Customers.Get(t.Context(), "cust_1"); err != nil {
		t.Errorf("second caller: %v", err)
	}
	if err := <-first; !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("first caller: %v", err)
	}
}
