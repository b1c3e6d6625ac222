package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/store"
)

var loanTests = []namedTest{
	{"CCBNumber", testCCBNumber},
	{"CCBNumberConcurrent", testCCBNumberConcurrent},
	{"RoundTrip", testLoanRoundTrip},
	{"SaveThroughLifecycle", testSaveLoanLifecycle},
	{"OutsideScope", testLoanOutsideScope},
	{"InsertErrors", testInsertLoanErrors},
	{"OnePerOffer", testLoanOnePerOffer},
	{"OnePerOfferConcurrent", testLoanOnePerOfferConcurrent},
	{"BySigningToken", testLoanBySigningToken},
	{"DueUnsigned", testDueUnsignedLoans},
	{"Processing", testProcessingLoans},
	{"Installments", testInstallments},
	{"ListInstallments", testListInstallments},
	{"InstallmentsToAccrue", testInstallmentsToAccrue},
	{"Payments", testPayments},
	{"PixTransfers", testPixTransfers},
	{"PixTransfersConcurrent", testPixTransfersConcurrent},
}

// coOwnerEmail is the e-mail the co-owner of a loanFixture's customer sent in KYC.
const coOwnerEmail = "jose@empresa.com.br"

// loanFixture is what a loan is taken on: an active customer with a bank account, an offer and a
// simulation on it.
type loanFixture struct {
	c    lending.Customer
	o    lending.CreditOffer
	sim  lending.Simulation
	acct lending.BankAccount
}

// newLoanFixture stores a loanFixture of scope at now: an LTDA customer whose co-owner sent an e-mail,
// approved in full; a bank account; a range offer; and a 12-installment simulation of R$ 10.000,00.
func newLoanFixture(t *testing.T, s *store.Store, scope lending.Scope, now time.Time) loanFixture {
	t.Helper()
	cpf, cnpj := nextTaxIDs()
	c, err := enriched(newCustomer(t, scope, cpf, cnpj, nil, now), now).ApproveAll(now)
	if err != nil {
		t.Fatalf("ApproveAll: %v", err)
	}
	storeCustomer(t, s, c)
	acct := newBankAccount(t, c, "260", string(lending.AccountPayment), "1", "0012345", "x", nil, now)
	upsertBankAccount(t, s, acct)
	o := insertOffer(t, s, newOffer(t, c, termsOf(t, rangeProfile), now))
	sim := insertSimulation(t, s, simulate(t, o, 1_000_000, 12, now))
	return loanFixture{c: c, o: o, sim: sim, acct: acct}
}

// loan builds (without storing) a loan on f's offer at now through the domain, with a fresh CCB number
// and signing token and a rendered CCB.
func (f loanFixture) loan(t *testing.T, now time.Time) lending.Loan {
	t.Helper()
	in := lending.NewLoanInput{CreditOfferID: f.o.ID, SimulationID: f.sim.ID, InstallmentCount: f.sim.InstallmentCount,
		InstallmentAmount: f.sim.InstallmentAmount, FirstDueDate: f.sim.FirstDueDate}
	l, err := lending.NewLoan(in, f.o, f.sim, f.c, &f.acct, lending.LoanTerms{Number: "CCB-" + ids.New(""),
		SignFor: 7 * 24 * time.Hour, SigningToken: ids.Secret("sgn_", 40)}, now)
	if err != nil {
		t.Fatalf("NewLoan: %v", err)
	}
	if len(l.Signers) != 2 || l.Signers[1].Role != lending.SubjectCoOwner || l.Signers[1].Email != coOwnerEmail {
		t.Fatalf("fixture: signers %+v are not the applicant and the co-owner with the KYC e-mail", l.Signers)
	}
	l.CCBKey, l.CCBSHA256 = "ccb/"+l.ID+".pdf", hashSecret(l.ID)
	return l
}

// sign has signer k of l sign at now (the last signature moves it to processing with a fresh e2e).
func sign(t *testing.T, l lending.Loan, k int, now time.Time) lending.Loan {
	t.Helper()
	l, _, err := l.Sign(lending.Signature{CPF: l.Signers[k].CPF, IP: "2001:db8::7", UserAgent: "Mozilla/5.0 (X11; 'Linux' ?)",
		DocumentSHA256: l.CCBSHA256}, lending.NewE2EID("12345678", now), now)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	return l
}

// signAll has every signer of l sign at now: the loan is processing.
func signAll(t *testing.T, l lending.Loan, now time.Time) lending.Loan {
	t.Helper()
	for k := range l.Signers {
		l = sign(t, l, k, now)
	}
	if l.Status != lending.LoanProcessing {
		t.Fatalf("fixture: a fully signed loan is %s", l.Status)
	}
	return l
}

// disburse settles processing loan l at now and returns it active with its installments.
func disburse(t *testing.T, l lending.Loan, sim lending.Simulation, now time.Time) (lending.Loan, []lending.Installment) {
	t.Helper()
	l, ins, err := l.Disbursed(sim, now)
	if err != nil {
		t.Fatalf("Disbursed: %v", err)
	}
	return l, ins
}

func insertLoan(t *testing.T, s *store.Store, l lending.Loan) lending.Loan {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "InsertLoan("+l.ID+")", func(tx *store.Tx) error { return tx.InsertLoan(ctx, l) })
	return l
}

func saveLoan(t *testing.T, s *store.Store, l lending.Loan) lending.Loan {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "SaveLoan("+l.ID+")", func(tx *store.Tx) error { return tx.SaveLoan(ctx, l) })
	return l
}

func insertInstallments(t *testing.T, s *store.Store, ins []lending.Installment) []lending.Installment {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "InsertInstallments", func(tx *store.Tx) error { return tx.InsertInstallments(ctx, ins) })
	return ins
}

func saveInstallment(t *testing.T, s *store.Store, in lending.Installment) lending.Installment {
	t.Helper()
	ctx := testCtx(t)
	mustTx(t, s, "SaveInstallment("+in.ID+")", func(tx *store.Tx) error { return tx.SaveInstallment(ctx, in) })
	return in
}

// activeLoan stores an active loan of f at now, with its installments.
func activeLoan(t *testing.T, s *store.Store, f loanFixture, now time.Time) (lending.Loan, []lending.Installment) {
	t.Helper()
	l, ins := disburse(t, signAll(t, f.loan(t, now), now), f.sim, now)
	insertLoan(t, s, l)
	return l, insertInstallments(t, s, ins)
}

// expectLoan checks every read of loan want.ID against want, exactly (a nil slice differs from an empty
// one), and that every instant read back is in UTC.
func expectLoan(t *testing.T, s *store.Store, what string, want lending.Loan) {
	t.Helper()
	ctx := testCtx(t)
	check := func(how string, got lending.Loan, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s: %s: %v", what, how, err)
			return
		}
		if diff := exactDiff(want, got); diff != "" {
			t.Errorf("%s: %s (-want +got):\n%s", what, how, diff)
		}
		for name, v := range map[string]*time.Time{"SignBy": &got.SignBy, "CreatedAt": &got.CreatedAt, "UpdatedAt": &got.UpdatedAt,
			"DisbursedAt": got.DisbursedAt, "Account.CreatedAt": &got.Account.CreatedAt, "Account.UpdatedAt": &got.Account.UpdatedAt} {
			assertUTC(t, what+": "+how+": "+name, v)
		}
		for k, sg := range got.Signers {
			assertUTC(t, fmt.Sprintf("%s: %s: Signers[%d].SignedAt", what, how, k), sg.SignedAt)
		}
	}
	got, err := s.Loan(ctx, want.Scope, want.ID)
	check("Loan", got, err)
	mustTx(t, s, what+": read for update", func(tx *store.Tx) error {
		got, err := tx.LoanForUpdate(ctx, want.Scope, want.ID)
		check("LoanForUpdate", got, err)
		got, err = tx.LoanByIDForUpdate(ctx, want.ID)
		check("LoanByIDForUpdate", got, err)
		return nil
	})
	if want.SigningToken != "" {
		got, err := s.LoanBySigningToken(ctx, want.SigningToken)
		check("LoanBySigningToken", got, err)
	}
}

// testCCBNumber: numbers run 1, 2, 3… per year, each year on its own; a rolled-back transaction gives
// its number back, so committed numbers have no gap.
func testCCBNumber(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	next := func(year int) int {
		t.Helper()
		var n int
		mustTx(t, s, "NextCCBNumber", func(tx *store.Tx) (err error) {
			n, err = tx.NextCCBNumber(ctx, year)
			return err
		})
		return n
	}
	var got []int
	for _, year := range []int{2025, 2025, 2026, 2025, 2026, 2024} {
		got = append(got, next(year))
	}
	if want := []int{1, 2, 1, 3, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("numbers = %v, want %v", got, want)
	}

	rollback := errors.New("rollback")
	err := s.InTx(ctx, func(tx *store.Tx) error {
		for want := 4; want <= 5; want++ {
			if n, err := tx.NextCCBNumber(ctx, 2025); err != nil || n != want {
				t.Errorf("NextCCBNumber in a transaction = %d, %v; want %d", n, err, want)
			}
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("InTx = %v, want the rollback", err)
	}
	if n := next(2025); n != 4 {
		t.Errorf("NextCCBNumber after a rolled-back transaction = %d, want 4 (no gap)", n)
	}
	for _, year := range []int{0, -1} {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.NextCCBNumber(ctx, year)
			return err
		})
		if err == nil {
			t.Errorf("NextCCBNumber(%d) succeeded, want an error", year)
		}
	}
}

// testCCBNumberConcurrent: 20 transactions at once each take a number of one year: they get 20 distinct,
// consecutive numbers.
func testCCBNumberConcurrent(t *testing.T, e Engine) {
	const n = 20
	ctx := testCtx(t)
	s, _ := open(t, e)
	mustTx(t, s, "first number", func(tx *store.Tx) error {
		_, err := tx.NextCCBNumber(ctx, 2030)
		return err
	})
	got := make([]int, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(tx *store.Tx) (err error) {
				got[i], err = tx.NextCCBNumber(ctx, 2030)
				time.Sleep(5 * time.Millisecond) // hold the counter a moment before committing
				return err
			})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("transaction #%d: %v", i, err)
		}
	}
	slices.Sort(got)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 2
	}
	if !slices.Equal(got, want) {
		t.Errorf("concurrent numbers = %v, want %v", got, want)
	}
}

// testLoanRoundTrip stores loans in every state (and the signer lists the domain never makes) and reads
// each back unchanged through every read.
func testLoanRoundTrip(t *testing.T, e Engine) {
	s, _ := open(t, e)
	now := t0.Add(subSecond)
	later := now.Add(26*time.Hour + subSecond)
	cases := []struct {
		name  string
		build func(f loanFixture, l lending.Loan) lending.Loan
	}{
		{"awaiting signatures", func(_ loanFixture, l lending.Loan) lending.Loan { return l }},
		{"one of two signed", func(_ loanFixture, l lending.Loan) lending.Loan { return sign(t, l, 1, later) }},
		{"processing", func(_ loanFixture, l lending.Loan) lending.Loan { return signAll(t, l, later) }},
		{"active", func(f loanFixture, l lending.Loan) lending.Loan {
			l, _ = disburse(t, signAll(t, l, later), f.sim, later.Add(time.Minute))
			return l
		}},
		{"error", func(_ loanFixture, l lending.Loan) lending.Loan {
			l, err := signAll(t, l, later).DisbursementFailed("conta encerrada: 'AC03' ? – recusada", later.Add(time.Minute))
			if err != nil {
				t.Fatalf("DisbursementFailed: %v", err)
			}
			return l
		}},
		{"cancelled", func(_ loanFixture, l lending.Loan) lending.Loan {
			l, err := l.Cancel(later, true)
			if err != nil {
				t.Fatalf("Cancel: %v", err)
			}
			return l
		}},
		{"nil signers", func(_ loanFixture, l lending.Loan) lending.Loan {
			l.Signers = nil
			return l
		}},
		{"empty signers, no CCB yet", func(_ loanFixture, l lending.Loan) lending.Loan {
			l.Signers, l.CCBKey, l.CCBSHA256 = []lending.Signer{}, "", ""
			return l
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			scope := mustScope(t, s, lending.EnvLive)
			f := newLoanFixture(t, s, scope, now)
			want := tc.build(f, f.loan(t, now))
			insertLoan(t, s, want)
			expectLoan(t, s, "stored", want)
		})
	}
}

// testSaveLoanLifecycle walks a loan through its states with SaveLoan, reading it back after each.
func testSaveLoanLifecycle(t *testing.T, e Engine) {
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	now := t0.Add(subSecond)
	f := newLoanFixture(t, s, scope, now)
	l := insertLoan(t, s, f.loan(t, now))
	expectLoan(t, s, "created", l)

	l.CCBNumber, l.CCBKey, l.CCBSHA256 = "CCB-"+ids.New(""), "ccb/v2/"+l.ID+".pdf", hashSecret("v2"+l.ID)
	l.SigningToken, l.SignBy, l.UpdatedAt = ids.Secret("sgn_", 40), l.SignBy.Add(time.Hour+subSecond), now.Add(time.Second)
	l.Account = newBankAccount(t, f.c, "001", string(lending.AccountChecking), "42", "987", "0", &f.acct, now.Add(time.Second))
	expectLoan(t, s, "CCB re-rendered, token, deadline and account changed", saveLoan(t, s, l))

	l = saveLoan(t, s, sign(t, l, 0, now.Add(time.Hour)))
	expectLoan(t, s, "applicant signed", l)
	l = saveLoan(t, s, sign(t, l, 1, now.Add(2*time.Hour)))
	if l.SigningToken != "" || l.DisbursementE2E == "" {
		t.Fatalf("fixture: a fully signed loan has token %q and e2e %q", l.SigningToken, l.DisbursementE2E)
	}
	expectLoan(t, s, "all signed", l)
	l, _ = disburse(t, l, f.sim, now.Add(3*time.Hour))
	expectLoan(t, s, "active", saveLoan(t, s, l))
	l, err := l.Finish(now.Add(400 * 24 * time.Hour))
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	expectLoan(t, s, "finished", saveLoan(t, s, l))

	// Back to error with a failure, then the failure cleared: every mutable column goes both ways.
	l.Status, l.Failure, l.DisbursedAt = lending.LoanError, &lending.LoanFailure{Code: "x", Message: "y"}, nil
	expectLoan(t, s, "error", saveLoan(t, s, l))
	l.Status, l.Failure, l.DisbursementE2E, l.DisbursementMethod = lending.LoanProcessing, nil, "", ""
	expectLoan(t, s, "failure and e2e cleared", saveLoan(t, s, l))

	// The immutable columns are not written.
	moved := l
	moved.Requested, moved.InstallmentCount, moved.FirstDueDate, moved.CreatedAt = 1, 1, "2099-01-01", now.Add(time.Hour)
	moved.CustomerID, moved.CreditOfferID, moved.SimulationID = ids.New("cust_"), ids.New("co_"), ids.New("sim_")
	saveLoan(t, s, moved)
	expectLoan(t, s, "after a save of changed immutable fields", l)
}

// testLoanOutsideScope: a loan exists only in its own partner's environment: every scoped read and save
// of another scope misses it and leaves it unchanged; the by-id read of jobs finds it from anywhere.
func testLoanOutsideScope(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	f := newLoanFixture(t, s, scope, t0)
	l := insertLoan(t, s, f.loan(t, t0))
	for _, tc := range []struct {
		name  string
		scope lending.Scope
		id    string
	}{
		{"same partner's other environment", lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, l.ID},
		{"other partner", mustScope(t, s, lending.EnvTest), l.ID},
		{"unknown id", scope, ids.New("ln_")},
		{"quote", scope, "'"},
	} {
		_, err := s.Loan(ctx, tc.scope, tc.id)
		wantCode(t, tc.name+": Loan", err, lending.CodeLoanNotFound)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.LoanForUpdate(ctx, tc.scope, tc.id)
			return err
		})
		wantCode(t, tc.name+": LoanForUpdate", err, lending.CodeLoanNotFound)
		moved := l
		moved.ID, moved.Scope, moved.Status, moved.UpdatedAt = tc.id, tc.scope, lending.LoanCancelled, t0.Add(time.Hour)
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveLoan(ctx, moved) })
		wantCode(t, tc.name+": SaveLoan", err, lending.CodeLoanNotFound)
	}
	for _, id := range []string{ids.New("ln_"), "'"} {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.LoanByIDForUpdate(ctx, id)
			return err
		})
		wantCode(t, "LoanByIDForUpdate("+id+")", err, lending.CodeLoanNotFound)
	}
	expectLoan(t, s, "after reads and saves in other scopes", l)
}

// testInsertLoanErrors: a loan needs an existing customer, offer and simulation, a new id, a new CCB
// number, a new signing token and a known status.
func testInsertLoanErrors(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	first := newLoanFixture(t, s, scope, t0)
	l := insertLoan(t, s, first.loan(t, t0))
	f := newLoanFixture(t, s, scope, t0) // a fresh offer, so that only the broken field can fail
	bad := map[string]func(*lending.Loan){
		"taken id":           func(b *lending.Loan) { b.ID = l.ID },
		"taken CCB number":   func(b *lending.Loan) { b.CCBNumber = l.CCBNumber },
		"taken token":        func(b *lending.Loan) { b.SigningToken = l.SigningToken },
		"unknown status":     func(b *lending.Loan) { b.Status = "approved" },
		"unknown customer":   func(b *lending.Loan) { b.CustomerID = ids.New("cust_") },
		"unknown offer":      func(b *lending.Loan) { b.CreditOfferID = ids.New("co_") },
		"unknown simulation": func(b *lending.Loan) { b.SimulationID = ids.New("sim_") },
	}
	for name, breakIt := range bad {
		b := f.loan(t, t0)
		breakIt(&b)
		err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertLoan(ctx, b) })
		if err == nil {
			t.Errorf("InsertLoan(%s) succeeded, want an error", name)
		} else if lending.ErrorCode(err) == lending.CodeOfferAlreadyAccepted {
			t.Errorf("InsertLoan(%s) = %v, want the database's error, not the one-loan-per-offer refusal", name, err)
		}
	}
	expectLoan(t, s, "the first loan after failed inserts", l)
	// The fresh offer is still free.
	expectLoan(t, s, "a loan on the fresh offer", insertLoan(t, s, f.loan(t, t0)))
}

// testLoanOnePerOffer: an offer holds one live loan; a second is refused with CodeOfferAlreadyAccepted
// (leaving the transaction usable), in whatever state the first is, until the first is cancelled.
func testLoanOnePerOffer(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	f := newLoanFixture(t, s, scope, t0)
	first := insertLoan(t, s, f.loan(t, t0))

	tryInsert := func(what string, l lending.Loan) error {
		t.Helper()
		return s.InTx(ctx, func(tx *store.Tx) error {
			err := tx.InsertLoan(ctx, l)
			// The transaction still works after the refusal (no aborted PostgreSQL transaction).
			if _, rerr := tx.LoanForUpdate(ctx, scope, first.ID); rerr != nil {
				t.Errorf("%s: LoanForUpdate after InsertLoan: %v", what, rerr)
			}
			return err
		})
	}
	second := f.loan(t, t0.Add(time.Minute))
	wantCode(t, "second loan", tryInsert("second loan", second), lending.CodeOfferAlreadyAccepted)
	for _, st := range []lending.LoanStatus{lending.LoanProcessing, lending.LoanActive, lending.LoanError, lending.LoanFinished} {
		held := first
		held.Status = st
		saveLoan(t, s, held)
		wantCode(t, "second loan while the first is "+string(st), tryInsert(string(st), second), lending.CodeOfferAlreadyAccepted)
	}
	if _, err := s.Loan(ctx, scope, second.ID); lending.ErrorCode(err) != lending.CodeLoanNotFound {
		t.Errorf("the refused loan: Loan = %v, want CodeLoanNotFound", err)
	}

	// A cancelled loan releases the offer; a cancelled loan does not hold it either.
	cancelled, err := first.Cancel(t0.Add(time.Hour), true)
	if err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	saveLoan(t, s, cancelled)
	insertLoan(t, s, second)
	expectLoan(t, s, "the new loan", second)
	expectLoan(t, s, "the cancelled loan", cancelled)
	third := f.loan(t, t0.Add(2*time.Minute))
	wantCode(t, "third loan", tryInsert("third loan", third), lending.CodeOfferAlreadyAccepted)
	alsoCancelled := third
	alsoCancelled.Status, alsoCancelled.SigningToken = lending.LoanCancelled, ""
	insertLoan(t, s, alsoCancelled)
	expectLoan(t, s, "a cancelled loan inserted beside a live one", alsoCancelled)

	// Reviving a cancelled loan while another holds the offer fails.
	revived := cancelled
	revived.Status = lending.LoanAwaitingSignatures
	if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveLoan(ctx, revived) }); err == nil {
		t.Errorf("SaveLoan reviving a cancelled loan on a held offer succeeded, want an error")
	}
}

// testLoanOnePerOfferConcurrent: 10 transactions at once each insert a loan on one offer and hold it a
// moment: exactly one loan results, and every other transaction gets CodeOfferAlreadyAccepted.
func testLoanOnePerOfferConcurrent(t *testing.T, e Engine) {
	const n = 10
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	f := newLoanFixture(t, s, scope, t0)
	loans := make([]lending.Loan, n)
	for i := range loans {
		loans[i] = f.loan(t, t0.Add(time.Duration(i)*time.Second))
	}
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.InTx(ctx, func(tx *store.Tx) error {
				if err := tx.InsertLoan(ctx, loans[i]); err != nil {
					return err
				}
				time.Sleep(50 * time.Millisecond)
				return nil
			})
		})
	}
	close(start)
	wg.Wait()
	var winners []int
	for i, err := range errs {
		if err == nil {
			winners = append(winners, i)
		} else {
			wantCode(t, fmt.Sprintf("transaction #%d", i), err, lending.CodeOfferAlreadyAccepted)
		}
	}
	if len(winners) != 1 {
		t.Fatalf("transactions %v of %d inserted a loan on the offer, want exactly one", winners, n)
	}
	for i, l := range loans {
		_, err := s.Loan(ctx, scope, l.ID)
		if i == winners[0] {
			expectLoan(t, s, "the winner", l)
		} else if lending.ErrorCode(err) != lending.CodeLoanNotFound {
			t.Errorf("loser #%d: Loan = %v, want CodeLoanNotFound", i, err)
		}
	}
}

// testLoanBySigningToken: a token finds its loan from any scope until it is cleared; an empty or unknown
// token finds none, and any number of loans may have no token.
func testLoanBySigningToken(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	live, test := mustScope(t, s, lending.EnvLive), mustScope(t, s, lending.EnvTest)
	a := insertLoan(t, s, newLoanFixture(t, s, live, t0).loan(t, t0))
	b := insertLoan(t, s, newLoanFixture(t, s, test, t0).loan(t, t0))
	for _, l := range []lending.Loan{a, b} {
		got, err := s.LoanBySigningToken(ctx, l.SigningToken)
		if err != nil {
			t.Errorf("LoanBySigningToken(%s's): %v", l.ID, err)
		} else if diff := exactDiff(l, got); diff != "" {
			t.Errorf("LoanBySigningToken(%s's) (-want +got):\n%s", l.ID, diff)
		}
	}
	// Cleared tokens: several loans without one coexist, and "" finds none of them.
	signedA := saveLoan(t, s, signAll(t, a, t0.Add(time.Hour)))
	noToken := newLoanFixture(t, s, live, t0).loan(t, t0)
	noToken.SigningToken = ""
	insertLoan(t, s, noToken)
	for _, token := range []string{"", a.SigningToken, ids.Secret("sgn_", 40), "'", "%"} {
		_, err := s.LoanBySigningToken(ctx, token)
		wantCode(t, fmt.Sprintf("LoanBySigningToken(%q)", token), err, lending.CodeSigningSessionInvalid)
	}
	expectLoan(t, s, "signed loan", signedA)
	expectLoan(t, s, "loan without a token", noToken)
}

// testDueUnsignedLoans: the cancellation sweep gets loans awaiting signatures whose sign_by has passed
// on their scope's clock (a test scope's runs ahead by its partner's sandbox offset, a live one never),
// oldest sign_by first, at most limit.
func testDueUnsignedLoans(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	realNow := t0.Add(10*24*time.Hour + subSecond)
	p1, p2 := mustPartner(t, s, "P1", t0), mustPartner(t, s, "P2", t0)
	mustTx(t, s, "SetSandboxClockOffset", func(tx *store.Tx) error {
		return tx.SetSandboxClockOffset(ctx, p1.ID, 2*time.Hour, t0)
	})
	p1Live, p1Test := lending.Scope{PartnerID: p1.ID, Environment: lending.EnvLive}, lending.Scope{PartnerID: p1.ID, Environment: lending.EnvTest}
	p2Test := lending.Scope{PartnerID: p2.ID, Environment: lending.EnvTest}
	loan := func(scope lending.Scope, signBy time.Time, status lending.LoanStatus) lending.Loan {
		l := newLoanFixture(t, s, scope, t0).loan(t, t0)
		l.SignBy, l.Status = signBy, status
		return insertLoan(t, s, l)
	}
	aw := lending.LoanAwaitingSignatures
	due := []lending.Loan{
		loan(p1Live, realNow.Add(-time.Hour), aw),
		loan(p2Test, realNow, aw),                // no offset: real time, at sign_by
		loan(p1Test, realNow.Add(time.Hour), aw), // an hour ahead of real time, two on P1's sandbox clock
		loan(p1Test, realNow.Add(2*time.Hour), aw),
	}
	loan(p1Live, realNow.Add(time.Hour), aw) // the sandbox offset is not the live environment's
	loan(p1Live, realNow.Add(time.Microsecond), aw)
	loan(p2Test, realNow.Add(time.Microsecond), aw)
	loan(p1Test, realNow.Add(2*time.Hour+time.Microsecond), aw)
	loan(p1Live, realNow.Add(-2*time.Hour), lending.LoanProcessing)
	loan(p1Test, realNow.Add(-2*time.Hour), lending.LoanCancelled)
	loan(p2Test, realNow.Add(-2*time.Hour), lending.LoanActive)

	sweep := func(now time.Time, limit int) []lending.Loan {
		t.Helper()
		var got []lending.Loan
		mustTx(t, s, "DueUnsignedLoans", func(tx *store.Tx) (err error) {
			got, err = tx.DueUnsignedLoans(ctx, now, limit)
			return err
		})
		return got
	}
	for _, tc := range []struct {
		now   time.Time
		limit int
		want  []lending.Loan
	}{
		{realNow, 100, due},
		{realNow, 2, due[:2]},
		{realNow.Add(-time.Microsecond), 100, []lending.Loan{due[0], due[2]}},
		{realNow.Add(-time.Hour), 100, []lending.Loan{due[0], due[2]}},
		{realNow.Add(-time.Hour - time.Microsecond), 100, nil},
	} {
		if diff := exactDiff(loanIDs(tc.want), loanIDs(sweep(tc.now, tc.limit))); diff != "" {
			t.Errorf("DueUnsignedLoans(%s, %d) ids (-want +got):\n%s", tc.now, tc.limit, diff)
		}
	}
	if diff := exactDiff(due, sweep(realNow, 100)); diff != "" {
		t.Errorf("DueUnsignedLoans loans (-want +got):\n%s", diff)
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.DueUnsignedLoans(ctx, realNow, 0)
		return err
	})
	if err == nil {
		t.Errorf("DueUnsignedLoans with limit 0 succeeded, want an error")
	}

	// The sweep: cancel a batch at a time until none is due; each due loan is cancelled once.
	var swept []string
	for round := 0; ; round++ {
		if round > 10 {
			t.Fatalf("the sweep did not end")
		}
		var batch []lending.Loan
		mustTx(t, s, "sweep", func(tx *store.Tx) (err error) {
			if batch, err = tx.DueUnsignedLoans(ctx, realNow, 3); err != nil {
				return err
			}
			for _, l := range batch {
				c, err := l.Cancel(realNow.Add(3*time.Hour), false)
				if err != nil {
					return err
				}
				if err := tx.SaveLoan(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		if len(batch) == 0 {
			break
		}
		swept = append(swept, loanIDs(batch)...)
	}
	if diff := exactDiff(loanIDs(due), swept); diff != "" {
		t.Errorf("swept loans (-want +got):\n%s", diff)
	}
}

func loanIDs(ls []lending.Loan) []string {
	out := []string{}
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

// testProcessingLoans: the ids of loans in processing, across scopes, the longest unchanged first.
func testProcessingLoans(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	processing := func(scope lending.Scope, updated time.Time) lending.Loan {
		f := newLoanFixture(t, s, scope, t0)
		l := signAll(t, f.loan(t, t0), t0)
		l.UpdatedAt = updated
		return insertLoan(t, s, l)
	}
	live, test := mustScope(t, s, lending.EnvLive), mustScope(t, s, lending.EnvTest)
	b := processing(test, t0.Add(2*time.Hour))
	a := processing(live, t0.Add(time.Hour))
	c := processing(live, t0.Add(3*time.Hour))
	insertLoan(t, s, newLoanFixture(t, s, live, t0).loan(t, t0)) // awaiting signatures
	activeLoan(t, s, newLoanFixture(t, s, test, t0), t0)
	for _, tc := range []struct {
		limit int
		want  []string
	}{
		{100, []string{a.ID, b.ID, c.ID}},
		{2, []string{a.ID, b.ID}},
	} {
		mustTx(t, s, "ProcessingLoans", func(tx *store.Tx) error {
			got, err := tx.ProcessingLoans(ctx, tc.limit)
			if err != nil {
				return err
			}
			if diff := exactDiff(tc.want, got); diff != "" {
				t.Errorf("ProcessingLoans(%d) (-want +got):\n%s", tc.limit, diff)
			}
			return nil
		})
	}
	err := s.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.ProcessingLoans(ctx, 0)
		return err
	})
	if err == nil {
		t.Errorf("ProcessingLoans with limit 0 succeeded, want an error")
	}
}

// expectInstallments checks both full reads of loan loanID's installments against want.
func expectInstallments(t *testing.T, s *store.Store, what string, scope lending.Scope, loanID string, want []lending.Installment) {
	t.Helper()
	ctx := testCtx(t)
	got, err := s.Installments(ctx, scope, loanID)
	if err != nil {
		t.Errorf("%s: Installments: %v", what, err)
	} else if diff := exactDiff(want, got); diff != "" {
		t.Errorf("%s: Installments (-want +got):\n%s", what, diff)
	}
	for k := range got {
		assertUTC(t, what+": PaidAt", got[k].PaidAt)
		assertUTC(t, what+": CreatedAt", &got[k].CreatedAt)
	}
	mustTx(t, s, what+": InstallmentsForUpdate", func(tx *store.Tx) error {
		got, err := tx.InstallmentsForUpdate(ctx, loanID)
		if err != nil {
			return err
		}
		if diff := exactDiff(want, got); diff != "" {
			t.Errorf("%s: InstallmentsForUpdate (-want +got):\n%s", what, diff)
		}
		return nil
	})
}

// testInstallments: a loan's installments are stored as disbursement makes them; accrual and payments
// change them through SaveInstallment; they exist only in their loan's scope.
func testInstallments(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	now := t0.Add(subSecond)
	f := newLoanFixture(t, s, scope, now)
	l, ins := activeLoan(t, s, f, now)
	if len(ins) != 12 {
		t.Fatalf("fixture: %d installments, want 12", len(ins))
	}
	expectInstallments(t, s, "inserted", scope, l.ID, ins)

	// Accrue the first two installments 10 days after the second's due date, then pay part of it all.
	due2, err := lending.ParseDate(ins[1].DueDate)
	if err != nil {
		t.Fatal(err)
	}
	today := due2.AddDays(10)
	want := slices.Clone(ins)
	for k := range 2 {
		accrued, changed, err := want[k].Accrue(today, lending.DefaultLateTerms(), now.Add(50*24*time.Hour))
		if err != nil || !changed {
			t.Fatalf("Accrue(#%d) = changed %v, %v", k+1, changed, err)
		}
		want[k] = saveInstallment(t, s, accrued)
	}
	if want[0].MoraThrough == "" || want[0].Fine == 0 || want[0].Status != lending.InstallmentOverdue {
		t.Fatalf("fixture: accrued installment %+v", want[0])
	}
	expectInstallments(t, s, "accrued", scope, l.ID, want)
	paid, p, done, err := l.ApplyPayment(want, want[0].AmountDue()+want[1].AmountDue()/2, now.Add(51*24*time.Hour))
	if err != nil || done {
		t.Fatalf("ApplyPayment = done %v, %v", done, err)
	}
	if paid[0].PaidAt == nil || paid[1].PaidAt != nil || paid[1].ChargesPaid == 0 {
		t.Fatalf("fixture: paid installments %+v, %+v", paid[0], paid[1])
	}
	for _, in := range paid[:2] {
		saveInstallment(t, s, in)
	}
	mustTx(t, s, "InsertPayment", func(tx *store.Tx) error { return tx.InsertPayment(ctx, p) })
	expectInstallments(t, s, "paid", scope, l.ID, paid)

	// Clearing goes back to NULL.
	cleared := paid[0]
	cleared.PaidAt, cleared.MoraThrough, cleared.Status = nil, "", lending.InstallmentPending
	want = slices.Clone(paid)
	want[0] = saveInstallment(t, s, cleared)
	expectInstallments(t, s, "cleared", scope, l.ID, want)

	// The immutable columns are not written.
	moved := want[2]
	moved.Number, moved.DueDate, moved.Principal, moved.Interest, moved.LoanID = 99, "2099-01-01", 1, 1, ids.New("ln_")
	moved.CreatedAt = now.Add(time.Hour)
	saveInstallment(t, s, moved)
	expectInstallments(t, s, "after a save of changed immutable fields", scope, l.ID, want)

	// Scope: other scopes see none and cannot save them.
	for _, sc := range []lending.Scope{{PartnerID: scope.PartnerID, Environment: lending.EnvTest}, mustScope(t, s, lending.EnvLive)} {
		got, err := s.Installments(ctx, sc, l.ID)
		if err != nil || len(got) != 0 {
			t.Errorf("Installments(%v) = %d, %v; want none", sc, len(got), err)
		}
		moved := want[3]
		moved.Scope, moved.Status = sc, lending.InstallmentPaid
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.SaveInstallment(ctx, moved) })
		if !errors.Is(err, store.ErrNotFound) {
			t.Errorf("SaveInstallment in %v = %v, want ErrNotFound", sc, err)
		}
	}
	expectInstallments(t, s, "after saves in other scopes", scope, l.ID, want)
	for _, id := range []string{ids.New("ln_"), "'"} {
		expectInstallments(t, s, "unknown loan", scope, id, []lending.Installment{})
	}

	// Inserting nothing is fine; a taken number, an unknown loan or status fails, inserting none of the batch.
	insertInstallments(t, s, nil)
	other, _ := activeLoan(t, s, newLoanFixture(t, s, scope, now), now)
	fresh := func(loanID string, number int) lending.Installment {
		in := ins[0]
		in.ID, in.LoanID, in.Number = ids.New("tx_"), loanID, number
		return in
	}
	bad := map[string]lending.Installment{
		"taken number":   fresh(other.ID, 3),
		"taken id":       func() lending.Installment { in := fresh(other.ID, 50); in.ID = ins[0].ID; return in }(),
		"unknown loan":   fresh(ids.New("ln_"), 1),
		"unknown status": func() lending.Installment { in := fresh(other.ID, 51); in.Status = "waived"; return in }(),
	}
	for name, b := range bad {
		batch := []lending.Installment{fresh(other.ID, 40), b}
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertInstallments(ctx, batch) }); err == nil {
			t.Errorf("InsertInstallments(%s) succeeded, want an error", name)
		}
	}
	if got, err := s.Installments(ctx, scope, other.ID); err != nil || len(got) != 12 {
		t.Errorf("the other loan has %d installments (%v) after failed inserts, want 12", len(got), err)
	}
	expectInstallments(t, s, "the first loan after failed inserts elsewhere", scope, l.ID, want)

	// A long schedule goes in several statements.
	long := make([]lending.Installment, 250)
	for k := range long {
		long[k] = fresh(other.ID, 100+k)
	}
	insertInstallments(t, s, long)
	if got, err := s.Installments(ctx, scope, other.ID); err != nil || len(got) != 262 {
		t.Errorf("the other loan has %d installments (%v), want 262", len(got), err)
	}
}

// testListInstallments walks a loan's installments in number order with every page size, both ways.
func testListInstallments(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	l, ins := activeLoan(t, s, newLoanFixture(t, s, scope, t0), t0)
	otherLoan, otherIns := activeLoan(t, s, newLoanFixture(t, s, scope, t0), t0)
	walk := func(limit int, desc bool, after string) []lending.Installment {
		t.Helper()
		var all []lending.Installment
		page := store.Page{Limit: limit, Descending: desc, StartingAfter: after}
		for range 100 {
			items, hasMore, err := s.ListInstallments(ctx, scope, l.ID, page)
			if err != nil {
				t.Fatalf("ListInstallments(%+v): %v", page, err)
			}
			if len(items) > limit {
				t.Fatalf("ListInstallments(%+v) returned %d items, more than the limit", page, len(items))
			}
			all = append(all, items...)
			if !hasMore {
				return all
			}
			page.StartingAfter = items[len(items)-1].ID
		}
		t.Fatalf("ListInstallments with limit %d did not end", limit)
		return nil
	}
	for _, desc := range []bool{false, true} {
		want := slices.Clone(ins)
		if desc {
			slices.Reverse(want)
		}
		for _, limit := range []int{1, 2, 5, 11, 12, 100} {
			if diff := exactDiff(want, walk(limit, desc, "")); diff != "" {
				t.Errorf("limit %d, descending %v (-want +got):\n%s", limit, desc, diff)
			}
			if diff := exactDiff(want[4:], walk(limit, desc, want[3].ID)); diff != "" {
				t.Errorf("limit %d, descending %v, after the 4th (-want +got):\n%s", limit, desc, diff)
			}
		}
		if got := walk(3, desc, want[11].ID); len(got) != 0 {
			t.Errorf("after the last: %d items, want none", len(got))
		}
	}
	for _, tc := range []struct {
		name   string
		cursor string
	}{
		{"another loan's installment", otherIns[0].ID},
		{"unknown id", ids.New("tx_")},
		{"quote", "'"},
	} {
		_, _, err := s.ListInstallments(ctx, scope, l.ID, store.Page{Limit: 2, StartingAfter: tc.cursor})
		wantCode(t, tc.name, err, lending.CodeInvalidParameter)
	}
	for _, sc := range []lending.Scope{{PartnerID: scope.PartnerID, Environment: lending.EnvLive}, mustScope(t, s, lending.EnvTest)} {
		items, hasMore, err := s.ListInstallments(ctx, sc, l.ID, store.Page{Limit: 100})
		if err != nil || len(items) != 0 || hasMore {
			t.Errorf("ListInstallments(%v) = %d items, %v, %v; want none", sc, len(items), hasMore, err)
		}
		_, _, err = s.ListInstallments(ctx, sc, l.ID, store.Page{Limit: 2, StartingAfter: ins[0].ID})
		wantCode(t, "a cursor of another scope", err, lending.CodeInvalidParameter)
	}
	if _, _, err := s.ListInstallments(ctx, scope, otherLoan.ID, store.Page{Limit: 0}); err == nil {
		t.Errorf("ListInstallments with limit 0 succeeded, want an error")
	}
}

// testInstallmentsToAccrue: the arrears sweep selects the unpaid installments of active loans due before
// today whose mora is not accrued through today, in the scopes asked for, by loan and number.
func testInstallmentsToAccrue(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	p1, p2 := mustPartner(t, s, "P1", t0), mustPartner(t, s, "P2", t0)
	p1Live, p1Test := lending.Scope{PartnerID: p1.ID, Environment: lending.EnvLive}, lending.Scope{PartnerID: p1.ID, Environment: lending.EnvTest}
	p2Live, p2Test := lending.Scope{PartnerID: p2.ID, Environment: lending.EnvLive}, lending.Scope{PartnerID: p2.ID, Environment: lending.EnvTest}

	// Every loan is made at t0, so all have the same due dates; today is the fifth's.
	_, ins1 := activeLoan(t, s, newLoanFixture(t, s, p1Live, t0), t0)
	today := ins1[4].DueDate
	d, err := lending.ParseDate(today)
	if err != nil {
		t.Fatal(err)
	}
	yesterday := d.AddDays(-1).String()
	later := t0.Add(200 * 24 * time.Hour)
	set := func(in lending.Installment, st lending.InstallmentStatus, moraThrough string, paidAt *time.Time) lending.Installment {
		in.Status, in.MoraThrough, in.PaidAt, in.UpdatedAt = st, moraThrough, paidAt, later
		return saveInstallment(t, s, in)
	}
	ins1[0] = set(ins1[0], lending.InstallmentPaid, "", &later)                       // paid: out
	ins1[2] = set(ins1[2], lending.InstallmentOverdue, today, nil)                    // accrued through today: out
	ins1[3] = set(ins1[3], lending.InstallmentPartiallyPaid, yesterday, nil)          // accrued through yesterday: in
	ins1[1] = set(ins1[1], lending.InstallmentOverdue, d.AddDays(-30).String(), nil)  // in
	ins1[5] = set(ins1[5], lending.InstallmentOverdue, d.AddDays(-400).String(), nil) // due after today: out

	// A loan not active: none of its installments, though due.
	finished, _ := activeLoan(t, s, newLoanFixture(t, s, p1Live, t0), t0)
	finished, err = finished.Finish(later)
	if err != nil {
		t.Fatal(err)
	}
	saveLoan(t, s, finished)
	fp := newLoanFixture(t, s, p2Live, t0)
	processing := insertLoan(t, s, signAll(t, fp.loan(t, t0), t0))
	_, early := disburse(t, processing, fp.sim, t0) // installments stored while the loan is still processing
	insertInstallments(t, s, early)

	_, ins3 := activeLoan(t, s, newLoanFixture(t, s, p1Test, t0), t0)
	_, ins4 := activeLoan(t, s, newLoanFixture(t, s, p2Test, t0), t0)
	_, ins5 := activeLoan(t, s, newLoanFixture(t, s, p2Live, t0), t0)

	sel1 := []lending.Installment{ins1[1], ins1[3]}
	sortByLoan := func(groups ...[]lending.Installment) []lending.Installment {
		out := []lending.Installment{}
		for _, g := range groups {
			out = append(out, g...)
		}
		slices.SortFunc(out, func(a, b lending.Installment) int {
			return cmp.Or(cmp.Compare(a.LoanID, b.LoanID), cmp.Compare(a.Number, b.Number))
		})
		return out
	}
	all := sortByLoan(sel1, ins3[:4], ins4[:4], ins5[:4])
	for _, tc := range []struct {
		name  string
		a     store.AccrualScope
		limit int
		want  []lending.Installment
	}{
		{"every scope", store.AccrualScope{Today: today}, 100, all},
		{"every scope, limited", store.AccrualScope{Today: today}, 5, all[:5]},
		{"except P1's sandbox", store.AccrualScope{Today: today, ExceptTestOf: []string{p1.ID}}, 100, sortByLoan(sel1, ins4[:4], ins5[:4])},
		{"except both sandboxes", store.AccrualScope{Today: today, ExceptTestOf: []string{p1.ID, p2.ID, ids.New("partner_")}}, 100,
			sortByLoan(sel1, ins5[:4])},
		{"P1's sandbox", store.AccrualScope{Today: today, PartnerID: p1.ID}, 100, sortByLoan(ins3[:4])},
		{"P2's sandbox", store.AccrualScope{Today: today, PartnerID: p2.ID}, 100, sortByLoan(ins4[:4])},
		{"P2's sandbox (ExceptTestOf ignored)", store.AccrualScope{Today: today, PartnerID: p2.ID, ExceptTestOf: []string{p2.ID}}, 100,
			sortByLoan(ins4[:4])},
		{"an unknown partner's sandbox", store.AccrualScope{Today: today, PartnerID: ids.New("partner_")}, 100, []lending.Installment{}},
		{"on the first due date", store.AccrualScope{Today: ins1[0].DueDate}, 100, []lending.Installment{}},
		{"the day after the first due date", store.AccrualScope{Today: dayAfter(t, ins1[0].DueDate)}, 100,
			sortByLoan(ins3[:1], ins4[:1], ins5[:1])},
	} {
		mustTx(t, s, tc.name, func(tx *store.Tx) error {
			got, err := tx.InstallmentsToAccrue(ctx, tc.a, tc.limit)
			if err != nil {
				return err
			}
			if diff := exactDiff(tc.want, got); diff != "" {
				t.Errorf("%s: InstallmentsToAccrue (-want +got):\n%s", tc.name, diff)
			}
			return nil
		})
	}
	for _, bad := range []struct {
		a     store.AccrualScope
		limit int
	}{
		{store.AccrualScope{Today: today}, 0},
		{store.AccrualScope{}, 10},
		{store.AccrualScope{Today: "14/03/2025"}, 10},
	} {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.InstallmentsToAccrue(ctx, bad.a, bad.limit)
			return err
		})
		if err == nil {
			t.Errorf("InstallmentsToAccrue(%+v, %d) succeeded, want an error", bad.a, bad.limit)
		}
	}
}

// dayAfter returns the date after date (YYYY-MM-DD).
func dayAfter(t *testing.T, date string) string {
	t.Helper()
	d, err := lending.ParseDate(date)
	if err != nil {
		t.Fatal(err)
	}
	return d.AddDays(1).String()
}

// testPayments: a loan's payments in the order received, only in its scope; a payment needs its loan.
func testPayments(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvLive)
	l, _ := activeLoan(t, s, newLoanFixture(t, s, scope, t0), t0)
	other, _ := activeLoan(t, s, newLoanFixture(t, s, scope, t0), t0)
	pay := func(loanID string, amount finmath.Cents, number int, at time.Time) lending.Payment {
		p := lending.Payment{ID: ids.New("pay_"), Scope: scope, LoanID: loanID, Amount: amount, InstallmentNumber: number, PaidAt: at}
		mustTx(t, s, "InsertPayment", func(tx *store.Tx) error { return tx.InsertPayment(ctx, p) })
		return p
	}
	expect := func(what string, sc lending.Scope, loanID string, want []lending.Payment) {
		t.Helper()
		got, err := s.Payments(ctx, sc, loanID)
		if err != nil {
			t.Fatalf("%s: Payments: %v", what, err)
		}
		if diff := exactDiff(want, got); diff != "" {
			t.Errorf("%s: Payments (-want +got):\n%s", what, diff)
		}
		for k := range got {
			assertUTC(t, what+": PaidAt", &got[k].PaidAt)
		}
	}
	expect("none yet", scope, l.ID, []lending.Payment{})
	b := pay(l.ID, 12_345, 2, t0.Add(2*time.Hour+subSecond))
	a := pay(l.ID, 99_999_99, 1, t0.Add(time.Hour))
	c1 := pay(l.ID, 1, 3, t0.Add(3*time.Hour))
	c2 := pay(l.ID, 2, 3, t0.Add(3*time.Hour))
	o := pay(other.ID, 500, 1, t0)
	cs := []lending.Payment{c1, c2}
	slices.SortFunc(cs, func(x, y lending.Payment) int { return cmp.Compare(x.ID, y.ID) })
	expect("three", scope, l.ID, []lending.Payment{a, b, cs[0], cs[1]})
	expect("the other loan's", scope, other.ID, []lending.Payment{o})
	expect("other environment", lending.Scope{PartnerID: scope.PartnerID, Environment: lending.EnvTest}, l.ID, []lending.Payment{})
	expect("other partner", mustScope(t, s, lending.EnvLive), l.ID, []lending.Payment{})
	expect("unknown loan", scope, ids.New("ln_"), []lending.Payment{})
	for name, p := range map[string]lending.Payment{
		"unknown loan": {ID: ids.New("pay_"), Scope: scope, LoanID: ids.New("ln_"), Amount: 1, InstallmentNumber: 1, PaidAt: t0},
		"taken id":     {ID: a.ID, Scope: scope, LoanID: l.ID, Amount: 1, InstallmentNumber: 1, PaidAt: t0},
	} {
		if err := s.InTx(ctx, func(tx *store.Tx) error { return tx.InsertPayment(ctx, p) }); err == nil {
			t.Errorf("InsertPayment(%s) succeeded, want an error", name)
		}
	}
}

func newPixTransfer(t *testing.T, loanID string, amount finmath.Cents, acct lending.BankAccount, now time.Time) store.PixTransfer {
	t.Helper()
	return store.PixTransfer{E2EID: lending.NewE2EID("12345678", now), LoanID: loanID, Amount: amount, Account: acct,
		Status: store.PixTransferPending, CreatedAt: now, UpdatedAt: now}
}

// testPixTransfers: the sandbox rail's ledger records a transfer once per e2e, refuses a second transfer
// for one loan, and moves a transfer out of pending once.
func testPixTransfers(t *testing.T, e Engine) {
	ctx := testCtx(t)
	s, _ := open(t, e)
	scope := mustScope(t, s, lending.EnvTest)
	f := newLoanFixture(t, s, scope, t0)
	now := t0.Add(subSecond)
	count := func(loanID string) int {
		t.Helper()
		n, err := s.CountPixTransfers(ctx, loanID)
		if err != nil {
			t.Fatalf("CountPixTransfers: %v", err)
		}
		return n
	}
	expect := func(what string, want store.PixTransfer) {
		t.Helper()
		got, err := s.PixTransfer(ctx, want.E2EID)
		if err != nil {
			t.Errorf("%s: PixTransfer: %v", what, err)
		} else if diff := exactDiff(want, got); diff != "" {
			t.Errorf("%s: PixTransfer (-want +got):\n%s", what, diff)
		}
		for name, v := range map[string]*time.Time{"CreatedAt": &got.CreatedAt, "UpdatedAt": &got.UpdatedAt, "Account.CreatedAt": &got.Account.CreatedAt} {
			assertUTC(t, what+": "+name, v)
		}
	}
	loanID := ids.New("ln_") // the rail knows loans by id alone
	if n := count(loanID); n != 0 {
		t.Errorf("CountPixTransfers before any = %d", n)
	}
	tr := newPixTransfer(t, loanID, 1_000_000, f.acct, now)
	got, err := s.RecordPixTransfer(ctx, tr)
	if err != nil {
		t.Fatalf("RecordPixTransfer: %v", err)
	}
	if diff := exactDiff(tr, got); diff != "" {
		t.Errorf("RecordPixTransfer (-want +got):\n%s", diff)
	}
	expect("recorded", tr)

	again := tr
	again.Amount, again.CreatedAt, again.UpdatedAt = 1, now.Add(time.Hour), now.Add(time.Hour)
	got, err = s.RecordPixTransfer(ctx, again)
	if err != nil {
		t.Fatalf("RecordPixTransfer again: %v", err)
	} else if diff := exactDiff(tr, got); diff != "" {
		t.Errorf("RecordPixTransfer again returns (-want +got):\n%s", diff)
	}
	second := newPixTransfer(t, loanID, 1_000_000, f.acct, now.Add(time.Minute))
	if _, err := s.RecordPixTransfer(ctx, second); !errors.Is(err, store.ErrPixTransferConflict) {
		t.Errorf("RecordPixTransfer of a second e2e for the loan = %v, want ErrPixTransferConflict", err)
	}
	stolen := tr
	stolen.LoanID = ids.New("ln_")
	if _, err := s.RecordPixTransfer(ctx, stolen); !errors.Is(err, store.ErrPixTransferConflict) {
		t.Errorf("RecordPixTransfer of the e2e for another loan = %v, want ErrPixTransferConflict", err)
	}
	if _, err := s.PixTransfer(ctx, second.E2EID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PixTransfer(refused e2e) = %v, want ErrNotFound", err)
	}
	if n, m := count(loanID), count(stolen.LoanID); n != 1 || m != 0 {
		t.Errorf("CountPixTransfers = %d and %d, want 1 and 0", n, m)
	}
	expect("after refusals", tr)

	// Out of pending once.
	settledAt := now.Add(2 * time.Second)
	settled, err := s.SetPixTransferStatus(ctx, tr.E2EID, store.PixTransferSettled, "", settledAt)
	want := tr
	want.Status, want.UpdatedAt = store.PixTransferSettled, settledAt
	if err != nil {
		t.Errorf("SetPixTransferStatus(settled): %v", err)
	} else if diff := exactDiff(want, settled); diff != "" {
		t.Errorf("SetPixTransferStatus(settled) (-want +got):\n%s", diff)
	}
	got, err = s.SetPixTransferStatus(ctx, tr.E2EID, store.PixTransferFailed, "too late", settledAt.Add(time.Hour))
	if err != nil {
		t.Errorf("SetPixTransferStatus(failed) of a settled transfer: %v", err)
	} else if diff := exactDiff(want, got); diff != "" {
		t.Errorf("SetPixTransferStatus(failed) of a settled transfer (-want +got):\n%s", diff)
	}
	expect("settled", want)
	got, err = s.RecordPixTransfer(ctx, tr)
	if err != nil || got.Status != store.PixTransferSettled {
		t.Errorf("RecordPixTransfer of a settled transfer = %s, %v; want it settled", got.Status, err)
	}

	failing := newPixTransfer(t, ids.New("ln_"), 42, f.acct, now)
	failing.Status = ""
	rec, err := s.RecordPixTransfer(ctx, failing)
	if err != nil || rec.Status != store.PixTransferPending {
		t.Fatalf("RecordPixTransfer without a status = %s, %v; want pending", rec.Status, err)
	}
	failed, err := s.SetPixTransferStatus(ctx, failing.E2EID, store.PixTransferFailed, "conta 'inexistente' ?", now.Add(time.Second))
	wantFailed := rec
	wantFailed.Status, wantFailed.FailureReason, wantFailed.UpdatedAt = store.PixTransferFailed, "conta 'inexistente' ?", now.Add(time.Second)
	if err != nil {
		t.Errorf("SetPixTransferStatus(failed): %v", err)
	} else if diff := exactDiff(wantFailed, failed); diff != "" {
		t.Errorf("SetPixTransferStatus(failed) (-want +got):\n%s", diff)
	}
	got, err = s.SetPixTransferStatus(ctx, failing.E2EID, store.PixTransferSettled, "", now.Add(time.Hour))
	if err != nil || got.Status != store.PixTransferFailed {
		t.Errorf("SetPixTransferStatus(settled) of a failed transfer = %s, %v; want it failed", got.Status, err)
	}
	expect("failed", wantFailed)

	for _, status := range []string{store.PixTransferPending, "", "reversed"} {
		if _, err := s.SetPixTransferStatus(ctx, tr.E2EID, status, "", now); err == nil {
			t.Errorf("SetPixTransferStatus(%q) succeeded, want an error", status)
		}
	}
	if _, err := s.SetPixTransferStatus(ctx, "E"+ids.New(""), store.PixTransferSettled, "", now); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetPixTransferStatus(unknown) = %v, want ErrNotFound", err)
	}
	for _, e2e := range []string{"E" + ids.New(""), "'", ""} {
		if _, err := s.PixTransfer(ctx, e2e); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("PixTransfer(%q) = %v, want ErrNotFound", e2e, err)
		}
	}
	for name, bad := range map[string]store.PixTransfer{
		"no e2e":         {LoanID: ids.New("ln_"), Status: store.PixTransferPending},
		"no loan":        {E2EID: "E" + ids.New(""), Status: store.PixTransferPending},
		"unknown status": {E2EID: "E" + ids.New(""), LoanID: ids.New("ln_"), Status: "reversed"},
	} {
		if _, err := s.RecordPixTransfer(ctx, bad); err == nil {
			t.Errorf("RecordPixTransfer(%s) succeeded, want an error", name)
		}
	}
}

// testPixTransfersConcurrent: 10 goroutines record one transfer at once: one row results and every
// caller gets it; 10 goroutines recording different e2e ids for one loan: one wins, the rest are refused.
func testPixTransfersConcurrent(t *testing.T, e Engine) {
	const n = 10
	ctx := testCtx(t)
	s, _ := open(t, e)
	f := newLoanFixture(t, s, mustScope(t, s, lending.EnvTest), t0)
	tr := newPixTransfer(t, ids.New("ln_"), 777, f.acct, t0)
	got := make([]store.PixTransfer, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			got[i], errs[i] = s.RecordPixTransfer(ctx, tr)
		})
	}
	close(start)
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("caller #%d: %v", i, errs[i])
		} else if diff := exactDiff(tr, got[i]); diff != "" {
			t.Errorf("caller #%d (-want +got):\n%s", i, diff)
		}
	}
	if c, err := s.CountPixTransfers(ctx, tr.LoanID); err != nil || c != 1 {
		t.Errorf("CountPixTransfers = %d, %v; want 1", c, err)
	}

	loanID := ids.New("ln_")
	start = make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			other := newPixTransfer(t, loanID, 777, f.acct, t0)
			got[i], errs[i] = s.RecordPixTransfer(ctx, other)
		})
	}
	close(start)
	wg.Wait()
	ok := 0
	for i := range n {
		switch {
		case errs[i] == nil:
			ok++
		case !errors.Is(errs[i], store.ErrPixTransferConflict):
			t.Errorf("caller #%d: %v, want ErrPixTransferConflict", i, errs[i])
		}
	}
	if c, err := s.CountPixTransfers(ctx, loanID); ok != 1 || err != nil || c != 1 {
		t.Errorf("%d callers recorded a transfer for one loan, ledger count %d (%v); want 1 and 1", ok, c, err)
	}
}
