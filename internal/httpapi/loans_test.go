package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
	"github.com/dinie-oss/dinie/webhook"
)

type transactionList struct {
	Data    []wire.Transaction `json:"data"`
	HasMore bool               `json:"has_more"`
}

// loanFixture is an active customer with a bank account, an offer and a simulation on it.
type loanFixture struct {
	customer customerWire
	offer    offerWire
	sim      wire.Simulation
}

// newLoanFixture prepares a loan on a customer of cnpj whose account number is account.
func (en *env) newLoanFixture(tok, cnpj, account string, requested string, count int) loanFixture {
	en.t.Helper()
	c := en.activeCustomer(tok, cnpj)
	r := en.do("POST", "/api/v3/customers/"+c.ID+"/bank-account",
		`{"bank_account":{"bank_id":"001","kind":"checking","branch":"1234","number":"`+account+`","digit":"0"}}`, bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("bank account: %d %s", r.status, r.body)
	}
	o := en.offersOf(tok, c.ID, 1)[0]
	r = en.do("POST", "/api/v3/credit-offers/"+o.ID+"/simulations", fmt.Sprintf(`{"requested_amount":%s,"installment_count":%d}`, requested, count), bearer(tok)...)
	if r.status != http.StatusCreated {
		en.t.Fatalf("simulate: %d %s", r.status, r.body)
	}
	return loanFixture{customer: c, offer: o, sim: decode[wire.Simulation](en.t, r)}
}

func (f loanFixture) loanBody() string {
	return fmt.Sprintf(`{"credit_offer_id":%q,"simulation_id":%q,"installment_count":%d,"installment_amount":%s,"first_due_date":%q}`,
		f.offer.ID, f.sim.ID, f.sim.InstallmentCount, f.sim.InstallmentAmount, f.sim.FirstDueDate)
}

func (en *env) getLoan(tok, id string) wire.Loan {
	en.t.Helper()
	r := en.do("GET", "/api/v3/loans/"+id, "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("get loan: %d %s", r.status, r.body)
	}
	return decode[wire.Loan](en.t, r)
}

func (en *env) transactions(tok, id string) []wire.Transaction {
	en.t.Helper()
	r := en.do("GET", "/api/v3/loans/"+id+"/transactions?limit=100", "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("transactions: %d %s", r.status, r.body)
	}
	return decode[transactionList](en.t, r).Data
}

func cents(t *testing.T, n json.Number) finmath.Cents {
	t.Helper()
	if n == "0" {
		return 0
	}
	c, err := lending.ParseAmount("x", n)
	if err != nil {
		t.Fatalf("amount %q: %v", n, err)
	}
	return c
}

// checkLedger asserts the installments' invariants: paid + remaining = due; due = principal + interest +
// fees; the principals sum to the loan's principal.
func checkLedger(t *testing.T, what string, l wire.Loan, txs []wire.Transaction) {
	t.Helper()
	var principal finmath.Cents
	for _, x := range txs {
		due, paid, rem := cents(t, x.AmountDue), cents(t, x.AmountPaid), cents(t, x.AmountRemaining)
		if paid+rem != due || cents(t, x.Principal)+cents(t, x.Interest)+cents(t, x.Fees) != due {
			t.Errorf("%s: installment %s: due %s paid %s remaining %s principal %s interest %s fees %s",
				what, x.ID, x.AmountDue, x.AmountPaid, x.AmountRemaining, x.Principal, x.Interest, x.Fees)
		}
		principal += cents(t, x.Principal)
	}
	if l.PrincipalAmount != nil && principal != cents(t, *l.PrincipalAmount) {
		t.Errorf("%s: installment principals sum to %s, loan principal %s", what, principal, *l.PrincipalAmount)
	}
}

// TestLoanLifecycle: offer → simulation → loan with its CCB → every signature → processing → active with
// the simulation's exact schedule → payments (one partial, one late with charges) → finished; webhooks
// verified; the ledger's invariants checked after every step; one Pix transfer.
func TestLoanLifecycle(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		ep := en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.*"]}`)
		f := en.newLoanFixture(tok, "12.340.003/0006-68", "56789", "20000", 12)

		// A mismatched echo is refused and takes nothing.
		r := en.do("POST", "/api/v3/loans", fmt.Sprintf(`{"credit_offer_id":%q,"simulation_id":%q,"installment_count":12,"installment_amount":1,"first_due_date":%q}`,
			f.offer.ID, f.sim.ID, f.sim.FirstDueDate), bearer(tok)...)
		wantProblem(t, "mismatched installment_amount", r, http.StatusUnprocessableEntity, "simulation_mismatch", "installment_amount")

		r = en.do("POST", "/api/v3/loans", f.loanBody(), bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("create loan: %d %s", r.status, r.body)
		}
		l := decode[wire.Loan](t, r)
		if l.Status != "awaiting_signatures" || l.SigningURL == nil || l.CCBNumber == nil || l.PrincipalAmount != nil ||
			l.RequestedAmount != "20000" || l.InstallmentAmount != f.sim.InstallmentAmount || l.TotalAmount != f.sim.TotalAmount {
			t.Fatalf("loan %+v", l)
		}
		// The offer is taken.
		r = en.do("POST", "/api/v3/loans", f.loanBody(), bearer(tok)...)
		wantProblem(t, "second loan on the offer", r, http.StatusConflict, "offer_already_accepted", "")

		// The CCB is a PDF whose hash is the one signatures record.
		r = en.do("GET", "/api/v3/loans/"+l.ID+"/ccb", "", bearer(tok)...)
		sum := sha256.Sum256(r.body)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" || r.header.Get("X-Content-SHA256") != hex.EncodeToString(sum[:]) {
			t.Fatalf("ccb: %d %v", r.status, r.header)
		}

		stored, err := en.store.Loan(context.Background(), lending.Scope{PartnerID: en.a.id, Environment: lending.EnvTest}, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(stored.Signers) != 4 { // the applicant and the LTDA's three partners
			t.Fatalf("signers %+v", stored.Signers)
		}
		for i, s := range stored.Signers {
			r := en.do("POST", "/api/v3/sandbox/loans/"+l.ID+"/sign", `{"signer_cpf":"`+string(s.CPF)+`"}`, bearer(tok)...)
			if r.status != http.StatusOK {
				t.Fatalf("sign %d: %d %s", i, r.status, r.body)
			}
		}
		created := en.waitHook(t, rc, l.ID, "loan.created")
		if err := webhook.Verify([]string{*ep.Secret}, created.raw.header, created.raw.body, en.clock.Now()); err != nil {
			t.Errorf("loan.created signature: %v", err)
		}
		en.waitHook(t, rc, l.ID, "loan.processing")
		en.waitHook(t, rc, l.ID, "loan.active")
		var got wire.Loan
		eventually(t, "loan active", func() bool { got = en.getLoan(tok, l.ID); return got.Status == "active" })
		if got.SigningURL != nil || got.DisbursementMethod == nil || *got.DisbursementMethod != "pix" || got.PrincipalAmount == nil ||
			*got.PrincipalAmount != f.sim.PrincipalAmount {
			t.Errorf("active loan %+v", got)
		}
		sigs := 0
		for _, h := range en.hooksFor(t, rc, l.ID) {
			if h.Type == "loan.signature_received" {
				sigs++
			}
		}
		if sigs != 4 {
			t.Errorf("%d loan.signature_received, want 4", sigs)
		}

		txs := en.transactions(tok, l.ID)
		if len(txs) != 12 || txs[0].DueDate != f.sim.FirstDueDate || txs[0].AmountDue != f.sim.InstallmentAmount {
			t.Fatalf("transactions %+v", txs)
		}
		checkLedger(t, "after disbursement", got, txs)

		// A partial payment of the first installment.
		half := cents(t, txs[0].AmountDue) / 2
		en.pay(tok, l.ID, half)
		txs = en.transactions(tok, l.ID)
		if txs[0].Status != "partially_paid" || cents(t, txs[0].AmountPaid) != half {
			t.Errorf("after a partial payment: %+v", txs[0])
		}
		checkLedger(t, "after a partial payment", got, txs)
		en.pay(tok, l.ID, cents(t, txs[0].AmountRemaining))

		// The second installment goes 10 days late: 2% fine and 1% a month pro rata.
		due2, _ := lending.ParseDate(txs[1].DueDate)
		late := due2.AddDays(10).Time().Add(15 * 3600e9) // mid-day in Brasília
		r = en.do("POST", "/api/v3/sandbox/clock/advance", fmt.Sprintf(`{"to":%d}`, late.Unix()), bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.status, r.body)
		}
		eventually(t, "the second installment overdue", func() bool {
			txs = en.transactions(tok, l.ID)
			return txs[1].Status == "overdue" && txs[1].DaysOverdue == 10
		})
		base := cents(t, txs[1].Principal) + cents(t, txs[1].Interest)
		wantFees, _ := finmath.LateCharges(base, 10, finmath.MustPercent("2"), finmath.MustPercent("1"))
		if cents(t, txs[1].Fees) != wantFees.Total() {
			t.Errorf("fees %s, want %s", txs[1].Fees, wantFees.Total())
		}
		checkLedger(t, "overdue", got, txs)

		// Paying a centavo more than everything owed is refused; paying it all finishes the loan.
		var owed finmath.Cents
		for _, x := range txs {
			owed += cents(t, x.AmountRemaining)
		}
		r = en.do("POST", "/api/v3/sandbox/loans/"+l.ID+"/payments", `{"amount":`+string(lending.Reais(owed+1))+`}`, bearer(tok)...)
		wantProblem(t, "overpayment", r, http.StatusUnprocessableEntity, "payment_exceeds_balance", "")
		en.pay(tok, l.ID, owed)
		en.waitHook(t, rc, l.ID, "loan.finished")
		got = en.getLoan(tok, l.ID)
		txs = en.transactions(tok, l.ID)
		if got.Status != "finished" {
			t.Errorf("loan after paying everything: %s", got.Status)
		}
		for _, x := range txs {
			if x.Status != "paid" || x.AmountRemaining != "0" || x.PaidAt == nil {
				t.Errorf("installment %d after paying everything: %+v", 0, x)
			}
		}
		checkLedger(t, "finished", got, txs)
		if n, err := en.store.CountPixTransfers(context.Background(), l.ID); err != nil || n != 1 {
			t.Errorf("Pix transfers of the loan: %d %v", n, err)
		}
	})
}

func (en *env) pay(tok, id string, amount finmath.Cents) {
	en.t.Helper()
	r := en.do("POST", "/api/v3/sandbox/loans/"+id+"/payments", `{"amount":`+string(lending.Reais(amount))+`}`, bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("pay %s: %d %s", amount, r.status, r.body)
	}
}
