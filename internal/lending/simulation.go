package lending

import (
	"fmt"
	"math/big"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/ids"
)

// Brasilia is the time zone dates are reckoned in (no daylight saving time since 2019).
var Brasilia = time.FixedZone("BRT", -3*60*60)

// ScheduleItem is one installment of a simulation's schedule.
type ScheduleItem struct {
	Number    int           `json:"number"`
	DueDate   string        `json:"due_date"`
	Amount    finmath.Cents `json:"amount"`
	Interest  finmath.Cents `json:"interest"`
	Principal finmath.Cents `json:"principal"`
	Balance   finmath.Cents `json:"balance"`
}

// Simulation is the priced proposal of a loan on an offer (contract.md §6.3). It is immutable and keeps
// the whole schedule, so the loan made from it repays exactly what was shown.
type Simulation struct {
	ID            string
	Scope         Scope
	CreditOfferID string
	CustomerID    string
	// Requested is what the borrower receives; Principal = Requested + Fee + IOF is what is financed.
	Requested, Principal, Interest, IOF, Fee, Total finmath.Cents
	// Rates are percents: MonthlyRate is the offer's; the others are published with 2 decimals.
	MonthlyRate, AnnualRate, MonthlyCET, AnnualCET string
	InstallmentCount                               int
	// InstallmentAmount is the level installment (the last one may differ by centavos: it absorbs the
	// rounding residual).
	InstallmentAmount finmath.Cents
	FirstDueDate      string
	// DisbursementDate is the date the schedule, IOF and CET are computed from.
	DisbursementDate string
	Schedule         []ScheduleItem
	CreatedAt        time.Time
}

// DueDates returns the due dates of n monthly installments for a loan released on d0: the first 30
// days after d0, each later one a month after the first, every one moved to the next business day.
func DueDates(d0 finmath.Date, n int) []finmath.Date {
	first := d0.AddDays(30)
	out := make([]finmath.Date, n)
	for k := range n {
		out[k] = finmath.NextBusinessDay(first.AddMonths(k))
	}
	return out
}

// Fee returns the taxa de cadastro of requested under terms t: FeeRate of the amount, rounded half-up,
// bounded by FeeMin and FeeMax.
func (t CreditTerms) Fee(requested finmath.Cents) (finmath.Cents, error) {
	r, err := finmath.ParsePercent(t.FeeRate)
	if err != nil {
		return 0, fmt.Errorf("lending: fee rate %q: %w", t.FeeRate, err)
	}
	fee, err := finmath.RoundHalfUp(new(big.Rat).Mul(requested.Rat(), r.Rat()))
	if err != nil {
		return 0, err
	}
	return min(max(fee, t.FeeMin), max(t.FeeMax, t.FeeMin)), nil
}

// Simulate prices requested (what the borrower is to receive) in count monthly installments on offer o
// at now, with IOF from table (contract.md §6.3, domain.md §5):
//   - the fee (taxa de cadastro) and the IOF are financed: the principal is requested + fee grossed up so
//     that it also pays its own IOF (finmath.FinancedIOF), for the offer's IOF regime;
//   - the schedule is Price at the offer's monthly rate, due dates from DueDates(today in Brasília);
//   - the annual rate is (1+i)^12 − 1; the CET is the IRR over calendar days / 365 of the requested
//     amount against the installments, and its monthly equivalent; rates published half-even to 2
//     decimals.
//
// Errors: CodeOfferExpired, CodeOfferAlreadyAccepted, CodeAmountOutOfRange (outside [min_amount,
// approved_amount]), CodeInvalidInstallmentCount.
func Simulate(o CreditOffer, requested finmath.Cents, count int, now time.Time, table finmath.IOFTable) (Simulation, error) {
	if err := o.Usable(now); err != nil {
		return Simulation{}, err
	}
	if requested < o.MinAmount || requested > o.ApprovedAmount {
		return Simulation{}, FieldErrorf(CodeAmountOutOfRange, "requested_amount",
			"requested_amount must be from min_amount %s to approved_amount %s", o.MinAmount, o.ApprovedAmount)
	}
	if !o.AllowsInstallments(count) {
		want := fmt.Sprintf("exactly %d", o.Installments)
		if o.Installments == 0 {
			want = fmt.Sprintf("from %d to %d", o.MinInstallments, o.MaxInstallments)
		}
		return Simulation{}, FieldErrorf(CodeInvalidInstallmentCount, "installment_count",
			"this offer takes %s installments, not %d", want, count)
	}
	monthly, err := ParseMonthlyRate(o.MonthlyRate)
	if err != nil {
		return Simulation{}, err
	}
	fee, err := o.Fee(requested)
	if err != nil {
		return Simulation{}, err
	}
	d0 := finmath.DateOf(now.In(Brasilia))
	dues := DueDates(d0, count)
	fin, err := finmath.FinancedIOF(requested+fee, monthly, dues, d0, o.IOFRegime.BorrowerKind(), table)
	if err != nil {
		return Simulation{}, fmt.Errorf("lending: simulate: %w", err)
	}
	flows, err := fin.Schedule.Flows(dues)
	if err != nil {
		return Simulation{}, err
	}
	cet, err := finmath.CET(requested, flows, d0)
	if err != nil {
		return Simulation{}, fmt.Errorf("lending: CET: %w", err)
	}
	cetMonthly, err := finmath.MonthlyEquivalent(cet)
	if err != nil {
		return Simulation{}, err
	}
	annual, err := finmath.AnnualFromMonthly(monthly)
	if err != nil {
		return Simulation{}, err
	}
	s := Simulation{
		ID: ids.New("sim_"), Scope: o.Scope, CreditOfferID: o.ID, CustomerID: o.CustomerID,
		Requested: requested, Principal: fin.Gross, Interest: fin.Schedule.TotalInterest, IOF: fin.IOF, Fee: fee,
		Total: fin.Schedule.TotalPaid, MonthlyRate: o.MonthlyRate, AnnualRate: annual.PercentHalfEven(2),
		MonthlyCET: cetMonthly.PercentHalfEven(2), AnnualCET: cet.PercentHalfEven(2),
		InstallmentCount: count, InstallmentAmount: fin.Schedule.PMT, FirstDueDate: dues[0].String(),
		DisbursementDate: d0.String(), Schedule: make([]ScheduleItem, count),
		CreatedAt: now.UTC().Truncate(time.Second),
	}
	for k, row := range fin.Schedule.Rows {
		s.Schedule[k] = ScheduleItem{Number: row.Number, DueDate: dues[k].String(), Amount: row.Installment,
			Interest: row.Interest, Principal: row.Amortization, Balance: row.Balance}
	}
	return s, nil
}
