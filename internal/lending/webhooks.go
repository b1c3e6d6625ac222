package lending

import (
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/webhook"
)

// APIVersion is the API version stamped on every event.
const APIVersion = "2026-03-01"

// Event is something that happened to a partner's data, delivered to its webhook endpoints.
type Event struct {
	ID    string
	Scope Scope
	Type  string
	// Data is the exact JSON of the event's `data` payload (contract.md §8).
	Data       []byte
	OccurredAt time.Time
	CreatedAt  time.Time
}

// NewEvent returns an event of type typ with the given data JSON, occurring and created at now.
func NewEvent(scope Scope, typ string, data []byte, now time.Time) (Event, error) {
	if !webhook.IsEventType(typ) {
		return Event{}, Errorf(CodeInvalidEventFilter, "%q is not an event type", typ)
	}
	now = now.UTC().Truncate(time.Microsecond)
	return Event{ID: ids.New("evt_"), Scope: scope, Type: typ, Data: data, OccurredAt: now, CreatedAt: now}, nil
}

// WebhookEndpointStatus is whether an endpoint receives deliveries.
type WebhookEndpointStatus string

// Endpoint states.
const (
	EndpointActive   WebhookEndpointStatus = "active"
	EndpointDisabled WebhookEndpointStatus = "disabled"
)

// Limits of endpoint fields.
const (
	maxURLLength         = 2048
	maxDescriptionLength = 500
	// MaxSecretGrace is the longest a rotated-out secret keeps signing (spec/README.md decision 8).
	MaxSecretGrace = 24 * time.Hour
	// DefaultSecretGrace is how long a rotated-out secret keeps signing when the partner does not say.
	DefaultSecretGrace = time.Hour
	// DisableAfterFailing is how long an endpoint may fail without a single success before it is
	// disabled (spec/README.md decision 9).
	DisableAfterFailing = 5 * 24 * time.Hour
)

// WebhookEndpoint is a partner's URL that receives events.
type WebhookEndpoint struct {
	ID          string
	Scope       Scope
	URL         string
	Events      []string
	Description string
	Status      WebhookEndpointStatus
	// DisabledReason says why the platform disabled the endpoint ("" when the partner did, or when active).
	DisabledReason          string
	Secret                  string
	PreviousSecret          string
	PreviousSecretExpiresAt *time.Time
	// FailingSince is the first failed attempt since the last success, or nil.
	FailingSince *time.Time
	DeletedAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// NewWebhookEndpoint validates the partner's request and returns a new active endpoint with secret.
func NewWebhookEndpoint(scope Scope, rawURL string, events []string, description string, secret string, now time.Time) (WebhookEndpoint, error) {
	now = now.UTC().Truncate(time.Microsecond)
	e := WebhookEndpoint{ID: ids.New("we_"), Scope: scope, Status: EndpointActive, Secret: secret, CreatedAt: now, UpdatedAt: now}
	var err error
	if e.URL, err = ValidateWebhookURL(scope.Environment, rawURL); err != nil {
		return e, err
	}
	if e.Events, err = validateFilters(events); err != nil {
		return e, err
	}
	if e.Description, err = validateDescription(description); err != nil {
		return e, err
	}
	return e, nil
}

// WebhookEndpointPatch is a partial update; nil fields stay as they are.
type WebhookEndpointPatch struct {
	URL         *string
	Events      *[]string
	Description *string
	Status      *WebhookEndpointStatus
}

// Apply returns e changed by p at now (updated_at moves only when something changed). Re-enabling an endpoint clears its failure history.
func (e WebhookEndpoint) Apply(p WebhookEndpointPatch, now time.Time) (WebhookEndpoint, error) {
	before := e
	var err error
	if p.URL != nil {
		if e.URL, err = ValidateWebhookURL(e.Scope.Environment, *p.URL); err != nil {
			return e, err
		}
	}
	if p.Events != nil {
		if e.Events, err = validateFilters(*p.Events); err != nil {
			return e, err
		}
	}
	if p.Description != nil {
		if e.Description, err = validateDescription(*p.Description); err != nil {
			return e, err
		}
	}
	if p.Status != nil {
		switch *p.Status {
		case EndpointActive:
			if e.Status != EndpointActive {
				e.FailingSince, e.DisabledReason = nil, ""
			}
		case EndpointDisabled:
			e.DisabledReason = ""
		default:
			return e, FieldErrorf(CodeInvalidField, "status", "status must be active or disabled")
		}
		e.Status = *p.Status
	}
	if e.URL != before.URL || !slices.Equal(e.Events, before.Events) || e.Description != before.Description ||
		e.Status != before.Status {
		e.UpdatedAt = now.UTC().Truncate(time.Microsecond)
	}
	return e, nil
}

// RotateSecret returns e with newSecret as its secret; the old one keeps signing deliveries for grace
// (0 to MaxSecretGrace).
func (e WebhookEndpoint) RotateSecret(newSecret string, grace time.Duration, now time.Time) (WebhookEndpoint, error) {
	if grace < 0 || grace > MaxSecretGrace {
		return e, FieldErrorf(CodeInvalidField, "expire_current_in", "expire_current_in must be from 0 to %d seconds", int(MaxSecretGrace/time.Second))
	}
	now = now.UTC().Truncate(time.Microsecond)
	expires := now.Add(grace).Truncate(time.Second)
	e.PreviousSecret, e.PreviousSecretExpiresAt = e.Secret, &expires
	e.Secret = newSecret
	e.UpdatedAt = now
	return e, nil
}

// SigningSecrets returns the secrets a delivery at now is signed with: the current one, and the previous
// one while its grace period lasts.
func (e WebhookEndpoint) SigningSecrets(now time.Time) []string {
	out := []string{e.Secret}
	if e.PreviousSecret != "" && e.PreviousSecretExpiresAt != nil && now.Before(*e.PreviousSecretExpiresAt) {
		out = append(out, e.PreviousSecret)
	}
	return out
}

// Receives reports whether the endpoint should get an event of type typ now.
func (e WebhookEndpoint) Receives(typ string) bool {
	return e.Status == EndpointActive && e.DeletedAt == nil && webhook.Matches(e.Events, typ)
}

// AfterFailure returns e after a failed delivery attempt at now: its failure streak starts if it had
// none, and an endpoint failing for DisableAfterFailing — or answering 410 Gone — is disabled.
func (e WebhookEndpoint) AfterFailure(now time.Time, gone bool) WebhookEndpoint {
	now = now.UTC().Truncate(time.Microsecond)
	if e.FailingSince == nil {
		e.FailingSince = &now
	}
	switch {
	case gone && e.Status == EndpointActive:
		e.Status, e.DisabledReason, e.UpdatedAt = EndpointDisabled, "the endpoint answered 410 Gone", now
	case now.Sub(*e.FailingSince) >= DisableAfterFailing && e.Status == EndpointActive:
		e.Status, e.DisabledReason, e.UpdatedAt = EndpointDisabled, "no successful delivery for 5 days", now
	}
	return e
}

// ValidateWebhookURL checks an endpoint URL for env (spec/README.md decision 9): an absolute http(s)
// URL with a host; in live, https only and no host that is (or names) a private, loopback or link-local
// address. The delivery re-checks every resolved address when it connects. It returns the URL as given.
func ValidateWebhookURL(env Environment, raw string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", FieldErrorf(CodeInvalidURL, "url", format, args...)
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", FieldErrorf(CodeMissingRequiredField, "url", "url is required")
	}
	if len(raw) > maxURLLength {
		return bad("url must have at most %d characters", maxURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" {
		return bad("url must be an absolute http or https URL")
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return bad("url must use https (or http in the test environment)")
	}
	if u.Fragment != "" {
		return bad("url must not have a fragment")
	}
	if env == EnvTest {
		return raw, nil
	}
	if u.Scheme != "https" {
		return bad("live endpoints must use https")
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".internal") {
		return bad("live endpoints must be reachable on the public internet, not %s", host)
	}
	if ip, err := netip.ParseAddr(strings.Trim(host, "[]")); err == nil {
		if !IsPublicAddr(ip) {
			return bad("live endpoints must not point at a private, loopback or link-local address")
		}
		return raw, nil
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return bad("live endpoints need a fully qualified host name, not %q", host)
	}
	if looksNumeric(labels[len(labels)-1]) {
		// Browsers and many resolvers read such hosts (127.1, 2130706433, 0x7f000001) as IPv4 addresses.
		return bad("live endpoints must use a host name or a standard IP address, not %q", host)
	}
	return raw, nil
}

// looksNumeric reports whether a host label is a decimal, octal or hex number, which makes the whole
// host an IPv4 address in the WHATWG URL rules.
func looksNumeric(label string) bool {
	if label == "" {
		return false
	}
	l := strings.ToLower(label)
	if strings.HasPrefix(l, "0x") {
		l = l[2:]
		return strings.Trim(l, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}

// nonPublic are ranges that are neither private nor loopback by netip's reckoning but still must not be
// a live webhook's destination.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
}

// IsPublicAddr reports whether ip may be a live webhook's destination: not loopback, private, link-local,
// multicast, unspecified or otherwise reserved.
func IsPublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

func validateFilters(events []string) ([]string, error) {
	out := make([]string, 0, len(events))
	for _, f := range events {
		if !webhook.ValidFilter(f) {
			return nil, FieldErrorf(CodeInvalidEventFilter, "events",
				"%q is neither an event type nor a wildcard (*, customer.*, credit_offer.*, loan.*)", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

func validateDescription(d string) (string, error) {
	if utf8.RuneCountInString(d) > maxDescriptionLength {
		return "", FieldErrorf(CodeInvalidField, "description", "description must have at most %d characters", maxDescriptionLength)
	}
	return d, nil
}

// DeliveryStatus is where one event's delivery to one endpoint stands.
type DeliveryStatus string

// Delivery states: pending until a 2xx (succeeded) or until the schedule is exhausted, the endpoint is
// gone or disabled (failed). A resend puts a delivery back to pending.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is one event's delivery to one endpoint.
type Delivery struct {
	ID            string
	EventID       string
	EndpointID    string
	Scope         Scope
	EventType     string
	Status        DeliveryStatus
	AttemptCount  int
	NextAttemptAt *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Attempts      []DeliveryAttempt
}

// NewDelivery returns a pending delivery of ev to endpoint e, due at now.
func NewDelivery(ev Event, e WebhookEndpoint, now time.Time) Delivery {
	now = now.UTC().Truncate(time.Microsecond)
	return Delivery{ID: ids.New("dlv_"), EventID: ev.ID, EndpointID: e.ID, Scope: ev.Scope, EventType: ev.Type,
		Status: DeliveryPending, NextAttemptAt: &now, CreatedAt: now, UpdatedAt: now}
}

// DeliveryAttempt is one HTTP request of a delivery.
type DeliveryAttempt struct {
	Number         int
	AttemptedAt    time.Time
	ResponseStatus int // 0 on a network error
	Duration       time.Duration
	// ResponseExcerpt is the start of the response body.
	ResponseExcerpt string
	Error           string
}
