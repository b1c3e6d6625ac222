package main

import (
	"context"
	"flag"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/dinie-oss/dinie/internal/blob"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/platform"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/webhook"
)

// workerFlags tune the job workers, in `serve` and in `worker`.
type workerFlags struct {
	webhookWorkers int
	jobWorkers     int
	poll           time.Duration
	rescueAfter    time.Duration
	retryScale     float64
	privateLive    bool
}

func (wf *workerFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&wf.webhookWorkers, "webhook-workers", 50, "webhook deliveries attempted at once")
	fs.IntVar(&wf.jobWorkers, "job-workers", 100, "other jobs (enrichment, credit analysis, disbursements, sweeps) run at once")
	fs.DurationVar(&wf.poll, "job-poll-interval", 200*time.Millisecond, "how often idle workers look for due jobs")
	fs.DurationVar(&wf.rescueAfter, "job-rescue-after", time.Minute, "a job running this long is taken to have died with its process and runs again (at least 30s, the longest a job may run)")
	fs.Float64Var(&wf.retryScale, "webhook-retry-scale", 1, "multiplies the webhook retry schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); for tests")
	fs.BoolVar(&wf.privateLive, "unsafe-allow-private-live-webhooks", false, "let live deliveries reach private and loopback addresses; for tests on one machine only")
}

// platform wires the platform over st; with workers this process also works the jobs.
// publicURL is where customers' browsers reach the server (hosted pages), "" when this process serves none.
func (wf workerFlags) platform(st *store.Store, d dbFlags, log *slog.Logger, withWorkers bool, publicURL string) (*platform.Platform, error) {
	blobs, err := blob.NewDir(filepath.Join(d.dataDir, "blobs"))
	if err != nil {
		return nil, err
	}
	scale := wf.retryScale
	return platform.New(platform.Config{
		Store: st, Clock: clock.System{}, Logger: log, Blobs: blobs, Work: withWorkers, AllowPrivateLive: wf.privateLive,
		PublicURL: publicURL,
		Jobs:      jobs.Config{WebhookWorkers: wf.webhookWorkers, JobWorkers: wf.jobWorkers, PollInterval: wf.poll, RescueAfter: wf.rescueAfter},
		RetrySchedule: func(n int) (time.Duration, bool) {
			d, ok := webhook.RetryDelay(n, rand.Float64)
			return time.Duration(float64(d) * scale), ok
		},
	})
}

func stopJobs(jc *jobs.Client, timeout time.Duration, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := jc.Stop(ctx); err != nil {
		log.Warn("stopping job workers", "error", err.Error())
	}
}

// worker runs the job workers without the API, for deployments that scale them apart.
func (m *Main) worker(ctx context.Context, args []string) error {
	var d dbFlags
	fs := m.newFlagSet("worker", &d)
	var wf workerFlags
	wf.register(fs)
	drain := fs.Duration("shutdown-timeout", 30*time.Second, "how long SIGTERM waits for running jobs")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := m.logger(slog.LevelInfo)
	st, err := m.openStore(ctx, d, clock.System{})
	if err != nil {
		return err
	}
	defer st.Close()
	pf, err := wf.platform(st, d, log, true, "")
	if err != nil {
		return err
	}
	jc := pf.Jobs
	if err := jc.Start(ctx); err != nil {
		return err
	}
	if n, err := pf.Loans.RequeueDisbursements(ctx); err != nil {
		return err
	} else if n > 0 {
		log.Info("requeued the disbursements of loans left in processing", "count", n)
	}
	log.Info("working jobs", "engine", st.Engine())
	<-ctx.Done()
	stopJobs(jc, *drain, log)
	log.Info("stopped")
	return nil
}
