package lending

import (
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
)

// CreditProfile is what a credit bureau says of a customer (the company and the applicant).
type CreditProfile struct {
	// Score is the bureau's score, 0 (worst) to 1000 (best).
	Score int
	// MonthlyRevenue is the company's estimated monthly revenue.
	MonthlyRevenue finmath.Cents
	// Restrictions are open negative records (protests, bounced cheques, overdue debts); any one
	// declines credit.
	Restrictions []string
	// SimplesNacional says the company is taxed under the Simples Nacional (every MEI is), which
	// lowers its IOF on operations up to R$ 30,000.
	SimplesNacional bool
}

// IOFRegime is how IOF is charged to a borrower.
type IOFRegime string

// IOF regimes.
const (
	IOFRegimePJ      IOFRegime = "pj"
	IOFRegimeSimples IOFRegime = "simples"
)

// BorrowerKind returns the finmath borrower kind of the regime.
func (r IOFRegime) BorrowerKind() finmath.BorrowerKind {
	if r == IOFRegimeSimples {
		return finmath.BorrowerSimples
	}
	return finmath.BorrowerPJ
}

// RateBand prices a range of scores: customers scoring at least MinScore pay MonthlyRate (a percent).
type RateBand struct {
	MinScore    int
	MonthlyRate string
}

// Policy turns a credit profile into terms. Every amount is in centavos and every rate a percent string
// ("2.49"), so the policy is exact and can be written in a config file.
type Policy struct {
	// MinScore is the lowest score that gets credit.
	MinScore int
	// Bands price the scores from MinScore up; the band with the highest MinScore not above the score
	// applies.
	Bands []RateBand
	// RevenueMultiple times the monthly revenue is the approved amount, rounded down to whole reais and
	// bounded by MinApproved and MaxApproved (a profile that supports less than MinApproved is declined).
	RevenueMultiple          string
	MinApproved, MaxApproved finmath.Cents
	// MinAmount is the smallest amount a customer may take.
	MinAmount finmath.Cents
	// FixedInstallments is the term of a fixed offer; customers scoring at least RangeMinScore get a
	// range offer from MinInstallments to MaxInstallments instead.
	FixedInstallments                int
	RangeMinScore                    int
	MinInstallments, MaxInstallments int
	// FeeRate is the taxa de cadastro as a percent of the requested amount, bounded by FeeMin and FeeMax;
	// it is financed.
	FeeRate        string
	FeeMin, FeeMax finmath.Cents
	// ValidFor is how long an offer stays available.
	ValidFor time.Duration
}

// DefaultPolicy is the policy a new deployment starts with (docs/credit.md explains it).
func DefaultPolicy() Policy {
	return Policy{
		MinScore: 300,
		Bands: []RateBand{
			{MinScore: 300, MonthlyRate: "4.99"},
			{MinScore: 500, MonthlyRate: "3.49"},
			{MinScore: 700, MonthlyRate: "2.49"},
			{MinScore: 850, MonthlyRate: "1.79"},
		},
		RevenueMultiple:   "1.5",
		MinApproved:       300000,    // R$ 3,000
		MaxApproved:       100000000, // R$ 1,000,000
		MinAmount:         100000,    // R$ 1,000
		FixedInstallments: 12,
		RangeMinScore:     700,
		MinInstallments:   3,
		MaxInstallments:   24,
		FeeRate:           "2",
		FeeMin:            5000,   // R$ 50
		FeeMax:            150000, // R$ 1,500
		ValidFor:          30 * 24 * time.Hour,
	}
}

// Validate reports a policy that cannot work (a rate that does not parse, bands out of order, bounds
// inverted).
func (p Policy) Validate() error {
	if len(p.Bands) == 0 {
		return fmt.Errorf("policy: no rate bands")
	}
	for i, b := range p.Bands {
		if _, err := ParseMonthlyRate(b.MonthlyRate); err != nil {
			return fmt.Errorf("policy: band %d: %w", i, err)
		}
		if i > 0 && b.MinScore <= p.Bands[i-1].MinScore {
			return fmt.Errorf("policy: bands must go up in MinScore")
		}
	}
	for _, r := range []string{p.RevenueMultiple, p.FeeRate} {
		if _, err := finmath.ParseFraction(r); err != nil {
			return fmt.Errorf("policy: %q: %w", r, err)
		}
	}
	if m, _ := finmath.ParseFraction(p.RevenueMultiple); m.Sign() <= 0 {
		return fmt.Errorf("policy: the revenue multiple must be positive")
	}
	if f, _ := finmath.ParsePercent(p.FeeRate); f.Sign() < 0 {
		return fmt.Errorf("policy: the fee rate must not be negative")
	}
	switch {
	case p.MinApproved <= 0 || p.MaxApproved < p.MinApproved || p.MinAmount <= 0 || p.MinAmount > p.MinApproved:
		return fmt.Errorf("policy: amounts must satisfy 0 < MinAmount ≤ MinApproved ≤ MaxApproved")
	case p.FixedInstallments < 1 || p.FixedInstallments > MaxTermInstallments || p.MinInstallments < 1 ||
		p.MaxInstallments < p.MinInstallments || p.MaxInstallments > MaxTermInstallments:
		return fmt.Errorf("policy: installments must be from 1 to %d", MaxTermInstallments)
	case p.FeeMin < 0 || p.FeeMax < p.FeeMin:
		return fmt.Errorf("policy: fee bounds inverted")
	case p.ValidFor < time.Hour:
		return fmt.Errorf("policy: offers must be valid for at least an hour")
	}
	for _, b := range p.Bands {
		for _, n := range []int{p.FixedInstallments, p.MaxInstallments} {
			if err := priceable(b.MonthlyRate, n); err != nil {
				return fmt.Errorf("policy: band %s: %w", b.MonthlyRate, err)
			}
		}
	}
	return nil
}

// MaxTermInstallments is the longest term the platform lends for: 120 monthly installments (10 years).
const MaxTermInstallments = 120

// maxRoundingAmplification bounds ((1+i)^n − 1)/i, the factor by which the half-centavo rounding of a
// Price installment compounds into the last installment: at 10,000 the last installment differs from
// the others by at most R$ 50. Longer terms at higher rates are refused rather than priced absurdly (or,
// past the point where the rounding outgrows the balance, not at all).
const maxRoundingAmplification = 10_000

// priceable refuses a monthly rate (percent) and term whose Price schedule the rounding would distort.
func priceable(monthlyPercent string, n int) error {
	r, err := finmath.ParsePercent(monthlyPercent)
	if err != nil {
		return err
	}
	i := r.Float64() // only to bound the term; no amount is computed from it
	amp := float64(n)
	if i > 0 {
		amp = (math.Pow(1+i, float64(n)) - 1) / i
	}
	if amp > maxRoundingAmplification {
		return FieldErrorf(CodeInvalidField, "installments",
			"%d installments at %s%% a month is too long a term: the schedule cannot be rounded fairly", n, monthlyPercent)
	}
	return nil
}

// CreditTerms are the terms of an offer.
type CreditTerms struct {
	ApprovedAmount, MinAmount finmath.Cents
	// MonthlyRate is a percent ("2.49").
	MonthlyRate string
	// Installments is the fixed term; when 0, MinInstallments..MaxInstallments is the range.
	Installments                     int
	MinInstallments, MaxInstallments int
	// FeeRate (a percent) and its bounds give the taxa de cadastro of a simulation.
	FeeRate        string
	FeeMin, FeeMax finmath.Cents
	IOFRegime      IOFRegime
}

// CreditDecision is the outcome of a credit analysis.
type CreditDecision struct {
	Approved bool
	// Reason says why credit was declined (kept for the operator).
	Reason string
	Terms  CreditTerms
}

// Decide applies the policy to a profile.
func (p Policy) Decide(prof CreditProfile) CreditDecision {
	if len(prof.Restrictions) > 0 {
		return CreditDecision{Reason: fmt.Sprintf("restrictions: %v", prof.Restrictions)}
	}
	if prof.Score < p.MinScore {
		return CreditDecision{Reason: fmt.Sprintf("score %d below %d", prof.Score, p.MinScore)}
	}
	band := p.Bands[0]
	for _, b := range p.Bands {
		if prof.Score >= b.MinScore {
			band = b
		}
	}
	mult, _ := finmath.ParseFraction(p.RevenueMultiple)
	limit := new(big.Rat).Mul(prof.MonthlyRevenue.Rat(), mult.Rat())
	whole := new(big.Int).Quo(limit.Num(), limit.Denom()) // centavos, rounded down
	approved := p.MaxApproved
	if whole.Cmp(big.NewInt(int64(p.MaxApproved))) < 0 {
		approved = finmath.Cents(whole.Int64() / 100 * 100) // whole reais
	}
	if approved < p.MinApproved {
		return CreditDecision{Reason: fmt.Sprintf("revenue %s supports only %s", prof.MonthlyRevenue, approved)}
	}
	t := CreditTerms{ApprovedAmount: approved, MinAmount: p.MinAmount, MonthlyRate: band.MonthlyRate,
		FeeRate: p.FeeRate, FeeMin: p.FeeMin, FeeMax: p.FeeMax, IOFRegime: IOFRegimePJ}
	if prof.SimplesNacional {
		t.IOFRegime = IOFRegimeSimples
	}
	if prof.Score >= p.RangeMinScore {
		t.MinInstallments, t.MaxInstallments = p.MinInstallments, p.MaxInstallments
	} else {
		t.Installments = p.FixedInstallments
	}
	return CreditDecision{Approved: true, Terms: t}
}

// maxMonthlyRate is the highest monthly rate an offer may carry: 20% a month.
var maxMonthlyRate = finmath.MustPercent("20")

// ParseMonthlyRate parses a monthly rate in percent ("2.49"): a plain decimal with at most 4 decimals,
// above 0 and at most 20. Errors are CodeInvalidField on monthly_interest_rate.
func ParseMonthlyRate(s string) (finmath.Rate, error) {
	bad := func() error {
		return FieldErrorf(CodeInvalidField, "monthly_interest_rate",
			"monthly_interest_rate is a percent above 0 and at most 20, with at most 4 decimals, not %q", s)
	}
	if i := strings.IndexByte(s, '.'); i >= 0 && len(s)-i-1 > 4 {
		return finmath.Rate{}, bad()
	}
	r, err := finmath.ParsePercent(s)
	if err != nil || r.Sign() <= 0 || r.Cmp(maxMonthlyRate) > 0 {
		return finmath.Rate{}, bad()
	}
	return r, nil
}

// CreditAnalysisStatus is where a customer's credit analysis is.
type CreditAnalysisStatus string

// Analysis states.
const (
	AnalysisApproved CreditAnalysisStatus = "approved"
	AnalysisDeclined CreditAnalysisStatus = "declined"
)

// CreditAnalysis is the outcome of analysing a customer: the bureau's profile and the policy's decision.
type CreditAnalysis struct {
	CustomerID string
	Scope      Scope
	Status     CreditAnalysisStatus
	Profile    CreditProfile
	Decision   CreditDecision
	// OfferID is the offer issued from this analysis, once the customer is active.
	OfferID   string
	CreatedAt time.Time
	UpdatedAt time.Time
}
