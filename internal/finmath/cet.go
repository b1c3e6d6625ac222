package finmath

import (
	"errors"
	"fmt"
	"math/big"
)

// Flow is an amount paid by the borrower on a date (FCj in the CET formula).
type Flow struct {
	Date   Date
	Amount Cents
}

// Errors returned (wrapped) by CET.
var (
	ErrCETInput         = errors.New("finmath: invalid CET input")
	ErrCETNoBracket     = errors.New("finmath: CET root cannot be bracketed")
	ErrCETNoConvergence = errors.New("finmath: CET did not converge")
)

const (
	cetMaxIterations     = 1000
	cetMaxBracketDoubles = 64
)

// CET returns the annual Custo Efetivo Total of Res. CMN 4.881/2020 art. 4º
// (domain.md §5.5): the rate that solves
//
//	FC0 = Σ_j FCj / (1+CET)^((dj − d0)/365)
//
// where fc0 is the credit released net of upfront fees and taxes, flows are
// every amount the borrower pays, and day counts are calendar days. It is
// solved for the daily discount factor u = (1+CET)^(−1/365), which turns the
// equation into a polynomial with integer exponents, by Newton's method with
// a bisection fallback on big.Float at 256 bits; then CET = u^(−365) − 1.
// Publish it with Rate.PercentHalfEven(2) (NBR 5891) and show
// MonthlyEquivalent next to it.
//
// It returns an error wrapping ErrCETInput if fc0 ≤ 0, there are no flows or
// a flow is dated before d0; ErrCETNoBracket if no sign change is found (for
// example, flows that do not exceed fc0 by enough to have a root above
// −100%); ErrCETNoConvergence if the iteration does not settle. It never
// returns a value that does not satisfy the equation.
func CET(fc0 Cents, flows []Flow, d0 Date) (Rate, error) {
	if fc0 <= 0 {
		return Rate{}, fmt.Errorf("%w: FC0 %s must be positive", ErrCETInput, fc0)
	}
	if len(flows) == 0 {
		return Rate{}, fmt.Errorf("%w: no flows", ErrCETInput)
	}
	days := make([]int, len(flows))
	amts := make([]*big.Float, len(flows))
	for j, f := range flows {
		d := f.Date.DaysSince(d0)
		if d < 0 {
			return Rate{}, fmt.Errorf("%w: flow dated %s before %s", ErrCETInput, f.Date, d0)
		}
		days[j] = d
		amts[j] = floatFromInt(int64(f.Amount))
	}
	c0 := floatFromInt(int64(fc0))
	// eval returns f(u) = Σ FCj·u^dj − FC0 and f'(u) = Σ dj·FCj·u^(dj−1).
	eval := func(u *big.Float) (*big.Float, *big.Float) {
		fv := newFloat().Neg(c0)
		dv := newFloat()
		for j, a := range amts {
			d := days[j]
			if d == 0 {
				fv.Add(fv, a)
				continue
			}
			p := powInt(u, d-1)
			t := newFloat().Mul(a, p)
			dv.Add(dv, newFloat().Mul(t, floatFromInt(int64(d))))
			fv.Add(fv, t.Mul(t, u))
		}
		return fv, dv
	}
	lo := newFloat() // u = 0 ⇔ CET = +∞
	flo, _ := eval(lo)
	if flo.Sign() >= 0 {
		return Rate{}, fmt.Errorf("%w: flows due on d0 already cover FC0", ErrCETNoBracket)
	}
	hi := floatFromInt(1) // u = 1 ⇔ CET = 0
	fhi, _ := eval(hi)
	for n := 0; fhi.Sign() < 0; n++ {
		if n == cetMaxBracketDoubles {
			return Rate{}, fmt.Errorf("%w: flows never exceed FC0 %s", ErrCETNoBracket, fc0)
		}
		lo = hi
		hi = newFloat().Mul(hi, floatFromInt(2))
		fhi, _ = eval(hi)
	}
	// Invariant: f(lo) < 0 ≤ f(hi).
	u := newFloat().Set(hi)
	tol := newFloat().SetMantExp(floatFromInt(1), -(floatPrec - 16))
	two := floatFromInt(2)
	converged := false
	for range cetMaxIterations {
		fu, du := eval(u)
		if fu.Sign() == 0 {
			converged = true
			break
		}
		if fu.Sign() < 0 {
			lo = u
		} else {
			hi = u
		}
		var next *big.Float
		if du.Sign() != 0 {
			next = newFloat().Quo(fu, du)
			next.Sub(u, next)
		}
		if next == nil || next.Cmp(lo) <= 0 || next.Cmp(hi) >= 0 {
			next = newFloat().Add(lo, hi)
			next.Quo(next, two)
		}
		step := newFloat().Sub(next, u)
		step.Abs(step)
		u = next
		width := newFloat().Sub(hi, lo)
		if step.Cmp(newFloat().Mul(tol, u)) <= 0 || width.Cmp(newFloat().Mul(tol, u)) <= 0 {
			converged = true
			break
		}
	}
	if !converged || u.Sign() <= 0 {
		return Rate{}, fmt.Errorf("%w after %d iterations", ErrCETNoConvergence, cetMaxIterations)
	}
	// Check the residual: |f(u)| must be negligible next to FC0.
	fu, _ := eval(u)
	resid := newFloat().Abs(fu)
	limit := newFloat().SetMantExp(c0, -150)
	if resid.Cmp(limit) > 0 {
		return Rate{}, fmt.Errorf("%w: residual %s", ErrCETNoConvergence, resid.Text('g', 10))
	}
	annual := newFloat().Quo(floatFromInt(1), powInt(u, 365))
	annual.Sub(annual, floatFromInt(1))
	return Rate{ratFromFloat(annual)}, nil
}
