package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/auth"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/webhook"
)

// webhookEndpointJSON is the wire shape of a WebhookEndpoint (contract.md §6.11); Secret is present only
// in the answer to its creation.
type webhookEndpointJSON struct {
	ID          string   `json:"id"`
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
	Status      string   `json:"status"`
	CreatedAt   int64    `json:"created_at"`
	UpdatedAt   int64    `json:"updated_at"`
	Secret      string   `json:"secret,omitempty"`
}

func toEndpointJSON(e lending.WebhookEndpoint) webhookEndpointJSON {
	evs := e.Events
	if evs == nil {
		evs = []string{}
	}
	return webhookEndpointJSON{ID: e.ID, URL: e.URL, Events: evs, Description: e.Description, Status: string(e.Status),
		CreatedAt: e.CreatedAt.Unix(), UpdatedAt: e.UpdatedAt.Unix()}
}

type endpointRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Status      *string   `json:"status"`
}

// createWebhookEndpoint is POST /webhooks/endpoints.
func (s *Server) createWebhookEndpoint(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req endpointRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.URL == nil {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "url", "url is required")
	}
	var evs []string
	if req.Events != nil {
		evs = *req.Events
	}
	desc := ""
	if req.Description != nil {
		desc = *req.Description
	}
	e, err := lending.NewWebhookEndpoint(p.Scope, *req.URL, evs, desc, webhook.NewSecret(), s.cfg.Clock.Now())
	if err != nil {
		return err
	}
	if err := s.cfg.Store.CreateWebhookEndpoint(r.Context(), e); err != nil {
		return err
	}
	out := toEndpointJSON(e)
	out.Secret = e.Secret
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// listWebhookEndpoints is GET /webhooks/endpoints.
func (s *Server) listWebhookEndpoints(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	es, more, err := s.cfg.Store.ListWebhookEndpoints(r.Context(), p.Scope, page)
	if err != nil {
		return err
	}
	writePage(w, es, more, toEndpointJSON)
	return nil
}

// getWebhookEndpoint is GET /webhooks/endpoints/{webhook_endpoint_id}.
func (s *Server) getWebhookEndpoint(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	e, err := s.cfg.Store.WebhookEndpoint(r.Context(), p.Scope, r.PathValue("webhook_endpoint_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toEndpointJSON(e))
	return nil
}

// updateWebhookEndpoint is PATCH /webhooks/endpoints/{webhook_endpoint_id}: only the fields sent change.
func (s *Server) updateWebhookEndpoint(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req endpointRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	patch := lending.WebhookEndpointPatch{URL: req.URL, Events: req.Events, Description: req.Description}
	if req.Status != nil {
		st := lending.WebhookEndpointStatus(*req.Status)
		patch.Status = &st
	}
	now := s.cfg.Clock.Now()
	e, err := s.cfg.Store.UpdateWebhookEndpoint(r.Context(), p.Scope, r.PathValue("webhook_endpoint_id"),
		func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) { return e.Apply(patch, now) })
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toEndpointJSON(e))
	return nil
}

// deleteWebhookEndpoint is DELETE /webhooks/endpoints/{webhook_endpoint_id}: its pending deliveries stop.
func (s *Server) deleteWebhookEndpoint(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := s.cfg.Store.DeleteWebhookEndpoint(r.Context(), p.Scope, r.PathValue("webhook_endpoint_id"), s.cfg.Clock.Now()); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type rotateRequest struct {
	ExpireCurrentIn *int64 `json:"expire_current_in"`
}

type rotationJSON struct {
	ID                      string `json:"id"`
	Secret                  string `json:"secret"`
	PreviousSecretExpiresAt int64  `json:"previous_secret_expires_at"`
}

// rotateWebhookSecret is POST /webhooks/endpoints/{webhook_endpoint_id}/rotate-secret (decision 8).
func (s *Server) rotateWebhookSecret(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var req rotateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	grace := lending.DefaultSecretGrace
	if req.ExpireCurrentIn != nil {
		grace = time.Duration(*req.ExpireCurrentIn) * time.Second
		if *req.ExpireCurrentIn < 0 || *req.ExpireCurrentIn > int64(lending.MaxSecretGrace/time.Second) {
			grace = -1 // refused by RotateSecret with the field's name
		}
	}
	now := s.cfg.Clock.Now()
	secret := webhook.NewSecret()
	e, err := s.cfg.Store.UpdateWebhookEndpoint(r.Context(), p.Scope, r.PathValue("webhook_endpoint_id"),
		func(e lending.WebhookEndpoint) (lending.WebhookEndpoint, error) {
			return e.RotateSecret(secret, grace, now)
		})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, rotationJSON{ID: e.ID, Secret: e.Secret, PreviousSecretExpiresAt: e.PreviousSecretExpiresAt.Unix()})
	return nil
}

type attemptJSON struct {
	AttemptedAt     int64   `json:"attempted_at"`
	ResponseStatus  *int    `json:"response_status"`
	DurationMS      int64   `json:"duration_ms"`
	ResponseExcerpt string  `json:"response_excerpt"`
	Error           *string `json:"error"`
}

type deliveryJSON struct {
	ID            string        `json:"id"`
	EventID       string        `json:"event_id"`
	EventType     string        `json:"event_type"`
	Status        string        `json:"status"`
	Attempts      []attemptJSON `json:"attempts"`
	NextAttemptAt *int64        `json:"next_attempt_at"`
	CreatedAt     int64         `json:"created_at"`
}

func toDeliveryJSON(d lending.Delivery) deliveryJSON {
	out := deliveryJSON{ID: d.ID, EventID: d.EventID, EventType: d.EventType, Status: string(d.Status),
		Attempts: make([]attemptJSON, len(d.Attempts)), CreatedAt: d.CreatedAt.Unix()}
	if d.Status == lending.DeliveryPending {
		out.NextAttemptAt = epochPtr(d.NextAttemptAt)
	}
	for i, a := range d.Attempts {
		aj := attemptJSON{AttemptedAt: a.AttemptedAt.Unix(), DurationMS: a.Duration.Milliseconds(), ResponseExcerpt: a.ResponseExcerpt}
		if a.ResponseStatus != 0 {
			aj.ResponseStatus = &a.ResponseStatus
		}
		if a.Error != "" {
			aj.Error = &a.Error
		}
		out.Attempts[i] = aj
	}
	return out
}

// listDeliveries is GET /webhooks/endpoints/{webhook_endpoint_id}/deliveries (an extension).
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	page, err := pageOf(r)
	if err != nil {
		return err
	}
	status := lending.DeliveryStatus(r.URL.Query().Get("status"))
	switch status {
	case "", lending.DeliveryPending, lending.DeliverySucceeded, lending.DeliveryFailed:
	default:
		return lending.FieldErrorf(lending.CodeInvalidParameter, "status", "status must be pending, succeeded or failed")
	}
	ds, more, err := s.cfg.Store.ListDeliveries(r.Context(), p.Scope, r.PathValue("webhook_endpoint_id"), status, page)
	if err != nil {
		return err
	}
	writePage(w, ds, more, toDeliveryJSON)
	return nil
}

// resendDelivery is POST /webhooks/deliveries/{delivery_id}/resend (an extension): one more attempt now.
func (s *Server) resendDelivery(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	var d lending.Delivery
	err := s.cfg.Store.InTx(r.Context(), func(tx *store.Tx) error {
		var err error
		d, err = s.cfg.Events.Resend(r.Context(), tx, p.Scope, r.PathValue("delivery_id"), s.cfg.Clock.Now())
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"delivery_id": d.ID})
	return nil
}

// sendTestEvent is POST /sandbox/webhooks/endpoints/{webhook_endpoint_id}/test-events: a sample event of
// any type, delivered to that endpoint alone, in the test environment.
func (s *Server) sendTestEvent(w http.ResponseWriter, r *http.Request, p auth.Principal) error {
	if err := sandboxOnly(p); err != nil {
		return err
	}
	var req struct {
		Type *string `json:"type"`
	}
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Type == nil || strings.TrimSpace(*req.Type) == "" {
		return lending.FieldErrorf(lending.CodeMissingRequiredField, "type", "type is required")
	}
	if !webhook.IsEventType(*req.Type) {
		return lending.FieldErrorf(lending.CodeInvalidField, "type", "type must be one of the 15 event types")
	}
	e, err := s.cfg.Store.WebhookEndpoint(r.Context(), p.Scope, r.PathValue("webhook_endpoint_id"))
	if err != nil {
		return err
	}
	if e.Status != lending.EndpointActive {
		return lending.Errorf(lending.CodeConflict, "the endpoint is disabled; enable it to receive events")
	}
	now := s.cfg.Clock.Now()
	data, err := events.Sample(*req.Type, now)
	if err != nil {
		return err
	}
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	ev, err := lending.NewEvent(p.Scope, *req.Type, b, now)
	if err != nil {
		return err
	}
	var d lending.Delivery
	err = s.cfg.Store.InTx(r.Context(), func(tx *store.Tx) error {
		if err := tx.InsertEvent(r.Context(), ev); err != nil {
			return err
		}
		d, err = s.cfg.Events.Deliver(r.Context(), tx, ev, e, now)
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"delivery_id": d.ID, "event_id": ev.ID})
	return nil
}

// sandboxOnly refuses live callers on sandbox routes.
func sandboxOnly(p auth.Principal) error {
	if p.Scope.Environment != lending.EnvTest {
		return lending.Errorf(lending.CodeSandboxOnly, "sandbox routes are for the test environment only")
	}
	return nil
}
