package finmath

import (
	"errors"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func pct(t testing.TB, s string) Rate {
	t.Helper()
	r, err := ParsePercent(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// every30 returns n due dates spaced 30 days from d0.
func every30(d0 Date, n int) []Date {
	out := make([]Date, n)
	for k := range out {
		out[k] = d0.AddDays(30 * (k + 1))
	}
	return out
}

// monthly returns n due dates on d0's day of month, optionally rolled.
func monthly(d0 Date, n int, roll bool) []Date {
	out := make([]Date, n)
	for k := range out {
		out[k] = d0.AddMonths(k + 1)
		if roll {
			out[k] = NextBusinessDay(out[k])
		}
	}
	return out
}

var d0 = Date{2025, time.January, 15}

// currentRates is the current (2025+) row of DefaultIOFTable made effective
// for every date: the C vectors are stated "PJ, 2025+ rates" although C4's
// disbursement (2025-01-15) predates the row's EffectiveFrom.
func currentRates(t testing.TB) IOFTable {
	t.Helper()
	r, err := DefaultIOFTable().At(Date{2026, time.January, 1})
	if err != nil {
		t.Fatal(err)
	}
	r.EffectiveFrom = Date{}
	return IOFTable{r}
}

func TestPriceSchedule(t *testing.T) {
	t.Parallel()
	t.Run("C1", func(t *testing.T) {
		t.Parallel()
		s, err := PriceSchedule(10_000_00, pct(t, "2"), 12)
		if err != nil {
			t.Fatal(err)
		}
		want := []Row{
			{1, 94560, 20000, 74560, 925440},
			{2, 94560, 18509, 76051, 849389},
			{3, 94560, 16988, 77572, 771817},
			{4, 94560, 15436, 79124, 692693},
			{5, 94560, 13854, 80706, 611987},
			{6, 94560, 12240, 82320, 529667},
			{7, 94560, 10593, 83967, 445700},
			{8, 94560, 8914, 85646, 360054},
			{9, 94560, 7201, 87359, 272695},
			{10, 94560, 5454, 89106, 183589},
			{11, 94560, 3672, 90888, 92701},
			{12, 94555, 1854, 92701, 0},
		}
		if diff := cmp.Diff(want, s.Rows); diff != "" {
			t.Errorf("rows (-want +got):\n%s", diff)
		}
		got := [4]Cents{s.PMT, s.TotalPaid, s.TotalInterest, s.TotalAmortization}
		if diff := cmp.Diff([4]Cents{94560, 11_347_15, 1_347_15, 10_000_00}, got); diff != "" {
			t.Errorf("PMT/totals (-want +got):\n%s", diff)
		}
	})
	t.Run("P1", func(t *testing.T) {
		t.Parallel()
		s, err := PriceSchedule(2_000_00, pct(t, "1.79"), 12)
		if err != nil {
			t.Fatal(err)
		}
		if s.PMT != 186_69 {
			t.Errorf("PMT = %s, want 186.69", s.PMT)
		}
	})
	t.Run("zero-rate", func(t *testing.T) {
		t.Parallel()
		s, err := PriceSchedule(100_00, Rate{}, 3)
		if err != nil {
			t.Fatal(err)
		}
		got := []Cents{s.Rows[0].Installment, s.Rows[1].Installment, s.Rows[2].Installment}
		if diff := cmp.Diff([]Cents{33_33, 33_33, 33_34}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		for _, tc := range []struct {
			pv Cents
			r  string
			n  int
		}{{0, "2", 12}, {-1, "2", 12}, {100, "-1", 12}, {100, "2", 0}, {100, "2", MaxInstallments + 1}} {
			if _, err := PriceSchedule(tc.pv, pct(t, tc.r), tc.n); !errors.Is(err, ErrInvalidSchedule) {
				t.Errorf("PriceSchedule(%d, %s, %d) err = %v, want ErrInvalidSchedule", tc.pv, tc.r, tc.n, err)
			}
		}
	})
}

func TestRateConversions(t *testing.T) {
	t.Parallel()
	type conv func(Rate) (Rate, error)
	tests := []struct {
		name     string
		f        conv
		in       string
		decimals int
		want     string
	}{
		{"C2/annual", AnnualFromMonthly, "2", 6, "26.824179"},
		{"C2/daily30", DailyFrom30DayMonthly, "2", 7, "0.0660305"},
		{"P2/annual", AnnualFromMonthly, "7", 6, "125.219159"},
		{"P2/daily30", DailyFrom30DayMonthly, "7", 7, "0.2257833"},
		{"P2/QI-daily-fraction", DailyFrom30DayMonthly, "7", 6, "0.225783"}, // QI: 0.00225783
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tc.f(pct(t, tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if s := got.PercentHalfEven(tc.decimals); s != tc.want {
				t.Errorf("got %s%%, want %s%%", s, tc.want)
			}
		})
	}
	t.Run("C2/daily365", func(t *testing.T) {
		t.Parallel()
		a, err := AnnualFromMonthly(pct(t, "2"))
		if err != nil {
			t.Fatal(err)
		}
		d, err := DailyFromAnnual365(a)
		if err != nil {
			t.Fatal(err)
		}
		if s := d.PercentHalfEven(7); s != "0.0651257" {
			t.Errorf("got %s%%, want 0.0651257%%", s)
		}
	})
	t.Run("C2/annual-exact", func(t *testing.T) {
		t.Parallel()
		a, _ := AnnualFromMonthly(pct(t, "2"))
		want, _ := new(big.Rat).SetString("0.268241794562545318301696") // 1.02^12 − 1, exactly
		if a.Rat().Cmp(want) != 0 {
			t.Errorf("got %s, want exact %s", a.Rat().FloatString(24), want.FloatString(24))
		}
	})
	t.Run("round-trip-daily30", func(t *testing.T) {
		t.Parallel()
		d, _ := DailyFrom30DayMonthly(pct(t, "2"))
		one := big.NewRat(1, 1)
		back := powRat(new(big.Rat).Add(one, d.Rat()), 30)
		back.Sub(back, one)
		diff := new(big.Rat).Sub(back, pct(t, "2").Rat())
		if diff.Abs(diff).Cmp(big.NewRat(1, 1_000_000_000_000_000_000)) > 0 {
			t.Errorf("(1+d)^30−1 = %s, want 0.02", back.FloatString(30))
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		for _, f := range []conv{AnnualFromMonthly, DailyFrom30DayMonthly, DailyFromAnnual365, MonthlyEquivalent} {
			if _, err := f(pct(t, "-100")); err == nil {
				t.Error("want error for -100%")
			}
		}
	})
}

func TestRoundHalfEven(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"32.445", "32.44"}, {"32.455", "32.46"}, {"32.4451", "32.45"}, {"-1.005", "-1.00"}, {"-1.015", "-1.02"}, {"0.125", "0.12"},
	} {
		x, _ := new(big.Rat).SetString(tc.in)
		if got := RoundHalfEven(x, 2).FloatString(2); got != tc.want {
			t.Errorf("RoundHalfEven(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestRoundHalfUp(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Cents
	}{{"18.912", 19}, {"0.5", 1}, {"1.5", 2}, {"2.4999", 2}, {"-0.5", -1}, {"-2.4", -2}} {
		x, _ := new(big.Rat).SetString(tc.in)
		got, err := RoundHalfUp(x)
		if err != nil || got != tc.want {
			t.Errorf("RoundHalfUp(%s) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
	if _, err := RoundHalfUp(new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 70), big.NewInt(1))); err == nil {
		t.Error("want overflow error")
	}
}

func TestCalendar(t *testing.T) {
	t.Parallel()
	t.Run("easter", func(t *testing.T) {
		t.Parallel()
		for y, want := range map[int]Date{
			2024: {2024, time.March, 31}, 2025: {2025, time.April, 20}, 2026: {2026, time.April, 5},
			2019: {2019, time.April, 21}, 2000: {2000, time.April, 23}, 2038: {2038, time.April, 25},
		} {
			if got := Easter(y); got != want {
				t.Errorf("Easter(%d) = %s, want %s", y, got, want)
			}
		}
	})
	tests := []struct {
		name     string
		d        Date
		business bool
	}{
		{"carnival-mon-2025", Date{2025, time.March, 3}, false},
		{"carnival-tue-2025", Date{2025, time.March, 4}, false},
		{"ash-wednesday-2025", Date{2025, time.March, 5}, true},
		{"good-friday-2025", Date{2025, time.April, 18}, false},
		{"corpus-christi-2025", Date{2025, time.June, 19}, false},
		{"carnival-mon-2026", Date{2026, time.February, 16}, false},
		{"carnival-tue-2024", Date{2024, time.February, 13}, false},
		{"corpus-christi-2024", Date{2024, time.May, 30}, false},
		{"corpus-christi-2026", Date{2026, time.June, 4}, false},
		{"good-friday-2026", Date{2026, time.April, 3}, false},
		{"tiradentes-2025", Date{2025, time.April, 21}, false},
		{"new-year-2026", Date{2026, time.January, 1}, false},
		{"christmas-2025", Date{2025, time.December, 25}, false},
		{"consciencia-negra-2024", Date{2024, time.November, 20}, false},
		{"nov20-2023-not-national", Date{2023, time.November, 20}, true},
		{"finados-2026", Date{2026, time.November, 2}, false},
		{"independencia-2025-sunday", Date{2025, time.September, 7}, false},
		{"saturday", Date{2025, time.February, 15}, false},
		{"plain-tuesday", Date{2025, time.April, 15}, true},
		{"plain-monday", Date{2025, time.February, 17}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := IsBusinessDay(tc.d); got != tc.business {
				t.Errorf("IsBusinessDay(%s) = %v, want %v", tc.d, got, tc.business)
			}
		})
	}
	t.Run("C4/rolled", func(t *testing.T) {
		t.Parallel()
		want := []Date{
			{2025, 2, 17}, {2025, 3, 17}, {2025, 4, 15}, {2025, 5, 15}, {2025, 6, 16}, {2025, 7, 15},
			{2025, 8, 15}, {2025, 9, 15}, {2025, 10, 15}, {2025, 11, 17}, {2025, 12, 15}, {2026, 1, 15},
		}
		if diff := cmp.Diff(want, monthly(d0, 12, true)); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		var days []int
		for _, d := range monthly(d0, 12, true) {
			days = append(days, d.DaysSince(d0))
		}
		if diff := cmp.Diff([]int{33, 61, 90, 120, 152, 181, 212, 243, 273, 306, 334, 365}, days); diff != "" {
			t.Errorf("days (-want +got):\n%s", diff)
		}
	})
	t.Run("C4/unrolled-days", func(t *testing.T) {
		t.Parallel()
		var days []int
		for _, d := range monthly(d0, 12, false) {
			days = append(days, d.DaysSince(d0))
		}
		if diff := cmp.Diff([]int{31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365}, days); diff != "" {
			t.Errorf("days (-want +got):\n%s", diff)
		}
	})
	t.Run("dates", func(t *testing.T) {
		t.Parallel()
		if _, err := NewDate(2025, time.February, 29); err == nil {
			t.Error("want error for 2025-02-29")
		}
		if got := (Date{2025, time.January, 31}).AddMonths(1); got != (Date{2025, time.February, 28}) {
			t.Errorf("AddMonths = %s", got)
		}
		if got := NextBusinessDay(Date{2025, time.February, 28}); got != (Date{2025, time.February, 28}) {
			t.Errorf("NextBusinessDay(business day) = %s", got)
		}
		if got := NextBusinessDay(Date{2025, time.March, 1}); got != (Date{2025, time.March, 5}) {
			t.Errorf("NextBusinessDay(Sat before Carnival) = %s, want 2025-03-05", got)
		}
	})
}

func iofOf(t *testing.T, s Schedule, dues []Date, disb Date, kind BorrowerKind, table IOFTable) IOFResult {
	t.Helper()
	am, err := s.Amortizations(dues)
	if err != nil {
		t.Fatal(err)
	}
	r, err := IOF(am, disb, kind, s.Principal, table)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestIOF(t *testing.T) {
	t.Parallel()
	c1, err := PriceSchedule(10_000_00, MustPercent("2"), 12)
	if err != nil {
		t.Fatal(err)
	}
	table := currentRates(t)
	tests := []struct {
		name        string
		dues        []Date
		kind        BorrowerKind
		daily, want Cents
	}{
		{"C3", every30(d0, 12), BorrowerPJ, 165_70, 203_70},
		{"C3/PF", every30(d0, 12), BorrowerPF, 165_70, 203_70},
		{"C3-S", every30(d0, 12), BorrowerSimples, 55_37, 93_37},
		{"C4/unrolled", monthly(d0, 12, false), BorrowerPJ, 167_37, 205_37},
		{"C4/rolled", monthly(d0, 12, true), BorrowerPJ, 167_82, 205_82},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := iofOf(t, c1, tc.dues, d0, tc.kind, table)
			if diff := cmp.Diff([3]Cents{tc.daily, 38_00, tc.want}, [3]Cents{got.Daily, got.Additional, got.Total}); diff != "" {
				t.Errorf("daily/additional/total (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("C3/per-installment", func(t *testing.T) {
		t.Parallel()
		want := []string{"1.8342", "3.7417", "5.7248", "7.7858", "9.9268", "12.1504", "14.4591", "16.8551", "19.3413", "21.9201", "24.5943", "27.3653"}
		var got []string
		for k, row := range c1.Rows {
			v := new(big.Rat).Mul(row.Amortization.Rat(), MustPercent("0.0082").Rat())
			v.Mul(v, big.NewRat(int64(30*(k+1)), 100)) // reais
			got = append(got, RoundHalfEven(v, 4).FloatString(4))
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	for _, tc := range []struct {
		name string
		days int
		want Cents
	}{{"P4/180d", 180, 1_856_00}, {"P4/365d", 365, 3_373_00}, {"P4/730d", 730, 3_373_00}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			am := []Amortization{{Due: d0.AddDays(tc.days), Amount: 100_000_00}}
			got, err := IOF(am, d0, BorrowerPF, 100_000_00, table)
			if err != nil {
				t.Fatal(err)
			}
			if got.Total != tc.want {
				t.Errorf("IOF = %s, want %s", got.Total, tc.want)
			}
		})
	}
	p5 := IOFTable{{DailyPJ: MustPercent("0.0041")}}
	t.Run("P5", func(t *testing.T) {
		t.Parallel()
		am := []Amortization{{Due: d0.AddDays(90), Amount: 20_000_00}}
		got, err := IOF(am, d0, BorrowerPJ, 20_000_00, p5)
		if err != nil {
			t.Fatal(err)
		}
		if got.Total != 73_80 {
			t.Errorf("IOF = %s, want 73.80", got.Total)
		}
	})
	t.Run("P5/pre-2025-table", func(t *testing.T) {
		t.Parallel()
		disb := Date{2024, time.March, 1}
		am := []Amortization{{Due: disb.AddDays(90), Amount: 20_000_00}}
		got, err := IOF(am, disb, BorrowerPJ, 20_000_00, DefaultIOFTable())
		if err != nil {
			t.Fatal(err)
		}
		if got.Daily != 73_80 || got.Additional != 76_00 {
			t.Errorf("daily %s additional %s, want 73.80 and 76.00", got.Daily, got.Additional)
		}
	})
	t.Run("P5/gross-up", func(t *testing.T) {
		t.Parallel()
		got, err := FinancedIOF(20_000_00, Rate{}, []Date{d0.AddDays(90)}, d0, BorrowerPJ, p5)
		if err != nil {
			t.Fatal(err)
		}
		if got.Gross != 20_074_07 || got.IOF != 74_07 {
			t.Errorf("F = %s IOF = %s, want 20074.07 / 74.07", got.Gross, got.IOF)
		}
	})
	t.Run("C3/effective-dated", func(t *testing.T) {
		t.Parallel()
		// With the real table a disbursement before 2025-06-01 gets PJ 0.0041%/day
		// (half of C3's daily part); one after it gets C3's figures.
		before := iofOf(t, c1, every30(d0, 12), d0, BorrowerPJ, DefaultIOFTable())
		after := Date{2025, time.July, 1}
		now := iofOf(t, c1, every30(after, 12), after, BorrowerPJ, DefaultIOFTable())
		if before.Total != 82_85+38_00 || now.Total != 203_70 {
			t.Errorf("before %s, after %s; want 120.85 and 203.70", before.Total, now.Total)
		}
	})
	t.Run("C3-S/above-ceiling", func(t *testing.T) {
		t.Parallel()
		// A Simples operation above R$ 30 000 pays the PJ daily rate.
		am := []Amortization{{Due: d0.AddDays(100), Amount: 30_000_01}}
		got, err := IOF(am, d0, BorrowerSimples, 30_000_01, table)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := IOF(am, d0, BorrowerPJ, 30_000_01, table)
		if got.Total != want.Total {
			t.Errorf("Simples above ceiling = %s, want PJ %s", got.Total, want.Total)
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		good := []Amortization{{Due: d0.AddDays(30), Amount: 100}}
		if _, err := IOF(good, d0, BorrowerPJ, 101, table); err == nil {
			t.Error("want error when amortizations do not sum to principal")
		}
		if _, err := IOF([]Amortization{{Due: d0.AddDays(-1), Amount: 100}}, d0, BorrowerPJ, 100, table); err == nil {
			t.Error("want error for due date before disbursement")
		}
		if _, err := IOF(good, d0, BorrowerKind(9), 100, table); err == nil {
			t.Error("want error for unknown kind")
		}
		if _, err := IOF(good, Date{1800, 1, 1}, BorrowerPJ, 100, DefaultIOFTable()); !errors.Is(err, ErrNoIOFRates) {
			t.Errorf("err = %v, want ErrNoIOFRates", err)
		}
	})
}

func TestFinancedIOF(t *testing.T) {
	t.Parallel()
	t.Run("C5", func(t *testing.T) {
		t.Parallel()
		got, err := FinancedIOF(10_000_00, MustPercent("2"), every30(d0, 12), d0, BorrowerPJ, currentRates(t))
		if err != nil {
			t.Fatal(err)
		}
		if k := RoundHalfEven(got.K.Rat(), 10).FloatString(10); k != "0.0203699007" {
			t.Errorf("k = %s, want 0.0203699007", k)
		}
		s := got.Schedule
		gotV := [7]Cents{got.Gross, got.IOF, s.PMT, s.Rows[0].Interest, s.Rows[0].Amortization, s.Rows[11].Installment, s.Rows[11].Balance}
		want := [7]Cents{10_207_93, 207_93, 965_26, 204_16, 761_10, 965_23, 0}
		if diff := cmp.Diff(want, gotV); diff != "" {
			t.Errorf("F/IOF/PMT/int1/am1/last/balance (-want +got):\n%s", diff)
		}
	})
	t.Run("C6d", func(t *testing.T) {
		t.Parallel()
		got, err := FinancedIOF(10_000_00, MustPercent("2"), monthly(d0, 12, true), d0, BorrowerPJ, currentRates(t))
		if err != nil {
			t.Fatal(err)
		}
		if got.Gross != 10_210_15 || got.Schedule.PMT != 965_47 {
			t.Errorf("F = %s PMT = %s, want 10210.15 / 965.47", got.Gross, got.Schedule.PMT)
		}
	})
}

func cetOf(t *testing.T, fc0 Cents, flows []Flow) Rate {
	t.Helper()
	r, err := CET(fc0, flows, d0)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func flowsOf(t *testing.T, s Schedule, dues []Date) []Flow {
	t.Helper()
	f, err := s.Flows(dues)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestCET(t *testing.T) {
	t.Parallel()
	table := currentRates(t)
	c1, err := PriceSchedule(10_000_00, MustPercent("2"), 12)
	if err != nil {
		t.Fatal(err)
	}
	c5, err := FinancedIOF(10_000_00, MustPercent("2"), every30(d0, 12), d0, BorrowerPJ, table)
	if err != nil {
		t.Fatal(err)
	}
	rolled := monthly(d0, 12, true)
	c6d, err := FinancedIOF(10_000_00, MustPercent("2"), rolled, d0, BorrowerPJ, table)
	if err != nil {
		t.Fatal(err)
	}
	p3 := make([]Flow, 5)
	for k, d := range every30(d0, 5) {
		p3[k] = Flow{d, 205_73}
	}
	tests := []struct {
		name  string
		fc0   Cents
		flows []Flow
		want  string
	}{
		{"C6a", 10_000_00 - 203_70, flowsOf(t, c1, every30(d0, 12)), "32.45"},
		{"C6b", 10_000_00, flowsOf(t, c5.Schedule, every30(d0, 12)), "32.45"},
		{"C6c", 10_000_00 - 200_00, flowsOf(t, c5.Schedule, every30(d0, 12)), "37.80"},
		{"C6d", 10_000_00, flowsOf(t, c6d.Schedule, rolled), "32.03"},
		{"C6/no-cost", 10_000_00, flowsOf(t, c1, every30(d0, 12)), "27.24"},
		{"P3/365", 940_00, p3, "44.66"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := cetOf(t, tc.fc0, tc.flows).PercentHalfEven(2); got != tc.want {
				t.Errorf("CET = %s%%, want %s%%", got, tc.want)
			}
		})
	}
	t.Run("C6b/monthly", func(t *testing.T) {
		t.Parallel()
		m, err := MonthlyEquivalent(cetOf(t, 10_000_00, flowsOf(t, c5.Schedule, every30(d0, 12))))
		if err != nil {
			t.Fatal(err)
		}
		if got := m.PercentHalfEven(4); got != "2.3695" {
			t.Errorf("monthly = %s%%, want 2.3695%%", got)
		}
	})
	t.Run("P3/periodic", func(t *testing.T) {
		t.Parallel()
		// The BCB FAQ annualizes a monthly IRR: 3.08% a.m. → 43.93% a.a.
		// With 30-day spacing the /365 CET is u^-365−1; the monthly IRR is u^-30−1.
		a := cetOf(t, 940_00, p3)
		m, err := rootRate(a, 365)
		if err != nil {
			t.Fatal(err)
		}
		f := new(big.Rat).Add(big.NewRat(1, 1), m.Rat())
		per := powRat(f, 30)
		per.Sub(per, big.NewRat(1, 1))
		ann, _ := AnnualFromMonthly(RateFromRat(per))
		if got := [2]string{RateFromRat(per).PercentHalfEven(2), ann.PercentHalfEven(2)}; got != [2]string{"3.08", "43.93"} {
			t.Errorf("periodic = %v, want [3.08 43.93]", got)
		}
	})
	t.Run("errors", func(t *testing.T) {
		t.Parallel()
		one := []Flow{{d0.AddDays(30), 100}}
		for name, tc := range map[string]struct {
			fc0   Cents
			flows []Flow
			want  error
		}{
			"zero-fc0":     {0, one, ErrCETInput},
			"no-flows":     {100, nil, ErrCETInput},
			"before-d0":    {100, []Flow{{d0.AddDays(-1), 100}}, ErrCETInput},
			"never-repaid": {100, []Flow{{d0.AddDays(30), -5}}, ErrCETNoBracket},
			"paid-at-d0":   {100, []Flow{{d0, 100}}, ErrCETNoBracket},
		} {
			if _, err := CET(tc.fc0, tc.flows, d0); !errors.Is(err, tc.want) {
				t.Errorf("%s: err = %v, want %v", name, err, tc.want)
			}
		}
	})
	t.Run("negative-cet", func(t *testing.T) {
		t.Parallel()
		// Repaying less than received gives a negative CET, still solved.
		got := cetOf(t, 100_00, []Flow{{d0.AddDays(365), 90_00}})
		if s := got.PercentHalfEven(2); s != "-10.00" {
			t.Errorf("CET = %s, want -10.00", s)
		}
	})
}

func TestLateCharges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		inst       Cents
		days       int
		fine, mora Cents
	}{
		{"C7", 945_60, 10, 18_91, 3_15},
		{"C7/on-time", 945_60, 0, 0, 0},
		{"C7/30d", 945_60, 30, 18_91, 9_46},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := LateCharges(tc.inst, tc.days, MustPercent("2"), MustPercent("1"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(LateCharge{tc.fine, tc.mora}, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if _, err := LateCharges(100, -1, MustPercent("2"), MustPercent("1")); err == nil {
		t.Error("want error for negative days")
	}
}

func TestRateParsing(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, percent string }{
		{"2.5", "2.5"}, {"2", "2"}, {"-0.0082", "-0.0082"}, {"0.00274", "0.00274"}, {"+07.50", "7.5"}, {"-0", "0"}, {".5", "0.5"}, {"5.", "5"},
	} {
		r, err := ParsePercent(tc.in)
		if err != nil {
			t.Errorf("ParsePercent(%q): %v", tc.in, err)
			continue
		}
		if got := r.Percent(); got != tc.percent {
			t.Errorf("ParsePercent(%q).Percent() = %q, want %q", tc.in, got, tc.percent)
		}
	}
	for _, bad := range []string{"", "-", ".", "1/3", "1e3", "2%", "1.2.3", " 1", "0x10", strings.Repeat("1", 65)} {
		if _, err := ParsePercent(bad); !errors.Is(err, ErrInvalidRate) {
			t.Errorf("ParsePercent(%q) err = %v, want ErrInvalidRate", bad, err)
		}
	}
	if got := PercentBP(200).Cmp(MustPercent("2")); got != 0 {
		t.Error("PercentBP(200) != 2%")
	}
	f, _ := ParseFraction("0.025")
	if f.Cmp(MustPercent("2.5")) != 0 || f.String() != "2.5%" {
		t.Errorf("ParseFraction(0.025) = %s", f)
	}
	if (Rate{}).Percent() != "0" || (Cents(-5)).String() != "-0.05" || Cents(1_000_00).String() != "1000.00" {
		t.Error("zero values / Cents.String")
	}
}

func TestPropertyPriceSchedule(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(20250115, 5891))
	for i := range 500 {
		pv := Cents(100_00 + rng.Int64N(1_000_000_00-100_00+1))
		rate := PercentBP(50 + rng.Int64N(800-50+1)) // 0.5%–8% a.m.
		n := 1 + rng.IntN(48)
		s, err := PriceSchedule(pv, rate, n)
		if err != nil {
			t.Fatalf("#%d PriceSchedule(%s, %s, %d): %v", i, pv, rate, n, err)
		}
		var am, paid, interest Cents
		for k, row := range s.Rows {
			if row.Interest+row.Amortization != row.Installment {
				t.Fatalf("#%d row %d: %+v does not add up", i, k+1, row)
			}
			if k < n-1 && row.Installment != s.PMT {
				t.Fatalf("#%d row %d installment %s != PMT %s", i, k+1, row.Installment, s.PMT)
			}
			if row.Amortization < 0 || row.Balance < 0 || row.Number != k+1 {
				t.Fatalf("#%d row %d: %+v", i, k+1, row)
			}
			am += row.Amortization
			paid += row.Installment
			interest += row.Interest
		}
		if am != pv || s.TotalAmortization != pv || s.Rows[n-1].Balance != 0 {
			t.Fatalf("#%d amortizations %s, final balance %s, principal %s", i, am, s.Rows[n-1].Balance, pv)
		}
		if paid != s.TotalPaid || interest != s.TotalInterest || s.TotalPaid != s.TotalInterest+pv {
			t.Fatalf("#%d totals inconsistent: %+v", i, s)
		}
	}
}

func TestPropertyCET(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(4881, 2020))
	for i := range 40 {
		pv := Cents(100_00 + rng.Int64N(1_000_000_00-100_00+1))
		rate := PercentBP(50 + rng.Int64N(800-50+1))
		n := 1 + rng.IntN(48)
		s, err := PriceSchedule(pv, rate, n)
		if err != nil {
			t.Fatal(err)
		}
		flows := flowsOf(t, s, every30(d0, n))
		base := cetOf(t, pv, flows)
		if base.Sign() < 0 {
			t.Fatalf("#%d no-cost CET %s < 0 (pv %s rate %s n %d)", i, base, pv, rate, n)
		}
		fee := 1 + Cents(rng.Int64N(int64(pv/10)))
		withFee := cetOf(t, pv-fee, flows)
		if withFee.Cmp(base) <= 0 {
			t.Fatalf("#%d fee %s did not raise CET: %s -> %s", i, fee, base.PercentHalfEven(6), withFee.PercentHalfEven(6))
		}
	}
}

func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"2.5", "0.0082", "-1", "100", ".5", "1e3", "1/3", "", "99999999999999999999.000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePercent(s)
		if err != nil {
			return
		}
		out := r.Percent()
		back, err := ParsePercent(out)
		if err != nil {
			t.Fatalf("ParsePercent(%q) -> %q does not parse: %v", s, out, err)
		}
		if back.Cmp(r) != 0 {
			t.Fatalf("round trip %q -> %q changed the value", s, out)
		}
		if again := back.Percent(); again != out {
			t.Fatalf("Percent not canonical: %q then %q", out, again)
		}
	})
}
