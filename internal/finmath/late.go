package finmath

import (
	"fmt"
	"math/big"
)

// LateCharge is the charge for paying an installment late.
type LateCharge struct {
	Fine Cents // multa: installment × fine rate, rounded half-up
	Mora Cents // juros de mora: installment × monthly rate × days/30, rounded half-up
}

// Total returns Fine + Mora.
func (l LateCharge) Total() Cents { return l.Fine + l.Mora }

// LateCharges returns the fine (multa, at most 2% by market standard, CDC
// art. 52 §1º) and the simple pro-rata juros de mora (installment ·
// moraMonthly · daysLate/30, Súmula 379 caps it at 1% a.m.) for an
// installment paid daysLate calendar days late (domain.md §5.7). Each part
// is rounded half-up to cents separately. The caps are policy and are not
// enforced here. Contract interest and IOF complementar are not included.
// It returns an error for a negative installment, daysLate or rate.
func LateCharges(installment Cents, daysLate int, fine, moraMonthly Rate) (LateCharge, error) {
	switch {
	case installment < 0:
		return LateCharge{}, fmt.Errorf("finmath: negative installment %s", installment)
	case daysLate < 0:
		return LateCharge{}, fmt.Errorf("finmath: negative days late %d", daysLate)
	case fine.Sign() < 0 || moraMonthly.Sign() < 0:
		return LateCharge{}, fmt.Errorf("finmath: negative late rate")
	}
	if daysLate == 0 {
		return LateCharge{}, nil
	}
	f, err := RoundHalfUp(new(big.Rat).Mul(installment.Rat(), fine.rat()))
	if err != nil {
		return LateCharge{}, err
	}
	m := new(big.Rat).Mul(installment.Rat(), moraMonthly.rat())
	m.Mul(m, big.NewRat(int64(daysLate), 30))
	mora, err := RoundHalfUp(m)
	if err != nil {
		return LateCharge{}, err
	}
	return LateCharge{Fine: f, Mora: mora}, nil
}
