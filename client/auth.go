package client

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// tokenRefreshMargin is how long before its expiry a client-credentials token is replaced.
const tokenRefreshMargin = 5 * time.Minute

// sessionMargin is how long before its expiry a session token counts as expired (clock skew).
const sessionMargin = 5 * time.Second

// authenticator gets, caches and refreshes the access token of a Client.
type authenticator struct {
	c   *Client
	now func() time.Time

	clientID, clientSecret string
	sessionCode            string

	mu sync.Mutex
	// partner is the cached client-credentials token.
	partner cachedToken
	// fetching is closed when the partner-token fetch in flight ends (nil: none in flight).
	fetching chan struct{}
	fetchErr error
	// session is the customer session token of session mode, once exchanged; sessionErr a final
	// failure of the exchange (the code is single-use, so it is not tried again).
	session    cachedToken
	exchanging chan struct{}
	exchanged  bool
	sessionErr error
	customerID string
}

type cachedToken struct {
	value string
	// staleAt is when the token stops being used.
	staleAt time.Time
}

func (t cachedToken) validAt(now time.Time) bool { return t.value != "" && now.Before(t.staleAt) }

// token returns the bearer token for the next API call: the session token in session mode, else a
// (cached or new) client-credentials token.
func (a *authenticator) token(ctx context.Context) (string, error) {
	if a.sessionCode != "" {
		return a.sessionToken(ctx)
	}
	return a.partnerToken(ctx)
}

// invalidate drops a partner token the API refused (only if it is still the cached one), so that the
// next call fetches a new one.
func (a *authenticator) invalidate(tok string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.partner.value == tok {
		a.partner = cachedToken{}
	}
}

// partnerToken returns a valid client-credentials token, fetching one when none is cached. Concurrent
// callers share one fetch.
func (a *authenticator) partnerToken(ctx context.Context) (string, error) {
	if a.clientID == "" || a.clientSecret == "" {
		return "", ErrNoCredentials
	}
	for {
		a.mu.Lock()
		if a.partner.validAt(a.now()) {
			tok := a.partner.value
			a.mu.Unlock()
			return tok, nil
		}
		if wait := a.fetching; wait != nil {
			a.mu.Unlock()
			select {
			case <-wait:
				a.mu.Lock()
				err := a.fetchErr
				a.mu.Unlock()
				if err != nil && !(isContextError(err) && ctx.Err() == nil) {
					return "", err
				}
				// Got a token, or the fetch ended with its caller's context and not ours: look again.
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		done := make(chan struct{})
		a.fetching = done
		a.mu.Unlock()

		tok, err := a.fetchPartnerToken(ctx)

		a.mu.Lock()
		a.fetching, a.fetchErr = nil, err
		if err == nil {
			a.partner = tok
		}
		a.mu.Unlock()
		close(done)
		if err != nil {
			return "", err
		}
		return tok.value, nil
	}
}

func isContextError(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// tokenResponse is the answer of POST /auth/token and of the session exchange.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int64  `json:"expires_in"`
	CustomerID  string `json:"customer_id"`
}

// staleAt is when a token issued now with expiresIn seconds stops being used: margin before its
// expiry, or half-way through a lifetime shorter than twice the margin.
func staleAt(now time.Time, expiresIn int64, margin time.Duration) time.Time {
	life := time.Duration(expiresIn) * time.Second
	return now.Add(life - min(margin, life/2))
}

// fetchPartnerToken asks POST /auth/token for a client-credentials token, with HTTP Basic and a form
// body (contract.md §2.1). Id and secret are form-encoded first, as RFC 6749 §2.3.1 asks.
func (a *authenticator) fetchPartnerToken(ctx context.Context) (cachedToken, error) {
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(a.clientID) + ":" + url.QueryEscape(a.clientSecret)))
	form := url.Values{"grant_type": {"client_credentials"}}.Encode()
	var out tokenResponse
	start := a.now()
	_, err := a.c.send(ctx, &request{
		method: http.MethodPost, path: "/auth/token", body: []byte(form),
		contentType: "application/x-www-form-urlencoded", authorization: "Basic " + basic, noIdempotency: true,
	}, &out)
	if err != nil {
		return cachedToken{}, fmt.Errorf("client: get an access token: %w", err)
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return cachedToken{}, errors.New("client: get an access token: the answer has no access_token or expires_in")
	}
	a.c.logger.DebugContext(ctx, "dinie: access token fetched", "client_id", a.clientID, "expires_in", out.ExpiresIn)
	return cachedToken{value: out.AccessToken, staleAt: staleAt(start, out.ExpiresIn, tokenRefreshMargin)}, nil
}

// sessionToken returns the customer session token, exchanging the code the first time.
func (a *authenticator) sessionToken(ctx context.Context) (string, error) {
	for {
		a.mu.Lock()
		switch {
		case a.sessionErr != nil:
			err := a.sessionErr
			a.mu.Unlock()
			return "", err
		case a.exchanged:
			tok := a.session
			a.mu.Unlock()
			if !tok.validAt(a.now()) {
				return "", ErrSessionExpired
			}
			return tok.value, nil
		case a.exchanging != nil:
			wait := a.exchanging
			a.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}
		done := make(chan struct{})
		a.exchanging = done
		a.mu.Unlock()

		tok, customerID, err := a.exchange(ctx)

		a.mu.Lock()
		a.exchanging = nil
		switch {
		case err == nil:
			a.session, a.customerID, a.exchanged = tok, customerID, true
		case ctx.Err() == nil:
			// The API refused the code (or never answered through every retry): it is single-use and
			// may be spent, so it is not tried again.
			a.sessionErr = err
		}
		a.mu.Unlock()
		close(done)
		if err != nil {
			return "", err
		}
		return tok.value, nil
	}
}

// exchange trades the session code for a customer session token (contract.md §2.5), authenticated with
// a client-credentials token. It carries an idempotency key, so that a retry after a lost answer gets
// the same token instead of being refused for a spent code.
func (a *authenticator) exchange(ctx context.Context) (cachedToken, string, error) {
	var out tokenResponse
	start := a.now()
	// Its own random key: a key the caller chose is for the caller's call, not for this one.
	ctx = context.WithValue(ctx, idempotencyKeyCtx{}, "")
	_, err := a.c.send(ctx, &request{
		method: http.MethodPost, path: "/biometrics/session-exchange",
		json: map[string]string{"code": a.sessionCode}, partnerAuth: true,
	}, &out)
	if err != nil {
		return cachedToken{}, "", fmt.Errorf("client: exchange the session code: %w", err)
	}
	if out.AccessToken == "" || out.ExpiresIn <= 0 {
		return cachedToken{}, "", errors.New("client: exchange the session code: the answer has no access_token or expires_in")
	}
	a.c.logger.DebugContext(ctx, "dinie: session code exchanged", "customer_id", out.CustomerID, "expires_in", out.ExpiresIn)
	return cachedToken{value: out.AccessToken, staleAt: staleAt(start, out.ExpiresIn, sessionMargin)}, out.CustomerID, nil
}
