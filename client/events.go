package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/dinie-oss/dinie/webhook"
)

// EventType is the type of a webhook event: one of the 15 of the contract (§8.1).
type EventType string

// The 15 event types.
const (
	EventCustomerCreated       EventType = "customer.created"
	EventCustomerUnderReview   EventType = "customer.under_review"
	EventCustomerActive        EventType = "customer.active"
	EventCustomerDenied        EventType = "customer.denied"
	EventCustomerKYCUpdated    EventType = "customer.kyc_updated"
	EventCreditOfferAvailable  EventType = "credit_offer.available"
	EventCreditOfferExpired    EventType = "credit_offer.expired"
	EventLoanCreated           EventType = "loan.created"
	EventLoanSignatureReceived EventType = "loan.signature_received"
	EventLoanProcessing        EventType = "loan.processing"
	EventLoanActive            EventType = "loan.active"
	EventLoanPaymentReceived   EventType = "loan.payment_received"
	EventLoanFinished          EventType = "loan.finished"
	EventLoanCancelled         EventType = "loan.cancelled"
	EventLoanError             EventType = "loan.error"
)

// Known reports whether t is one of the 15 event types.
func (t EventType) Known() bool { return webhook.IsEventType(string(t)) }

// Event is a webhook delivery's envelope (contract.md §8.1). Read its Data with the typed decoder of its
// Type (such as ev.LoanCreated()), or with Decode.
type Event struct {
	// ID identifies the event, the same on every retry: deduplicate on it.
	ID   string    `json:"id"`
	Type EventType `json:"type"`
	// APIVersion is the API version that produced the event, as "2026-03-01".
	APIVersion string `json:"api_version"`
	// CreatedAt is when the event was recorded, Timestamp when what it reports happened.
	CreatedAt Timestamp `json:"created_at"`
	// DeliveryID identifies the delivery of the event to this endpoint.
	DeliveryID string          `json:"delivery_id"`
	Timestamp  Timestamp       `json:"timestamp"`
	Data       json.RawMessage `json:"data"`
}

// VerifyWebhook checks a delivery with the webhook package (Standard Webhooks: the signature under any of
// secrets, a timestamp within 5 minutes of now) and parses its body into an Event. Give it the raw body,
// exactly as received, and during a secret rotation both secrets. Events of an unknown type, or whose
// data lacks a required field, are refused.
func VerifyWebhook(secrets []string, header http.Header, body []byte) (*Event, error) {
	return VerifyWebhookAt(secrets, header, body, time.Now())
}

// VerifyWebhookAt is VerifyWebhook with the receiver's clock reading now.
func VerifyWebhookAt(secrets []string, header http.Header, body []byte, now time.Time) (*Event, error) {
	if err := webhook.Verify(secrets, header, body, now); err != nil {
		return nil, err
	}
	return ParseEvent(body)
}

// envelopeKeys are the envelope's required fields.
var envelopeKeys = []string{"id", "type", "api_version", "created_at", "delivery_id", "timestamp", "data"}

// dataKeys are the required fields of each type's data (contract.md §8.1).
var dataKeys = map[EventType][]string{
	EventCustomerCreated:       {"id", "external_id", "name", "email", "phone", "cpf", "trading_name", "status", "kyc"},
	EventCustomerUnderReview:   {"id", "external_id", "status"},
	EventCustomerActive:        {"id", "external_id", "status"},
	EventCustomerDenied:        {"id", "external_id", "name", "email", "phone", "cpf", "status"},
	EventCustomerKYCUpdated:    {"id", "external_id", "status", "kyc"},
	EventCreditOfferAvailable:  {"id", "customer_id", "external_id", "status", "approved_amount", "min_amount", "monthly_interest_rate", "installments", "valid_until"},
	EventCreditOfferExpired:    {"id", "customer_id", "external_id", "status", "approved_amount", "min_amount", "monthly_interest_rate", "installments", "valid_until"},
	EventLoanCreated:           {"id", "credit_offer_id", "customer_id", "status", "requested_amount", "installment_count", "signing_url"},
	EventLoanSignatureReceived: {"id", "status", "signer", "signatures_received", "signatures_required"},
	EventLoanProcessing:        {"id", "credit_offer_id", "customer_id", "status", "ccb_number", "disbursement_method"},
	EventLoanActive:            {"id", "status", "requested_amount", "principal_amount"},
	EventLoanPaymentReceived:   {"id", "status", "payment"},
	EventLoanFinished:          {"id", "status"},
	EventLoanCancelled:         {"id", "status"},
	EventLoanError:             {"id", "status", "error"},
}

// ParseEvent parses a webhook body into an Event without verifying it: use it only on bodies already
// verified (VerifyWebhook does both). It refuses unknown types (ErrUnknownEventType) and envelopes or
// data missing a required field, and checks that Data decodes into its type's shape.
func ParseEvent(body []byte) (*Event, error) {
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(body, &keys); err != nil {
		return nil, fmt.Errorf("client: the event is not a JSON object: %w", err)
	}
	if err := requireKeys("event", keys, envelopeKeys); err != nil {
		return nil, err
	}
	ev := &Event{}
	if err := json.Unmarshal(body, ev); err != nil {
		return nil, fmt.Errorf("client: decode the event: %w", err)
	}
	if !ev.Type.Known() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, ev.Type)
	}
	var data map[string]json.RawMessage
	if err := json.Unmarshal(ev.Data, &data); err != nil || data == nil {
		return nil, fmt.Errorf("client: %s event: data is not a JSON object", ev.Type)
	}
	if err := requireKeys(string(ev.Type)+" data", data, dataKeys[ev.Type]); err != nil {
		return nil, err
	}
	if _, err := ev.Decode(); err != nil {
		return nil, err
	}
	return ev, nil
}

func requireKeys(what string, m map[string]json.RawMessage, keys []string) error {
	var missing []string
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("client: %s lacks required field(s) %v", what, missing)
	}
	return nil
}

// Decode returns the event's data in its type's shape: *CustomerCreatedData, *CustomerStatusData,
// *CustomerDeniedData, *CustomerKYCUpdatedData, *CreditOfferEventData, *LoanCreatedData,
// *LoanSignatureReceivedData, *LoanProcessingData, *LoanActiveData, *LoanPaymentReceivedData or
// *LoanStatusData. Use it in a type switch.
func (e *Event) Decode() (any, error) {
	switch e.Type {
	case EventCustomerCreated:
		return e.CustomerCreated()
	case EventCustomerUnderReview, EventCustomerActive:
		return e.CustomerStatus()
	case EventCustomerDenied:
		return e.CustomerDenied()
	case EventCustomerKYCUpdated:
		return e.CustomerKYCUpdated()
	case EventCreditOfferAvailable, EventCreditOfferExpired:
		return e.CreditOffer()
	case EventLoanCreated:
		return e.LoanCreated()
	case EventLoanSignatureReceived:
		return e.LoanSignatureReceived()
	case EventLoanProcessing:
		return e.LoanProcessing()
	case EventLoanActive:
		return e.LoanActive()
	case EventLoanPaymentReceived:
		return e.LoanPaymentReceived()
	case EventLoanFinished, EventLoanCancelled, EventLoanError:
		return e.LoanStatus()
	}
	return nil, fmt.Errorf("%w: %q", ErrUnknownEventType, e.Type)
}

// decodeData decodes e.Data into a new T when e.Type is one of types.
func decodeData[T any](e *Event, types ...EventType) (*T, error) {
	if !slices.Contains(types, e.Type) {
		return nil, fmt.Errorf("%w: the event is %s, not %v", ErrEventType, e.Type, types)
	}
	out := new(T)
	dec := json.NewDecoder(bytes.NewReader(e.Data))
	if err := dec.Decode(out); err != nil {
		return nil, fmt.Errorf("client: decode the data of a %s event: %w", e.Type, err)
	}
	return out, nil
}

// CustomerCreatedData is the data of customer.created: enrichment finished, KYC requirements known.
type CustomerCreatedData struct {
	ID          string           `json:"id"`
	ExternalID  *string          `json:"external_id"`
	Name        string           `json:"name"`
	Email       string           `json:"email"`
	Phone       string           `json:"phone"`
	CPF         string           `json:"cpf"`
	CNPJ        *string          `json:"cnpj"`
	TradingName string           `json:"trading_name"`
	Status      CustomerStatus   `json:"status"`
	KYC         []KYCRequirement `json:"kyc"`
}

// CustomerCreated decodes the data of a customer.created event.
func (e *Event) CustomerCreated() (*CustomerCreatedData, error) {
	return decodeData[CustomerCreatedData](e, EventCustomerCreated)
}

// CustomerStatusData is the data of customer.under_review and customer.active.
type CustomerStatusData struct {
	ID         string         `json:"id"`
	ExternalID *string        `json:"external_id"`
	Status     CustomerStatus `json:"status"`
}

// CustomerStatus decodes the data of a customer.under_review or customer.active event.
func (e *Event) CustomerStatus() (*CustomerStatusData, error) {
	return decodeData[CustomerStatusData](e, EventCustomerUnderReview, EventCustomerActive)
}

// CustomerDeniedData is the data of customer.denied.
type CustomerDeniedData struct {
	ID         string         `json:"id"`
	ExternalID *string        `json:"external_id"`
	Name       string         `json:"name"`
	Email      string         `json:"email"`
	Phone      string         `json:"phone"`
	CPF        string         `json:"cpf"`
	CNPJ       *string        `json:"cnpj"`
	Status     CustomerStatus `json:"status"`
}

// CustomerDenied decodes the data of a customer.denied event.
func (e *Event) CustomerDenied() (*CustomerDeniedData, error) {
	return decodeData[CustomerDeniedData](e, EventCustomerDenied)
}

// CustomerKYCUpdatedData is the data of customer.kyc_updated: the full current KYC state.
type CustomerKYCUpdatedData struct {
	ID         string           `json:"id"`
	ExternalID *string          `json:"external_id"`
	Status     CustomerStatus   `json:"status"`
	KYC        []KYCRequirement `json:"kyc"`
}

// CustomerKYCUpdated decodes the data of a customer.kyc_updated event.
func (e *Event) CustomerKYCUpdated() (*CustomerKYCUpdatedData, error) {
	return decodeData[CustomerKYCUpdatedData](e, EventCustomerKYCUpdated)
}

// CreditOfferEventData is the data of credit_offer.available and credit_offer.expired. Unlike the REST
// resource it always carries one Installments number.
type CreditOfferEventData struct {
	ID                  string      `json:"id"`
	CustomerID          string      `json:"customer_id"`
	ExternalID          *string     `json:"external_id"`
	Status              OfferStatus `json:"status"`
	ApprovedAmount      Money       `json:"approved_amount"`
	MinAmount           Money       `json:"min_amount"`
	MonthlyInterestRate Rate        `json:"monthly_interest_rate"`
	Installments        int         `json:"installments"`
	DueDateRule         *string     `json:"due_date_rule"`
	ValidUntil          Timestamp   `json:"valid_until"`
}

// CreditOffer decodes the data of a credit_offer.available or credit_offer.expired event.
func (e *Event) CreditOffer() (*CreditOfferEventData, error) {
	return decodeData[CreditOfferEventData](e, EventCreditOfferAvailable, EventCreditOfferExpired)
}

// LoanCreatedData is the data of loan.created: the CCB is generated and awaits signatures.
type LoanCreatedData struct {
	ID               string     `json:"id"`
	CreditOfferID    string     `json:"credit_offer_id"`
	CustomerID       string     `json:"customer_id"`
	Status           LoanStatus `json:"status"`
	RequestedAmount  Money      `json:"requested_amount"`
	InstallmentCount int        `json:"installment_count"`
	SigningURL       string     `json:"signing_url"`
}

// LoanCreated decodes the data of a loan.created event.
func (e *Event) LoanCreated() (*LoanCreatedData, error) {
	return decodeData[LoanCreatedData](e, EventLoanCreated)
}

// Signer is a person who signed a CCB.
type Signer struct {
	Name     string    `json:"name"`
	CPF      string    `json:"cpf"`
	SignedAt Timestamp `json:"signed_at"`
}

// LoanSignatureReceivedData is the data of loan.signature_received.
type LoanSignatureReceivedData struct {
	ID                 string     `json:"id"`
	Status             LoanStatus `json:"status"`
	Signer             Signer     `json:"signer"`
	SignaturesReceived int        `json:"signatures_received"`
	SignaturesRequired int        `json:"signatures_required"`
}

// LoanSignatureReceived decodes the data of a loan.signature_received event.
func (e *Event) LoanSignatureReceived() (*LoanSignatureReceivedData, error) {
	return decodeData[LoanSignatureReceivedData](e, EventLoanSignatureReceived)
}

// LoanProcessingData is the data of loan.processing: every signature is in, the disbursement runs.
type LoanProcessingData struct {
	ID                 string     `json:"id"`
	CreditOfferID      string     `json:"credit_offer_id"`
	CustomerID         string     `json:"customer_id"`
	Status             LoanStatus `json:"status"`
	CCBNumber          string     `json:"ccb_number"`
	DisbursementMethod string     `json:"disbursement_method"`
}

// LoanProcessing decodes the data of a loan.processing event.
func (e *Event) LoanProcessing() (*LoanProcessingData, error) {
	return decodeData[LoanProcessingData](e, EventLoanProcessing)
}

// LoanActiveData is the data of loan.active: the money was disbursed.
type LoanActiveData struct {
	ID              string     `json:"id"`
	Status          LoanStatus `json:"status"`
	RequestedAmount Money      `json:"requested_amount"`
	PrincipalAmount Money      `json:"principal_amount"`
}

// LoanActive decodes the data of a loan.active event.
func (e *Event) LoanActive() (*LoanActiveData, error) {
	return decodeData[LoanActiveData](e, EventLoanActive)
}

// Payment is a payment towards a loan's installment.
type Payment struct {
	Amount            Money     `json:"amount"`
	PaidAt            Timestamp `json:"paid_at"`
	InstallmentNumber int       `json:"installment_number"`
}

// LoanPaymentReceivedData is the data of loan.payment_received.
type LoanPaymentReceivedData struct {
	ID      string     `json:"id"`
	Status  LoanStatus `json:"status"`
	Payment Payment    `json:"payment"`
}

// LoanPaymentReceived decodes the data of a loan.payment_received event.
func (e *Event) LoanPaymentReceived() (*LoanPaymentReceivedData, error) {
	return decodeData[LoanPaymentReceivedData](e, EventLoanPaymentReceived)
}

// LoanFailure says why a loan failed.
type LoanFailure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// LoanStatusData is the data of loan.finished, loan.cancelled and loan.error; Error is set only on
// loan.error.
type LoanStatusData struct {
	ID     string       `json:"id"`
	Status LoanStatus   `json:"status"`
	Error  *LoanFailure `json:"error,omitempty"`
}

// LoanStatus decodes the data of a loan.finished, loan.cancelled or loan.error event.
func (e *Event) LoanStatus() (*LoanStatusData, error) {
	return decodeData[LoanStatusData](e, EventLoanFinished, EventLoanCancelled, EventLoanError)
}
