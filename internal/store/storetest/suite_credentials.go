package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var credentialTests = []namedTest{
	{"CreateAndRead", testCredentialCreateAndRead},
	{"CreateWithPartnerInOneTx", testCredentialCreateWithPartnerInOneTx},
	{"ByClientIDUnknown", testCredentialByClientIDUnknown},
	{"ForeignKey", testCredentialForeignKey},
	{"DuplicateID", testCredentialDuplicateID},
	{"NotFoundOutsideScope", testCredentialNotFoundOutsideScope},
}

func testCredentialCreateAndRead(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, clk := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	clk.Advance(1500 * time.Millisecond) // NewCredential truncates now to the second
	cases := []struct {
		name string
		req  lending.NewCredentialRequest
	}{
		{"plain", lending.NewCredentialRequest{Scope: scope, Name: "Backend"}},
		{"scoped and expiring", lending.NewCredentialRequest{Scope: scope, Name: "KYC app ? 'quoted'",
			ExpiresAt: ptr(t0.Add(90 * 24 * time.Hour)), Scopes: []string{lending.ScopeBiometricsExchange}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cred, secret, err := lending.NewCredential(c.req, clk.Now(), hashSecret)
			if err != nil {
				t.Fatalf("NewCredential: %v", err)
			}
			if err := s.CreateCredential(ctx, cred); err != nil {
				t.Fatalf("CreateCredential: %v", err)
			}
			got := mustGetCredential(t, s, cred.ClientID)
			if diff := cmpDiff(cred, got); diff != "" {
				t.Errorf("CredentialByClientID (-want +got):\n%s", diff)
			}
			if got.SecretHash != hashSecret(secret) {
				t.Errorf("SecretHash = %q, want the hash of the secret", got.SecretHash)
			}
			if !got.CreatedAt.Equal(t0.Add(time.Second)) {
				t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, t0.Add(time.Second))
			}
			inScope, err := s.Credential(ctx, scope, cred.ClientID)
			if err != nil {
				t.Fatalf("Credential(scope, id): %v", err)
			}
			if diff := cmpDiff(cred, inScope); diff != "" {
				t.Errorf("Credential(scope, id) (-want +got):\n%s", diff)
			}
		})
	}
}

// testCredentialCreateWithPartnerInOneTx creates a partner and its first credential in one transaction,
// the way onboarding does: the foreign key sees the uncommitted partner.
func testCredentialCreateWithPartnerInOneTx(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p, _ := lending.NewPartner("Acme", t0)
	cred, _ := newCredential(t, lending.Scope{PartnerID: p.ID, Environment: lending.EnvTest}, "first", t0, nil)
	err := s.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		return tx.CreateCredential(ctx, cred)
	})
	if err != nil {
		t.Fatalf("InTx(CreatePartner, CreateCredential): %v", err)
	}
	if diff := cmpDiff(cred, mustGetCredential(t, s, cred.ClientID)); diff != "" {
		t.Errorf("credential (-want +got):\n%s", diff)
	}
}

func testCredentialByClientIDUnknown(t *testing.T, e Engine) {
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	mustCredential(t, s, scope, "one", t0, nil)
	for _, id := range []string{ids.New("dinie_ci_test_"), "", "' OR '1'='1"} {
		if _, err := s.CredentialByClientID(testCtx(t), id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CredentialByClientID(%q) error = %v, want store.ErrNotFound", id, err)
		}
	}
}

func testCredentialForeignKey(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	mustPartner(t, s, "Existing", t0)
	missing := lending.Scope{PartnerID: ids.New("prt_"), Environment: lending.EnvTest}

	cred, _ := newCredential(t, missing, "orphan", t0, nil)
	if err := s.CreateCredential(ctx, cred); err == nil {
		t.Errorf("CreateCredential for a missing partner succeeded, want a foreign-key error")
	}
	cred2, _ := newCredential(t, missing, "orphan in tx", t0, nil)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreateCredential(ctx, cred2) }); err == nil {
		t.Errorf("tx.CreateCredential for a missing partner succeeded, want a foreign-key error")
	}
	for _, c := range []lending.Credential{cred, cred2} {
		if _, err := s.CredentialByClientID(ctx, c.ClientID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("CredentialByClientID(%s) of a refused credential: error = %v, want store.ErrNotFound", c.Name, err)
		}
	}
}

func testCredentialDuplicateID(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	other := mustScope(t, s, lending.EnvTest)
	cred := mustCredential(t, s, scope, "original", t0, nil)

	cases := []struct {
		name   string
		mutate func(*lending.Credential)
	}{
		{"same scope", func(c *lending.Credential) { c.Name = "copy" }},
		{"other partner", func(c *lending.Credential) { c.Name = "copy"; c.PartnerID = other.PartnerID }},
		{"other environment", func(c *lending.Credential) { c.Name = "copy"; c.Environment = lending.EnvLive }},
	}
	for _, c := range cases {
		dup := cred
		c.mutate(&dup)
		if err := s.CreateCredential(ctx, dup); err == nil {
			t.Errorf("%s: CreateCredential with a taken id succeeded, want an error", c.name)
		}
	}
	if diff := cmpDiff(cred, mustGetCredential(t, s, cred.ClientID)); diff != "" {
		t.Errorf("credential after duplicate inserts (-want +got):\n%s", diff)
	}
}

func testCredentialNotFoundOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	otherPartner := mustScope(t, s, lending.EnvTest)
	cred := mustCredential(t, s, scope, "mine", t0, nil)
	theirs := mustCredential(t, s, otherPartner, "theirs", t0, nil)

	cases := []struct {
		name     string
		scope    lending.Scope
		clientID string
	}{
		{"other partner's id", scope, theirs.ClientID},
		{"own id asked by another partner", otherPartner, cred.ClientID},
		{"own id in the other environment", lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, cred.ClientID},
		{"unknown id", scope, ids.New("dinie_ci_test_")},
		{"unknown partner", lending.Scope{PartnerID: ids.New("prt_"), Environment: lending.EnvTest}, cred.ClientID},
	}
	for _, c := range cases {
		_, err := s.Credential(ctx, c.scope, c.clientID)
		wantCode(t, c.name, err, lending.CodeCredentialNotFound)
	}
}
