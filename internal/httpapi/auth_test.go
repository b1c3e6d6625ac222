package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dinie-oss/dinie/internal/store/storetest"
)

func TestTokenRequestFormats(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		c := en.a.test
		form := func(v url.Values) string { return v.Encode() }
		formCT := []string{"Content-Type", "application/x-www-form-urlencoded"}
		tests := []struct {
			name    string
			body    string
			headers []string
			status  int
			code    string
		}{
			{"basic and form (JS SDK)", form(url.Values{"grant_type": {"client_credentials"}}),
				append([]string{"Authorization", basic(c.id, c.secret)}, formCT...), 200, ""},
			{"form only", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.id}, "client_secret": {c.secret}}),
				formCT, 200, ""},
			{"json (Python SDK)", `{"grant_type":"client_credentials","client_id":"` + c.id + `","client_secret":"` + c.secret + `"}`,
				nil, 200, ""},
			{"basic and json", `{"grant_type":"client_credentials"}`,
				[]string{"Authorization", basic(c.id, c.secret)}, 200, ""},
			{"wrong secret", form(url.Values{"grant_type": {"client_credentials"}}),
				append([]string{"Authorization", basic(c.id, c.secret+"x")}, formCT...), 401, "invalid_client"},
			{"unknown client", form(url.Values{"grant_type": {"client_credentials"}}),
				append([]string{"Authorization", basic("dinie_ci_test_00000000000000000000000000000000", c.secret)}, formCT...), 401, "invalid_client"},
			{"no credentials", form(url.Values{"grant_type": {"client_credentials"}}), formCT, 401, "invalid_client"},
			{"missing grant_type", "", []string{"Authorization", basic(c.id, c.secret)}, 400, "invalid_request"},
			{"other grant", form(url.Values{"grant_type": {"password"}}),
				append([]string{"Authorization", basic(c.id, c.secret)}, formCT...), 400, "unsupported_grant_type"},
			{"basic and body disagree", form(url.Values{"grant_type": {"client_credentials"}, "client_id": {en.b.test.id}}),
				append([]string{"Authorization", basic(c.id, c.secret)}, formCT...), 400, "invalid_request"},
			{"malformed basic", form(url.Values{"grant_type": {"client_credentials"}}),
				append([]string{"Authorization", "Basic %%%"}, formCT...), 401, "invalid_client"},
			{"malformed json", `{"grant_type":`, nil, 400, "malformed_json"},
			{"json of wrong type", `{"grant_type":5}`, nil, 400, "invalid_request"},
			{"xml", `<x/>`, []string{"Content-Type", "application/xml"}, 415, "unsupported_media_type"},
		}
		for _, tt := range tests {
			r := en.do("POST", "/api/v3/auth/token", tt.body, tt.headers...)
			if r.status != tt.status {
				t.Errorf("%s: status %d, want %d (%s)", tt.name, r.status, tt.status, r.body)
				continue
			}
			if tt.status != 200 {
				if got := r.code(t); got != tt.code {
					t.Errorf("%s: code %q, want %q", tt.name, got, tt.code)
				}
				continue
			}
			m := r.json(t)
			if tok, _ := m["access_token"].(string); !strings.HasPrefix(tok, "dinie_at_") {
				t.Errorf("%s: access_token %q", tt.name, tok)
			}
			if m["token_type"] != "Bearer" || m["expires_in"] != float64(3600) {
				t.Errorf("%s: got %v", tt.name, m)
			}
			if r.header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s: Cache-Control %q", tt.name, r.header.Get("Cache-Control"))
			}
		}
	})
}

func TestBearerTokenChecks(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		raw := strings.TrimPrefix(tok, "dinie_at_")
		parts := strings.Split(raw, ".")

		// A token with the same claims signed by a key we never issued.
		var claims jwt.MapClaims
		payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
		_ = json.Unmarshal(payload, &claims)
		foreign := jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
		foreign.Header["kid"] = "key_unknown"
		foreignSigned, _ := foreign.SignedString([]byte("not our key, not our key, not ok"))
		// The same claims with "alg": "none".
		none := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
		noneSigned, _ := none.SignedString(jwt.UnsafeAllowNoneSignatureType)
		// A payload edited to claim partner B, keeping A's signature.
		claims["pid"] = en.b.id
		edited, _ := json.Marshal(claims)
		tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString(edited) + "." + parts[2]

		tests := []struct {
			name    string
			headers []string
			code    string
		}{
			{"no header", nil, "missing_token"},
			{"not bearer", []string{"Authorization", "Basic abc"}, "invalid_token"},
			{"empty bearer", []string{"Authorization", "Bearer "}, "invalid_token"},
			{"no prefix", bearer(raw), "invalid_token"},
			{"garbage", bearer("dinie_at_garbage"), "invalid_token"},
			{"flipped signature", bearer("dinie_at_" + parts[0] + "." + parts[1] + "." + flip(parts[2])), "invalid_token"},
			{"tampered payload", bearer("dinie_at_" + tampered), "invalid_token"},
			{"foreign key", bearer("dinie_at_" + foreignSigned), "invalid_token"},
			{"alg none", bearer("dinie_at_" + noneSigned), "invalid_token"},
		}
		for _, tt := range tests {
			r := en.do("GET", "/api/v3/banks", "", tt.headers...)
			if r.status != http.StatusUnauthorized || r.code(t) != tt.code {
				t.Errorf("%s: %d %s, want 401 %s", tt.name, r.status, r.body, tt.code)
			}
		}
		if r := en.do("GET", "/api/v3/banks", "", bearer(tok)...); r.status != 200 {
			t.Fatalf("valid token refused: %d %s", r.status, r.body)
		}
		// Bearer is case-insensitive (RFC 6750 follows RFC 7235).
		if r := en.do("GET", "/api/v3/banks", "", "Authorization", "bearer "+tok); r.status != 200 {
			t.Errorf("lowercase bearer refused: %d", r.status)
		}

		en.clock.Advance(time.Hour - time.Second)
		if r := en.do("GET", "/api/v3/banks", "", bearer(tok)...); r.status != 200 {
			t.Errorf("token refused a second before expiry: %d %s", r.status, r.body)
		}
		en.clock.Advance(time.Second)
		if r := en.do("GET", "/api/v3/banks", "", bearer(tok)...); r.status != 401 || r.code(t) != "token_expired" {
			t.Errorf("expired token: %d %s, want 401 token_expired", r.status, r.body)
		}
	})
}

func flip(s string) string {
	b := []byte(s)
	if b[0] == 'A' {
		b[0] = 'B'
	} else {
		b[0] = 'A'
	}
	return string(b)
}

func TestRevokedCredentialLosesItsTokensAtOnce(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		admin := en.token(en.a.test)
		r := en.do("POST", "/api/v3/auth/credentials", `{"name":"to revoke"}`, bearer(admin)...)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		m := r.json(t)
		victim := cred{m["client_id"].(string), m["client_secret"].(string)}
		tok := en.token(victim)
		if r := en.do("GET", "/api/v3/banks", "", bearer(tok)...); r.status != 200 {
			t.Fatalf("new credential's token: %d", r.status)
		}
		if r := en.do("DELETE", "/api/v3/auth/credentials/"+victim.id, "", bearer(admin)...); r.status != 204 {
			t.Fatalf("revoke: %d %s", r.status, r.body)
		}
		if r := en.do("GET", "/api/v3/banks", "", bearer(tok)...); r.status != 401 || r.code(t) != "invalid_token" {
			t.Errorf("revoked credential's token: %d %s, want 401 invalid_token", r.status, r.body)
		}
		form := url.Values{"grant_type": {"client_credentials"}}.Encode()
		r = en.do("POST", "/api/v3/auth/token", form, "Authorization", basic(victim.id, victim.secret),
			"Content-Type", "application/x-www-form-urlencoded")
		if r.status != 401 || r.code(t) != "invalid_client" {
			t.Errorf("token for a revoked credential: %d %s, want 401 invalid_client", r.status, r.body)
		}
	})
}

func TestExpiringCredential(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		admin := en.token(en.a.test)
		exp := epoch.Add(2 * time.Hour).Unix()
		r := en.do("POST", "/api/v3/auth/credentials", `{"name":"short-lived","expires_at":`+itoa(exp)+`}`, bearer(admin)...)
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		m := r.json(t)
		if m["expires_at"] != float64(exp) {
			t.Errorf("expires_at = %v, want %d", m["expires_at"], exp)
		}
		c := cred{m["client_id"].(string), m["client_secret"].(string)}
		en.clock.Advance(90 * time.Minute)
		tok := en.token(c) // 30 minutes of credential left; the token itself would live an hour
		en.clock.Advance(30 * time.Minute)
		if r := en.do("GET", "/api/v3/banks", "", bearer(tok)...); r.status != 401 || r.code(t) != "token_expired" {
			t.Errorf("token of an expired credential: %d %s, want 401 token_expired", r.status, r.body)
		}
		form := url.Values{"grant_type": {"client_credentials"}}.Encode()
		r = en.do("POST", "/api/v3/auth/token", form, "Authorization", basic(c.id, c.secret),
			"Content-Type", "application/x-www-form-urlencoded")
		if r.status != 401 || r.code(t) != "invalid_client" {
			t.Errorf("token for an expired credential: %d %s", r.status, r.body)
		}
	})
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
