package httpapi_test

import (
	"bytes"
	"net/http"
	"sync"
	"testing"

	"github.com/dinie-oss/dinie/internal/store/storetest"
)

func TestIdempotentConcurrentDuplicates(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		const n = 20
		responses := make([]response, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				header := "X-Idempotency-Key" // the JS SDK's name; the Python SDK's on odd requests
				if i%2 == 1 {
					header = "Idempotency-Key"
				}
				responses[i] = en.do("POST", "/api/v3/auth/credentials", `{"name":"once"}`,
					append(bearer(tok), header, "dinie-sdk-retry-4a4b7ad9-3b6f-4f1e-9a53-2f4c2b1c9d10")...)
			})
		}
		close(start)
		wg.Wait()
		replayed := 0
		for i, r := range responses {
			if r.status != http.StatusCreated {
				t.Fatalf("request %d: %d %s", i, r.status, r.body)
			}
			if !bytes.Equal(r.body, responses[0].body) {
				t.Errorf("request %d answered differently:\n%s\n%s", i, r.body, responses[0].body)
			}
			if r.header.Get("Idempotent-Replayed") == "true" {
				replayed++
			}
		}
		if replayed != n-1 {
			t.Errorf("%d answers marked replayed, want %d", replayed, n-1)
		}
		l := decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials", "", bearer(tok)...))
		if len(l.Data) != 2 {
			t.Errorf("%d credentials after 20 duplicates, want 2 (one side effect)", len(l.Data))
		}

		// Same key on the /v3 alias: the same request, replayed.
		r := en.do("POST", "/v3/auth/credentials", `{"name":"once"}`, append(bearer(tok), "Idempotency-Key", "dinie-sdk-retry-4a4b7ad9-3b6f-4f1e-9a53-2f4c2b1c9d10")...)
		if r.status != 201 || r.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replay on /v3: %d replayed=%q", r.status, r.header.Get("Idempotent-Replayed"))
		}
		// Same key, another body.
		r = en.do("POST", "/api/v3/auth/credentials", `{"name":"twice"}`, append(bearer(tok), "Idempotency-Key", "dinie-sdk-retry-4a4b7ad9-3b6f-4f1e-9a53-2f4c2b1c9d10")...)
		if r.status != 422 || r.code(t) != "idempotency_key_reused" {
			t.Errorf("reused key: %d %s, want 422 idempotency_key_reused", r.status, r.body)
		}
		// The key belongs to one partner and environment: B may use the same string.
		r = en.do("POST", "/api/v3/auth/credentials", `{"name":"once"}`, append(bearer(en.token(en.b.test)), "Idempotency-Key", "dinie-sdk-retry-4a4b7ad9-3b6f-4f1e-9a53-2f4c2b1c9d10")...)
		if r.status != 201 || r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("B's first use of the string: %d replayed=%q", r.status, r.header.Get("Idempotent-Replayed"))
		}
		// Keys are 1 to 255 printable characters.
		long := string(bytes.Repeat([]byte("k"), 256))
		if r := en.do("POST", "/api/v3/auth/credentials", `{"name":"x"}`, append(bearer(tok), "Idempotency-Key", long)...); r.status != 422 || r.code(t) != "invalid_idempotency_key" {
			t.Errorf("256-character key: %d %s", r.status, r.body)
		}
	})
}

func TestIdempotentReplayOfErrorsAndDeletes(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		key := append(bearer(tok), "Idempotency-Key", "revoke-last")
		first := en.do("DELETE", "/api/v3/auth/credentials/"+en.a.test.id, "", key...)
		if first.status != 409 {
			t.Fatalf("first: %d %s", first.status, first.body)
		}
		again := en.do("DELETE", "/api/v3/auth/credentials/"+en.a.test.id, "", key...)
		if again.status != 409 || !bytes.Equal(again.body, first.body) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Errorf("replayed 409: %d %s replayed=%q", again.status, again.body, again.header.Get("Idempotent-Replayed"))
		}
		// A GET never takes part in idempotency.
		if r := en.do("GET", "/api/v3/auth/credentials", "", key...); r.status != 200 || r.header.Get("Idempotent-Replayed") != "" {
			t.Errorf("GET with a key: %d replayed=%q", r.status, r.header.Get("Idempotent-Replayed"))
		}
	})
}
