package providers_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
)

// magicCreditCNPJs is the table of the magic branches' doc comment: MagicCreditCNPJ(root suffix, branch,
// 0) for a MEI and an LTDA root.
var magicCreditCNPJs = []struct {
	branch    string
	mei, ltda string
}{
	{providers.SandboxCreditDeclinedBranch, "12.340.001/0002-45", "12.340.003/0002-34"},
	{providers.SandboxCreditSmallLimitBranch, "12.340.001/0003-26", "12.340.003/0003-15"},
	{providers.SandboxCreditLargeLimitBranch, "12.340.001/0004-07", "12.340.003/0004-04"},
	{providers.SandboxCreditRangeOfferBranch, "12.340.001/0005-98", "12.340.003/0005-87"},
	{providers.SandboxCreditFixedOfferBranch, "12.340.001/0006-79", "12.340.003/0006-68"},
	{providers.SandboxCreditUnavailableBranch, "12.340.001/0007-50", "12.340.003/0007-49"},
}

func TestMagicCreditCNPJDocumentedNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range magicCreditCNPJs {
		for suffix, formatted := range map[string]string{providers.SandboxMEIRootSuffix: tc.mei, providers.SandboxLTDARootSuffix: tc.ltda} {
			parsed, err := lending.ParseCNPJ(formatted)
			if err != nil {
				t.Errorf("ParseCNPJ(%q) = %v", formatted, err)
				continue
			}
			if got := providers.MagicCreditCNPJ(suffix, tc.branch, 0); got != parsed {
				t.Errorf("MagicCreditCNPJ(%q, %q, 0) = %s, the docs say %s", suffix, tc.branch, got.Format(), formatted)
			}
		}
	}
}

func TestMagicCreditCNPJ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		suffix, branch string
		n              int
		want           string // the first 12 characters
	}{
		{"0001", "0002", 0, "123400010002"},
		{"0003", "0007", 5, "123900030007"},
		{"AB12", "0005", 1, "1235AB120005"},
		{"0001", "a1b2", 0, "12340001A1B2"},
		{"", "0001", 0, "000012340001"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.suffix, tc.branch, tc.n), func(t *testing.T) {
			t.Parallel()
			got := providers.MagicCreditCNPJ(tc.suffix, tc.branch, tc.n)
			if string(got)[:12] != tc.want {
				t.Errorf("MagicCreditCNPJ(%q, %q, %d) = %s, want base %s", tc.suffix, tc.branch, tc.n, got, tc.want)
			}
			if parsed, err := lending.ParseCNPJ(string(got)); err != nil || parsed != got {
				t.Errorf("ParseCNPJ(%s) = %s, %v", got, parsed, err)
			}
			if root := providers.MagicCNPJ(tc.suffix, tc.n).Root(); got.Root() != root {
				t.Errorf("root %s, want MagicCNPJ's %s", got.Root(), root)
			}
		})
	}
}

func TestMagicCreditCNPJPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		suffix, branch string
		n              int
	}{
		{"0001", "0000", 0},
		{"0001", "001", 0},
		{"0001", "00001", 0},
		{"0001", "00-1", 0},
		{"0001", "", 0},
		{"123456789", "0002", 0},
		{"0001", "0002", -1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%s/%d", tc.suffix, tc.branch, tc.n), func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("MagicCreditCNPJ(%q, %q, %d) did not panic", tc.suffix, tc.branch, tc.n)
				}
			}()
			providers.MagicCreditCNPJ(tc.suffix, tc.branch, tc.n)
		})
	}
}

// decision is what the tests check of a lending.CreditDecision.
type decision struct {
	Approved                                       bool
	Amount                                         finmath.Cents
	Rate                                           string
	Installments, MinInstallments, MaxInstallments int
	IOF                                            lending.IOFRegime
}

func decide(p lending.CreditProfile) decision {
	d := lending.DefaultPolicy().Decide(p)
	if !d.Approved {
		return decision{}
	}
	return decision{true, d.Terms.ApprovedAmount, d.Terms.MonthlyRate, d.Terms.Installments,
		d.Terms.MinInstallments, d.Terms.MaxInstallments, d.Terms.IOFRegime}
}

func TestSandboxBureauMagic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		branch string
		want   lending.CreditProfile // SimplesNacional is set for a MEI
		// decision is DefaultPolicy's, IOF regime aside (simples for a MEI, pj otherwise).
		decision decision
	}{
		{providers.SandboxCreditDeclinedBranch,
			lending.CreditProfile{Score: 180, MonthlyRevenue: 5_000_00, Restrictions: []string{"protesto em cartório"}},
			decision{}},
		{providers.SandboxCreditSmallLimitBranch,
			lending.CreditProfile{Score: 520, MonthlyRevenue: 3_333_34},
			decision{Approved: true, Amount: 500000, Rate: "3.49", Installments: 12}},
		{providers.SandboxCreditLargeLimitBranch,
			lending.CreditProfile{Score: 900, MonthlyRevenue: 800_000_00},
			decision{Approved: true, Amount: 100000000, Rate: "1.79", MinInstallments: 3, MaxInstallments: 24}},
		{providers.SandboxCreditRangeOfferBranch,
			lending.CreditProfile{Score: 760, MonthlyRevenue: 60_000_00},
			decision{Approved: true, Amount: 90_000_00, Rate: "2.49", MinInstallments: 3, MaxInstallments: 24}},
		{providers.SandboxCreditFixedOfferBranch,
			lending.CreditProfile{Score: 620, MonthlyRevenue: 40_000_00},
			decision{Approved: true, Amount: 60_000_00, Rate: "3.49", Installments: 12}},
	}
	roots := []struct {
		suffix string
		nature lending.LegalNature
	}{
		{providers.SandboxMEIRootSuffix, lending.LegalNatureMEI},
		{providers.SandboxEIRootSuffix, lending.LegalNatureEI},
		{providers.SandboxLTDARootSuffix, lending.LegalNatureLTDA},
		{providers.SandboxSARootSuffix, lending.LegalNatureSA},
		{"XY", ""}, // a hash-chosen nature, alphanumeric
	}
	for _, tc := range tests {
		t.Run(tc.branch, func(t *testing.T) {
			t.Parallel()
			for _, r := range roots {
				for n := range 20 {
					cnpj := providers.MagicCreditCNPJ(r.suffix, tc.branch, n)
					nature := r.nature
					if nature == "" {
						co, err := providers.SandboxRegistry{}.Company(t.Context(), cnpj)
						if err != nil {
							t.Fatal(err)
						}
						nature = co.LegalNature
					}
					want := tc.want
					want.SimplesNacional = nature == lending.LegalNatureMEI
					wantDecision := tc.decision
					switch {
					case wantDecision.Approved && want.SimplesNacional:
						wantDecision.IOF = lending.IOFRegimeSimples
					case wantDecision.Approved:
						wantDecision.IOF = lending.IOFRegimePJ
					}
					// The query's legal nature, or none (the registry's); any applicant, or none.
					for _, q := range []providers.BureauQuery{
						{CNPJ: cnpj, CPF: sampleCPF(n), LegalNature: nature},
						{CNPJ: cnpj, CPF: sampleCPF(n + 1000)},
						{CNPJ: lending.CNPJ(cnpj.Format()), LegalNature: nature},
					} {
						got, err := providers.SandboxBureau{}.Profile(t.Context(), q)
						if err != nil {
							t.Fatalf("Profile(%+v) = %v", q, err)
						}
						if diff := cmp.Diff(want, got); diff != "" {
							t.Fatalf("Profile(%+v) (-want +got):\n%s", q, diff)
						}
						if diff := cmp.Diff(wantDecision, decide(got)); diff != "" {
							t.Fatalf("DefaultPolicy decides on Profile(%+v) (-want +got):\n%s", q, diff)
						}
					}
				}
			}
		})
	}
}

func TestSandboxBureauErrors(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel := context.WithTimeout(context.Background(), 0)
	defer cancel()
	var bureau providers.Bureau = providers.SandboxBureau{}
	ltda := providers.ExampleCNPJ(lending.LegalNatureLTDA)
	tests := []struct {
		name string
		ctx  context.Context
		q    providers.BureauQuery
		want error
	}{
		{"unavailable, MEI", context.Background(), providers.BureauQuery{CNPJ: providers.MagicCreditCNPJ(providers.SandboxMEIRootSuffix, providers.SandboxCreditUnavailableBranch, 0), LegalNature: lending.LegalNatureMEI}, providers.ErrUnavailable},
		{"unavailable, LTDA", context.Background(), providers.BureauQuery{CNPJ: providers.MagicCreditCNPJ(providers.SandboxLTDARootSuffix, providers.SandboxCreditUnavailableBranch, 3), CPF: sampleCPF(1)}, providers.ErrUnavailable},
		{"unavailable, alphanumeric", context.Background(), providers.BureauQuery{CNPJ: lending.CNPJWithCheckDigits("12ABC3450007")}, providers.ErrUnavailable},
		{"bad CNPJ check digits", context.Background(), providers.BureauQuery{CNPJ: "12340003000100"}, providers.ErrNotFound},
		{"no CNPJ", context.Background(), providers.BureauQuery{CPF: sampleCPF(0)}, providers.ErrNotFound},
		{"bad CPF", context.Background(), providers.BureauQuery{CNPJ: ltda, CPF: "52998224700"}, providers.ErrNotFound},
		{"canceled", canceled, providers.BureauQuery{CNPJ: ltda, CPF: sampleCPF(0)}, context.Canceled},
		{"canceled, unavailable", canceled, providers.BureauQuery{CNPJ: providers.MagicCreditCNPJ(providers.SandboxLTDARootSuffix, providers.SandboxCreditUnavailableBranch, 0)}, context.Canceled},
		{"canceled, bad CNPJ", canceled, providers.BureauQuery{CNPJ: "x"}, context.Canceled},
		{"deadline exceeded", expired, providers.BureauQuery{CNPJ: ltda}, context.DeadlineExceeded},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for range 3 { // every call: a transient error stays until the caller gives up
				p, err := bureau.Profile(tc.ctx, tc.q)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Profile(%+v) = %v, want %v", tc.q, err, tc.want)
				}
				if ctxErr := tc.ctx.Err(); ctxErr != nil && err != ctxErr {
					t.Errorf("Profile(%+v) = %v, want ctx.Err() = %v", tc.q, err, ctxErr)
				}
				if diff := cmp.Diff(lending.CreditProfile{}, p); diff != "" {
					t.Errorf("Profile(%+v) returned a profile with its error (-want +got):\n%s", tc.q, diff)
				}
				if transient := !errors.Is(err, providers.ErrNotFound); transient != (tc.want != providers.ErrNotFound) {
					t.Errorf("Profile(%+v) = %v: transient %v", tc.q, err, transient)
				}
			}
		})
	}
}

func TestSandboxBureauDeterministic(t *testing.T) {
	t.Parallel()
	queries := []providers.BureauQuery{
		{CNPJ: providers.ExampleCNPJ(lending.LegalNatureMEI), CPF: sampleCPF(0), LegalNature: lending.LegalNatureMEI},
		{CNPJ: providers.ExampleCNPJ(lending.LegalNatureSA), CPF: sampleCPF(1)},
		{CNPJ: lending.CNPJWithCheckDigits("112223330001")},
		{CNPJ: lending.CNPJWithCheckDigits("12ABC34501DE"), CPF: sampleCPF(2), LegalNature: lending.LegalNatureLTDA},
		{CNPJ: providers.MagicCreditCNPJ(providers.SandboxMEIRootSuffix, providers.SandboxCreditRangeOfferBranch, 0)},
	}
	for _, q := range queries {
		t.Run(string(q.CNPJ), func(t *testing.T) {
			t.Parallel()
			var first providers.SandboxBureau
			a, errA := first.Profile(t.Context(), q)
			b, errB := (&providers.SandboxBureau{}).Profile(context.Background(), q)
			if errA != nil || errB != nil {
				t.Fatalf("Profile(%+v) = %v, %v", q, errA, errB)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("Profile(%+v) twice differs (-first +second):\n%s", q, diff)
			}
		})
	}
}

// TestSandboxBureauGolden pins a few hash-based profiles: partners' test data depend on them, so a change
// to the derivation must be deliberate.
func TestSandboxBureauGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		q    providers.BureauQuery
		want lending.CreditProfile
	}{
		// ExampleCNPJ(MEI) and its owner; ExampleCNPJ(LTDA) and two of its partners.
		{providers.BureauQuery{CNPJ: "12340001000164", CPF: "50981193676", LegalNature: lending.LegalNatureMEI},
			lending.CreditProfile{Score: 525, MonthlyRevenue: 4_835_73, SimplesNacional: true}},
		{providers.BureauQuery{CNPJ: "12340003000153", CPF: "23110071819", LegalNature: lending.LegalNatureLTDA},
			lending.CreditProfile{Score: 898, MonthlyRevenue: 5_666_59, SimplesNacional: true}},
		{providers.BureauQuery{CNPJ: "12340003000153", CPF: "80667549730", LegalNature: lending.LegalNatureLTDA},
			lending.CreditProfile{Score: 675, MonthlyRevenue: 5_666_59, SimplesNacional: true}},
		// MagicCNPJ(LTDA, 4) and MagicCNPJ(LTDA, 17) with a partner each: outside the Simples, restricted.
		{providers.BureauQuery{CNPJ: "12380003000187", CPF: "08024842980", LegalNature: lending.LegalNatureLTDA},
			lending.CreditProfile{Score: 647, MonthlyRevenue: 221_029_98}},
		{providers.BureauQuery{CNPJ: "12510003000154", CPF: "64856610007", LegalNature: lending.LegalNatureLTDA},
			lending.CreditProfile{Score: 875, MonthlyRevenue: 74_214_77, Restrictions: []string{"protesto em cartório"}, SimplesNacional: true}},
	}
	for _, tc := range tests {
		t.Run(string(tc.q.CNPJ)+"/"+string(tc.q.CPF), func(t *testing.T) {
			t.Parallel()
			got, err := providers.SandboxBureau{}.Profile(t.Context(), tc.q)
			if err != nil {
				t.Fatalf("Profile(%+v) = %v", tc.q, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Profile(%+v) (-want +got):\n%s", tc.q, diff)
			}
		})
	}
}

// TestSandboxBureauCompanyFacts checks that a company's revenue and Simples Nacional come from its root
// alone: every branch and applicant sees the same, and the applicant may change the score.
func TestSandboxBureauCompanyFacts(t *testing.T) {
	t.Parallel()
	for i := range 200 {
		root := sampleCNPJ(i).Root()
		hq, err := providers.SandboxBureau{}.Profile(t.Context(), providers.BureauQuery{CNPJ: lending.CNPJWithCheckDigits(root + "0001")})
		if err != nil {
			t.Fatal(err)
		}
		for j, branch := range []string{"0001", "0042", "0008", "A1B2"} {
			q := providers.BureauQuery{CNPJ: lending.CNPJWithCheckDigits(root + branch), CPF: sampleCPF(i*10 + j)}
			got, err := providers.SandboxBureau{}.Profile(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if got.MonthlyRevenue != hq.MonthlyRevenue || got.SimplesNacional != hq.SimplesNacional {
				t.Fatalf("Profile(%+v) = revenue %s, Simples %v; its head office without an applicant %s, %v",
					q, got.MonthlyRevenue, got.SimplesNacional, hq.MonthlyRevenue, hq.SimplesNacional)
			}
			q.CNPJ = lending.CNPJWithCheckDigits(root + "0001")
			if same, err := (providers.SandboxBureau{}).Profile(t.Context(), q); err != nil || !cmp.Equal(same, got) {
				t.Fatalf("Profile(%+v) = %+v, %v; on branch %s %+v", q, same, err, branch, got)
			}
		}
	}
}

// TestSandboxBureauLegalNature checks that a query without a legal nature gets the sandbox registry's,
// and that the query's wins over it.
func TestSandboxBureauLegalNature(t *testing.T) {
	t.Parallel()
	meis := 0
	for i := range 500 {
		cnpj := lending.CNPJWithCheckDigits(sampleCNPJ(i).Root() + "0001")
		if isMagic(cnpj.Root()) {
			continue
		}
		co, err := providers.SandboxRegistry{}.Company(t.Context(), cnpj)
		if err != nil {
			t.Fatal(err)
		}
		q := providers.BureauQuery{CNPJ: cnpj, CPF: sampleCPF(i)}
		implicit, err1 := providers.SandboxBureau{}.Profile(t.Context(), q)
		q.LegalNature = co.LegalNature
		explicit, err2 := providers.SandboxBureau{}.Profile(t.Context(), q)
		if err1 != nil || err2 != nil {
			t.Fatal(err1, err2)
		}
		if diff := cmp.Diff(explicit, implicit); diff != "" {
			t.Fatalf("Profile(%s) without the legal nature differs from with %s (-with +without):\n%s", cnpj, co.LegalNature, diff)
		}
		if co.LegalNature != lending.LegalNatureMEI {
			continue
		}
		meis++
		q.LegalNature = lending.LegalNatureLTDA // the query's nature wins
		ltda, err := providers.SandboxBureau{}.Profile(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		if ltda.Score != explicit.Score || !slices.Equal(ltda.Restrictions, explicit.Restrictions) {
			t.Errorf("Profile(%s) as an LTDA has score %d, %v; as a MEI %d, %v", cnpj, ltda.Score, ltda.Restrictions, explicit.Score, explicit.Restrictions)
		}
		if explicit.MonthlyRevenue > 675000 || !explicit.SimplesNacional {
			t.Errorf("Profile(%s) as a MEI = %+v", cnpj, explicit)
		}
	}
	if meis < 100 {
		t.Errorf("only %d MEIs among 500 companies", meis)
	}
}

// TestSandboxBureauDistribution checks the hash-based profiles of 10,000 head offices (half of them
// alphanumeric), each with its own applicant, and what DefaultPolicy decides on them.
func TestSandboxBureauDistribution(t *testing.T) {
	t.Parallel()
	policy := lending.DefaultPolicy()
	var total, declined, ranges, lowScore, midScore, restricted, others, othersSimples, othersSmall int
	for i := range 10_000 {
		cnpj := lending.CNPJWithCheckDigits(sampleCNPJ(i).Root() + "0001")
		if isMagic(cnpj.Root()) {
			continue // the registry's magic roots: not found, unavailable
		}
		co, err := providers.SandboxRegistry{}.Company(t.Context(), cnpj)
		if err != nil {
			t.Fatal(err)
		}
		q := providers.BureauQuery{CNPJ: cnpj, CPF: sampleCPF(i)}
		if i%2 == 0 {
			q.LegalNature = co.LegalNature
		}
		p, err := providers.SandboxBureau{}.Profile(t.Context(), q)
		if err != nil {
			t.Fatalf("Profile(%+v) = %v", q, err)
		}
		total++
		if p.Score < 150 || p.Score > 980 || p.MonthlyRevenue < 4_000_00 || p.MonthlyRevenue > 2_000_000_00 || len(p.Restrictions) > 1 {
			t.Fatalf("Profile(%+v) = %+v", q, p)
		}
		if p.SimplesNacional && p.MonthlyRevenue > 400_000_00 {
			t.Errorf("Profile(%+v) = %+v: in the Simples above its ceiling", q, p)
		}
		if co.LegalNature == lending.LegalNatureMEI {
			if !p.SimplesNacional || p.MonthlyRevenue > 675000 {
				t.Errorf("Profile(%+v) of a MEI = %+v", q, p)
			}
		} else {
			others++
			if p.SimplesNacional {
				othersSimples++
			}
			if p.MonthlyRevenue < 100_000_00 {
				othersSmall++
			}
		}
		switch {
		case p.Score < 300:
			lowScore++
		case p.Score >= 450 && p.Score <= 850:
			midScore++
		}
		if len(p.Restrictions) > 0 {
			restricted++
			if r := p.Restrictions[0]; r == "" || strings.TrimSpace(r) != r {
				t.Errorf("Profile(%+v) has restriction %q", q, r)
			}
		}
		d := policy.Decide(p)
		switch {
		case !d.Approved:
			declined++
		case d.Terms.Installments == 0:
			ranges++
		}
	}
	if total < 9_900 {
		t.Fatalf("only %d of 10,000 samples are not magic", total)
	}
	pct := func(n, of int) float64 { return 100 * float64(n) / float64(of) }
	t.Logf("%d profiles: %.1f%% declined, %.1f%% range offers, %.1f%% score < 300, %.1f%% score 450–850, %.1f%% restricted; "+
		"of %d non-MEI, %.1f%% Simples, %.1f%% earn under R$ 100,000",
		total, pct(declined, total), pct(ranges, total), pct(lowScore, total), pct(midScore, total), pct(restricted, total),
		others, pct(othersSimples, others), pct(othersSmall, others))
	checks := []struct {
		what     string
		got      float64
		min, max float64
	}{
		{"declined by DefaultPolicy", pct(declined, total), 8, 20},
		{"range offers", pct(ranges, total), 20, 60},
		{"score below 300", pct(lowScore, total), 6, 10},
		{"score from 450 to 850", pct(midScore, total), 70, 85},
		{"restricted", pct(restricted, total), 3.5, 6.5},
		{"non-MEI in the Simples", pct(othersSimples, others), 52, 68},
		{"non-MEI earning under R$ 100,000 a month", pct(othersSmall, others), 40, 60},
	}
	for _, c := range checks {
		if c.got < c.min || c.got > c.max {
			t.Errorf("%s: %.1f%%, want %.0f%% to %.0f%%", c.what, c.got, c.min, c.max)
		}
	}
}

// sampleCPF returns the i-th of a spread of valid CPFs.
func sampleCPF(i int) lending.CPF {
	base := fmt.Sprintf("%09d", (uint64(i)*2_654_435_761+12_345_678)%1_000_000_000)
	if strings.Count(base, base[:1]) == 9 {
		base = "123456789"
	}
	return lending.CPFWithCheckDigits(base)
}
