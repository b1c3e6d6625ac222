package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/webhook"
)

// TestSeparateWorker runs the API with --workers=false and the deliveries in a `dinie worker` on the same
// database: an event queued by the API waits, pending, until the worker runs, which then delivers it.
func TestSeparateWorker(t *testing.T) {
	t.Parallel()
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			dsn, dir := e.DSN(t), t.TempDir()
			var mu sync.Mutex
			var secret string
			got := map[string]bool{}
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				mu.Lock()
				defer mu.Unlock()
				if err := webhook.Verify([]string{secret}, r.Header, body, time.Now()); err != nil {
					t.Errorf("delivery does not verify: %v", err)
				}
				got[r.Header.Get("webhook-id")] = true
			}))
			t.Cleanup(rc.Close)

			api := startServe(t, dsn, dir, "--workers=false")
			c := newClient(t)
			sandbox, _ := readSandboxFile(t, dir)
			tok := issueToken(t, c, api, sandbox.ClientID, sandbox.ClientSecret)
			post := func(path, body string) map[string]any {
				req, _ := http.NewRequest(http.MethodPost, api.url(path), strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				req.Header.Set("Content-Type", "application/json")
				status, b := do(t, c, req)
				if status/100 != 2 {
					t.Fatalf("POST %s: %d %s", path, status, b)
				}
				var m map[string]any
				_ = json.Unmarshal(b, &m)
				return m
			}
			ep := post("/api/v3/webhooks/endpoints", `{"url":"`+rc.URL+`/hook"}`)
			mu.Lock()
			secret = ep["secret"].(string)
			mu.Unlock()
			sent := post("/api/v3/sandbox/webhooks/endpoints/"+ep["id"].(string)+"/test-events", `{"type":"customer.active"}`)
			evt := sent["event_id"].(string)
			req, _ := http.NewRequest(http.MethodGet, api.url("/api/v3/webhooks/endpoints/"+ep["id"].(string)+"/deliveries"), nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			if status, b := do(t, c, req); status != 200 || !strings.Contains(string(b), `"status":"pending"`) {
				t.Errorf("before the worker runs the delivery should be pending: %d %s", status, b)
			}

			ctx, cancel := context.WithCancel(context.Background())
			m, _, stderr := newMain(nil)
			done := make(chan error, 1)
			go func() {
				done <- m.Run(ctx, []string{"worker", "--db", dsn, "--data-dir", dir, "--job-poll-interval", "50ms"})
			}()
			deadline := time.Now().Add(30 * time.Second)
			for {
				mu.Lock()
				ok := got[evt]
				mu.Unlock()
				if ok {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("the worker did not deliver %s within 30 s\nworker log:\n%s", evt, stderr)
				}
				time.Sleep(50 * time.Millisecond)
			}
			cancel()
			if err := <-done; err != nil {
				t.Errorf("worker returned %v", err)
			}
		})
	}
}
