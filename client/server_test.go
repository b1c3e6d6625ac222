package client_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/blob"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/httpapi"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/platform"
	"github.com/dinie-oss/dinie/internal/ratelimit"
	"github.com/dinie-oss/dinie/internal/store"
)

// sandbox is a real Dinie server on a loopback port, over a fresh SQLite database in a temporary
// folder, with its job workers running (enrichment, KYC review, credit analysis, Pix settlement, webhook
// deliveries), and one partner with a test and a live credential. It is built the way
// internal/httpapi's test harness builds its server.
type sandbox struct {
	// URL is the API's base URL, ".../api/v3".
	URL string
	// TestID and TestSecret are the partner's test credential; LiveID and LiveSecret its live one.
	TestID, TestSecret string
	LiveID, LiveSecret string

	partnerID string
	store     *store.Store
	clock     clock.Clock
	close     []func()
}

// startSandbox starts a sandbox. Examples call it directly and defer Close; tests use newSandbox.
func startSandbox() (*sandbox, error) {
	return startSandboxWith(ratelimit.NewMemory(ratelimit.Config{PerSecond: 1e6, Burst: 1e6}))
}

// startSandboxWith starts a sandbox whose API rate-limits with limiter.
func startSandboxWith(limiter ratelimit.Limiter) (*sandbox, error) {
	ctx := context.Background()
	sb := &sandbox{clock: clock.System{}}
	ok := false
	defer func() {
		if !ok {
			sb.Close()
		}
	}()
	dir, err := os.MkdirTemp("", "dinie-client-test-")
	if err != nil {
		return nil, err
	}
	sb.close = append(sb.close, func() { os.RemoveAll(dir) })

	st, err := store.Open(ctx, filepath.Join(dir, "dinie.db"), store.Options{Clock: sb.clock})
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	sb.store = st
	sb.close = append(sb.close, func() { st.Close() })
	if err := st.Migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		return nil, fmt.Errorf("jobs.Migrate: %w", err)
	}
	blobs, err := blob.NewDir(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, err
	}
	authn, err := auth.New(ctx, st, sb.clock)
	if err != nil {
		return nil, err
	}
	quiet := slog.New(slog.DiscardHandler)
	srv := httptest.NewUnstartedServer(nil)
	publicURL := "http://" + srv.Listener.Addr().String()
	pf, err := platform.New(platform.Config{
		Store: st, Clock: sb.clock, Logger: quiet, Blobs: blobs, Work: true, PublicURL: publicURL,
		PixSettleAfter: 50 * time.Millisecond,
		Jobs:           jobs.Config{PollInterval: 20 * time.Millisecond},
		RetrySchedule:  func(n int) (time.Duration, bool) { return time.Duration(n) * 20 * time.Millisecond, n < 3 },
	})
	if err != nil {
		return nil, fmt.Errorf("platform.New: %w", err)
	}
	if err := pf.Jobs.Start(ctx); err != nil {
		return nil, fmt.Errorf("start jobs: %w", err)
	}
	// Closed in reverse order: the HTTP server, then the workers, then the store.
	sb.close = append(sb.close, func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		_ = pf.Jobs.Stop(ctx)
	})
	srv.Config.Handler = httpapi.New(httpapi.Config{
		Store: st, Auth: authn, Clock: sb.clock, Logger: quiet, PublicURL: publicURL,
		Limiter: limiter,
		Events:  pf.Events, Customers: pf.Customers, Credit: pf.Credit, Loans: pf.Loans, PixLedger: pf.PixLedger,
	})
	srv.Start()
	sb.close = append(sb.close, srv.Close)
	sb.URL = srv.URL + "/api/v3"

	p, err := lending.NewPartner("Client Example Partner", sb.clock.Now())
	if err != nil {
		return nil, err
	}
	sb.partnerID = p.ID
	if err := st.InTx(ctx, func(tx *store.Tx) error { return tx.CreatePartner(ctx, p) }); err != nil {
		return nil, err
	}
	if sb.TestID, sb.TestSecret, err = sb.newCredential(lending.EnvTest, "first test"); err != nil {
		return nil, err
	}
	if sb.LiveID, sb.LiveSecret, err = sb.newCredential(lending.EnvLive, "first live"); err != nil {
		return nil, err
	}
	ok = true
	return sb, nil
}

// newCredential creates a credential of the partner in env, as an operator would (with scopes beyond
// the partner API, such as biometrics:exchange).
func (sb *sandbox) newCredential(env lending.Environment, name string, scopes ...string) (id, secret string, err error) {
	c, secret, err := lending.NewCredential(lending.NewCredentialRequest{
		Scope: lending.Scope{PartnerID: sb.partnerID, Environment: env}, Name: name, Scopes: scopes,
	}, sb.clock.Now(), auth.HashSecret)
	if err != nil {
		return "", "", err
	}
	if err := sb.store.CreateCredential(context.Background(), c); err != nil {
		return "", "", err
	}
	return c.ClientID, secret, nil
}

// Close stops the server and removes its files.
func (sb *sandbox) Close() {
	for i := len(sb.close) - 1; i >= 0; i-- {
		sb.close[i]()
	}
	sb.close = nil
}

// newSandbox starts a sandbox for t, closed when t ends.
func newSandbox(t *testing.T) *sandbox {
	t.Helper()
	sb, err := startSandbox()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sb.Close)
	return sb
}

// eventually calls check every 20 ms until it reports done, fails, or 20 s pass.
func eventually(ctx context.Context, check func() (done bool, err error)) error {
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.New("timed out waiting")
		case <-time.After(20 * time.Millisecond):
		}
	}
}
