package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/httpapi"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/ratelimit"
	"github.com/dinie-oss/dinie/internal/store"
)

func (m *Main) serve(ctx context.Context, args []string) error {
	var d dbFlags
	fs := m.newFlagSet("serve", &d)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	perSecond := fs.Float64("rate-limit", 100, "requests per second each credential (or client address) may sustain")
	burst := fs.Int("rate-burst", 200, "requests a credential may make at once before the rate limit applies")
	maxBody := fs.Int64("max-body-bytes", 1<<20, "largest request body accepted")
	drain := fs.Duration("shutdown-timeout", 30*time.Second, "how long SIGTERM waits for in-flight requests")
	publicURL := fs.String("public-url", "", "the server's address as customers' browsers reach it, for the hosted KYC and signing pages (default: http:// and --addr)")
	debug := fs.Bool("debug", false, "log at debug level")
	pprofAddr := fs.String("pprof-addr", "", "also serve Go's profiler (net/http/pprof) on this address, e.g. 127.0.0.1:6060; keep it private (default: off)")
	workers := fs.Bool("workers", true, "also run the job workers (webhook deliveries and other asynchronous work); false leaves them to `dinie worker` processes")
	var wf workerFlags
	wf.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	log := m.logger(level)
	slog.SetDefault(log)

	if err := os.MkdirAll(d.dataDir, 0o750); err != nil {
		return fmt.Errorf("create data dir: %w", err)
	}
	clk := clock.System{}
	st, err := m.openStore(ctx, d, clk)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := m.bootstrapSandbox(ctx, st, clk, d.dataDir, log); err != nil {
		return err
	}
	authn, err := auth.New(ctx, st, clk)
	if err != nil {
		return err
	}
	pf, err := wf.platform(st, d, log, *workers, publicBase(*publicURL, *addr))
	if err != nil {
		return err
	}
	jc := pf.Jobs
	if *workers {
		if err := jc.Start(ctx); err != nil {
			return err
		}
		if n, err := pf.Loans.RequeueDisbursements(ctx); err != nil {
			return err
		} else if n > 0 {
			log.Info("requeued the disbursements of loans left in processing", "count", n)
		}
		defer stopJobs(jc, *drain, log)
	}
	api := httpapi.New(httpapi.Config{
		Store:        st,
		Auth:         authn,
		Events:       pf.Events,
		Customers:    pf.Customers,
		Credit:       pf.Credit,
		Loans:        pf.Loans,
		PixLedger:    pf.PixLedger,
		PublicURL:    publicBase(*publicURL, *addr),
		Clock:        clk,
		Limiter:      ratelimit.NewMemory(ratelimit.Config{PerSecond: *perSecond, Burst: *burst}),
		Logger:       log,
		MaxBodyBytes: *maxBody,
	})
	srv := api.HTTPServer(*addr)
	if *pprofAddr != "" {
		stopProfiler, err := serveProfiler(*pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiler()
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	log.Info("listening", "addr", ln.Addr().String(), "engine", st.Engine())
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}

	go purgeIdempotencyKeys(ctx, st, clk, log)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running past the deadline are cut off before the store closes under them.
		_ = srv.Close()
		<-errc
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// openStore opens and migrates the database.
func (m *Main) openStore(ctx context.Context, d dbFlags, clk clock.Clock) (*store.Store, error) {
	st, err := store.Open(ctx, d.dsn(m.Getenv), store.Options{Clock: clk})
	if err != nil {
		return nil, err
	}
	if err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, err
	}
	if err := jobs.Migrate(ctx, st); err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// sandboxCredentials is the file a new user reads to call the API at once.
type sandboxCredentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// bootstrapSandbox creates, on the very first start (no partner at all), a partner "Sandbox" with a
// test credential, writes its credentials to <data dir>/sandbox-credentials.json and logs them once.
func (m *Main) bootstrapSandbox(ctx context.Context, st *store.Store, clk clock.Clock, dataDir string, log *slog.Logger) error {
	var created *sandboxCredentials
	err := st.InTx(ctx, func(tx *store.Tx) error {
		// Serialized, so that servers starting together on one database make one Sandbox between them.
		if err := tx.Serialize(ctx); err != nil {
			return err
		}
		n, err := tx.CountPartners(ctx)
		if err != nil || n > 0 {
			return err
		}
		p, err := lending.NewPartner("Sandbox", clk.Now())
		if err != nil {
			return err
		}
		if err := tx.CreatePartner(ctx, p); err != nil {
			return err
		}
		cred, secret, err := lending.NewCredential(lending.NewCredentialRequest{
			Scope: lending.Scope{PartnerID: p.ID, Environment: lending.EnvTest}, Name: "Sandbox",
		}, clk.Now(), auth.HashSecret)
		if err != nil {
			return err
		}
		created = &sandboxCredentials{ClientID: cred.ClientID, ClientSecret: secret}
		return tx.CreateCredential(ctx, cred)
	})
	if err != nil || created == nil {
		return err
	}
	path := filepath.Join(dataDir, "sandbox-credentials.json")
	b, _ := json.MarshalIndent(created, "", "  ")
	if err := writePrivateFile(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	// The one time a secret is logged: the operator asked for a ready-to-use sandbox.
	log.Info("created the Sandbox partner with a test credential; this secret is shown only now",
		"client_id", created.ClientID, "client_secret", created.ClientSecret, "file", path)
	return nil
}

// purgeIdempotencyKeys deletes expired idempotency keys every ten minutes until ctx ends.
func purgeIdempotencyKeys(ctx context.Context, st *store.Store, clk clock.Clock, log *slog.Logger) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if n, err := st.PurgeIdempotencyKeys(ctx, clk.Now()); err != nil {
				log.Warn("purge idempotency keys", "error", err.Error())
			} else if n > 0 {
				log.Info("purged expired idempotency keys", "count", n)
			}
		}
	}
}

func (m *Main) migrate(ctx context.Context, args []string) error {
	var d dbFlags
	fs := m.newFlagSet("migrate", &d)
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := m.openStore(ctx, d, clock.System{})
	if err != nil {
		return err
	}
	defer st.Close()
	v, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "schema at %s (%s)\n", v, st.Engine())
	return nil
}

// writePrivateFile replaces path with b, readable by the owner only, whatever mode an older file had.
func writePrivateFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// publicBase is the configured public URL, or http:// and the listen address (localhost for an
// unspecified host).
func publicBase(configured, addr string) string {
	if configured != "" {
		return strings.TrimSuffix(configured, "/")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// serveProfiler serves net/http/pprof on addr, on its own listener and mux so that the profiler is never
// reachable through the API's address. It returns a function that stops it.
func serveProfiler(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	log.Info("profiler listening", "addr", ln.Addr().String())
	go func() { _ = srv.Serve(ln) }()
	return func() { _ = srv.Close() }, nil
}
