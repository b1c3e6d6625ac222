package finmath

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Rate is an exact rate expressed as a fraction (0.02 is 2%). It wraps a
// *big.Rat; the zero value is the rate 0. A Rate is immutable: methods never
// modify the receiver and accessors return copies.
type Rate struct{ r *big.Rat }

// ErrInvalidRate is returned (wrapped) by the parsers for malformed input.
var ErrInvalidRate = errors.New("finmath: invalid rate")

// maxRateLen bounds parser input so hostile strings cannot allocate huge numbers.
const maxRateLen = 64

// ParsePercent parses a plain decimal percentage such as "2", "2.5",
// "-0.0082" or "0.00274" and returns the exact fraction (ParsePercent("2.5")
// is 0.025). Only an optional sign, digits and at most one '.' are accepted
// (no exponent, no fraction bar, at most 64 bytes); anything else returns an
// error wrapping ErrInvalidRate.
func ParsePercent(s string) (Rate, error) {
	r, err := parsePlainDecimal(s, 2)
	if err != nil {
		return Rate{}, err
	}
	return Rate{r}, nil
}

// ParseFraction parses a plain decimal fraction such as "0.025" (2.5%) with
// the same syntax and errors as ParsePercent.
func ParseFraction(s string) (Rate, error) {
	r, err := parsePlainDecimal(s, 0)
	if err != nil {
		return Rate{}, err
	}
	return Rate{r}, nil
}

// MustPercent is ParsePercent for constants known to be valid; it panics on
// error and is meant for package-level tables and tests.
func MustPercent(s string) Rate {
	r, err := ParsePercent(s)
	if err != nil {
		panic(err)
	}
	return r
}

// PercentBP returns the rate of bp basis points (1 bp = 0.01%), so
// PercentBP(200) is 2%.
func PercentBP(bp int64) Rate { return Rate{big.NewRat(bp, 10000)} }

// RateFromRat returns a Rate holding a copy of x (a fraction, not a
// percentage). A nil x is the rate 0.
func RateFromRat(x *big.Rat) Rate {
	if x == nil {
		return Rate{}
	}
	return Rate{new(big.Rat).Set(x)}
}

// parsePlainDecimal parses s as described at ParsePercent and returns it
// divided by 10^shift.
func parsePlainDecimal(s string, shift int) (*big.Rat, error) {
	if s == "" || len(s) > maxRateLen {
		return nil, fmt.Errorf("%w: %q", ErrInvalidRate, s)
	}
	body := s
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	digits, dots := 0, 0
	for i := 0; i < len(body); i++ {
		switch c := body[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
			dots++
		default:
			return nil, fmt.Errorf("%w: %q", ErrInvalidRate, s)
		}
	}
	if digits == 0 || dots > 1 {
		return nil, fmt.Errorf("%w: %q", ErrInvalidRate, s)
	}
	if digits <= 18 { // the digits fit in an int64: r = ±m / 10^(decimals+shift)
		var m int64
		decimals, dot := 0, false
		for i := 0; i < len(body); i++ {
			if body[i] == '.' {
				dot = true
				continue
			}
			m = m*10 + int64(body[i]-'0')
			if dot {
				decimals++
			}
		}
		if k := decimals + shift; k < len(pow10Table) {
			// m/10^k in lowest terms with word arithmetic.
			den := pow10Table[k].Uint64()
			g := gcd64(uint64(m), den)
			num := int64(uint64(m) / g)
			if s[0] == '-' {
				num = -num
			}
			return ratCoprime(big.NewInt(num), new(big.Int).SetUint64(den/g)), nil
		}
		if s[0] == '-' {
			m = -m
		}
		return new(big.Rat).SetFrac(big.NewInt(m), pow10(decimals+shift)), nil
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrInvalidRate, s)
	}
	return r.Quo(r, new(big.Rat).SetInt(pow10(shift))), nil
}

// rat returns the underlying value without copying (nil means 0).
func (r Rate) rat() *big.Rat {
	if r.r == nil {
		return new(big.Rat)
	}
	return r.r
}

// Rat returns a copy of the rate as an exact fraction.
func (r Rate) Rat() *big.Rat { return new(big.Rat).Set(r.rat()) }

// Sign returns -1, 0 or +1 according to the sign of the rate.
func (r Rate) Sign() int { return r.rat().Sign() }

// Cmp compares r and o and returns -1, 0 or +1.
func (r Rate) Cmp(o Rate) int { return r.rat().Cmp(o.rat()) }

// Float64 returns the nearest float64 to the fraction. Use it only to present
// a rate; never feed it back into a money computation.
func (r Rate) Float64() float64 {
	f, _ := r.rat().Float64()
	return f
}

// Percent returns the rate as a percentage in canonical plain decimal form
// without trailing zeros ("2.5" for 0.025, "-0.0082", "0"). The value is
// exact whenever the percentage is a terminating decimal (always true for
// rates from ParsePercent); otherwise it is rounded to 20 decimals.
func (r Rate) Percent() string {
	p := new(big.Rat).Mul(r.rat(), big.NewRat(100, 1))
	digits, ok := terminatingDigits(p.Denom())
	if !ok {
		digits = 20
	}
	s := p.FloatString(digits)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	if s == "-0" {
		s = "0"
	}
	return s
}

// PercentHalfEven returns the rate as a percentage rounded to the given
// number of decimals with ties to even (ABNT NBR 5891), e.g. "32.45" for a
// CET. It is the presentation required for published rates (domain.md §5.5).
// A negative decimals is treated as 0.
func (r Rate) PercentHalfEven(decimals int) string {
	if decimals < 0 {
		decimals = 0
	}
	// q = round_half_even(num·10^(decimals+2) / den), in integers.
	x := r.rat()
	var q, m big.Int
	q.Mul(x.Num(), pow10(decimals+2))
	den := x.Denom()
	q.QuoRem(&q, den, &m) // truncated toward zero
	m.Abs(&m)
	m.Lsh(&m, 1)
	if c := m.Cmp(den); c > 0 || (c == 0 && q.Bit(0) == 1) {
		if x.Sign() < 0 {
			q.Sub(&q, bigOne)
		} else {
			q.Add(&q, bigOne)
		}
	}
	// q/10^decimals as Rat.FloatString(decimals) writes it: a sign unless
	// q = 0, at least one integer digit, then exactly decimals decimals.
	var buf [48]byte
	neg := q.Sign() < 0
	q.Abs(&q)
	var digits []byte
	if q.IsUint64() {
		digits = strconv.AppendUint(buf[:0], q.Uint64(), 10)
	} else {
		digits = q.Append(buf[:0], 10)
	}
	intDigits := len(digits) - decimals // digits before the point; at least one
	out := make([]byte, 0, max(intDigits, 1)+decimals+2)
	if neg {
		out = append(out, '-')
	}
	if intDigits <= 0 {
		out = append(out, '0')
		if decimals > 0 {
			out = append(out, '.')
		}
		for range -intDigits {
			out = append(out, '0')
		}
		return string(append(out, digits...))
	}
	out = append(out, digits[:intDigits]...)
	if decimals > 0 {
		out = append(out, '.')
		out = append(out, digits[intDigits:]...)
	}
	return string(out)
}

// gcd64 returns the greatest common divisor of a and b > 0.
func gcd64(a, b uint64) uint64 {
	for a != 0 {
		a, b = b%a, a
	}
	return b
}

// pow10 returns 10^k (k ≥ 0); the caller must not modify it.
func pow10(k int) *big.Int {
	if k < len(pow10Table) {
		return pow10Table[k]
	}
	return new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(k)), nil)
}

var pow10Table = func() []*big.Int {
	t := make([]*big.Int, 20)
	v := uint64(1)
	for k := range t {
		t[k] = new(big.Int).SetUint64(v)
		v *= 10
	}
	return t
}()

// String returns the rate as a percentage followed by "%", using Percent.
func (r Rate) String() string { return r.Percent() + "%" }

// RoundHalfEven rounds x to the given number of decimals (>= 0; negative is
// treated as 0), resolving exact ties to the even neighbour (ABNT NBR 5891,
// "banker's rounding"). It returns a new value and never fails.
func RoundHalfEven(x *big.Rat, decimals int) *big.Rat {
	if decimals < 0 {
		decimals = 0
	}
	scale := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)
	v := new(big.Rat).Mul(x, new(big.Rat).SetInt(scale))
	num, den := v.Num(), v.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int)) // truncated toward zero
	twice := new(big.Int).Lsh(new(big.Int).Abs(m), 1)
	switch c := twice.Cmp(den); {
	case c > 0 || (c == 0 && q.Bit(0) == 1):
		if num.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		} else {
			q.Add(q, big.NewInt(1))
		}
	}
	return new(big.Rat).SetFrac(q, scale)
}

// terminatingDigits reports how many decimals represent 1/den exactly, and
// whether it is a terminating decimal at all.
func terminatingDigits(den *big.Int) (int, bool) {
	d := new(big.Int).Set(den)
	two, five := 0, 0
	m := new(big.Int)
	for {
		q, r := new(big.Int).QuoRem(d, big.NewInt(2), m)
		if r.Sign() != 0 {
			break
		}
		d, two = q, two+1
	}
	for {
		q, r := new(big.Int).QuoRem(d, big.NewInt(5), m)
		if r.Sign() != 0 {
			break
		}
		d, five = q, five+1
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return 0, false
	}
	return max(two, five), true
}
