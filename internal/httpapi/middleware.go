package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
)

type ctxKey int

const requestInfoKey ctxKey = 0

// requestInfo is what the layers of one request learn about it, for the access log.
type requestInfo struct {
	id       string
	clientID string
}

func infoOf(r *http.Request) *requestInfo {
	if info, ok := r.Context().Value(requestInfoKey).(*requestInfo); ok {
		return info
	}
	return &requestInfo{}
}

// requestID returns the id of the request being served.
func requestID(r *http.Request) string { return infoOf(r).id }

// saneRequestID reports whether an incoming X-Request-Id may be echoed: short, and only characters
// that cannot forge log lines or headers.
func saneRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.:", c) >= 0) {
			return false
		}
	}
	return true
}

// recorder passes a response through and remembers its status and size, and its body too when keep
// is set (for idempotent answers, which are stored).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int
	keep   bool
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.keep {
		r.body.Write(b)
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += n
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe is the outermost layer: request id, panic recovery, body limit, metrics and the access log.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !saneRequestID(id) {
			id = ids.New("req_")
		}
		w.Header().Set("X-Request-Id", id)
		info := &requestInfo{id: id}
		r = r.WithContext(context.WithValue(r.Context(), requestInfoKey, info))
		if r.Body != nil {
			limit := s.cfg.MaxBodyBytes
			if strings.Contains(r.URL.Path, "/kyc-attachments") {
				limit = max(limit, s.cfg.MaxUploadBytes+uploadOverhead)
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.cfg.Logger.Error("panic", "request_id", id, "panic", p)
				if rec.status == 0 {
					writeError(rec, r, errors.New("panic"))
				}
			}
			route := routeLabel(r.Pattern)
			elapsed := time.Since(start)
			s.metrics.observe(route, r.Method, rec.status, elapsed)
			attrs := []slog.Attr{
				slog.String("request_id", id),
				slog.String("method", r.Method),
				slog.String("route", route),
				slog.String("path", r.URL.Path),
				slog.Int("status", rec.status),
				slog.Int("bytes", rec.bytes),
				slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			}
			if info.clientID != "" {
				attrs = append(attrs, slog.String("client_id", info.clientID))
			}
			s.cfg.Logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
		}()
		next.ServeHTTP(rec, r)
	})
}

// routeLabel is the matched pattern without its method, or "unmatched".
func routeLabel(pattern string) string {
	if pattern == "" || pattern == "/" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	return pattern
}

// clientAddr is the caller's IP, the rate-limit key before authentication.
func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limit spends one request of key's budget, sets the X-RateLimit-* headers, and returns a
// CodeRateLimitExceeded error (with Retry-After set) when the budget is spent.
func (s *Server) limit(w http.ResponseWriter, key string) error {
	d := s.cfg.Limiter.Take(key, time.Now())
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(d.Limit))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(d.Remaining))
	reset := d.Reset.Unix()
	if d.Reset.After(time.Unix(reset, 0)) {
		reset++
	}
	h.Set("X-RateLimit-Reset", strconv.FormatInt(reset, 10))
	if d.Allowed {
		return nil
	}
	h.Set("Retry-After", retryAfterSeconds(d.RetryAfter))
	return lending.Errorf(lending.CodeRateLimitExceeded, "rate limit exceeded; try again in %s seconds", retryAfterSeconds(d.RetryAfter))
}

// handlerFunc is a route without authentication.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// authedFunc is a route of an authenticated partner.
type authedFunc func(w http.ResponseWriter, r *http.Request, p auth.Principal) error

// public wraps a route that needs no token; its rate limit is per client address.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := s.limit(w, "addr:"+clientAddr(r))
		if err == nil {
			err = h(w, r)
		}
		if err != nil {
			writeError(w, r, err)
		}
	})
}

// authed wraps a route that needs a partner's bearer token: it authenticates, rate-limits per credential
// (per address when authentication fails), and applies idempotency keys to writes. Customer session
// tokens are refused.
func (s *Server) authed(h authedFunc) http.Handler { return s.authedAs(false, h) }

// customerAuthed wraps a route a partner or a customer session may call; a session only for its own
// customer (the route's {customer_id}).
func (s *Server) customerAuthed(h authedFunc) http.Handler { return s.authedAs(true, h) }

func (s *Server) authedAs(sessionsAllowed bool, h authedFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, authErr := s.authenticate(r)
		key := "addr:" + clientAddr(r)
		if authErr == nil {
			key = "cred:" + p.ClientID
			infoOf(r).clientID = p.ClientID
		}
		err := s.limit(w, key)
		if err == nil {
			err = authErr
		}
		if err == nil && p.IsSession() {
			if !sessionsAllowed {
				err = lending.Errorf(lending.CodeForbidden, "a customer session token can only reach its customer's KYC routes; use a partner token")
			} else if id := r.PathValue("customer_id"); id != "" && id != p.CustomerID {
				err = lending.Errorf(lending.CodeForbidden, "this session token belongs to another customer")
			}
		}
		if err == nil {
			err = s.idempotent(w, r, p, h)
		}
		if err != nil {
			writeError(w, r, err)
		}
	})
}

func (s *Server) authenticate(r *http.Request) (auth.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return auth.Principal{}, lending.Errorf(lending.CodeMissingToken, "send an access token in the Authorization header: Bearer <token>")
	}
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return auth.Principal{}, lending.Errorf(lending.CodeInvalidToken, "the Authorization header must be Bearer <token>")
	}
	return s.cfg.Auth.Verify(r.Context(), strings.TrimSpace(token))
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

// encodeBuffers keeps the buffers answers are encoded into: an answer of a few KiB otherwise grows a
// fresh buffer five or six times.
var encodeBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest buffer put back in encodeBuffers (a rare huge answer is not kept).
const maxPooledBuffer = 1 << 20

func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	buf := encodeBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			buf.Reset()
			encodeBuffers.Put(buf)
		}
	}()
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false) // the API is not HTML: "<" stays "<"
	err := enc.Encode(v)
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if err != nil {
		status, contentType = http.StatusInternalServerError, "application/problem+json"
		b = []byte(`{"type":"` + errorsBase + `internal","title":"Internal Server Error","status":500,"detail":"could not encode the response","code":"internal_error","request_id":""}`)
	}
	writeBody(w, status, contentType, b)
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
