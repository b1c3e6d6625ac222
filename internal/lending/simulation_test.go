package lending_test

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

var simIDRE = regexp.MustCompile(`^sim_[0-9a-f]{32}$`)

func date(y int, m time.Month, d int) finmath.Date { return finmath.Date{Y: y, M: m, D: d} }

// currentIOF is the current row of DefaultIOFTable (PJ = PF = 0.0082%/day, Simples 0.00274%/day, +0.38%)
// made effective for every date: the C vectors of domain.md §5.10 are stated "PJ, 2025+ rates" although
// they disburse on 2025-01-15, before the row's EffectiveFrom (finmath_test.go does the same).
func currentIOF(t testing.TB) finmath.IOFTable {
	t.Helper()
	r, err := finmath.DefaultIOFTable().At(date(2026, time.January, 1))
	if err != nil {
		t.Fatal(err)
	}
	r.EffectiveFrom = finmath.Date{Y: 1, M: time.January, D: 1}
	return finmath.IOFTable{r}
}

func TestFee(t *testing.T) {
	t.Parallel()
	policy := lending.CreditTerms{FeeRate: "2", FeeMin: 50_00, FeeMax: 1_500_00}
	half := lending.CreditTerms{FeeRate: "0.5", FeeMin: 0, FeeMax: lending.MaxAmount}
	tests := []struct {
		name      string
		terms     lending.CreditTerms
		requested finmath.Cents
		want      finmath.Cents
	}{
		{"below FeeMin", policy, 1_000_00, 50_00},
		{"at FeeMin", policy, 2_500_00, 50_00},
		{"just above FeeMin", policy, 2_500_50, 50_01},
		{"rate", policy, 10_000_00, 200_00},
		{"at FeeMax", policy, 75_000_00, 1_500_00},
		{"just above FeeMax", policy, 75_000_50, 1_500_00},
		{"far above FeeMax", policy, lending.MaxAmount, 1_500_00},
		{"0.005 centavo rounds to 0", half, 1, 0},
		{"0.495 rounds down", half, 99, 0},
		{"0.5 rounds up (half-even would give 0)", half, 100, 1},
		{"1.5 rounds up", half, 300, 2},
		{"2.495 rounds down", half, 499, 2},
		{"2.5 rounds up (half-even would give 2)", half, 500, 3},
		{"fractional rate", lending.CreditTerms{FeeRate: "2.75", FeeMax: lending.MaxAmount}, 1_234_56, 33_95}, // 33.9504
		{"no fee", lending.CreditTerms{FeeRate: "0"}, 10_000_00, 0},
		{"zero rate still pays FeeMin", lending.CreditTerms{FeeRate: "0", FeeMin: 50_00, FeeMax: 50_00}, 10_000_00, 50_00},
		// Inverted bounds (Policy.Validate refuses them): FeeMin wins.
		{"FeeMax below FeeMin", lending.CreditTerms{FeeRate: "2", FeeMin: 100_00, FeeMax: 10_00}, 1_000_000_00, 100_00},
	}
	for _, tc := range tests {
		got, err := tc.terms.Fee(tc.requested)
		if err != nil || got != tc.want {
			t.Errorf("%s: Fee(%s) = %s, %v; want %s", tc.name, tc.requested, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "abc", "2%", "1e1"} {
		if got, err := (lending.CreditTerms{FeeRate: bad}).Fee(10_000_00); err == nil {
			t.Errorf("Fee with FeeRate %q = %s, want an error", bad, got)
		}
	}
}

// TestAddMonthsAtMonthEnd documents what DueDates builds on: finmath.Date.AddMonths clamps a day the
// target month lacks to its last day, and the clamping does not carry, because DueDates adds k months
// to the first (unrolled) date each time rather than one month to the previous due date.
func TestAddMonthsAtMonthEnd(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		from finmath.Date
		n    int
		want finmath.Date
	}{
		{date(2026, 1, 30), 1, date(2026, 2, 28)},
		{date(2026, 1, 30), 2, date(2026, 3, 30)}, // not 03-28: the 30th comes back
		{date(2026, 1, 31), 1, date(2026, 2, 28)},
		{date(2026, 1, 31), 2, date(2026, 3, 31)},
		{date(2026, 1, 31), 3, date(2026, 4, 30)},
		{date(2026, 1, 31), 4, date(2026, 5, 31)},
		{date(2028, 1, 31), 1, date(2028, 2, 29)}, // leap year
		{date(2028, 2, 29), 12, date(2029, 2, 28)},
		{date(2026, 3, 31), -1, date(2026, 2, 28)},
		{date(2026, 12, 15), 1, date(2027, 1, 15)},
		{date(2026, 3, 2), 0, date(2026, 3, 2)},
	} {
		if got := tc.from.AddMonths(tc.n); got != tc.want {
			t.Errorf("%s.AddMonths(%d) = %s, want %s", tc.from, tc.n, got, tc.want)
		}
	}
}

func TestDueDates(t *testing.T) {
	t.Parallel()
	// Hand-checked against the 2025–2028 calendar. Easter 2026 is 04-05: Carnival 02-16/17, Good Friday
	// 04-03, Corpus Christi 06-04. Easter 2028 is 04-16: Carnival 02-28/29.
	tests := []struct {
		name string
		d0   finmath.Date
		want []finmath.Date
	}{
		{"business days, a Saturday later", date(2026, 3, 10), // +30 = Thu 04-09; 05-09 is a Saturday
			[]finmath.Date{date(2026, 4, 9), date(2026, 5, 11), date(2026, 6, 9), date(2026, 7, 9)}},
		{"Saturday before Carnival", date(2026, 1, 15), // +30 = Sat 02-14 → Sun, Carnival Mon/Tue → Ash Wednesday
			[]finmath.Date{date(2026, 2, 18), date(2026, 3, 16), date(2026, 4, 14)}},
		{"Carnival Monday", date(2026, 1, 17), // +30 = Mon 02-16; the later dates keep the 16th, not the 18th
			[]finmath.Date{date(2026, 2, 18), date(2026, 3, 16), date(2026, 4, 16)}},
		{"Good Friday", date(2026, 3, 4), // +30 = Fri 04-03 → Mon 04-06; 05-03 is a Sunday
			[]finmath.Date{date(2026, 4, 6), date(2026, 5, 4), date(2026, 6, 3), date(2026, 7, 3)}},
		{"Tiradentes", date(2026, 3, 22), // +30 = Tue 04-21; 06-21 is a Sunday
			[]finmath.Date{date(2026, 4, 22), date(2026, 5, 21), date(2026, 6, 22)}},
		{"Corpus Christi", date(2026, 5, 5), // +30 = Thu 06-04; 07-04 is a Saturday
			[]finmath.Date{date(2026, 6, 5), date(2026, 7, 6), date(2026, 8, 4)}},
		{"Labour Day on a Friday", date(2026, 3, 2),
			[]finmath.Date{date(2026, 4, 1), date(2026, 5, 4), date(2026, 6, 1)}},
		{"released on a Saturday", date(2026, 3, 7),
			[]finmath.Date{date(2026, 4, 6), date(2026, 5, 6)}},
		{"released on Jan 31", date(2026, 1, 31), // +30 = Mon 03-02 (February has 28 days); 05-02 is a Saturday
			[]finmath.Date{date(2026, 3, 2), date(2026, 4, 2), date(2026, 5, 4), date(2026, 6, 2)}},
		{"first on the 30th: Feb 28 then back to the 30th", date(2025, 12, 31), // 01-30, 02-28 (Sat), 03-30, 04-30, 05-30 (Sat)
			[]finmath.Date{date(2026, 1, 30), date(2026, 3, 2), date(2026, 3, 30), date(2026, 4, 30), date(2026, 6, 1)}},
		{"first on the 31st", date(2026, 1, 1), // 01-31 (Sat), 02-28 (Sat), 03-31, 04-30, 05-31 (Sun), 06-30
			[]finmath.Date{date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 31), date(2026, 4, 30), date(2026, 6, 1), date(2026, 6, 30)}},
		{"Feb 29 2028 is Carnival Tuesday", date(2028, 1, 30), // 04-29 is a Saturday and 05-01 a Monday holiday
			[]finmath.Date{date(2028, 3, 1), date(2028, 3, 29), date(2028, 5, 2)}},
		{"Christmas", date(2026, 11, 25),
			[]finmath.Date{date(2026, 12, 28), date(2027, 1, 25)}},
		{"Proclamação da República on a Sunday", date(2026, 10, 16),
			[]finmath.Date{date(2026, 11, 16), date(2026, 12, 15)}},
		{"Consciência Negra", date(2026, 10, 21), // 11-20 is a Friday holiday; 12-20 a Sunday
			[]finmath.Date{date(2026, 11, 23), date(2026, 12, 21)}},
		{"C4's disbursement date", date(2025, 1, 15), // d0+30 = 02-14, then the 14th rolled
			[]finmath.Date{date(2025, 2, 14), date(2025, 3, 14), date(2025, 4, 14), date(2025, 5, 14), date(2025, 6, 16), date(2025, 7, 14),
				date(2025, 8, 14), date(2025, 9, 15), date(2025, 10, 14), date(2025, 11, 14), date(2025, 12, 15), date(2026, 1, 14)}},
	}
	for _, tc := range tests {
		if got := lending.DueDates(tc.d0, len(tc.want)); !cmp.Equal(tc.want, got) {
			t.Errorf("%s: DueDates(%s) = %v, want %v", tc.name, tc.d0, got, tc.want)
		}
	}
	if got := lending.DueDates(date(2026, 3, 4), 0); len(got) != 0 {
		t.Errorf("DueDates(n=0) = %v", got)
	}
}

func TestDueDatesProperty(t *testing.T) {
	t.Parallel()
	rng := newRand(30, 365)
	start := date(2024, 1, 1)
	for range 2000 {
		d0 := start.AddDays(rng.IntN(7 * 365))
		n := 1 + rng.IntN(72)
		dues := lending.DueDates(d0, n)
		if len(dues) != n {
			t.Fatalf("DueDates(%s, %d) has %d dates", d0, n, len(dues))
		}
		first := d0.AddDays(30)
		for k, d := range dues {
			unrolled := first.AddMonths(k)
			if !finmath.IsBusinessDay(d) || d.Before(unrolled) {
				t.Fatalf("DueDates(%s)[%d] = %s: not a business day on or after %s", d0, k, d, unrolled)
			}
			// Rolled forward to the first business day: none in between.
			for x := unrolled; x.Before(d); x = x.AddDays(1) {
				if finmath.IsBusinessDay(x) {
					t.Fatalf("DueDates(%s)[%d] = %s skips business day %s", d0, k, d, x)
				}
			}
			if d.DaysSince(unrolled) > 5 { // the longest run of non-business days is 5 (Sat–Wed around Carnival…)
				t.Fatalf("DueDates(%s)[%d] = %s is %d days after %s", d0, k, d, d.DaysSince(unrolled), unrolled)
			}
			if k > 0 && !dues[k-1].Before(d) {
				t.Fatalf("DueDates(%s) not increasing at %d: %v", d0, k, dues)
			}
		}
	}
}

// simOffer is an available offer (valid for 30 days from now) of a fixed n installments at rate, with the
// given fee and regime, for amounts from R$ 100 to R$ 1,000,000.
func simOffer(t testing.TB, rate string, n int, fee lending.CreditTerms, regime lending.IOFRegime, now time.Time) lending.CreditOffer {
	t.Helper()
	terms := lending.CreditTerms{ApprovedAmount: 1_000_000_00, MinAmount: 100_00, MonthlyRate: rate, Installments: n,
		FeeRate: fee.FeeRate, FeeMin: fee.FeeMin, FeeMax: fee.FeeMax, IOFRegime: regime}
	return mustOffer(t, terms, now)
}

var (
	noFee     = lending.CreditTerms{FeeRate: "0"}
	policyFee = lending.CreditTerms{FeeRate: "2", FeeMin: 50_00, FeeMax: 1_500_00}
)

// floatCET solves the CET equation of domain.md §5.5 in float64 by bisection, independently of finmath:
// fc0 = Σ amount_j / (1+cet)^(days_j/365).
func floatCET(fc0 float64, amounts []float64, days []int) float64 {
	f := func(c float64) float64 {
		s := -fc0
		for j, a := range amounts {
			s += a / math.Pow(1+c, float64(days[j])/365)
		}
		return s
	}
	lo, hi := -0.99, 1e6
	for range 400 {
		mid := (lo + hi) / 2
		if f(mid) > 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// cetResidual is |Σ amount_j/(1+cet)^(days_j/365) − fc0| / fc0 in float64.
func cetResidual(fc0 float64, amounts []float64, days []int, cet float64) float64 {
	s := -fc0
	for j, a := range amounts {
		s += a / math.Pow(1+cet, float64(days[j])/365)
	}
	return math.Abs(s) / fc0
}

func roundHalfUpRat(x *big.Rat) int64 {
	n := new(big.Int).Add(new(big.Int).Lsh(x.Num(), 1), x.Denom())
	return new(big.Int).Quo(n, new(big.Int).Lsh(x.Denom(), 1)).Int64()
}

// checkSimulation checks everything that must hold of s = Simulate(o, requested, count, now, table):
// the arithmetic of the amounts to the centavo, the schedule, the bounds of the IOF, the rates, and the
// CET against an independent float64 solution of its equation.
func checkSimulation(t *testing.T, what string, o lending.CreditOffer, requested finmath.Cents, count int, now time.Time, table finmath.IOFTable, s lending.Simulation) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		brief := s
		brief.Schedule = nil
		t.Errorf("%s: %s\n%+v", what, fmt.Sprintf(format, args...), brief)
	}
	d0 := finmath.DateOf(now.In(lending.Brasilia))
	dues := lending.DueDates(d0, count)
	fee, err := o.Fee(requested)
	if err != nil {
		t.Fatalf("%s: Fee: %v", what, err)
	}
	if !simIDRE.MatchString(s.ID) || s.Scope != o.Scope || s.CreditOfferID != o.ID || s.CustomerID != o.CustomerID ||
		s.MonthlyRate != o.MonthlyRate || !s.CreatedAt.Equal(now.Truncate(time.Second)) || s.CreatedAt.Location() != time.UTC {
		fail("identity: id %q scope %v offer %q customer %q rate %q created %v", s.ID, s.Scope, s.CreditOfferID, s.CustomerID, s.MonthlyRate, s.CreatedAt)
	}
	if s.Requested != requested || s.Fee != fee || s.Principal != s.Requested+s.Fee+s.IOF {
		fail("Principal %s != Requested %s + Fee %s (want %s) + IOF %s", s.Principal, s.Requested, s.Fee, fee, s.IOF)
	}
	if s.InstallmentCount != count || len(s.Schedule) != count || s.DisbursementDate != d0.String() || s.FirstDueDate != dues[0].String() {
		fail("count %d/%d, disbursed %s (want %s), first due %s (want %s)", s.InstallmentCount, len(s.Schedule), s.DisbursementDate, d0, s.FirstDueDate, dues[0])
	}
	if len(s.Schedule) != count {
		return
	}
	var total, interest, principal finmath.Cents
	balance := s.Principal
	for k, it := range s.Schedule {
		if it.Number != k+1 || it.DueDate != dues[k].String() {
			fail("row %d: number %d due %s, want due %s", k+1, it.Number, it.DueDate, dues[k])
		}
		if it.Amount != it.Interest+it.Principal || it.Interest < 0 || it.Principal < 0 {
			fail("row %d: %+v does not add up", k+1, it)
		}
		if it.Balance != balance-it.Principal || it.Balance < 0 || it.Balance > balance {
			fail("row %d: balance %s after %s - %s", k+1, it.Balance, balance, it.Principal)
		}
		if k < count-1 && it.Amount != s.InstallmentAmount {
			fail("row %d: amount %s != installment %s", k+1, it.Amount, s.InstallmentAmount)
		}
		balance = it.Balance
		total += it.Amount
		interest += it.Interest
		principal += it.Principal
	}
	if balance != 0 || principal != s.Principal || total != s.Total || interest != s.Interest || s.Interest != s.Total-s.Principal {
		fail("totals: final balance %s, Σ principal %s, Σ amount %s (Total %s), Σ interest %s (Interest %s)", balance, principal, total, s.Total, interest, s.Interest)
	}

	// PMT = F·i/(1−(1+i)^−n), rounded half-up (domain.md §5.1), in float64.
	rate, err := lending.ParseMonthlyRate(o.MonthlyRate)
	if err != nil {
		t.Fatal(err)
	}
	i, F := rate.Float64(), float64(s.Principal)
	if pmt := F * i / (1 - math.Pow(1+i, -float64(count))); math.Abs(pmt-float64(s.InstallmentAmount)) > 0.5+1e-6 {
		fail("installment %s, PMT formula gives %.4f centavos", s.InstallmentAmount, pmt)
	}
	if j1 := F * i; math.Abs(j1-float64(s.Schedule[0].Interest)) > 0.5+1e-6 {
		fail("first interest %s, F·i = %.4f centavos", s.Schedule[0].Interest, j1)
	}
	// The last installment absorbs the rounding residual. Each period's rounding (PMT and interest, at
	// most 1 centavo together) compounds at i, so |last − PMT| ≤ ((1+i)^n − 1)/i + 1 centavos.
	last := s.Schedule[count-1].Amount
	if bound := (math.Pow(1+i, float64(count))-1)/i + 1; math.Abs(float64(last-s.InstallmentAmount)) > bound {
		fail("last installment %s vs %s: more than %.1f centavos apart", last, s.InstallmentAmount, bound)
	}

	// IOF: at least the additional 0.38% of the net amount, at most what the 365-day cap allows at the
	// highest daily rate (0.0082%), grossed up: F ≤ round(net / (1 − (0.0082%·365 + 0.38%))).
	net := s.Requested + s.Fee
	if floor := (int64(net)*38 + 5_000) / 10_000; int64(s.IOF) < floor {
		fail("IOF %s below the additional 0.38%% of %s", s.IOF, net)
	}
	kmax := new(big.Rat).Add(new(big.Rat).Mul(big.NewRat(82, 1_000_000), big.NewRat(365, 1)), big.NewRat(38, 10_000))
	capF := roundHalfUpRat(new(big.Rat).Quo(big.NewRat(int64(net), 1), new(big.Rat).Sub(big.NewRat(1, 1), kmax)))
	if int64(s.IOF) > capF-int64(net) {
		fail("IOF %s above the 365-day cap %d", s.IOF, capF-int64(net))
	}
	// The financed principal pays its own IOF: the IOF of F's schedule (domain.md §5.3, in float64) is
	// the IOF charged, to a couple of centavos.
	rates, err := table.At(d0)
	if err != nil {
		t.Fatal(err)
	}
	daily := rates.DailyPJ
	if o.IOFRegime == lending.IOFRegimeSimples && s.Principal <= rates.SimplesCeiling {
		daily = rates.DailySimples
	}
	iof := F * rates.Additional.Float64()
	for k, it := range s.Schedule {
		iof += float64(it.Principal) * daily.Float64() * float64(min(dues[k].DaysSince(d0), 365))
	}
	if math.Abs(iof-float64(s.IOF)) > 2 {
		fail("IOF %s, but the IOF of the financed schedule is %.4f centavos", s.IOF, iof)
	}

	// Annual rate: (1+i)^12 − 1 exactly, half-even to 2 decimals.
	ann := new(big.Rat).Add(big.NewRat(1, 1), rate.Rat())
	ann.Mul(ann, ann).Mul(ann, ann) // ^4
	ann.Mul(ann, new(big.Rat).Mul(ann, ann))
	ann.Sub(ann, big.NewRat(1, 1))
	if want := finmath.RoundHalfEven(ann.Mul(ann, big.NewRat(100, 1)), 2).FloatString(2); s.AnnualRate != want {
		fail("AnnualRate %s, want %s", s.AnnualRate, want)
	}

	// CET: the float64 root of the CET equation (FC0 = requested), then its monthly equivalent.
	amounts, days := make([]float64, count), make([]int, count)
	for k, it := range s.Schedule {
		amounts[k], days[k] = float64(it.Amount), dues[k].DaysSince(d0)
	}
	cet := floatCET(float64(s.Requested), amounts, days)
	if r := cetResidual(float64(s.Requested), amounts, days, cet); r > 1e-9 {
		fail("float CET %g leaves residual %g", cet, r)
	}
	annualCET, err1 := strconv.ParseFloat(s.AnnualCET, 64)
	monthlyCET, err2 := strconv.ParseFloat(s.MonthlyCET, 64)
	if err1 != nil || err2 != nil {
		fail("CET not numbers: %q %q", s.AnnualCET, s.MonthlyCET)
	}
	if math.Abs(annualCET-100*cet) > 0.005+1e-6 {
		fail("AnnualCET %s, the CET equation gives %.6f%%", s.AnnualCET, 100*cet)
	}
	if m := math.Pow(1+cet, 1.0/12) - 1; math.Abs(monthlyCET-100*m) > 0.005+1e-6 {
		fail("MonthlyCET %s, (1+CET)^(1/12)−1 = %.6f%%", s.MonthlyCET, 100*m)
	}
	// Costs (IOF, fee) raise the CET above the IRR of the same flows against the financed principal.
	if bare := floatCET(float64(s.Principal), amounts, days); s.Principal > s.Requested && !(cet > bare) {
		fail("CET %.6f%% not above the cost-free IRR %.6f%%", 100*cet, 100*bare)
	}
}

// TestSimulateCVector relates Simulate to the computed vectors C4–C6 of domain.md §5.10 (PJ at 2% a.m.,
// no fee, R$ 10,000.00 in 12 installments, released 2025-01-15, 2025+ IOF rates).
func TestSimulateCVector(t *testing.T) {
	t.Parallel()
	d0 := date(2025, 1, 15)
	table := currentIOF(t)
	// (a) C6(d) is the financed IOF and CET on C4's dates, the 15th of each month rolled: its inputs,
	// straight through finmath.
	t.Run("C6d", func(t *testing.T) {
		t.Parallel()
		c4 := []finmath.Date{date(2025, 2, 17), date(2025, 3, 17), date(2025, 4, 15), date(2025, 5, 15), date(2025, 6, 16), date(2025, 7, 15),
			date(2025, 8, 15), date(2025, 9, 15), date(2025, 10, 15), date(2025, 11, 17), date(2025, 12, 15), date(2026, 1, 15)}
		fin, err := finmath.FinancedIOF(10_000_00, finmath.MustPercent("2"), c4, d0, finmath.BorrowerPJ, table)
		if err != nil {
			t.Fatal(err)
		}
		flows, err := fin.Schedule.Flows(c4)
		if err != nil {
			t.Fatal(err)
		}
		cet, err := finmath.CET(10_000_00, flows, d0)
		if err != nil {
			t.Fatal(err)
		}
		got := []string{fin.Gross.String(), fin.IOF.String(), fin.Schedule.PMT.String(), cet.PercentHalfEven(2)}
		if diff := cmp.Diff([]string{"10210.15", "210.15", "965.47", "32.03"}, got); diff != "" {
			t.Errorf("F / IOF / PMT / CET (-want +got):\n%s", diff)
		}
	})
	// (b) Simulate dates the loan differently (the first due date 30 days after release, then monthly:
	// the 14th, rolled), so it cannot reproduce C6(d); the figures below were computed independently
	// (Decimal arithmetic, domain.md §5.1/5.3/5.5) and the invariants hold to the centavo.
	now := time.Date(2025, 1, 15, 15, 0, 0, 0, time.UTC)
	o := simOffer(t, "2", 12, noFee, lending.IOFRegimePJ, now)
	for _, tc := range []struct {
		name                                       string
		table                                      finmath.IOFTable
		principal, iof, pmt, last, total, interest finmath.Cents
		annualCET, monthlyCET                      string
	}{
		{"2025+ rates", table, 10_209_11, 209_11, 965_37, 965_37, 11_584_44, 1_375_33, "32.26", "2.36"},
		// DefaultIOFTable puts 2025-01-15 under the earlier row: PJ 0.0041%/day.
		{"rates in force on 2025-01-15", finmath.DefaultIOFTable(), 10_122_90, 122_90, 957_22, 957_20, 11_486_62, 1_363_72, "30.10", "2.22"},
	} {
		t.Run("Simulate/"+tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := lending.Simulate(o, 10_000_00, 12, now, tc.table)
			if err != nil {
				t.Fatal(err)
			}
			checkSimulation(t, tc.name, o, 10_000_00, 12, now, tc.table, s)
			got := []finmath.Cents{s.Principal, s.IOF, s.Fee, s.InstallmentAmount, s.Schedule[11].Amount, s.Total, s.Interest}
			want := []finmath.Cents{tc.principal, tc.iof, 0, tc.pmt, tc.last, tc.total, tc.interest}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("principal/IOF/fee/PMT/last/total/interest (-want +got):\n%s", diff)
			}
			if got := []string{s.AnnualRate, s.AnnualCET, s.MonthlyCET, s.FirstDueDate, s.Schedule[11].DueDate}; !cmp.Equal(got, []string{"26.82", tc.annualCET, tc.monthlyCET, "2025-02-14", "2026-01-14"}) {
				t.Errorf("annual/CET/monthly CET/first/last due = %v", got)
			}
			if d := s.Schedule[11].Amount - s.InstallmentAmount; d < -12 || d > 12 {
				t.Errorf("last installment %s is more than 12 centavos from %s", s.Schedule[11].Amount, s.InstallmentAmount)
			}
			if a, _ := strconv.ParseFloat(s.AnnualCET, 64); a < 26.82 {
				t.Errorf("CET %s below the annual rate", s.AnnualCET)
			}
		})
	}
}

// TestSimulateGolden pins four simulations on 2026-03-04 (12:00 in Brasília) with the IOF in force.
// Every figure was computed independently (a Decimal implementation of domain.md §5.1, §5.3 and §5.5:
// PMT half-up, interest half-up per period, last installment absorbs the residual, IOF per installment on
// days to the rolled due date capped at 365, F = net/(1−k), CET by bisection on the /365 equation) and
// agrees with Simulate to the centavo; checkSimulation re-derives PMT, IOF and CET in float64.
func TestSimulateGolden(t *testing.T) {
	t.Parallel()
	now := offerNow
	type row struct{ amount, interest, principal, balance finmath.Cents }
	tests := []struct {
		name                                            string
		rate                                            string
		n                                               int
		regime                                          lending.IOFRegime
		requested                                       finmath.Cents
		fee, iof, principal, pmt, last, total, interest finmath.Cents
		annual, monthlyCET, annualCET, lastDue          string
		first                                           row
	}{
		{"fixed 12 at 3.49%, PJ, R$ 10,000 (fee 2%)", "3.49", 12, lending.IOFRegimePJ, 10_000_00,
			200_00, 219_64, 10_419_64, 1_077_63, 1_077_66, 12_931_59, 2_511_95, "50.93", "4.18", "63.47", "2027-03-03",
			row{1_077_63, 363_65, 713_98, 9_705_66}},
		{"24 at 2.49%, Simples, R$ 25,000 (fee 2%)", "2.49", 24, lending.IOFRegimeSimples, 25_000_00,
			500_00, 308_57, 25_808_57, 1_441_44, 1_441_31, 34_594_43, 8_785_86, "34.33", "2.78", "38.89", "2028-03-03",
			row{1_441_44, 642_63, 798_81, 25_009_76}},
		{"3 at 4.99%, Simples, R$ 1,000 (fee at FeeMin)", "4.99", 3, lending.IOFRegimeSimples, 1_000_00,
			50_00, 5_82, 1_055_82, 387_63, 387_64, 1_162_90, 107_08, "79.38", "7.82", "146.80", "2026-06-03",
			row{387_63, 52_69, 334_94, 720_88}},
		{"48 at 1.79%, PJ, R$ 100,000 (fee at FeeMax, IOF days capped at 365)", "1.79", 48, lending.IOFRegimePJ, 100_000_00,
			1_500_00, 3_291_42, 104_791_42, 3_272_05, 3_272_40, 157_058_75, 52_267_33, "23.73", "2.01", "27.04", "2030-03-06",
			row{3_272_05, 1_875_77, 1_396_28, 103_395_14}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			o := simOffer(t, tc.rate, tc.n, policyFee, tc.regime, now)
			s, err := lending.Simulate(o, tc.requested, tc.n, now, finmath.DefaultIOFTable())
			if err != nil {
				t.Fatal(err)
			}
			checkSimulation(t, tc.name, o, tc.requested, tc.n, now, finmath.DefaultIOFTable(), s)
			got := []finmath.Cents{s.Fee, s.IOF, s.Principal, s.InstallmentAmount, s.Schedule[tc.n-1].Amount, s.Total, s.Interest}
			want := []finmath.Cents{tc.fee, tc.iof, tc.principal, tc.pmt, tc.last, tc.total, tc.interest}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("fee/IOF/principal/PMT/last/total/interest (-want +got):\n%s", diff)
			}
			gotS := []string{s.MonthlyRate, s.AnnualRate, s.MonthlyCET, s.AnnualCET, s.DisbursementDate, s.FirstDueDate, s.Schedule[tc.n-1].DueDate}
			wantS := []string{tc.rate, tc.annual, tc.monthlyCET, tc.annualCET, "2026-03-04", "2026-04-06", tc.lastDue}
			if diff := cmp.Diff(wantS, gotS); diff != "" {
				t.Errorf("rates/dates (-want +got):\n%s", diff)
			}
			r1 := s.Schedule[0]
			if got := (row{r1.Amount, r1.Interest, r1.Principal, r1.Balance}); got != tc.first {
				t.Errorf("first row %+v, want %+v", got, tc.first)
			}
			if d := tc.last - tc.pmt; d < -finmath.Cents(tc.n) || d > finmath.Cents(tc.n) {
				t.Errorf("last installment %s is more than %d centavos from %s", tc.last, tc.n, tc.pmt)
			}
			if a, c := mustFloat(t, s.AnnualRate), mustFloat(t, s.AnnualCET); c < a {
				t.Errorf("CET %s below the annual rate %s", s.AnnualCET, s.AnnualRate)
			}
			// The exact CET (finmath) satisfies its equation in float64 and rounds to what is published.
			flows := make([]finmath.Flow, tc.n)
			amounts, days := make([]float64, tc.n), make([]int, tc.n)
			for k, it := range s.Schedule {
				d, err := parseDate(it.DueDate)
				if err != nil {
					t.Fatal(err)
				}
				flows[k] = finmath.Flow{Date: d, Amount: it.Amount}
				amounts[k], days[k] = float64(it.Amount), d.DaysSince(date(2026, 3, 4))
			}
			cet, err := finmath.CET(s.Requested, flows, date(2026, 3, 4))
			if err != nil {
				t.Fatal(err)
			}
			if r := cetResidual(float64(s.Requested), amounts, days, cet.Float64()); r > 1e-6 {
				t.Errorf("CET %s leaves a relative residual of %g", cet, r)
			}
			if cet.PercentHalfEven(2) != s.AnnualCET {
				t.Errorf("CET %s publishes as %s, simulation says %s", cet, cet.PercentHalfEven(2), s.AnnualCET)
			}
		})
	}
}

func mustFloat(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func parseDate(s string) (finmath.Date, error) {
	tm, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return finmath.Date{}, err
	}
	return finmath.DateOf(tm), nil
}

// TestSimulateSimplesCeiling: the Simples daily rate applies to operations up to R$ 30,000, judged on
// the financed amount. R$ 29,000 (+ fee 580) finances 29,863.05 at the Simples rate; R$ 29,400 (+ fee
// 588) would finance just over 30,000 at it, so it is priced at the PJ rate instead.
func TestSimulateSimplesCeiling(t *testing.T) {
	t.Parallel()
	o := simOffer(t, "2.49", 12, policyFee, lending.IOFRegimeSimples, offerNow)
	for _, tc := range []struct {
		requested, principal, iof finmath.Cents
		cet                       string
	}{
		{29_000_00, 29_863_05, 283_05, "42.04"},
		{29_400_00, 30_624_78, 636_78, "45.25"},
	} {
		s, err := lending.Simulate(o, tc.requested, 12, offerNow, finmath.DefaultIOFTable())
		if err != nil {
			t.Fatal(err)
		}
		checkSimulation(t, "Simples "+tc.requested.String(), o, tc.requested, 12, offerNow, finmath.DefaultIOFTable(), s)
		if s.Principal != tc.principal || s.IOF != tc.iof || s.AnnualCET != tc.cet {
			t.Errorf("Simples %s: principal %s IOF %s CET %s; want %s %s %s", tc.requested, s.Principal, s.IOF, s.AnnualCET, tc.principal, tc.iof, tc.cet)
		}
	}
}

func TestSimulateAnnualRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ monthly, annual string }{
		{"3.5", "51.11"}, // contract.md §3.2
		{"2", "26.82"},   // C2: 26.824179
		{"2.49", "34.33"}, {"1.79", "23.73"}, {"3.49", "50.93"}, {"4.99", "79.38"}, {"10", "213.84"}, {"20", "791.61"},
		{"0.0001", "0.00"},
	} {
		o := simOffer(t, tc.monthly, 4, noFee, lending.IOFRegimePJ, offerNow)
		s, err := lending.Simulate(o, 25_000_00, 4, offerNow, finmath.DefaultIOFTable())
		if err != nil {
			t.Fatalf("%s%%: %v", tc.monthly, err)
		}
		if s.AnnualRate != tc.annual || s.MonthlyRate != tc.monthly {
			t.Errorf("monthly %s%%: annual %s%% (monthly %s), want %s%%", tc.monthly, s.AnnualRate, s.MonthlyRate, tc.annual)
		}
	}
}

// TestSimulateCETBelowAnnualRate documents that the CET (calendar days / 365) may be below (1+i)^12−1:
// a single installment at 10% a.m. whose due date rolls from Good Friday 2026-04-03 to 04-06 is 33 days
// long, so the borrower pays 10% plus 0.65% IOF for 33 days, which annualises to less than 10% a month
// compounded monthly. So "CET ≥ annual rate" is not an invariant; "costs raise the CET" is.
func TestSimulateCETBelowAnnualRate(t *testing.T) {
	t.Parallel()
	o := simOffer(t, "10", 1, noFee, lending.IOFRegimePJ, offerNow)
	s, err := lending.Simulate(o, 10_000_00, 1, offerNow, finmath.DefaultIOFTable())
	if err != nil {
		t.Fatal(err)
	}
	checkSimulation(t, "10% x1", o, 10_000_00, 1, offerNow, finmath.DefaultIOFTable(), s)
	if s.AnnualRate != "213.84" || s.AnnualCET != "208.45" || s.Principal != 10_065_49 || s.Total != 11_072_04 {
		t.Errorf("got annual %s CET %s principal %s total %s", s.AnnualRate, s.AnnualCET, s.Principal, s.Total)
	}
}

func TestSimulateBrasiliaDate(t *testing.T) {
	t.Parallel()
	o := simOffer(t, "2.49", 12, policyFee, lending.IOFRegimePJ, offerNow)
	tokyo := time.FixedZone("JST", 9*3600)
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC), "2026-03-04"},
		{time.Date(2026, 3, 5, 1, 0, 0, 0, time.UTC), "2026-03-04"}, // 22:00 in Brasília
		{time.Date(2026, 3, 5, 2, 59, 59, 999_999_999, time.UTC), "2026-03-04"},
		{time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC), "2026-03-05"}, // midnight in Brasília
		{time.Date(2026, 3, 5, 10, 0, 0, 0, tokyo), "2026-03-04"},   // 01:00 UTC
		{time.Date(2026, 3, 4, 0, 30, 0, 0, lending.Brasilia), "2026-03-04"},
	} {
		s, err := lending.Simulate(o, 10_000_00, 12, tc.now, finmath.DefaultIOFTable())
		if err != nil {
			t.Fatal(err)
		}
		if s.DisbursementDate != tc.want {
			t.Errorf("now %v: disbursement date %s, want %s", tc.now, s.DisbursementDate, tc.want)
		}
		checkSimulation(t, tc.now.String(), o, 10_000_00, 12, tc.now, finmath.DefaultIOFTable(), s)
	}
}

func TestSimulateErrors(t *testing.T) {
	t.Parallel()
	fixed := mustOffer(t, fixedTerms(12), offerNow) // R$ 1,000 to R$ 50,000, 12 installments
	ranged := mustOffer(t, rangeTerms(3, 24), offerNow)
	accepted, err := fixed.Accept(offerNow)
	if err != nil {
		t.Fatal(err)
	}
	marked, err := fixed.Expire(offerNow, true)
	if err != nil {
		t.Fatal(err)
	}
	table := finmath.DefaultIOFTable()
	tests := []struct {
		name      string
		o         lending.CreditOffer
		requested finmath.Cents
		count     int
		now       time.Time
		code      lending.Code
		param     string
	}{
		{"below min_amount", fixed, 1_000_00 - 1, 12, offerNow, lending.CodeAmountOutOfRange, "requested_amount"},
		{"zero", fixed, 0, 12, offerNow, lending.CodeAmountOutOfRange, "requested_amount"},
		{"negative", fixed, -1_000_00, 12, offerNow, lending.CodeAmountOutOfRange, "requested_amount"},
		{"above approved_amount", fixed, 50_000_01, 12, offerNow, lending.CodeAmountOutOfRange, "requested_amount"},
		{"above approved_amount, range", ranged, 1_000_000_00, 12, offerNow, lending.CodeAmountOutOfRange, "requested_amount"},
		{"amount before count", fixed, 1, 7, offerNow, lending.CodeAmountOutOfRange, "requested_amount"},
		{"fixed: fewer", fixed, 10_000_00, 11, offerNow, lending.CodeInvalidInstallmentCount, "installment_count"},
		{"fixed: more", fixed, 10_000_00, 13, offerNow, lending.CodeInvalidInstallmentCount, "installment_count"},
		{"fixed: zero", fixed, 10_000_00, 0, offerNow, lending.CodeInvalidInstallmentCount, "installment_count"},
		{"range: below", ranged, 10_000_00, 2, offerNow, lending.CodeInvalidInstallmentCount, "installment_count"},
		{"range: above", ranged, 10_000_00, 25, offerNow, lending.CodeInvalidInstallmentCount, "installment_count"},
		{"range: negative", ranged, 10_000_00, -3, offerNow, lending.CodeInvalidInstallmentCount, "installment_count"},
		{"expired at valid_until", fixed, 10_000_00, 12, fixed.ValidUntil, lending.CodeOfferExpired, ""},
		{"expired after valid_until", fixed, 10_000_00, 12, fixed.ValidUntil.Add(time.Hour), lending.CodeOfferExpired, ""},
		{"marked expired", marked, 10_000_00, 12, offerNow, lending.CodeOfferExpired, ""},
		{"expiry before amount", fixed, 1, 7, fixed.ValidUntil, lending.CodeOfferExpired, ""},
		{"accepted", accepted, 10_000_00, 12, offerNow, lending.CodeOfferAlreadyAccepted, ""},
		{"accepted, after valid_until", accepted, 10_000_00, 12, fixed.ValidUntil.Add(time.Hour), lending.CodeOfferAlreadyAccepted, ""},
	}
	for _, tc := range tests {
		s, err := lending.Simulate(tc.o, tc.requested, tc.count, tc.now, table)
		if tc.param != "" {
			checkFieldError(t, tc.name, err, tc.code, tc.param)
		} else {
			checkCode(t, tc.name, err, tc.code)
		}
		if s.ID != "" || s.Schedule != nil {
			t.Errorf("%s: a simulation came back with the error: %+v", tc.name, s)
		}
	}
	// The bounds themselves are fine.
	for _, tc := range []struct {
		o         lending.CreditOffer
		requested finmath.Cents
		count     int
	}{{fixed, 1_000_00, 12}, {fixed, 50_000_00, 12}, {ranged, 1_000_00, 3}, {ranged, 50_000_00, 24}} {
		s, err := lending.Simulate(tc.o, tc.requested, tc.count, fixed.ValidUntil.Add(-time.Nanosecond), table)
		if err != nil {
			t.Errorf("Simulate(%s, %d): %v", tc.requested, tc.count, err)
			continue
		}
		checkSimulation(t, "bounds", tc.o, tc.requested, tc.count, fixed.ValidUntil.Add(-time.Nanosecond), table, s)
	}
	// No IOF rates for the date: an internal error, not a domain one.
	if _, err := lending.Simulate(fixed, 10_000_00, 12, offerNow, finmath.IOFTable{}); err == nil || lending.ErrorCode(err) != lending.CodeInternal {
		t.Errorf("Simulate with an empty IOF table: %v, want an internal error", err)
	}
}

// randomRate returns a monthly rate in percent with up to 4 decimals in [lo, hi] ten-thousandths.
func randomRate(rng interface{ Int64N(int64) int64 }, lo, hi int64) string {
	v := lo + rng.Int64N(hi-lo+1)
	return strconv.FormatFloat(float64(v)/10_000, 'f', -1, 64)
}

// TestSimulateProperty prices 500 random valid simulations (rates up to 20% a.m., 1 to 60 installments,
// amounts up to R$ 1,000,000, fees, both regimes, dates on both IOF rows) and checks checkSimulation's
// invariants on each.
func TestSimulateProperty(t *testing.T) {
	t.Parallel()
	cases := 500
	if testing.Short() {
		cases = 100
	}
	const shards = 4
	for shard := range shards {
		t.Run(fmt.Sprint("shard", shard), func(t *testing.T) {
			t.Parallel()
			rng := newRand(5891, uint64(shard))
			table := finmath.DefaultIOFTable()
			start := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := range cases / shards {
				now := start.Add(time.Duration(rng.Int64N(int64(3 * 365 * 24 * time.Hour))))
				var rate string
				switch rng.IntN(3) {
				case 0:
					rate = randomRate(rng, 1, 200_000) // anything a sandbox offer may carry
				default:
					rate = randomRate(rng, 10_000, 50_000) // 1% to 5%, like the policy's bands
				}
				var n int
				switch rng.IntN(4) {
				case 0:
					n = 1 + rng.IntN(60)
				default:
					n = 1 + rng.IntN(24)
				}
				minAmount := finmath.Cents(100_00 + rng.Int64N(5_000_00))
				approved := minAmount + finmath.Cents(rng.Int64N(1_000_000_00-int64(minAmount)+1))
				requested := minAmount + finmath.Cents(rng.Int64N(int64(approved-minAmount)+1))
				feeMin := finmath.Cents(rng.Int64N(100_00))
				terms := lending.CreditTerms{ApprovedAmount: approved, MinAmount: minAmount, MonthlyRate: rate,
					FeeRate: strconv.FormatFloat(float64(rng.IntN(501))/100, 'f', -1, 64), FeeMin: feeMin, FeeMax: feeMin + finmath.Cents(rng.Int64N(2_000_00)),
					IOFRegime: []lending.IOFRegime{lending.IOFRegimePJ, lending.IOFRegimeSimples}[rng.IntN(2)]}
				count := n
				if rng.IntN(2) == 0 {
					terms.Installments = n
				} else {
					terms.MinInstallments = 1 + rng.IntN(n)
					terms.MaxInstallments = n + rng.IntN(12)
				}
				o, err := lending.NewCreditOffer(activeCustomer(), terms, time.Duration(1+rng.IntN(60*24))*time.Minute, now)
				if lending.ErrorCode(err) == lending.CodeInvalidField {
					continue // a term too long for its rate: refused upstream, as TestSimulateLongTermAtHighRate shows
				}
				if err != nil {
					t.Fatalf("#%d NewCreditOffer(%+v): %v", i, terms, err)
				}
				at := now.Add(time.Duration(rng.Int64N(int64(o.ValidUntil.Sub(now)))))
				what := fmt.Sprintf("#%d/%d: %s in %d at %s%% (%+v) on %v", shard, i, requested, count, rate, terms, at)
				s, err := lending.Simulate(o, requested, count, at, table)
				if err != nil {
					t.Errorf("%s: %v", what, err)
					continue
				}
				checkSimulation(t, what, o, requested, count, at, table, s)
			}
		})
	}
}

// TestSimulateLongTermAtHighRate: at high rate × long term the half-centavo rounding of the Price
// installment compounds until the schedule breaks (R$ 25,000 in 120 at 10% a.m. would reach a zero
// balance before its last row), so such terms are refused when the offer is made, with a domain error,
// and never reach Simulate.
func TestSimulateLongTermAtHighRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		rate string
		n    int
	}{
		{"10", 120},
		{"20", 96},
		{"18.9734", 52},
	} {
		terms := lending.CreditTerms{ApprovedAmount: 1_000_000_00, MinAmount: 100_00, MonthlyRate: tc.rate, Installments: tc.n, FeeRate: "0", IOFRegime: lending.IOFRegimePJ}
		_, err := lending.NewCreditOffer(activeCustomer(), terms, time.Hour, offerNow)
		if code := lending.ErrorCode(err); code != lending.CodeInvalidField {
			t.Errorf("NewCreditOffer(%d at %s%%) = %v, want %s", tc.n, tc.rate, err, lending.CodeInvalidField)
		}
	}
}

func benchmarkSimulate(b *testing.B, n int) {
	o := simOffer(b, "2.49", n, policyFee, lending.IOFRegimePJ, offerNow)
	table := finmath.DefaultIOFTable()
	if _, err := lending.Simulate(o, 25_000_00, n, offerNow, table); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := lending.Simulate(o, 25_000_00, n, offerNow, table); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulate12 is one full simulation (fee, financed IOF, 12-row schedule, CET and its monthly
// equivalent) of R$ 25,000 at 2.49% a.m.
func BenchmarkSimulate12(b *testing.B) { benchmarkSimulate(b, 12) }

// BenchmarkSimulate48 is BenchmarkSimulate12 in 48 installments.
func BenchmarkSimulate48(b *testing.B) { benchmarkSimulate(b, 48) }
