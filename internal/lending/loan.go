package lending

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/ids"
)

// LoanStatus is where a loan is (contract.md §7.4).
type LoanStatus string

// Loan states: awaiting_signatures → processing → active → finished; cancelled (never fully signed) and
// error (the disbursement failed) end it early.
const (
	LoanAwaitingSignatures LoanStatus = "awaiting_signatures"
	LoanProcessing         LoanStatus = "processing"
	LoanActive             LoanStatus = "active"
	LoanFinished           LoanStatus = "finished"
	LoanCancelled          LoanStatus = "cancelled"
	LoanError              LoanStatus = "error"
)

// Loan event types.
const (
	EventLoanCreated           = "loan.created"
	EventLoanSignatureReceived = "loan.signature_received"
	EventLoanProcessing        = "loan.processing"
	EventLoanActive            = "loan.active"
	EventLoanPaymentReceived   = "loan.payment_received"
	EventLoanFinished          = "loan.finished"
	EventLoanCancelled         = "loan.cancelled"
	EventLoanError             = "loan.error"
)

// Signer is a person who must sign a loan's CCB, and the record of the signature once made.
type Signer struct {
	CPF  CPF         `json:"cpf"`
	Name string      `json:"name"`
	Role SubjectType `json:"role"`
	// Email is where the signature request goes (the co-owner's e-mail from KYC, if sent).
	Email string `json:"email,omitempty"`
	// SignedAt, IP, UserAgent and DocumentSHA256 record the signature: when, from where, with what, on
	// which exact document.
	SignedAt       *time.Time `json:"signed_at,omitempty"`
	IP             string     `json:"ip,omitempty"`
	UserAgent      string     `json:"user_agent,omitempty"`
	DocumentSHA256 string     `json:"document_sha256,omitempty"`
}

// LoanFailure is why a loan ended in error.
type LoanFailure struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Loan is credit taken on an offer, exactly as its simulation priced it.
type Loan struct {
	ID            string
	Scope         Scope
	CustomerID    string
	CreditOfferID string
	SimulationID  string
	Status        LoanStatus
	// The terms, copied from the simulation.
	Requested, Principal, IOF, Total               finmath.Cents
	MonthlyRate, AnnualRate, MonthlyCET, AnnualCET string
	InstallmentCount                               int
	InstallmentAmount                              finmath.Cents
	FirstDueDate                                   string
	// CCBNumber names the contract; CCBKey and CCBSHA256 locate and fingerprint its PDF.
	CCBNumber, CCBKey, CCBSHA256 string
	// SigningToken is the capability in the hosted signing page's address; cleared once all have signed.
	SigningToken string
	Signers      []Signer
	// SignBy is when an unsigned loan is cancelled.
	SignBy time.Time
	// Account is where the money goes.
	Account BankAccount
	// DisbursementE2E is the Pix end-to-end id of the one transfer this loan makes, chosen when the loan
	// goes to processing, so every retry asks the rail for the same transfer.
	DisbursementE2E    string
	DisbursementMethod string
	DisbursedAt        *time.Time
	Failure            *LoanFailure
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

// NewLoanInput is what a partner sends to take a loan (contract.md §5.20).
type NewLoanInput struct {
	CreditOfferID, SimulationID string
	InstallmentCount            int
	InstallmentAmount           finmath.Cents
	FirstDueDate                string
}

// LoanTerms are what NewLoan needs besides the partner's input.
type LoanTerms struct {
	Number       string
	SignFor      time.Duration
	SigningToken string
}

// NewLoan takes a loan on offer o as simulated by sim for customer c, to be disbursed to account, at now.
// The input's three echoed fields must match the simulation, and the simulation must be of today (its
// schedule, IOF and CET are priced from its date) (CodeSimulationMismatch); the offer must be
// usable (CodeOfferExpired, CodeOfferAlreadyAccepted); the customer active (CodeCustomerNotActive) with
// an account (CodeBankAccountRequired). The signers are the applicant and every co-owner KYC knows.
func NewLoan(in NewLoanInput, o CreditOffer, sim Simulation, c Customer, account *BankAccount, t LoanTerms, now time.Time) (Loan, error) {
	if sim.CreditOfferID != o.ID {
		return Loan{}, FieldErrorf(CodeSimulationMismatch, "simulation_id", "simulation %s was made on another credit offer", sim.ID)
	}
	var mismatch []FieldError
	if in.InstallmentCount != sim.InstallmentCount {
		mismatch = append(mismatch, FieldError{Param: "installment_count", Code: CodeSimulationMismatch,
			Detail: fmt.Sprintf("the simulation has %d installments", sim.InstallmentCount)})
	}
	if in.InstallmentAmount != sim.InstallmentAmount {
		mismatch = append(mismatch, FieldError{Param: "installment_amount", Code: CodeSimulationMismatch,
			Detail: "the simulation's installment is " + string(Reais(sim.InstallmentAmount))})
	}
	if in.FirstDueDate != sim.FirstDueDate {
		mismatch = append(mismatch, FieldError{Param: "first_due_date", Code: CodeSimulationMismatch,
			Detail: "the simulation's first due date is " + sim.FirstDueDate})
	}
	if len(mismatch) > 0 {
		return Loan{}, &Error{Code: CodeSimulationMismatch, Fields: mismatch,
			Detail: "installment_count, installment_amount and first_due_date must match the simulation exactly"}
	}
	if err := o.Usable(now); err != nil {
		return Loan{}, err
	}
	if today := finmath.DateOf(now.In(Brasilia)).String(); sim.DisbursementDate != today {
		// The schedule, IOF and CET were priced from the simulation's date; a loan taken on another day
		// would not repay what they say.
		return Loan{}, FieldErrorf(CodeSimulationMismatch, "simulation_id",
			"simulation %s was priced on %s; simulate again today (%s) to take the loan", sim.ID, sim.DisbursementDate, today)
	}
	if c.Status != CustomerActive {
		return Loan{}, Errorf(CodeCustomerNotActive, "customer %s is %s; a loan needs an active customer", c.ID, c.Status)
	}
	if account == nil {
		return Loan{}, Errorf(CodeBankAccountRequired,
			"customer %s has no bank account to receive the money; POST /customers/%s/bank-account first", c.ID, c.ID)
	}
	now = now.UTC().Truncate(time.Microsecond)
	l := Loan{
		ID: ids.New("ln_"), Scope: o.Scope, CustomerID: c.ID, CreditOfferID: o.ID, SimulationID: sim.ID,
		Status: LoanAwaitingSignatures, Requested: sim.Requested, Principal: sim.Principal, IOF: sim.IOF, Total: sim.Total,
		MonthlyRate: sim.MonthlyRate, AnnualRate: sim.AnnualRate, MonthlyCET: sim.MonthlyCET, AnnualCET: sim.AnnualCET,
		InstallmentCount: sim.InstallmentCount, InstallmentAmount: sim.InstallmentAmount, FirstDueDate: sim.FirstDueDate,
		CCBNumber: t.Number, SigningToken: t.SigningToken, SignBy: now.Add(t.SignFor), Account: *account,
		Signers: SignersOf(c), CreatedAt: now, UpdatedAt: now,
	}
	return l, nil
}

// SignersOf returns who signs a customer's CCB: the applicant, then each co-owner, with the e-mails KYC
// collected.
func SignersOf(c Customer) []Signer {
	var out []Signer
	emails := map[string]string{}
	for _, r := range c.KYC {
		if r.Type == ReqEmail && r.Subject != nil && r.Submitted != nil && r.Submitted.ReviewStatus != ReviewRejected {
			for _, a := range r.Submitted.Attachments {
				if a.Value != "" {
					emails[r.Subject.ID] = a.Value
				}
			}
		}
	}
	seen := map[CPF]bool{}
	for _, r := range c.KYC {
		s := r.Subject
		if s == nil || seen[s.CPF] {
			continue
		}
		seen[s.CPF] = true
		sg := Signer{CPF: s.CPF, Name: s.Name, Role: s.Type, Email: emails[s.ID]}
		if s.Type == SubjectApplicant {
			sg.Email = c.Email
		}
		out = append(out, sg)
	}
	slices.SortStableFunc(out, func(a, b Signer) int {
		if a.Role == b.Role {
			return 0
		}
		if a.Role == SubjectApplicant {
			return -1
		}
		return 1
	})
	return out
}

func (l Loan) require(action string, st LoanStatus) error {
	if l.Status != st {
		return Errorf(CodeInvalidLoanState, "cannot %s: loan %s is %s (this needs %s)", action, l.ID, l.Status, st)
	}
	return nil
}

// SignaturesReceived counts the signatures made.
func (l Loan) SignaturesReceived() int {
	n := 0
	for _, s := range l.Signers {
		if s.SignedAt != nil {
			n++
		}
	}
	return n
}

// Signature is the evidence of one e-signature.
type Signature struct {
	CPF            CPF
	IP, UserAgent  string
	DocumentSHA256 string
}

// Sign records sig at now and returns the loan and the signer. The loan must await signatures; the CPF
// must be a signer who has not signed (CodeSignerNotFound); the document must be the loan's CCB (its
// hash). The last signature moves the loan to processing: Pix disbursement to the account, with e2e
// the end-to-end id of its one transfer.
func (l Loan) Sign(sig Signature, e2e string, now time.Time) (Loan, Signer, error) {
	if err := l.require("sign", LoanAwaitingSignatures); err != nil {
		return l, Signer{}, err
	}
	if sig.DocumentSHA256 != l.CCBSHA256 {
		return l, Signer{}, Errorf(CodeInvalidLoanState, "the signed document is not loan %s's current CCB", l.ID)
	}
	i := slices.IndexFunc(l.Signers, func(s Signer) bool { return s.CPF == sig.CPF })
	if i < 0 || l.Signers[i].SignedAt != nil {
		return l, Signer{}, FieldErrorf(CodeSignerNotFound, "signer_cpf", "%s is not a signer of loan %s who still has to sign", sig.CPF.Format(), l.ID)
	}
	now = now.UTC().Truncate(time.Second)
	l.Signers = slices.Clone(l.Signers)
	s := l.Signers[i]
	s.SignedAt, s.IP, s.UserAgent, s.DocumentSHA256 = &now, sig.IP, truncate(sig.UserAgent, 512), sig.DocumentSHA256
	l.Signers[i] = s
	l.UpdatedAt = now
	if l.SignaturesReceived() == len(l.Signers) {
		l.Status, l.SigningToken, l.DisbursementMethod, l.DisbursementE2E = LoanProcessing, "", "pix", e2e
	}
	return l, s, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// PendingSigners returns the CPFs still to sign.
func (l Loan) PendingSigners() []CPF {
	var out []CPF
	for _, s := range l.Signers {
		if s.SignedAt == nil {
			out = append(out, s.CPF)
		}
	}
	return out
}

// Cancel cancels a loan still awaiting signatures at now: when its time to sign has run out, or at once
// when force (CodeInvalidLoanState otherwise).
func (l Loan) Cancel(now time.Time, force bool) (Loan, error) {
	if err := l.require("cancel", LoanAwaitingSignatures); err != nil {
		return l, err
	}
	if !force && now.Before(l.SignBy) {
		return l, Errorf(CodeInvalidLoanState, "loan %s can still be signed until %d", l.ID, l.SignBy.Unix())
	}
	l.Status, l.SigningToken, l.UpdatedAt = LoanCancelled, "", now.UTC().Truncate(time.Microsecond)
	return l, nil
}

// Disbursed records the settled transfer at now: the loan is active and its installments, one per row of
// sim's schedule, are returned.
func (l Loan) Disbursed(sim Simulation, now time.Time) (Loan, []Installment, error) {
	if err := l.require("settle the disbursement", LoanProcessing); err != nil {
		return l, nil, err
	}
	if sim.ID != l.SimulationID || len(sim.Schedule) != l.InstallmentCount {
		return l, nil, fmt.Errorf("lending: loan %s: simulation %s does not match", l.ID, sim.ID)
	}
	now = now.UTC().Truncate(time.Microsecond)
	l.Status, l.DisbursedAt, l.UpdatedAt = LoanActive, &now, now
	out := make([]Installment, len(sim.Schedule))
	for k, row := range sim.Schedule {
		out[k] = Installment{ID: ids.New("tx_"), Scope: l.Scope, LoanID: l.ID, Number: row.Number, DueDate: row.DueDate,
			Principal: row.Principal, Interest: row.Interest, Status: InstallmentPending, CreatedAt: now, UpdatedAt: now}
	}
	return l, out, nil
}

// DisbursementFailed ends a processing loan in error at now.
func (l Loan) DisbursementFailed(message string, now time.Time) (Loan, error) {
	if err := l.require("fail the disbursement", LoanProcessing); err != nil {
		return l, err
	}
	l.Status, l.UpdatedAt = LoanError, now.UTC().Truncate(time.Microsecond)
	l.Failure = &LoanFailure{Code: "disbursement_failed", Message: message}
	return l, nil
}

// InstallmentStatus is where an installment is (contract.md §7.5).
type InstallmentStatus string

// Installment states: pending until due; overdue once late with nothing paid; partially_paid once
// something but not all is paid (late or not: days_overdue says how late); paid.
const (
	InstallmentPending       InstallmentStatus = "pending"
	InstallmentPaid          InstallmentStatus = "paid"
	InstallmentOverdue       InstallmentStatus = "overdue"
	InstallmentPartiallyPaid InstallmentStatus = "partially_paid"
)

// Installment is one scheduled payment of a loan (a Transaction on the wire). Late charges (a fine once,
// juros de mora daily) accrue on its unpaid principal and interest once it is overdue.
type Installment struct {
	ID      string
	Scope   Scope
	LoanID  string
	Number  int
	DueDate string
	// Principal and Interest are the schedule's; Fine and Mora the late charges accrued.
	Principal, Interest, Fine, Mora finmath.Cents
	// Juros de mora are computed per period of constant unpaid balance: MoraSettled is the mora of the
	// periods a payment closed, MoraSince the first day of the open one ("" before the installment is
	// late). Mora = MoraSettled + the open period's mora, recomputed whole at each accrual, so the total
	// does not depend on how often accruals run.
	MoraSettled finmath.Cents
	MoraSince   string
	// What was paid of each part.
	PrincipalPaid, InterestPaid, ChargesPaid finmath.Cents
	Status                                   InstallmentStatus
	DaysOverdue                              int
	// MoraThrough is the last date juros de mora were accrued through ("" before any).
	MoraThrough string
	PaidAt      *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Fees are the late charges accrued.
func (in Installment) Fees() finmath.Cents { return in.Fine + in.Mora }

// AmountDue is principal + interest + late charges.
func (in Installment) AmountDue() finmath.Cents { return in.Principal + in.Interest + in.Fees() }

// AmountPaid is what was paid towards it.
func (in Installment) AmountPaid() finmath.Cents {
	return in.PrincipalPaid + in.InterestPaid + in.ChargesPaid
}

// AmountRemaining is what is still owed.
func (in Installment) AmountRemaining() finmath.Cents { return in.AmountDue() - in.AmountPaid() }

// unpaidBase is the principal and interest still owed: what late charges accrue on.
func (in Installment) unpaidBase() finmath.Cents {
	return in.Principal - in.PrincipalPaid + in.Interest - in.InterestPaid
}

// LateTerms are the late-payment terms of a loan: the fine and the monthly juros de mora, as fractions.
type LateTerms struct {
	Fine, MoraMonthly finmath.Rate
}

// DefaultLateTerms are the market standard the CCB states: a 2% fine and 1% a month (domain.md §5.7).
func DefaultLateTerms() LateTerms {
	return LateTerms{Fine: finmath.MustPercent("2"), MoraMonthly: finmath.MustPercent("1")}
}

// Accrue brings an unpaid installment's arrears up to today (a date in Brasília): once today is past the
// due date it is overdue; the fine is charged once, on the principal and interest then unpaid; juros de
// mora accrue simple, pro rata die (1/30 of the monthly rate a day), on the principal and interest
// unpaid, from the due date: each period of constant balance (payments start a new one) is computed
// whole and rounded half-up to the centavo, so daily accruals add up to the same as one. It reports
// whether anything changed.
func (in Installment) Accrue(today finmath.Date, t LateTerms, now time.Time) (Installment, bool, error) {
	if in.Status == InstallmentPaid {
		return in, false, nil
	}
	due, err := ParseDate(in.DueDate)
	if err != nil {
		return in, false, err
	}
	days := today.DaysSince(due)
	if days <= 0 {
		return in, false, nil
	}
	before := in
	base := in.unpaidBase()
	if in.MoraSince == "" {
		c, err := finmath.LateCharges(base, 1, t.Fine, finmath.Rate{})
		if err != nil {
			return in, false, err
		}
		in.Fine, in.MoraSince = c.Fine, in.DueDate
	}
	since, err := ParseDate(in.MoraSince)
	if err != nil {
		return in, false, err
	}
	open, err := finmath.LateCharges(base, max(today.DaysSince(since), 0), finmath.Rate{}, t.MoraMonthly)
	if err != nil {
		return in, false, err
	}
	in.Mora, in.MoraThrough, in.DaysOverdue = in.MoraSettled+open.Mora, today.String(), days
	if in.AmountPaid() == 0 {
		in.Status = InstallmentOverdue
	}
	if in != before {
		in.UpdatedAt = now.UTC().Truncate(time.Microsecond)
		return in, true, nil
	}
	return in, false, nil
}

// closeMoraPeriod ends the open mora period where it was last accrued, before a payment changes the
// unpaid balance (the payment path accrues to the payment's day first): the mora so far is settled and a
// new period starts there.
func (in *Installment) closeMoraPeriod() {
	if in.MoraSince == "" || in.MoraThrough == "" {
		return
	}
	in.MoraSettled, in.MoraSince = in.Mora, in.MoraThrough
}

// ParseDate reads a YYYY-MM-DD date.
func ParseDate(s string) (finmath.Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return finmath.Date{}, fmt.Errorf("lending: date %q: %w", s, err)
	}
	return finmath.DateOf(t), nil
}

// Payment is money received for a loan.
type Payment struct {
	ID     string
	Scope  Scope
	LoanID string
	Amount finmath.Cents
	// InstallmentNumber is the first installment the payment went to.
	InstallmentNumber int
	PaidAt            time.Time
}

// ApplyPayment allocates amount received at now over an active loan's installments (in installment
// order): each installment, oldest open first, takes late charges, then interest, then principal, until
// the money runs out. A payment larger than everything still owed is refused
// (CodePaymentExceedsBalance): the rail returns it whole rather than the platform keeping a credit. It
// returns the changed installments (all of them, updated), the payment, and whether the loan is now
// fully paid.
func (l Loan) ApplyPayment(ins []Installment, amount finmath.Cents, now time.Time) ([]Installment, Payment, bool, error) {
	if err := l.require("receive a payment", LoanActive); err != nil {
		return nil, Payment{}, false, err
	}
	if amount <= 0 {
		return nil, Payment{}, false, FieldErrorf(CodeInvalidField, "amount", "amount must be positive")
	}
	var owed finmath.Cents
	for _, in := range ins {
		owed += in.AmountRemaining()
	}
	if amount > owed {
		return nil, Payment{}, false, FieldErrorf(CodePaymentExceedsBalance, "amount",
			"loan %s owes %s in all; a payment of %s is more than that", l.ID, Reais(owed), Reais(amount))
	}
	now = now.UTC().Truncate(time.Second)
	out := slices.Clone(ins)
	slices.SortFunc(out, func(a, b Installment) int { return a.Number - b.Number })
	p := Payment{ID: ids.New("pay_"), Scope: l.Scope, LoanID: l.ID, Amount: amount, PaidAt: now}
	left := amount
	for k := range out {
		in := &out[k]
		if left == 0 {
			break
		}
		if in.AmountRemaining() == 0 {
			continue
		}
		if p.InstallmentNumber == 0 {
			p.InstallmentNumber = in.Number
		}
		in.closeMoraPeriod()
		take := func(owed finmath.Cents, paid *finmath.Cents) {
			x := min(left, owed-*paid)
			*paid += x
			left -= x
		}
		take(in.Fees(), &in.ChargesPaid)
		take(in.Interest, &in.InterestPaid)
		take(in.Principal, &in.PrincipalPaid)
		in.UpdatedAt = now
		if in.AmountRemaining() == 0 {
			in.Status, in.PaidAt = InstallmentPaid, &now
		} else {
			in.Status = InstallmentPartiallyPaid // late or not: days_overdue says how late
		}
	}
	done := !slices.ContainsFunc(out, func(in Installment) bool { return in.AmountRemaining() > 0 })
	return out, p, done, nil
}

// Finish marks a fully paid loan finished at now.
func (l Loan) Finish(now time.Time) (Loan, error) {
	if err := l.require("finish", LoanActive); err != nil {
		return l, err
	}
	l.Status, l.UpdatedAt = LoanFinished, now.UTC().Truncate(time.Microsecond)
	return l, nil
}

// NewE2EID returns a Pix end-to-end id (domain.md §5.9): "E", the payer's 8-digit ISPB, the UTC
// minute yyyyMMddHHmm, and 11 random alphanumerics: 32 characters.
func NewE2EID(ispb string, now time.Time) string {
	return "E" + ispb + now.UTC().Format("200601021504") + strings.ToUpper(ids.Secret("", 11))
}
