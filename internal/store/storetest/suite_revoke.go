package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var revokeTests = []namedTest{
	{"OneOfTwo", testRevokeOneOfTwo},
	{"ExpiredDoesNotCount", testRevokeExpiredDoesNotCount},
	{"OtherScopesDoNotCount", testRevokeOtherScopesDoNotCount},
	{"OutsideScope", testRevokeOutsideScope},
	{"Concurrent", testRevokeConcurrent},
}

// revoked is c as RevokeCredential should leave it at now.
func revoked(c lending.Credential, now time.Time) lending.Credential {
	c.Status = lending.CredentialRevoked
	c.RevokedAt = ptr(now)
	c.UpdatedAt = now
	return c
}

func testRevokeOneOfTwo(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, clk := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	a := mustCredential(t, s, scope, "a", t0, nil)
	b := mustCredential(t, s, scope, "b", t0, nil)
	now := clk.Advance(time.Hour + 250*time.Millisecond) // sub-second, whole microseconds

	// Revoking one of two active credentials succeeds and stamps now.
	got, err := s.RevokeCredential(ctx, scope, a.ClientID, now)
	if err != nil {
		t.Fatalf("RevokeCredential(a): %v", err)
	}
	wantA := revoked(a, now)
	if diff := cmpDiff(wantA, got); diff != "" {
		t.Errorf("RevokeCredential(a) returned (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(wantA, mustGetCredential(t, s, a.ClientID)); diff != "" {
		t.Errorf("a after revocation (-want +got):\n%s", diff)
	}

	// b is now the last active one: refused, and nothing changes.
	later := clk.Advance(time.Minute)
	_, err = s.RevokeCredential(ctx, scope, b.ClientID, later)
	wantCode(t, "RevokeCredential(last active b)", err, lending.CodeLastActiveCredential)
	if diff := cmpDiff(b, mustGetCredential(t, s, b.ClientID)); diff != "" {
		t.Errorf("b after a refused revocation (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(wantA, mustGetCredential(t, s, a.ClientID)); diff != "" {
		t.Errorf("a after b's refused revocation (-want +got):\n%s", diff)
	}

	// Revoking a again is a successful no-op: the first revocation's instants stay.
	got, err = s.RevokeCredential(ctx, scope, a.ClientID, later)
	if err != nil {
		t.Fatalf("RevokeCredential(a) again: %v", err)
	}
	if diff := cmpDiff(wantA, got); diff != "" {
		t.Errorf("RevokeCredential(a) again returned (-want +got):\n%s", diff)
	}
	if diff := cmpDiff(wantA, mustGetCredential(t, s, a.ClientID)); diff != "" {
		t.Errorf("a after revoking it again (-want +got):\n%s", diff)
	}
}

// testRevokeExpiredDoesNotCount: an expired credential is not "another active one", so it cannot keep
// the partner's last usable credential revocable; the expired one itself can always be revoked.
func testRevokeExpiredDoesNotCount(t *testing.T, e Engine) {
	cases := []struct {
		name string
		// expiresIn is how long after t0 the second credential expires; the revocations happen at t0+1h.
		expiresIn time.Duration
		// activeRevocable is whether the never-expiring credential may then be revoked.
		activeRevocable bool
	}{
		{"expired an hour ago", time.Minute, false},
		{"expires exactly now", time.Hour, false},
		{"expires a microsecond later", time.Hour + time.Microsecond, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := testCtx(t)
			s, clk := open(t, e)
			scope := mustScope(t, s, lending.EnvTest)
			active := mustCredential(t, s, scope, "active", t0, nil)
			expiring := mustCredential(t, s, scope, "expiring", t0, ptr(t0.Add(c.expiresIn)))
			now := clk.Advance(time.Hour)

			got, err := s.RevokeCredential(ctx, scope, active.ClientID, now)
			if c.activeRevocable {
				if err != nil {
					t.Fatalf("RevokeCredential(active) with another still usable: %v", err)
				}
				if diff := cmpDiff(revoked(active, now), got); diff != "" {
					t.Errorf("RevokeCredential(active) (-want +got):\n%s", diff)
				}
				return
			}
			wantCode(t, "RevokeCredential(active) beside an expired one", err, lending.CodeLastActiveCredential)
			if diff := cmpDiff(active, mustGetCredential(t, s, active.ClientID)); diff != "" {
				t.Errorf("active after a refused revocation (-want +got):\n%s", diff)
			}
			got, err = s.RevokeCredential(ctx, scope, expiring.ClientID, now)
			if err != nil {
				t.Fatalf("RevokeCredential(expired): %v", err)
			}
			if diff := cmpDiff(revoked(expiring, now), got); diff != "" {
				t.Errorf("RevokeCredential(expired) (-want +got):\n%s", diff)
			}
			if diff := cmpDiff(revoked(expiring, now), mustGetCredential(t, s, expiring.ClientID)); diff != "" {
				t.Errorf("expired after revocation (-want +got):\n%s", diff)
			}
		})
	}
}

// testRevokeOtherScopesDoNotCount: active credentials of the same partner's other environment, or of
// another partner, do not make a scope's last credential revocable; neither does a revoked one.
func testRevokeOtherScopesDoNotCount(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, clk := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	last := mustCredential(t, s, scope, "last", t0, nil)
	gone := mustCredential(t, s, scope, "gone", t0, nil)
	mustCredential(t, s, lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, "live", t0, nil)
	mustCredential(t, s, lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, "live 2", t0, nil)
	other := mustScope(t, s, lending.EnvTest)
	mustCredential(t, s, other, "other", t0, nil)
	mustCredential(t, s, other, "other 2", t0, nil)
	now := clk.Advance(time.Second)
	if _, err := s.RevokeCredential(ctx, scope, gone.ClientID, now); err != nil {
		t.Fatalf("RevokeCredential(gone): %v", err)
	}
	_, err := s.RevokeCredential(ctx, scope, last.ClientID, now)
	wantCode(t, "RevokeCredential(last of its scope)", err, lending.CodeLastActiveCredential)
	if got := mustGetCredential(t, s, last.ClientID); got.Status != lending.CredentialActive {
		t.Errorf("last: status %s after a refused revocation, want active", got.Status)
	}
}

func testRevokeOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, clk := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	a := mustCredential(t, s, scope, "a", t0, nil)
	mustCredential(t, s, scope, "b", t0, nil)
	other := mustScope(t, s, lending.EnvTest)
	mustCredential(t, s, other, "theirs", t0, nil)
	now := clk.Advance(time.Second)
	cases := []struct {
		name     string
		scope    lending.Scope
		clientID string
	}{
		{"other partner", other, a.ClientID},
		{"other environment", lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, a.ClientID},
		{"unknown partner", lending.Scope{PartnerID: ids.New("prt_"), Environment: lending.EnvTest}, a.ClientID},
		{"unknown id", scope, ids.New("dinie_ci_test_")},
	}
	for _, c := range cases {
		_, err := s.RevokeCredential(ctx, c.scope, c.clientID, now)
		wantCode(t, c.name, err, lending.CodeCredentialNotFound)
	}
	if diff := cmpDiff(a, mustGetCredential(t, s, a.ClientID)); diff != "" {
		t.Errorf("a after revocations from outside its scope (-want +got):\n%s", diff)
	}
}

// testRevokeConcurrent revokes each of a scope's 10 active credentials from its own goroutine at once:
// the last-active rule must hold under concurrency, so exactly one survives.
func testRevokeConcurrent(t *testing.T, e Engine) {
	const n = 10
	s, clk := open(t, e)
	for round := range 3 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			ctx := testCtx(t)
			scope := mustScope(t, s, lending.EnvTest)
			creds := make([]lending.Credential, n)
			for i := range creds {
				creds[i] = mustCredential(t, s, scope, fmt.Sprintf("cred %d", i), t0, nil)
			}
			now := clk.Advance(time.Second)
			start := make(chan struct{})
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i, c := range creds {
				wg.Go(func() {
					<-start
					_, errs[i] = s.RevokeCredential(ctx, scope, c.ClientID, now)
				})
			}
			close(start)
			wg.Wait()
			var ok, last int
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
				case lending.ErrorCode(err) == lending.CodeLastActiveCredential:
					last++
				default:
					t.Errorf("RevokeCredential(cred %d): unexpected error %v", i, err)
				}
			}
			if ok != n-1 || last != 1 {
				t.Errorf("concurrent revocations: %d succeeded and %d got %s; want %d and 1",
					ok, last, lending.CodeLastActiveCredential, n-1)
			}
			items, _, err := s.ListCredentials(ctx, scope, store.Page{Limit: 100})
			if err != nil {
				t.Fatalf("ListCredentials: %v", err)
			}
			active := 0
			for _, c := range items {
				if c.Status == lending.CredentialActive {
					active++
				}
			}
			if active != 1 {
				t.Errorf("after concurrent revocations %d credentials are active, want exactly 1", active)
			}
		})
	}
}
