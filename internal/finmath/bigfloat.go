package finmath

import (
	"errors"
	"math"
	"math/big"
)

// floatPrec is the mantissa precision (bits) of every big.Float computation.
const floatPrec = 256

func newFloat() *big.Float { return new(big.Float).SetPrec(floatPrec) }

func floatFromRat(x *big.Rat) *big.Float { return newFloat().SetRat(x) }

func floatFromInt(n int64) *big.Float { return newFloat().SetInt64(n) }

// ratFromFloat converts a finite big.Float exactly to a *big.Rat.
func ratFromFloat(f *big.Float) *big.Rat {
	r, _ := f.Rat(nil)
	return r
}

// powInt returns x^n for n >= 0 by repeated squaring (0^0 = 1).
func powInt(x *big.Float, n int) *big.Float {
	result := floatFromInt(1)
	base := newFloat().Set(x)
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

// nthRoot returns x^(1/n) for x > 0 and n >= 1, by Newton's method at
// floatPrec bits. The float64 math.Pow value is only the starting guess.
func nthRoot(x *big.Float, n int) (*big.Float, error) {
	if x.Sign() <= 0 || n < 1 {
		return nil, errRootDomain
	}
	if n == 1 {
		return newFloat().Set(x), nil
	}
	xf, _ := x.Float64()
	g := math.Pow(xf, 1/float64(n))
	y := newFloat()
	if g > 0 && !math.IsInf(g, 0) && !math.IsNaN(g) {
		y.SetFloat64(g)
	} else {
		y.SetInt64(1)
	}
	nf := floatFromInt(int64(n))
	nm1 := floatFromInt(int64(n - 1))
	tol := newFloat().SetMantExp(floatFromInt(1), -(floatPrec - 8))
	for range 2000 {
		// y' = ((n-1)·y + x / y^(n-1)) / n
		yn1 := powInt(y, n-1)
		t := newFloat().Quo(x, yn1)
		next := newFloat().Mul(nm1, y)
		next.Add(next, t)
		next.Quo(next, nf)
		diff := newFloat().Sub(next, y)
		diff.Abs(diff)
		y = next
		if diff.Cmp(newFloat().Mul(tol, y)) <= 0 {
			return y, nil
		}
	}
	return nil, errors.New("finmath: nth root did not converge")
}
