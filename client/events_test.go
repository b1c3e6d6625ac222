package client_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/client"
	"github.com/dinie-oss/dinie/internal/events"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/webhook"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// signed returns the headers Dinie sends with body, signed with secrets at ts.
func signed(t *testing.T, secrets []string, msgID string, ts time.Time, body []byte) http.Header {
	t.Helper()
	sig, err := webhook.Sign(secrets, msgID, ts.Unix(), body)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	webhook.Headers{ID: msgID, Timestamp: ts.Unix(), Signature: sig}.Apply(h)
	return h
}

// serverEnvelope is the body the server delivers for a sample event of typ, built by the server's own
// code (events.Sample, lending.NewEvent, events.EnvelopeFor).
func serverEnvelope(t *testing.T, typ string, now time.Time) (string, []byte) {
	t.Helper()
	data, err := events.Sample(typ, now)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := lending.NewEvent(lending.Scope{PartnerID: "ptn_x", Environment: lending.EnvTest}, typ, raw, now)
	if err != nil {
		t.Fatal(err)
	}
	body, err := events.EnvelopeFor(ev, "dlv_0123456789abcdef0123456789abcdef")
	if err != nil {
		t.Fatal(err)
	}
	return ev.ID, body
}

// Every one of the 15 types, as the server builds it, verifies and decodes into its own type.
func TestVerifyWebhookEveryType(t *testing.T) {
	t.Parallel()
	wantTypes := map[client.EventType]any{
		client.EventCustomerCreated:       &client.CustomerCreatedData{},
		client.EventCustomerUnderReview:   &client.CustomerStatusData{},
		client.EventCustomerActive:        &client.CustomerStatusData{},
		client.EventCustomerDenied:        &client.CustomerDeniedData{},
		client.EventCustomerKYCUpdated:    &client.CustomerKYCUpdatedData{},
		client.EventCreditOfferAvailable:  &client.CreditOfferEventData{},
		client.EventCreditOfferExpired:    &client.CreditOfferEventData{},
		client.EventLoanCreated:           &client.LoanCreatedData{},
		client.EventLoanSignatureReceived: &client.LoanSignatureReceivedData{},
		client.EventLoanProcessing:        &client.LoanProcessingData{},
		client.EventLoanActive:            &client.LoanActiveData{},
		client.EventLoanPaymentReceived:   &client.LoanPaymentReceivedData{},
		client.EventLoanFinished:          &client.LoanStatusData{},
		client.EventLoanCancelled:         &client.LoanStatusData{},
		client.EventLoanError:             &client.LoanStatusData{},
	}
	if len(wantTypes) != len(webhook.EventTypes) {
		t.Fatalf("%d types here, %d in the webhook package", len(wantTypes), len(webhook.EventTypes))
	}
	now := time.Now()
	for _, typ := range webhook.EventTypes {
		t.Run(typ, func(t *testing.T) {
			t.Parallel()
			id, body := serverEnvelope(t, typ, now)
			ev, err := client.VerifyWebhook([]string{testSecret}, signed(t, []string{testSecret}, id, now, body), body)
			if err != nil {
				t.Fatal(err)
			}
			if ev.ID != id || string(ev.Type) != typ || ev.APIVersion != client.APIVersion ||
				ev.DeliveryID != "dlv_0123456789abcdef0123456789abcdef" || ev.CreatedAt.Unix() != now.Unix() || ev.Timestamp.Unix() != now.Unix() {
				t.Errorf("envelope %+v", ev)
			}
			data, err := ev.Decode()
			if err != nil {
				t.Fatal(err)
			}
			if reflect.TypeOf(data) != reflect.TypeOf(wantTypes[ev.Type]) {
				t.Errorf("Decode() gave %T, want %T", data, wantTypes[ev.Type])
			}
			// The typed data holds every field the server sent: re-encoding it gives the same JSON.
			again, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			var sent, back any
			_ = json.Unmarshal(ev.Data, &sent)
			_ = json.Unmarshal(again, &back)
			if diff := cmp.Diff(sent, back); diff != "" {
				t.Errorf("data lost in decoding (-sent +decoded):\n%s", diff)
			}
		})
	}
}

// The typed decoders read the contract's example payloads (contract.md §8.1).
func TestEventDecoders(t *testing.T) {
	t.Parallel()
	envelope := func(typ, data string) *client.Event {
		t.Helper()
		ev, err := client.ParseEvent([]byte(`{"id":"evt_test_123","type":"` + typ + `","api_version":"2026-03-01",` +
			`"created_at":1775253600,"delivery_id":"dlv_test_123","timestamp":1775253600,"data":` + data + `}`))
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		return ev
	}
	ev := envelope("customer.created", `{"id":"cust_test_123","external_id":null,"name":"Acme Pagamentos Ltda",
		"email":"ops@acme.test","phone":"+5511999999999","cpf":"123.456.789-00","cnpj":"12.345.678/0001-90",
		"trading_name":"Acme","status":"pending_kyc","kyc":[{"requirement_id":"identity_003XXXXXXXXXXXXXXX",
		"requirement_type":"identity","label":"Documento de identidade","mandatory":true,
		"subject":{"id":"003XXXXXXXXXXXXXXX","name":"Joao Silva","subject_type":"applicant"},
		"submitted":{"evidence_type":"cnh","attachments":[{"attachment_type":"front","submitted":true},
		{"attachment_type":"back","submitted":false}],"review_status":"pending","review_reason":null}}]}`)
	cc, err := ev.CustomerCreated()
	if err != nil {
		t.Fatal(err)
	}
	wantKYC := []client.KYCRequirement{{
		RequirementID: "identity_003XXXXXXXXXXXXXXX", RequirementType: client.RequirementIdentity,
		Label: "Documento de identidade", Mandatory: true,
		Subject: &client.KYCSubject{ID: "003XXXXXXXXXXXXXXX", Name: "Joao Silva", SubjectType: client.SubjectApplicant},
		Submitted: &client.KYCSubmission{EvidenceType: client.EvidenceCNH, ReviewStatus: client.ReviewPending,
			Attachments: []client.KYCAttachmentSlot{{AttachmentType: client.AttachmentFront, Submitted: true}, {AttachmentType: client.AttachmentBack}}},
	}}
	if diff := cmp.Diff(wantKYC, cc.KYC); diff != "" || cc.Status != client.CustomerPendingKYC || cc.ExternalID != nil || *cc.CNPJ != "12.345.678/0001-90" {
		t.Errorf("customer.created %+v, kyc diff:\n%s", cc, diff)
	}

	co, err := envelope("credit_offer.available", `{"id":"co_test_123","customer_id":"cust_test_123","external_id":"partner-ref-123",
		"status":"available","approved_amount":50000,"min_amount":1000,"monthly_interest_rate":2.5,"installments":12,
		"due_date_rule":null,"valid_until":1775340000}`).CreditOffer()
	if err != nil {
		t.Fatal(err)
	}
	if co.ApprovedAmount != client.Reais(50000) || co.MonthlyInterestRate != "2.5" || co.Installments != 12 || co.ValidUntil.Unix() != 1775340000 {
		t.Errorf("credit_offer.available %+v", co)
	}

	pay, err := envelope("loan.payment_received", `{"id":"ln_test_123","status":"active","payment":{"amount":875.5,"paid_at":1775253600,"installment_number":1}}`).LoanPaymentReceived()
	if err != nil {
		t.Fatal(err)
	}
	if pay.Payment.Amount != client.Centavos(87550) || pay.Payment.InstallmentNumber != 1 {
		t.Errorf("loan.payment_received %+v", pay)
	}

	le, err := envelope("loan.error", `{"id":"ln_test_123","status":"error","error":{"code":"disbursement_failed","message":"Bank rejected the transfer."}}`).LoanStatus()
	if err != nil {
		t.Fatal(err)
	}
	if le.Status != client.LoanError || le.Error == nil || le.Error.Code != "disbursement_failed" {
		t.Errorf("loan.error %+v", le)
	}

	sr, err := envelope("loan.signature_received", `{"id":"ln_test_123","status":"awaiting_signatures","signer":{"name":"João Silva","cpf":"123.456.789-00","signed_at":1775253600},"signatures_received":1,"signatures_required":2}`).LoanSignatureReceived()
	if err != nil {
		t.Fatal(err)
	}
	if sr.Signer.Name != "João Silva" || sr.SignaturesReceived != 1 || sr.SignaturesRequired != 2 {
		t.Errorf("loan.signature_received %+v", sr)
	}

	// A decoder of another type refuses the event.
	if _, err := envelope("loan.finished", `{"id":"ln_test_123","status":"finished"}`).LoanCreated(); !errors.Is(err, client.ErrEventType) {
		t.Errorf("LoanCreated on loan.finished: %v", err)
	}
}

func TestVerifyWebhookRefusals(t *testing.T) {
	t.Parallel()
	now := time.Now()
	id, body := serverEnvelope(t, "loan.created", now)
	good := signed(t, []string{testSecret}, id, now, body)
	other := "whsec_" + strings.Repeat("QUJD", 8)

	withType := func(typ string) []byte {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		m["type"] = typ
		b, _ := json.Marshal(m)
		return b
	}
	withoutDataKey := func(key string) []byte {
		var m map[string]any
		_ = json.Unmarshal(body, &m)
		delete(m["data"].(map[string]any), key)
		b, _ := json.Marshal(m)
		return b
	}
	tests := []struct {
		name    string
		secrets []string
		header  http.Header
		body    []byte
		wantIs  error
		wantMsg string
	}{
		{name: "tampered body", secrets: []string{testSecret}, header: good, body: append(append([]byte{}, body...), ' '), wantIs: webhook.ErrNoMatchingSignature},
		{name: "wrong secret", secrets: []string{other}, header: good, body: body, wantIs: webhook.ErrNoMatchingSignature},
		{name: "stale", secrets: []string{testSecret}, header: signed(t, []string{testSecret}, id, now.Add(-6*time.Minute), body), body: body, wantIs: webhook.ErrTimestampOutOfTolerance},
		{name: "no headers", secrets: []string{testSecret}, header: http.Header{}, body: body, wantIs: webhook.ErrMissingHeaders},
		{name: "unknown type", secrets: []string{testSecret}, body: withType("loan.signed"), wantIs: client.ErrUnknownEventType},
		{name: "missing data field", secrets: []string{testSecret}, body: withoutDataKey("signing_url"), wantMsg: "signing_url"},
		{name: "not json", secrets: []string{testSecret}, body: []byte("hello"), wantMsg: "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.header
			if h == nil {
				h = signed(t, []string{testSecret}, id, now, tt.body)
			}
			ev, err := client.VerifyWebhook(tt.secrets, h, tt.body)
			if err == nil {
				t.Fatalf("accepted: %+v", ev)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("err = %v, want %v", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %v, want it to mention %q", err, tt.wantMsg)
			}
		})
	}

	// During a rotation, either secret verifies a delivery signed with both.
	both := signed(t, []string{other, testSecret}, id, now, body)
	for _, s := range []string{testSecret, other} {
		if _, err := client.VerifyWebhook([]string{s}, both, body); err != nil {
			t.Errorf("secret %s: %v", s, err)
		}
	}
	if _, err := client.VerifyWebhookAt([]string{testSecret}, good, body, now.Add(4*time.Minute)); err != nil {
		t.Errorf("4 minutes later: %v", err)
	}

}
