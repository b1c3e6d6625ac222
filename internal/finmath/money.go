package finmath

import (
	"fmt"
	"math"
	"math/big"
)

// Cents is an amount of money in centavos (1/100 of a real). It is the only
// type that holds money in this package; it is never converted to a float.
type Cents int64

// String returns the amount as a plain decimal in reais with two decimals,
// for example "10207.93" or "-0.05".
func (c Cents) String() string {
	sign := ""
	v := int64(c)
	if v < 0 {
		sign = "-"
	}
	u := uint64(v)
	if v < 0 {
		u = uint64(-v) // correct also for math.MinInt64 via two's complement
	}
	return fmt.Sprintf("%s%d.%02d", sign, u/100, u%100)
}

// Rat returns the amount as an exact rational number of centavos.
func (c Cents) Rat() *big.Rat { return new(big.Rat).SetInt64(int64(c)) }

// RoundHalfUp rounds an exact number of centavos to whole centavos, ties away
// from zero (which is "half-up" for the non-negative amounts of the domain).
// This is the rounding of amounts named by spec/domain.md §5.1: PMT, interest
// per period, IOF, fines and mora are each rounded this way at the point the
// spec names. It returns an error if the result does not fit in an int64.
func RoundHalfUp(centavos *big.Rat) (Cents, error) {
	num, den := centavos.Num(), centavos.Denom()
	if num.IsInt64() && den.IsUint64() {
		// |num| and den fit in 64 bits: q = ⌊|num|/den⌋, up when 2·rem ≥ den.
		n, d := num.Int64(), den.Uint64()
		abs := uint64(n)
		if n < 0 {
			abs = -abs
		}
		q, rem := abs/d, abs%d
		if rem >= d-rem {
			q++
		}
		switch {
		case n >= 0 && q <= math.MaxInt64:
			return Cents(q), nil
		case n < 0 && q <= 1<<63:
			return Cents(-int64(q)), nil // −2^63 included
		}
		return 0, fmt.Errorf("finmath: amount %s centavos overflows int64", centavos.FloatString(2))
	}
	var q, rem big.Int
	return roundHalfUpInt(q.Set(num), den, &rem)
}
