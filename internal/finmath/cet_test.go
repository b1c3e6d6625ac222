package finmath

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
	"time"
)

// cetPublished returns what is published of a CET: the annual rate and its
// monthly equivalent, in percent with two decimals (NBR 5891).
func cetPublished(t *testing.T, r Rate) [2]string {
	t.Helper()
	m, err := MonthlyEquivalent(r)
	if err != nil {
		t.Fatal(err)
	}
	return [2]string{r.PercentHalfEven(2), m.PercentHalfEven(2)}
}

// simulationFlows prices a loan as lending.Simulate does: requested plus a
// fee financed with its IOF, due dates 30 days after disbursement and then
// monthly, rolled to business days. It returns FC0 (requested) and the
// installments, or ok false for terms without a schedule.
func simulationFlows(rng *rand.Rand) (fc0 Cents, flows []Flow, ok bool) {
	disb := Date{2024, time.January, 1}.AddDays(rng.IntN(4 * 365))
	requested := 100_00 + Cents(rng.Int64N(1_000_000_00))
	if rng.IntN(4) == 0 {
		requested = 100_00 + Cents(rng.Int64N(30_000_00))
	}
	fee := Cents(rng.Int64N(int64(requested)/20 + 1))
	rate := MustPercent(fmt.Sprintf("%d.%04d", rng.IntN(20), rng.IntN(10000)))
	if rate.Sign() == 0 || rng.IntN(10) == 0 {
		rate = PercentBP(50 + rng.Int64N(1950))
	}
	n := 1 + rng.IntN(60)
	if rng.IntN(20) == 0 {
		n = 61 + rng.IntN(300)
	}
	dues := make([]Date, n)
	first := disb.AddDays(30)
	for k := range dues {
		dues[k] = NextBusinessDay(first.AddMonths(k))
	}
	kind := []BorrowerKind{BorrowerPJ, BorrowerSimples, BorrowerPF}[rng.IntN(3)]
	fin, err := FinancedIOF(requested+fee, rate, dues, disb, kind, DefaultIOFTable())
	if err != nil {
		return 0, nil, false // high rate × long term: no schedule
	}
	flows, err = fin.Schedule.Flows(dues)
	if err != nil {
		panic(err)
	}
	// CET is reckoned from the disbursement date: shift the flows so that
	// every case can use d0.
	for k := range flows {
		flows[k].Date = d0.AddDays(flows[k].Date.DaysSince(disb))
	}
	return requested, flows, true
}

// randomFlows returns arbitrary flows: unsorted, same-day, day-0 and zero
// amounts, sometimes negative, against an FC0 that may exceed their sum.
func randomFlows(rng *rand.Rand) (Cents, []Flow) {
	flows := make([]Flow, 1+rng.IntN(60))
	var sum Cents
	for k := range flows {
		a := Cents(rng.Int64N(100_000_00))
		if rng.IntN(10) == 0 {
			a = 0
		}
		if rng.IntN(40) == 0 {
			a = -a
		}
		day := rng.IntN(3000)
		if rng.IntN(20) == 0 {
			day = 0
		}
		flows[k] = Flow{d0.AddDays(day), a}
		sum += a
	}
	fc0 := 1 + Cents(rng.Int64N(int64(max(sum, 1))))
	if rng.IntN(10) == 0 {
		fc0 = sum + Cents(rng.Int64N(int64(max(sum, 1))/10+1)) // a negative CET, or none
	}
	return fc0, flows
}

// TestCETFastMatchesExact is the property that lets CET return the float64
// root: over thousands of simulations and arbitrary flows, CET (fast path
// when certified) and cetExact (always 256-bit) publish the same annual and
// monthly CET, fail alike, and agree to 1e-9 on 1+CET.
func TestCETFastMatchesExact(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4881, 5891))
	var cases, fast, simulations, fastSimulations int
	for i := 0; i < 4000; i++ {
		var fc0 Cents
		var flows []Flow
		if i%4 == 3 {
			fc0, flows = randomFlows(rng)
		} else {
			var ok bool
			if fc0, flows, ok = simulationFlows(rng); !ok {
				continue
			}
			simulations++
		}
		cases++
		got, err := CET(fc0, flows, d0)
		want, werr := cetExact(fc0, flows, d0)
		if (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Fatalf("#%d CET(%s, %v) err = %v, exact %v", i, fc0, flows, err, werr)
		}
		if err != nil {
			continue
		}
		if g, w := cetPublished(t, got), cetPublished(t, want); g != w {
			t.Fatalf("#%d CET(%s, %v) publishes %v, exact %v", i, fc0, flows, g, w)
		}
		terms, _ := cetInput(fc0, flows, d0, nil)
		if _, ok := cetFast(fc0, terms); ok {
			fast++
			if i%4 != 3 {
				fastSimulations++
			}
			one := big.NewRat(1, 1)
			ratio := new(big.Rat).Quo(new(big.Rat).Add(one, got.Rat()), new(big.Rat).Add(one, want.Rat()))
			if f, _ := ratio.Float64(); math.Abs(f-1) > 1e-9 {
				t.Fatalf("#%d fast CET %s is %g off the exact %s", i, got.PercentHalfEven(12), f-1, want.PercentHalfEven(12))
			}
		}
	}
	t.Logf("%d cases: fast path certified %d; %d simulations: %d", cases, fast, simulations, fastSimulations)
	if fastSimulations < simulations*999/1000 {
		t.Errorf("fast path certified only %d of %d simulations", fastSimulations, simulations)
	}
}

// TestCETFallback covers inputs the fast path must not answer: the exact
// root on a rounding tie, a monthly equivalent within 10^-12 of one,
// negative flows and amounts beyond float64's exact integers. CET must
// then return exactly what cetExact does.
func TestCETFallback(t *testing.T) {
	t.Parallel()
	// (1.02345)^12 scaled to the largest FC0 float64 holds exactly.
	const fcBig = 1_000_000_000_000_000
	m12, _ := new(big.Rat).SetString("1.02345")
	m12 = powRat(m12, 12)
	m12.Mul(m12, big.NewRat(fcBig, 1))
	nearTieMonthly, _ := RoundHalfUp(m12)
	tests := []struct {
		name  string
		fc0   Cents
		flows []Flow
		want  [2]string // published annual and monthly; "" to skip
	}{
		// 1+CET = 1.32445 exactly: the annual CET is the tie 32.445%.
		{"annual-tie", 1000_00, []Flow{{d0.AddDays(365), 1324_45}}, [2]string{"32.44", ""}},
		{"annual-tie-odd", 1000_00, []Flow{{d0.AddDays(365), 1324_35}}, [2]string{"32.44", ""}},
		{"monthly-near-tie", fcBig, []Flow{{d0.AddDays(365), nearTieMonthly}}, [2]string{"", ""}},
		{"negative-flow", 1000_00, []Flow{{d0.AddDays(30), 600_00}, {d0.AddDays(60), -10_00}, {d0.AddDays(90), 500_00}}, [2]string{"", ""}},
		{"beyond-2^53", 1 << 54, []Flow{{d0.AddDays(30), 1<<54 + 1<<50}}, [2]string{"", ""}},
		{"astronomic", 1, []Flow{{d0.AddDays(1), 1_000_000}}, [2]string{"", ""}},
		{"u-above-2", 1_000_000, []Flow{{d0.AddDays(1), 1}}, [2]string{"", ""}}, // CET −100% at 256 bits
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			terms, err := cetInput(tc.fc0, tc.flows, d0, nil)
			if err != nil {
				t.Fatal(err)
			}
			if r, ok := cetFast(tc.fc0, terms); ok {
				t.Fatalf("fast path certified %s", r.PercentHalfEven(12))
			}
			got, err := CET(tc.fc0, tc.flows, d0)
			if err != nil {
				t.Fatal(err)
			}
			want, err := cetExact(tc.fc0, tc.flows, d0)
			if err != nil {
				t.Fatal(err)
			}
			if got.Cmp(want) != 0 {
				t.Errorf("CET = %s, exact %s", got.Rat().FloatString(40), want.Rat().FloatString(40))
			}
			if tc.want == [2]string{} {
				return
			}
			pub := cetPublished(t, got)
			for k, w := range tc.want {
				if w != "" && pub[k] != w {
					t.Errorf("published %v, want %v", pub, tc.want)
				}
			}
		})
	}
}

// TestCETExactNewton is the regression of the exact path's Newton: once it
// converged from above, its step landed on the bracket's upper end and was
// rejected for some 240 bisections. Now it takes a few evaluations.
func TestCETExactNewton(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pv   Cents
		rate string
		n    int
	}{{25_500_00, "2.49", 12}, {25_500_00, "2.49", 48}, {10_000_00, "1", 360}, {1_000_00, "15", 24}} {
		s, err := PriceSchedule(tc.pv, MustPercent(tc.rate), tc.n)
		if err != nil {
			t.Fatal(err)
		}
		flows := flowsOf(t, s, monthly(d0, tc.n, true))
		terms, _ := cetInput(tc.pv-tc.pv/50, flows, d0, nil)
		r, evals, err := cetSolveCount(tc.pv-tc.pv/50, terms)
		if err != nil {
			t.Fatal(err)
		}
		if evals > 30 {
			t.Errorf("%s at %s%% in %d: %d evaluations (CET %s)", tc.pv, tc.rate, tc.n, evals, r.PercentHalfEven(4))
		}
	}
}

// TestCETVectorsExact runs the C6 and P3 vectors through the exact path.
func TestCETVectorsExact(t *testing.T) {
	t.Parallel()
	table := currentRates(t)
	c1, _ := PriceSchedule(10_000_00, MustPercent("2"), 12)
	c5, err := FinancedIOF(10_000_00, MustPercent("2"), every30(d0, 12), d0, BorrowerPJ, table)
	if err != nil {
		t.Fatal(err)
	}
	p3 := make([]Flow, 5)
	for k, d := range every30(d0, 5) {
		p3[k] = Flow{d, 205_73}
	}
	for _, tc := range []struct {
		fc0   Cents
		flows []Flow
		want  string
	}{
		{10_000_00 - 203_70, flowsOf(t, c1, every30(d0, 12)), "32.45"},
		{10_000_00, flowsOf(t, c5.Schedule, every30(d0, 12)), "32.45"},
		{10_000_00 - 200_00, flowsOf(t, c5.Schedule, every30(d0, 12)), "37.80"},
		{940_00, p3, "44.66"},
		{100_00, []Flow{{d0.AddDays(365), 90_00}}, "-10.00"},
	} {
		r, err := cetExact(tc.fc0, tc.flows, d0)
		if err != nil {
			t.Fatal(err)
		}
		if got := r.PercentHalfEven(2); got != tc.want {
			t.Errorf("exact CET = %s, want %s", got, tc.want)
		}
	}
	for _, tc := range []struct {
		fc0   Cents
		flows []Flow
		want  error
	}{
		{0, []Flow{{d0, 1}}, ErrCETInput},
		{100, []Flow{{d0.AddDays(30), -5}}, ErrCETNoBracket},
		{100, []Flow{{d0, 100}}, ErrCETNoBracket},
	} {
		if _, err := cetExact(tc.fc0, tc.flows, d0); !errors.Is(err, tc.want) {
			t.Errorf("cetExact err = %v, want %v", err, tc.want)
		}
	}
}

// TestCETDeepNegative: the fast path also answers CETs near −100%, whose
// float64 1+CET is below 2^−9 and is converted through big.Rat.SetFloat64.
func TestCETDeepNegative(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		fc0, repaid Cents
		want        [2]string
	}{
		{100_000, 100, [2]string{"-99.90", "-43.77"}},
		{1_000_000, 1, [2]string{"-100.00", "-68.38"}},
	} {
		flows := []Flow{{d0.AddDays(365), tc.repaid}}
		terms, _ := cetInput(tc.fc0, flows, d0, nil)
		got, ok := cetFast(tc.fc0, terms)
		want, err := cetExact(tc.fc0, flows, d0)
		if !ok || err != nil {
			t.Fatalf("fast path %v, exact error %v", ok, err)
		}
		if g, w := cetPublished(t, got), cetPublished(t, want); g != w || g != tc.want {
			t.Errorf("published %v, exact %v, want %v", g, w, tc.want)
		}
	}
}

func TestRatFromFloat(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"0", "1", "-3", "0.5", "-0.75", "1e30", "3e-50", "123456789.123456789"} {
		f, _, err := big.ParseFloat(s, 10, floatPrec, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := f.Rat(nil)
		if got := ratFromFloat(f); got.Cmp(want) != 0 {
			t.Errorf("ratFromFloat(%s) = %s, want %s", s, got.RatString(), want.RatString())
		}
	}
}

func TestCETSameCell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lo, hi float64
		want   bool
	}{
		{1.3245, 1.3245, true},            // 32.45% exactly: mid-cell
		{1.32445, 1.32445, false},         // a tie
		{1.324449, 1.324451, false},       // straddles a boundary
		{1.32446, 1.32454, true},          // within 32.45
		{1.32445000000001, 1.3245, false}, // within the margin of the boundary
		{0.9, 0.9, true},                  // −10%
		{0.99995, 0.99995, false},         // −0.005%: a tie
		{1, 1, true},
		{2e12, 2e12, false}, // beyond the range handled
	} {
		if got := cetSameCell(tc.lo, tc.hi); got != tc.want {
			t.Errorf("cetSameCell(%v, %v) = %v, want %v", tc.lo, tc.hi, got, tc.want)
		}
	}
	// The rounding-error bounds bracket the exact value of a product.
	x := 1.0 / 3
	p, m := powCount(x, 7)
	exact := new(big.Rat).SetFloat64(x)
	exact = powRat(exact, 7)
	if lo, hi := new(big.Rat).SetFloat64(cetLower(p, m)), new(big.Rat).SetFloat64(cetUpper(p, m)); lo.Cmp(exact) > 0 || hi.Cmp(exact) < 0 {
		t.Errorf("bounds [%g, %g] miss (1/3)^7", cetLower(p, m), cetUpper(p, m))
	}
}
