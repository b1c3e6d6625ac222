package finmath

import (
	"errors"
	"fmt"
	"math/big"
)

// MaxInstallments bounds n in PriceSchedule; the exact power (1+i)^n grows
// with n and no product of the domain exceeds it.
const MaxInstallments = 600

// Row is one installment of a Schedule.
type Row struct {
	Number       int   // 1-based installment number
	Installment  Cents // amount due: Interest + Amortization
	Interest     Cents // interest of the period, rounded half-up
	Amortization Cents // principal repaid by this installment
	Balance      Cents // outstanding principal after this installment
}

// Schedule is a Price (French) amortization schedule with its totals.
type Schedule struct {
	Principal         Cents // financed principal PV
	Rate              Rate  // periodic (monthly) rate
	PMT               Cents // level installment (every row but possibly the last)
	Rows              []Row
	TotalPaid         Cents // Σ Installment
	TotalInterest     Cents // Σ Interest
	TotalAmortization Cents // Σ Amortization; always equals Principal
}

// ErrInvalidSchedule is returned (wrapped) by PriceSchedule for bad input.
var ErrInvalidSchedule = errors.New("finmath: invalid schedule input")

// PriceSchedule builds the Price schedule of domain.md §5.1 for principal
// (> 0), periodic rate monthly (≥ 0) and n installments (1..MaxInstallments).
//
// Rounding (domain.md §5.1): PMT = PV·i/(1−(1+i)^−n) is computed exactly and
// rounded half-up to cents (PV/n when i = 0); each period's interest
// SD_{k−1}·i is rounded half-up to cents; amortization = PMT − interest; the
// last installment absorbs the residual: its amortization is the whole
// remaining balance and its installment is interest + that balance, so the
// final balance is exactly 0 and the amortizations sum to the principal.
//
// It returns an error wrapping ErrInvalidSchedule for invalid input, or an
// error if an intermediate balance would go negative (not reachable for
// realistic inputs) or overflow.
func PriceSchedule(principal Cents, monthly Rate, n int) (Schedule, error) {
	switch {
	case principal <= 0:
		return Schedule{}, fmt.Errorf("%w: principal %s must be positive", ErrInvalidSchedule, principal)
	case monthly.Sign() < 0:
		return Schedule{}, fmt.Errorf("%w: rate %s must not be negative", ErrInvalidSchedule, monthly)
	case n < 1 || n > MaxInstallments:
		return Schedule{}, fmt.Errorf("%w: n %d must be in 1..%d", ErrInvalidSchedule, n, MaxInstallments)
	}
	i := monthly.rat()
	pv := principal.Rat()
	var pmtExact *big.Rat
	if i.Sign() == 0 {
		pmtExact = new(big.Rat).Quo(pv, big.NewRat(int64(n), 1))
	} else {
		f := powRat(new(big.Rat).Add(big.NewRat(1, 1), i), n) // (1+i)^n
		den := new(big.Rat).Sub(f, big.NewRat(1, 1))
		pmtExact = new(big.Rat).Mul(pv, i)
		pmtExact.Mul(pmtExact, f)
		pmtExact.Quo(pmtExact, den)
	}
	pmt, err := RoundHalfUp(pmtExact)
	if err != nil {
		return Schedule{}, err
	}
	s := Schedule{Principal: principal, Rate: RateFromRat(i), PMT: pmt, Rows: make([]Row, 0, n)}
	balance := principal
	for k := 1; k <= n; k++ {
		interest, err := RoundHalfUp(new(big.Rat).Mul(balance.Rat(), i))
		if err != nil {
			return Schedule{}, err
		}
		amort := pmt - interest
		if k == n {
			amort = balance
		}
		if amort > balance {
			return Schedule{}, fmt.Errorf("finmath: schedule balance would go negative at installment %d", k)
		}
		balance -= amort
		row := Row{Number: k, Installment: interest + amort, Interest: interest, Amortization: amort, Balance: balance}
		s.Rows = append(s.Rows, row)
		s.TotalPaid += row.Installment
		s.TotalInterest += row.Interest
		s.TotalAmortization += row.Amortization
	}
	return s, nil
}

// Amortizations pairs each row's amortization with the due date at the same
// index, as input to IOF. It returns an error if len(dues) differs from the
// number of rows.
func (s Schedule) Amortizations(dues []Date) ([]Amortization, error) {
	if len(dues) != len(s.Rows) {
		return nil, fmt.Errorf("finmath: %d due dates for %d installments", len(dues), len(s.Rows))
	}
	out := make([]Amortization, len(dues))
	for k, row := range s.Rows {
		out[k] = Amortization{Due: dues[k], Amount: row.Amortization}
	}
	return out, nil
}

// Flows pairs each row's installment with the due date at the same index, as
// input to CET. It returns an error if len(dues) differs from the number of
// rows.
func (s Schedule) Flows(dues []Date) ([]Flow, error) {
	if len(dues) != len(s.Rows) {
		return nil, fmt.Errorf("finmath: %d due dates for %d installments", len(dues), len(s.Rows))
	}
	out := make([]Flow, len(dues))
	for k, row := range s.Rows {
		out[k] = Flow{Date: dues[k], Amount: row.Installment}
	}
	return out, nil
}
