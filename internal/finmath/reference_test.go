package finmath

// The straightforward big.Rat implementations this package had before its
// integer fast paths, kept as oracles: the property tests below require the
// package to agree with them bit for bit.

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	oldrand "math/rand"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func refPriceSchedule(principal Cents, monthly Rate, n int) (Schedule, error) {
	switch {
	case principal <= 0:
		return Schedule{}, fmt.Errorf("%w: principal %s must be positive", ErrInvalidSchedule, principal)
	case monthly.Sign() < 0:
		return Schedule{}, fmt.Errorf("%w: rate %s must not be negative", ErrInvalidSchedule, monthly)
	case n < 1 || n > MaxInstallments:
		return Schedule{}, fmt.Errorf("%w: n %d must be in 1..%d", ErrInvalidSchedule, n, MaxInstallments)
	}
	i := monthly.rat()
	pv := principal.Rat()
	var pmtExact *big.Rat
	if i.Sign() == 0 {
		pmtExact = new(big.Rat).Quo(pv, big.NewRat(int64(n), 1))
	} else {
		f := powRat(new(big.Rat).Add(big.NewRat(1, 1), i), n) // (1+i)^n
		den := new(big.Rat).Sub(f, big.NewRat(1, 1))
		pmtExact = new(big.Rat).Mul(pv, i)
		pmtExact.Mul(pmtExact, f)
		pmtExact.Quo(pmtExact, den)
	}
	pmt, err := RoundHalfUp(pmtExact)
	if err != nil {
		return Schedule{}, err
	}
	s := Schedule{Principal: principal, Rate: RateFromRat(i), PMT: pmt, Rows: make([]Row, 0, n)}
	balance := principal
	for k := 1; k <= n; k++ {
		interest, err := RoundHalfUp(new(big.Rat).Mul(balance.Rat(), i))
		if err != nil {
			return Schedule{}, err
		}
		amort := pmt - interest
		if k == n {
			amort = balance
		}
		if amort > balance {
			return Schedule{}, fmt.Errorf("finmath: schedule balance would go negative at installment %d", k)
		}
		balance -= amort
		row := Row{Number: k, Installment: interest + amort, Interest: interest, Amortization: amort, Balance: balance}
		s.Rows = append(s.Rows, row)
		s.TotalPaid += row.Installment
		s.TotalInterest += row.Interest
		s.TotalAmortization += row.Amortization
	}
	return s, nil
}

func refDaysSince(d, earlier Date) int { return int((d.Time().Unix() - earlier.Time().Unix()) / 86400) }

func refIOFExact(amorts []Amortization, disbursed Date, daily Rate, principal Cents) (*big.Rat, error) {
	if principal < 0 {
		return nil, fmt.Errorf("finmath: negative principal %s", principal)
	}
	var days big.Int
	var sum Cents
	for _, a := range amorts {
		if a.Amount < 0 {
			return nil, fmt.Errorf("finmath: negative amortization %s due %s", a.Amount, a.Due)
		}
		d := refDaysSince(a.Due, disbursed)
		if d < 0 {
			return nil, fmt.Errorf("finmath: due date %s before disbursement %s", a.Due, disbursed)
		}
		days.Add(&days, new(big.Int).Mul(big.NewInt(int64(a.Amount)), big.NewInt(int64(min(d, IOFMaxDays)))))
		sum += a.Amount
	}
	if sum != principal {
		return nil, fmt.Errorf("finmath: amortizations sum to %s, principal is %s", sum, principal)
	}
	return new(big.Rat).Mul(new(big.Rat).SetInt(&days), daily.rat()), nil
}

func refIOF(amorts []Amortization, disbursed Date, kind BorrowerKind, principal Cents, table IOFTable) (IOFResult, error) {
	rates, err := table.At(disbursed)
	if err != nil {
		return IOFResult{}, err
	}
	daily, err := rates.daily(kind, principal)
	if err != nil {
		return IOFResult{}, err
	}
	exact, err := refIOFExact(amorts, disbursed, daily, principal)
	if err != nil {
		return IOFResult{}, err
	}
	add := new(big.Rat).Mul(principal.Rat(), rates.Additional.rat())
	exact.Add(exact, add)
	total, err := RoundHalfUp(exact)
	if err != nil {
		return IOFResult{}, err
	}
	addC, err := RoundHalfUp(add)
	if err != nil {
		return IOFResult{}, err
	}
	return IOFResult{Total: total, Additional: addC, Daily: total - addC, Exact: exact}, nil
}

func refFinancedIOF(net Cents, monthly Rate, dues []Date, disbursed Date, kind BorrowerKind, table IOFTable) (Financed, error) {
	rates, err := table.At(disbursed)
	if err != nil {
		return Financed{}, err
	}
	gross := func(classify Cents) (Cents, *big.Rat, error) {
		s, err := refPriceSchedule(net, monthly, len(dues))
		if err != nil {
			return 0, nil, err
		}
		amorts, err := s.Amortizations(dues)
		if err != nil {
			return 0, nil, err
		}
		daily, err := rates.daily(kind, classify)
		if err != nil {
			return 0, nil, err
		}
		exact, err := refIOFExact(amorts, disbursed, daily, net)
		if err != nil {
			return 0, nil, err
		}
		exact.Add(exact, new(big.Rat).Mul(net.Rat(), rates.Additional.rat()))
		k := new(big.Rat).Quo(exact, net.Rat())
		oneMinus := new(big.Rat).Sub(big.NewRat(1, 1), k)
		if oneMinus.Sign() <= 0 {
			return 0, nil, fmt.Errorf("finmath: IOF ratio %s ≥ 1", k.FloatString(10))
		}
		f, err := RoundHalfUp(new(big.Rat).Quo(net.Rat(), oneMinus))
		return f, k, err
	}
	f, k, err := gross(net)
	if err != nil {
		return Financed{}, err
	}
	if kind == BorrowerSimples && net <= rates.SimplesCeiling && f > rates.SimplesCeiling {
		if f, k, err = gross(f); err != nil {
			return Financed{}, err
		}
	}
	s, err := refPriceSchedule(f, monthly, len(dues))
	if err != nil {
		return Financed{}, err
	}
	return Financed{Gross: f, IOF: f - net, K: Rate{k}, Schedule: s}, nil
}

// exactCmp compares Rates and *big.Rats by value.
var exactCmp = cmp.Options{
	cmp.Comparer(func(a, b Rate) bool { return a.Cmp(b) == 0 }),
	cmp.Comparer(func(a, b *big.Rat) bool { return (a == nil) == (b == nil) && (a == nil || a.Cmp(b) == 0) }),
}

// sameError reports whether got and want agree: both nil, or both errors
// with the same message; the one message that changed (a balance that would
// go negative) must now wrap ErrInvalidSchedule.
func sameError(got, want error) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	if strings.Contains(want.Error(), "would go negative") {
		return errors.Is(got, ErrInvalidSchedule) && strings.Contains(got.Error(), "would go negative")
	}
	return got.Error() == want.Error()
}

// randomRate returns a rate ≥ 0 of one of the shapes the domain and hostile
// callers produce: basis points, a percent with up to 4 decimals, zero, a
// long decimal (numerator and denominator beyond 64 bits) or a fraction
// with a large odd denominator.
func randomRate(rng *rand.Rand) Rate {
	switch rng.IntN(11) {
	case 0:
		return Rate{}
	case 10: // integer rates, and denominators near 2^62
		if rng.IntN(2) == 0 {
			return RateFromRat(big.NewRat(1+rng.Int64N(3), 1))
		}
		return RateFromRat(big.NewRat(1+rng.Int64N(1<<58), 1<<62-1-rng.Int64N(1<<20)))
	case 1:
		return MustPercent(fmt.Sprintf("%d.%020d%05d", rng.IntN(10), rng.Uint64()%1e19, rng.IntN(100000)))
	case 2:
		return RateFromRat(big.NewRat(1+rng.Int64N(1<<40), 3*(1+rng.Int64N(1<<45))))
	case 3, 4:
		return MustPercent(fmt.Sprintf("%d.%04d", rng.IntN(20), rng.IntN(10000)))
	default:
		return PercentBP(rng.Int64N(2001)) // 0–20% a.m.
	}
}

func randomPrincipal(rng *rand.Rand) Cents {
	switch rng.IntN(10) {
	case 0:
		return 1 + Cents(rng.Int64N(1000))
	case 1:
		return Cents(rng.Int64N(1 << 50))
	default:
		return 100_00 + Cents(rng.Int64N(1_000_000_00))
	}
}

func randomTerm(rng *rand.Rand) int {
	switch rng.IntN(20) {
	case 0:
		return 1 + rng.IntN(MaxInstallments)
	case 1:
		return 49 + rng.IntN(312)
	default:
		return 1 + rng.IntN(48)
	}
}

// randomDues returns n due dates from disb: monthly rolled (as lending
// does), every 30 days, or random gaps; rarely the first is before disb.
func randomDues(rng *rand.Rand, disb Date, n int) []Date {
	out := make([]Date, n)
	switch rng.IntN(4) {
	case 0:
		copy(out, every30(disb, n))
	case 1:
		d := disb
		for k := range out {
			d = d.AddDays(rng.IntN(90))
			out[k] = d
		}
	default:
		first := disb.AddDays(30)
		for k := range out {
			out[k] = NextBusinessDay(first.AddMonths(k))
		}
	}
	if rng.IntN(50) == 0 {
		out[rng.IntN(n)] = disb.AddDays(-1)
	}
	return out
}

func randomTable(rng *rand.Rand) IOFTable {
	switch rng.IntN(4) {
	case 0:
		return IOFTable{{
			DailyPF: PercentBP(rng.Int64N(5)), DailyPJ: MustPercent(fmt.Sprintf("0.%05d", rng.IntN(100000))),
			DailySimples: RateFromRat(big.NewRat(rng.Int64N(100), 1+rng.Int64N(1<<50))), Additional: MustPercent(fmt.Sprintf("%d.%02d", rng.IntN(3), rng.IntN(100))),
			SimplesCeiling: Cents(rng.Int64N(100_000_00)),
		}}
	case 1:
		return IOFTable{{DailyPJ: MustPercent("-0.0082"), DailyPF: MustPercent("0.5"), DailySimples: MustPercent("0.3"), Additional: MustPercent("-0.38")}}
	default:
		return DefaultIOFTable()
	}
}

func randomKind(rng *rand.Rand) BorrowerKind {
	if rng.IntN(100) == 0 {
		return BorrowerKind(7)
	}
	return BorrowerKind(1 + rng.IntN(3))
}

func TestPriceScheduleMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 1))
	cases := []struct {
		pv Cents
		r  Rate
		n  int
	}{
		{50_000_00, MustPercent("3.5"), 360}, {25_000_00, MustPercent("10"), 120}, {10_000_00, MustPercent("20"), 96},
		{1<<63 - 1, MustPercent("2"), 12}, {1<<62 + 12345, MustPercent("150"), 3}, {1 << 62, MustPercent("0"), 7},
		{1<<63 - 1, Rate{}, 1}, {1<<63 - 1, MustPercent("200"), 2}, {0, MustPercent("2"), 1}, {5, MustPercent("-1"), 1},
		{5, MustPercent("2"), 0}, {5, MustPercent("2"), MaxInstallments + 1},
	}
	for range 2000 {
		cases = append(cases, struct {
			pv Cents
			r  Rate
			n  int
		}{randomPrincipal(rng), randomRate(rng), randomTerm(rng)})
	}
	for i, tc := range cases {
		got, err := PriceSchedule(tc.pv, tc.r, tc.n)
		want, werr := refPriceSchedule(tc.pv, tc.r, tc.n)
		if !sameError(err, werr) {
			t.Fatalf("#%d PriceSchedule(%s, %s, %d) err = %v, reference %v", i, tc.pv, tc.r, tc.n, err, werr)
		}
		if diff := cmp.Diff(want, got, exactCmp); diff != "" {
			t.Fatalf("#%d PriceSchedule(%s, %s, %d) (-reference +got):\n%s", i, tc.pv, tc.r, tc.n, diff)
		}
	}
}

func TestIOFMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 2))
	for i := range 2000 {
		disb := d0.AddDays(rng.IntN(900))
		table := randomTable(rng)
		kind := randomKind(rng)
		pv := randomPrincipal(rng)
		n := randomTerm(rng)
		// Any amortizations summing to pv (sometimes not), any dues.
		amorts := make([]Amortization, n)
		dues := randomDues(rng, disb, n)
		left := pv
		for k := range amorts {
			a := left
			if k < n-1 {
				a = Cents(rng.Int64N(int64(left)/int64(n-k) + 1))
			}
			left -= a
			amorts[k] = Amortization{Due: dues[k], Amount: a}
		}
		if rng.IntN(50) == 0 {
			amorts[0].Amount++
		}
		if rng.IntN(50) == 0 {
			amorts[n-1].Amount = -1
		}
		if i == 0 { // more than 2^64 centavo-days
			pv, amorts = 1<<62, []Amortization{{Due: disb.AddDays(400), Amount: 1 << 62}}
		}
		got, err := IOF(amorts, disb, kind, pv, table)
		want, werr := refIOF(amorts, disb, kind, pv, table)
		if !sameError(err, werr) {
			t.Fatalf("#%d IOF err = %v, reference %v", i, err, werr)
		}
		if diff := cmp.Diff(want, got, exactCmp); diff != "" {
			t.Fatalf("#%d IOF (-reference +got):\n%s", i, diff)
		}
	}
}

func TestFinancedIOFMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 3))
	crossed := 0 // Simples operations grossed up across the ceiling
	defer func() {
		t.Logf("%d cases crossed the Simples ceiling", crossed)
		if crossed == 0 {
			t.Error("no case crossed the Simples ceiling")
		}
	}()
	for i := range 2000 {
		disb := d0.AddDays(rng.IntN(900))
		table := randomTable(rng)
		kind := randomKind(rng)
		net := randomPrincipal(rng)
		if rng.IntN(3) == 0 {
			net = 29_000_00 + Cents(rng.Int64N(1_500_00)) // around the Simples ceiling once grossed up
			kind = BorrowerSimples
		}
		rate := randomRate(rng)
		n := randomTerm(rng)
		dues := randomDues(rng, disb, n)
		if i == 0 { // a negative IOF so large that F rounds to zero
			net, table, kind, dues = 1, IOFTable{{DailyPJ: MustPercent("-1")}}, BorrowerPJ, every30(disb, 12)
		}
		got, err := FinancedIOF(net, rate, dues, disb, kind, table)
		want, werr := refFinancedIOF(net, rate, dues, disb, kind, table)
		if !sameError(err, werr) {
			t.Fatalf("#%d FinancedIOF(%s, %s, %d dues, %s) err = %v, reference %v", i, net, rate, n, kind, err, werr)
		}
		if r, _ := table.At(disb); err == nil && kind == BorrowerSimples && net <= r.SimplesCeiling && got.Gross > r.SimplesCeiling {
			crossed++
		}
		if diff := cmp.Diff(want, got, exactCmp); diff != "" {
			t.Fatalf("#%d FinancedIOF(%s, %s, %d dues, %s) (-reference +got):\n%s", i, net, rate, n, kind, diff)
		}
	}
}

// TestCalendarMatchesTime checks the integer calendar arithmetic against
// package time, also on dates that are not normalized.
func TestCalendarMatchesTime(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 4))
	for i := range 20000 {
		d := Date{1600 + rng.IntN(900), time.Month(1 + rng.IntN(12)), 1 + rng.IntN(31)}
		switch rng.IntN(20) {
		case 0:
			d.D = rng.IntN(200) - 100
		case 1:
			d.M = time.Month(rng.IntN(40) - 20)
		case 2:
			d.Y = rng.IntN(4000) - 2000
		}
		e := Date{1600 + rng.IntN(900), time.Month(1 + rng.IntN(12)), 1 + rng.IntN(28)}
		n := rng.IntN(2000) - 1000
		got := []any{d.DaysSince(e), d.Before(e), d.Weekday(), d.AddDays(n), d.AddMonths(n / 10)}
		first := time.Date(d.Y, d.M+time.Month(n/10), 1, 0, 0, 0, 0, time.UTC)
		want := []any{refDaysSince(d, e), d.Time().Before(e.Time()), d.Time().Weekday(), DateOf(d.Time().AddDate(0, 0, n)),
			Date{first.Year(), first.Month(), min(d.D, first.AddDate(0, 1, -1).Day())}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("#%d %v vs %v, n %d (-time +got):\n%s", i, d, e, n, diff)
		}
	}
	huge := Date{1 << 40, 13, 1 << 40}
	if got, want := huge.AddDays(1), DateOf(huge.Time().AddDate(0, 0, 1)); got != want {
		t.Errorf("out-of-range AddDays = %v, want %v", got, want)
	}
}

// refPercentHalfEven, refParsePercent and refNthRoot are the earlier
// implementations of Rate.PercentHalfEven, ParsePercent and nthRoot.
func refPercentHalfEven(r Rate, decimals int) string {
	if decimals < 0 {
		decimals = 0
	}
	p := new(big.Rat).Mul(r.rat(), big.NewRat(100, 1))
	return RoundHalfEven(p, decimals).FloatString(decimals)
}

func refParsePercent(s string) (*big.Rat, bool) {
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	return r.Quo(r, big.NewRat(100, 1)), true
}

func refNthRoot(x *big.Float, n int) *big.Float {
	xf, _ := x.Float64()
	y := newFloat().SetFloat64(math.Pow(xf, 1/float64(n)))
	nf, nm1 := floatFromInt(int64(n)), floatFromInt(int64(n-1))
	tol := newFloat().SetMantExp(floatFromInt(1), -(floatPrec - 8))
	for range 2000 {
		t := newFloat().Quo(x, powInt(y, n-1))
		next := newFloat().Mul(nm1, y)
		next.Add(next, t)
		next.Quo(next, nf)
		diff := newFloat().Sub(next, y)
		y = next
		if diff.Abs(diff).Cmp(newFloat().Mul(tol, y)) <= 0 {
			return y
		}
	}
	panic("no convergence")
}

func TestPercentHalfEvenMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 5))
	cases := []Rate{{}, MustPercent("32.445"), MustPercent("32.455"), MustPercent("-1.005"), MustPercent("-0.004"), MustPercent("-0.005"),
		MustPercent("0.005"), MustPercent("100"), MustPercent("-100"), MustPercent("123456789012345678901234567890.125")}
	for range 5000 {
		num := new(big.Int).Rand(rng2(rng), new(big.Int).Lsh(big.NewInt(1), uint(1+rng.IntN(300))))
		if rng.IntN(2) == 0 {
			num.Neg(num)
		}
		den := new(big.Int).Rand(rng2(rng), new(big.Int).Lsh(big.NewInt(1), uint(1+rng.IntN(300))))
		if rng.IntN(3) == 0 {
			den.Exp(big.NewInt(10), big.NewInt(int64(rng.IntN(8))), nil)
		}
		den.Add(den, big.NewInt(1))
		cases = append(cases, RateFromRat(new(big.Rat).SetFrac(num, den)))
	}
	for _, r := range cases {
		for _, d := range []int{-1, 0, 1, 2, 4, 7, 25} {
			if got, want := r.PercentHalfEven(d), refPercentHalfEven(r, d); got != want {
				t.Fatalf("%s.PercentHalfEven(%d) = %q, reference %q", r.Rat().RatString(), d, got, want)
			}
		}
	}
}

// rng2 adapts a math/rand/v2 source for big.Int.Rand.
func rng2(rng *rand.Rand) *oldrand.Rand { return oldrand.New(oldrand.NewSource(rng.Int64())) }

func TestParseMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 6))
	for range 5000 {
		var b strings.Builder
		switch rng.IntN(3) {
		case 0:
			b.WriteByte('-')
		case 1:
			b.WriteByte('+')
		}
		n := rng.IntN(25)
		dot := rng.IntN(n + 2)
		for i := range n + 1 {
			if i == dot {
				b.WriteByte('.')
			}
			if i < n {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
		}
		s := b.String()
		got, err := ParsePercent(s)
		want, ok := refParsePercent(s)
		if ok != (err == nil) || (ok && got.Rat().Cmp(want) != 0) {
			t.Fatalf("ParsePercent(%q) = %v, %v; reference %v, %v", s, got, err, want, ok)
		}
		if ok {
			f, err := ParseFraction(s)
			if err != nil || f.Rat().Cmp(new(big.Rat).Mul(want, big.NewRat(100, 1))) != 0 {
				t.Fatalf("ParseFraction(%q) = %v, %v", s, f, err)
			}
		}
	}
}

func TestNthRootMatchesReference(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 7))
	bound := newFloat().SetMantExp(floatFromInt(1), -(floatPrec - 12))
	for i := range 500 {
		x := newFloat().SetFloat64(math.Exp(rng.NormFloat64() * 3))
		if i%5 == 0 {
			x.Add(x, newFloat().SetMantExp(x, -100-rng.IntN(150))) // more than 53 bits
		}
		n := []int{2, 12, 30, 365}[rng.IntN(4)]
		got, err := nthRoot(x, n)
		if err != nil {
			t.Fatal(err)
		}
		want := refNthRoot(x, n)
		diff := newFloat().Sub(got, want)
		if diff.Abs(diff).Cmp(newFloat().Mul(bound, want)) > 0 {
			t.Fatalf("nthRoot(%s, %d) = %s, reference %s", x.Text('g', 20), n, got.Text('g', 80), want.Text('g', 80))
		}
	}
	// Far outside float64's range the guess still comes from the exponent.
	for _, e := range []int{-5000, 5000, 100_000} {
		x := newFloat().SetMantExp(floatFromInt(3), e)
		got, err := nthRoot(x, 12)
		if err != nil {
			t.Fatalf("nthRoot(3·2^%d, 12): %v", e, err)
		}
		back := powInt(got, 12)
		back.Quo(back, x)
		if f, _ := back.Float64(); math.Abs(f-1) > 1e-60 {
			t.Fatalf("nthRoot(3·2^%d, 12)^12 / x = %g", e, f)
		}
	}
}

func TestDateStringMatchesSprintf(t *testing.T) {
	t.Parallel()
	for _, d := range []Date{{2025, 1, 15}, {0, 1, 1}, {9999, 12, 31}, {10000, 1, 1}, {-1, 1, 1}, {2025, 0, 0}, {2025, 13, 100}, {5, 7, 9}} {
		if got, want := d.String(), fmt.Sprintf("%04d-%02d-%02d", d.Y, int(d.M), d.D); got != want {
			t.Errorf("%#v.String() = %q, want %q", d, got, want)
		}
	}
}

// TestBusinessDaysMatchTime checks IsHoliday, IsBusinessDay and
// NextBusinessDay on every day of 1990–2110 against the day counts and
// weekdays of package time.
func TestBusinessDaysMatchTime(t *testing.T) {
	t.Parallel()
	refHoliday := func(d Date) bool {
		if isFixedHoliday(d) {
			return true
		}
		switch refDaysSince(d, Easter(d.Y)) {
		case -48, -47, -2, 60:
			return true
		}
		return false
	}
	refBusiness := func(d Date) bool {
		wd := d.Time().Weekday()
		return wd != time.Saturday && wd != time.Sunday && !refHoliday(d)
	}
	for d := (Date{1990, time.January, 1}); d.Y < 2110; d = DateOf(d.Time().AddDate(0, 0, 1)) {
		if IsHoliday(d) != refHoliday(d) || IsBusinessDay(d) != refBusiness(d) {
			t.Fatalf("%s: holiday %v business %v", d, IsHoliday(d), IsBusinessDay(d))
		}
		want := d
		for !refBusiness(want) {
			want = DateOf(want.Time().AddDate(0, 0, 1))
		}
		if got := NextBusinessDay(d); got != want {
			t.Fatalf("NextBusinessDay(%s) = %s, want %s", d, got, want)
		}
	}
}

// TestRatCoprime checks the GCD-free construction of a/b against SetFrac.
func TestRatCoprime(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 8))
	for range 5000 {
		a := new(big.Int).Rand(rng2(rng), new(big.Int).Lsh(big.NewInt(1), uint(1+rng.IntN(400))))
		b := new(big.Int).Rand(rng2(rng), new(big.Int).Lsh(big.NewInt(1), uint(1+rng.IntN(400))))
		b.Add(b, big.NewInt(1))
		if rng.IntN(2) == 0 {
			a.Neg(a)
		}
		g := new(big.Int).GCD(nil, nil, new(big.Int).Abs(a), b)
		if a.Sign() != 0 {
			a.Quo(a, g)
			b.Quo(b, g)
		} else {
			b.SetInt64(1)
		}
		got, want := ratCoprime(a, b), new(big.Rat).SetFrac(a, b)
		if got.Cmp(want) != 0 || got.Num().Cmp(want.Num()) != 0 || got.Denom().Cmp(want.Denom()) != 0 || got.String() != want.String() {
			t.Fatalf("ratCoprime(%s, %s) = %s, want %s", a, b, got, want)
		}
		// The result owns its numbers.
		a.Add(a, big.NewInt(1))
		b.Add(b, big.NewInt(1))
		if got.Cmp(want) != 0 {
			t.Fatalf("ratCoprime aliases its arguments")
		}
	}
}

// TestNextBusinessDayUnnormalized: dates that are not normalized are
// rolled as before, through package time.
func TestNextBusinessDayUnnormalized(t *testing.T) {
	t.Parallel()
	ref := func(d Date) Date {
		for {
			wd := d.Time().Weekday()
			holiday := isFixedHoliday(d)
			switch refDaysSince(d, Easter(d.Y)) {
			case -48, -47, -2, 60:
				holiday = true
			}
			if wd != time.Saturday && wd != time.Sunday && !holiday {
				return d
			}
			d = DateOf(d.Time().AddDate(0, 0, 1))
		}
	}
	for _, d := range []Date{{2025, 1, 32}, {2025, 2, 29}, {2025, 3, 0}, {2025, 14, 3}, {2025, 0, 15}, {2024, 12, 55}, {2025, 6, -3}, {2025, 5, 31}} {
		if got, want := NextBusinessDay(d), ref(d); got != want {
			t.Errorf("NextBusinessDay(%#v) = %v, want %v", d, got, want)
		}
	}
}

// TestDayCounter checks the bulk day numbers against dayNumber.
func TestDayCounter(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 9))
	var c dayCounter
	for range 20000 {
		d := Date{1900 + rng.IntN(300), time.Month(1 + rng.IntN(12)), rng.IntN(70) - 20}
		if rng.IntN(50) == 0 {
			d.M = time.Month(rng.IntN(30) - 10)
		}
		if got, want := c.of(d), d.dayNumber(); got != want {
			t.Fatalf("dayCounter.of(%#v) = %d, want %d", d, got, want)
		}
	}
}

// TestPMTFloatFactor: the float64 PMT factor decides PMT only when it can,
// and then as the exact factor does.
func TestPMTFloatFactor(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(51, 10))
	var fast, cases int
	for range 20000 {
		pv, rate, n := randomPrincipal(rng), randomRate(rng), randomTerm(rng)
		pr, err := newPriceRate(pv, rate, n)
		if err != nil {
			continue
		}
		cases++
		got, err := pr.pmt(pv)
		if !pr.exact {
			fast++
		}
		ex, _ := newPriceRate(pv, rate, n)
		ex.facErr = 0
		want, werr := ex.pmt(pv)
		if (err == nil) != (werr == nil) || got != want {
			t.Fatalf("pmt(%s, %s, %d) = %s, %v; exact %s, %v", pv, rate, n, got, err, want, werr)
		}
	}
	t.Logf("%d of %d PMTs decided in float64", fast, cases)
	if fast < cases/2 {
		t.Errorf("only %d of %d PMTs decided in float64", fast, cases)
	}
	// Exact ties of the half-up rounding: PV·(1+i) = k + ½ for n = 1.
	for _, tc := range []struct {
		pv   Cents
		rate string
		want Cents
	}{{100, "0.5", 101}, {300, "0.5", 302}, {1_000_000_100, "0.5", 1_005_000_101}, {2, "25", 3}} {
		pr, err := newPriceRate(tc.pv, MustPercent(tc.rate), 1)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pr.pmt(tc.pv)
		if err != nil || got != tc.want || !pr.exact {
			t.Errorf("pmt(%s at %s%%) = %s, %v (exact path %v), want %s from the exact path", tc.pv, tc.rate, got, err, pr.exact, tc.want)
		}
	}
}

// TestRoundHalfUpMatchesReference compares RoundHalfUp with the big.Int
// formula it had, ⌊(2|num| + den)/(2·den)⌋ with the sign of num.
func TestRoundHalfUpMatchesReference(t *testing.T) {
	t.Parallel()
	ref := func(x *big.Rat) (Cents, error) {
		num := new(big.Int).Abs(x.Num())
		n2 := new(big.Int).Lsh(num, 1)
		n2.Add(n2, x.Denom())
		q := n2.Quo(n2, new(big.Int).Lsh(x.Denom(), 1))
		if x.Sign() < 0 {
			q.Neg(q)
		}
		if !q.IsInt64() {
			return 0, fmt.Errorf("finmath: amount %s centavos overflows int64", x.FloatString(2))
		}
		return Cents(q.Int64()), nil
	}
	rng := rand.New(rand.NewPCG(51, 11))
	cases := []*big.Rat{big.NewRat(math.MaxInt64, 1), big.NewRat(math.MinInt64, 1), big.NewRat(math.MaxInt64, 2), big.NewRat(-math.MaxInt64, 2),
		new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(2)), new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(-1), 64), big.NewInt(2)),
		new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 64), big.NewInt(3)), big.NewRat(math.MaxInt64-1, 2), big.NewRat(-math.MaxInt64, 2),
		new(big.Rat).SetFrac(new(big.Int).SetUint64(1<<64-1), big.NewInt(2)), new(big.Rat).SetFrac(new(big.Int).SetUint64(1<<64-3), big.NewInt(-2)),
		big.NewRat(1, math.MaxInt64), big.NewRat(math.MinInt64, 3)}
	for range 20000 {
		num := new(big.Int).Rand(rng2(rng), new(big.Int).Lsh(big.NewInt(1), uint(1+rng.IntN(90))))
		den := new(big.Int).Rand(rng2(rng), new(big.Int).Lsh(big.NewInt(1), uint(1+rng.IntN(70))))
		if rng.IntN(2) == 0 {
			num.Neg(num)
		}
		cases = append(cases, new(big.Rat).SetFrac(num, den.Add(den, big.NewInt(1))))
	}
	for _, x := range cases {
		got, err := RoundHalfUp(x)
		want, werr := ref(x)
		if got != want || (err == nil) != (werr == nil) || (err != nil && err.Error() != werr.Error()) {
			t.Fatalf("RoundHalfUp(%s) = %d, %v; reference %d, %v", x.RatString(), got, err, want, werr)
		}
	}
}
