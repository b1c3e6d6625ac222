package lending

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dinie-oss/dinie/internal/ids"
)

// Environment is one of a partner's two isolated worlds.
type Environment string

// The two environments.
const (
	EnvTest Environment = "test"
	EnvLive Environment = "live"
)

// ParseEnvironment returns the environment named s, or false.
func ParseEnvironment(s string) (Environment, bool) {
	switch Environment(s) {
	case EnvTest, EnvLive:
		return Environment(s), true
	}
	return "", false
}

// Scope is what every partner-facing query is bounded by: one partner, one environment.
type Scope struct {
	PartnerID   string
	Environment Environment
}

// Partner is a company that calls the API on behalf of its customers.
type Partner struct {
	ID        string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// NewPartner validates name and returns a new partner created at now.
func NewPartner(name string, now time.Time) (Partner, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		return Partner{}, FieldErrorf(CodeInvalidField, "name", "name must have 1 to 200 characters")
	}
	now = now.UTC().Truncate(time.Microsecond) // what the store keeps
	return Partner{ID: ids.New("prt_"), Name: name, CreatedAt: now, UpdatedAt: now}, nil
}

// CredentialStatus is the life state of a credential.
type CredentialStatus string

// Credential states: active until revoked (irreversible).
const (
	CredentialActive  CredentialStatus = "active"
	CredentialRevoked CredentialStatus = "revoked"
)

// Scopes a credential may carry beyond the partner API.
const (
	// ScopeBiometricsExchange lets a credential call POST /biometrics/session-exchange; it is given only to
	// the credential of a separately deployed KYC app (spec/README.md decision 10).
	ScopeBiometricsExchange = "biometrics:exchange"
)

// Credential is an OAuth2 client of a partner in one environment. Its secret is never kept: only
// SecretHash is.
type Credential struct {
	ClientID    string
	PartnerID   string
	Environment Environment
	Name        string
	SecretHash  string
	Scopes      []string
	Status      CredentialStatus
	LastUsedAt  *time.Time
	ExpiresAt   *time.Time
	RevokedAt   *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Scope returns the partner and environment the credential belongs to.
func (c Credential) Scope() Scope { return Scope{PartnerID: c.PartnerID, Environment: c.Environment} }

// UsableAt reports why the credential cannot authenticate at now: nil when it is active and unexpired.
func (c Credential) UsableAt(now time.Time) error {
	if c.Status != CredentialActive {
		return Errorf(CodeInvalidClient, "the credential has been revoked")
	}
	if c.ExpiresAt != nil && !now.Before(*c.ExpiresAt) {
		return Errorf(CodeInvalidClient, "the credential has expired")
	}
	return nil
}

// HasScope reports whether the credential carries scope s.
func (c Credential) HasScope(s string) bool {
	for _, have := range c.Scopes {
		if have == s {
			return true
		}
	}
	return false
}

// NewCredentialRequest is what a partner (or an operator) asks for when creating a credential.
type NewCredentialRequest struct {
	Scope     Scope
	Name      string
	ExpiresAt *time.Time
	Scopes    []string
}

// NewCredential validates req and returns the credential and its plain secret, which the caller shows
// once and never stores. hash turns the secret into what is kept.
func NewCredential(req NewCredentialRequest, now time.Time, hash func(secret string) string) (Credential, string, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" {
		return Credential{}, "", FieldErrorf(CodeMissingRequiredField, "name", "name is required")
	}
	if utf8.RuneCountInString(name) > 200 {
		return Credential{}, "", FieldErrorf(CodeInvalidField, "name", "name must have at most 200 characters")
	}
	if _, ok := ParseEnvironment(string(req.Scope.Environment)); !ok {
		return Credential{}, "", FieldErrorf(CodeInvalidField, "environment", "environment must be test or live")
	}
	now = now.UTC().Truncate(time.Second)
	if req.ExpiresAt != nil && !req.ExpiresAt.After(now) {
		return Credential{}, "", FieldErrorf(CodeInvalidField, "expires_at", "expires_at must be in the future")
	}
	for _, s := range req.Scopes {
		if s != ScopeBiometricsExchange {
			return Credential{}, "", FieldErrorf(CodeInvalidField, "scope", "unknown scope %q", s)
		}
	}
	env := string(req.Scope.Environment)
	secret := ids.Secret("dinie_cs_"+env+"_", 40)
	c := Credential{
		ClientID:    ids.New("dinie_ci_" + env + "_"),
		PartnerID:   req.Scope.PartnerID,
		Environment: req.Scope.Environment,
		Name:        name,
		SecretHash:  hash(secret),
		Scopes:      req.Scopes,
		Status:      CredentialActive,
		ExpiresAt:   utcPtr(req.ExpiresAt),
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	return c, secret, nil
}

// EnvironmentOfClientID returns the environment encoded in a client id (dinie_ci_<env>_…), or false.
func EnvironmentOfClientID(clientID string) (Environment, bool) {
	rest, ok := strings.CutPrefix(clientID, "dinie_ci_")
	if !ok {
		return "", false
	}
	env, tail, ok := strings.Cut(rest, "_")
	if !ok || tail == "" {
		return "", false
	}
	return ParseEnvironment(env)
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Revoke returns c revoked at now. otherActive is how many other credentials of the same partner and
// environment are usable at now; revoking the last one is refused with CodeLastActiveCredential, so a
// partner can never lock itself out. Revoking an already revoked credential changes nothing.
func (c Credential) Revoke(now time.Time, otherActive int) (Credential, error) {
	if c.Status == CredentialRevoked {
		return c, nil
	}
	if c.UsableAt(now) == nil && otherActive == 0 {
		return c, Errorf(CodeLastActiveCredential,
			"%s is the last active %s credential; create another one before revoking it", c.ClientID, c.Environment)
	}
	now = now.UTC().Truncate(time.Microsecond) // what the store keeps
	c.Status = CredentialRevoked
	c.RevokedAt = &now
	c.UpdatedAt = now
	return c, nil
}
