package httpapi_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store/storetest"
	"github.com/dinie-oss/dinie/internal/wire"
)

// Edge cases and side branches of the loan routes (contract.md §5.20–§5.22, §6.4, §6.5, §7.4, §7.5, §8;
// sandbox.md): the cancelled, error and held branches, the sandbox controls' refusals, POST /loans'
// refusals, concurrent loans on one offer, transaction pagination and the hosted signing page's JSON.
// Every API answer is checked against api/openapi.yaml by the harness, and every webhook against its
// schema by hooksFor.

// More sandbox magic CNPJs (docs/sandbox.md), all MEIs (one signer: the applicant).
const (
	rangeMEICNPJ = "12.340.001/0005-98" // R$ 90,000, 3 to 24 installments at 2.49%
	smallMEICNPJ = "12.340.001/0003-26" // R$ 5,000, 12 installments at 3.49%
	ltdaFixed    = "12.340.003/0006-68" // LTDA, 3 co-owners: four signers; R$ 60,000 in 12
)

var (
	maskedCPFRE  = regexp.MustCompile(`^\*\*\*\.[0-9]{3}\.[0-9]{3}-\*\*$`)
	e2ePatternRE = regexp.MustCompile(`^E[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}$`)
)

// testScope is partner A's test environment.
func (en *env) testScope() lending.Scope {
	return lending.Scope{PartnerID: en.a.id, Environment: lending.EnvTest}
}

// storedLoan reads loan id of partner A's test environment from the store.
func (en *env) storedLoan(id string) lending.Loan {
	en.t.Helper()
	l, err := en.store.Loan(context.Background(), en.testScope(), id)
	if err != nil {
		en.t.Fatalf("store.Loan(%s): %v", id, err)
	}
	return l
}

// raw sends a request with a plain client: the hosted signing routes are not part of the API document.
func (en *env) raw(method, path, body string, headers ...string) response {
	en.t.Helper()
	req, err := http.NewRequest(method, en.url+path, strings.NewReader(body))
	if err != nil {
		en.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		en.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		en.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// createLoanOf creates the fixture's loan and fails unless it is created awaiting signatures.
func (en *env) createLoanOf(tok string, f loanFixture) wire.Loan {
	en.t.Helper()
	r := en.do("POST", "/api/v3/loans", f.loanBody(), bearer(tok)...)
	if r.status != http.StatusCreated {
		en.t.Fatalf("create loan: %d %s", r.status, r.body)
	}
	l := decode[wire.Loan](en.t, r)
	if l.Status != "awaiting_signatures" || l.SigningURL == nil {
		en.t.Fatalf("new loan %+v", l)
	}
	return l
}

// signingToken is the token of a loan's signing_url.
func (en *env) signingToken(l wire.Loan) string {
	en.t.Helper()
	if l.SigningURL == nil {
		en.t.Fatalf("loan %s has no signing_url", l.ID)
	}
	tok, ok := strings.CutPrefix(*l.SigningURL, en.url+"/sign/")
	if !ok || tok == "" || strings.Contains(tok, "/") {
		en.t.Fatalf("signing_url %q is not under %s/sign/", *l.SigningURL, en.url)
	}
	return tok
}

// signAllSandbox signs every missing signature through the sandbox control.
func (en *env) signAllSandbox(tok, id string) wire.Loan {
	en.t.Helper()
	r := en.do("POST", "/api/v3/sandbox/loans/"+id+"/sign", "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("sign %s: %d %s", id, r.status, r.body)
	}
	return decode[wire.Loan](en.t, r)
}

// waitLoanStatus waits until loan id has status.
func (en *env) waitLoanStatus(tok, id, status string) wire.Loan {
	en.t.Helper()
	var l wire.Loan
	eventually(en.t, "loan "+id+" "+status, func() bool { l = en.getLoan(tok, id); return l.Status == status })
	return l
}

// hookTypes returns the types of hs, in order.
func hookTypes(hs []hook) []string {
	var out []string
	for _, h := range hs {
		out = append(out, h.Type)
	}
	return out
}

// sameTypes reports whether got holds exactly the event types want, in any order.
func sameTypes(got []string, want ...string) bool {
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func (en *env) getOffer(tok, id string) offerWire {
	en.t.Helper()
	r := en.do("GET", "/api/v3/credit-offers/"+id, "", bearer(tok)...)
	if r.status != http.StatusOK {
		en.t.Fatalf("get offer %s: %d %s", id, r.status, r.body)
	}
	return decode[offerWire](en.t, r)
}

func (en *env) simulate(tok, offerID, body string) wire.Simulation {
	en.t.Helper()
	r := en.do("POST", "/api/v3/credit-offers/"+offerID+"/simulations", body, bearer(tok)...)
	if r.status != http.StatusCreated {
		en.t.Fatalf("simulate on %s: %d %s", offerID, r.status, r.body)
	}
	return decode[wire.Simulation](en.t, r)
}

// loanBodyOf is a POST /loans body for offer and sim, echoing sim's numbers.
func loanBodyOf(offerID string, sim wire.Simulation) string {
	return fmt.Sprintf(`{"credit_offer_id":%q,"simulation_id":%q,"installment_count":%d,"installment_amount":%s,"first_due_date":%q}`,
		offerID, sim.ID, sim.InstallmentCount, sim.InstallmentAmount, sim.FirstDueDate)
}

// TestLoanCancelledBranch: a loan nobody signs is cancelled once its 7 days to sign have passed on the
// partner's sandbox clock (loan.cancelled); its signing link dies, its offer is available again (still
// within valid_until) and takes a new loan on a fresh simulation.
func TestLoanCancelledBranch(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.*"]}`)
		f := en.newLoanFixture(tok, fixedOfferCNPJ, "56789", "20000", 12)
		l := en.createLoanOf(tok, f)
		signTok := en.signingToken(l)
		if got := en.getOffer(tok, f.offer.ID); got.Status != "accepted" {
			t.Errorf("offer with a loan: %s", got.Status)
		}

		// Six days on, the loan still waits.
		r := en.do("POST", "/api/v3/sandbox/clock/advance", `{"seconds":518400}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.status, r.body)
		}
		time.Sleep(300 * time.Millisecond) // the sweep the advance queued has had its chance
		if got := en.getLoan(tok, l.ID); got.Status != "awaiting_signatures" || got.SigningURL == nil {
			t.Errorf("after 6 days: %s %v", got.Status, got.SigningURL)
		}
		// Eight days after creation it is cancelled.
		r = en.do("POST", "/api/v3/sandbox/clock/advance", `{"seconds":172800}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.status, r.body)
		}
		cancelled := en.waitHook(t, rc, l.ID, "loan.cancelled")
		var data map[string]any
		_ = json.Unmarshal(cancelled.Data, &data)
		if data["status"] != "cancelled" || data["id"] != l.ID || data["error"] != nil || len(data) != 2 {
			t.Errorf("loan.cancelled data %s", cancelled.Data)
		}
		got := en.getLoan(tok, l.ID)
		if got.Status != "cancelled" || got.SigningURL != nil || got.PrincipalAmount != nil || got.DisbursementMethod != nil ||
			got.CCBNumber == nil || *got.CCBNumber != *l.CCBNumber || got.UpdatedAt <= l.UpdatedAt {
			t.Errorf("cancelled loan %+v", got)
		}
		eventually(t, "every event of the cancelled loan", func() bool {
			return sameTypes(hookTypes(en.hooksFor(t, rc, l.ID)), "loan.created", "loan.cancelled")
		})
		if txs := en.transactions(tok, l.ID); len(txs) != 0 {
			t.Errorf("a cancelled loan has transactions: %+v", txs)
		}

		// The link and the sandbox controls are dead for it.
		r = en.raw("GET", "/sign/"+signTok+"/session", "")
		wantProblem(t, "signing session of a cancelled loan", r, http.StatusNotFound, "signing_session_invalid", "")
		r = en.raw("POST", "/sign/"+signTok+"/signatures", `{"cpf":"`+applicantCPF+`","document_sha256":"x","accept":true}`)
		wantProblem(t, "signing a cancelled loan", r, http.StatusNotFound, "signing_session_invalid", "")
		r = en.do("POST", "/api/v3/sandbox/loans/"+l.ID+"/sign", "", bearer(tok)...)
		wantProblem(t, "sandbox sign of a cancelled loan", r, http.StatusConflict, "invalid_loan_state", "")
		r = en.do("POST", "/api/v3/sandbox/loans/"+l.ID+"/sign", `{"signer_cpf":"`+applicantCPF+`"}`, bearer(tok)...)
		wantProblem(t, "sandbox sign by CPF of a cancelled loan", r, http.StatusConflict, "invalid_loan_state", "")

		// The offer is available again, 22 days before its valid_until.
		o := en.getOffer(tok, f.offer.ID)
		if o.Status != "available" || o.ValidUntil != f.offer.ValidUntil {
			t.Errorf("offer after the cancellation: %+v (valid_until was %d)", o, f.offer.ValidUntil)
		}
		sim := en.simulate(tok, f.offer.ID, `{"requested_amount":15000,"installment_count":12}`)
		if sim.FirstDueDate <= f.sim.FirstDueDate {
			t.Errorf("fresh simulation's first due date %s, the first one's %s", sim.FirstDueDate, f.sim.FirstDueDate)
		}
		r = en.do("POST", "/api/v3/loans", loanBodyOf(f.offer.ID, sim), bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("a new loan on the released offer: %d %s", r.status, r.body)
		}
		l2 := decode[wire.Loan](t, r)
		if l2.ID == l.ID || l2.Status != "awaiting_signatures" || l2.SimulationID != sim.ID || l2.RequestedAmount != "15000" ||
			l2.CCBNumber == nil || *l2.CCBNumber == *l.CCBNumber || l2.SigningURL == nil || *l2.SigningURL == *l.SigningURL {
			t.Errorf("second loan %+v", l2)
		}
		en.waitHook(t, rc, l2.ID, "loan.created")
		if got := en.getOffer(tok, f.offer.ID); got.Status != "accepted" {
			t.Errorf("offer with its second loan: %s", got.Status)
		}
		r = en.do("POST", "/api/v3/loans", f.loanBody(), bearer(tok)...)
		wantProblem(t, "a third loan on the offer", r, http.StatusConflict, "offer_already_accepted", "")
		// The second loan's window runs from its own creation.
		if sl := en.storedLoan(l2.ID); sl.SignBy.Unix() != l2.CreatedAt+7*86400 {
			t.Errorf("second loan sign_by %v, created %d", sl.SignBy, l2.CreatedAt)
		}
	})
}

// TestLoanDisbursementBranches: the sandbox Pix rail's magic account numbers. An account ending 0000 is
// rejected (loan.error with disbursement_failed, no installments); one ending 9999 holds the transfer until
// POST /sandbox/loans/{id}/disbursement settles it (active, installments) or fails it (error).
func TestLoanDisbursementBranches(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.*"]}`)
		ctx := context.Background()

		// Rejected by the receiving bank.
		bad := en.newLoanFixture(tok, fixedOfferCNPJ, "1230000", "20000", 12)
		lb := en.createLoanOf(tok, bad)
		en.signAllSandbox(tok, lb.ID)
		errHook := en.waitHook(t, rc, lb.ID, "loan.error")
		var ed struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Error  *struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(errHook.Data, &ed); err != nil || ed.Status != "error" || ed.Error == nil ||
			ed.Error.Code != "disbursement_failed" || ed.Error.Message == "" {
			t.Errorf("loan.error data %s", errHook.Data)
		}
		got := en.getLoan(tok, lb.ID)
		if got.Status != "error" || got.SigningURL != nil || got.PrincipalAmount != nil || got.IOFAmount != nil {
			t.Errorf("failed loan %+v", got)
		}
		if txs := en.transactions(tok, lb.ID); len(txs) != 0 {
			t.Errorf("failed loan has transactions %+v", txs)
		}
		// Deliveries may arrive in any order (Standard Webhooks promises none): compare the set.
		eventually(t, "every event of the failed loan", func() bool {
			return sameTypes(hookTypes(en.hooksFor(t, rc, lb.ID)), "loan.created", "loan.signature_received", "loan.processing", "loan.error")
		})
		if n, err := en.store.CountPixTransfers(ctx, lb.ID); err != nil || n != 1 {
			t.Errorf("Pix transfers of the failed loan: %d %v", n, err)
		}
		if sl := en.storedLoan(lb.ID); sl.Failure == nil || sl.Failure.Code != "disbursement_failed" || !e2ePatternRE.MatchString(sl.DisbursementE2E) {
			t.Errorf("stored failed loan: failure %+v e2e %q", sl.Failure, sl.DisbursementE2E)
		}
		r := en.do("POST", "/api/v3/sandbox/loans/"+lb.ID+"/disbursement", `{"outcome":"settled"}`, bearer(tok)...)
		wantProblem(t, "settle a failed loan", r, http.StatusConflict, "invalid_loan_state", "")
		r = en.do("POST", "/api/v3/sandbox/loans/"+lb.ID+"/payments", `{"amount":100}`, bearer(tok)...)
		wantProblem(t, "pay a failed loan", r, http.StatusConflict, "invalid_loan_state", "")

		// Held, then settled.
		held := en.newLoanFixture(tok, rangeMEICNPJ, "1239999", "30000", 12)
		lh := en.createLoanOf(tok, held)
		if s := en.signAllSandbox(tok, lh.ID); s.Status != "processing" || s.SigningURL != nil || s.DisbursementMethod == nil || *s.DisbursementMethod != "pix" {
			t.Errorf("after signing: %+v", s)
		}
		en.waitHook(t, rc, lh.ID, "loan.processing")
		time.Sleep(1500 * time.Millisecond) // the disbursement job has asked the rail at least once
		if got := en.getLoan(tok, lh.ID); got.Status != "processing" || got.PrincipalAmount != nil {
			t.Errorf("held transfer: loan %s", got.Status)
		}
		if txs := en.transactions(tok, lh.ID); len(txs) != 0 {
			t.Errorf("processing loan has transactions %+v", txs)
		}
		r = en.do("POST", "/api/v3/sandbox/loans/"+lh.ID+"/disbursement", `{"outcome":"settled"}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("settle: %d %s", r.status, r.body)
		}
		settled := decode[wire.Loan](t, r)
		if settled.Status != "active" || settled.PrincipalAmount == nil || *settled.PrincipalAmount != held.sim.PrincipalAmount ||
			settled.IOFAmount == nil || *settled.IOFAmount != held.sim.IOFAmount {
			t.Errorf("settled loan %+v", settled)
		}
		active := en.waitHook(t, rc, lh.ID, "loan.active")
		var ad map[string]any
		_ = json.Unmarshal(active.Data, &ad)
		if ad["status"] != "active" || fmt.Sprint(ad["principal_amount"]) != string(held.sim.PrincipalAmount) || fmt.Sprint(ad["requested_amount"]) != "30000" {
			t.Errorf("loan.active data %s", active.Data)
		}
		txs := en.transactions(tok, lh.ID)
		if len(txs) != 12 || txs[0].DueDate != held.sim.FirstDueDate || txs[0].AmountDue != held.sim.InstallmentAmount {
			t.Errorf("installments of the settled loan: %+v", txs)
		}
		checkLedger(t, "settled", settled, txs)
		r = en.do("POST", "/api/v3/sandbox/loans/"+lh.ID+"/disbursement", `{"outcome":"failed"}`, bearer(tok)...)
		wantProblem(t, "fail a settled loan", r, http.StatusConflict, "invalid_loan_state", "")
		if got := en.getLoan(tok, lh.ID); got.Status != "active" {
			t.Errorf("a refused failure changed the loan: %s", got.Status)
		}
		if n, err := en.store.CountPixTransfers(ctx, lh.ID); err != nil || n != 1 {
			t.Errorf("Pix transfers of the held loan: %d %v", n, err)
		}
		// Transactions, 12 of them, five to a page, in installment order.
		ids := en.pageIDs(tok, "/api/v3/loans/"+lh.ID+"/transactions", 5)
		var want []string
		for _, x := range txs {
			want = append(want, x.ID)
		}
		if !slices.Equal(ids, want) {
			t.Errorf("paged transactions %v, want %v", ids, want)
		}
		if ids := en.pageIDs(tok, "/api/v3/loans/"+lh.ID+"/transactions", 1); !slices.Equal(ids, want) {
			t.Errorf("paged by one: %v", ids)
		}
		if ids := en.pageIDs(tok, "/api/v3/loans/"+lh.ID+"/transactions", 12); !slices.Equal(ids, want) {
			t.Errorf("one full page: %v", ids)
		}
		for k := 1; k < len(txs); k++ {
			if txs[k].DueDate <= txs[k-1].DueDate {
				t.Errorf("transactions not in due-date order at %d: %s after %s", k, txs[k].DueDate, txs[k-1].DueDate)
			}
		}
		for _, q := range []string{"?limit=0", "?limit=101", "?limit=x", "?starting_after=tx_ffffffffffffffffffffffffffffffff", "?starting_after=" + lb.ID} {
			r := en.do("GET", "/api/v3/loans/"+lh.ID+"/transactions"+q, "", bearer(tok)...)
			wantProblem(t, "transactions"+q, r, http.StatusUnprocessableEntity, "invalid_parameter", "")
		}
		r = en.do("GET", "/api/v3/loans/ln_ffffffffffffffffffffffffffffffff/transactions", "", bearer(tok)...)
		wantProblem(t, "transactions of an unknown loan", r, http.StatusNotFound, "loan_not_found", "")
		r = en.do("GET", "/api/v3/loans/"+lh.ID+"/transactions", "", bearer(en.token(en.b.test))...)
		wantProblem(t, "transactions of another partner's loan", r, http.StatusNotFound, "loan_not_found", "")
		r = en.do("GET", "/api/v3/loans/"+lh.ID+"/transactions", "", bearer(en.token(en.a.live))...)
		wantProblem(t, "transactions of a test loan with a live token", r, http.StatusNotFound, "loan_not_found", "")

		// Held, then failed.
		heldFail := en.newLoanFixture(tok, smallMEICNPJ, "4449999", "5000", 12)
		lf := en.createLoanOf(tok, heldFail)
		en.signAllSandbox(tok, lf.ID)
		en.waitHook(t, rc, lf.ID, "loan.processing")
		r = en.do("POST", "/api/v3/sandbox/loans/"+lf.ID+"/disbursement", `{"outcome":"failed"}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("fail: %d %s", r.status, r.body)
		}
		if got := decode[wire.Loan](t, r); got.Status != "error" || got.PrincipalAmount != nil {
			t.Errorf("failed held loan %+v", got)
		}
		errHook = en.waitHook(t, rc, lf.ID, "loan.error")
		ed.Error = nil
		if err := json.Unmarshal(errHook.Data, &ed); err != nil || ed.Error == nil || ed.Error.Code != "disbursement_failed" {
			t.Errorf("loan.error data %s", errHook.Data)
		}
		time.Sleep(1200 * time.Millisecond) // a late run of the disbursement job must not revive it
		if got := en.getLoan(tok, lf.ID); got.Status != "error" {
			t.Errorf("failed held loan later: %s", got.Status)
		}
		if txs := en.transactions(tok, lf.ID); len(txs) != 0 {
			t.Errorf("failed held loan has transactions %+v", txs)
		}
		for _, h := range en.hooksFor(t, rc, lf.ID) {
			if h.Type == "loan.active" {
				t.Errorf("a failed transfer sent loan.active")
			}
		}
	})
}

// TestSandboxLoanRouteErrors: the sandbox loan controls refuse live tokens, unknown and foreign loans,
// states that do not allow the action and bad bodies, and change nothing when they refuse.
func TestSandboxLoanRouteErrors(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		live := en.token(en.a.live)
		other := en.token(en.b.test)
		f := en.newLoanFixture(tok, ltdaFixed, "7779999", "20000", 12)
		l := en.createLoanOf(tok, f)
		signers := en.storedLoan(l.ID).Signers
		if len(signers) != 4 {
			t.Fatalf("signers %+v", signers)
		}
		base := "/api/v3/sandbox/loans/" + l.ID
		unknown := "/api/v3/sandbox/loans/ln_ffffffffffffffffffffffffffffffff"
		for _, tc := range []struct{ path, body string }{
			{"/sign", ""}, {"/sign", `{"signer_cpf":"` + string(signers[0].CPF) + `"}`},
			{"/disbursement", `{"outcome":"settled"}`}, {"/payments", `{"amount":100}`},
		} {
			r := en.do("POST", base+tc.path, tc.body, bearer(live)...)
			wantProblem(t, "live "+tc.path, r, http.StatusForbidden, "sandbox_only", "")
			r = en.do("POST", unknown+tc.path, tc.body, bearer(tok)...)
			wantProblem(t, "unknown loan "+tc.path, r, http.StatusNotFound, "loan_not_found", "")
			r = en.do("POST", base+tc.path, tc.body, bearer(other)...)
			wantProblem(t, "another partner's loan "+tc.path, r, http.StatusNotFound, "loan_not_found", "")
		}
		r := en.do("POST", "/api/v3/sandbox/clock/advance", `{"seconds":60}`, bearer(live)...)
		wantProblem(t, "live clock advance", r, http.StatusForbidden, "sandbox_only", "")
		if got := en.storedLoan(l.ID); got.SignaturesReceived() != 0 || got.Status != lending.LoanAwaitingSignatures {
			t.Fatalf("refused requests changed the loan: %s, %d signatures", got.Status, got.SignaturesReceived())
		}

		// Awaiting signatures: no disbursement, no payment; bad bodies.
		r = en.do("POST", base+"/disbursement", `{"outcome":"settled"}`, bearer(tok)...)
		wantProblem(t, "disburse an unsigned loan", r, http.StatusConflict, "invalid_loan_state", "")
		r = en.do("POST", base+"/payments", `{"amount":100}`, bearer(tok)...)
		wantProblem(t, "pay an unsigned loan", r, http.StatusConflict, "invalid_loan_state", "")
		for _, tc := range []struct {
			body, code, param string
			status            int
		}{
			{`{"signer_cpf":"111.444.777-35"}`, "signer_not_found", "signer_cpf", 422},
			{`{"signer_cpf":"11144477735"}`, "signer_not_found", "signer_cpf", 422},
			{`{"signer_cpf":"123"}`, "signer_not_found", "signer_cpf", 422},
			{`{"signer_cpf":12345678909}`, "invalid_field", "signer_cpf", 422},
		} {
			r := en.do("POST", base+"/sign", tc.body, bearer(tok)...)
			wantProblem(t, "sign "+tc.body, r, tc.status, tc.code, tc.param)
		}
		for _, tc := range []struct{ body, code, param string }{
			{`{}`, "missing_required_field", "outcome"},
			{`{"outcome":"maybe"}`, "invalid_field", "outcome"},
			{`{"outcome":"SETTLED"}`, "invalid_field", "outcome"},
			{`{"outcome":true}`, "invalid_field", "outcome"},
		} {
			r := en.do("POST", base+"/disbursement", tc.body, bearer(tok)...)
			wantProblem(t, "disbursement "+tc.body, r, http.StatusUnprocessableEntity, tc.code, tc.param)
		}
		for _, tc := range []struct{ body, code, param string }{
			{`{}`, "missing_required_field", "amount"},
			{`{"amount":0}`, "invalid_field", "amount"},
			{`{"amount":-5}`, "invalid_field", "amount"},
			{`{"amount":1.234}`, "invalid_field", "amount"},
			{`{"amount":1e3}`, "invalid_field", "amount"},
			{`{"amount":"abc"}`, "invalid_field", "amount"},
			{`{"amount":null}`, "missing_required_field", "amount"},
		} {
			r := en.do("POST", base+"/payments", tc.body, bearer(tok)...)
			wantProblem(t, "payment "+tc.body, r, http.StatusUnprocessableEntity, tc.code, tc.param)
		}

		// One signature by CPF (formatted), then the same signer again.
		r = en.do("POST", base+"/sign", `{"signer_cpf":"`+signers[1].CPF.Format()+`"}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("sign one: %d %s", r.status, r.body)
		}
		if got := decode[wire.Loan](t, r); got.Status != "awaiting_signatures" || got.SigningURL == nil {
			t.Errorf("after one of four: %+v", got)
		}
		r = en.do("POST", base+"/sign", `{"signer_cpf":"`+string(signers[1].CPF)+`"}`, bearer(tok)...)
		wantProblem(t, "the same signer again", r, http.StatusUnprocessableEntity, "signer_not_found", "signer_cpf")
		if got := en.storedLoan(l.ID); got.SignaturesReceived() != 1 {
			t.Errorf("%d signatures, want 1", got.SignaturesReceived())
		}

		// The rest at once: processing (held by the 9999 account), and no more signing.
		if got := en.signAllSandbox(tok, l.ID); got.Status != "processing" {
			t.Errorf("after every signature: %s", got.Status)
		}
		for _, body := range []string{"", `{"signer_cpf":"` + string(signers[0].CPF) + `"}`, `{"signer_cpf":"111.444.777-35"}`} {
			r := en.do("POST", base+"/sign", body, bearer(tok)...)
			wantProblem(t, "sign a processing loan "+body, r, http.StatusConflict, "invalid_loan_state", "")
		}
		r = en.do("POST", base+"/payments", `{"amount":100}`, bearer(tok)...)
		wantProblem(t, "pay a processing loan", r, http.StatusConflict, "invalid_loan_state", "")

		// Settled: no second decision; payments within the balance only.
		r = en.do("POST", base+"/disbursement", `{"outcome":"settled"}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("settle: %d %s", r.status, r.body)
		}
		for _, outcome := range []string{"settled", "failed"} {
			r := en.do("POST", base+"/disbursement", `{"outcome":"`+outcome+`"}`, bearer(tok)...)
			wantProblem(t, outcome+" on an active loan", r, http.StatusConflict, "invalid_loan_state", "")
		}
		r = en.do("POST", base+"/sign", "", bearer(tok)...)
		wantProblem(t, "sign an active loan", r, http.StatusConflict, "invalid_loan_state", "")
		txs := en.transactions(tok, l.ID)
		var owed int64
		for _, x := range txs {
			owed += int64(cents(t, x.AmountRemaining))
		}
		r = en.do("POST", base+"/payments", `{"amount":`+string(lending.Reais(1_000_000_000_00))+`}`, bearer(tok)...)
		wantProblem(t, "pay a billion", r, http.StatusUnprocessableEntity, "payment_exceeds_balance", "amount")
		r = en.do("POST", base+"/payments", `{"amount":`+string(lending.Reais(finmath.Cents(owed)+1))+`}`, bearer(tok)...)
		wantProblem(t, "pay a centavo over the balance", r, http.StatusUnprocessableEntity, "payment_exceeds_balance", "amount")
		r = en.do("POST", base+"/payments", `{"amount":0.01}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("pay a centavo: %d %s", r.status, r.body)
		}
		if got := decode[wire.Loan](t, r); got.Status != "active" {
			t.Errorf("after a centavo: loan %s", got.Status)
		}
		after := en.transactions(tok, l.ID)
		if after[0].AmountPaid != "0.01" || after[0].Status != "partially_paid" || after[0].AmountRemaining != lending.Reais(cents(t, txs[0].AmountDue)-1) {
			t.Errorf("after a centavo: %+v", after[0])
		}
		for _, x := range after[1:] {
			if x.AmountPaid != "0" || x.Status != "pending" {
				t.Errorf("a centavo reached installment %s: %+v", x.DueDate, x)
			}
		}
		checkLedger(t, "after a centavo", en.getLoan(tok, l.ID), after)
	})
}

// TestCreateLoanErrors: POST /loans' refusals (contract.md §5.20; api/openapi.yaml createLoan), none of
// which takes the offer.
func TestCreateLoanErrors(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		f := en.newLoanFixture(tok, fixedOfferCNPJ, "56789", "20000", 12)
		post := func(body string, tk ...string) response {
			t.Helper()
			if len(tk) == 0 {
				tk = []string{tok}
			}
			return en.do("POST", "/api/v3/loans", body, bearer(tk[0])...)
		}
		sim := f.sim
		body := func(offer, simID string, count int, amount, due string) string {
			return fmt.Sprintf(`{"credit_offer_id":%q,"simulation_id":%q,"installment_count":%d,"installment_amount":%s,"first_due_date":%q}`,
				offer, simID, count, amount, due)
		}

		// Missing fields, each named.
		wantProblemParams(t, "empty body", post(`{}`), http.StatusUnprocessableEntity, "missing_required_field",
			[]string{"credit_offer_id", "simulation_id", "installment_count", "installment_amount", "first_due_date"})
		wantProblemParams(t, "no body", post(""), http.StatusUnprocessableEntity, "missing_required_field",
			[]string{"credit_offer_id", "simulation_id", "installment_count", "installment_amount", "first_due_date"})
		wantProblemParams(t, "only the offer", post(`{"credit_offer_id":"`+f.offer.ID+`"}`), http.StatusUnprocessableEntity, "missing_required_field",
			[]string{"simulation_id", "installment_count", "installment_amount", "first_due_date"})
		wantProblemParams(t, "nulls", post(`{"credit_offer_id":null,"simulation_id":"`+sim.ID+`","installment_count":12,"installment_amount":null,"first_due_date":"`+sim.FirstDueDate+`"}`),
			http.StatusUnprocessableEntity, "missing_required_field", []string{"credit_offer_id", "installment_amount"})

		// Wrong types and malformed values.
		for _, tc := range []struct{ name, body, param string }{
			{"count as a string", strings.Replace(f.loanBody(), `"installment_count":12`, `"installment_count":"12"`, 1), "installment_count"},
			{"count with decimals", strings.Replace(f.loanBody(), `"installment_count":12`, `"installment_count":12.5`, 1), "installment_count"},
			{"count 0", strings.Replace(f.loanBody(), `"installment_count":12`, `"installment_count":0`, 1), "installment_count"},
			{"count negative", strings.Replace(f.loanBody(), `"installment_count":12`, `"installment_count":-12`, 1), "installment_count"},
			{"amount negative", body(f.offer.ID, sim.ID, 12, "-1", sim.FirstDueDate), "installment_amount"},
			{"amount 3 decimals", body(f.offer.ID, sim.ID, 12, "1.001", sim.FirstDueDate), "installment_amount"},
			{"amount zero", body(f.offer.ID, sim.ID, 12, "0", sim.FirstDueDate), "installment_amount"},
			{"due date not a date", body(f.offer.ID, sim.ID, 12, string(sim.InstallmentAmount), "2026-02-30"), "first_due_date"},
			{"due date Brazilian", body(f.offer.ID, sim.ID, 12, string(sim.InstallmentAmount), "06/04/2026"), "first_due_date"},
			{"offer id a number", `{"credit_offer_id":1,"simulation_id":"` + sim.ID + `","installment_count":12,"installment_amount":1,"first_due_date":"2026-04-06"}`, "credit_offer_id"},
		} {
			wantProblem(t, tc.name, post(tc.body), http.StatusUnprocessableEntity, "invalid_field", tc.param)
		}

		// Unknown or foreign ids.
		wantProblem(t, "unknown offer", post(body("co_ffffffffffffffffffffffffffffffff", sim.ID, 12, string(sim.InstallmentAmount), sim.FirstDueDate)),
			http.StatusNotFound, "credit_offer_not_found", "")
		wantProblem(t, "offer id of another kind", post(body(sim.ID, sim.ID, 12, string(sim.InstallmentAmount), sim.FirstDueDate)),
			http.StatusNotFound, "credit_offer_not_found", "")
		wantProblem(t, "unknown simulation", post(body(f.offer.ID, "sim_ffffffffffffffffffffffffffffffff", 12, string(sim.InstallmentAmount), sim.FirstDueDate)),
			http.StatusNotFound, "simulation_not_found", "")
		wantProblem(t, "another partner's offer", post(f.loanBody(), en.token(en.b.test)), http.StatusNotFound, "credit_offer_not_found", "")
		wantProblem(t, "the test offer with a live token", post(f.loanBody(), en.token(en.a.live)), http.StatusNotFound, "credit_offer_not_found", "")

		// Echoes that differ from the simulation.
		for _, tc := range []struct{ name, body, param string }{
			{"count", body(f.offer.ID, sim.ID, 11, string(sim.InstallmentAmount), sim.FirstDueDate), "installment_count"},
			{"amount", body(f.offer.ID, sim.ID, 12, string(lending.Reais(cents(t, sim.InstallmentAmount)+1)), sim.FirstDueDate), "installment_amount"},
			{"first due date", body(f.offer.ID, sim.ID, 12, string(sim.InstallmentAmount), "2026-04-07"), "first_due_date"},
		} {
			wantProblem(t, "mismatched "+tc.name, post(tc.body), http.StatusUnprocessableEntity, "simulation_mismatch", tc.param)
		}

		// A simulation of another offer of the same customer.
		r := en.do("POST", "/api/v3/sandbox/customers/"+f.customer.ID+"/credit-offers",
			`{"approved_amount":30000,"min_amount":1000,"monthly_interest_rate":2.5,"installments":12}`, bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("second offer: %d %s", r.status, r.body)
		}
		o2 := decode[offerWire](t, r)
		sim2 := en.simulate(tok, o2.ID, `{"requested_amount":20000,"installment_count":12}`)
		wantProblem(t, "simulation of another offer", post(loanBodyOf(f.offer.ID, sim2)), http.StatusUnprocessableEntity, "simulation_mismatch", "simulation_id")
		wantProblem(t, "simulation of another offer (reversed)", post(loanBodyOf(o2.ID, f.sim)), http.StatusUnprocessableEntity, "simulation_mismatch", "simulation_id")

		// An expired offer.
		r = en.do("POST", "/api/v3/sandbox/credit-offers/"+o2.ID+"/expire", "", bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("expire: %d %s", r.status, r.body)
		}
		wantProblem(t, "expired offer", post(loanBodyOf(o2.ID, sim2)), http.StatusUnprocessableEntity, "offer_expired", "")

		// A customer with no bank account.
		c3 := en.activeCustomer(tok, smallMEICNPJ)
		o3 := en.offersOf(tok, c3.ID, 1)[0]
		sim3 := en.simulate(tok, o3.ID, `{"requested_amount":5000,"installment_count":12}`)
		wantProblem(t, "customer without a bank account", post(loanBodyOf(o3.ID, sim3)), http.StatusUnprocessableEntity, "bank_account_required", "")
		if got := en.getOffer(tok, o3.ID); got.Status != "available" {
			t.Errorf("offer after bank_account_required: %s", got.Status)
		}

		// None of that took the offer: the right request still makes the loan.
		if got := en.getOffer(tok, f.offer.ID); got.Status != "available" {
			t.Errorf("offer after the refusals: %s", got.Status)
		}
		l := en.createLoanOf(tok, f)
		if l.CreditOfferID != f.offer.ID || l.CustomerID != f.customer.ID || l.SimulationID != f.sim.ID || l.InstallmentCount != 12 ||
			l.FirstDueDate != f.sim.FirstDueDate || l.AnnualCETRate != f.sim.AnnualCETRate || l.MonthlyCETRate != f.sim.MonthlyCETRate ||
			l.AnnualInterestRate != f.sim.AnnualInterestRate || l.MonthlyInterestRate != f.sim.MonthlyInterestRate {
			t.Errorf("loan %+v, simulation %+v", l, f.sim)
		}
		r = en.do("GET", "/api/v3/loans/"+l.ID, "", bearer(en.token(en.b.test))...)
		wantProblem(t, "another partner's loan", r, http.StatusNotFound, "loan_not_found", "")
		r = en.do("GET", "/api/v3/loans/ln_ffffffffffffffffffffffffffffffff", "", bearer(tok)...)
		wantProblem(t, "unknown loan", r, http.StatusNotFound, "loan_not_found", "")
		if txs := en.transactions(tok, l.ID); len(txs) != 0 {
			t.Errorf("an unsigned loan has transactions %+v", txs)
		}
	})
}

// TestCreateLoanConcurrent: ten requests race for one offer, some with their own idempotency key and some
// with none; exactly one makes a loan and the others get 409 offer_already_accepted.
func TestCreateLoanConcurrent(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.created"]}`)
		f := en.newLoanFixture(tok, fixedOfferCNPJ, "56789", "20000", 12)
		const n = 10
		type result struct {
			status int
			body   []byte
			key    string
			err    error
		}
		results := make([]result, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				req, err := http.NewRequest("POST", en.url+"/api/v3/loans", strings.NewReader(f.loanBody()))
				if err != nil {
					results[i].err = err
					return
				}
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+tok)
				if i%2 == 0 {
					results[i].key = fmt.Sprintf("race-%d", i)
					req.Header.Set("Idempotency-Key", results[i].key)
				}
				<-start
				resp, err := en.client.Do(req)
				if err != nil {
					results[i].err = err
					return
				}
				defer resp.Body.Close()
				results[i].body, results[i].err = io.ReadAll(resp.Body)
				results[i].status = resp.StatusCode
			})
		}
		close(start)
		wg.Wait()
		var winner wire.Loan
		winnerKey, created := "", 0
		for i, r := range results {
			if r.err != nil {
				t.Fatalf("request %d: %v", i, r.err)
			}
			switch rr := (response{status: r.status, body: r.body}); r.status {
			case http.StatusCreated:
				created++
				winner = decode[wire.Loan](t, rr)
				winnerKey = r.key
			default:
				wantProblem(t, fmt.Sprintf("request %d", i), rr, http.StatusConflict, "offer_already_accepted", "")
			}
		}
		if created != 1 {
			t.Fatalf("%d loans created, want 1", created)
		}
		if got := en.getOffer(tok, f.offer.ID); got.Status != "accepted" {
			t.Errorf("offer after the race: %s", got.Status)
		}
		if winnerKey != "" {
			r := en.do("POST", "/api/v3/loans", f.loanBody(), append(bearer(tok), "Idempotency-Key", winnerKey)...)
			if r.status != http.StatusCreated || decode[wire.Loan](t, r).ID != winner.ID || r.header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("replay of the winner's key: %d %s %q", r.status, r.body, r.header.Get("Idempotent-Replayed"))
			}
		}
		// One loan.created for the offer, no more.
		en.waitHook(t, rc, winner.ID, "loan.created")
		time.Sleep(500 * time.Millisecond)
		count := 0
		for _, g := range rc.on("/hook") {
			var h struct {
				Type string `json:"type"`
				Data struct {
					CreditOfferID string `json:"credit_offer_id"`
				} `json:"data"`
			}
			_ = json.Unmarshal(g.body, &h)
			if h.Type == "loan.created" && h.Data.CreditOfferID == f.offer.ID {
				count++
			}
		}
		if count != 1 {
			t.Errorf("%d loan.created deliveries for the offer, want 1", count)
		}
	})
}

// signingSessionWire is what GET /sign/{token}/session answers.
type signingSessionWire struct {
	LoanID           string      `json:"loan_id"`
	CCBNumber        string      `json:"ccb_number"`
	DocumentSHA256   string      `json:"document_sha256"`
	RequestedAmount  json.Number `json:"requested_amount"`
	TotalAmount      json.Number `json:"total_amount"`
	InstallmentCount int         `json:"installment_count"`
	Status           string      `json:"status"`
	Signers          []struct {
		Name     string `json:"name"`
		CPF      string `json:"cpf_masked"`
		Signed   bool   `json:"signed"`
		SignedAt *int64 `json:"signed_at"`
	} `json:"signers"`
}

// TestHostedSigningJSON: the JSON routes behind the hosted signing page. The session shows the terms and
// masked CPFs; a signature needs the document's exact hash, acceptance and a signer's CPF, and records the
// caller's IP and User-Agent; after the last one the link is dead.
func TestHostedSigningJSON(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.*"]}`)
		f := en.newLoanFixture(tok, ltdaFixed, "56789", "20000", 12)
		l := en.createLoanOf(tok, f)
		st := en.signingToken(l)
		stored := en.storedLoan(l.ID)
		if len(stored.Signers) != 4 || stored.Signers[0].Role != lending.SubjectApplicant {
			t.Fatalf("signers %+v", stored.Signers)
		}

		r := en.do("GET", "/api/v3/loans/"+l.ID+"/ccb", "", bearer(tok)...)
		sum := sha256.Sum256(r.body)
		hash := hex.EncodeToString(sum[:])

		r = en.raw("GET", "/sign/"+st+"/session", "")
		if r.status != http.StatusOK || r.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("session: %d %v %s", r.status, r.header, r.body)
		}
		s := decode[signingSessionWire](t, r)
		if s.LoanID != l.ID || s.CCBNumber != *l.CCBNumber || s.DocumentSHA256 != hash || s.Status != "awaiting_signatures" ||
			s.RequestedAmount != "20000" || s.TotalAmount != f.sim.TotalAmount || s.InstallmentCount != 12 || len(s.Signers) != 4 {
			t.Errorf("session %s", r.body)
		}
		for i, sg := range s.Signers {
			full := stored.Signers[i].CPF
			if !maskedCPFRE.MatchString(sg.CPF) || sg.CPF[4:7] != string(full)[3:6] || sg.CPF[8:11] != string(full)[6:9] ||
				sg.Name != stored.Signers[i].Name || sg.Signed || sg.SignedAt != nil {
				t.Errorf("signer %d on the page: %+v (CPF %s)", i, sg, full)
			}
			if strings.Contains(string(r.body), string(full)) || strings.Contains(string(r.body), full.Format()) {
				t.Errorf("the session shows signer %d's whole CPF", i)
			}
		}
		r = en.raw("GET", "/sign/"+st+"/ccb.pdf", "")
		docSum := sha256.Sum256(r.body)
		if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/pdf" || hex.EncodeToString(docSum[:]) != hash ||
			r.header.Get("X-Content-SHA256") != hash || !strings.HasPrefix(r.header.Get("Content-Disposition"), "inline") {
			t.Errorf("document: %d %v", r.status, r.header)
		}

		sign := func(cpf, doc string, accept any, ua string) response {
			t.Helper()
			b, _ := json.Marshal(map[string]any{"cpf": cpf, "document_sha256": doc, "accept": accept})
			return en.raw("POST", "/sign/"+st+"/signatures", string(b), "User-Agent", ua)
		}
		signer1 := stored.Signers[1].CPF
		wantProblem(t, "wrong document", sign(string(signer1), strings.Repeat("0", 64), true, "ua"), http.StatusConflict, "invalid_loan_state", "")
		wantProblem(t, "not accepted", sign(string(signer1), hash, false, "ua"), http.StatusUnprocessableEntity, "invalid_field", "accept")
		wantProblem(t, "accept as a string", sign(string(signer1), hash, "true", "ua"), http.StatusUnprocessableEntity, "invalid_field", "accept")
		wantProblem(t, "malformed CPF", sign("123", hash, true, "ua"), http.StatusUnprocessableEntity, "invalid_cpf", "")
		wantProblem(t, "stranger", sign("111.444.777-35", hash, true, "ua"), http.StatusUnprocessableEntity, "signer_not_found", "")
		r = en.raw("POST", "/sign/"+st+"/signatures", `{}`)
		wantProblemParams(t, "empty body", r, http.StatusUnprocessableEntity, "missing_required_field", []string{"cpf", "document_sha256", "accept"})
		if got := en.storedLoan(l.ID); got.SignaturesReceived() != 0 {
			t.Fatalf("refused signatures were recorded: %+v", got.Signers)
		}

		const ua = "Mozilla/5.0 (LoanEdgeTest) Signer/1.0"
		r = sign(signer1.Format(), hash, true, ua)
		if r.status != http.StatusOK {
			t.Fatalf("sign: %d %s", r.status, r.body)
		}
		after := decode[signingSessionWire](t, r)
		if !after.Signers[1].Signed || after.Signers[1].SignedAt == nil || after.Signers[0].Signed || after.Status != "awaiting_signatures" {
			t.Errorf("after one signature: %s", r.body)
		}
		got := en.storedLoan(l.ID).Signers[1]
		if got.SignedAt == nil || got.IP != "127.0.0.1" || got.UserAgent != ua || got.DocumentSHA256 != hash || got.CPF != signer1 {
			t.Errorf("stored signature %+v", got)
		}
		hk := en.waitHook(t, rc, l.ID, "loan.signature_received")
		var sd struct {
			Signer struct {
				Name     string `json:"name"`
				CPF      string `json:"cpf"`
				SignedAt int64  `json:"signed_at"`
			} `json:"signer"`
			Received int `json:"signatures_received"`
			Required int `json:"signatures_required"`
		}
		if err := json.Unmarshal(hk.Data, &sd); err != nil || sd.Signer.CPF != signer1.Format() || sd.Received != 1 || sd.Required != 4 ||
			sd.Signer.SignedAt != got.SignedAt.Unix() || sd.Signer.Name != got.Name {
			t.Errorf("loan.signature_received data %s", hk.Data)
		}
		wantProblem(t, "the same signer again", sign(string(signer1), hash, true, ua), http.StatusUnprocessableEntity, "signer_not_found", "")

		// The others sign; the last signature ends the session.
		for i, sg := range stored.Signers {
			if i == 1 {
				continue
			}
			r := sign(string(sg.CPF), hash, true, fmt.Sprintf("agent-%d", i))
			if r.status != http.StatusOK {
				t.Fatalf("sign %d: %d %s", i, r.status, r.body)
			}
			if s := decode[signingSessionWire](t, r); (i == 3) != (s.Status == "processing") {
				t.Errorf("after signer %d: status %s", i, s.Status)
			}
		}
		final := en.storedLoan(l.ID)
		for i, sg := range final.Signers {
			if sg.SignedAt == nil || sg.IP != "127.0.0.1" || sg.DocumentSHA256 != hash || (i != 1 && sg.UserAgent != fmt.Sprintf("agent-%d", i)) {
				t.Errorf("signer %d: %+v", i, sg)
			}
		}
		if final.SigningToken != "" || final.Status == lending.LoanAwaitingSignatures {
			t.Errorf("after every signature: %s, token %q", final.Status, final.SigningToken)
		}
		r = en.raw("GET", "/sign/"+st+"/session", "")
		wantProblem(t, "session after the last signature", r, http.StatusNotFound, "signing_session_invalid", "")
		r = en.raw("GET", "/sign/"+st+"/ccb.pdf", "")
		wantProblem(t, "document after the last signature", r, http.StatusNotFound, "signing_session_invalid", "")
		wantProblem(t, "signature after the last one", sign(string(stored.Signers[0].CPF), hash, true, ua), http.StatusNotFound, "signing_session_invalid", "")
		for _, bad := range []string{"garbage", strings.Repeat("A", 40), strings.Repeat("a", 101), st[:len(st)-1], st + "x", strings.ToLower(st)} {
			if bad == st {
				continue
			}
			r := en.raw("GET", "/sign/"+bad+"/session", "")
			wantProblem(t, "session of token "+bad, r, http.StatusNotFound, "signing_session_invalid", "")
		}
		en.waitLoanStatus(tok, l.ID, "active")
		sigs := 0
		for _, h := range en.hooksFor(t, rc, l.ID) {
			if h.Type == "loan.signature_received" {
				sigs++
			}
		}
		if sigs != 4 {
			t.Errorf("%d loan.signature_received, want 4", sigs)
		}
	})
}

// TestHostedSigningEmptyDocumentHash: the hosted page's signature must name the document signed. An empty
// document_sha256 is not the CCB's hash, so it must be refused like any other wrong hash, and nothing may
// be recorded; least of all the CCB's real hash as if the signer had confirmed it.
func TestHostedSigningEmptyDocumentHash(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		f := en.newLoanFixture(tok, fixedOfferCNPJ, "56789", "20000", 12)
		l := en.createLoanOf(tok, f)
		st := en.signingToken(l)
		r := en.raw("POST", "/sign/"+st+"/signatures", `{"cpf":"`+applicantCPF+`","document_sha256":"","accept":true}`)
		if r.status != http.StatusConflict && r.status != http.StatusUnprocessableEntity {
			t.Errorf("signature with an empty document_sha256: %d %s, want 409 invalid_loan_state (or 422)", r.status, r.body)
		}
		if got := en.storedLoan(l.ID); got.SignaturesReceived() != 0 || got.Status != lending.LoanAwaitingSignatures {
			t.Errorf("a signature without a document hash was recorded: status %s, signers %+v", got.Status, got.Signers)
		}
	})
}

// TestLoanCancelledExpiresOffer: a loan cancelled after its offer's valid_until does not make the offer
// available again: the offer is expired, and like every offer that expires it sends credit_offer.expired
// (contract.md §7.3: expired at valid_until → credit_offer.expired). While the loan held it, the expiry
// sweep passed it over (it was accepted), so the cancellation is the moment it expires.
func TestLoanCancelledExpiresOffer(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.*","credit_offer.*"]}`)
		c := en.activeCustomer(tok, fixedOfferCNPJ)
		r := en.do("POST", "/api/v3/customers/"+c.ID+"/bank-account",
			`{"bank_account":{"bank_id":"001","kind":"checking","branch":"1234","number":"56789","digit":"0"}}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("bank account: %d %s", r.status, r.body)
		}
		r = en.do("POST", "/api/v3/sandbox/customers/"+c.ID+"/credit-offers",
			`{"approved_amount":30000,"min_amount":1000,"monthly_interest_rate":2.5,"installments":12,"valid_for_days":3}`, bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("offer: %d %s", r.status, r.body)
		}
		o := decode[offerWire](t, r)
		sim := en.simulate(tok, o.ID, `{"requested_amount":10000,"installment_count":12}`)
		r = en.do("POST", "/api/v3/loans", loanBodyOf(o.ID, sim), bearer(tok)...)
		if r.status != http.StatusCreated {
			t.Fatalf("loan: %d %s", r.status, r.body)
		}
		l := decode[wire.Loan](t, r)
		r = en.do("POST", "/api/v3/sandbox/clock/advance", `{"seconds":691200}`, bearer(tok)...)
		if r.status != http.StatusOK {
			t.Fatalf("advance: %d %s", r.status, r.body)
		}
		en.waitHook(t, rc, l.ID, "loan.cancelled")
		if got := en.getOffer(tok, o.ID); got.Status != "expired" {
			t.Errorf("offer of a loan cancelled after valid_until: %s, want expired", got.Status)
		}
		r = en.do("POST", "/api/v3/credit-offers/"+o.ID+"/simulations", `{"requested_amount":10000,"installment_count":12}`, bearer(tok)...)
		wantProblem(t, "simulate on the expired offer", r, http.StatusUnprocessableEntity, "offer_expired", "")
		deadline := time.Now().Add(3 * time.Second)
		for {
			found := false
			for _, h := range en.hooksFor(t, rc, o.ID) {
				found = found || h.Type == "credit_offer.expired"
			}
			if found {
				break
			}
			if time.Now().After(deadline) {
				t.Errorf("the offer expired when its loan was cancelled, but no credit_offer.expired was sent (events: %v)",
					hookTypes(en.hooksFor(t, rc, o.ID)))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// TestLoanArrearsDayByDay: the sweep accrues arrears as the days pass. Ten days late, an installment owes a
// 2% fine and 1% a month pro rata die of juros de mora on its principal and interest (domain.md §5.7, §5.10
// C7; the Transaction schema), whether the partner's clock moved ten days at once (TestLoanLifecycle) or
// one day at a time, as the real one does.
func TestLoanArrearsDayByDay(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		f := en.newLoanFixture(tok, fixedOfferCNPJ, "56789", "20000", 12)
		// An installment whose daily mora (1/30 of 1%) is not close to a whole centavo, so that rounding
		// each day and rounding the ten days differ if they are computed differently: the first
		// installment's amount is its principal and interest.
		for req := 20000; ; req++ {
			if c := int64(cents(t, f.sim.InstallmentAmount)) % 3000; c >= 300 && c <= 2700 {
				break
			}
			f.sim = en.simulate(tok, f.offer.ID, fmt.Sprintf(`{"requested_amount":%d,"installment_count":12}`, req+1))
		}
		l := en.createLoanOf(tok, f)
		en.signAllSandbox(tok, l.ID)
		active := en.waitLoanStatus(tok, l.ID, "active")
		txs := en.transactions(tok, l.ID)
		due, err := lending.ParseDate(txs[0].DueDate)
		if err != nil {
			t.Fatal(err)
		}
		for d := 1; d <= 10; d++ {
			at := due.AddDays(d).Time().Add(15 * time.Hour) // mid-day in Brasília
			r := en.do("POST", "/api/v3/sandbox/clock/advance", fmt.Sprintf(`{"to":%d}`, at.Unix()), bearer(tok)...)
			if r.status != http.StatusOK {
				t.Fatalf("advance: %d %s", r.status, r.body)
			}
			eventually(t, fmt.Sprintf("day %d of arrears", d), func() bool {
				txs = en.transactions(tok, l.ID)
				return txs[0].DaysOverdue == d
			})
		}
		base := cents(t, txs[0].Principal) + cents(t, txs[0].Interest)
		want, err := finmath.LateCharges(base, 10, finmath.MustPercent("2"), finmath.MustPercent("1"))
		if err != nil {
			t.Fatal(err)
		}
		if got := cents(t, txs[0].Fees); got != want.Total() {
			t.Errorf("10 days late, accrued day by day: fees %s; 2%% fine + 1%% a month pro rata on %s is %s + %s = %s",
				got, base, want.Fine, want.Mora, want.Total())
		}
		if txs[0].Status != "overdue" || txs[1].Status != "pending" || txs[1].Fees != "0" {
			t.Errorf("installments %+v", txs[:2])
		}
		checkLedger(t, "day by day", active, txs)
	})
}

// postConcurrently sends the same POST to every path at once with tok and returns the answers in order.
func (en *env) postConcurrently(tok string, paths, bodies []string) []response {
	out := make([]response, len(paths))
	errs := make([]error, len(paths))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range paths {
		wg.Go(func() {
			req, err := http.NewRequest("POST", en.url+paths[i], strings.NewReader(bodies[i]))
			if err != nil {
				errs[i] = err
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+tok)
			<-start
			resp, err := en.client.Do(req)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			out[i], errs[i] = response{status: resp.StatusCode, header: resp.Header, body: b}, err
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			en.t.Fatalf("request %d: %v", i, err)
		}
	}
	return out
}

// TestLoanConcurrentSignaturesAndPayments: the four signers sign at the same moment (one processing, one
// Pix transfer, four loan.signature_received), and two payments that together exceed the balance race: one
// is taken, the other refused, and the ledger holds exactly the money taken.
func TestLoanConcurrentSignaturesAndPayments(t *testing.T) {
	t.Parallel()
	forEachEngine(t, func(t *testing.T, e storetest.Engine) {
		en := newEnv(t, e, envOptions{work: true})
		tok := en.token(en.a.test)
		rc := newReceiver(t)
		en.createEndpoint(tok, `{"url":"`+rc.srv.URL+`/hook","events":["loan.*"]}`)
		f := en.newLoanFixture(tok, ltdaFixed, "56789", "20000", 12)
		l := en.createLoanOf(tok, f)
		signers := en.storedLoan(l.ID).Signers
		var paths, bodies []string
		for _, s := range signers {
			paths = append(paths, "/api/v3/sandbox/loans/"+l.ID+"/sign")
			bodies = append(bodies, `{"signer_cpf":"`+string(s.CPF)+`"}`)
		}
		for i, r := range en.postConcurrently(tok, paths, bodies) {
			if r.status != http.StatusOK {
				t.Errorf("signer %d: %d %s", i, r.status, r.body)
			}
		}
		active := en.waitLoanStatus(tok, l.ID, "active")
		eventually(t, "four signatures, one processing, one active", func() bool {
			n := map[string]int{}
			for _, h := range en.hooksFor(t, rc, l.ID) {
				n[h.Type]++
			}
			return n["loan.signature_received"] == 4 && n["loan.processing"] == 1 && n["loan.active"] == 1
		})
		if n, err := en.store.CountPixTransfers(context.Background(), l.ID); err != nil || n != 1 {
			t.Errorf("Pix transfers: %d %v", n, err)
		}
		var got []int
		for _, h := range en.hooksFor(t, rc, l.ID) {
			if h.Type == "loan.signature_received" {
				var d struct {
					Received int `json:"signatures_received"`
				}
				_ = json.Unmarshal(h.Data, &d)
				got = append(got, d.Received)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, []int{1, 2, 3, 4}) {
			t.Errorf("signatures_received counters %v, want 1 to 4", got)
		}

		txs := en.transactions(tok, l.ID)
		var owed finmath.Cents
		for _, x := range txs {
			owed += cents(t, x.AmountRemaining)
		}
		part := owed*6/10 + 1
		path := "/api/v3/sandbox/loans/" + l.ID + "/payments"
		body := `{"amount":` + string(lending.Reais(part)) + `}`
		rs := en.postConcurrently(tok, []string{path, path}, []string{body, body})
		ok := 0
		for i, r := range rs {
			switch r.status {
			case http.StatusOK:
				ok++
			default:
				wantProblem(t, fmt.Sprintf("racing payment %d", i), r, http.StatusUnprocessableEntity, "payment_exceeds_balance", "amount")
			}
		}
		if ok != 1 {
			t.Errorf("%d of two payments of %s each (owed %s) taken, want 1", ok, part, owed)
		}
		txs = en.transactions(tok, l.ID)
		var paid finmath.Cents
		for _, x := range txs {
			paid += cents(t, x.AmountPaid)
		}
		if paid != part*finmath.Cents(ok) {
			t.Errorf("installments show %s paid; payments taken: %d of %s", paid, ok, part)
		}
		checkLedger(t, "after racing payments", active, txs)
		en.waitHook(t, rc, l.ID, "loan.payment_received")
	})
}
