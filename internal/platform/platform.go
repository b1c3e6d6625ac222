// Package platform wires the platform's parts together: the job engine with every worker, the event
// emitter, and the use-case services, over one store. The server, the worker process and the tests all
// build the platform here, so they run the same thing.
package platform

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/dinie-oss/dinie/internal/banks"
	"github.com/dinie-oss/dinie/internal/blob"
	"github.com/dinie-oss/dinie/internal/ccb"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/credit"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/delivery"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/loans"
	"github.com/dinie-oss/dinie/internal/providers"
	"github.com/dinie-oss/dinie/internal/sandboxclock"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/webhook"
)

// Config is what the platform is built from. Zero values take the defaults each field names.
type Config struct {
	Store  *store.Store
	Clock  clock.Clock // default: the system clock
	Logger *slog.Logger
	// Blobs keeps uploaded files (required).
	Blobs blob.Store
	// Work makes this process run the job workers; without it jobs are only queued, for `dinie worker`
	// processes to run.
	Work bool
	// Jobs tunes the job engine (its Workers field is filled in here).
	Jobs jobs.Config
	// RetrySchedule is the webhook retry schedule (default webhook.RetryDelay with jitter).
	RetrySchedule func(attempt int) (time.Duration, bool)
	// AllowPrivateLive lets live webhook deliveries reach private addresses (tests on one machine only).
	AllowPrivateLive bool
	// Registry is the company registry (default: the sandbox registry).
	Registry providers.Registry
	// Bureau is the credit bureau (default: the sandbox bureau).
	Bureau providers.Bureau
	// Policy turns credit profiles into offers (default: lending.DefaultPolicy).
	Policy *lending.Policy
	// PublicURL is where customers' browsers reach this server (the hosted signing page's links).
	PublicURL string
	// Loans is the lender's side of every contract (creditor, place, ISPB, time to sign, late terms);
	// zero fields take the defaults of DefaultLoans.
	Loans loans.Config
	// Pix is the Pix rail (default: the sandbox rail, settling after PixSettleAfter, default 2 s).
	Pix            providers.PixRail
	PixSettleAfter time.Duration
	// Verifiers decide KYC per environment (default: the sandbox verifier for test, an operator for live).
	Verifiers map[lending.Environment]providers.KYCVerifier
}

// Platform is the wired platform.
type Platform struct {
	Jobs      *jobs.Client
	Events    *events.Emitter
	Customers *customers.Service
	Credit    *credit.Service
	Loans     *loans.Service
	// PixLedger is the sandbox rail's ledger, for the sandbox control that decides a held transfer.
	PixLedger loans.Ledger
}

// DefaultLoans returns the loans configuration a deployment starts with: fill in the creditor before
// lending for real.
func DefaultLoans() loans.Config {
	return loans.Config{
		Creditor: ccb.Party{Name: "Dinie Sociedade de Crédito Direto S.A. (sandbox)", Document: "11.222.333/0001-81",
			Address: "Av. Paulista, 1000, Bela Vista, São Paulo, SP, 01310-100"},
		Place: "São Paulo, SP", ISPB: "99999999", SignFor: 7 * 24 * time.Hour, Late: lending.DefaultLateTerms(),
	}
}

// sweepWorker runs every part's time-based work: offer expiry, unsigned loans, arrears.
type sweepWorker struct {
	river.WorkerDefaults[jobs.Sweep]
	parts []func(context.Context) error
}

func (w *sweepWorker) Work(ctx context.Context, _ *river.Job[jobs.Sweep]) error {
	var errs []error
	for _, part := range w.parts {
		errs = append(errs, part(ctx))
	}
	return errors.Join(errs...)
}

// New wires the platform of cfg. It does not start the workers: call Jobs.Start.
func New(cfg Config) (*Platform, error) {
	if cfg.Store == nil || cfg.Blobs == nil {
		return nil, fmt.Errorf("platform: a store and a blob store are required")
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RetrySchedule == nil {
		cfg.RetrySchedule = func(n int) (time.Duration, bool) { return webhook.RetryDelay(n, rand.Float64) }
	}
	if cfg.Registry == nil {
		cfg.Registry = providers.SandboxRegistry{}
	}
	if cfg.Verifiers == nil {
		cfg.Verifiers = map[lending.Environment]providers.KYCVerifier{
			lending.EnvTest: providers.SandboxVerifier{},
			lending.EnvLive: providers.OperatorVerifier{},
		}
	}
	if cfg.Bureau == nil {
		cfg.Bureau = providers.SandboxBureau{}
	}
	policy := lending.DefaultPolicy()
	if cfg.Policy != nil {
		policy = *cfg.Policy
	}
	if err := policy.Validate(); err != nil {
		return nil, err
	}
	cr := &credit.Service{Store: cfg.Store, Bureau: cfg.Bureau, Policy: policy, IOF: finmath.DefaultIOFTable(),
		Logger: cfg.Logger, Clock: sandboxclock.Clock{Base: cfg.Clock, Offsets: cfg.Store}}
	lc := DefaultLoans()
	if cfg.Loans.Creditor.Name != "" {
		lc.Creditor = cfg.Loans.Creditor
	}
	if cfg.Loans.Place != "" {
		lc.Place = cfg.Loans.Place
	}
	if cfg.Loans.ISPB != "" {
		lc.ISPB = cfg.Loans.ISPB
	}
	if cfg.Loans.SignFor > 0 {
		lc.SignFor = cfg.Loans.SignFor
	}
	if cfg.Loans.Late.Fine.Sign() > 0 || cfg.Loans.Late.MoraMonthly.Sign() > 0 {
		lc.Late = cfg.Loans.Late
	}
	lc.PublicURL = strings.TrimSuffix(cfg.PublicURL, "/")
	ledger := pixLedger{st: cfg.Store}
	if cfg.Pix == nil {
		settle := cfg.PixSettleAfter
		if settle <= 0 {
			settle = 2 * time.Second
		}
		// The rail keeps real time, like a real one: the sandbox clock moves the platform's deadlines, not
		// the banks'.
		cfg.Pix = providers.SandboxPix{Ledger: ledger, Now: time.Now, SettleAfter: settle}
	}
	ln := &loans.Service{Config: lc, Store: cfg.Store, Clock: cr.Clock, Pix: cfg.Pix, Blobs: cfg.Blobs, Logger: cfg.Logger}
	svc := &customers.Service{OnActive: cr.IssueIfReady, Store: cfg.Store, Clock: cfg.Clock, Blobs: cfg.Blobs, Logger: cfg.Logger,
		BankName: func(id string) (string, bool) {
			b, ok := banks.Lookup(id)
			return b.Name, ok
		}}
	jc := cfg.Jobs
	jc.Logger = cfg.Logger
	if cfg.Work {
		ws := river.NewWorkers()
		river.AddWorker(ws, delivery.NewWorker(delivery.Config{
			Store: cfg.Store, Clock: cfg.Clock, Logger: cfg.Logger, AllowPrivateLive: cfg.AllowPrivateLive,
			Schedule: cfg.RetrySchedule,
		}))
		customers.AddWorkers(ws, svc, cfg.Registry, cfg.Verifiers)
		credit.AddWorkers(ws, cr)
		loans.AddWorkers(ws, ln)
		river.AddWorker(ws, &sweepWorker{parts: []func(context.Context) error{cr.Sweep, ln.Sweep}})
		jc.Workers = ws
		if jc.SweepEvery <= 0 {
			jc.SweepEvery = 30 * time.Second
		}
	}
	client, err := jobs.New(cfg.Store, jc)
	if err != nil {
		return nil, err
	}
	em := events.NewEmitter(client)
	svc.Jobs, svc.Events = client, em
	cr.Jobs, cr.Events = client, em
	ln.Jobs, ln.Events = client, em
	return &Platform{Jobs: client, Events: em, Customers: svc, Credit: cr, Loans: ln, PixLedger: ledger}, nil
}
