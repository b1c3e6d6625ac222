package openapitest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestValidateEvent checks Validator.ValidateEvent on api/openapi.yaml: an example of every event type
// passes under its own type, and what a receiver's SDK would choke on fails.
func TestValidateEvent(t *testing.T) {
	t.Parallel()
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if len(v.events) != len(contractEventTypes) {
		t.Errorf("New compiled %d event schemas, want %d", len(v.events), len(contractEventTypes))
	}
	for _, typ := range contractEventTypes {
		if err := v.ValidateEvent(typ, []byte(contractExamples[typ])); err != nil {
			t.Errorf("ValidateEvent(%s, its example) = %v", typ, err)
		}
	}

	// mutate returns the loan.created example changed by f.
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal([]byte(contractExamples["loan.created"]), &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	bad := []struct {
		name, typ string
		body      []byte
	}{
		{"another type's body", "loan.active", []byte(contractExamples["loan.created"])},
		{"type changed", "loan.created", mutate(func(m map[string]any) { m["type"] = "loan.active" })},
		{"no delivery_id", "loan.created", mutate(func(m map[string]any) { delete(m, "delivery_id") })},
		{"bad event id", "loan.created", mutate(func(m map[string]any) { m["id"] = "evt_1" })},
		{"other api_version", "loan.created", mutate(func(m map[string]any) { m["api_version"] = "2025-01-01" })},
		{"extra envelope field", "loan.created", mutate(func(m map[string]any) { m["object"] = "event" })},
		{"data without signing_url", "loan.created", mutate(func(m map[string]any) { delete(m["data"].(map[string]any), "signing_url") })},
		{"data status of another type", "loan.created", mutate(func(m map[string]any) { m["data"].(map[string]any)["status"] = "active" })},
		{"created_at as text", "loan.created", mutate(func(m map[string]any) { m["created_at"] = "1775253600" })},
		{"data null", "loan.created", mutate(func(m map[string]any) { m["data"] = nil })},
		{"not JSON", "loan.created", []byte(`{"id":`)},
		{"two values", "loan.created", []byte(contractExamples["loan.created"] + ` {}`)},
		{"empty", "loan.created", nil},
	}
	for _, tt := range bad {
		if err := v.ValidateEvent(tt.typ, tt.body); err == nil {
			t.Errorf("%s: ValidateEvent(%s) accepted %s", tt.name, tt.typ, tt.body)
		} else if errors.Is(err, ErrUnknownEvent) {
			t.Errorf("%s: the error wraps ErrUnknownEvent: %v", tt.name, err)
		}
	}

	for _, typ := range []string{"loan.nope", "", "loan.*", "*", "Loan.Created", "customer_created"} {
		err := v.ValidateEvent(typ, []byte(contractExamples["loan.created"]))
		if !errors.Is(err, ErrUnknownEvent) {
			t.Errorf("ValidateEvent(%q) = %v, want an error wrapping ErrUnknownEvent", typ, err)
		}
	}
}

// TestNewEventSchemas checks how New reads x-event-schemas: it is optional, and a broken one is an
// error of New rather than of a later ValidateEvent.
func TestNewEventSchemas(t *testing.T) {
	t.Parallel()
	const base = `openapi: 3.1.0
paths: {}
components:
  schemas:
    Ping:
      type: object
      required: [type]
      properties:
        type: {const: ping}
`
	v, err := New([]byte(base + "x-event-schemas:\n  ping: '#/components/schemas/Ping'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.ValidateEvent("ping", []byte(`{"type":"ping"}`)); err != nil {
		t.Errorf("a valid ping: %v", err)
	}
	if err := v.ValidateEvent("ping", []byte(`{"type":"pong"}`)); err == nil {
		t.Error("a pong body passed as a ping")
	}
	if err := v.ValidateEvent("pong", []byte(`{"type":"pong"}`)); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("an unmapped type: %v", err)
	}

	v, err = New([]byte(base))
	if err != nil {
		t.Fatalf("a document without x-event-schemas: %v", err)
	}
	if err := v.ValidateEvent("ping", []byte(`{"type":"ping"}`)); !errors.Is(err, ErrUnknownEvent) {
		t.Errorf("without x-event-schemas every type is unknown, got %v", err)
	}

	for _, tt := range []struct{ name, extra, wantErr string }{
		{"not a map", "x-event-schemas: [ping]\n", "x-event-schemas"},
		{"not a string", "x-event-schemas:\n  ping: 42\n", "ping"},
		{"dangling ref", "x-event-schemas:\n  ping: '#/components/schemas/Missing'\n", "Missing"},
		{"remote ref", "x-event-schemas:\n  ping: 'https://example.com/ping.json'\n", "ping"},
	} {
		if _, err := New([]byte(base + tt.extra)); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: New() error = %v, want one containing %q", tt.name, err, tt.wantErr)
		}
	}
}
