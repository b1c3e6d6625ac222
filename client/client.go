package client

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"
	"time"
)

// Version is this client's version, sent in the User-Agent.
const Version = "0.1.0"

// APIVersion is the version of the Dinie API this client speaks.
const APIVersion = "2026-03-01"

// Base URLs of Dinie's environments.
const (
	ProductionURL = "https://api.dinie.com.br/api/v3"
	SandboxURL    = "https://sandbox.api.dinie.com.br/api/v3"
)

// Defaults of the options.
const (
	DefaultMaxRetries = 2
	DefaultTimeout    = 30 * time.Second
)

// Client calls the Dinie API. Build it with New; it is safe for concurrent use, and meant to be built
// once and shared (it caches its access token).
type Client struct {
	base       string
	httpClient *http.Client
	userAgent  string
	maxRetries int
	timeout    time.Duration
	backoff    [2]time.Duration // base and cap of the exponential backoff
	logger     *slog.Logger
	auth       *authenticator
	rateLimit  atomic.Pointer[RateLimit]

	// Credentials manages the partner's API credentials (/auth/credentials).
	Credentials *CredentialsService
	// Banks lists the bank directory (/banks).
	Banks *BanksService
	// Customers registers customers and drives their KYC (/customers).
	Customers *CustomersService
	// CreditOffers reads offers and simulates loans (/credit-offers).
	CreditOffers *CreditOffersService
	// Loans creates and follows loans (/loans).
	Loans *LoansService
	// WebhookEndpoints manages where events are delivered (/webhooks).
	WebhookEndpoints *WebhookEndpointsService
	// Biometrics exchanges biometrics codes for customer session tokens (/biometrics).
	Biometrics *BiometricsService
	// Sandbox drives the test environment: KYC verdicts, offers, signatures, payments, time (/sandbox).
	Sandbox *SandboxService
}

// Option configures a Client.
type Option func(*Client)

// WithCredentials makes the client authenticate with an API credential (client id and secret): it
// fetches access tokens from POST /auth/token by itself, caches them, refreshes them 5 minutes before
// they expire, and once more when the API answers 401 to a call.
func WithCredentials(clientID, clientSecret string) Option {
	return func(c *Client) { c.auth.clientID, c.auth.clientSecret = clientID, clientSecret }
}

// WithSessionCode puts the client in session mode, for a KYC app acting for one customer: on first use
// it exchanges code (the single-use dinie_bsc_… code of a biometrics session_url) at
// POST /biometrics/session-exchange, authenticated with the credential of WithCredentials (which needs
// the biometrics:exchange scope), and from then on calls the API with the customer session token. The
// code is never exchanged twice; when the session token expires calls fail with ErrSessionExpired.
func WithSessionCode(code string) Option {
	return func(c *Client) { c.auth.sessionCode = code }
}

// WithHTTPClient sets the *http.Client requests go through (default: a client with no timeout of its
// own; each attempt is bounded by WithTimeout).
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.httpClient = hc
		}
	}
}

// WithUserAgent puts ua (your application, as "acme-onboarding/1.2") in front of the client's own
// User-Agent.
func WithUserAgent(ua string) Option {
	return func(c *Client) {
		if ua = strings.TrimSpace(ua); ua != "" {
			c.userAgent = ua + " " + c.userAgent
		}
	}
}

// WithMaxRetries sets how many times a failed call is retried (default 2, so at most 3 attempts):
// network errors, timeouts and the statuses 408, 429, 500, 502, 503 and 504, and 409
// idempotency_key_in_use. The one re-authentication after a 401 counts as a retry too. 0 disables
// retries.
func WithMaxRetries(n int) Option {
	return func(c *Client) { c.maxRetries = max(n, 0) }
}

// WithTimeout bounds each attempt of a call (default 30 s); an attempt that times out is retried. The
// context given to a call bounds the call as a whole.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithBackoff sets the exponential backoff between retries when the server does not say how long to
// wait (Retry-After): base·2^retry, at most maxDelay, minus up to 25 % of jitter. Default 500 ms and 8 s.
func WithBackoff(base, maxDelay time.Duration) Option {
	return func(c *Client) {
		if base > 0 && maxDelay >= base {
			c.backoff = [2]time.Duration{base, maxDelay}
		}
	}
}

// WithLogger makes the client log its requests (debug), retries (info) and token refreshes (debug) to
// l. Secrets and tokens are never logged. Default: no logs.
func WithLogger(l *slog.Logger) Option {
	return func(c *Client) {
		if l != nil {
			c.logger = l
		}
	}
}

// New returns a client of the API at baseURL, such as SandboxURL or "http://localhost:8080/api/v3"
// (a base URL with no path gets /api/v3).
func New(baseURL string, opts ...Option) *Client {
	base := strings.TrimRight(baseURL, "/")
	if u, err := url.Parse(base); err == nil && u.Host != "" && (u.Path == "" || u.Path == "/") {
		base += "/api/v3"
	}
	c := &Client{
		base:       base,
		httpClient: &http.Client{},
		userAgent:  "Dinie-SDK-Go/" + Version + " (api-version=" + APIVersion + "; " + runtime.Version() + ")",
		maxRetries: DefaultMaxRetries,
		timeout:    DefaultTimeout,
		backoff:    [2]time.Duration{500 * time.Millisecond, 8 * time.Second},
		logger:     slog.New(slog.DiscardHandler),
	}
	c.auth = &authenticator{c: c, now: time.Now}
	for _, o := range opts {
		o(c)
	}
	c.Credentials = &CredentialsService{c}
	c.Banks = &BanksService{c}
	c.Customers = &CustomersService{c}
	c.CreditOffers = &CreditOffersService{c}
	c.Loans = &LoansService{c}
	c.WebhookEndpoints = &WebhookEndpointsService{c}
	c.Biometrics = &BiometricsService{c}
	c.Sandbox = &SandboxService{c}
	return c
}

// BaseURL returns the base URL the client calls.
func (c *Client) BaseURL() string { return c.base }

// RateLimit is the rate-limit state the API reported on its latest answer.
type RateLimit struct {
	// Limit is the window's ceiling; Remaining how many requests are left in it.
	Limit, Remaining int
	// Reset is when the window resets.
	Reset time.Time
}

// RateLimit returns the rate-limit state of the latest answer that reported one.
func (c *Client) RateLimit() (RateLimit, bool) {
	if r := c.rateLimit.Load(); r != nil {
		return *r, true
	}
	return RateLimit{}, false
}

// SessionCustomerID returns, in session mode, the id of the customer the session belongs to,
// exchanging the code first if no call did yet.
func (c *Client) SessionCustomerID(ctx context.Context) (string, error) {
	if c.auth.sessionCode == "" {
		return "", ErrNoSessionCode
	}
	if _, err := c.auth.token(ctx); err != nil {
		return "", err
	}
	c.auth.mu.Lock()
	defer c.auth.mu.Unlock()
	return c.auth.customerID, nil
}

type idempotencyKeyCtx struct{}

// WithIdempotencyKey returns a context whose writes (POST, PATCH, DELETE) carry the idempotency key key
// instead of a random one. Use it for one call: every write gets a key, reused on each retry of that
// call, but a key given here also lets you repeat the call yourself, later or from another process
// (within 24 hours the API answers a repeat with the first answer and does nothing more; the same key
// with a different request fails with code idempotency_key_reused).
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, key)
}

func idempotencyKeyFrom(ctx context.Context) string {
	k, _ := ctx.Value(idempotencyKeyCtx{}).(string)
	return k
}
