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
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/blob"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/httpapi"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/openapitest"
	"github.com/dinie-oss/dinie/internal/platform"
	"github.com/dinie-oss/dinie/internal/ratelimit"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// epoch is where every test's manual clock starts.
var epoch = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

// env is one running API on a real database, with two partners.
type env struct {
	t        *testing.T
	url      string
	clock    *clock.Manual
	store    *store.Store
	client   *http.Client
	platform *platform.Platform
	// validator is the OpenAPI document every answer is checked against.
	validator *openapitest.Validator
	a, b      partner
}

type partner struct {
	id         string
	test, live cred
}

type cred struct{ id, secret string }

type envOptions struct {
	limiter ratelimit.Limiter
	maxBody int64
	// maxUpload bounds one KYC file (default: the server's 10 MiB).
	maxUpload int64
	log       io.Writer
	// work runs the job workers, so webhook deliveries are attempted (with a short retry schedule) and
	// customers are enriched and reviewed; without it jobs are only queued, and deliveries stay pending.
	work bool
}

// quiet discards the logs of the job engine and the delivery worker.
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

// newEnv starts the API over a fresh database of engine e on a loopback HTTP server, and validates
// every response it gives against api/openapi.yaml.
func newEnv(t *testing.T, e storetest.Engine, opts envOptions) *env {
	t.Helper()
	clk := clock.NewManual(epoch)
	st := e.Open(t, clk)
	ctx := context.Background()
	authn, err := auth.New(ctx, st, clk)
	if err != nil {
		t.Fatal(err)
	}
	if opts.log == nil {
		opts.log = io.Discard
	}
	if opts.limiter == nil {
		opts.limiter = ratelimit.NewMemory(ratelimit.Config{PerSecond: 1e6, Burst: 1e6})
	}
	srv := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + srv.Listener.Addr().String()
	pf := newPlatform(t, st, clk, opts.work, publicURL)
	srv.Config.Handler = httpapi.New(httpapi.Config{
		Store: st, Auth: authn, Clock: clk, Limiter: opts.limiter, MaxBodyBytes: opts.maxBody,
		Logger: slog.New(slog.NewJSONHandler(opts.log, nil)), PublicURL: publicURL,
		Events: pf.Events, Customers: pf.Customers, Credit: pf.Credit, Loans: pf.Loans, PixLedger: pf.PixLedger,
		MaxUploadBytes: opts.maxUpload,
	})
	srv.Start()
	t.Cleanup(srv.Close)
	v, err := openapitest.Default()
	if err != nil {
		t.Fatal(err)
	}
	en := &env{t: t, url: srv.URL, clock: clk, store: st, validator: v, platform: pf,
		client: &http.Client{Transport: openapitest.Transport(t, v, http.DefaultTransport)}}
	en.a = en.newPartner("Partner A")
	en.b = en.newPartner("Partner B")
	return en
}

// newPlatform migrates River's tables into st and wires the platform over them: with work, one whose
// workers (webhook deliveries with a short retry schedule, enrichment, KYC review) run on clk, started now
// and stopped when t ends; otherwise one that only queues jobs, never started.
func newPlatform(t testing.TB, st *store.Store, clk clock.Clock, work bool, publicURL string) *platform.Platform {
	t.Helper()
	ctx := context.Background()
	if err := jobs.Migrate(ctx, st); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
	blobs, err := blob.NewDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	pf, err := platform.New(platform.Config{
		Store: st, Clock: clk, Logger: quiet, Blobs: blobs, Work: work, PublicURL: publicURL, PixSettleAfter: 50 * time.Millisecond,
		Jobs: jobs.Config{PollInterval: 20 * time.Millisecond},
		// Three quick attempts: no test waits for a long retry.
		RetrySchedule: func(n int) (time.Duration, bool) { return time.Duration(n) * 20 * time.Millisecond, n < 3 },
	})
	if err != nil {
		t.Fatalf("platform.New: %v", err)
	}
	if work {
		if err := pf.Jobs.Start(ctx); err != nil {
			t.Fatalf("start jobs: %v", err)
		}
		// Registered after the store's cleanup, so it runs before the store closes.
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := pf.Jobs.Stop(ctx); err != nil {
				t.Errorf("stop jobs: %v", err)
			}
		})
	}
	return pf
}

func (en *env) newPartner(name string) partner {
	en.t.Helper()
	ctx := context.Background()
	p, err := lending.NewPartner(name, en.clock.Now())
	if err != nil {
		en.t.Fatal(err)
	}
	out := partner{id: p.ID}
	err = en.store.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		for _, env := range []lending.Environment{lending.EnvTest, lending.EnvLive} {
			c, secret, err := lending.NewCredential(lending.NewCredentialRequest{
				Scope: lending.Scope{PartnerID: p.ID, Environment: env}, Name: "first " + string(env),
			}, en.clock.Now(), auth.HashSecret)
			if err != nil {
				return err
			}
			if err := tx.CreateCredential(ctx, c); err != nil {
				return err
			}
			if env == lending.EnvTest {
				out.test = cred{c.ClientID, secret}
			} else {
				out.live = cred{c.ClientID, secret}
			}
		}
		return nil
	})
	if err != nil {
		en.t.Fatal(err)
	}
	return out
}

// response is a decoded answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body %q is not a JSON object: %v", r.body, err)
	}
	return m
}

// code returns the problem code of an error answer.
func (r response) code(t *testing.T) string {
	t.Helper()
	c, _ := r.json(t)["code"].(string)
	return c
}

// do sends a request; headers are name, value pairs.
func (en *env) do(method, path, body string, headers ...string) response {
	en.t.Helper()
	req, err := http.NewRequest(method, en.url+path, strings.NewReader(body))
	if err != nil {
		en.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := en.client.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		en.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// token gets an access token for c with HTTP Basic and a form body, as the JS SDK does.
func (en *env) token(c cred) string {
	en.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	resp := en.do("POST", "/api/v3/auth/token", form, "Authorization", basic(c.id, c.secret),
		"Content-Type", "application/x-www-form-urlencoded")
	if resp.status != http.StatusOK {
		en.t.Fatalf("token for %s: %d %s", c.id, resp.status, resp.body)
	}
	tok, _ := resp.json(en.t)["access_token"].(string)
	return tok
}

func basic(id, secret string) string {
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(id, secret)
	return req.Header.Get("Authorization")
}

func bearer(tok string) []string { return []string{"Authorization", "Bearer " + tok} }

// pageIDs walks the list at path (which may carry a query) page by page with limit, from the first page
// to the last, and returns the ids in order. It fails when a page is larger than limit or when has_more
// comes with an empty page.
func (en *env) pageIDs(tok, path string, limit int) []string {
	en.t.Helper()
	var got []string
	after := ""
	for page := 0; ; page++ {
		q := path + "?limit=" + itoa(int64(limit))
		if strings.Contains(path, "?") {
			q = path + "&limit=" + itoa(int64(limit))
		}
		if after != "" {
			q += "&starting_after=" + after
		}
		r := en.do("GET", q, "", bearer(tok)...)
		if r.status != http.StatusOK {
			en.t.Fatalf("GET %s: %d %s", q, r.status, r.body)
		}
		var l struct {
			Data []struct {
				ID string `json:"id"`
			} `json:"data"`
			HasMore bool `json:"has_more"`
		}
		if err := json.Unmarshal(r.body, &l); err != nil {
			en.t.Fatalf("GET %s: %v", q, err)
		}
		if len(l.Data) > limit {
			en.t.Fatalf("limit %d: a page of %d", limit, len(l.Data))
		}
		for _, item := range l.Data {
			got = append(got, item.ID)
		}
		if !l.HasMore {
			return got
		}
		if len(l.Data) == 0 || page > 100 {
			en.t.Fatalf("limit %d: has_more with an empty page", limit)
		}
		after = l.Data[len(l.Data)-1].ID
	}
}
