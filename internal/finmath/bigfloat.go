package finmath

import (
	"errors"
	"math"
	"math/big"
)

// floatPrec is the mantissa precision (bits) of every big.Float computation.
const floatPrec = 256

func newFloat() *big.Float { return new(big.Float).SetPrec(floatPrec) }

func floatFromInt(n int64) *big.Float { return newFloat().SetInt64(n) }

// ratFromFloat converts a finite big.Float exactly to a *big.Rat: the
// mantissa is taken odd, so mantissa/2^k is already in lowest terms.
func ratFromFloat(f *big.Float) *big.Rat {
	var mant big.Float
	exp := f.MantExp(&mant) // f = mant·2^exp
	prec := int(f.MinPrec())
	mant.SetMantExp(&mant, prec) // an integer, odd unless f = 0
	r := new(big.Rat).SetInt64(1)
	mant.Int(r.Num())
	if k := prec - exp; k > 0 {
		r.Denom().Lsh(r.Denom(), uint(k))
	} else {
		r.Num().Lsh(r.Num(), uint(-k))
	}
	return r
}

// ratCoprime returns the rational a/b for b > 0 and gcd(a, b) = 1, which
// the caller guarantees. It is new(big.Rat).SetFrac(a, b) without the GCD
// that SetFrac computes to normalize, the costliest step of building a Rat
// (a microsecond for a few words): the numerator and denominator are set
// through Num and Denom, documented to return references to them for an
// initialized Rat.
func ratCoprime(a, b *big.Int) *big.Rat {
	r := new(big.Rat).SetInt64(1)
	if a.Sign() != 0 { // gcd(0, b) = 1 only for b = 1
		r.Denom().Set(b)
	}
	r.Num().Set(a)
	return r
}

// powInt returns x^n for n >= 0 by repeated squaring (0^0 = 1).
func powInt(x *big.Float, n int) *big.Float {
	var s powScratch
	return s.pow(newFloat(), x, n)
}

// powScratch is the storage of pow. A big.Float product into one of its own
// operands allocates a new mantissa, so products go to a spare buffer which
// then swaps roles with the operand.
type powScratch struct{ f [3]big.Float }

// pow sets z = x^n (n >= 0) by repeated squaring and returns z (z may be
// x). The operations, at floatPrec bits, are those of the textbook loop:
// the result does not depend on how storage is reused. With z nil it
// returns one of its own buffers, valid until the next call, which the
// caller may use as scratch.
func (s *powScratch) pow(z, x *big.Float, n int) *big.Float {
	r, b, t := &s.f[0], &s.f[1], &s.f[2]
	r.SetPrec(floatPrec).SetInt64(1)
	b.SetPrec(floatPrec).Set(x)
	t.SetPrec(floatPrec)
	for n > 0 {
		if n&1 == 1 {
			t.Mul(r, b)
			r, t = t, r
		}
		n >>= 1
		if n > 0 {
			t.Mul(b, b)
			b, t = t, b
		}
	}
	if z == nil {
		return r
	}
	return z.Set(r)
}

// powRat returns x^n exactly for n >= 0.
func powRat(x *big.Rat, n int) *big.Rat {
	result := big.NewRat(1, 1)
	base := new(big.Rat).Set(x)
	for n > 0 {
		if n&1 == 1 {
			result.Mul(result, base)
		}
		n >>= 1
		if n > 0 {
			base.Mul(base, base)
		}
	}
	return result
}

var errRootDomain = errors.New("finmath: root of a non-positive number")

// nthRoot returns x^(1/n) for x > 0 and n >= 1 at floatPrec bits (see
// rootWork.root).
func nthRoot(x *big.Float, n int) (*big.Float, error) {
	return new(rootWork).root(x, n)
}

// rootWork is the storage of an n-th root, allocated at once.
type rootWork struct {
	x, y, d, den, t, k, twoNX, tol big.Float
	ps                             powScratch
}

// root returns x^(1/n) for x > 0 and n >= 1 at floatPrec bits, by
// Halley's method (cubic convergence) from a double-double guess (about
// 100 bits, see guess). With the residual D = y^n − x, Halley's step
//
//	y' = y·((n−1)·y^n + (n+1)·x) / ((n+1)·y^n + (n−1)·x)
//
// is y' = y − 2·y·D / (2n·x + (n+1)·D). It returns y only once the residual
// proves it: |D| ≤ n·x·2^−(floatPrec−8), so that the relative error of y is
// below 2^−(floatPrec−8). From the guess that takes one step. The result
// is w's storage.
func (w *rootWork) root(x *big.Float, n int) (*big.Float, error) {
	if x.Sign() <= 0 || n < 1 {
		return nil, errRootDomain
	}
	y := w.y.SetPrec(floatPrec)
	if n == 1 {
		return y.Set(x), nil
	}
	w.guess(x, n)
	d, den, t, k := w.d.SetPrec(floatPrec), w.den.SetPrec(floatPrec), w.t.SetPrec(floatPrec), &w.k
	k.SetInt64(int64(2 * n))
	twoNX := w.twoNX.SetPrec(floatPrec).Mul(k, x)
	tol := w.tol.SetPrec(floatPrec).SetMantExp(x, -(floatPrec - 8))
	tol.Mul(tol, k.SetInt64(int64(n)))
	k.SetInt64(int64(n + 1))
	for range 200 {
		yn := w.ps.pow(nil, y, n)
		d.Sub(yn, x)
		if t.Abs(d).Cmp(tol) <= 0 {
			return y, nil
		}
		den.Mul(k, d)
		den.Add(den, twoNX)
		t.Mul(y, d)
		yn.Quo(t, den) // y·D/den
		y.Sub(y, yn.SetMantExp(yn, 1))
	}
	return nil, errors.New("finmath: nth root did not converge")
}

// guess sets w.y to about 100 correct bits of x^(1/n) (x > 0, n ≥ 2): with
// x = mant·2^exp and exp = q·n + r (0 ≤ r < n), x^(1/n) = 2^q·s^(1/n) for
// s = mant·2^r, which float64 holds; math.Pow's root of s is refined by one
// Newton step whose residual y^n − s is computed in double-double
// arithmetic. Only the speed of root depends on its accuracy.
func (w *rootWork) guess(x *big.Float, n int) {
	mant, t := &w.d, &w.t
	exp := x.MantExp(mant)
	q, r := exp/n, exp%n
	if r < 0 {
		q, r = q-1, r+n
	}
	mant.SetMantExp(mant, r)
	sh, _ := mant.Float64()
	sl, _ := mant.Sub(mant, t.SetFloat64(sh)).Float64() // s = sh + sl
	y := math.Pow(sh, 1/float64(n))
	// y^n in double-double by binary powering.
	ph, pl := 1.0, 0.0
	bh, bl := y, 0.0
	for e := n; e > 0; e >>= 1 {
		if e&1 == 1 {
			ph, pl = ddMul(ph, pl, bh, bl)
		}
		if e > 1 {
			bh, bl = ddMul(bh, bl, bh, bl)
		}
	}
	// Newton: y − (y^n − s)/(n·y^(n−1)), the correction in float64.
	rh, rl := twoSum(ph, -sh)
	res := rh + (rl + pl - sl)
	c := res * y / (float64(n) * ph)
	g := w.y.SetFloat64(y)
	if !math.IsNaN(c) && !math.IsInf(c, 0) {
		g.Sub(g, t.SetFloat64(c))
	}
	g.SetMantExp(g, q)
}

// twoSum returns s = fl(a+b) and the rounding error e, a+b = s+e exactly.
func twoSum(a, b float64) (s, e float64) {
	s = a + b
	v := s - a
	return s, (a - (s - v)) + (b - v)
}

// ddMul returns the double-double product of (ah+al) and (bh+bl).
func ddMul(ah, al, bh, bl float64) (float64, float64) {
	p := ah * bh
	e := math.FMA(ah, bh, -p) + (ah*bl + al*bh)
	s := p + e
	return s, e - (s - p)
}
