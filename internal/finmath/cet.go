package finmath

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"slices"
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
// equation into a polynomial with integer exponents; then CET = u^(−365) − 1.
// Publish it with Rate.PercentHalfEven(2) (NBR 5891) and show
// MonthlyEquivalent next to it.
//
// Two solvers give the same published figures:
//
//   - Fast path (flows that are all ≥ 0 and below 2^53 centavos, the case
//     of every loan): Newton's method in float64 on the daily discount
//     factor, safeguarded by a bracket, with the powers u^dj built
//     incrementally over the flows sorted by day. Then a certificate: f is
//     evaluated once at each of u(1−δ) and u(1+δ), δ = 2^−40, with a
//     rigorous bound on the float64 rounding error, which proves a sign
//     change and so brackets the exact root; the bracket is carried through
//     1+CET = u^−365 and the monthly equivalent (1+CET)^(1/12) with
//     rigorous bounds as well. The float64 value is returned only if each
//     whole interval lies strictly inside one rounding cell of two decimals
//     in percent, so that PercentHalfEven(2) of the result and of
//     MonthlyEquivalent(result) are those of the exact root. The result is
//     then within 10^−9 (relative, on 1+CET) of the exact root.
//   - Otherwise (near a rounding boundary of those figures, negative flows,
//     extreme values): the 256-bit big.Float solver, Newton's method with a
//     bisection fallback, accurate to far beyond any published decimal.
//
// It returns an error wrapping ErrCETInput if fc0 ≤ 0, there are no flows or
// a flow is dated before d0; ErrCETNoBracket if no sign change is found (for
// example, flows that do not exceed fc0 by enough to have a root above
// −100%); ErrCETNoConvergence if the iteration does not settle. It never
// returns a value that does not satisfy the equation.
func CET(fc0 Cents, flows []Flow, d0 Date) (Rate, error) {
	var buf [64]cetTerm
	terms, err := cetInput(fc0, flows, d0, buf[:0])
	if err != nil {
		return Rate{}, err
	}
	if r, ok := cetFast(fc0, terms); ok {
		return r, nil
	}
	return cetSolve(fc0, terms)
}

// cetExact is CET without the fast path: always the 256-bit solver. Tests
// compare the two.
func cetExact(fc0 Cents, flows []Flow, d0 Date) (Rate, error) {
	terms, err := cetInput(fc0, flows, d0, nil)
	if err != nil {
		return Rate{}, err
	}
	return cetSolve(fc0, terms)
}

// cetTerm is one flow: amount a due d days after d0; af = a and daf = d·a
// in float64 are set by the fast path.
type cetTerm struct {
	d       int
	a       Cents
	af, daf float64
}

// cetInput validates the input of CET and returns its flows as terms sorted
// by day (appended to buf), so that powers of u are built incrementally.
func cetInput(fc0 Cents, flows []Flow, d0 Date, buf []cetTerm) ([]cetTerm, error) {
	if fc0 <= 0 {
		return nil, fmt.Errorf("%w: FC0 %s must be positive", ErrCETInput, fc0)
	}
	if len(flows) == 0 {
		return nil, fmt.Errorf("%w: no flows", ErrCETInput)
	}
	terms := buf[:0]
	sorted := true
	var days dayCounter
	base := days.of(d0)
	for _, f := range flows {
		d := int(days.of(f.Date) - base) // f.Date.DaysSince(d0)
		if d < 0 {
			return nil, fmt.Errorf("%w: flow dated %s before %s", ErrCETInput, f.Date, d0)
		}
		if n := len(terms); n > 0 && d < terms[n-1].d {
			sorted = false
		}
		terms = append(terms, cetTerm{d: d, a: f.Amount})
	}
	if !sorted {
		slices.SortStableFunc(terms, func(x, y cetTerm) int { return cmp.Compare(x.d, y.d) })
	}
	return terms, nil
}

// The float64 fast path.
//
// Error model: an IEEE-754 binary64 operation on normal numbers returns the
// exact result times (1+ε), |ε| ≤ 2^−53 (a fused multiply-add, which Go may
// use, rounds once and obeys the same bound). A positive quantity computed
// from exact positive inputs by products, quotients and sums of positive
// terms in which no path goes through more than m roundings is the exact
// value times (1+θ), |θ| ≤ γ_m = m·2^−53/(1 − m·2^−53) (Higham, Accuracy and
// Stability of Numerical Algorithms, Lemma 3.1; §4.2 for sums). Every
// function below returns that m with its value; cetLower and cetUpper turn
// them into rigorous bounds. Normal range is ensured by checking
// d_max·|log2 v| ≤ 800 before evaluating v^d (all powers stay within
// 2^±800, amounts are < 2^53, sums of fewer than 2^20 terms).

const (
	cetDelta       = 0x1p-40 // relative half-width of the certified bracket
	cetMaxExact    = 1 << 53 // amounts above it are not exact in float64
	cetMaxFastDays = 1 << 20 // and sums of terms, or counts, beyond these
	cetMaxFastN    = 1 << 20 // are left to the big.Float path
)

// cetLower returns a number ≤ the exact positive value that x approximates
// with at most m roundings; cetUpper a number ≥ it. The margin (m+4)·2^−50
// exceeds 2γ_m plus the two roundings of the product itself.
func cetLower(x float64, m int) float64 { return x * (1 - float64(m+4)*0x1p-50) }
func cetUpper(x float64, m int) float64 { return x * (1 + float64(m+4)*0x1p-50) }

// powCount returns v^e (e ≥ 1) by binary powering and its rounding count.
func powCount(v float64, e int) (float64, int) {
	r, cr, have := 1.0, 0, false
	b, cb := v, 0
	for {
		if e&1 == 1 {
			if have {
				r, cr = r*b, cr+cb+1
			} else {
				r, cr, have = b, cb, true
			}
		}
		e >>= 1
		if e == 0 {
			return r, cr
		}
		b, cb = b*b, 2*cb+1
	}
}

// cetGapCache holds the powers v^gap of the few distinct gaps between
// consecutive flow days (28 to 33 for monthly installments, which land in
// distinct slots of gap mod 8; a collision only costs a recomputation).
type cetGapCache struct {
	gaps [8]int        // 0: empty (gaps are ≥ 1)
	pows [8][2]float64 // v^gap at the two evaluation points
	cnt  [8]int        // rounding count of the powers
}

// get returns v1^gap and v2^gap and their rounding count.
func (c *cetGapCache) get(v1, v2 float64, gap int) (float64, float64, int) {
	i := gap & 7
	if c.gaps[i] == gap {
		return c.pows[i][0], c.pows[i][1], c.cnt[i]
	}
	q1, m := powCount(v1, gap)
	q2, _ := powCount(v2, gap)
	c.gaps[i], c.pows[i], c.cnt[i] = gap, [2]float64{q1, q2}, m
	return q1, q2, m
}

// cetEval returns s = Σ a_j·v^d_j and sd = Σ d_j·a_j·v^d_j for terms
// sorted by day. The powers are built incrementally, v^d_j =
// v^d_{j−1}·v^(d_j−d_{j−1}).
func cetEval(terms []cetTerm, v float64) (s, sd float64) {
	var cache cetGapCache
	p, prev := 1.0, 0
	for _, t := range terms {
		if gap := t.d - prev; gap > 0 {
			q, _, _ := cache.get(v, v, gap)
			p *= q
			prev = t.d
		}
		s += t.af * p
		sd += t.daf * p
	}
	return s, sd
}

// cetEval2 returns s1 = Σ a_j·v1^d_j and s2 = Σ a_j·v2^d_j as cetEval does,
// and m, a bound on the roundings on any path to s1 or s2: those of the
// power v^d_j, one for the product by a_j and at most len(terms) for the
// sum.
func cetEval2(terms []cetTerm, v1, v2 float64) (s1, s2 float64, m int) {
	var cache cetGapCache
	p1, p2, cp, prev := 1.0, 1.0, 0, 0
	for _, t := range terms {
		if gap := t.d - prev; gap > 0 {
			q1, q2, cq := cache.get(v1, v2, gap)
			p1, p2, cp = p1*q1, p2*q2, cp+cq+1
			prev = t.d
		}
		s1 += t.af * p1
		s2 += t.af * p2
	}
	return s1, s2, cp + 1 + len(terms)
}

// cetFast is the fast path of CET (see there); ok is false when it cannot
// certify its result, and CET then uses cetSolve.
func cetFast(fc0 Cents, terms []cetTerm) (r Rate, ok bool) {
	if fc0 > cetMaxExact || len(terms) > cetMaxFastN || terms[len(terms)-1].d > cetMaxFastDays {
		return Rate{}, false
	}
	c0 := float64(fc0)
	var s0, sa, sda, sdda float64 // Σ a at d = 0; Σ a, Σ d·a and Σ d²·a at d > 0
	for j := range terms {
		t := &terms[j]
		if t.a < 0 || t.a > cetMaxExact {
			return Rate{}, false
		}
		t.af = float64(t.a) // exact
		t.daf = float64(t.d) * t.af
		if t.d == 0 {
			s0 += t.af
		} else {
			sa += t.af
			sda += t.daf
			sdda += float64(t.d) * t.daf
		}
	}
	if !(sa > 0) || !(s0 < c0) {
		return Rate{}, false
	}
	// f(u) = Σ a·u^d − c0 is increasing and convex on u > 0, with one root.
	// Start from the root of its expansion about the mean day D with
	// variance V: with L = ln u, Σ a·e^(dL) ≈ sa·e^(DL)·(1 + V·L²/2), so
	// L ≈ (ln((c0−s0)/sa) − ln(1 + V·L0²/2))/D from L0 = ln((c0−s0)/sa)/D.
	// The bracket [lo, hi] guards Newton's method; the certificate below
	// does not depend on the start.
	mean := sda / sa
	l0 := math.Log((c0-s0)/sa) / mean
	u := math.Exp((math.Log((c0-s0)/sa) - math.Log1p(max(sdda/sa-mean*mean, 0)*l0*l0/2)) / mean)
	lo, hi := 0.0, math.Inf(1)
	// Newton's relative error squares, times about d_max/2, at each step:
	// once the correction is below √(2^−52/d_max) its result is accurate to
	// 2^−53, far inside the certified bracket.
	done := math.Sqrt(0x1p-52 / float64(max(terms[len(terms)-1].d, 1)))
	for range 64 {
		s, sd := cetEval(terms, u)
		f := s - c0
		if f == 0 {
			break
		}
		if f < 0 {
			lo = u
		} else {
			hi = u
		}
		corr := f * u / sd // f/f'
		next := u - corr
		if math.Abs(corr) <= done*u {
			// (next may round onto the bracket end u itself.)
			if next >= lo && next <= hi {
				u = next
			}
			break
		}
		if !(next > lo && next < hi) {
			if math.IsInf(hi, 1) {
				next = 2 * u
			} else {
				next = lo + (hi-lo)/2
			}
		}
		u = next
	}
	if !(u >= 0.5 && u <= 2) {
		return Rate{}, false
	}

	// Certify that the exact root u* is in (vlo, vhi): f(vlo) < 0 < f(vhi).
	vlo, vhi := u*(1-cetDelta), u*(1+cetDelta)
	dmax := float64(max(terms[len(terms)-1].d, 365))
	if dmax*max(math.Abs(math.Log2(vlo)), math.Abs(math.Log2(vhi))) > 800 {
		return Rate{}, false
	}
	sLo, sHi, m := cetEval2(terms, vlo, vhi)
	if !(cetUpper(sLo, m) < c0 && cetLower(sHi, m) > c0) {
		return Rate{}, false
	}

	// 1+CET = u*^−365 is in [gL, gH]; the returned value g is in it too.
	wHi, mw := powCount(vhi, 365)
	wLo, _ := powCount(vlo, 365)
	w, _ := powCount(u, 365)
	gL, gH, g := cetLower(1/wHi, mw+1), cetUpper(1/wLo, mw+1), 1/w
	if !(gL <= g && g <= gH) || !cetSameCell(gL, gH) {
		return Rate{}, false
	}

	// The monthly equivalent (1+CET)^(1/12) of any value in [gL, gH] is in
	// [mL, mH]: math.Pow only proposes the bounds, verified by mL^12 ≤ gL
	// and mH^12 ≥ gH.
	mL := math.Pow(gL, 1.0/12) * (1 - cetDelta)
	mH := math.Pow(gH, 1.0/12) * (1 + cetDelta)
	pL, cL := powCount(mL, 12)
	pH, cH := powCount(mH, 12)
	if !(cetUpper(pL, cL) <= gL && cetLower(pH, cH) >= gH) || !cetSameCell(mL, mH) {
		return Rate{}, false
	}
	return Rate{ratMinusOne(g)}, true
}

// ratMinusOne returns g − 1 exactly, for a finite g > 0.
func ratMinusOne(g float64) *big.Rat {
	frac, exp := math.Frexp(g)   // g = frac·2^exp, frac in [½, 1)
	m := int64(frac * (1 << 53)) // g = m·2^(exp−53), exactly
	s := 53 - exp
	for s > 0 && m&1 == 0 {
		m >>= 1
		s--
	}
	if s <= 0 || s > 62 {
		r := new(big.Rat).SetFloat64(g)
		return r.Sub(r, big.NewRat(1, 1))
	}
	return ratCoprime(big.NewInt(m-1<<s), big.NewInt(1<<s)) // m−2^s is odd
}

// cetSameCell reports whether every x in [lo, hi] (lo ≤ hi, factors such as
// 1+CET) publishes the same percentage of x−1 at two decimals, with a margin
// for the rounding of this test itself: y = 10^4·(x−1) must lie strictly
// inside one (k−½, k+½), which also excludes the ties of NBR 5891.
func cetSameCell(lo, hi float64) bool {
	yL, yH := (lo-1)*1e4, (hi-1)*1e4
	yL -= math.Abs(yL)*0x1p-48 + 0x1p-30
	yH += math.Abs(yH)*0x1p-48 + 0x1p-30
	if !(math.Abs(yL) < 1<<40 && math.Abs(yH) < 1<<40) {
		return false
	}
	k := math.Round(yL)
	return yL > k-0.5 && yH < k+0.5
}

// The big.Float path.

// cetBig evaluates f(u) = Σ a_j·u^d_j − FC0 and u·f'(u) = Σ d_j·a_j·u^d_j
// at floatPrec bits, reusing its storage across evaluations.
type cetBig struct {
	terms      []cetTerm
	amts       []*big.Float
	c0         *big.Float
	f, df      *big.Float // results of eval
	p, t, d, q *big.Float // scratch
	gaps       []int      // power cache of one evaluation: u^gaps[i] = pows[i]
	pows       []*big.Float
	ps         powScratch
	evals      int // calls of eval
}

func newCETBig(fc0 Cents, terms []cetTerm) *cetBig {
	own := make([]cetTerm, len(terms)) // CET's terms live on its stack
	copy(own, terms)
	e := &cetBig{terms: own, amts: make([]*big.Float, len(terms)), c0: floatFromInt(int64(fc0)),
		f: newFloat(), df: newFloat(), p: newFloat(), t: newFloat(), d: newFloat(), q: newFloat()}
	for j, t := range own {
		e.amts[j] = floatFromInt(int64(t.a))
	}
	return e
}

// pow returns u^gap from the cache of the current evaluation.
func (e *cetBig) pow(u *big.Float, gap int) *big.Float {
	for i, g := range e.gaps {
		if g == gap {
			return e.pows[i]
		}
	}
	n := len(e.gaps)
	if n == len(e.pows) {
		e.pows = append(e.pows, newFloat())
	}
	e.ps.pow(e.pows[n], u, gap)
	e.gaps = append(e.gaps, gap)
	return e.pows[n]
}

// eval sets e.f = f(u) and e.df = u·f'(u).
func (e *cetBig) eval(u *big.Float) {
	e.evals++
	e.f.Neg(e.c0)
	e.df.SetInt64(0)
	e.gaps = e.gaps[:0]
	e.p.SetInt64(1)
	prev := 0
	for j, t := range e.terms {
		if gap := t.d - prev; gap > 0 {
			e.t.Mul(e.p, e.pow(u, gap))
			e.p, e.t = e.t, e.p
			prev = t.d
		}
		e.t.Mul(e.amts[j], e.p)
		e.f.Add(e.f, e.t)
		e.d.SetInt64(int64(t.d))
		e.df.Add(e.df, e.q.Mul(e.t, e.d))
	}
}

// cetSolve solves the CET equation for sorted terms with big.Float at
// floatPrec bits, by Newton's method on u with a bisection fallback.
func cetSolve(fc0 Cents, terms []cetTerm) (Rate, error) {
	r, _, err := cetSolveCount(fc0, terms)
	return r, err
}

// cetSolveCount is cetSolve, also returning how many times it evaluated f.
func cetSolveCount(fc0 Cents, terms []cetTerm) (_ Rate, evals int, _ error) {
	e := newCETBig(fc0, terms)
	defer func() { evals = e.evals }()
	// f(0) = Σ a at day 0 − FC0.
	f0 := newFloat().Neg(e.c0)
	for j, t := range terms {
		if t.d == 0 {
			f0.Add(f0, e.amts[j])
		}
	}
	if f0.Sign() >= 0 {
		return Rate{}, 0, fmt.Errorf("%w: flows due on d0 already cover FC0", ErrCETNoBracket)
	}
	lo := newFloat()      // u = 0 ⇔ CET = +∞
	hi := floatFromInt(1) // u = 1 ⇔ CET = 0
	for n := 0; ; n++ {
		e.eval(hi)
		if e.f.Sign() >= 0 {
			break
		}
		if n == cetMaxBracketDoubles {
			return Rate{}, 0, fmt.Errorf("%w: flows never exceed FC0 %s", ErrCETNoBracket, fc0)
		}
		lo.Set(hi)
		hi.Mul(hi, floatFromInt(2))
	}
	// Invariant: f(lo) < 0 ≤ f(hi). Newton's step is taken when it stays
	// inside the bracket and is at most half the step before the last one
	// (as in Numerical Recipes' rtsafe); otherwise the bracket is bisected.
	// Far from the root of a high-degree polynomial (a long schedule with
	// a negative CET) Newton crawls, and bisection takes over.
	u := newFloat().Set(hi)
	tol := newFloat().SetMantExp(floatFromInt(1), -(floatPrec - 16))
	next, step, limit := newFloat(), newFloat(), newFloat()
	dx, dxOld := newFloat().Sub(hi, lo), newFloat().Sub(hi, lo) // the last two steps
	converged := false
	for range cetMaxIterations {
		e.eval(u)
		fu, du := e.f, e.df // du = u·f'(u)
		if fu.Sign() == 0 {
			converged = true
			break
		}
		if fu.Sign() < 0 {
			lo.Set(u)
		} else {
			hi.Set(u)
		}
		limit.Mul(tol, u)
		newton := false
		if du.Sign() != 0 {
			step.Quo(fu, du)
			step.Mul(step, u) // the Newton correction f/f'
			next.Sub(u, step)
			step.Abs(step)
			if step.Cmp(limit) <= 0 {
				// The correction is below the precision of u: converged. (Near
				// the root Newton's next point can round onto the bracket end
				// u itself; treating that as a failed step would fall back to
				// hundreds of bisections.)
				if next.Cmp(lo) >= 0 && next.Cmp(hi) <= 0 {
					u.Set(next)
				}
				converged = true
				break
			}
			newton = next.Cmp(lo) > 0 && next.Cmp(hi) < 0 && step.SetMantExp(step, 1).Cmp(dxOld) <= 0
		}
		if !newton {
			next.Add(lo, hi)
			next.Quo(next, floatFromInt(2))
		}
		dx, dxOld = dxOld, dx
		dx.Sub(next, u)
		dx.Abs(dx)
		u.Set(next)
		limit.Mul(tol, u)
		if dx.Cmp(limit) <= 0 || next.Sub(hi, lo).Cmp(limit) <= 0 {
			converged = true
			break
		}
	}
	if !converged || u.Sign() <= 0 {
		return Rate{}, 0, fmt.Errorf("%w after %d iterations", ErrCETNoConvergence, cetMaxIterations)
	}
	// Check the residual: |f(u)| must be negligible next to FC0.
	e.eval(u)
	resid := newFloat().Abs(e.f)
	if resid.Cmp(limit.SetMantExp(e.c0, -150)) > 0 {
		return Rate{}, 0, fmt.Errorf("%w: residual %s", ErrCETNoConvergence, resid.Text('g', 10))
	}
	annual := newFloat().Quo(floatFromInt(1), powInt(u, 365))
	annual.Sub(annual, floatFromInt(1))
	return Rate{ratFromFloat(annual)}, 0, nil
}
