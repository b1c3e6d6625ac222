// Package finmath holds the exact credit arithmetic of the lending domain:
// money in integer centavos, rates as exact decimal fractions, the Price
// (French) amortization schedule, rate conversions, the Brazilian banking
// business-day calendar, IOF, financed-IOF gross-up, the regulatory CET
// (Res. CMN 4.881/2020) and late-payment charges.
//
// The package is pure: no I/O, no clock, no global mutable state. Every
// formula and rounding point follows spec/domain.md §5; the vectors of
// §5.10 are reproduced by the tests.
//
// Money is never held in a float64. Amounts are [Cents]; the Price
// schedule, IOF and the financed-IOF gross-up are exact integer arithmetic
// (128-bit, or big.Int where that could overflow) on centavos and on the
// numerators and denominators of exact rates; intermediate values are
// *big.Rat (exact) for integer powers and *big.Float with at least 256 bits
// of mantissa for fractional powers (daily rates, CET). float64 is used to
// present a rate ([Rate.Float64]), as the starting guess of an iterative
// root, and in the fast path of [CET], where a float64 root is returned only
// with a rigorous error bound proving that it publishes the same figures as
// the exact root (see CET).
package finmath
