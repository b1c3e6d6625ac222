package lending_test

import (
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

func TestPolicyValidate(t *testing.T) {
	t.Parallel()
	if err := lending.DefaultPolicy().Validate(); err != nil {
		t.Fatalf("DefaultPolicy().Validate() = %v", err)
	}
	ok := []struct {
		name   string
		change func(*lending.Policy)
	}{
		{"one band", func(p *lending.Policy) { p.Bands = p.Bands[:1] }},
		{"MinAmount = MinApproved = MaxApproved", func(p *lending.Policy) { p.MinAmount, p.MinApproved, p.MaxApproved = 300000, 300000, 300000 }},
		{"MinInstallments = MaxInstallments", func(p *lending.Policy) { p.MinInstallments, p.MaxInstallments = 6, 6 }},
		{"MaxInstallments 120", func(p *lending.Policy) { p.MaxInstallments = 120 }},
		{"no fee", func(p *lending.Policy) { p.FeeRate, p.FeeMin, p.FeeMax = "0", 0, 0 }},
		{"FeeMin = FeeMax", func(p *lending.Policy) { p.FeeMin, p.FeeMax = 100, 100 }},
		{"ValidFor one hour", func(p *lending.Policy) { p.ValidFor = time.Hour }},
		{"band rate 20", func(p *lending.Policy) { p.Bands[0].MonthlyRate = "20" }},
		{"band rate 4 decimals", func(p *lending.Policy) { p.Bands[0].MonthlyRate = "4.9999" }},
	}
	for _, tc := range ok {
		t.Run("ok/"+tc.name, func(t *testing.T) {
			t.Parallel()
			p := lending.DefaultPolicy()
			tc.change(&p)
			if err := p.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
	broken := []struct {
		name   string
		change func(*lending.Policy)
	}{
		{"no bands", func(p *lending.Policy) { p.Bands = nil }},
		{"band rate not a number", func(p *lending.Policy) { p.Bands[1].MonthlyRate = "abc" }},
		{"band rate empty", func(p *lending.Policy) { p.Bands[1].MonthlyRate = "" }},
		{"band rate 0", func(p *lending.Policy) { p.Bands[2].MonthlyRate = "0" }},
		{"band rate negative", func(p *lending.Policy) { p.Bands[2].MonthlyRate = "-1" }},
		{"band rate above 20", func(p *lending.Policy) { p.Bands[3].MonthlyRate = "20.01" }},
		{"band rate 5 decimals", func(p *lending.Policy) { p.Bands[3].MonthlyRate = "1.79001" }},
		{"bands out of order", func(p *lending.Policy) { p.Bands[1], p.Bands[2] = p.Bands[2], p.Bands[1] }},
		{"bands with equal MinScore", func(p *lending.Policy) { p.Bands[2].MinScore = p.Bands[1].MinScore }},
		{"RevenueMultiple not a number", func(p *lending.Policy) { p.RevenueMultiple = "1,5" }},
		{"RevenueMultiple empty", func(p *lending.Policy) { p.RevenueMultiple = "" }},
		{"FeeRate not a number", func(p *lending.Policy) { p.FeeRate = "2%" }},
		{"FeeRate empty", func(p *lending.Policy) { p.FeeRate = "" }},
		{"MinApproved 0", func(p *lending.Policy) { p.MinApproved, p.MinAmount = 0, 0 }},
		{"MinApproved negative", func(p *lending.Policy) { p.MinApproved = -1 }},
		{"MaxApproved below MinApproved", func(p *lending.Policy) { p.MaxApproved = p.MinApproved - 1 }},
		{"MinAmount 0", func(p *lending.Policy) { p.MinAmount = 0 }},
		{"MinAmount negative", func(p *lending.Policy) { p.MinAmount = -100 }},
		{"MinAmount above MinApproved", func(p *lending.Policy) { p.MinAmount = p.MinApproved + 1 }},
		{"FixedInstallments 0", func(p *lending.Policy) { p.FixedInstallments = 0 }},
		{"FixedInstallments negative", func(p *lending.Policy) { p.FixedInstallments = -12 }},
		{"MinInstallments 0", func(p *lending.Policy) { p.MinInstallments = 0 }},
		{"MaxInstallments below MinInstallments", func(p *lending.Policy) { p.MaxInstallments = p.MinInstallments - 1 }},
		{"MaxInstallments above 120", func(p *lending.Policy) { p.MaxInstallments = 121 }},
		{"FeeMin negative", func(p *lending.Policy) { p.FeeMin = -1 }},
		{"FeeMax below FeeMin", func(p *lending.Policy) { p.FeeMax = p.FeeMin - 1 }},
		{"ValidFor under an hour", func(p *lending.Policy) { p.ValidFor = time.Hour - time.Second }},
		{"ValidFor 0", func(p *lending.Policy) { p.ValidFor = 0 }},
		// The cases below are policies that cannot work but that Validate lets through (see the report):
		// a multiple of 0 or less declines every profile ("revenue supports only 0.00"), and a fixed term
		// above finmath.MaxInstallments makes NewCreditOffer refuse every fixed offer the policy approves.
		{"RevenueMultiple 0", func(p *lending.Policy) { p.RevenueMultiple = "0" }},
		{"RevenueMultiple negative", func(p *lending.Policy) { p.RevenueMultiple = "-1.5" }},
		{"FixedInstallments above finmath.MaxInstallments", func(p *lending.Policy) { p.FixedInstallments = finmath.MaxInstallments + 1 }},
	}
	for _, tc := range broken {
		t.Run("broken/"+tc.name, func(t *testing.T) {
			t.Parallel()
			p := lending.DefaultPolicy()
			p.Bands = append([]lending.RateBand(nil), p.Bands...)
			tc.change(&p)
			if err := p.Validate(); err == nil {
				t.Errorf("Validate() = nil, want an error")
			}
		})
	}
}

func TestPolicyValidateDoesNotShareBands(t *testing.T) {
	t.Parallel()
	// DefaultPolicy must hand out a fresh Bands slice: editing one copy may not change the next.
	p := lending.DefaultPolicy()
	p.Bands[0].MonthlyRate = "abc"
	if err := lending.DefaultPolicy().Validate(); err != nil {
		t.Fatalf("DefaultPolicy shares its bands: %v", err)
	}
}

func TestPolicyDecide(t *testing.T) {
	t.Parallel()
	p := lending.DefaultPolicy()
	// fixed and ranged are the terms of an approval of amount at rate for the default policy.
	fixed := func(amount finmath.Cents, rate string) lending.CreditTerms {
		return lending.CreditTerms{ApprovedAmount: amount, MinAmount: 1_000_00, MonthlyRate: rate, Installments: 12,
			FeeRate: "2", FeeMin: 50_00, FeeMax: 1_500_00, IOFRegime: lending.IOFRegimePJ}
	}
	ranged := func(amount finmath.Cents, rate string) lending.CreditTerms {
		t := fixed(amount, rate)
		t.Installments, t.MinInstallments, t.MaxInstallments = 0, 3, 24
		return t
	}
	simples := func(t lending.CreditTerms) lending.CreditTerms { t.IOFRegime = lending.IOFRegimeSimples; return t }
	const rev = 100_000_00 // R$ 100,000 a month: 150,000 approved
	tests := []struct {
		name    string
		prof    lending.CreditProfile
		want    *lending.CreditTerms // nil: declined
		because string               // part of the decline reason
	}{
		{"restriction", lending.CreditProfile{Score: 900, MonthlyRevenue: rev, Restrictions: []string{"protesto"}}, nil, "protesto"},
		{"restrictions beat everything", lending.CreditProfile{Score: 1000, MonthlyRevenue: rev, Restrictions: []string{"a", "b"}, SimplesNacional: true}, nil, "restrictions"},
		{"empty restrictions list", lending.CreditProfile{Score: 300, MonthlyRevenue: rev, Restrictions: []string{}}, ptr(fixed(150_000_00, "4.99")), ""},
		{"score 0", lending.CreditProfile{Score: 0, MonthlyRevenue: rev}, nil, "score 0"},
		{"score 299", lending.CreditProfile{Score: 299, MonthlyRevenue: rev}, nil, "score 299 below 300"},
		{"score 300", lending.CreditProfile{Score: 300, MonthlyRevenue: rev}, ptr(fixed(150_000_00, "4.99")), ""},
		{"score 499", lending.CreditProfile{Score: 499, MonthlyRevenue: rev}, ptr(fixed(150_000_00, "4.99")), ""},
		{"score 500", lending.CreditProfile{Score: 500, MonthlyRevenue: rev}, ptr(fixed(150_000_00, "3.49")), ""},
		{"score 699", lending.CreditProfile{Score: 699, MonthlyRevenue: rev}, ptr(fixed(150_000_00, "3.49")), ""},
		{"score 700", lending.CreditProfile{Score: 700, MonthlyRevenue: rev}, ptr(ranged(150_000_00, "2.49")), ""},
		{"score 849", lending.CreditProfile{Score: 849, MonthlyRevenue: rev}, ptr(ranged(150_000_00, "2.49")), ""},
		{"score 850", lending.CreditProfile{Score: 850, MonthlyRevenue: rev}, ptr(ranged(150_000_00, "1.79")), ""},
		{"score 1000", lending.CreditProfile{Score: 1000, MonthlyRevenue: rev}, ptr(ranged(150_000_00, "1.79")), ""},
		{"simples, fixed", lending.CreditProfile{Score: 600, MonthlyRevenue: rev, SimplesNacional: true}, ptr(simples(fixed(150_000_00, "3.49"))), ""},
		{"simples, range", lending.CreditProfile{Score: 900, MonthlyRevenue: rev, SimplesNacional: true}, ptr(simples(ranged(150_000_00, "1.79"))), ""},
		// 10,000.01 × 1.5 = 15,000.015: down to 15,000.00, never up.
		{"revenue multiple rounds down", lending.CreditProfile{Score: 600, MonthlyRevenue: 10_000_01}, ptr(fixed(15_000_00, "3.49")), ""},
		// 3,333.33 × 1.5 = 4,999.995: whole reais, so 4,999.00.
		{"whole reais", lending.CreditProfile{Score: 600, MonthlyRevenue: 3_333_33}, ptr(fixed(4_999_00, "3.49")), ""},
		{"whole reais 2", lending.CreditProfile{Score: 600, MonthlyRevenue: 6_666_66}, ptr(fixed(9_999_00, "3.49")), ""},
		// 2,000.00 × 1.5 = 3,000.00 = MinApproved exactly.
		{"exactly MinApproved", lending.CreditProfile{Score: 600, MonthlyRevenue: 2_000_00}, ptr(fixed(3_000_00, "3.49")), ""},
		// 1,999.99 × 1.5 = 2,999.985 → 2,999.00 < 3,000.00.
		{"just below MinApproved", lending.CreditProfile{Score: 600, MonthlyRevenue: 1_999_99}, nil, "supports only 2999.00"},
		{"no revenue", lending.CreditProfile{Score: 900, MonthlyRevenue: 0}, nil, "supports only 0.00"},
		{"negative revenue", lending.CreditProfile{Score: 900, MonthlyRevenue: -1_000_00}, nil, "supports only"},
		// 666,666.66 × 1.5 = 999,999.99 → 999,999.00; 666,666.67 × 1.5 = 1,000,000.005 → 1,000,000.00.
		{"just below MaxApproved", lending.CreditProfile{Score: 600, MonthlyRevenue: 666_666_66}, ptr(fixed(999_999_00, "3.49")), ""},
		{"reaches MaxApproved", lending.CreditProfile{Score: 600, MonthlyRevenue: 666_666_67}, ptr(fixed(1_000_000_00, "3.49")), ""},
		{"far above MaxApproved", lending.CreditProfile{Score: 950, MonthlyRevenue: 50_000_000_00}, ptr(ranged(1_000_000_00, "1.79")), ""},
		// A revenue so large that revenue × 1.5 does not fit in int64 centavos must still be capped at
		// MaxApproved, not wrap around (big.Int.Int64 of an out-of-range value is undefined).
		{"revenue overflowing int64 when multiplied", lending.CreditProfile{Score: 950, MonthlyRevenue: 7_000_000_000_000_000_000}, ptr(ranged(1_000_000_00, "1.79")), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := p.Decide(tc.prof)
			if tc.want == nil {
				if d.Approved || d.Terms != (lending.CreditTerms{}) {
					t.Fatalf("Decide = %+v, want declined", d)
				}
				if !strings.Contains(d.Reason, tc.because) {
					t.Errorf("reason %q does not say %q", d.Reason, tc.because)
				}
				return
			}
			if !d.Approved || d.Reason != "" {
				t.Fatalf("Decide = %+v, want approved", d)
			}
			if diff := cmp.Diff(*tc.want, d.Terms); diff != "" {
				t.Errorf("terms (-want +got):\n%s", diff)
			}
		})
	}
}

// TestPolicyDecideProperty checks every approval of random profiles against the policy it came from,
// and that the terms it gives are ones NewCreditOffer takes.
func TestPolicyDecideProperty(t *testing.T) {
	t.Parallel()
	p := lending.DefaultPolicy()
	rng := newRand(500, 700)
	mult := big.NewRat(3, 2)
	for i := range 5000 {
		prof := lending.CreditProfile{Score: rng.IntN(1001), MonthlyRevenue: finmath.Cents(rng.Int64N(2_000_000_00)), SimplesNacional: rng.IntN(2) == 0}
		if rng.IntN(10) == 0 {
			prof.Restrictions = []string{"x"}
		}
		d := p.Decide(prof)
		limit := new(big.Rat).Mul(big.NewRat(int64(prof.MonthlyRevenue), 1), mult)
		whole := new(big.Int).Quo(limit.Num(), limit.Denom()).Int64() / 100 * 100
		wantApproved := prof.Restrictions == nil && prof.Score >= p.MinScore && min(finmath.Cents(whole), p.MaxApproved) >= p.MinApproved
		if d.Approved != wantApproved {
			t.Fatalf("#%d Decide(%+v) approved = %v, want %v (%s)", i, prof, d.Approved, wantApproved, d.Reason)
		}
		if !d.Approved {
			continue
		}
		tm := d.Terms
		if tm.ApprovedAmount != min(finmath.Cents(whole), p.MaxApproved) || tm.ApprovedAmount%100 != 0 {
			t.Fatalf("#%d approved %s for revenue %s", i, tm.ApprovedAmount, prof.MonthlyRevenue)
		}
		if _, err := lending.NewCreditOffer(lending.Customer{ID: "cust_p", Status: lending.CustomerActive}, tm, p.ValidFor, offerNow); err != nil {
			t.Fatalf("#%d NewCreditOffer refuses the policy's terms %+v: %v", i, tm, err)
		}
	}
}

func TestParseMonthlyRate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, percent string }{
		{"2.49", "2.49"}, {"0.5", "0.5"}, {"20", "20"}, {"20.0000", "20"}, {"0.0001", "0.0001"}, {"19.9999", "19.9999"},
		{"2.1234", "2.1234"}, {"3.5", "3.5"}, {"1", "1"},
	} {
		r, err := lending.ParseMonthlyRate(tc.in)
		if err != nil {
			t.Errorf("ParseMonthlyRate(%q): %v", tc.in, err)
			continue
		}
		if r.Cmp(finmath.MustPercent(tc.percent)) != 0 || r.Percent() != tc.percent {
			t.Errorf("ParseMonthlyRate(%q) = %s, want %s%%", tc.in, r, tc.percent)
		}
	}
	for _, in := range []string{"0", "0.0", "-0", "0.00001", "-1", "-2.49", "20.01", "20.0001", "21", "100", "2.12345", "0.00009",
		"abc", "1e2", "1E0", "2,49", "2.49%", " 2.49", "2.49 ", "", ".", "1/2", "0x1", "2..4", strings.Repeat("1", 70)} {
		r, err := lending.ParseMonthlyRate(in)
		if err == nil {
			t.Errorf("ParseMonthlyRate(%q) = %s, want an error", in, r)
			continue
		}
		checkFieldError(t, "ParseMonthlyRate("+in+")", err, lending.CodeInvalidField, "monthly_interest_rate")
	}
}

func FuzzParseMonthlyRate(f *testing.F) {
	for _, s := range []string{"2.49", "0.5", "20", "0", "-1", "20.01", "2.12345", "abc", "1e2", ".5", "5.", "+2", "0.0001", "1/3"} {
		f.Add(s)
	}
	twenty := big.NewRat(20, 100)
	f.Fuzz(func(t *testing.T, s string) {
		r, err := lending.ParseMonthlyRate(s)
		if err != nil {
			if lending.ErrorCode(err) != lending.CodeInvalidField {
				t.Fatalf("ParseMonthlyRate(%q) error %v, want CodeInvalidField", s, err)
			}
			return
		}
		v := r.Rat()
		if v.Sign() <= 0 || v.Cmp(twenty) > 0 {
			t.Fatalf("ParseMonthlyRate(%q) = %s, outside (0, 20%%]", s, r)
		}
		// At most 4 decimals of a percent: 10^6·r is whole.
		if !new(big.Rat).Mul(v, big.NewRat(1_000_000, 1)).IsInt() {
			t.Fatalf("ParseMonthlyRate(%q) = %s has more than 4 decimals", s, r)
		}
		if strings.ContainsAny(s, "eE/xX ") {
			t.Fatalf("ParseMonthlyRate(%q) accepted a non-plain decimal", s)
		}
		back, err := lending.ParseMonthlyRate(r.Percent())
		if err != nil || back.Cmp(r) != 0 {
			t.Fatalf("ParseMonthlyRate(%q).Percent() = %q does not parse back: %v", s, r.Percent(), err)
		}
	})
}
