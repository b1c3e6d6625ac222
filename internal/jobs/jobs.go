// Package jobs is the platform's one engine for asynchronous work: River, over the same database as the
// store (SQLite or PostgreSQL), with jobs inserted in the transaction of the state change that causes
// them, so a committed change always has its follow-up work and a rolled-back one never does.
package jobs

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/dinie-oss/dinie/internal/store"
)

// Queues.
const (
	// QueueWebhooks carries webhook deliveries, apart from other work so a backlog of one never delays
	// the other.
	QueueWebhooks = "webhooks"
)

// DeliverWebhook is the job of attempting one webhook delivery; it lives until the delivery succeeds or
// fails for good, snoozing between attempts.
type DeliverWebhook struct {
	DeliveryID string `json:"delivery_id"`
}

// Kind names the job.
func (DeliverWebhook) Kind() string { return "deliver_webhook" }

// InsertOpts puts deliveries on their own queue.
func (DeliverWebhook) InsertOpts() river.InsertOpts { return river.InsertOpts{Queue: QueueWebhooks} }

// JobTimeout is the longest any job may run.
const JobTimeout = 30 * time.Second

// Config tunes the job engine.
type Config struct {
	// Workers are the job workers; nil makes an insert-only client (an API process that leaves the work
	// to `dinie worker` processes).
	Workers *river.Workers
	// WebhookWorkers is how many deliveries run at once (default 50).
	WebhookWorkers int
	// JobWorkers is how many other jobs run at once (default 100). Jobs mostly wait for the database,
	// and a backlog drains at most this many jobs per fetch.
	JobWorkers int
	// PollInterval is how often idle workers look for due jobs (default 200 ms; lower in tests).
	PollInterval time.Duration
	// RescueAfter is how long a job may stay running before it is taken to have died with its
	// process and is run again (default 1 minute; at least JobTimeout).
	RescueAfter time.Duration
	Logger      *slog.Logger
	// SweepEvery is how often a Sweep job is scheduled to do the time-based work that came due; 0
	// schedules none (for job clients whose workers do not include a Sweep worker).
	SweepEvery time.Duration
}

// Client inserts jobs and, when it has workers, works them.
type Client struct {
	river *river.Client[*sql.Tx]
}

func driverFor(st *store.Store) riverdriver.Driver[*sql.Tx] {
	if st.Engine() == "sqlite" {
		return riversqlite.New(st.WriterDB())
	}
	return riverdatabasesql.New(st.WriterDB())
}

// Migrate brings River's own tables up to date in the store's database.
func Migrate(ctx context.Context, st *store.Store) error {
	m, err := rivermigrate.New(driverFor(st), nil)
	if err != nil {
		return fmt.Errorf("jobs: migrator: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// New returns a job client over st's database.
func New(st *store.Store, cfg Config) (*Client, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WebhookWorkers <= 0 {
		cfg.WebhookWorkers = 50
	}
	if cfg.JobWorkers <= 0 {
		cfg.JobWorkers = 100
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = 200 * time.Millisecond
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = time.Minute
	}
	if cfg.RescueAfter < JobTimeout {
		return nil, fmt.Errorf("jobs: a job may run for %s, so the rescue delay must be at least that, not %s", JobTimeout, cfg.RescueAfter)
	}
	rc := &river.Config{
		Logger:               cfg.Logger,
		JobTimeout:           JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		FetchPollInterval:    cfg.PollInterval,
		// After a fetch that filled every free worker, River fetches again when a worker frees up, but not
		// sooner than this: with a backlog, a queue runs up to its workers' count per cooldown.
		FetchCooldown: min(cfg.PollInterval, 20*time.Millisecond),
		PollOnly:      true,
		MaxAttempts:   25,
	}
	if cfg.Workers != nil {
		rc.Workers = cfg.Workers
		if cfg.SweepEvery > 0 {
			rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(cfg.SweepEvery),
				func() (river.JobArgs, *river.InsertOpts) { return Sweep{}, nil }, &river.PeriodicJobOpts{RunOnStart: true})}
		}
		rc.Queues = map[string]river.QueueConfig{
			river.QueueDefault: {MaxWorkers: cfg.JobWorkers},
			QueueWebhooks:      {MaxWorkers: cfg.WebhookWorkers},
		}
	}
	c, err := river.NewClient(driverFor(st), rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Client{river: c}, nil
}

// Insert adds a job in tx, so it exists exactly when tx commits.
func (c *Client) Insert(ctx context.Context, tx *store.Tx, args river.JobArgs, opts *river.InsertOpts) error {
	_, err := c.river.InsertTx(ctx, tx.SQL(), args, opts)
	return err
}

// InsertMany adds several jobs with their default options in tx, in one statement.
func (c *Client) InsertMany(ctx context.Context, tx *store.Tx, args ...river.JobArgs) error {
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	_, err := c.river.InsertManyTx(ctx, tx.SQL(), params)
	return err
}

// Start runs the workers until Stop. The workers outlive ctx's cancellation on purpose: a shutdown
// signal should let running jobs finish, which Stop then waits for.
func (c *Client) Start(ctx context.Context) error { return c.river.Start(context.WithoutCancel(ctx)) }

// Stop stops fetching jobs and waits for running ones to finish; if ctx ends first, it cancels them and
// waits for them to return, so nothing runs after Stop returns.
func (c *Client) Stop(ctx context.Context) error {
	err := c.river.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		hard, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		return c.river.StopAndCancel(hard)
	}
	return err
}

// EnrichCustomer is the job of looking a new customer up in the company registry and building its KYC
// requirements.
type EnrichCustomer struct {
	CustomerID string `json:"customer_id"`
}

// Kind names the job.
func (EnrichCustomer) Kind() string { return "enrich_customer" }

// ReviewKYC is the job of asking the KYC verifier about a customer under review.
type ReviewKYC struct {
	CustomerID string `json:"customer_id"`
}

// Kind names the job.
func (ReviewKYC) Kind() string { return "review_kyc" }

// AnalyzeCredit is the job of analysing a new customer's credit (bureau profile → policy → terms), in
// parallel with KYC.
type AnalyzeCredit struct {
	CustomerID string `json:"customer_id"`
}

// Kind names the job.
func (AnalyzeCredit) Kind() string { return "analyze_credit" }

// Sweep is the job of doing the time-based work that has come due: offers past valid_until expire (and,
// with the loans, arrears and unsigned loans). It runs periodically, and at once when a partner moves
// its sandbox clock. Sweeps are idempotent, so two at once do no harm.
type Sweep struct{}

// Kind names the job.
func (Sweep) Kind() string { return "sweep" }

// Disburse is the job of a loan's one Pix transfer: sent (or asked about) with the same end-to-end id
// until the rail settles or rejects it.
type Disburse struct {
	LoanID string `json:"loan_id"`
}

// Kind names the job.
func (Disburse) Kind() string { return "disburse" }
