package finmath

import (
	"fmt"
	"math/big"
)

// AnnualFromMonthly returns the compound annual equivalent of a monthly rate,
// (1+i_m)^12 − 1 (domain.md §5.2), computed exactly. It returns an error if
// the monthly rate is ≤ −100%.
func AnnualFromMonthly(monthly Rate) (Rate, error) {
	// With i = p/q in lowest terms, (1+i)^12 − 1 = ((q+p)^12 − q^12) / q^12.
	i := monthly.rat()
	var a big.Int
	if a.Add(i.Denom(), i.Num()).Sign() <= 0 {
		return Rate{}, fmt.Errorf("finmath: monthly rate %s is not above -100%%", monthly)
	}
	// In lowest terms already: a prime dividing q^12 divides q, and if it
	// also divided (q+p)^12 − q^12 it would divide q+p, hence p.
	twelve := big.NewInt(12)
	a.Exp(&a, twelve, nil)
	b := new(big.Int).Exp(i.Denom(), twelve, nil)
	return Rate{ratCoprime(a.Sub(&a, b), b)}, nil
}

// DailyFrom30DayMonthly returns the daily rate on the 30-day commercial
// month, (1+i_m)^(1/30) − 1 (domain.md §5.2, as QI Tech). The root is taken
// with big.Float at 256 bits, so the result is exact to far beyond any
// published decimal but is not an exact rational. It returns an error if the
// monthly rate is ≤ −100%.
func DailyFrom30DayMonthly(monthly Rate) (Rate, error) {
	return rootRate(monthly, 30)
}

// DailyFromAnnual365 returns the daily rate on actual/365 from an annual
// rate, (1+i_a)^(1/365) − 1 (domain.md §5.2), at 256-bit precision. It
// returns an error if the annual rate is ≤ −100%.
func DailyFromAnnual365(annual Rate) (Rate, error) {
	return rootRate(annual, 365)
}

// MonthlyEquivalent returns (1+annual)^(1/12) − 1, the monthly equivalent
// shown next to an annual CET (domain.md §5.5), at 256-bit precision. It
// returns an error if the annual rate is ≤ −100%.
func MonthlyEquivalent(annual Rate) (Rate, error) {
	return rootRate(annual, 12)
}

// rootRate returns (1+r)^(1/n) − 1.
func rootRate(r Rate, n int) (Rate, error) {
	// 1+r = (q+p)/q for r = p/q, as a float rounded once from exact integers.
	x := r.rat()
	w := new(rootWork)
	var qp big.Int
	num, den := &w.d, &w.t                 // free until root uses them
	num.SetInt(qp.Add(x.Denom(), x.Num())) // exact: precision from the integer
	if num.Sign() <= 0 {
		return Rate{}, fmt.Errorf("finmath: rate %s is not above -100%%", r)
	}
	base := w.x.SetPrec(floatPrec)
	if q := x.Denom(); q.BitLen() == int(q.TrailingZeroBits())+1 {
		base.SetMantExp(num, -int(q.TrailingZeroBits())) // q = 2^k, as for a CET from its fast path
	} else {
		base.Quo(num, den.SetInt(q))
	}
	root, err := w.root(base, n)
	if err != nil {
		return Rate{}, err
	}
	root.Sub(root, w.k.SetInt64(1))
	return Rate{ratFromFloat(root)}, nil
}
