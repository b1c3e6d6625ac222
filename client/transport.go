package client

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter caps how long the client waits because of a Retry-After header (contract.md §3.10).
const maxRetryAfter = 60 * time.Second

// maxResponseBytes bounds the answers the client reads (a CCB PDF is the largest).
const maxResponseBytes = 64 << 20

// request is one logical API call; send turns it into one or more HTTP attempts.
type request struct {
	method, path string
	query        url.Values
	// json is marshalled as the body; body is sent as is with contentType.
	json        any
	body        []byte
	contentType string
	// authorization, when set, replaces the bearer token (the token endpoint's Basic).
	authorization string
	// partnerAuth uses the client-credentials token even in session mode (the session exchange).
	partnerAuth bool
	// noIdempotency sends no idempotency key on a write.
	noIdempotency bool
	// accept is the Accept header (default application/json).
	accept string
}

// response is the final answer of a call.
type response struct {
	status int
	header http.Header
	body   []byte
}

// retryable statuses (contract.md §3.10).
func retryableStatus(status int) bool {
	switch status {
	case http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
		http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// newIdempotencyKey returns "dinie-go-" and a random UUID v4.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = crand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "dinie-go-" + h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// send makes the call req, retrying per contract.md §3.10, and decodes a 2xx JSON answer into out
// (unless out is nil). A non-2xx answer is returned as an *Error.
func (c *Client) send(ctx context.Context, req *request, out any) (*response, error) {
	body := req.body
	contentType := req.contentType
	if req.json != nil {
		b, err := json.Marshal(req.json)
		if err != nil {
			return nil, fmt.Errorf("client: encode the %s %s body: %w", req.method, req.path, err)
		}
		body, contentType = b, "application/json"
	}
	key := ""
	if !req.noIdempotency && (req.method == http.MethodPost || req.method == http.MethodPatch ||
		req.method == http.MethodDelete || req.method == http.MethodPut) {
		if key = idempotencyKeyFrom(ctx); key == "" {
			key = newIdempotencyKey()
		}
	}
	target := c.base + req.path
	if len(req.query) > 0 {
		target += "?" + req.query.Encode()
	}
	reauthed := false
	for attempt := 0; ; attempt++ {
		resp, token, err := c.attempt(ctx, req, target, body, contentType, key, attempt)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			var final finalError
			if errors.As(err, &final) {
				return nil, final.err
			}
			if attempt >= c.maxRetries {
				return nil, fmt.Errorf("client: %s %s: %w", req.method, req.path, err)
			}
			delay := c.backoffDelay(attempt)
			c.logger.InfoContext(ctx, "dinie: retrying after a network error", "method", req.method, "path", req.path,
				"attempt", attempt+1, "delay", delay, "error", err.Error())
			if err := sleep(ctx, delay); err != nil {
				return nil, err
			}
			continue
		}
		c.noteRateLimit(resp.header)
		if resp.status >= 200 && resp.status < 300 {
			if out != nil && len(bytes.TrimSpace(resp.body)) > 0 {
				if err := json.Unmarshal(resp.body, out); err != nil {
					return resp, fmt.Errorf("client: decode the answer to %s %s: %w", req.method, req.path, err)
				}
			}
			return resp, nil
		}
		retryAfter, hasRetryAfter := parseRetryAfter(resp.header, time.Now())
		apiErr := decodeError(req.method, req.path, resp.status, resp.header.Get("X-Request-Id"), retryAfter, resp.body)
		// A refused partner token (expired, signing key rotated, …) is dropped, so the next call gets a
		// new one even when this one has no retry left.
		canReauth := resp.status == http.StatusUnauthorized && token != "" && (req.partnerAuth || c.auth.sessionCode == "")
		if canReauth {
			c.auth.invalidate(token)
		}
		if attempt >= c.maxRetries {
			return resp, apiErr
		}
		var delay time.Duration
		switch {
		case canReauth && !reauthed:
			// Retry at once with a new token, once.
			reauthed = true
			c.logger.DebugContext(ctx, "dinie: access token refused; fetching a new one", "method", req.method, "path", req.path)
		case retryableStatus(resp.status) || (resp.status == http.StatusConflict && apiErr.Code == "idempotency_key_in_use"):
			if hasRetryAfter {
				delay = retryAfter
			} else {
				delay = c.backoffDelay(attempt)
			}
			c.logger.InfoContext(ctx, "dinie: retrying", "method", req.method, "path", req.path, "status", resp.status,
				"code", apiErr.Code, "attempt", attempt+1, "delay", delay, "request_id", apiErr.RequestID)
		default:
			return resp, apiErr
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

// finalError is a failure of an attempt that no retry of the call can fix: the request cannot be
// built, or getting the access token failed (that step retries by itself).
type finalError struct{ err error }

func (e finalError) Error() string { return e.err.Error() }
func (e finalError) Unwrap() error { return e.err }

// attempt makes one HTTP request of a call. It returns the token it used (for a 401 re-auth).
func (c *Client) attempt(ctx context.Context, req *request, target string, body []byte, contentType, key string, n int) (*response, string, error) {
	authz, token := req.authorization, ""
	if authz == "" {
		var err error
		if req.partnerAuth {
			token, err = c.auth.partnerToken(ctx)
		} else {
			token, err = c.auth.token(ctx)
		}
		if err != nil {
			return nil, "", finalError{err}
		}
		authz = "Bearer " + token
	}
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	hreq, err := http.NewRequestWithContext(actx, req.method, target, rd)
	if err != nil {
		return nil, token, finalError{fmt.Errorf("client: build %s %s: %w", req.method, req.path, err)}
	}
	h := hreq.Header
	h.Set("Authorization", authz)
	h.Set("User-Agent", c.userAgent)
	h.Set("X-Dinie-SDK-Language", "go")
	h.Set("X-Dinie-SDK-Version", Version)
	if req.accept != "" {
		h.Set("Accept", req.accept)
	} else {
		h.Set("Accept", "application/json")
	}
	if body != nil {
		h.Set("Content-Type", contentType)
	}
	if key != "" {
		h.Set("X-Idempotency-Key", key)
	}
	if n > 0 {
		h.Set("X-Dinie-Retry-Count", strconv.Itoa(n))
	}
	start := time.Now()
	hresp, err := c.httpClient.Do(hreq)
	if err != nil {
		return nil, token, err
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, token, fmt.Errorf("read the answer: %w", err)
	}
	if len(b) > maxResponseBytes {
		return nil, token, finalError{fmt.Errorf("client: the answer to %s %s is larger than %d bytes", req.method, req.path, maxResponseBytes)}
	}
	c.logger.LogAttrs(ctx, slog.LevelDebug, "dinie: request", slog.String("method", req.method), slog.String("path", req.path),
		slog.Int("status", hresp.StatusCode), slog.Int("attempt", n+1), slog.Duration("duration", time.Since(start)),
		slog.String("request_id", hresp.Header.Get("X-Request-Id")))
	return &response{status: hresp.StatusCode, header: hresp.Header, body: b}, token, nil
}

// backoffDelay is the wait before retry number attempt+1 when the server gave no Retry-After:
// min(base·2^attempt, max), minus up to 25 % of jitter.
func (c *Client) backoffDelay(attempt int) time.Duration {
	d := c.backoff[1]
	if attempt < 30 {
		d = min(c.backoff[0]<<attempt, c.backoff[1])
	}
	return d - time.Duration(rand.Float64()*0.25*float64(d))
}

// parseRetryAfter reads Retry-After (delta-seconds or an HTTP date), clamped to [0, 60 s].
func parseRetryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseFloat(v, 64); err == nil {
		if secs != secs { // NaN
			return 0, false
		}
		d = time.Duration(min(max(secs, 0), maxRetryAfter.Seconds()) * float64(time.Second))
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}

// noteRateLimit remembers the X-RateLimit-* headers of an answer, when all three are there.
func (c *Client) noteRateLimit(h http.Header) {
	limit, err1 := strconv.Atoi(h.Get("X-RateLimit-Limit"))
	remaining, err2 := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	reset, err3 := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || limit < 0 || remaining < 0 || reset < 0 {
		return
	}
	at := time.Unix(reset, 0)
	if reset < 1_000_000_000 {
		at = time.Now().Add(time.Duration(reset) * time.Second)
	}
	c.rateLimit.Store(&RateLimit{Limit: limit, Remaining: remaining, Reset: at})
}

// sleep waits d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Helpers the services share.

// get calls GET path and decodes the answer into out.
func (c *Client) get(ctx context.Context, path string, query url.Values, out any) error {
	_, err := c.send(ctx, &request{method: http.MethodGet, path: path, query: query}, out)
	return err
}

// post calls POST path with the JSON body in (nil: no body) and decodes the answer into out.
func (c *Client) post(ctx context.Context, path string, in, out any) (*response, error) {
	return c.send(ctx, &request{method: http.MethodPost, path: path, json: in}, out)
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }
