// Package events records what happens to a partner's data and fans it out to the partner's webhook
// endpoints, in the same transaction as the change itself.
package events

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/dinie-oss/dinie/internal/jobs"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

// Emitter records events and schedules their deliveries.
type Emitter struct {
	jobs *jobs.Client
}

// NewEmitter returns an Emitter that queues deliveries on j.
func NewEmitter(j *jobs.Client) *Emitter { return &Emitter{jobs: j} }

// Emit records an event of type typ with data (marshalled to JSON as the event's `data`) in tx, creates a
// delivery to each of the scope's endpoints that takes the type, and queues those deliveries, all in tx:
// the event exists, with its deliveries, exactly when the state change that caused it commits.
func (em *Emitter) Emit(ctx context.Context, tx *store.Tx, scope lending.Scope, typ string, data any, now time.Time) (lending.Event, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return lending.Event{}, fmt.Errorf("events: encode %s: %w", typ, err)
	}
	ev, err := lending.NewEvent(scope, typ, b, now)
	if err != nil {
		return ev, err
	}
	if err := tx.InsertEvent(ctx, ev); err != nil {
		return ev, err
	}
	endpoints, err := tx.ReceivingEndpoints(ctx, scope, typ)
	if err != nil {
		return ev, err
	}
	for _, e := range endpoints {
		if _, err := em.Deliver(ctx, tx, ev, e, now); err != nil {
			return ev, err
		}
	}
	return ev, nil
}

// Deliver creates and queues, in tx, a delivery of ev to endpoint e (whatever e's filter says).
func (em *Emitter) Deliver(ctx context.Context, tx *store.Tx, ev lending.Event, e lending.WebhookEndpoint, now time.Time) (lending.Delivery, error) {
	d := lending.NewDelivery(ev, e, now)
	if err := tx.InsertDelivery(ctx, d); err != nil {
		return d, err
	}
	return d, em.jobs.Insert(ctx, tx, jobs.DeliverWebhook{DeliveryID: d.ID}, nil)
}

// Resend puts delivery id of scope back to pending and queues one more attempt now, in tx.
func (em *Emitter) Resend(ctx context.Context, tx *store.Tx, scope lending.Scope, id string, now time.Time) (lending.Delivery, error) {
	d, err := tx.ReopenDelivery(ctx, scope, id, now)
	if err != nil {
		return d, err
	}
	return d, em.jobs.Insert(ctx, tx, jobs.DeliverWebhook{DeliveryID: d.ID}, nil)
}

// Envelope is the JSON body of a delivery (contract.md §8.1).
type Envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	APIVersion string          `json:"api_version"`
	CreatedAt  int64           `json:"created_at"`
	DeliveryID string          `json:"delivery_id"`
	Timestamp  int64           `json:"timestamp"`
	Data       json.RawMessage `json:"data"`
}

// EnvelopeFor returns the body delivered for ev in delivery deliveryID. It is the same bytes on every
// attempt of the delivery; only the signature headers change.
func EnvelopeFor(ev lending.Event, deliveryID string) ([]byte, error) {
	return json.Marshal(Envelope{
		ID: ev.ID, Type: ev.Type, APIVersion: lending.APIVersion, CreatedAt: ev.CreatedAt.Unix(),
		DeliveryID: deliveryID, Timestamp: ev.OccurredAt.Unix(), Data: ev.Data,
	})
}
