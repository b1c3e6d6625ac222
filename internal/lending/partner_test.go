package lending

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)

func fakeHash(s string) string { return "h:" + s }

func TestNewCredential(t *testing.T) {
	t.Parallel()
	scope := Scope{PartnerID: "prt_1", Environment: EnvLive}
	past, future := t0.Add(-time.Second), t0.Add(time.Hour)
	tests := []struct {
		name string
		req  NewCredentialRequest
		code Code
	}{
		{"ok", NewCredentialRequest{Scope: scope, Name: "Produção"}, ""},
		{"ok with expiry", NewCredentialRequest{Scope: scope, Name: "x", ExpiresAt: &future}, ""},
		{"ok with exchange scope", NewCredentialRequest{Scope: scope, Name: "x", Scopes: []string{ScopeBiometricsExchange}}, ""},
		{"blank name", NewCredentialRequest{Scope: scope, Name: " \t"}, CodeMissingRequiredField},
		{"long name", NewCredentialRequest{Scope: scope, Name: strings.Repeat("é", 201)}, CodeInvalidField},
		{"past expiry", NewCredentialRequest{Scope: scope, Name: "x", ExpiresAt: &past}, CodeInvalidField},
		{"expiry now", NewCredentialRequest{Scope: scope, Name: "x", ExpiresAt: &t0}, CodeInvalidField},
		{"bad environment", NewCredentialRequest{Scope: Scope{PartnerID: "prt_1", Environment: "prod"}, Name: "x"}, CodeInvalidField},
		{"unknown scope", NewCredentialRequest{Scope: scope, Name: "x", Scopes: []string{"admin"}}, CodeInvalidField},
	}
	for _, tt := range tests {
		c, secret, err := NewCredential(tt.req, t0, fakeHash)
		if tt.code != "" {
			if ErrorCode(err) != tt.code {
				t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if !regexp.MustCompile(`^dinie_ci_live_[0-9a-f]{32}$`).MatchString(c.ClientID) ||
			!regexp.MustCompile(`^dinie_cs_live_[A-Za-z0-9]{40}$`).MatchString(secret) {
			t.Errorf("%s: id %q secret %q", tt.name, c.ClientID, secret)
		}
		if c.SecretHash != fakeHash(secret) || c.Status != CredentialActive || !c.CreatedAt.Equal(t0) {
			t.Errorf("%s: %+v", tt.name, c)
		}
		if env, ok := EnvironmentOfClientID(c.ClientID); !ok || env != EnvLive {
			t.Errorf("%s: EnvironmentOfClientID = %v %v", tt.name, env, ok)
		}
	}
}

func TestEnvironmentOfClientID(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]Environment{
		"dinie_ci_test_abc": EnvTest, "dinie_ci_live_ABC1": EnvLive, "dinie_ci_prod_abc": "",
		"dinie_ci_test_": "", "dinie_ci_test": "", "ci_test_abc": "", "": "",
	} {
		got, ok := EnvironmentOfClientID(id)
		if got != want || ok != (want != "") {
			t.Errorf("EnvironmentOfClientID(%q) = %q, %v; want %q", id, got, ok, want)
		}
	}
}

func TestUsableAt(t *testing.T) {
	t.Parallel()
	exp := t0.Add(time.Hour)
	c := Credential{Status: CredentialActive, ExpiresAt: &exp}
	if err := c.UsableAt(exp.Add(-time.Nanosecond)); err != nil {
		t.Errorf("usable just before expiry: %v", err)
	}
	if ErrorCode(c.UsableAt(exp)) != CodeInvalidClient {
		t.Errorf("usable at its expiry")
	}
	c.Status = CredentialRevoked
	if ErrorCode(c.UsableAt(t0)) != CodeInvalidClient {
		t.Errorf("revoked credential usable")
	}
}

// TestRevokeNeverLocksOut is a property test of the credential state machine: whatever sequence of
// revocations, expiries and creations happens, a scope that had a usable credential keeps one, every
// refusal is last_active_credential, and revoked credentials stay revoked.
func TestRevokeNeverLocksOut(t *testing.T) {
	t.Parallel()
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 7))
		now := t0
		var creds []Credential
		add := func() {
			var exp *time.Time
			if rng.IntN(3) == 0 {
				e := now.Add(time.Duration(rng.IntN(100)+1) * time.Minute)
				exp = &e
			}
			c, _, err := NewCredential(NewCredentialRequest{Scope: Scope{"prt_1", EnvTest}, Name: "k", ExpiresAt: exp}, now, fakeHash)
			if err != nil {
				t.Fatal(err)
			}
			creds = append(creds, c)
		}
		usable := func(skip int) int {
			n := 0
			for i, c := range creds {
				if i != skip && c.UsableAt(now) == nil {
					n++
				}
			}
			return n
		}
		add()
		for range 60 {
			switch rng.IntN(4) {
			case 0:
				add()
			case 1:
				now = now.Add(time.Duration(rng.IntN(30)) * time.Minute)
			default:
				i := rng.IntN(len(creds))
				before := usable(-1)
				wasRevoked := creds[i].Status == CredentialRevoked
				got, err := creds[i].Revoke(now, usable(i))
				if err != nil {
					if ErrorCode(err) != CodeLastActiveCredential || usable(i) != 0 {
						t.Fatalf("seed %d: refused with %v while %d others are usable", seed, err, usable(i))
					}
					continue
				}
				creds[i] = got
				if got.Status != CredentialRevoked || (!wasRevoked && !got.RevokedAt.Equal(now)) {
					t.Fatalf("seed %d: revoke gave %+v", seed, got)
				}
				if before > 0 && usable(-1) == 0 {
					t.Fatalf("seed %d: revoking left no usable credential", seed)
				}
			}
		}
	}
}

func TestErrorCatalogue(t *testing.T) {
	t.Parallel()
	for _, c := range Codes() {
		if c.Kind() == KindInternal && c != CodeInternal {
			t.Errorf("%s has no kind", c)
		}
		if !regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`).MatchString(string(c)) {
			t.Errorf("%q is not snake_case", c)
		}
	}
	if Code("nope").Kind() != KindInternal || ErrorCode(nil) != CodeInternal {
		t.Errorf("unknown codes must be internal")
	}
	e := FieldErrorf(CodeInvalidField, "name", "bad %s", "name")
	if ErrorCode(e) != CodeInvalidField || len(e.Fields) != 1 || e.Fields[0].Param != "name" || e.Error() != "invalid_field: bad name" {
		t.Errorf("FieldErrorf = %+v", e)
	}
}
