package httpapi_test

import (
	"encoding/base64"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// FuzzTokenEndpoint throws arbitrary content types, Authorization headers and bodies at POST
// /auth/token: the answer is a token or a well-formed 4xx problem, never a 5xx or a panic.
func FuzzTokenEndpoint(f *testing.F) {
	ip := newInProcess(f, storetest.SQLiteDSN(f))
	basicOK := "Basic " + base64.StdEncoding.EncodeToString([]byte(ip.cred.id+":"+ip.cred.secret))
	seeds := []struct{ ct, authz, body string }{
		{"application/x-www-form-urlencoded", basicOK, "grant_type=client_credentials"},
		{"application/x-www-form-urlencoded", "", "grant_type=client_credentials&client_id=" + ip.cred.id + "&client_secret=" + ip.cred.secret},
		{"application/json", "", `{"grant_type":"client_credentials","client_id":"` + ip.cred.id + `","client_secret":"` + ip.cred.secret + `"}`},
		{"application/json", basicOK, `{"grant_type":["x"]}`},
		{"application/x-www-form-urlencoded", "Basic Og==", "grant_type=client_credentials&grant_type=x"},
		{"multipart/form-data; boundary=x", "Bearer x", "--x--"},
		{"application/json; charset=utf-8", "Basic %zz", "\x00\xff{"},
		{"", "", "%"},
		{"text/plain;;", basicOK, "grant_type=password"},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.authz, s.body)
	}
	f.Fuzz(func(t *testing.T, ct, authz, body string) {
		r := httptest.NewRequest("POST", "/api/v3/auth/token", strings.NewReader(body))
		if ct != "" {
			r.Header["Content-Type"] = []string{ct}
		}
		if authz != "" {
			r.Header["Authorization"] = []string{authz}
		}
		checkAnswer(t, ip.serve(r))
	})
}

// FuzzJSONBody sends arbitrary bodies (and idempotency keys) to a JSON write route: the answer is a
// created credential or a well-formed 4xx problem, never a 5xx or a panic.
func FuzzJSONBody(f *testing.F) {
	ip := newInProcess(f, storetest.SQLiteDSN(f))
	for _, s := range []string{
		`{"name":"ok"}`, `{"name":"ok","expires_at":null}`, `{"name":"ok","expires_at":4102444800}`,
		`{"name":1e400}`, `{"name":"x","expires_at":-1}`, `{"name":"x","expires_at":1e30}`, `{"name":"\ud800"}`,
		`[]`, `null`, `{`, `{"name":"a"}{"name":"b"}`, `{"name":{"nested":[1,2,{}]}}`, "\xef\xbb\xbf{}", ``,
	} {
		f.Add(s, "application/json", "")
		f.Add(s, "application/json", "key-1")
	}
	f.Add(`name=x`, "application/x-www-form-urlencoded", "")
	f.Fuzz(func(t *testing.T, body, ct, key string) {
		r := httptest.NewRequest("POST", "/api/v3/auth/credentials", strings.NewReader(body))
		r.Header["Authorization"] = []string{"Bearer " + ip.token}
		if ct != "" {
			r.Header["Content-Type"] = []string{ct}
		}
		if key != "" {
			r.Header["Idempotency-Key"] = []string{key}
		}
		rec := ip.serve(r)
		checkAnswer(t, rec)
		if rec.Code != 201 && rec.Code >= 300 && rec.Code != 400 && rec.Code != 409 && rec.Code != 413 && rec.Code != 415 && rec.Code != 422 {
			t.Fatalf("unexpected status %d: %s", rec.Code, rec.Body)
		}
	})
}
