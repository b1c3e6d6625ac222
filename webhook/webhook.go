// Package webhook signs and verifies Dinie webhook deliveries.
//
// Dinie delivers events to partners' endpoints following Standard Webhooks v1
// (https://www.standardwebhooks.com): every delivery is an HTTP POST whose raw
// JSON body is signed with HMAC-SHA256 and described by three headers:
//
//	webhook-id         the event id, the same on every retry of one event
//	webhook-timestamp  Unix seconds of this attempt (decimal), fresh on every attempt
//	webhook-signature  space-separated "v1,<base64 HMAC>" tokens, one per active secret
//
// The signed content is the bytes "<webhook-id>.<webhook-timestamp>.<raw body>",
// keyed with the endpoint secret ("whsec_" + base64 of the key bytes).
//
// Partners verify a delivery with [Verify] (or [VerifyWithTolerance]) before
// parsing the body; the server produces the headers with [Sign] and
// [Headers.Apply]. While a secret is being rotated the server signs with both
// the old and the new secret, so a receiver holding either one verifies, and a
// receiver may pass both secrets to [Verify].
//
// The package also holds the pieces of the delivery policy that partners may
// want to reason about: the event types ([EventTypes]), endpoint event filters
// ([Matches], [ValidFilter]) and the retry schedule ([RetryDelay],
// [RetryAfterDelay]).
//
// Every function is safe for concurrent use.
package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every endpoint secret; the rest of the secret is the
// standard base64 encoding of the key bytes.
const SecretPrefix = "whsec_"

// secretBytes is the number of random key bytes [NewSecret] generates
// (Standard Webhooks asks for 24 to 64).
const secretBytes = 32

// DefaultTolerance is how far a delivery's webhook-timestamp may lie from the
// receiver's clock, in either direction, for [Verify] to accept it.
const DefaultTolerance = 5 * time.Minute

// Header names, exactly as they are written on the wire.
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// signatureVersion is the only signature scheme this package produces and
// accepts (symmetric HMAC-SHA256).
const signatureVersion = "v1"

// Errors returned (wrapped, with detail) by this package. Test for them with
// [errors.Is].
var (
	// ErrInvalidSecret: a secret does not decode to a non-empty key.
	ErrInvalidSecret = errors.New("webhook: invalid secret")
	// ErrNoSecrets: a signature was requested or checked without any secret.
	ErrNoSecrets = errors.New("webhook: no secrets")
	// ErrInvalidMessageID: [Sign] was given a message id that cannot be signed
	// unambiguously or sent in a header (empty, containing '.', or containing
	// a space or control character).
	ErrInvalidMessageID = errors.New("webhook: invalid message id")
	// ErrMissingHeaders: webhook-id, webhook-timestamp or webhook-signature is
	// absent or empty.
	ErrMissingHeaders = errors.New("webhook: missing required headers")
	// ErrInvalidTimestamp: webhook-timestamp is not a decimal integer.
	ErrInvalidTimestamp = errors.New("webhook: invalid timestamp")
	// ErrTimestampOutOfTolerance: webhook-timestamp is too far in the past or
	// in the future.
	ErrTimestampOutOfTolerance = errors.New("webhook: timestamp out of tolerance")
	// ErrNoMatchingSignature: no v1 signature matches any of the secrets.
	ErrNoMatchingSignature = errors.New("webhook: no matching signature")
)

// NewSecret returns a fresh endpoint secret: [SecretPrefix] followed by the
// standard base64 encoding (with padding) of 32 bytes from crypto/rand.
// It cannot fail: since Go 1.24 crypto/rand.Read never returns an error (the
// program crashes if the system's random source is broken).
func NewSecret() string {
	key := make([]byte, secretBytes)
	if _, err := rand.Read(key); err != nil {
		panic("webhook: crypto/rand failed: " + err.Error())
	}
	return SecretPrefix + base64.StdEncoding.EncodeToString(key)
}

// DecodeSecret returns the HMAC key of secret: it strips [SecretPrefix] when
// present and decodes the rest as standard base64, accepting it with or
// without '=' padding.
//
// It returns an error wrapping [ErrInvalidSecret] when the rest is not valid
// base64 or decodes to zero bytes.
//
// Some Standard Webhooks SDKs fall back to the raw UTF-8 bytes of a secret that
// is not base64 (or that lacks the prefix). This package does not: secrets
// issued by Dinie are always base64, so a non-base64 secret is a configuration
// mistake and is reported rather than silently used as a different key.
func DecodeSecret(secret string) ([]byte, error) {
	enc := strings.TrimPrefix(secret, SecretPrefix)
	key, err := base64.RawStdEncoding.DecodeString(strings.TrimRight(enc, "="))
	if err != nil {
		return nil, fmt.Errorf("%w: not standard base64 after %q: %v", ErrInvalidSecret, SecretPrefix, err)
	}
	if len(key) == 0 {
		return nil, fmt.Errorf("%w: empty key", ErrInvalidSecret)
	}
	return key, nil
}

// decodeSecrets decodes every secret, failing on the first invalid one.
func decodeSecrets(secrets []string) ([][]byte, error) {
	if len(secrets) == 0 {
		return nil, ErrNoSecrets
	}
	keys := make([][]byte, len(secrets))
	for i, s := range secrets {
		k, err := DecodeSecret(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		keys[i] = k
	}
	return keys, nil
}

// signature returns base64(HMAC-SHA256(key, msgID + "." + timestamp + "." + body)).
func signature(key []byte, msgID, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(msgID))
	mac.Write([]byte{'.'})
	mac.Write([]byte(timestamp))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// checkMessageID reports why msgID cannot be signed, or nil.
func checkMessageID(msgID string) error {
	if msgID == "" {
		return fmt.Errorf("%w: empty", ErrInvalidMessageID)
	}
	for i := 0; i < len(msgID); i++ {
		switch c := msgID[i]; {
		case c == '.':
			return fmt.Errorf("%w: %q contains '.'", ErrInvalidMessageID, msgID)
		case c <= ' ' || c == 0x7f:
			return fmt.Errorf("%w: %q contains a space or control character", ErrInvalidMessageID, msgID)
		}
	}
	return nil
}

// Sign returns the webhook-signature header value for one delivery attempt:
// for each secret, in the order given, "v1," followed by the standard base64
// of HMAC-SHA256(key, msgID + "." + timestamp + "." + body), the tokens joined
// by single spaces. body must be the exact bytes that will be sent.
//
// Pass the current secret and, during a rotation grace period, the previous
// one too, so that receivers holding either secret verify.
//
// It returns an error wrapping [ErrNoSecrets] when secrets is empty,
// [ErrInvalidSecret] when a secret does not decode (see [DecodeSecret]), or
// [ErrInvalidMessageID] when msgID is empty or contains '.', a space or a
// control character (Standard Webhooks forbids '.' in ids because it separates
// the signed fields; spaces and control characters do not survive an HTTP
// header).
func Sign(secrets []string, msgID string, timestamp int64, body []byte) (string, error) {
	if err := checkMessageID(msgID); err != nil {
		return "", err
	}
	keys, err := decodeSecrets(secrets)
	if err != nil {
		return "", err
	}
	ts := strconv.FormatInt(timestamp, 10)
	tokens := make([]string, len(keys))
	for i, k := range keys {
		tokens[i] = signatureVersion + "," + signature(k, msgID, ts, body)
	}
	return strings.Join(tokens, " "), nil
}

// Headers are the three Standard Webhooks headers of one delivery attempt.
type Headers struct {
	// ID is the webhook-id: the event id, the same on every retry.
	ID string
	// Timestamp is the webhook-timestamp: Unix seconds of this attempt.
	Timestamp int64
	// Signature is the webhook-signature value returned by [Sign] for ID,
	// Timestamp and the body.
	Signature string
}

// Apply sets webhook-id, webhook-timestamp and webhook-signature in hdr,
// replacing earlier values. It stores them under exactly those lower-case keys
// (by assigning to the map rather than calling [http.Header.Set], which would
// canonicalize them to "Webhook-Id" and so on) and first removes any other
// spelling of the same names, so the request carries each header once, under a
// deterministic name. Header names are case-insensitive in HTTP, so receivers
// accept either spelling; HTTP/2 lower-cases them anyway.
func (h Headers) Apply(hdr http.Header) {
	for k := range hdr {
		for _, name := range [...]string{HeaderID, HeaderTimestamp, HeaderSignature} {
			if k != name && strings.EqualFold(k, name) {
				delete(hdr, k)
			}
		}
	}
	hdr[HeaderID] = []string{h.ID}
	hdr[HeaderTimestamp] = []string{strconv.FormatInt(h.Timestamp, 10)}
	hdr[HeaderSignature] = []string{h.Signature}
}

// headerValue returns the first value of the header named name (lower-case),
// matching the key case-insensitively. When several spellings are present the
// choice is deterministic: the canonical form ("Webhook-Id", what net/http
// servers produce), then the lower-case form (what [Headers.Apply] writes),
// then the other spellings in sorted order.
func headerValue(hdr http.Header, name string) string {
	if v := hdr[http.CanonicalHeaderKey(name)]; len(v) > 0 {
		return v[0]
	}
	if v := hdr[name]; len(v) > 0 {
		return v[0]
	}
	var others []string
	for k, v := range hdr {
		if len(v) > 0 && strings.EqualFold(k, name) {
			others = append(others, k)
		}
	}
	if len(others) == 0 {
		return ""
	}
	slices.Sort(others)
	return hdr[others[0]][0]
}

// Verify checks that a delivery was signed by Dinie with one of secrets and
// is recent: it is [VerifyWithTolerance] with [DefaultTolerance] (5 minutes
// in either direction). Call it with the raw request body, before parsing it,
// and with now = time.Now().
//
// It returns nil when the delivery is authentic, or an error wrapping one of
// [ErrNoSecrets], [ErrInvalidSecret], [ErrMissingHeaders],
// [ErrInvalidTimestamp], [ErrTimestampOutOfTolerance] or
// [ErrNoMatchingSignature], as described at [VerifyWithTolerance].
func Verify(secrets []string, header http.Header, body []byte, now time.Time) error {
	return VerifyWithTolerance(secrets, header, body, now, DefaultTolerance)
}

// VerifyWithTolerance checks a delivery like [Verify], accepting a
// webhook-timestamp at most tolerance away from now in either direction.
// Timestamps are compared in whole seconds (now is truncated to its Unix
// second, tolerance to whole seconds); a negative tolerance counts as zero.
//
// Header names are matched case-insensitively. The checks, in order, and the
// error each failure wraps:
//   - secrets is empty: [ErrNoSecrets]; a secret does not decode:
//     [ErrInvalidSecret] (both are receiver configuration problems).
//   - webhook-id, webhook-timestamp or webhook-signature absent or empty:
//     [ErrMissingHeaders].
//   - webhook-timestamp not a decimal integer: [ErrInvalidTimestamp].
//   - webhook-timestamp further than tolerance from now:
//     [ErrTimestampOutOfTolerance].
//   - no "v1,<signature>" token of webhook-signature equals, in constant time,
//     the signature of the id, timestamp and body under any of the secrets:
//     [ErrNoMatchingSignature]. Tokens may be separated by any amount of white
//     space; tokens of other versions (such as "v1a,") are ignored.
//
// It returns nil when a token matches.
func VerifyWithTolerance(secrets []string, header http.Header, body []byte, now time.Time, tolerance time.Duration) error {
	keys, err := decodeSecrets(secrets)
	if err != nil {
		return err
	}

	msgID := headerValue(header, HeaderID)
	tsText := strings.TrimSpace(headerValue(header, HeaderTimestamp))
	sigHeader := headerValue(header, HeaderSignature)
	var missing []string
	for _, h := range [...]struct{ name, value string }{
		{HeaderID, msgID}, {HeaderTimestamp, tsText}, {HeaderSignature, strings.TrimSpace(sigHeader)},
	} {
		if h.value == "" {
			missing = append(missing, h.name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: %s", ErrMissingHeaders, strings.Join(missing, ", "))
	}

	ts, err := strconv.ParseInt(tsText, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: %q is not an integer number of Unix seconds", ErrInvalidTimestamp, tsText)
	}
	if err := checkTolerance(ts, now.Unix(), tolerance); err != nil {
		return err
	}

	// The signed timestamp is the canonical decimal form of the parsed value,
	// as in the reference libraries. Compare base64 texts, as they do too: a
	// token that is not the canonical encoding of the expected MAC does not
	// match.
	tsCanon := strconv.FormatInt(ts, 10)
	expected := make([][]byte, len(keys))
	for i, k := range keys {
		expected[i] = []byte(signature(k, msgID, tsCanon, body))
	}
	for _, token := range strings.Fields(sigHeader) {
		version, sig, ok := strings.Cut(token, ",")
		if !ok || version != signatureVersion {
			continue
		}
		for _, want := range expected {
			if hmac.Equal([]byte(sig), want) {
				return nil
			}
		}
	}
	return fmt.Errorf("%w: checked against %d secret(s)", ErrNoMatchingSignature, len(keys))
}

// checkTolerance reports whether ts lies within tolerance (whole seconds) of
// now, without overflowing for extreme values.
func checkTolerance(ts, now int64, tolerance time.Duration) error {
	tol := uint64(max(tolerance, 0) / time.Second)
	if ts <= now {
		// uint64(now)-uint64(ts) is the exact difference for any ts <= now.
		if d := uint64(now) - uint64(ts); d > tol {
			return fmt.Errorf("%w: timestamp %d is %ds in the past (tolerance %ds)", ErrTimestampOutOfTolerance, ts, d, tol)
		}
		return nil
	}
	if d := uint64(ts) - uint64(now); d > tol {
		return fmt.Errorf("%w: timestamp %d is %ds in the future (tolerance %ds)", ErrTimestampOutOfTolerance, ts, d, tol)
	}
	return nil
}
