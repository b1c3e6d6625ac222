package httpapi_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
)

// Credit magic CNPJs (docs/sandbox.md): an MEI whose bureau profile gives a fixed offer, an LTDA with a
// range offer, and one the bureau declines.
const (
	fixedOfferCNPJ    = "12.340.001/0006-79"
	rangeOfferCNPJ    = "12.340.003/0005-87"
	declinedOfferCNPJ = "12.340.001/0002-45"
)

type offerWire struct {
	ID                  string      `json:"id"`
	CustomerID          string      `json:"customer_id"`
	Status              string      `json:"status"`
	ApprovedAmount      json.Number `json:"approved_amount"`
	MinAmount           json.Number `json:"min_amount"`
	MonthlyInterestRate json.Number `json:"monthly_interest_rate"`
	Installments        *int        `json:"installments"`
	MinInstallments     *int        `json:"min_installments"`
	MaxInstallments     *int        `json:"max_installments"`
	ValidUntil          int64       `json:"valid_until"`
}

// activeCustomer registers a customer with cnpj and approves its KYC through the sandbox control.
func (en *env) activeCustomer(tok, cnpj string) customerWire {
	en.t.Helper()
	c := en.createCustomer(tok, `{"cpf":"`+applicantCPF+`","cnpj":"`+cnpj+`","email":"a@b.com.br","phone":"+5511987654321","external_id":"ref-`+cnpj[:6]+`"}`)
	en.waitStatus(tok, c.ID, "pending_kyc")
	r := en.do("POST", "/api/v3/sandbox/customers/"+c.ID+"/kyc-decision", `{"decision":"approve"}`, bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("approve %s: %d %s", c.ID, r.status, r.body)
	}
	return decode[customerWire](en.t, r)
}

// offersOf waits until customer id has n offers and returns them.
func (en *env) offersOf(tok, id string, n int) []offerWire {
	en.t.Helper()
	var l struct {
		Data []offerWire `json:"data"`
	}
	eventually(en.t, "offers of "+id, func() bool {
		r := en.do("GET", "/api/v3/customers/"+id+"/credit-offers", "", bearer(tok)...)
		if r.status != http.StatusOK {
			en.t.Fatalf("list offers: %d %s", r.status, r.body)
		}
		l.Data = nil
		_ = json.Unmarshal(r.body, &l)
		return len(l.Data) >= n
	})
	return l.Data
}

// TestCreditOfferLifecycle: a registered customer is analysed beside KYC; once active it gets
// credit_offer.available; a simulation is priced on the offer; moving the sandbox clock past valid_until
// expires it (credit_offer.expired), after which simulations are refused.
func TestCreditOfferLifecycle(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["credit_offer.*"]}`)

		c := en.activeCustomer(tok, fixedOfferCNPJ)
		offers := en.offersOf(tok, c.ID, 1)
		o := offers[0]
		if o.Status != "available" || o.ApprovedAmount != "60000" || o.MinAmount != "1000" || o.MonthlyInterestRate != "3.49" ||
			o.Installments == nil || *o.Installments != 12 || o.MinInstallments != nil {
			t.Fatalf("offer %+v", o)
		}
		if o.ValidUntil != epoch.Add(30*24*time.Hour).Unix() {
			t.Errorf("valid_until %d, want 30 days from now", o.ValidUntil)
		}
		available := en.waitOfferHook(t, rc, o.ID, "credit_offer.available")
		var data map[string]any
		_ = json.Unmarshal(available.Data, &data)
		if data["status"] != "available" || data["installments"] != float64(12) || data["customer_id"] != c.ID ||
			data["external_id"] != *c.ExternalID || data["due_date_rule"] != nil {
			t.Errorf("credit_offer.available data %s", available.Data)
		}

		r := en.do("POST", "/api/v3/credit-offers/"+o.ID+"/simulations", `{"requested_amount":25000,"installment_count":12}`, bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("simulate: %d %s", r.status, r.body)
		}
		sim := decode[wire.Simulation](t, r)
		if sim.CreditOfferID != o.ID || sim.RequestedAmount != "25000" || sim.InstallmentCount != 12 ||
			sim.MonthlyInterestRate != "3.49" || sim.AnnualInterestRate != "50.93" || sim.FirstDueDate != "2026-04-06" {
			t.Errorf("simulation %+v", sim)
		}
		for _, tc := range []struct {
			body, code string
			status     int
		}{
			{`{"requested_amount":999.99,"installment_count":12}`, "amount_out_of_range", 422},
			{`{"requested_amount":60000.01,"installment_count":12}`, "amount_out_of_range", 422},
			{`{"requested_amount":5000,"installment_count":6}`, "invalid_installment_count", 422},
			{`{"requested_amount":5000.123,"installment_count":12}`, "invalid_field", 422},
			{`{"installment_count":12}`, "missing_required_field", 422},
		} {
			r := en.do("POST", "/api/v3/credit-offers/"+o.ID+"/simulations", tc.body, bearer(tok)...)
			wantProblem(t, tc.body, r, tc.status, tc.code, "")
		}

		// 31 days later the offer has expired.
		r = en.do("POST", "/api/v3/sandbox/clock/advance", `{"seconds":2678400}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.status, r.body)
		}
		expired := en.waitOfferHook(t, rc, o.ID, "credit_offer.expired")
		_ = json.Unmarshal(expired.Data, &data)
		if data["status"] != "expired" {
			t.Errorf("credit_offer.expired data %s", expired.Data)
		}
		r = en.do("GET", "/api/v3/credit-offers/"+o.ID, "", bearer(tok)...)
		if got := decode[offerWire](t, r); got.Status != "expired" {
			t.Errorf("offer after expiry: %+v", got)
		}
		r = en.do("POST", "/api/v3/credit-offers/"+o.ID+"/simulations", `{"requested_amount":25000,"installment_count":12}`, bearer(tok)...)
		wantProblem(t, "simulate an expired offer", r, http.StatusUnprocessableEntity, "offer_expired", "")

		// The live environment's clock did not move, and partner B cannot see A's offer.
		r = en.do("GET", "/api/v3/credit-offers/"+o.ID, "", bearer(en.token(en.b.test))...)
		wantProblem(t, "another partner's offer", r, http.StatusNotFound, "credit_offer_not_found", "")
	})
}

// waitOfferHook waits until rc got an event of type typ about offer id, checked against its schema.
func (en *env) waitOfferHook(t *testing.T, rc *receiver, id, typ string) hook {
	t.Helper()
	return en.waitHook(t, rc, id, typ)
}
