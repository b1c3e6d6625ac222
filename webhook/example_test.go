package webhook_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/dinie-oss/dinie/webhook"
)

// A partner's endpoint verifies each delivery against the raw body before
// parsing it, and answers 2xx only for deliveries it accepts.
func ExampleVerify() {
	// The endpoint secret shown once when the endpoint was created. During a
	// rotation, list both the new and the previous secret.
	secrets := []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		if err := webhook.Verify(secrets, r.Header, body, time.Now()); err != nil {
			status := http.StatusUnauthorized
			if errors.Is(err, webhook.ErrMissingHeaders) {
				status = http.StatusBadRequest
			}
			http.Error(w, "invalid webhook", status)
			return
		}
		// Authentic: dedupe on r.Header.Get("webhook-id"), then parse body.
		w.WriteHeader(http.StatusNoContent)
	})
	server := httptest.NewServer(handler)
	defer server.Close()

	// What Dinie sends (here signed with the same secret).
	deliver := func(body string, tamper bool) {
		ts := time.Now().Unix()
		sig, err := webhook.Sign(secrets, "evt_0123456789abcdef0123456789abcdef", ts, []byte(body))
		if err != nil {
			panic(err)
		}
		if tamper {
			body += " "
		}
		req, _ := http.NewRequest(http.MethodPost, server.URL, bytes.NewBufferString(body))
		req.Header.Set("Content-Type", "application/json")
		webhook.Headers{ID: "evt_0123456789abcdef0123456789abcdef", Timestamp: ts, Signature: sig}.Apply(req.Header)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	deliver(`{"type":"loan.created","data":{"id":"ln_test_123"}}`, false)
	deliver(`{"type":"loan.created","data":{"id":"ln_test_123"}}`, true)

	// Output:
	// 204 No Content
	// 401 Unauthorized
}
