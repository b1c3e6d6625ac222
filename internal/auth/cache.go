package auth

import (
	"sync"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Every authenticated request used to parse its token's JSON, recompute its HMAC and read its credential
// from the database: about 30 % of the CPU of a GET of one customer. Two small caches remove most of it.
//
// A token is a pure function of its bytes and the signing keys (which an Authenticator never changes),
// so a token that verified once verifies again until it expires: tokenCache keeps what it said.
//
// A credential's row changes only by revocation or expiry. credentialCache keeps each row for at most
// credentialTTL, and the Authenticator forgets a row at once when this process revokes it, so revocation
// through the API stays immediate; one made by another process (the CLI, another server) takes effect
// within credentialTTL. The documentation promises less: tokens issued before a revocation may stay
// valid until they expire. Issuing a token always reads the credential afresh.

// credentialTTL is how long a credential read stays in use for verifying tokens.
const credentialTTL = time.Second

// maxCached bounds each cache; a full cache starts over.
const maxCached = 10_000

// tokenCache maps a raw token that verified to its claims.
type tokenCache struct {
	mu sync.RWMutex
	m  map[string]claims
}

func (c *tokenCache) get(raw string) (claims, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[raw]
	return v, ok
}

func (c *tokenCache) put(raw string, v claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]claims)
	}
	c.m[raw] = v
}

func (c *tokenCache) forget(raw string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, raw)
}

// credentialCache maps a client id to its credential as read at a (monotonic) instant.
type credentialCache struct {
	mu sync.RWMutex
	m  map[string]cachedCredential
}

type cachedCredential struct {
	cred   lending.Credential
	readAt time.Time
}

// get returns clientID's credential if it was read less than credentialTTL ago.
func (c *credentialCache) get(clientID string) (lending.Credential, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, ok := c.m[clientID]
	if !ok || time.Since(v.readAt) >= credentialTTL {
		return lending.Credential{}, false
	}
	return v.cred, true
}

func (c *credentialCache) put(cred lending.Credential, readAt time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil || len(c.m) >= maxCached {
		c.m = make(map[string]cachedCredential)
	}
	c.m[cred.ClientID] = cachedCredential{cred: cred, readAt: readAt}
}

// touched records that clientID's last_used_at is now at, so that the next requests do not write it again.
func (c *credentialCache) touched(clientID string, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.m[clientID]; ok {
		v.cred.LastUsedAt = &at
		c.m[clientID] = v
	}
}

func (c *credentialCache) forget(clientID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, clientID)
}
