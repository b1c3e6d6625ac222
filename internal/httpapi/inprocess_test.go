package httpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/httpapi"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/platform"
	"github.com/dinie-oss/dinie/internal/ratelimit"
	"github.com/dinie-oss/dinie/internal/store"
)

// inProcess is the API handler over a SQLite store, called without a network, for fuzzing and
// benchmarks: what they measure is the server's own work through the whole middleware chain.
type inProcess struct {
	platform *platform.Platform
	handler  http.Handler
	cred     cred
	token    string
}

func newInProcess(tb testing.TB, dsn string) *inProcess {
	tb.Helper()
	ctx := context.Background()
	clk := clock.System{}
	st, err := store.Open(ctx, dsn, store.Options{Clock: clk})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	authn, err := auth.New(ctx, st, clk)
	if err != nil {
		tb.Fatal(err)
	}
	p, _ := lending.NewPartner("Bench", clk.Now())
	c, secret, _ := lending.NewCredential(lending.NewCredentialRequest{
		Scope: lending.Scope{PartnerID: p.ID, Environment: lending.EnvTest}, Name: "bench",
	}, clk.Now(), auth.HashSecret)
	err = st.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		return tx.CreateCredential(ctx, c)
	})
	if err != nil {
		tb.Fatal(err)
	}
	pf := newPlatform(tb, st, clk, false, "http://dinie.test")
	ip := &inProcess{
		platform: pf,
		handler: httpapi.New(httpapi.Config{
			Store: st, Auth: authn, Clock: clk, Events: pf.Events, Customers: pf.Customers, Credit: pf.Credit, Loans: pf.Loans, PixLedger: pf.PixLedger,
			Limiter: ratelimit.NewMemory(ratelimit.Config{PerSecond: 1e9, Burst: 1e9}),
			Logger:  slog.New(slog.NewJSONHandler(io.Discard, nil)),
		}),
		cred: cred{c.ClientID, secret},
	}
	rec := ip.serve(tokenRequest(ip.cred))
	if rec.Code != 200 {
		tb.Fatalf("token: %d %s", rec.Code, rec.Body)
	}
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &tr)
	ip.token = tr.AccessToken
	return ip
}

func (ip *inProcess) serve(r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	ip.handler.ServeHTTP(rec, r)
	return rec
}

func tokenRequest(c cred) *http.Request {
	r := httptest.NewRequest("POST", "/api/v3/auth/token", strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.SetBasicAuth(c.id, c.secret)
	return r
}

// problemCodes is every code a problem may carry.
var problemCodes = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range lending.Codes() {
		m[string(c)] = true
	}
	return m
}()

// checkAnswer fails when an answer is a 5xx or an error that is not a well-formed problem.
func checkAnswer(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code >= 500 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	if rec.Code < 400 {
		return
	}
	var p struct {
		Type, Title, Code, RequestID string
		Status                       int
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("status %d with a body that is not a problem: %q", rec.Code, rec.Body)
	}
	if p.Status != rec.Code || !problemCodes[p.Code] || !strings.HasPrefix(p.Type, "https://docs.dinie.com/errors/") {
		t.Fatalf("malformed problem for %d: %s", rec.Code, rec.Body)
	}
}
