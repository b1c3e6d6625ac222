package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/store/storetest"
)

type credentialWire struct {
	ID           string  `json:"id"`
	ClientID     string  `json:"client_id"`
	Name         string  `json:"name"`
	Status       string  `json:"status"`
	LastUsedAt   *int64  `json:"last_used_at"`
	ExpiresAt    *int64  `json:"expires_at"`
	CreatedAt    int64   `json:"created_at"`
	UpdatedAt    int64   `json:"updated_at"`
	ClientSecret *string `json:"client_secret"`
}

type credentialList struct {
	Data    []credentialWire `json:"data"`
	HasMore bool             `json:"has_more"`
}

func decode[T any](t *testing.T, r response) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(r.body, &v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
	return v
}

func TestCreateCredential(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.live)
		r := en.do("POST", "/api/v3/auth/credentials", `{"name":"Chave de Produção","expires_at":null}`, bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		got := decode[credentialWire](t, r)
		if !regexp.MustCompile(`^dinie_ci_live_[0-9a-f]{32}$`).MatchString(got.ID) || got.ClientID != got.ID {
			t.Errorf("id %q client_id %q", got.ID, got.ClientID)
		}
		if got.ClientSecret == nil || !regexp.MustCompile(`^dinie_cs_live_[A-Za-z0-9]{40}$`).MatchString(*got.ClientSecret) {
			t.Errorf("client_secret %v", got.ClientSecret)
		}
		want := credentialWire{ID: got.ID, ClientID: got.ID, Name: "Chave de Produção", Status: "active",
			CreatedAt: epoch.Unix(), UpdatedAt: epoch.Unix(), ClientSecret: got.ClientSecret}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("created credential (-want +got):\n%s", d)
		}

		// The secret is never shown again, and the new credential works.
		list := decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials", "", bearer(tok)...))
		for _, c := range list.Data {
			if c.ClientSecret != nil {
				t.Errorf("list shows a secret for %s", c.ID)
			}
		}
		en.clock.Advance(time.Minute)
		en.token(cred{got.ID, *got.ClientSecret})
		list = decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials", "", bearer(tok)...))
		for _, c := range list.Data {
			if c.ID == got.ID && (c.LastUsedAt == nil || *c.LastUsedAt != epoch.Add(time.Minute).Unix()) {
				t.Errorf("last_used_at after use = %v", c.LastUsedAt)
			}
		}

		bad := []struct {
			body, code, param string
			status            int
		}{
			{`{}`, "missing_required_field", "name", 422},
			{``, "missing_required_field", "name", 422},
			{`{"name":"  "}`, "missing_required_field", "name", 422},
			{`{"name":42}`, "invalid_field", "name", 422},
			{`{"name":"x","expires_at":"2027-03-04T00:00:00Z"}`, "invalid_field", "expires_at", 422},
			{`{"name":"x","expires_at":1.5}`, "invalid_field", "expires_at", 422},
			{fmt.Sprintf(`{"name":"x","expires_at":%d}`, epoch.Unix()), "invalid_field", "expires_at", 422},
			{`{"name":"x"`, "malformed_json", "", 400},
			{`["name"]`, "malformed_json", "", 400},
			{`{"name":"x"} {}`, "malformed_json", "", 400},
		}
		for _, tt := range bad {
			r := en.do("POST", "/api/v3/auth/credentials", tt.body, bearer(tok)...)
			if r.status != tt.status || r.code(t) != tt.code {
				t.Errorf("%s: %d %s, want %d %s", tt.body, r.status, r.body, tt.status, tt.code)
				continue
			}
			if tt.param != "" {
				var p struct {
					Errors []struct{ Param string } `json:"errors"`
				}
				_ = json.Unmarshal(r.body, &p)
				if len(p.Errors) != 1 || p.Errors[0].Param != tt.param {
					t.Errorf("%s: errors %s, want param %s", tt.body, r.body, tt.param)
				}
			}
		}
		after := decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials", "", bearer(tok)...))
		if len(after.Data) != 2 {
			t.Errorf("bad requests changed the data: %d credentials, want 2", len(after.Data))
		}
	})
}

func TestCredentialIsolation(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		aTest, aLive, bTest := en.token(en.a.test), en.token(en.a.live), en.token(en.b.test)
		ids := func(tok string) []string {
			l := decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials", "", bearer(tok)...))
			var out []string
			for _, c := range l.Data {
				out = append(out, c.ID)
			}
			return out
		}
		for _, tt := range []struct {
			name string
			tok  string
			want []string
		}{
			{"A test", aTest, []string{en.a.test.id}},
			{"A live", aLive, []string{en.a.live.id}},
			{"B test", bTest, []string{en.b.test.id}},
		} {
			if d := cmp.Diff(tt.want, ids(tt.tok)); d != "" {
				t.Errorf("%s sees (-want +got):\n%s", tt.name, d)
			}
		}
		// Another partner's or another environment's credential is a 404, and stays active.
		for _, tt := range []struct {
			name, tok, target string
		}{
			{"A revokes B's", aTest, en.b.test.id},
			{"A test revokes A live", aTest, en.a.live.id},
			{"B revokes A's", bTest, en.a.test.id},
			{"unknown", aTest, "dinie_ci_test_ffffffffffffffffffffffffffffffff"},
		} {
			r := en.do("DELETE", "/api/v3/auth/credentials/"+tt.target, "", bearer(tt.tok)...)
			if r.status != 404 || r.code(t) != "credential_not_found" {
				t.Errorf("%s: %d %s, want 404 credential_not_found", tt.name, r.status, r.body)
			}
		}
		en.token(en.b.test)
		en.token(en.a.live)
	})
}

func TestRevokeCredential(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		// The only active test credential cannot be revoked.
		r := en.do("DELETE", "/api/v3/auth/credentials/"+en.a.test.id, "", bearer(tok)...)
		if r.status != 409 || r.code(t) != "last_active_credential" {
			t.Fatalf("revoking the last: %d %s, want 409 last_active_credential", r.status, r.body)
		}
		second := decode[credentialWire](t, en.do("POST", "/api/v3/auth/credentials", `{"name":"second"}`, bearer(tok)...))
		en.clock.Advance(time.Second)
		for i := range 2 { // DELETE is idempotent
			if r := en.do("DELETE", "/api/v3/auth/credentials/"+second.ID, "", bearer(tok)...); r.status != 204 || len(r.body) != 0 {
				t.Fatalf("revoke #%d: %d %q", i, r.status, r.body)
			}
		}
		l := decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials", "", bearer(tok)...))
		if len(l.Data) != 2 {
			t.Fatalf("after revoke: %d credentials", len(l.Data))
		}
		for _, c := range l.Data {
			wantStatus, wantUpdated := "active", epoch.Unix()
			if c.ID == second.ID {
				wantStatus, wantUpdated = "revoked", epoch.Add(time.Second).Unix()
			}
			if c.Status != wantStatus || c.UpdatedAt != wantUpdated {
				t.Errorf("%s: status %s updated_at %d, want %s %d", c.Name, c.Status, c.UpdatedAt, wantStatus, wantUpdated)
			}
		}
		r = en.do("DELETE", "/api/v3/auth/credentials/"+en.a.test.id, "", bearer(tok)...)
		if r.status != 409 {
			t.Errorf("a revoked credential counted as active: %d", r.status)
		}
	})
}

func TestListCredentialsPagination(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{})
		tok := en.token(en.a.test)
		want := []string{en.a.test.id}
		for i := range 6 {
			if i%2 == 0 {
				en.clock.Advance(time.Second) // some share a creation second: the id breaks the tie
			}
			c := decode[credentialWire](t, en.do("POST", "/api/v3/auth/credentials", fmt.Sprintf(`{"name":"k%d"}`, i), bearer(tok)...))
			want = append(want, c.ID)
		}
		full := decode[credentialList](t, en.do("GET", "/api/v3/auth/credentials?limit=100", "", bearer(tok)...))
		var all []string
		for _, c := range full.Data {
			all = append(all, c.ID)
		}
		if len(all) != 7 || full.HasMore {
			t.Fatalf("full list: %d items, has_more %v", len(all), full.HasMore)
		}
		for _, limit := range []int{1, 2, 3, 7} {
			got := en.pageIDs(tok, "/v3/auth/credentials", limit)
			if d := cmp.Diff(all, got); d != "" {
				t.Errorf("limit %d: pages differ from the full list (-want +got):\n%s", limit, d)
			}
		}
		if d := cmp.Diff(len(want), len(all)); d != "" {
			t.Error(d)
		}
		for _, q := range []string{"limit=0", "limit=101", "limit=abc", "limit=", "starting_after=dinie_ci_test_ffffffffffffffffffffffffffffffff",
			"starting_after=" + en.b.test.id} {
			r := en.do("GET", "/api/v3/auth/credentials?"+q, "", bearer(tok)...)
			if r.status != 422 || r.code(t) != "invalid_parameter" {
				t.Errorf("%s: %d %s, want 422 invalid_parameter", q, r.status, r.body)
			}
		}
	})
}
