package webhook

import (
	"slices"
	"strings"
)

// EventTypes lists the 15 event types Dinie delivers, in the order of the
// Dinie V3 contract (§8.1). The typed partner SDKs refuse any other type.
// Do not modify it; it is a variable only because Go has no constant slices.
var EventTypes = []string{
	"customer.created",
	"customer.under_review",
	"customer.active",
	"customer.denied",
	"customer.kyc_updated",
	"credit_offer.available",
	"credit_offer.expired",
	"loan.created",
	"loan.signature_received",
	"loan.processing",
	"loan.active",
	"loan.payment_received",
	"loan.finished",
	"loan.cancelled",
	"loan.error",
}

// eventGroups are the prefixes of EventTypes, the groups a "<group>.*" filter
// may name.
var eventGroups = []string{"customer", "credit_offer", "loan"}

// IsEventType reports whether s is exactly one of [EventTypes].
func IsEventType(s string) bool {
	return slices.Contains(EventTypes, s)
}

// ValidFilter reports whether f may appear in an endpoint's event filter
// list: "*", one of [EventTypes], or "<group>.*" where group is "customer",
// "credit_offer" or "loan".
func ValidFilter(f string) bool {
	if f == "*" || IsEventType(f) {
		return true
	}
	group, ok := strings.CutSuffix(f, ".*")
	return ok && slices.Contains(eventGroups, group)
}

// Matches reports whether an endpoint whose event filter list is filters
// receives events of type eventType. An empty or nil list receives every
// event. Otherwise an event is received when any filter selects it:
//   - "*" selects every event;
//   - "<prefix>.*" selects the types that start with "<prefix>." followed by
//     at least one character ("loan.*" selects "loan.created", but neither
//     "loans.created" nor "loan");
//   - any other filter selects only the identical type.
//
// Matches does not validate filters (see [ValidFilter]): it applies these
// rules to any string, so "foo.*" selects "foo.bar" and "loan*" selects only
// "loan*".
func Matches(filters []string, eventType string) bool {
	if len(filters) == 0 {
		return true
	}
	for _, f := range filters {
		switch {
		case f == "*" || f == eventType:
			return true
		case strings.HasSuffix(f, ".*"):
			prefix := f[:len(f)-1] // keeps the '.'
			if len(eventType) > len(prefix) && strings.HasPrefix(eventType, prefix) {
				return true
			}
		}
	}
	return false
}
