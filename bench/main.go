// Command bench is a load tool for the platform: it drives one or more scenarios against a dinie server
// (one it builds and starts itself, or one given with --target), in an open loop at a fixed request rate
// or in a closed loop at a fixed concurrency, and prints throughput, latency percentiles, errors by
// status and the server's peak RSS, each result beside a bare net/http "ceiling" measured under the same
// load shape in the same run.
//
//	go run ./bench [flags] scenario...
//
// See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// scenarios in the order `all` runs them.
var scenarios = []string{"token", "create-customer", "get-customer", "list-customers", "simulate", "lifecycle", "webhooks"}

// config is what the flags say.
type config struct {
	target, clientID, clientSecret string
	db                             string
	rate                           float64
	concurrency                    int
	duration, warmup               time.Duration
	lifecycleRate                  float64
	customers                      int
	maxInflight                    int
	timeout, drain                 time.Duration
	jobPoll                        string
	serverArgs                     stringList
	noJobs                         bool
	jsonOut, keep                  bool
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

const usage = `usage: go run ./bench [flags] scenario...

scenarios: %s, all

Without --target it builds ./cmd/dinie, starts "dinie serve" on a fresh temporary data dir (SQLite, or
--db postgres://...) with a rate limit too high to matter, and stops it at the end.

flags:
`

func main() {
	if os.Getenv(ceilingEnv) != "" {
		serveCeiling()
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
		os.Exit(2)
	}
}

func parseFlags(args []string, stderr io.Writer) (config, []string, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, usage, strings.Join(scenarios, ", "))
		fs.PrintDefaults()
	}
	fs.StringVar(&c.target, "target", "", "base URL of a running server (http://host:port); default: build and start one")
	fs.StringVar(&c.clientID, "client-id", "", "test credential for --target (default: ./data/sandbox-credentials.json)")
	fs.StringVar(&c.clientSecret, "client-secret", "", "its secret")
	fs.StringVar(&c.db, "db", "", "database of the server the tool starts: a postgres:// URL (default: SQLite in the temporary data dir)")
	fs.Float64Var(&c.rate, "rate", 0, "open loop: requests per second, scheduled on a ticker; latency counts from the scheduled time")
	fs.IntVar(&c.concurrency, "concurrency", 0, "closed loop: requests in flight at once (default 16 when --rate is not set)")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured time of each scenario")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured load before each measurement")
	fs.Float64Var(&c.lifecycleRate, "lifecycle-rate", 2, "with --rate: lifecycles started per second in the lifecycle scenario")
	fs.IntVar(&c.customers, "customers", 10000, "customers seeded before list-customers")
	fs.IntVar(&c.maxInflight, "max-inflight", 1000, "open loop: most requests in flight at once (later ones wait, their wait counted as latency)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "timeout of one HTTP request")
	fs.DurationVar(&c.drain, "drain", 30*time.Second, "how long to wait after the load for answers still in flight and webhooks not yet delivered")
	fs.StringVar(&c.jobPoll, "job-poll-interval", "", "passed to dinie serve --job-poll-interval (default: the server's)")
	fs.Var(&c.serverArgs, "server-arg", "an extra argument for dinie serve, e.g. --server-arg=--job-workers=20 (repeatable)")
	fs.BoolVar(&c.noJobs, "no-jobs", false, "start the server without job workers (dinie serve --workers=false): the jobs a request queues stay queued, so create-customer measures its transaction alone; only token and create-customer can run")
	fs.BoolVar(&c.jsonOut, "json", false, "print the results as JSON on stdout instead of a table")
	fs.BoolVar(&c.keep, "keep", false, "keep the temporary directory (binary, data, server log)")
	if err := fs.Parse(args); err != nil {
		return c, nil, err
	}
	switch {
	case c.rate > 0 && c.concurrency > 0:
		return c, nil, errors.New("give --rate or --concurrency, not both")
	case c.rate < 0 || c.concurrency < 0 || c.lifecycleRate <= 0:
		return c, nil, errors.New("--rate, --concurrency and --lifecycle-rate must be positive")
	case c.rate == 0 && c.concurrency == 0:
		c.concurrency = 16
	}
	if c.duration <= 0 || c.warmup < 0 || c.maxInflight < 1 || c.customers < 0 {
		return c, nil, errors.New("--duration must be positive, --warmup and --customers not negative, --max-inflight at least 1")
	}
	if c.target != "" && (c.db != "" || c.noJobs || len(c.serverArgs) > 0) {
		return c, nil, errors.New("--db, --no-jobs and --server-arg are for the server the tool starts; not with --target")
	}
	var names []string
	for _, a := range fs.Args() {
		if a == "all" {
			names = append(names, scenarios...)
			continue
		}
		if !slices.Contains(scenarios, a) {
			return c, nil, fmt.Errorf("unknown scenario %q (want %s or all)", a, strings.Join(scenarios, ", "))
		}
		names = append(names, a)
	}
	if len(names) == 0 {
		fs.Usage()
		return c, nil, errors.New("name at least one scenario")
	}
	if c.noJobs {
		for _, n := range names {
			if n != "token" && n != "create-customer" {
				return c, nil, fmt.Errorf("scenario %s needs the job workers; --no-jobs runs token and create-customer only", n)
			}
		}
	}
	return c, names, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, names, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b := &bench{cfg: cfg, out: stderr, cpf: newCPFSeq(rand.Int64N(700_000_000) + 100_000_000)}
	b.hc = &http.Client{
		Timeout: cfg.timeout,
		Transport: &http.Transport{
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        0, // no limit
			MaxIdleConnsPerHost: max(cfg.maxInflight, cfg.concurrency),
			IdleConnTimeout:     90 * time.Second,
			DisableCompression:  true,
		},
	}
	defer b.hc.CloseIdleConnections()

	tmp, err := os.MkdirTemp("", "dinie-bench-*")
	if err != nil {
		return err
	}
	defer func() {
		if cfg.keep {
			fmt.Fprintln(stderr, "kept", tmp)
			return
		}
		_ = os.RemoveAll(tmp)
	}()

	base := strings.TrimSuffix(cfg.target, "/")
	if cfg.target == "" {
		srv, err := startServer(ctx, stderr, tmp, cfg)
		if err != nil {
			return err
		}
		defer srv.stop(stderr)
		b.srv, base = srv, srv.url
		cfg.clientID, cfg.clientSecret = srv.clientID, srv.clientSecret
	} else if cfg.clientID == "" {
		if cfg.clientID, cfg.clientSecret, err = readCredentials("data/sandbox-credentials.json"); err != nil {
			return fmt.Errorf("--client-id and --client-secret are needed with --target: %w", err)
		}
	}
	b.api = &client{base: base + "/api/v3", hc: b.hc, id: cfg.clientID, secret: cfg.clientSecret}
	tok, a := b.api.fetchToken(ctx)
	if !a.ok() {
		return a.fail("get a token")
	}
	b.api.token = tok

	ceil, err := startCeiling(ctx, tmp)
	if err != nil {
		return err
	}
	defer ceil.stop(io.Discard)
	fmt.Fprintf(stderr, "bench: %s; measuring the bare net/http ceiling at %s\n", b.shapeText(b.shape()), ceil.url)
	ceilURL := ceil.url + "/ceiling"
	b.ceiling = b.measure(ctx, ceil, "ceiling", "bare net/http (GET tiny JSON)", "req/s", b.shape(), func(ctx context.Context) outcome {
		req, err := http.NewRequestWithContext(ctx, "GET", ceilURL, nil)
		if err != nil {
			return outcome{answer: answer{err: err}}
		}
		return outcome{answer: b.api.send(req, nil), calls: 1}
	})
	b.print(b.ceiling)

	rep := report{Config: b.configJSON(), Ceiling: b.ceiling}
	for _, name := range names {
		if ctx.Err() != nil {
			break
		}
		fmt.Fprintf(stderr, "bench: scenario %s\n", name)
		rs, err := b.scenario(ctx, name)
		for _, r := range rs {
			r.ratio(b.ceiling)
			b.print(r)
		}
		rep.Results = append(rep.Results, rs...)
		if err != nil {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: %v", name, err))
			fmt.Fprintf(stderr, "bench: scenario %s: %v\n", name, err)
		}
	}
	if b.srv != nil {
		rep.ServerLog = b.srv.logSummary(0, -1)
	}
	if cfg.jsonOut {
		return writeJSON(stdout, rep)
	}
	writeTable(stdout, rep)
	return ctx.Err()
}
