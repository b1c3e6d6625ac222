package lending_test

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

// Tests of the loan's domain (contract.md §5.20, §6.4, §6.5, §7.4, §7.5; domain.md §5.7, §5.9, §5.10 C1/C7).

var (
	loanIDRE = regexp.MustCompile(`^ln_[0-9a-f]{32}$`)
	txIDRE   = regexp.MustCompile(`^tx_[0-9a-f]{32}$`)
	payIDRE  = regexp.MustCompile(`^pay_[0-9a-f]{32}$`)
	// e2eRE is domain.md §5.9: E, the 8-digit ISPB, yyyyMMddHHmm, 11 alphanumerics.
	e2eRE = regexp.MustCompile(`^E[0-9]{8}[0-9]{12}[A-Za-z0-9]{11}$`)
)

// loanCCB is the CCB hash the tests give their loans (the service sets it after NewLoan).
const loanCCB = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

// loanTerms are the LoanTerms of every test loan: 7 days to sign.
var loanTerms = lending.LoanTerms{Number: "CCB-2026-000001", SignFor: 7 * 24 * time.Hour, SigningToken: "tok_abcdefghijklmnopqrstuvwxyz0123456789"}

// loanAccount is the account test loans are disbursed to.
func loanAccount() *lending.BankAccount {
	return &lending.BankAccount{ID: "ba_1", Scope: offerScope, CustomerID: "cust_offer", BankID: "001", BankName: "Banco do Brasil S.A.",
		Kind: lending.AccountChecking, Branch: "1234", Number: "56789", Digit: "0"}
}

// loanCustomer is an active LTDA customer with two co-owners (the second gave an e-mail), as the offer's
// customer.
func loanCustomer(t *testing.T) lending.Customer {
	t.Helper()
	c := enrichedCustomer(t, lending.LegalNatureLTDA, coOwnerA, coOwnerB)
	for _, r := range c.KYC {
		if r.Type == lending.ReqEmail && r.Subject.CPF == coOwnerB.CPF {
			c, _ = mustSubmit(t, c, lending.Evidence{RequirementID: r.ID, EvidenceType: "email", AttachmentType: "email", Value: "pedro@empresa.com.br"})
		}
	}
	c, err := c.ApproveAll(kycNow)
	if err != nil {
		t.Fatal(err)
	}
	c.ID, c.Scope = "cust_offer", offerScope
	return c
}

// loanSetup is an offer, a simulation on it and the matching input, at offerNow.
type loanSetup struct {
	offer lending.CreditOffer
	sim   lending.Simulation
	in    lending.NewLoanInput
}

func newLoanSetup(t testing.TB, terms lending.CreditTerms, requested finmath.Cents, count int) loanSetup {
	t.Helper()
	o := mustOffer(t, terms, offerNow)
	sim, err := lending.Simulate(o, requested, count, offerNow, finmath.DefaultIOFTable())
	if err != nil {
		t.Fatalf("Simulate: %v", err)
	}
	return loanSetup{offer: o, sim: sim, in: lending.NewLoanInput{CreditOfferID: o.ID, SimulationID: sim.ID,
		InstallmentCount: sim.InstallmentCount, InstallmentAmount: sim.InstallmentAmount, FirstDueDate: sim.FirstDueDate}}
}

// mustLoan takes the setup's loan for c at offerNow, with its CCB hash set as the service does.
func (s loanSetup) mustLoan(t *testing.T, c lending.Customer) lending.Loan {
	t.Helper()
	l, err := lending.NewLoan(s.in, s.offer, s.sim, c, loanAccount(), loanTerms, offerNow)
	if err != nil {
		t.Fatalf("NewLoan: %v", err)
	}
	l.CCBSHA256 = loanCCB
	return l
}

// signAll signs l by every signer, in order, an hour apart from offerNow, and returns the processing loan.
func signAll(t *testing.T, l lending.Loan) lending.Loan {
	t.Helper()
	for i, s := range l.Signers {
		var err error
		if l, _, err = l.Sign(lending.Signature{CPF: s.CPF, IP: "203.0.113.7", UserAgent: "test", DocumentSHA256: loanCCB},
			"E12345678202603041500abcdefghijk", offerNow.Add(time.Duration(i+1)*time.Hour)); err != nil {
			t.Fatalf("Sign %d: %v", i, err)
		}
	}
	if l.Status != lending.LoanProcessing {
		t.Fatalf("after every signature: %s", l.Status)
	}
	return l
}

func TestNewLoan(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	c := loanCustomer(t)
	// A Brasília wall clock with nanoseconds: stored in UTC, microseconds.
	now := offerNow.In(lending.Brasilia).Add(123456789 * time.Nanosecond)
	l, err := lending.NewLoan(s.in, s.offer, s.sim, c, loanAccount(), loanTerms, now)
	if err != nil {
		t.Fatal(err)
	}
	if !loanIDRE.MatchString(l.ID) {
		t.Errorf("ID %q", l.ID)
	}
	at := offerNow.Add(123456 * time.Microsecond).UTC()
	want := lending.Loan{ID: l.ID, Scope: offerScope, CustomerID: c.ID, CreditOfferID: s.offer.ID, SimulationID: s.sim.ID,
		Status: lending.LoanAwaitingSignatures, Requested: s.sim.Requested, Principal: s.sim.Principal, IOF: s.sim.IOF, Total: s.sim.Total,
		MonthlyRate: s.sim.MonthlyRate, AnnualRate: s.sim.AnnualRate, MonthlyCET: s.sim.MonthlyCET, AnnualCET: s.sim.AnnualCET,
		InstallmentCount: 12, InstallmentAmount: s.sim.InstallmentAmount, FirstDueDate: s.sim.FirstDueDate,
		CCBNumber: loanTerms.Number, SigningToken: loanTerms.SigningToken, SignBy: at.Add(7 * 24 * time.Hour), Account: *loanAccount(),
		Signers: lending.SignersOf(c), CreatedAt: at, UpdatedAt: at}
	if diff := cmp.Diff(want, l); diff != "" {
		t.Errorf("loan (-want +got):\n%s", diff)
	}
	if l.CreatedAt.Location() != time.UTC || l.SignBy.Location() != time.UTC {
		t.Errorf("times not in UTC: %v %v", l.CreatedAt, l.SignBy)
	}
	if l.DisbursementE2E != "" || l.DisbursementMethod != "" || l.DisbursedAt != nil || l.Failure != nil || l.SignaturesReceived() != 0 {
		t.Errorf("a new loan has disbursement or signature data: %+v", l)
	}
	if len(l.PendingSigners()) != 3 {
		t.Errorf("pending signers %v, want 3", l.PendingSigners())
	}
	other, err := lending.NewLoan(s.in, s.offer, s.sim, c, loanAccount(), loanTerms, now)
	if err != nil || other.ID == l.ID {
		t.Errorf("a second loan: %s %v (first %s)", other.ID, err, l.ID)
	}
}

func TestNewLoanMismatch(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	c := loanCustomer(t)
	for _, tc := range []struct {
		name   string
		change func(*lending.NewLoanInput)
		params []string
	}{
		{"installment_count", func(in *lending.NewLoanInput) { in.InstallmentCount = 11 }, []string{"installment_count"}},
		{"installment_count 0", func(in *lending.NewLoanInput) { in.InstallmentCount = 0 }, []string{"installment_count"}},
		{"installment_amount a centavo more", func(in *lending.NewLoanInput) { in.InstallmentAmount++ }, []string{"installment_amount"}},
		{"installment_amount a centavo less", func(in *lending.NewLoanInput) { in.InstallmentAmount-- }, []string{"installment_amount"}},
		{"first_due_date", func(in *lending.NewLoanInput) { in.FirstDueDate = "2026-04-07" }, []string{"first_due_date"}},
		{"first_due_date formatted otherwise", func(in *lending.NewLoanInput) { in.FirstDueDate = strings.ReplaceAll(in.FirstDueDate, "-", "/") },
			[]string{"first_due_date"}},
		{"all three", func(in *lending.NewLoanInput) {
			in.InstallmentCount, in.InstallmentAmount, in.FirstDueDate = 6, 1, "2030-01-01"
		}, []string{"first_due_date", "installment_amount", "installment_count"}},
	} {
		in := s.in
		tc.change(&in)
		_, err := lending.NewLoan(in, s.offer, s.sim, c, loanAccount(), loanTerms, offerNow)
		checkCode(t, tc.name, err, lending.CodeSimulationMismatch)
		if err == nil {
			continue
		}
		var want []paramCode
		for _, p := range tc.params {
			want = append(want, paramCode{p, lending.CodeSimulationMismatch})
		}
		if got := fieldsOf(t, tc.name, err); !cmp.Equal(got, want) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, want)
		}
	}

	// A simulation of another offer (of the same customer) is a mismatch on simulation_id, even when its
	// numbers are the same.
	other := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	in := other.in
	in.CreditOfferID = s.offer.ID
	_, err := lending.NewLoan(in, s.offer, other.sim, c, loanAccount(), loanTerms, offerNow)
	checkFieldError(t, "simulation of another offer", err, lending.CodeSimulationMismatch, "simulation_id")
}

func TestNewLoanRefusals(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	c := loanCustomer(t)

	_, err := lending.NewLoan(s.in, s.offer, s.sim, c, loanAccount(), loanTerms, s.offer.ValidUntil)
	checkCode(t, "at valid_until", err, lending.CodeOfferExpired)
	// Just before valid_until the offer is usable, but a simulation is only good on its own day.
	_, err = lending.NewLoan(s.in, s.offer, s.sim, c, loanAccount(), loanTerms, s.offer.ValidUntil.Add(-time.Microsecond))
	checkFieldError(t, "just before valid_until, with a simulation of another day", err, lending.CodeSimulationMismatch, "simulation_id")
	expired, err := s.offer.Expire(offerNow, true)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lending.NewLoan(s.in, expired, s.sim, c, loanAccount(), loanTerms, offerNow)
	checkCode(t, "expired offer", err, lending.CodeOfferExpired)
	accepted, err := s.offer.Accept(offerNow)
	if err != nil {
		t.Fatal(err)
	}
	_, err = lending.NewLoan(s.in, accepted, s.sim, c, loanAccount(), loanTerms, offerNow)
	checkCode(t, "accepted offer", err, lending.CodeOfferAlreadyAccepted)

	for _, st := range []lending.CustomerStatus{lending.CustomerCreating, lending.CustomerPendingKYC, lending.CustomerUnderReview, lending.CustomerDenied} {
		_, err := lending.NewLoan(s.in, s.offer, s.sim, withStatus(c, st), loanAccount(), loanTerms, offerNow)
		checkCode(t, "customer "+string(st), err, lending.CodeCustomerNotActive)
	}
	_, err = lending.NewLoan(s.in, s.offer, s.sim, c, nil, loanTerms, offerNow)
	checkCode(t, "no bank account", err, lending.CodeBankAccountRequired)

	// Every refusal is a domain error of its kind, with a detail.
	for code, kind := range map[lending.Code]lending.Kind{lending.CodeSimulationMismatch: lending.KindValidation, lending.CodeOfferExpired: lending.KindValidation,
		lending.CodeOfferAlreadyAccepted: lending.KindConflict, lending.CodeCustomerNotActive: lending.KindValidation,
		lending.CodeBankAccountRequired: lending.KindValidation, lending.CodeInvalidLoanState: lending.KindConflict,
		lending.CodeSignerNotFound: lending.KindValidation, lending.CodePaymentExceedsBalance: lending.KindValidation,
		lending.CodeSigningSessionInvalid: lending.KindNotFound, lending.CodeLoanNotFound: lending.KindNotFound} {
		if code.Kind() != kind {
			t.Errorf("%s is kind %d, want %d", code, code.Kind(), kind)
		}
	}
}

// TestNewLoanStaleSimulation: a simulation prices a loan disbursed on the day it was made, its first
// installment due 30 days later (DueDates). Nothing bounds how old the simulation may be when the loan is
// taken, so on an offer valid long enough (the sandbox route issues offers valid up to 365 days) a loan is
// taken whose first installment is already past due on the day it is created, and it will be late (fine
// and mora) from the day it is disbursed. NewLoan should refuse a simulation whose first due date is not
// after today.
func TestNewLoanStaleSimulation(t *testing.T) {
	t.Parallel()
	o, err := lending.NewCreditOffer(activeCustomer(), fixedTerms(12), 90*24*time.Hour, offerNow)
	if err != nil {
		t.Fatal(err)
	}
	sim, err := lending.Simulate(o, 20_000_00, 12, offerNow, finmath.DefaultIOFTable())
	if err != nil {
		t.Fatal(err)
	}
	in := lending.NewLoanInput{CreditOfferID: o.ID, SimulationID: sim.ID, InstallmentCount: 12, InstallmentAmount: sim.InstallmentAmount, FirstDueDate: sim.FirstDueDate}
	c := loanCustomer(t)
	// Fresh: fine.
	if _, err := lending.NewLoan(in, o, sim, c, loanAccount(), loanTerms, offerNow); err != nil {
		t.Fatalf("fresh simulation: %v", err)
	}
	// 45 days later (2026-04-18) the simulation's first due date, 2026-04-06, is 12 days past.
	later := offerNow.Add(45 * 24 * time.Hour)
	l, err := lending.NewLoan(in, o, sim, c, loanAccount(), loanTerms, later)
	if err == nil {
		t.Errorf("NewLoan on %s with a simulation of %s: loan %s created with first_due_date %s already past (want an error)",
			later.Format(time.DateOnly), sim.DisbursementDate, l.ID, l.FirstDueDate)
	}
}

func TestSignersOf(t *testing.T) {
	t.Parallel()
	c := loanCustomer(t)
	app := c.Applicant()
	want := []lending.Signer{
		{CPF: app.CPF, Name: "João da Silva", Role: lending.SubjectApplicant, Email: "financeiro@empresa.com.br"},
		{CPF: coOwnerA.CPF, Name: coOwnerA.Name, Role: lending.SubjectCoOwner},
		{CPF: coOwnerB.CPF, Name: coOwnerB.Name, Role: lending.SubjectCoOwner, Email: "pedro@empresa.com.br"},
	}
	if diff := cmp.Diff(want, lending.SignersOf(c)); diff != "" {
		t.Errorf("signers (-want +got):\n%s", diff)
	}

	// The applicant comes first whatever the order of the requirements; co-owners keep theirs.
	rev := c
	rev.KYC = slices.Clone(c.KYC)
	slices.Reverse(rev.KYC)
	wantRev := []lending.Signer{want[0], want[2], want[1]}
	if diff := cmp.Diff(wantRev, lending.SignersOf(rev)); diff != "" {
		t.Errorf("signers of reversed requirements (-want +got):\n%s", diff)
	}

	// A rejected e-mail is not used; nor is one still unsubmitted.
	rej := c
	rej.KYC = slices.Clone(c.KYC)
	for i, r := range rej.KYC {
		if r.Type == lending.ReqEmail && r.Submitted != nil {
			sub := *r.Submitted
			sub.ReviewStatus = lending.ReviewRejected
			rej.KYC[i].Submitted = &sub
		}
	}
	got := lending.SignersOf(rej)
	if len(got) != 3 || got[2].Email != "" {
		t.Errorf("signers with the e-mail rejected: %+v", got)
	}

	// A single-owner company: the applicant alone.
	mei := enrichedCustomer(t, lending.LegalNatureMEI, coOwnerA)
	if got := lending.SignersOf(mei); len(got) != 1 || got[0].Role != lending.SubjectApplicant || got[0].CPF != mei.CPF {
		t.Errorf("MEI signers %+v", got)
	}
	// Before enrichment there is nobody to sign.
	if got := lending.SignersOf(newCreatingCustomer(t)); len(got) != 0 {
		t.Errorf("creating customer's signers %+v", got)
	}
}

func TestLoanSign(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	l := s.mustLoan(t, loanCustomer(t))
	before := l
	signers := slices.Clone(l.Signers)
	at := offerNow.Add(90*time.Minute + 700*time.Millisecond).In(lending.Brasilia)
	sig := lending.Signature{CPF: signers[1].CPF, IP: "203.0.113.7", UserAgent: strings.Repeat("u", 600), DocumentSHA256: loanCCB}

	// Wrong document, wrong CPF: nothing changes.
	bad := sig
	bad.DocumentSHA256 = strings.Repeat("0", 64)
	got, _, err := l.Sign(bad, "E1", at)
	checkCode(t, "wrong document", err, lending.CodeInvalidLoanState)
	if !cmp.Equal(got, before) {
		t.Errorf("a refused signature changed the loan")
	}
	bad = sig
	bad.DocumentSHA256 = ""
	_, _, err = l.Sign(bad, "E1", at)
	checkCode(t, "no document", err, lending.CodeInvalidLoanState)
	bad = sig
	bad.CPF = "11144477735"
	_, _, err = l.Sign(bad, "E1", at)
	checkFieldError(t, "stranger", err, lending.CodeSignerNotFound, "signer_cpf")

	l1, signer, err := l.Sign(sig, "E_unused", at)
	if err != nil {
		t.Fatal(err)
	}
	wantAt := at.UTC().Truncate(time.Second)
	if signer.CPF != sig.CPF || signer.SignedAt == nil || !signer.SignedAt.Equal(wantAt) || signer.SignedAt.Location() != time.UTC ||
		signer.IP != "203.0.113.7" || len(signer.UserAgent) != 512 || signer.DocumentSHA256 != loanCCB || signer.Name != signers[1].Name {
		t.Errorf("signer %+v", signer)
	}
	if !cmp.Equal(l1.Signers[1], signer) || l1.Status != lending.LoanAwaitingSignatures || l1.SigningToken != loanTerms.SigningToken ||
		l1.DisbursementE2E != "" || l1.DisbursementMethod != "" || !l1.UpdatedAt.Equal(wantAt) || l1.SignaturesReceived() != 1 {
		t.Errorf("after one signature: %+v", l1)
	}
	if !cmp.Equal(l.Signers, signers) || !cmp.Equal(l, before) {
		t.Errorf("Sign changed its receiver's signers: %+v", l.Signers)
	}
	if got := l1.PendingSigners(); !slices.Equal(got, []lending.CPF{signers[0].CPF, signers[2].CPF}) {
		t.Errorf("pending %v", got)
	}

	// The same signer again.
	_, _, err = l1.Sign(sig, "E1", at.Add(time.Minute))
	checkFieldError(t, "already signed", err, lending.CodeSignerNotFound, "signer_cpf")

	l2, _, err := l1.Sign(lending.Signature{CPF: signers[0].CPF, DocumentSHA256: loanCCB}, "E_unused", at.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	const e2e = "E1234567820260304170012345678901"
	l3, last, err := l2.Sign(lending.Signature{CPF: signers[2].CPF, DocumentSHA256: loanCCB}, e2e, at.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if l3.Status != lending.LoanProcessing || l3.SigningToken != "" || l3.DisbursementE2E != e2e || l3.DisbursementMethod != "pix" ||
		l3.SignaturesReceived() != 3 || len(l3.PendingSigners()) != 0 || last.CPF != signers[2].CPF {
		t.Errorf("after the last signature: %+v", l3)
	}
	if l2.Status != lending.LoanAwaitingSignatures || l2.DisbursementE2E != "" {
		t.Errorf("after the second of three: %+v", l2)
	}
	// No more signatures once processing, whoever signs.
	for _, cpf := range []lending.CPF{signers[0].CPF, "11144477735"} {
		_, _, err := l3.Sign(lending.Signature{CPF: cpf, DocumentSHA256: loanCCB}, e2e, at.Add(3*time.Hour))
		checkCode(t, "sign a processing loan", err, lending.CodeInvalidLoanState)
	}
	for _, st := range []lending.LoanStatus{lending.LoanActive, lending.LoanFinished, lending.LoanCancelled, lending.LoanError} {
		x := l
		x.Status = st
		_, _, err := x.Sign(sig, e2e, at)
		checkCode(t, "sign a loan "+string(st), err, lending.CodeInvalidLoanState)
	}
}

func TestLoanCancel(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	l := s.mustLoan(t, loanCustomer(t))
	for _, tc := range []struct {
		name  string
		at    time.Time
		force bool
		ok    bool
	}{
		{"right after creation", offerNow, false, false},
		{"a second before sign_by", l.SignBy.Add(-time.Second), false, false},
		{"at sign_by", l.SignBy, false, true},
		{"a day after sign_by", l.SignBy.Add(24 * time.Hour), false, true},
		{"forced at once", offerNow.Add(time.Minute), true, true},
		{"forced after sign_by", l.SignBy.Add(time.Hour), true, true},
	} {
		got, err := l.Cancel(tc.at, tc.force)
		if !tc.ok {
			checkCode(t, tc.name, err, lending.CodeInvalidLoanState)
			if !cmp.Equal(got, l) {
				t.Errorf("%s: a refused cancellation changed the loan", tc.name)
			}
			continue
		}
		if err != nil || got.Status != lending.LoanCancelled || got.SigningToken != "" || !got.UpdatedAt.Equal(tc.at) || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("%s: %s token %q updated %v, %v", tc.name, got.Status, got.SigningToken, got.UpdatedAt, err)
		}
	}
	// Partly signed is still cancellable; a loan past awaiting_signatures is not, forced or not.
	partly, _, err := l.Sign(lending.Signature{CPF: l.Signers[0].CPF, DocumentSHA256: loanCCB}, "", offerNow)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := partly.Cancel(partly.SignBy, false); err != nil || got.Status != lending.LoanCancelled {
		t.Errorf("cancel a partly signed loan: %s %v", got.Status, err)
	}
	processing := signAll(t, l)
	cancelled, _ := l.Cancel(l.SignBy, false)
	for _, x := range []lending.Loan{processing, cancelled, withLoanStatus(l, lending.LoanActive), withLoanStatus(l, lending.LoanFinished), withLoanStatus(l, lending.LoanError)} {
		for _, force := range []bool{false, true} {
			_, err := x.Cancel(l.SignBy.Add(time.Hour), force)
			checkCode(t, fmt.Sprintf("cancel a loan %s (force %v)", x.Status, force), err, lending.CodeInvalidLoanState)
		}
	}
}

func withLoanStatus(l lending.Loan, st lending.LoanStatus) lending.Loan {
	l.Status = st
	return l
}

func TestLoanDisbursed(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	l := s.mustLoan(t, loanCustomer(t))
	_, _, err := l.Disbursed(s.sim, offerNow)
	checkCode(t, "disburse an unsigned loan", err, lending.CodeInvalidLoanState)
	p := signAll(t, l)

	other := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	if _, _, err := p.Disbursed(other.sim, offerNow); err == nil {
		t.Errorf("Disbursed with another simulation: no error")
	}

	at := offerNow.Add(5 * time.Hour).Add(999 * time.Nanosecond)
	active, ins, err := p.Disbursed(s.sim, at)
	if err != nil {
		t.Fatal(err)
	}
	wantAt := at.UTC().Truncate(time.Microsecond)
	if active.Status != lending.LoanActive || active.DisbursedAt == nil || !active.DisbursedAt.Equal(wantAt) || !active.UpdatedAt.Equal(wantAt) ||
		active.DisbursementE2E != p.DisbursementE2E {
		t.Errorf("active loan %+v", active)
	}
	if len(ins) != len(s.sim.Schedule) {
		t.Fatalf("%d installments for a schedule of %d", len(ins), len(s.sim.Schedule))
	}
	var principal finmath.Cents
	seen := map[string]bool{}
	for k, row := range s.sim.Schedule {
		in := ins[k]
		want := lending.Installment{ID: in.ID, Scope: offerScope, LoanID: l.ID, Number: k + 1, DueDate: row.DueDate,
			Principal: row.Principal, Interest: row.Interest, Status: lending.InstallmentPending, CreatedAt: wantAt, UpdatedAt: wantAt}
		if diff := cmp.Diff(want, in); diff != "" {
			t.Errorf("installment %d (-want +got):\n%s", k+1, diff)
		}
		if !txIDRE.MatchString(in.ID) || seen[in.ID] {
			t.Errorf("installment id %q", in.ID)
		}
		seen[in.ID] = true
		if in.AmountDue() != row.Amount || in.AmountRemaining() != row.Amount || in.AmountPaid() != 0 || in.Fees() != 0 {
			t.Errorf("installment %d: due %s remaining %s, schedule %s", k+1, in.AmountDue(), in.AmountRemaining(), row.Amount)
		}
		principal += in.Principal
	}
	if principal != active.Principal || ins[0].DueDate != active.FirstDueDate || ins[0].AmountDue() != active.InstallmentAmount {
		t.Errorf("principals sum to %s (loan %s); first %s %s (loan %s %s)", principal, active.Principal,
			ins[0].DueDate, ins[0].AmountDue(), active.FirstDueDate, active.InstallmentAmount)
	}
	if _, _, err := active.Disbursed(s.sim, at); lending.ErrorCode(err) != lending.CodeInvalidLoanState {
		t.Errorf("a second settlement: %v", err)
	}
}

func TestLoanDisbursementFailedAndFinish(t *testing.T) {
	t.Parallel()
	s := newLoanSetup(t, fixedTerms(12), 20_000_00, 12)
	l := s.mustLoan(t, loanCustomer(t))
	_, err := l.DisbursementFailed("x", offerNow)
	checkCode(t, "fail an unsigned loan", err, lending.CodeInvalidLoanState)
	p := signAll(t, l)
	at := offerNow.Add(6 * time.Hour)
	failed, err := p.DisbursementFailed("Conta encerrada.", at)
	if err != nil {
		t.Fatal(err)
	}
	if failed.Status != lending.LoanError || !cmp.Equal(failed.Failure, &lending.LoanFailure{Code: "disbursement_failed", Message: "Conta encerrada."}) ||
		!failed.UpdatedAt.Equal(at) || failed.DisbursedAt != nil {
		t.Errorf("failed loan %+v", failed)
	}
	if p.Failure != nil {
		t.Errorf("DisbursementFailed changed its receiver")
	}
	for _, x := range []lending.Loan{failed, withLoanStatus(p, lending.LoanActive)} {
		_, err := x.DisbursementFailed("again", at)
		checkCode(t, "fail a loan "+string(x.Status), err, lending.CodeInvalidLoanState)
	}

	active, _, err := p.Disbursed(s.sim, at)
	if err != nil {
		t.Fatal(err)
	}
	fin, err := active.Finish(at.Add(time.Hour))
	if err != nil || fin.Status != lending.LoanFinished || !fin.UpdatedAt.Equal(at.Add(time.Hour)) {
		t.Errorf("Finish: %+v %v", fin, err)
	}
	for _, x := range []lending.Loan{l, p, failed, fin} {
		_, err := x.Finish(at)
		checkCode(t, "finish a loan "+string(x.Status), err, lending.CodeInvalidLoanState)
	}
}

// c1Installments are the first n rows of domain.md §5.10 C1 (R$ 10,000 at 2% in 12: 945.60 a month), due
// monthly from 2026-04-06.
func c1Installments(n int) []lending.Installment {
	rows := []struct{ interest, principal finmath.Cents }{
		{200_00, 745_60}, {185_09, 760_51}, {169_88, 775_72}, {154_36, 791_24}, {138_54, 807_06}, {122_40, 823_20},
	}
	dues := []string{"2026-04-06", "2026-05-06", "2026-06-08", "2026-07-06", "2026-08-06", "2026-09-08"}
	out := make([]lending.Installment, n)
	for k := range n {
		out[k] = lending.Installment{ID: fmt.Sprintf("tx_%d", k+1), Scope: offerScope, LoanID: "ln_c1", Number: k + 1, DueDate: dues[k],
			Principal: rows[k].principal, Interest: rows[k].interest, Status: lending.InstallmentPending, CreatedAt: offerNow, UpdatedAt: offerNow}
	}
	return out
}

// accrueAt is the instant the tests' accruals happen at (after the installments' updated_at).
var accrueAt = offerNow.Add(48 * time.Hour)

func mustAccrue(t *testing.T, in lending.Installment, today finmath.Date) (lending.Installment, bool) {
	t.Helper()
	got, changed, err := in.Accrue(today, lending.DefaultLateTerms(), accrueAt)
	if err != nil {
		t.Fatalf("Accrue(%s): %v", today, err)
	}
	return got, changed
}

// c1Loan is an active loan over c1Installments.
var c1Loan = lending.Loan{ID: "ln_c1", Scope: offerScope, Status: lending.LoanActive}

func mustPay(t *testing.T, ins []lending.Installment, amount finmath.Cents, at time.Time) ([]lending.Installment, lending.Payment, bool) {
	t.Helper()
	out, p, done, err := c1Loan.ApplyPayment(ins, amount, at)
	if err != nil {
		t.Fatalf("ApplyPayment(%s): %v", amount, err)
	}
	return out, p, done
}

func TestAccrue(t *testing.T) {
	t.Parallel()
	fresh := c1Installments(1)[0] // 945.60 due 2026-04-06
	due := date(2026, 4, 6)
	type want struct {
		changed     bool
		fine, mora  finmath.Cents
		days        int
		status      lending.InstallmentStatus
		moraThrough string
	}
	for _, tc := range []struct {
		name  string
		today finmath.Date
		want  want
	}{
		{"a month before", date(2026, 3, 6), want{false, 0, 0, 0, lending.InstallmentPending, ""}},
		{"the day before", due.AddDays(-1), want{false, 0, 0, 0, lending.InstallmentPending, ""}},
		{"on the due date", due, want{false, 0, 0, 0, lending.InstallmentPending, ""}},
		// 2% of 945.60 = 18.912; 945.60 × 1%/30 = 0.3152.
		{"1 day late", due.AddDays(1), want{true, 18_91, 32, 1, lending.InstallmentOverdue, "2026-04-07"}},
		// domain.md §5.10 C7: 18.91 + 3.15 (945.60 × 1% × 10/30 = 3.152).
		{"10 days late (C7)", due.AddDays(10), want{true, 18_91, 3_15, 10, lending.InstallmentOverdue, "2026-04-16"}},
		// 30 days: exactly 1% = 9.456.
		{"30 days late", due.AddDays(30), want{true, 18_91, 9_46, 30, lending.InstallmentOverdue, "2026-05-06"}},
	} {
		got, changed := mustAccrue(t, fresh, tc.today)
		g := want{changed, got.Fine, got.Mora, got.DaysOverdue, got.Status, got.MoraThrough}
		if g != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, g, tc.want)
		}
		if got.Fees() != tc.want.fine+tc.want.mora || got.AmountDue() != 945_60+got.Fees() || got.AmountRemaining() != got.AmountDue() {
			t.Errorf("%s: fees %s due %s remaining %s", tc.name, got.Fees(), got.AmountDue(), got.AmountRemaining())
		}
		if changed != !got.UpdatedAt.Equal(fresh.UpdatedAt) {
			t.Errorf("%s: changed %v but updated_at %v → %v", tc.name, changed, fresh.UpdatedAt, got.UpdatedAt)
		}
		if !changed && !cmp.Equal(got, fresh) {
			t.Errorf("%s: unchanged but different: %+v", tc.name, got)
		}
	}

	// Accruing again on the same day changes nothing; the next day adds one day of mora and no new fine.
	ten, _ := mustAccrue(t, fresh, due.AddDays(10))
	again, changed := mustAccrue(t, ten, due.AddDays(10))
	if changed || !cmp.Equal(again, ten) {
		t.Errorf("accrued twice on one day: changed %v, %+v", changed, again)
	}
	eleven, changed := mustAccrue(t, ten, due.AddDays(11))
	if !changed || eleven.Fine != 18_91 || eleven.Mora != 3_15+32 || eleven.DaysOverdue != 11 || eleven.MoraThrough != "2026-04-17" {
		t.Errorf("the day after: %+v", eleven)
	}

	// A paid installment is never touched, however late.
	paid := fresh
	paid.PrincipalPaid, paid.InterestPaid, paid.Status = paid.Principal, paid.Interest, lending.InstallmentPaid
	at := offerNow
	paid.PaidAt = &at
	if got, changed := mustAccrue(t, paid, due.AddDays(100)); changed || !cmp.Equal(got, paid) {
		t.Errorf("a paid installment accrued: %+v", got)
	}

	// A bad due date is an error, not a panic.
	broken := fresh
	broken.DueDate = "06/04/2026"
	if _, _, err := broken.Accrue(due.AddDays(3), lending.DefaultLateTerms(), offerNow); err == nil {
		t.Errorf("Accrue with due date %q: no error", broken.DueDate)
	}
}

// TestAccruePartialPayment: a partial payment lowers the base later charges accrue on, and an installment
// with something paid is partially_paid, late or not, never overdue.
func TestAccruePartialPayment(t *testing.T) {
	t.Parallel()
	due := date(2026, 4, 6)
	ins := c1Installments(1)

	// Five days late: fine 18.91 and mora 945.60 × 5/3000 = 1.576 → 1.58.
	ins[0], _ = mustAccrue(t, ins[0], due.AddDays(5))
	if ins[0].Fine != 18_91 || ins[0].Mora != 1_58 || ins[0].Status != lending.InstallmentOverdue {
		t.Fatalf("5 days late: %+v", ins[0])
	}
	// 500.00 pays the charges (20.49), the interest (200.00) and 279.51 of the principal.
	ins, _, _ = mustPay(t, ins, 500_00, offerNow)
	if ins[0].ChargesPaid != 20_49 || ins[0].InterestPaid != 200_00 || ins[0].PrincipalPaid != 279_51 || ins[0].Status != lending.InstallmentPartiallyPaid {
		t.Fatalf("after 500.00: %+v", ins[0])
	}
	// Five days more on 466.09: 466.09 × 5/3000 = 0.7768 → 0.78; the fine is not charged again.
	got, changed := mustAccrue(t, ins[0], due.AddDays(10))
	if !changed || got.Fine != 18_91 || got.Mora != 1_58+78 || got.DaysOverdue != 10 || got.Status != lending.InstallmentPartiallyPaid {
		t.Errorf("10 days late after a partial payment: %+v (want mora 2.36, partially_paid)", got)
	}
	if got.AmountRemaining() != 945_60+18_91+2_36-500_00 {
		t.Errorf("remaining %s", got.AmountRemaining())
	}

	// Paid in part before the due date: partially_paid stays, and the fine is on what is unpaid.
	early := c1Installments(1)
	early, _, _ = mustPay(t, early, 300_00, offerNow)
	if early[0].Status != lending.InstallmentPartiallyPaid || early[0].InterestPaid != 200_00 || early[0].PrincipalPaid != 100_00 {
		t.Fatalf("paid early: %+v", early[0])
	}
	late, _ := mustAccrue(t, early[0], due.AddDays(1))
	// base 645.60: fine 12.912 → 12.91; mora 0.2152 → 0.22.
	if late.Status != lending.InstallmentPartiallyPaid || late.Fine != 12_91 || late.Mora != 22 || late.DaysOverdue != 1 {
		t.Errorf("paid in part early, then a day late: %+v", late)
	}
}

// TestAccrueDailyMatchesSinglePeriod: the sweep runs every 30 seconds, so a late installment is accrued day
// by day. Juros de mora are 1% a month simple pro rata die (domain.md §5.7, §5.10 C7), so ten daily
// accruals must charge what one ten-day accrual does (3.15 on 945.60), not ten roundings of 0.3152 (3.20,
// above the agreed 1% a month).
func TestAccrueDailyMatchesSinglePeriod(t *testing.T) {
	t.Parallel()
	due := date(2026, 4, 6)
	in := c1Installments(1)[0]
	for d := 1; d <= 10; d++ {
		in, _ = mustAccrue(t, in, due.AddDays(d))
	}
	once, _ := mustAccrue(t, c1Installments(1)[0], due.AddDays(10))
	if in.Mora != once.Mora || in.Fine != once.Fine {
		t.Errorf("accrued daily for 10 days: fine %s mora %s; accrued once for 10 days: fine %s mora %s (domain.md C7: 18.91 + 3.15)",
			in.Fine, in.Mora, once.Fine, once.Mora)
	}
	// Over 30 days daily accrual charges 9.60 where 1% a month of 945.60 is 9.46.
	in = c1Installments(1)[0]
	for d := 1; d <= 30; d++ {
		in, _ = mustAccrue(t, in, due.AddDays(d))
	}
	if in.Mora > 9_46 {
		t.Errorf("accrued daily for 30 days: mora %s, above 1%% a month of 945.60 (9.46)", in.Mora)
	}
}

func TestApplyPayment(t *testing.T) {
	t.Parallel()
	at := offerNow.Add(3*time.Hour + 400*time.Millisecond)
	atSec := at.UTC().Truncate(time.Second)
	due := date(2026, 4, 6)

	// Late charges first, then interest, then principal, within the oldest installment.
	ins := c1Installments(3)
	ins[0], _ = mustAccrue(t, ins[0], due.AddDays(10)) // fees 18.91 + 3.15 = 22.06
	input := slices.Clone(ins)
	steps := []struct {
		amount                      finmath.Cents
		charges, interest, principl finmath.Cents
		status                      lending.InstallmentStatus
	}{
		{10_00, 10_00, 0, 0, lending.InstallmentPartiallyPaid},
		{12_06, 22_06, 0, 0, lending.InstallmentPartiallyPaid},
		{199_99, 22_06, 199_99, 0, lending.InstallmentPartiallyPaid},
		{1, 22_06, 200_00, 0, lending.InstallmentPartiallyPaid},
		{745_59, 22_06, 200_00, 745_59, lending.InstallmentPartiallyPaid},
		{1, 22_06, 200_00, 745_60, lending.InstallmentPaid},
	}
	for i, st := range steps {
		out, p, done := mustPay(t, ins, st.amount, at)
		f := out[0]
		if f.ChargesPaid != st.charges || f.InterestPaid != st.interest || f.PrincipalPaid != st.principl || f.Status != st.status || done {
			t.Errorf("step %d (%s): charges %s interest %s principal %s %s done %v", i, st.amount, f.ChargesPaid, f.InterestPaid, f.PrincipalPaid, f.Status, done)
		}
		if p.Amount != st.amount || p.InstallmentNumber != 1 || !p.PaidAt.Equal(atSec) || p.LoanID != "ln_c1" || p.Scope != offerScope || !payIDRE.MatchString(p.ID) {
			t.Errorf("step %d: payment %+v", i, p)
		}
		for k := 1; k < 3; k++ {
			if !cmp.Equal(out[k], ins[k]) {
				t.Errorf("step %d: installment %d touched: %+v", i, k+1, out[k])
			}
		}
		ins = out
	}
	if ins[0].PaidAt == nil || !ins[0].PaidAt.Equal(atSec) || !ins[0].UpdatedAt.Equal(atSec) {
		t.Errorf("paid installment: paid_at %v updated_at %v", ins[0].PaidAt, ins[0].UpdatedAt)
	}
	if input[0].AmountPaid() != 0 || input[0].Status != lending.InstallmentOverdue {
		t.Errorf("ApplyPayment changed its input: %+v", input[0])
	}

	// The next payment starts at installment 2 and spills over into 3, taking its interest first.
	out, p, done := mustPay(t, ins, 945_60+185_09+100_00, at)
	if p.InstallmentNumber != 2 || done || out[1].Status != lending.InstallmentPaid || out[1].AmountRemaining() != 0 ||
		out[2].InterestPaid != 169_88 || out[2].PrincipalPaid != 945_60+185_09+100_00-945_60-169_88 || out[2].Status != lending.InstallmentPartiallyPaid {
		t.Errorf("spill-over: payment %+v, installments %+v", p, out[1:])
	}
	// Exactly the balance finishes the loan; a centavo more is refused, and so is nothing.
	var owed finmath.Cents
	for _, in := range out {
		owed += in.AmountRemaining()
	}
	_, _, _, err := c1Loan.ApplyPayment(out, owed+1, at)
	checkFieldError(t, "a centavo over the balance", err, lending.CodePaymentExceedsBalance, "amount")
	for _, bad := range []finmath.Cents{0, -1, -100_00} {
		_, _, _, err := c1Loan.ApplyPayment(out, bad, at)
		checkFieldError(t, fmt.Sprintf("amount %s", bad), err, lending.CodeInvalidField, "amount")
	}
	final, p, done := mustPay(t, out, owed, at)
	if !done || p.InstallmentNumber != 3 {
		t.Errorf("paying the balance: done %v, payment %+v", done, p)
	}
	for _, in := range final {
		if in.Status != lending.InstallmentPaid || in.AmountRemaining() != 0 || in.PaidAt == nil {
			t.Errorf("after the balance: %+v", in)
		}
	}
	_, _, _, err = c1Loan.ApplyPayment(final, 1, at)
	checkFieldError(t, "pay a fully paid loan", err, lending.CodePaymentExceedsBalance, "amount")

	// Out of order input is still paid oldest first; all of it comes back, in order.
	rev := c1Installments(3)
	slices.Reverse(rev)
	out, p, _ = mustPay(t, rev, 945_60+1, at)
	if len(out) != 3 || out[0].Number != 1 || out[0].Status != lending.InstallmentPaid || out[1].InterestPaid != 1 || p.InstallmentNumber != 1 {
		t.Errorf("reversed input: %+v", out)
	}

	// Only an active loan takes payments.
	for _, st := range []lending.LoanStatus{lending.LoanAwaitingSignatures, lending.LoanProcessing, lending.LoanFinished, lending.LoanCancelled, lending.LoanError} {
		_, _, _, err := withLoanStatus(c1Loan, st).ApplyPayment(c1Installments(3), 100_00, at)
		checkCode(t, "pay a loan "+string(st), err, lending.CodeInvalidLoanState)
	}
}

func TestNewE2EID(t *testing.T) {
	t.Parallel()
	// 23:59 in Brasília is 02:59 the next day in UTC.
	now := time.Date(2026, 3, 4, 23, 59, 59, 0, lending.Brasilia)
	seen := map[string]bool{}
	for range 1000 {
		id := lending.NewE2EID("12345678", now)
		if len(id) != 32 || !e2eRE.MatchString(id) || !strings.HasPrefix(id, "E12345678202603050259") {
			t.Fatalf("NewE2EID = %q", id)
		}
		if seen[id] {
			t.Fatalf("duplicate %q", id)
		}
		seen[id] = true
	}
	// domain.md §5.9's example has the same shape.
	if !e2eRE.MatchString("E3240250220210615135810450327042") {
		t.Errorf("the example does not match the pattern")
	}
}

// --- Property test: random schedules, random payments and accruals. ---

// installmentModel is the oracle's view of one installment's late charges.
// installmentModel recomputes the late charges independently: a 2% fine once; juros de mora of 1% a
// month pro rata die per period of constant unpaid balance (a payment closes the open period at the last
// accrual), each period computed whole and rounded half-up.
type installmentModel struct {
	fine, mora, settled finmath.Cents
	fineCharged         bool
	since, moraThrough  finmath.Date
	base                finmath.Cents
}

// checkLoanLedger checks every invariant of ins after a step, at today (every unpaid installment accrued
// to today).
func checkLoanLedger(t *testing.T, what string, l lending.Loan, ins []lending.Installment, model []installmentModel, paidIn finmath.Cents, today finmath.Date) {
	t.Helper()
	var principal, paid finmath.Cents
	for k, in := range ins {
		w := fmt.Sprintf("%s: installment %d (%+v)", what, in.Number, in)
		if in.Number != k+1 {
			t.Fatalf("%s: out of order", w)
		}
		if in.AmountPaid()+in.AmountRemaining() != in.AmountDue() || in.AmountDue() != in.Principal+in.Interest+in.Fine+in.Mora {
			t.Fatalf("%s: due/paid/remaining do not add up", w)
		}
		if in.PrincipalPaid < 0 || in.PrincipalPaid > in.Principal || in.InterestPaid < 0 || in.InterestPaid > in.Interest ||
			in.ChargesPaid < 0 || in.ChargesPaid > in.Fees() {
			t.Fatalf("%s: a part is overpaid", w)
		}
		// Allocation order within an installment: nothing goes to principal before the interest is paid
		// (late charges may accrue after a payment, so they are checked by TestApplyPayment instead).
		if in.PrincipalPaid > 0 && in.InterestPaid < in.Interest {
			t.Fatalf("%s: allocation order broken", w)
		}
		if in.Fine != model[k].fine || in.Mora != model[k].mora {
			t.Fatalf("%s: fine %s mora %s, the model says %s and %s", w, in.Fine, in.Mora, model[k].fine, model[k].mora)
		}
		due, err := lending.ParseDate(in.DueDate)
		if err != nil {
			t.Fatal(err)
		}
		late := max(0, today.DaysSince(due))
		switch {
		case in.AmountRemaining() == 0:
			if in.Status != lending.InstallmentPaid || in.PaidAt == nil {
				t.Fatalf("%s: nothing remains but not paid", w)
			}
		case in.AmountPaid() > 0:
			if in.Status != lending.InstallmentPartiallyPaid || in.PaidAt != nil || in.DaysOverdue != late {
				t.Fatalf("%s: partly paid, want partially_paid with days_overdue %d", w, late)
			}
		case late > 0:
			if in.Status != lending.InstallmentOverdue || in.PaidAt != nil || in.DaysOverdue != late {
				t.Fatalf("%s: unpaid %d days late, want overdue", w, late)
			}
		default:
			if in.Status != lending.InstallmentPending || in.PaidAt != nil || in.DaysOverdue != 0 || in.Fees() != 0 {
				t.Fatalf("%s: unpaid and not late, want pending without charges", w)
			}
		}
		principal += in.Principal
		paid += in.AmountPaid()
	}
	if principal != l.Principal {
		t.Fatalf("%s: principals sum to %s, loan principal %s", what, principal, l.Principal)
	}
	if paid != paidIn {
		t.Fatalf("%s: installments show %s paid, payments brought %s", what, paid, paidIn)
	}
}

// accrueModel is the oracle of Accrue: a 2% fine once on what is unpaid the first time the installment is
// found late, and 1%/30 a day of mora on what is unpaid over each period since the last accrual, rounded
// half-up per period.
func accrueModel(m *installmentModel, in lending.Installment, today finmath.Date) {
	if in.Status == lending.InstallmentPaid {
		return
	}
	due, _ := lending.ParseDate(in.DueDate)
	if today.DaysSince(due) <= 0 {
		return
	}
	base := in.Principal - in.PrincipalPaid + in.Interest - in.InterestPaid
	if !m.fineCharged {
		m.fine = finmath.Cents((int64(base)*2 + 50) / 100)
		m.fineCharged = true
		m.since, m.moraThrough, m.base = due, due, base
	}
	if base != m.base { // a payment changed the balance: close the open period where it was accrued to
		m.settled, m.since, m.base = m.mora, m.moraThrough, base
	}
	if n := today.DaysSince(m.since); n > 0 {
		m.mora = m.settled + finmath.Cents((int64(base)*int64(n)+1500)/3000)
		m.moraThrough = today
	}
}

// TestLoanLedgerProperty simulates random loans and drives each through random payments and the passing
// of time (accruing arrears as the sweep and the payment path do), checking the ledger after every step.
func TestLoanLedgerProperty(t *testing.T) {
	t.Parallel()
	cases := 160
	if testing.Short() {
		cases = 40
	}
	const shards = 4
	for shard := range shards {
		t.Run(fmt.Sprint("shard", shard), func(t *testing.T) {
			t.Parallel()
			rng := newRand(5207, uint64(shard))
			cust := loanCustomer(t)
			var seen ledgerCoverage
			for i := range cases / shards {
				runLedgerCase(t, rng, cust, fmt.Sprintf("#%d/%d", shard, i), &seen)
			}
			// The generator must reach the interesting states, or the property says little.
			if seen.overdue == 0 || seen.partial == 0 || seen.lateCharges == 0 || seen.refused == 0 || seen.spill == 0 {
				t.Errorf("coverage %+v: some state was never reached", seen)
			}
		})
	}
}

// ledgerCoverage counts what the random steps reached.
type ledgerCoverage struct{ overdue, partial, lateCharges, refused, spill int }

func runLedgerCase(t *testing.T, rng *rand.Rand, cust lending.Customer, what string, seen *ledgerCoverage) {
	t.Helper()
	rate := randomRate(rng, 5_000, 80_000) // 0.5% to 8% a month
	n := 1 + rng.IntN(24)
	terms := fixedTerms(n)
	terms.MonthlyRate = rate
	terms.MinAmount = 100_00
	terms.ApprovedAmount = 100_00 + finmath.Cents(rng.Int64N(200_000_00))
	requested := terms.MinAmount + finmath.Cents(rng.Int64N(int64(terms.ApprovedAmount-terms.MinAmount)+1))
	what = fmt.Sprintf("%s: %s in %d at %s%%", what, requested, n, rate)
	s := newLoanSetup(t, terms, requested, n)
	l := s.mustLoan(t, cust)
	l = signAll(t, l)
	l, ins, err := l.Disbursed(s.sim, offerNow)
	if err != nil {
		t.Fatalf("%s: Disbursed: %v", what, err)
	}
	model := make([]installmentModel, len(ins))
	today, _ := lending.ParseDate(s.sim.DisbursementDate)
	var paidIn finmath.Cents
	checkLoanLedger(t, what+" at disbursement", l, ins, model, paidIn, today)
	now := offerNow
	accrueAll := func() {
		for k := range ins {
			accrueModel(&model[k], ins[k], today)
			var err error
			if ins[k], _, err = ins[k].Accrue(today, lending.DefaultLateTerms(), now); err != nil {
				t.Fatalf("%s: Accrue: %v", what, err)
			}
		}
	}
	owed := func() finmath.Cents {
		var o finmath.Cents
		for _, in := range ins {
			o += in.AmountRemaining()
		}
		return o
	}
	done := false
	for step := 0; step < 60 && !done; step++ {
		sw := fmt.Sprintf("%s step %d (%s)", what, step, today)
		switch op := rng.IntN(10); {
		case op < 3: // time passes; the sweep accrues
			days := []int{1, 1, 2, 5, 15, 31, 45}[rng.IntN(7)]
			today = today.AddDays(days)
			now = now.Add(time.Duration(days) * 24 * time.Hour)
			accrueAll()
		default: // a payment arrives (the service accrues first)
			accrueAll()
			o := owed()
			var amount finmath.Cents
			switch rng.IntN(6) {
			case 0: // exactly the oldest open installment
				for _, in := range ins {
					if in.AmountRemaining() > 0 {
						amount = in.AmountRemaining()
						break
					}
				}
			case 1: // everything
				amount = o
			case 2: // too much, or nothing
				amount = []finmath.Cents{o + 1, o + 1 + finmath.Cents(rng.Int64N(100_00)), 0, -1}[rng.IntN(4)]
			case 3: // a few centavos
				amount = 1 + finmath.Cents(rng.Int64N(100))
			default:
				amount = 1 + finmath.Cents(rng.Int64N(int64(o)))
			}
			before := slices.Clone(ins)
			out, p, fin, err := l.ApplyPayment(ins, amount, now)
			if amount <= 0 || amount > o {
				want := lending.CodeInvalidField
				if amount > o {
					want = lending.CodePaymentExceedsBalance
				}
				if lending.ErrorCode(err) != want || out != nil {
					t.Fatalf("%s: pay %s of %s: %v, want %s", sw, amount, o, err, want)
				}
				if !cmp.Equal(ins, before) {
					t.Fatalf("%s: a refused payment changed the installments", sw)
				}
				seen.refused++
				break
			}
			if err != nil {
				t.Fatalf("%s: pay %s of %s: %v", sw, amount, o, err)
			}
			first := slices.IndexFunc(before, func(in lending.Installment) bool { return in.AmountRemaining() > 0 })
			if p.Amount != amount || p.InstallmentNumber != before[first].Number {
				t.Fatalf("%s: payment %+v, want %s to installment %d", sw, p, amount, before[first].Number)
			}
			// Oldest first: an installment is touched only once every earlier one is paid.
			for k := range out {
				if out[k].AmountPaid() != before[k].AmountPaid() && k > 0 && out[k-1].AmountRemaining() != 0 {
					t.Fatalf("%s: installment %d paid before %d", sw, k+1, k)
				}
			}
			touched := 0
			for k := range out {
				if out[k].AmountPaid() != before[k].AmountPaid() {
					touched++
				}
			}
			if touched > 1 {
				seen.spill++
			}
			ins, paidIn = out, paidIn+amount
			if fin != (owed() == 0) {
				t.Fatalf("%s: done %v with %s still owed", sw, fin, owed())
			}
			done = fin
		}
		checkLoanLedger(t, sw, l, ins, model, paidIn, today)
		for _, in := range ins {
			switch {
			case in.Status == lending.InstallmentOverdue:
				seen.overdue++
			case in.Status == lending.InstallmentPartiallyPaid:
				seen.partial++
			}
			if in.Fees() > 0 {
				seen.lateCharges++
			}
		}
	}
	if !done {
		accrueAll()
		out, _, fin, err := l.ApplyPayment(ins, owed(), now)
		if err != nil || !fin {
			t.Fatalf("%s: paying the rest: %v %v", what, fin, err)
		}
		paidIn += owed()
		ins = out
		checkLoanLedger(t, what+" paid off", l, ins, model, paidIn, today)
	}
	fl, err := l.Finish(now)
	if err != nil || fl.Status != lending.LoanFinished {
		t.Fatalf("%s: Finish: %v", what, err)
	}
	var paid finmath.Cents
	for _, in := range ins {
		if in.Status != lending.InstallmentPaid {
			t.Fatalf("%s: finished with installment %d %s", what, in.Number, in.Status)
		}
		paid += in.AmountPaid()
	}
	// Everything paid is the scheduled total plus the late charges.
	var fees finmath.Cents
	for _, in := range ins {
		fees += in.Fees()
	}
	if paid != s.sim.Total+fees || paid != paidIn {
		t.Fatalf("%s: paid %s, schedule total %s + fees %s, payments %s", what, paid, s.sim.Total, fees, paidIn)
	}
}
