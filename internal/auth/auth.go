// Package auth issues and verifies the API's access tokens (OAuth2 client credentials), and keeps
// credential secrets only as hashes.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

// TokenPrefix starts every access token.
const TokenPrefix = "dinie_at_"

// TokenTTL is how long an access token lives.
const TokenTTL = time.Hour

// algorithm is the only signing method accepted; pinning it defeats "alg": "none" and algorithm
// confusion.
const algorithm = "HS256"

// touchGranularity bounds how often using a credential writes its last_used_at.
const touchGranularity = time.Minute

// HashSecret returns what is stored of a client secret. The secrets are 40 random characters (over 230
// bits), so a fast hash is enough: there is nothing to brute-force, and token issue stays cheap.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Principal is who is calling: a partner's credential in one environment.
type Principal struct {
	Scope    lending.Scope
	ClientID string
	Scopes   []string
	// CustomerID is set for a customer session token (from a biometrics session): the caller is that
	// customer, through the hosted KYC page or a KYC app, and may only touch its own KYC.
	CustomerID string
}

// IsSession reports whether p is a customer session rather than a partner credential.
func (p Principal) IsSession() bool { return p.CustomerID != "" }

// Token is an issued access token.
type Token struct {
	AccessToken string
	ExpiresIn   int
}

// Credentials is what auth needs of the store.
type Credentials interface {
	CredentialByClientID(ctx context.Context, clientID string) (lending.Credential, error)
	TouchCredential(ctx context.Context, clientID string, now time.Time, granularity time.Duration) error
	EnsureSigningKey(ctx context.Context, k store.SigningKey) ([]store.SigningKey, error)
}

// Authenticator issues and verifies tokens.
type Authenticator struct {
	creds     Credentials
	clock     clock.Clock
	active    store.SigningKey
	keys      map[string][]byte
	parser    *jwt.Parser
	tokens    tokenCache
	credCache credentialCache
}

// New returns an Authenticator whose signing key is loaded from (or, the first time, created in) the
// store, so tokens survive restarts and are accepted by every node.
func New(ctx context.Context, creds Credentials, clk clock.Clock) (*Authenticator, error) {
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	keys, err := creds.EnsureSigningKey(ctx, store.SigningKey{
		ID: ids.New("key_"), Algorithm: algorithm, Secret: secret, CreatedAt: clk.Now().UTC(),
	})
	if err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	a := &Authenticator{creds: creds, clock: clk, keys: map[string][]byte{}}
	for _, k := range keys {
		if k.Algorithm != algorithm {
			continue
		}
		a.keys[k.ID] = k.Secret
		if a.active.ID == "" && k.RetiredAt == nil {
			a.active = k
		}
	}
	if a.active.ID == "" {
		return nil, errors.New("auth: no active signing key")
	}
	a.parser = jwt.NewParser(
		jwt.WithValidMethods([]string{algorithm}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithTimeFunc(clk.Now),
	)
	return a, nil
}

type claims struct {
	jwt.RegisteredClaims
	PartnerID   string `json:"pid"`
	Environment string `json:"env"`
	// CustomerID binds a customer session token to its customer; partner tokens have none.
	CustomerID string `json:"cus,omitempty"`
}

// IssueToken checks a client id and secret and returns a new access token. Unknown ids, wrong secrets,
// revoked and expired credentials all get the same CodeInvalidClient error, so the answer does not
// reveal which ids exist.
func (a *Authenticator) IssueToken(ctx context.Context, clientID, secret string) (Token, error) {
	bad := lending.Errorf(lending.CodeInvalidClient, "the client credentials are invalid")
	if clientID == "" || secret == "" {
		return Token{}, bad
	}
	cred, err := a.creds.CredentialByClientID(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return Token{}, bad
	}
	if err != nil {
		return Token{}, err
	}
	if subtle.ConstantTimeCompare([]byte(HashSecret(secret)), []byte(cred.SecretHash)) != 1 {
		return Token{}, bad
	}
	now := a.clock.Now()
	if err := cred.UsableAt(now); err != nil {
		return Token{}, err
	}
	iat := now.Truncate(time.Second)
	c := claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   cred.ClientID,
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(iat.Add(TokenTTL)),
			ID:        ids.New(""),
		},
		PartnerID:   cred.PartnerID,
		Environment: string(cred.Environment),
	}
	tok, err := a.sign(c)
	if err != nil {
		return Token{}, err
	}
	if err := a.touch(ctx, cred, now); err != nil {
		return Token{}, err
	}
	return tok, nil
}

func (a *Authenticator) sign(c claims) (Token, error) {
	tok := jwt.NewWithClaims(jwt.SigningMethodHS256, c)
	tok.Header["kid"] = a.active.ID
	signed, err := tok.SignedString(a.active.Secret)
	if err != nil {
		return Token{}, fmt.Errorf("auth: sign: %w", err)
	}
	return Token{AccessToken: TokenPrefix + signed, ExpiresIn: int(TokenTTL / time.Second)}, nil
}

// IssueSessionToken returns a customer session token for customerID of scope, opened through biometrics
// session sessionID: valid for TokenTTL, usable only on that customer's KYC routes.
func (a *Authenticator) IssueSessionToken(scope lending.Scope, customerID, sessionID string) (Token, error) {
	iat := a.clock.Now().Truncate(time.Second)
	return a.sign(claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   "session:" + sessionID,
			IssuedAt:  jwt.NewNumericDate(iat),
			ExpiresAt: jwt.NewNumericDate(iat.Add(TokenTTL)),
			ID:        ids.New(""),
		},
		PartnerID: scope.PartnerID, Environment: string(scope.Environment), CustomerID: customerID,
	})
}

// Verify checks a bearer token and returns its principal. Errors are *lending.Error with
// CodeInvalidToken (malformed, forged, unknown key, revoked or vanished credential) or CodeTokenExpired
// (authentic but past its expiry, or its credential expired).
func (a *Authenticator) Verify(ctx context.Context, bearer string) (Principal, error) {
	raw, ok := strings.CutPrefix(bearer, TokenPrefix)
	if !ok {
		return Principal{}, lending.Errorf(lending.CodeInvalidToken, "the access token is not valid")
	}
	c, err := a.parse(raw)
	if err != nil {
		return Principal{}, err
	}
	if c.CustomerID != "" {
		env, ok := lending.ParseEnvironment(c.Environment)
		session, isSession := strings.CutPrefix(c.Subject, "session:")
		if !ok || !isSession || c.PartnerID == "" {
			return Principal{}, lending.Errorf(lending.CodeInvalidToken, "the access token is not valid")
		}
		return Principal{Scope: lending.Scope{PartnerID: c.PartnerID, Environment: env}, ClientID: session,
			CustomerID: c.CustomerID}, nil
	}
	cred, ok := a.credCache.get(c.Subject)
	if !ok {
		readAt := time.Now()
		cred, err = a.creds.CredentialByClientID(ctx, c.Subject)
		if errors.Is(err, store.ErrNotFound) {
			return Principal{}, lending.Errorf(lending.CodeInvalidToken, "the access token is not valid")
		}
		if err != nil {
			return Principal{}, err
		}
		a.credCache.put(cred, readAt)
	}
	if cred.PartnerID != c.PartnerID || string(cred.Environment) != c.Environment {
		return Principal{}, lending.Errorf(lending.CodeInvalidToken, "the access token is not valid")
	}
	now := a.clock.Now()
	if cred.Status != lending.CredentialActive {
		return Principal{}, lending.Errorf(lending.CodeInvalidToken, "the credential of this access token has been revoked")
	}
	if cred.ExpiresAt != nil && !now.Before(*cred.ExpiresAt) {
		return Principal{}, lending.Errorf(lending.CodeTokenExpired, "the credential of this access token has expired")
	}
	if err := a.touch(ctx, cred, now); err != nil {
		return Principal{}, err
	}
	return Principal{Scope: cred.Scope(), ClientID: cred.ClientID, Scopes: cred.Scopes}, nil
}

func (a *Authenticator) keyFor(t *jwt.Token) (any, error) {
	kid, _ := t.Header["kid"].(string)
	k, ok := a.keys[kid]
	if !ok {
		return nil, errors.New("unknown signing key")
	}
	return k, nil
}

// parse verifies a token (without its prefix) and returns its claims; errors as Verify's.
func (a *Authenticator) parse(raw string) (claims, error) {
	if c, ok := a.tokens.get(raw); ok {
		if !a.clock.Now().Before(c.ExpiresAt.Time) { // as the parser's check: valid while now < exp
			a.tokens.forget(raw)
			return claims{}, lending.Errorf(lending.CodeTokenExpired, "the access token has expired; request a new one")
		}
		return c, nil
	}
	var c claims
	_, err := a.parser.ParseWithClaims(raw, &c, a.keyFor)
	switch {
	case errors.Is(err, jwt.ErrTokenExpired):
		return claims{}, lending.Errorf(lending.CodeTokenExpired, "the access token has expired; request a new one")
	case err != nil:
		return claims{}, lending.Errorf(lending.CodeInvalidToken, "the access token is not valid")
	}
	a.tokens.put(raw, c)
	return c, nil
}

// Forget drops what the Authenticator remembers of credential clientID; call it when this process
// revokes or changes the credential, so the change applies to the very next request.
func (a *Authenticator) Forget(clientID string) { a.credCache.forget(clientID) }

// touch records the use of cred at most once per touchGranularity, so that reads stay reads.
func (a *Authenticator) touch(ctx context.Context, cred lending.Credential, now time.Time) error {
	if cred.LastUsedAt != nil && now.Sub(*cred.LastUsedAt) < touchGranularity {
		return nil
	}
	if err := a.creds.TouchCredential(ctx, cred.ClientID, now, touchGranularity); err != nil {
		return err
	}
	a.credCache.touched(cred.ClientID, now)
	return nil
}
