package finmath

import (
	"fmt"
	"math/big"
)

// AnnualFromMonthly returns the compound annual equivalent of a monthly rate,
// (1+i_m)^12 − 1 (domain.md §5.2), computed exactly. It returns an error if
// the monthly rate is ≤ −100%.
func AnnualFromMonthly(monthly Rate) (Rate, error) {
	one := big.NewRat(1, 1)
	base := new(big.Rat).Add(one, monthly.rat())
	if base.Sign() <= 0 {
		return Rate{}, fmt.Errorf("finmath: monthly rate %s is not above -100%%", monthly)
	}
	return Rate{powRat(base, 12).Sub(powRat(base, 12), one)}, nil
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
	base := new(big.Rat).Add(big.NewRat(1, 1), r.rat())
	if base.Sign() <= 0 {
		return Rate{}, fmt.Errorf("finmath: rate %s is not above -100%%", r)
	}
	root, err := nthRoot(floatFromRat(base), n)
	if err != nil {
		return Rate{}, err
	}
	root.Sub(root, floatFromInt(1))
	return Rate{ratFromFloat(root)}, nil
}
