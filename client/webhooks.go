package client

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"net/url"
	"time"
)

// WebhookEndpointStatus is whether an endpoint receives deliveries.
type WebhookEndpointStatus string

// Webhook endpoint statuses.
const (
	WebhookEndpointActive   WebhookEndpointStatus = "active"
	WebhookEndpointDisabled WebhookEndpointStatus = "disabled"
)

// WebhookEndpoint is where events are delivered (contract.md §6.11).
type WebhookEndpoint struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Events are the subscribed types or wildcards ("loan.*"); empty means every event.
	Events      []string              `json:"events"`
	Description string                `json:"description"`
	Status      WebhookEndpointStatus `json:"status"`
	CreatedAt   Timestamp             `json:"created_at"`
	UpdatedAt   Timestamp             `json:"updated_at"`
}

// WebhookEndpointWithSecret is an endpoint just created, with its signing secret: the only time it is
// shown. Pass it to VerifyWebhook.
type WebhookEndpointWithSecret struct {
	WebhookEndpoint
	Secret string `json:"secret"`
}

// CreateWebhookEndpointParams are the fields of a new endpoint.
type CreateWebhookEndpointParams struct {
	// URL receives the deliveries (https in live; test endpoints may be http and local).
	URL string `json:"url"`
	// Events are the types or wildcards ("loan.*", "customer.*", "*") to subscribe; nil or empty: all.
	Events      []string `json:"events,omitempty"`
	Description string   `json:"description,omitempty"`
}

// UpdateWebhookEndpointParams are the fields to change; nil (or the zero value) leaves a field as it is.
type UpdateWebhookEndpointParams struct {
	URL *string
	// Events replaces the subscription when non-nil; a non-nil empty slice subscribes to every event.
	Events      []string
	Description *string
	Status      WebhookEndpointStatus
}

// MarshalJSON sends only the fields set.
func (p UpdateWebhookEndpointParams) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if p.URL != nil {
		m["url"] = *p.URL
	}
	if p.Events != nil {
		m["events"] = p.Events
	}
	if p.Description != nil {
		m["description"] = *p.Description
	}
	if p.Status != "" {
		m["status"] = p.Status
	}
	return json.Marshal(m)
}

// RotateSecretParams tune a secret rotation.
type RotateSecretParams struct {
	// ExpireCurrentIn is how long the current secret stays valid beside the new one (default 1 hour,
	// at most 24 hours; whole seconds). Deliveries are signed with both meanwhile.
	ExpireCurrentIn *time.Duration
}

// MarshalJSON writes expire_current_in in seconds.
func (p RotateSecretParams) MarshalJSON() ([]byte, error) {
	m := map[string]any{}
	if p.ExpireCurrentIn != nil {
		m["expire_current_in"] = int64(*p.ExpireCurrentIn / time.Second)
	}
	return json.Marshal(m)
}

// WebhookSecretRotation is the outcome of a rotation (contract.md §6.12).
type WebhookSecretRotation struct {
	ID string `json:"id"`
	// Secret is the new signing secret.
	Secret string `json:"secret"`
	// PreviousSecretExpiresAt is when the previous secret stops being valid.
	PreviousSecretExpiresAt Timestamp `json:"previous_secret_expires_at"`
}

// DeliveryStatus is the state of a webhook delivery.
type DeliveryStatus string

// Delivery statuses.
const (
	DeliveryPending   DeliveryStatus = "pending"
	DeliverySucceeded DeliveryStatus = "succeeded"
	DeliveryFailed    DeliveryStatus = "failed"
)

// Delivery is the delivery of one event to one endpoint, with its attempts (an extension of ours).
type Delivery struct {
	ID        string         `json:"id"`
	EventID   string         `json:"event_id"`
	EventType EventType      `json:"event_type"`
	Status    DeliveryStatus `json:"status"`
	// Attempts are oldest first; empty before the first one.
	Attempts []DeliveryAttempt `json:"attempts"`
	// NextAttemptAt is when the next attempt is due; nil when none is scheduled.
	NextAttemptAt *Timestamp `json:"next_attempt_at"`
	CreatedAt     Timestamp  `json:"created_at"`
}

// DeliveryAttempt is one HTTP request made to deliver an event.
type DeliveryAttempt struct {
	AttemptedAt Timestamp `json:"attempted_at"`
	// ResponseStatus is nil when no response came (see Error).
	ResponseStatus  *int   `json:"response_status"`
	DurationMS      int64  `json:"duration_ms"`
	ResponseExcerpt string `json:"response_excerpt"`
	// Error says why the attempt failed; nil when it succeeded.
	Error *string `json:"error"`
}

// DeliveryListParams filter an endpoint's deliveries.
type DeliveryListParams struct {
	ListParams
	Status DeliveryStatus
}

func (p *DeliveryListParams) values() url.Values {
	if p == nil {
		return url.Values{}
	}
	q := p.ListParams.values()
	setIf(q, "status", string(p.Status))
	return q
}

// Resend is a resend the API accepted.
type Resend struct {
	DeliveryID string `json:"delivery_id"`
}

// WebhookEndpointsService manages webhook endpoints and their deliveries.
type WebhookEndpointsService struct{ c *Client }

// Create creates an endpoint; keep its Secret now, it cannot be read again.
func (s *WebhookEndpointsService) Create(ctx context.Context, params CreateWebhookEndpointParams) (*WebhookEndpointWithSecret, error) {
	out := &WebhookEndpointWithSecret{}
	if _, err := s.c.post(ctx, "/webhooks/endpoints", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

func webhookEndpointID(e WebhookEndpoint) string { return e.ID }

// List walks the partner's endpoints.
func (s *WebhookEndpointsService) List(ctx context.Context, params *ListParams) iter.Seq2[WebhookEndpoint, error] {
	return paginate(ctx, s.c, "/webhooks/endpoints", params.values(), webhookEndpointID)
}

// ListPage gets one page of endpoints.
func (s *WebhookEndpointsService) ListPage(ctx context.Context, params *ListParams) (*Page[WebhookEndpoint], error) {
	return listPage(ctx, s.c, "/webhooks/endpoints", params.values(), webhookEndpointID)
}

// Get gets an endpoint.
func (s *WebhookEndpointsService) Get(ctx context.Context, id string) (*WebhookEndpoint, error) {
	out := &WebhookEndpoint{}
	if err := s.c.get(ctx, "/webhooks/endpoints/"+seg(id), nil, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Update changes an endpoint.
func (s *WebhookEndpointsService) Update(ctx context.Context, id string, params UpdateWebhookEndpointParams) (*WebhookEndpoint, error) {
	out := &WebhookEndpoint{}
	if _, err := s.c.send(ctx, &request{method: http.MethodPatch, path: "/webhooks/endpoints/" + seg(id), json: params}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// Delete deletes an endpoint; its pending deliveries stop.
func (s *WebhookEndpointsService) Delete(ctx context.Context, id string) error {
	_, err := s.c.send(ctx, &request{method: http.MethodDelete, path: "/webhooks/endpoints/" + seg(id)}, nil)
	return err
}

// RotateSecret issues a new signing secret; the previous one stays valid for a grace period. params may
// be nil.
func (s *WebhookEndpointsService) RotateSecret(ctx context.Context, id string, params *RotateSecretParams) (*WebhookSecretRotation, error) {
	if params == nil {
		params = &RotateSecretParams{}
	}
	out := &WebhookSecretRotation{}
	if _, err := s.c.post(ctx, "/webhooks/endpoints/"+seg(id)+"/rotate-secret", params, out); err != nil {
		return nil, err
	}
	return out, nil
}

func deliveryID(d Delivery) string { return d.ID }

// Deliveries walks the endpoint's deliveries (an extension of ours).
func (s *WebhookEndpointsService) Deliveries(ctx context.Context, endpointID string, params *DeliveryListParams) iter.Seq2[Delivery, error] {
	return paginate(ctx, s.c, "/webhooks/endpoints/"+seg(endpointID)+"/deliveries", params.values(), deliveryID)
}

// DeliveriesPage gets one page of the endpoint's deliveries.
func (s *WebhookEndpointsService) DeliveriesPage(ctx context.Context, endpointID string, params *DeliveryListParams) (*Page[Delivery], error) {
	return listPage(ctx, s.c, "/webhooks/endpoints/"+seg(endpointID)+"/deliveries", params.values(), deliveryID)
}

// Resend makes one more attempt of a delivery now, even of a failed one (an extension of ours).
func (s *WebhookEndpointsService) Resend(ctx context.Context, deliveryID string) (*Resend, error) {
	out := &Resend{}
	if _, err := s.c.send(ctx, &request{method: http.MethodPost, path: "/webhooks/deliveries/" + seg(deliveryID) + "/resend"}, out); err != nil {
		return nil, err
	}
	return out, nil
}

// SessionExchange is a customer session token (contract.md §6.10).
type SessionExchange struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	// ExpiresIn is the token's lifetime in seconds.
	ExpiresIn  int    `json:"expires_in"`
	CustomerID string `json:"customer_id"`
}

// BiometricsService exchanges biometrics codes.
type BiometricsService struct{ c *Client }

// SessionExchange trades a single-use biometrics code for a customer session token; the client's
// credential needs the biometrics:exchange scope. Most KYC apps use WithSessionCode instead, which does
// this and then uses the token.
func (s *BiometricsService) SessionExchange(ctx context.Context, code string) (*SessionExchange, error) {
	out := &SessionExchange{}
	if _, err := s.c.send(ctx, &request{method: http.MethodPost, path: "/biometrics/session-exchange",
		json: map[string]string{"code": code}, partnerAuth: true}, out); err != nil {
		return nil, err
	}
	return out, nil
}
