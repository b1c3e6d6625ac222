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
// Money is never held in a float64. Amounts are [Cents]; intermediate values
// are *big.Rat (exact) for integer powers and *big.Float with at least
// 256 bits of mantissa for fractional powers (daily rates, CET). float64 is
// used only to present a rate ([Rate.Float64]) and as the starting guess of
// an iterative root that is then refined at full precision.
package finmath
