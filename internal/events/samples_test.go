package events_test

import (
	"encoding/json"
	"regexp"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/openapitest"
	"github.com/dinie-oss/dinie/webhook"
)

// TestSamplesMatchTheirSchemas wraps the sample data of every event type in the envelope a delivery
// sends and checks it against the type's schema in api/openapi.yaml (x-event-schemas), at several
// instants, since the samples derive ids and numbers from the time.
func TestSamplesMatchTheirSchemas(t *testing.T) {
	t.Parallel()
	v, err := openapitest.Default()
	if err != nil {
		t.Fatal(err)
	}
	scope := lending.Scope{PartnerID: ids.New("ptn_"), Environment: lending.EnvTest}
	instants := []time.Time{
		time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC),
		time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, time.UTC),
		time.Date(2031, 7, 1, 0, 0, 0, 123_456_789, time.FixedZone("BRT", -3*3600)),
		time.Now(),
	}
	if len(webhook.EventTypes) != 15 {
		t.Fatalf("webhook.EventTypes has %d types, want 15", len(webhook.EventTypes))
	}
	dlv := regexp.MustCompile(`^dlv_[0-9a-f]{32}$`)
	for _, typ := range webhook.EventTypes {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			for _, now := range instants {
				data, err := events.Sample(typ, now)
				if err != nil {
					t.Fatalf("Sample(%s, %v): %v", typ, now, err)
				}
				b, err := json.Marshal(data)
				if err != nil {
					t.Fatal(err)
				}
				ev, err := lending.NewEvent(scope, typ, b, now)
				if err != nil {
					t.Fatal(err)
				}
				deliveryID := ids.New("dlv_")
				if !dlv.MatchString(deliveryID) {
					t.Fatalf("delivery id %q", deliveryID)
				}
				body, err := events.EnvelopeFor(ev, deliveryID)
				if err != nil {
					t.Fatal(err)
				}
				if err := v.ValidateEvent(typ, body); err != nil {
					t.Errorf("at %v: %v\nbody: %s", now, err, body)
				}
				// Only its own type's schema takes it.
				for _, other := range webhook.EventTypes {
					if other != typ && v.ValidateEvent(other, body) == nil {
						t.Errorf("at %v: the %s sample also matches the %s schema", now, typ, other)
					}
				}
				var env events.Envelope
				if err := json.Unmarshal(body, &env); err != nil {
					t.Fatal(err)
				}
				if env.ID != ev.ID || env.DeliveryID != deliveryID || env.Type != typ || env.APIVersion != lending.APIVersion ||
					env.CreatedAt != now.Unix() || env.Timestamp != now.Unix() || string(env.Data) != string(b) {
					t.Errorf("envelope %s does not carry the event %+v", body, ev)
				}
			}
			// Every call mints fresh ids.
			a, _ := events.Sample(typ, instants[0])
			b, _ := events.Sample(typ, instants[0])
			if a.(map[string]any)["id"] == b.(map[string]any)["id"] {
				t.Errorf("two samples share the id %v", a.(map[string]any)["id"])
			}
		})
	}
}

func TestSampleUnknownType(t *testing.T) {
	t.Parallel()
	for _, typ := range []string{"", "loan.nope", "loan.*", "*", "Loan.Created"} {
		if d, err := events.Sample(typ, time.Now()); err == nil {
			t.Errorf("Sample(%q) = %v, want an error", typ, d)
		}
	}
}
