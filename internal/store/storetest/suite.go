package storetest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

// Run is the conformance suite: it pins the behaviour of every exported method of store.Store on engine
// e. Every engine must pass it unchanged. Each subtest runs in parallel on its own fresh database.
func Run(t *testing.T, e Engine) {
	t.Helper()
	suites := []struct {
		name  string
		tests []namedTest
	}{
		{"Migrate", migrateTests},
		{"Partners", partnerTests},
		{"InTx", inTxTests},
		{"Instants", instantTests},
		{"Credentials", credentialTests},
		{"ListCredentials", listCredentialTests},
		{"RevokeCredential", revokeTests},
		{"TouchCredential", touchTests},
		{"SigningKeys", signingKeyTests},
		{"Idempotency", idempotencyTests},
		{"Webhooks", webhookTests},
		{"Customers", customerTests},
		{"Credit", creditTests},
		{"Loans", loanTests},
	}
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			for _, tc := range s.tests {
				t.Run(tc.name, func(t *testing.T) {
					t.Parallel()
					tc.fn(t, e)
				})
			}
		})
	}
}

// namedTest is one subtest of the suite.
type namedTest struct {
	name string
	fn   func(t *testing.T, e Engine)
}

// t0 is the suite's usual "now": a whole second, so that instants survive lending.NewCredential's
// truncation unchanged.
var t0 = time.Date(2025, 3, 14, 12, 0, 0, 0, time.UTC)

// opts compares domain values read back from a store: time.Time by Equal (cmp's default for types with
// an Equal method), and a nil slice equal to an empty one (scopes are stored as a space-separated string).
var opts = cmp.Options{cmpopts.EquateEmpty()}

// testCtx returns a context that ends the test's database calls instead of hanging forever if the store
// deadlocks.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// open returns a fresh migrated store of e and the manual clock it was given (reading t0).
func open(t *testing.T, e Engine) (*store.Store, *clock.Manual) {
	t.Helper()
	clk := clock.NewManual(t0)
	return e.Open(t, clk), clk
}

func hashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// mustPartner creates a partner named name at createdAt.
func mustPartner(t *testing.T, s *store.Store, name string, createdAt time.Time) lending.Partner {
	t.Helper()
	p, err := lending.NewPartner(name, createdAt)
	if err != nil {
		t.Fatalf("NewPartner(%q): %v", name, err)
	}
	ctx := testCtx(t)
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePartner(ctx, p) }); err != nil {
		t.Fatalf("CreatePartner(%q): %v", name, err)
	}
	return p
}

// mustScope creates a partner and returns its scope in env.
func mustScope(t *testing.T, s *store.Store, env lending.Environment) lending.Scope {
	t.Helper()
	p := mustPartner(t, s, "Partner "+ids.New(""), t0)
	return lending.Scope{PartnerID: p.ID, Environment: env}
}

// newCredential builds (without storing) a credential of scope created at now.
func newCredential(t *testing.T, scope lending.Scope, name string, now time.Time, expiresAt *time.Time) (lending.Credential, string) {
	t.Helper()
	c, secret, err := lending.NewCredential(lending.NewCredentialRequest{Scope: scope, Name: name, ExpiresAt: expiresAt}, now, hashSecret)
	if err != nil {
		t.Fatalf("NewCredential(%q): %v", name, err)
	}
	return c, secret
}

// mustCredential creates and stores a credential of scope created at now.
func mustCredential(t *testing.T, s *store.Store, scope lending.Scope, name string, now time.Time, expiresAt *time.Time) lending.Credential {
	t.Helper()
	c, _ := newCredential(t, scope, name, now, expiresAt)
	if err := s.CreateCredential(testCtx(t), c); err != nil {
		t.Fatalf("CreateCredential(%q): %v", name, err)
	}
	return c
}

// mustGetCredential reads clientID back by id.
func mustGetCredential(t *testing.T, s *store.Store, clientID string) lending.Credential {
	t.Helper()
	c, err := s.CredentialByClientID(testCtx(t), clientID)
	if err != nil {
		t.Fatalf("CredentialByClientID(%s): %v", clientID, err)
	}
	return c
}

// wantCode fails t unless err is a *lending.Error with code.
func wantCode(t *testing.T, what string, err error, code lending.Code) *lending.Error {
	t.Helper()
	le, ok := errors.AsType[*lending.Error](err)
	if !ok {
		t.Errorf("%s: error = %v (%T), want *lending.Error %s", what, err, err, code)
		return nil
	}
	if le.Code != code {
		t.Errorf("%s: error code = %s (%v), want %s", what, le.Code, err, code)
	}
	return le
}

func ptr[T any](v T) *T { return &v }

// cmpDiff is cmp.Diff with the suite's options.
func cmpDiff(want, got any) string { return cmp.Diff(want, got, opts) }
