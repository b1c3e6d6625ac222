// Package httpapi is the partner-facing HTTP API: routes under /api/v3 (and /v3), the conventions every
// route shares (problems, request ids, rate limits, idempotency, body limits), and operations endpoints.
package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/credit"
	"github.com/dinie-oss/dinie/internal/customers"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/loans"
	"github.com/dinie-oss/dinie/internal/ratelimit"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/web"
)

// Prefixes are the two base paths every API route is served under (spec/README.md decision 1).
var Prefixes = []string{"/api/v3", "/v3"}

// Config is what the API is built from.
type Config struct {
	Store *store.Store
	Auth  *auth.Authenticator
	// Events records events and queues their deliveries.
	Events  *events.Emitter
	Clock   clock.Clock
	Limiter ratelimit.Limiter
	Logger  *slog.Logger
	// Registry receives the HTTP metrics; nil means a new registry.
	Registry *prometheus.Registry
	// MaxBodyBytes bounds request bodies (default 1 MiB).
	MaxBodyBytes int64
	// Customers runs the customer and KYC use cases.
	Customers *customers.Service
	// Credit runs the credit use cases: offers, simulations, the sandbox clock.
	Credit *credit.Service
	// Loans runs the loans: creation with the CCB, signatures, disbursement, payments.
	Loans *loans.Service
	// PixLedger is the sandbox Pix rail's ledger, for the sandbox disbursement control.
	PixLedger loans.Ledger
	// PublicURL is the server's address as partners' customers reach it, for the hosted pages' links
	// (default: the scheme and Host of the request).
	PublicURL string
	// MaxUploadBytes bounds one KYC file (default 10 MiB).
	MaxUploadBytes int64
	// IdempotencyWait bounds how long a repeat waits for the first request with its key (default 10 s).
	IdempotencyWait time.Duration
}

// Server serves the API.
type Server struct {
	cfg     Config
	mux     *http.ServeMux
	metrics *metrics
	handler http.Handler
}

// New returns the API server for cfg.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = 10 << 20
	}
	if cfg.IdempotencyWait <= 0 {
		cfg.IdempotencyWait = 10 * time.Second
	}
	if cfg.Limiter == nil {
		cfg.Limiter = ratelimit.NewMemory(ratelimit.Config{PerSecond: 100, Burst: 200})
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux(), metrics: newMetrics(cfg.Registry)}
	s.routes()
	s.handler = s.observe(s.mux)
	return s
}

// ServeHTTP serves one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() {
	for _, p := range Prefixes {
		s.mux.Handle("POST "+p+"/auth/token", s.public(s.createToken))
		s.mux.Handle("POST "+p+"/auth/credentials", s.authed(s.createCredential))
		s.mux.Handle("GET "+p+"/auth/credentials", s.authed(s.listCredentials))
		s.mux.Handle("DELETE "+p+"/auth/credentials/{client_id}", s.authed(s.revokeCredential))
		s.mux.Handle("GET "+p+"/banks", s.customerAuthed(s.listBanks))
		s.mux.Handle("GET "+p+"/openapi.yaml", s.public(s.openAPI))
		s.mux.Handle("POST "+p+"/webhooks/endpoints", s.authed(s.createWebhookEndpoint))
		s.mux.Handle("GET "+p+"/webhooks/endpoints", s.authed(s.listWebhookEndpoints))
		s.mux.Handle("GET "+p+"/webhooks/endpoints/{webhook_endpoint_id}", s.authed(s.getWebhookEndpoint))
		s.mux.Handle("PATCH "+p+"/webhooks/endpoints/{webhook_endpoint_id}", s.authed(s.updateWebhookEndpoint))
		s.mux.Handle("DELETE "+p+"/webhooks/endpoints/{webhook_endpoint_id}", s.authed(s.deleteWebhookEndpoint))
		s.mux.Handle("POST "+p+"/webhooks/endpoints/{webhook_endpoint_id}/rotate-secret", s.authed(s.rotateWebhookSecret))
		s.mux.Handle("GET "+p+"/webhooks/endpoints/{webhook_endpoint_id}/deliveries", s.authed(s.listDeliveries))
		s.mux.Handle("POST "+p+"/webhooks/deliveries/{delivery_id}/resend", s.authed(s.resendDelivery))
		s.mux.Handle("POST "+p+"/sandbox/webhooks/endpoints/{webhook_endpoint_id}/test-events", s.authed(s.sendTestEvent))
		s.mux.Handle("POST "+p+"/customers", s.authed(s.createCustomer))
		s.mux.Handle("GET "+p+"/customers", s.authed(s.listCustomers))
		s.mux.Handle("GET "+p+"/customers/{customer_id}", s.customerAuthed(s.getCustomer))
		s.mux.Handle("PATCH "+p+"/customers/{customer_id}", s.authed(s.updateCustomer))
		s.mux.Handle("GET "+p+"/customers/{customer_id}/bank-account", s.customerAuthed(s.getBankAccount))
		s.mux.Handle("POST "+p+"/customers/{customer_id}/bank-account", s.customerAuthed(s.upsertBankAccount))
		s.mux.Handle("POST "+p+"/customers/{customer_id}/biometrics", s.authed(s.createBiometricsSession))
		s.mux.Handle("POST "+p+"/customers/{customer_id}/kyc-attachments", s.customerAuthed(s.uploadKYCAttachment))
		s.mux.Handle("POST "+p+"/customers/{customer_id}/kyc-attachments/selfie", s.customerAuthed(s.uploadSelfie))
		s.mux.Handle("POST "+p+"/customers/{customer_id}/kyc-review", s.customerAuthed(s.startKYCReview))
		s.mux.Handle("POST "+p+"/biometrics/session-exchange", s.authed(s.exchangeSession))
		s.mux.Handle("POST "+p+"/sandbox/customers/{customer_id}/kyc-decision", s.authed(s.sandboxKYCDecision))
		s.mux.Handle("GET "+p+"/customers/{customer_id}/credit-offers", s.authed(s.listCustomerCreditOffers))
		s.mux.Handle("GET "+p+"/credit-offers", s.authed(s.listCreditOffers))
		s.mux.Handle("GET "+p+"/credit-offers/{credit_offer_id}", s.authed(s.getCreditOffer))
		s.mux.Handle("POST "+p+"/credit-offers/{credit_offer_id}/simulations", s.authed(s.createSimulation))
		s.mux.Handle("POST "+p+"/sandbox/customers/{customer_id}/credit-offers", s.authed(s.sandboxIssueOffer))
		s.mux.Handle("POST "+p+"/sandbox/credit-offers/{credit_offer_id}/expire", s.authed(s.sandboxExpireOffer))
		s.mux.Handle("POST "+p+"/sandbox/clock/advance", s.authed(s.sandboxAdvanceClock))
		s.mux.Handle("POST "+p+"/loans", s.authed(s.createLoan))
		s.mux.Handle("GET "+p+"/loans/{loan_id}", s.authed(s.getLoan))
		s.mux.Handle("GET "+p+"/loans/{loan_id}/transactions", s.authed(s.listTransactions))
		s.mux.Handle("GET "+p+"/loans/{loan_id}/ccb", s.authed(s.getLoanCCB))
		s.mux.Handle("POST "+p+"/sandbox/loans/{loan_id}/sign", s.authed(s.sandboxSign))
		s.mux.Handle("POST "+p+"/sandbox/loans/{loan_id}/disbursement", s.authed(s.sandboxDisbursement))
		s.mux.Handle("POST "+p+"/sandbox/loans/{loan_id}/payments", s.authed(s.sandboxPayment))
	}
	s.mux.Handle("POST /kyc/exchange", s.public(s.hostedExchange))
	s.mux.Handle("GET /kyc/", web.KYCPage())
	s.mux.Handle("GET /sign/{token}", web.SigningPage())
	s.mux.Handle("GET /sign/assets/app.js", web.SigningPage())
	s.mux.Handle("GET /sign/assets/app.css", web.SigningPage())
	s.mux.Handle("GET /sign/assets/ui.js", web.SigningPage())
	s.mux.Handle("GET /sign/assets/base.css", web.SigningPage())
	s.mux.Handle("GET /sign/{token}/session", s.public(s.hostedSigningSession))
	s.mux.Handle("GET /sign/{token}/ccb.pdf", s.public(s.hostedSigningDocument))
	s.mux.Handle("POST /sign/{token}/signatures", s.public(s.hostedSign))
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	s.mux.Handle("GET /metrics", s.metrics.handler())
	s.mux.Handle("/", s.public(s.unmatched))
}

// unmatched answers requests no route takes: 405 with Allow when the path exists for other methods,
// else 404.
func (s *Server) unmatched(w http.ResponseWriter, r *http.Request) error {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPatch, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		probe := r.Clone(context.Background())
		probe.Method = m
		if _, pattern := s.mux.Handler(probe); pattern != "/" && pattern != "" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
		return lending.Errorf(lending.CodeMethodNotAllowed, "%s is not allowed on %s", r.Method, r.URL.Path)
	}
	return lending.Errorf(lending.CodeNotFound, "no route %s %s", r.Method, r.URL.Path)
}

// HTTPServer returns an http.Server for s on addr with safe settings: bounded headers, bodies and idle connections, so slow or stuck
// clients cannot pin the server's resources.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelWarn),
	}
}
