package auth

import (
	"context"
	"errors"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

// countingStore is the real store, counting the reads and writes auth makes of credentials.
type countingStore struct {
	*store.Store
	reads, touches atomic.Int64
}

func (c *countingStore) CredentialByClientID(ctx context.Context, clientID string) (lending.Credential, error) {
	c.reads.Add(1)
	return c.Store.CredentialByClientID(ctx, clientID)
}

func (c *countingStore) TouchCredential(ctx context.Context, clientID string, now time.Time, g time.Duration) error {
	c.touches.Add(1)
	return c.Store.TouchCredential(ctx, clientID, now, g)
}

type fixture struct {
	st     *countingStore
	clk    *clock.Manual
	a      *Authenticator
	scope  lending.Scope
	id     string
	secret string
}

// newFixture opens a SQLite store with two active credentials of one partner (so one can be revoked).
func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	clk := clock.NewManual(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "a.db"), store.Options{Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{st: &countingStore{Store: st}, clk: clk}
	err = st.InTx(ctx, func(tx *store.Tx) error {
		p, err := lending.NewPartner("P", clk.Now())
		if err != nil {
			return err
		}
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		f.scope = lending.Scope{PartnerID: p.ID, Environment: lending.EnvTest}
		for i := range 2 {
			cred, secret, err := lending.NewCredential(lending.NewCredentialRequest{Scope: f.scope, Name: "c"}, clk.Now(), HashSecret)
			if err != nil {
				return err
			}
			if i == 0 {
				f.id, f.secret = cred.ClientID, secret
			}
			if err := tx.CreateCredential(ctx, cred); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.a, err = New(ctx, f.st, clk); err != nil {
		t.Fatal(err)
	}
	return f
}

// token issues an access token for the fixture's first credential.
func (f *fixture) token(t *testing.T) string {
	t.Helper()
	tok, err := f.a.IssueToken(context.Background(), f.id, f.secret)
	if err != nil {
		t.Fatal(err)
	}
	return tok.AccessToken
}

func wantCode(t *testing.T, what string, err error, code lending.Code) {
	t.Helper()
	var le *lending.Error
	if !errors.As(err, &le) || le.Code != code {
		t.Fatalf("%s: %v; want code %s", what, err, code)
	}
}

// TestVerifyRemembersTokensAndCredentials: verifying the same token again reads nothing and writes
// nothing, and gives the same principal; a forged token is never remembered; a remembered token still
// expires on time.
func TestVerifyRemembersTokensAndCredentials(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	tok := f.token(t)
	first, err := f.a.Verify(ctx, tok)
	if err != nil {
		t.Fatal(err)
	}
	reads, touches := f.st.reads.Load(), f.st.touches.Load()
	for range 100 {
		p, err := f.a.Verify(ctx, tok)
		if err != nil {
			t.Fatal(err)
		}
		if p.ClientID != first.ClientID || p.Scope != first.Scope || p.Scope != f.scope {
			t.Fatalf("principal %+v, want %+v", p, first)
		}
	}
	if r, w := f.st.reads.Load()-reads, f.st.touches.Load()-touches; r != 0 || w != 0 {
		t.Fatalf("100 verifications of a remembered token: %d credential reads, %d touches; want none", r, w)
	}

	forged := tok[:len(tok)-2] + "AA"
	if forged == tok {
		forged = tok[:len(tok)-2] + "BB"
	}
	for range 2 {
		_, err := f.a.Verify(ctx, forged)
		wantCode(t, "a forged token", err, lending.CodeInvalidToken)
	}
	if _, ok := f.a.tokens.get(forged[len(TokenPrefix):]); ok {
		t.Fatal("a forged token was remembered")
	}

	f.clk.Advance(TokenTTL)
	_, err = f.a.Verify(ctx, tok)
	wantCode(t, "a remembered token at its expiry", err, lending.CodeTokenExpired)
}

// TestVerifySeesRevocation: revoking through the Authenticator's process (Forget) applies to the next
// request; a revocation it did not see (another process) applies once the remembered row is older than
// credentialTTL.
func TestVerifySeesRevocation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, sameProcess := range []bool{true, false} {
		f := newFixture(t)
		tok := f.token(t)
		if _, err := f.a.Verify(ctx, tok); err != nil {
			t.Fatal(err)
		}
		if _, err := f.st.RevokeCredential(ctx, f.scope, f.id, f.clk.Now()); err != nil {
			t.Fatal(err)
		}
		if sameProcess {
			f.a.Forget(f.id)
		} else {
			if _, err := f.a.Verify(ctx, tok); err != nil {
				t.Fatalf("within credentialTTL of the last read: %v", err)
			}
			f.a.credCache.mu.Lock()
			v := f.a.credCache.m[f.id]
			v.readAt = v.readAt.Add(-credentialTTL)
			f.a.credCache.m[f.id] = v
			f.a.credCache.mu.Unlock()
		}
		_, err := f.a.Verify(ctx, tok)
		wantCode(t, "a revoked credential's token", err, lending.CodeInvalidToken)
		_, err = f.a.IssueToken(ctx, f.id, f.secret)
		wantCode(t, "a token for a revoked credential", err, lending.CodeInvalidClient)
	}
}

// TestVerifyTouchesOncePerGranularity: the remembered credential learns of its own touch, so requests
// write last_used_at once per touchGranularity, not on every remembered read.
func TestVerifyTouchesOncePerGranularity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	tok := f.token(t)
	base := f.st.touches.Load()
	var last time.Time
	for i := range 6 {
		for range 20 {
			if _, err := f.a.Verify(ctx, tok); err != nil {
				t.Fatal(err)
			}
		}
		if got := f.st.touches.Load() - base; got != int64(i) {
			t.Fatalf("after %d granularity periods: %d touches, want %d", i, got, i)
		}
		last = f.clk.Now()
		f.clk.Advance(touchGranularity + time.Second)
	}
	cred, err := f.st.Store.CredentialByClientID(ctx, f.id)
	if err != nil || cred.LastUsedAt == nil || !cred.LastUsedAt.Equal(last) {
		t.Fatalf("stored last_used_at %v, %v; want the last touch, %v", cred.LastUsedAt, err, last)
	}
}
