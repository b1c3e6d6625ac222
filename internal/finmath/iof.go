package finmath

import (
	"errors"
	"fmt"
	"math/big"
	"math/bits"
	"time"
)

// BorrowerKind selects the IOF daily rate column.
type BorrowerKind int

// Borrower kinds for IOF (Decreto 6.306/2007 art. 7).
const (
	BorrowerPF      BorrowerKind = iota + 1 // pessoa física
	BorrowerPJ                              // pessoa jurídica
	BorrowerSimples                         // Simples Nacional / MEI (reduced rate up to SimplesCeiling)
)

// String returns "PF", "PJ", "Simples" or "BorrowerKind(n)".
func (k BorrowerKind) String() string {
	switch k {
	case BorrowerPF:
		return "PF"
	case BorrowerPJ:
		return "PJ"
	case BorrowerSimples:
		return "Simples"
	}
	return fmt.Sprintf("BorrowerKind(%d)", int(k))
}

// IOFMaxDays is the cap on the days counted per installment (RIOF art. 7).
const IOFMaxDays = 365

// IOFRates is one effective-dated row of the IOF parameter table.
type IOFRates struct {
	EffectiveFrom  Date  // first disbursement date the row applies to
	DailyPF        Rate  // daily rate for pessoa física
	DailyPJ        Rate  // daily rate for pessoa jurídica
	DailySimples   Rate  // daily rate for Simples/MEI operations ≤ SimplesCeiling
	Additional     Rate  // alíquota adicional on the principal, once (art. 7 §15)
	SimplesCeiling Cents // largest principal that gets DailySimples
}

// IOFTable is a set of effective-dated IOF rate rows, in any order.
type IOFTable []IOFRates

// DefaultIOFTable returns the rates of domain.md §5.3.
//
// The current row (effective 2025-06-01, Decreto 12.466/2025 as amended by
// Decreto 12.499/2025, restored by STF ADC 96) is PF = PJ = 0.0082%/day,
// Simples ≤ R$ 30 000 0.00274%/day, additional 0.38%. The earlier row (used
// for any disbursement before 2025-06-01) has PJ 0.0041%/day and Simples
// 0.00137%/day; its PF and Simples values and its start are not verified
// against the consolidated decree and must be confirmed before use. The PJ
// additional of 0.95% in force 1–10 Jun 2025 is not modelled.
func DefaultIOFTable() IOFTable {
	return IOFTable{
		{
			EffectiveFrom:  Date{1900, time.January, 1},
			DailyPF:        MustPercent("0.0082"),
			DailyPJ:        MustPercent("0.0041"),
			DailySimples:   MustPercent("0.00137"),
			Additional:     MustPercent("0.38"),
			SimplesCeiling: 30_000_00,
		},
		{
			EffectiveFrom:  Date{2025, time.June, 1},
			DailyPF:        MustPercent("0.0082"),
			DailyPJ:        MustPercent("0.0082"),
			DailySimples:   MustPercent("0.00274"),
			Additional:     MustPercent("0.38"),
			SimplesCeiling: 30_000_00,
		},
	}
}

// ErrNoIOFRates is returned (wrapped) when no table row is in effect.
var ErrNoIOFRates = errors.New("finmath: no IOF rates in effect")

// At returns the row with the latest EffectiveFrom not after d, or an error
// wrapping ErrNoIOFRates.
func (t IOFTable) At(d Date) (IOFRates, error) {
	var best IOFRates
	found := false
	for _, r := range t {
		if d.Before(r.EffectiveFrom) {
			continue
		}
		if !found || best.EffectiveFrom.Before(r.EffectiveFrom) {
			best, found = r, true
		}
	}
	if !found {
		return IOFRates{}, fmt.Errorf("%w on %s", ErrNoIOFRates, d)
	}
	return best, nil
}

// daily returns the daily rate for kind and principal.
func (r IOFRates) daily(kind BorrowerKind, principal Cents) (Rate, error) {
	switch kind {
	case BorrowerPF:
		return r.DailyPF, nil
	case BorrowerPJ:
		return r.DailyPJ, nil
	case BorrowerSimples:
		if principal <= r.SimplesCeiling {
			return r.DailySimples, nil
		}
		return r.DailyPJ, nil
	}
	return Rate{}, fmt.Errorf("finmath: unknown borrower kind %d", int(kind))
}

// Amortization is the principal repaid on a due date: the IOF base.
type Amortization struct {
	Due    Date
	Amount Cents
}

// IOFResult is the IOF of an operation.
type IOFResult struct {
	Total      Cents    // rounded half-up once, from the exact sum
	Additional Cents    // principal × additional, rounded half-up
	Daily      Cents    // Total − Additional
	Exact      *big.Rat // unrounded total in centavos (for the gross-up ratio)
}

// IOF returns the IOF of a credit operation (domain.md §5.3):
//
//	IOF = Σ_k A_k · daily · min(due_k − disbursed, 365) + principal · additional
//
// with the rates of table in effect on the disbursement date and the daily
// rate of kind (Simples gets DailySimples only if principal ≤
// SimplesCeiling, else DailyPJ). The sum is exact and is rounded half-up to
// cents once, at the end; Additional is rounded on its own and Daily is the
// difference, so the parts always add up to Total. It returns an error if
// an amount is negative, a due date is before disbursement, the amortizations
// do not sum to principal, kind is unknown or no rates are in effect.
func IOF(amorts []Amortization, disbursed Date, kind BorrowerKind, principal Cents, table IOFTable) (IOFResult, error) {
	rates, err := table.At(disbursed)
	if err != nil {
		return IOFResult{}, err
	}
	daily, err := rates.daily(kind, principal)
	if err != nil {
		return IOFResult{}, err
	}
	if principal < 0 {
		return IOFResult{}, fmt.Errorf("finmath: negative principal %s", principal)
	}
	var w dayWeight
	var sum Cents
	var dc dayCounter
	base := dc.of(disbursed)
	for _, a := range amorts {
		if a.Amount < 0 {
			return IOFResult{}, fmt.Errorf("finmath: negative amortization %s due %s", a.Amount, a.Due)
		}
		d := int(dc.of(a.Due) - base) // a.Due.DaysSince(disbursed)
		if d < 0 {
			return IOFResult{}, fmt.Errorf("finmath: due date %s before disbursement %s", a.Due, disbursed)
		}
		w.add(a.Amount, d)
		sum += a.Amount
	}
	if sum != principal {
		return IOFResult{}, fmt.Errorf("finmath: amortizations sum to %s, principal is %s", sum, principal)
	}
	var c iofCalc
	c.exact(&w, daily, rates.Additional, principal)
	total, err := roundHalfUpInt(new(big.Int).Set(&c.num), &c.den, &c.r)
	if err != nil {
		return IOFResult{}, err
	}
	add := rates.Additional.rat()
	addC, err := roundHalfUpInt(c.t.Mul(big.NewInt(int64(principal)), add.Num()), add.Denom(), &c.r)
	if err != nil {
		return IOFResult{}, err
	}
	return IOFResult{Total: total, Additional: addC, Daily: total - addC, Exact: new(big.Rat).SetFrac(&c.num, &c.den)}, nil
}

// dayWeight accumulates Σ A_k·min(d_k, IOFMaxDays), exactly, in centavo-days
// (128 bits: A_k < 2^63 and d ≤ 365 < 2^9, so 2^56 terms cannot overflow).
type dayWeight struct{ hi, lo uint64 }

// add adds amount (≥ 0) due d (≥ 0) days after disbursement.
func (w *dayWeight) add(amount Cents, d int) {
	h, l := bits.Mul64(uint64(amount), uint64(min(d, IOFMaxDays)))
	var carry uint64
	w.lo, carry = bits.Add64(w.lo, l, 0)
	w.hi += h + carry
}

// setTo sets z to the accumulated weight and returns z.
func (w *dayWeight) setTo(z *big.Int) *big.Int {
	if w.hi == 0 {
		return z.SetUint64(w.lo)
	}
	z.SetUint64(w.hi)
	z.Lsh(z, 64)
	var lo big.Int
	return z.Or(z, lo.SetUint64(w.lo))
}

// iofCalc holds the exact IOF num/den = W·daily + principal·additional in
// centavos, with daily = dp/dq and additional = ap/aq: num = W·dp·aq +
// principal·ap·dq and den = dq·aq (not reduced).
type iofCalc struct {
	num, den, t, r big.Int
}

func (c *iofCalc) exact(w *dayWeight, daily, additional Rate, principal Cents) {
	d, a := daily.rat(), additional.rat()
	w.setTo(&c.num)
	c.num.Mul(&c.num, d.Num())
	c.num.Mul(&c.num, a.Denom())
	c.t.Mul(big.NewInt(int64(principal)), a.Num())
	c.t.Mul(&c.t, d.Denom())
	c.num.Add(&c.num, &c.t)
	c.den.Mul(d.Denom(), a.Denom())
}

// Financed is the result of grossing up a net amount for financed IOF.
type Financed struct {
	Gross    Cents    // F = Net/(1−k), rounded half-up: the financed principal
	IOF      Cents    // Gross − Net
	K        Rate     // k = IOF(Net)/Net for the schedule shape, unrounded
	Schedule Schedule // Price schedule of Gross
}

// FinancedIOF grosses up net (the amount the borrower receives) so that the
// financed principal also pays its own IOF (domain.md §5.3): k = IOF(PV)/PV
// for the Price schedule of PV = net at the monthly rate with len(dues)
// installments due on dues (days counted from disbursed), using the exact,
// unrounded IOF; then F = net/(1−k) rounded half-up, IOF = F − net, and the
// returned Schedule is PriceSchedule(F, monthly, len(dues)). For Simples
// borrowers the ceiling is tested on F (k is recomputed once if F crosses
// it). It returns the errors of PriceSchedule and IOF, or an error if k ≥ 1.
//
// The schedule of net is walked once, without building its rows, for the
// day-weighted amortization Σ A_k·min(d_k, 365) that k is made of; both
// schedules share the PMT factor (and (1+i)^n, when PriceSchedule's exact
// PMT needs it); k and F are exact integer arithmetic.
func FinancedIOF(net Cents, monthly Rate, dues []Date, disbursed Date, kind BorrowerKind, table IOFTable) (Financed, error) {
	rates, err := table.At(disbursed)
	if err != nil {
		return Financed{}, err
	}
	pr, err := newPriceRate(net, monthly, len(dues))
	if err != nil {
		return Financed{}, err
	}
	pmt, err := pr.pmt(net)
	if err != nil {
		return Financed{}, err
	}
	// The IOF base of the schedule of net: its amortizations weighted by the
	// days to their due dates, capped at 365. A due date before disbursement
	// is reported after the schedule's own errors, as IOF would.
	var dbuf [64]int
	days := dbuf[:0]
	var dc dayCounter
	base, early := dc.of(disbursed), -1
	for k, due := range dues {
		d := int(dc.of(due) - base) // due.DaysSince(disbursed)
		if d < 0 && early < 0 {
			early = k
		}
		days = append(days, max(d, 0))
	}
	var w dayWeight
	if err := pr.walk(net, pmt, &Schedule{}, nil, days, &w); err != nil {
		return Financed{}, err
	}
	var c iofCalc
	gross := func(classify Cents) (Cents, *big.Rat, error) {
		daily, err := rates.daily(kind, classify)
		if err != nil {
			return 0, nil, err
		}
		if early >= 0 {
			return 0, nil, fmt.Errorf("finmath: due date %s before disbursement %s", dues[early], disbursed)
		}
		// exact = num/den centavos; k = exact/net; F = net/(1−k) = net·(den·net)/(den·net − num).
		c.exact(&w, daily, rates.Additional, net)
		dn := new(big.Int).Mul(&c.den, big.NewInt(int64(net)))
		k := new(big.Rat).SetFrac(&c.num, dn)
		c.t.Sub(dn, &c.num)
		if c.t.Sign() <= 0 {
			return 0, nil, fmt.Errorf("finmath: IOF ratio %s ≥ 1", k.FloatString(10))
		}
		dn.Mul(dn, big.NewInt(int64(net)))
		f, err := roundHalfUpInt(dn, &c.t, &c.r)
		return f, k, err
	}
	f, kr, err := gross(net)
	if err != nil {
		return Financed{}, err
	}
	if kind == BorrowerSimples && net <= rates.SimplesCeiling && f > rates.SimplesCeiling {
		if f, kr, err = gross(f); err != nil {
			return Financed{}, err
		}
	}
	if f <= 0 { // only with a negative IOF rate in table: PriceSchedule's error
		return Financed{}, fmt.Errorf("%w: principal %s must be positive", ErrInvalidSchedule, f)
	}
	s, err := pr.schedule(f)
	if err != nil {
		return Financed{}, err
	}
	return Financed{Gross: f, IOF: f - net, K: Rate{kr}, Schedule: s}, nil
}
