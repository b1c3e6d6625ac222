package providers

import (
	"context"
	"fmt"
	"strings"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

// Magic CNPJ branches (characters 9–12 of the CNPJ, "0001" for a head office) that choose what the
// sandbox bureau answers. The sandbox registry's magic is in the root, so the two combine: a root ending
// in SandboxMEIRootSuffix with branch SandboxCreditRangeOfferBranch is a MEI that gets a range offer.
// Under lending.DefaultPolicy:
//
//	branch  profile                                        DefaultPolicy decides
//	0002    score 180, restriction "protesto em cartório"  declined
//	0003    score 520, revenue R$ 3,333.34                 approved R$ 5,000.00, fixed 12 installments at 3.49%
//	0004    score 900, revenue R$ 800,000.00               approved R$ 1,000,000.00 (the cap), range 3–24 at 1.79%
//	0005    score 760, revenue R$ 60,000.00                approved R$ 90,000.00, range 3–24 at 2.49%
//	0006    score 620, revenue R$ 40,000.00                approved R$ 60,000.00, fixed 12 installments at 3.49%
//	0007    ErrUnavailable on every call (transient)       —
//
// Magic profiles are the same for every root and applicant, whatever the legal nature (even a MEI's
// revenue is what the table says, above the MEI ceiling), except that SimplesNacional is true exactly for
// a MEI: the root's legal nature chooses the IOF regime. MagicCreditCNPJ makes valid numbers; for
// example (MagicCreditCNPJ(SandboxMEIRootSuffix, branch, 0) and MagicCreditCNPJ(SandboxLTDARootSuffix,
// branch, 0)):
//
//	branch  MEI root (suffix 0001)  LTDA root (suffix 0003)
//	0002    12.340.001/0002-45      12.340.003/0002-34
//	0003    12.340.001/0003-26      12.340.003/0003-15
//	0004    12.340.001/0004-07      12.340.003/0004-04
//	0005    12.340.001/0005-98      12.340.003/0005-87
//	0006    12.340.001/0006-79      12.340.003/0006-68
//	0007    12.340.001/0007-50      12.340.003/0007-49
const (
	SandboxCreditDeclinedBranch    = "0002"
	SandboxCreditSmallLimitBranch  = "0003"
	SandboxCreditLargeLimitBranch  = "0004"
	SandboxCreditRangeOfferBranch  = "0005"
	SandboxCreditFixedOfferBranch  = "0006"
	SandboxCreditUnavailableBranch = "0007"
)

// Legal bounds on monthly revenue (LC 123/2006): a MEI may earn R$ 81,000 a year, a company in the
// Simples Nacional R$ 4,800,000.
const (
	meiMaxMonthlyRevenue     finmath.Cents = 81_000_00 / 12
	simplesMaxMonthlyRevenue finmath.Cents = 4_800_000_00 / 12
)

// SandboxBureau is a Bureau that makes up realistic credit profiles without touching the network. It is
// deterministic: a profile is derived from a SHA-256 hash of the CNPJ root and the CPF, so the same query
// always gets the same answer, and every branch of a company the same one (but for the magic branches
// SandboxCreditDeclinedBranch and the rest, which choose the profile or a transient failure). Its zero
// value is ready to use.
//
// Outside the magic branches:
//   - the score (from the root and the CPF) is between 150 and 980: 8% below 300 (declined by
//     DefaultPolicy), 7% from 300 to 449, 77% from 450 to 850 (peaking at 650), 8% above 850;
//   - 5% of profiles (from the root and the CPF) have one restriction (a protest, a bounced cheque, an
//     overdue debt, a lawsuit), whatever the score;
//   - the monthly revenue (from the root) is between R$ 4,000 and R$ 2,000,000, roughly log-uniform
//     (equally likely in each doubling band from R$ 4,000), but a MEI's is between R$ 4,000 and
//     R$ 6,750, the MEI ceiling;
//   - every MEI is in the Simples Nacional, and about 60% of other companies are (from the root), never
//     one earning above the Simples ceiling of R$ 400,000 a month.
//
// The legal nature is the query's; when it is the zero value, the sandbox registry's for the root (so
// MagicCNPJ's root suffixes choose it). A CNPJ or a non-zero CPF that is not valid is ErrNotFound.
type SandboxBureau struct{}

var _ Bureau = SandboxBureau{}

// Profile returns the sandbox's credit profile for q.
func (SandboxBureau) Profile(ctx context.Context, q BureauQuery) (lending.CreditProfile, error) {
	if err := ctx.Err(); err != nil {
		return lending.CreditProfile{}, err
	}
	c, err := lending.ParseCNPJ(string(q.CNPJ))
	if err != nil {
		return lending.CreditProfile{}, fmt.Errorf("%w: %q is not a valid CNPJ", ErrNotFound, q.CNPJ)
	}
	var cpf lending.CPF
	if q.CPF != "" {
		if cpf, err = lending.ParseCPF(string(q.CPF)); err != nil {
			return lending.CreditProfile{}, fmt.Errorf("%w: %q is not a valid CPF", ErrNotFound, q.CPF)
		}
	}
	branch := string(c[8:12])
	if branch == SandboxCreditUnavailableBranch {
		return lending.CreditProfile{}, fmt.Errorf("sandbox bureau (branch %s): %w", branch, ErrUnavailable)
	}
	nature := q.LegalNature
	if nature == "" {
		nature, _, _ = sandboxProfile(c.Root())
	}
	mei := nature == lending.LegalNatureMEI
	if p, ok := sandboxCreditMagic(branch); ok {
		p.SimplesNacional = mei
		return p, nil
	}
	return sandboxCredit(c.Root(), cpf, mei), nil
}

// MagicCreditCNPJ returns the valid CNPJ with the root of MagicCNPJ(rootSuffix, n) (so rootSuffix chooses
// the sandbox registry's answer) and the given branch (so branch chooses the sandbox bureau's). branch is
// 4 digits or letters, not "0000"; it panics on anything else, and where MagicCNPJ panics.
func MagicCreditCNPJ(rootSuffix, branch string, n int) lending.CNPJ {
	branch = strings.ToUpper(branch)
	if len(branch) != 4 || strings.Trim(branch, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" || branch == "0000" {
		panic(fmt.Sprintf("providers: %q is not a CNPJ branch (4 digits or letters, not 0000)", branch))
	}
	return lending.CNPJWithCheckDigits(MagicCNPJ(rootSuffix, n).Root() + branch)
}

// sandboxCreditMagic returns the profile of a magic branch, without SimplesNacional.
func sandboxCreditMagic(branch string) (lending.CreditProfile, bool) {
	switch branch {
	case SandboxCreditDeclinedBranch:
		return lending.CreditProfile{Score: 180, MonthlyRevenue: 5_000_00, Restrictions: []string{"protesto em cartório"}}, true
	case SandboxCreditSmallLimitBranch:
		// 1.5 × R$ 3,333.34 = R$ 5,000.01, which DefaultPolicy rounds down to R$ 5,000.
		return lending.CreditProfile{Score: 520, MonthlyRevenue: 3_333_34}, true
	case SandboxCreditLargeLimitBranch:
		return lending.CreditProfile{Score: 900, MonthlyRevenue: 800_000_00}, true
	case SandboxCreditRangeOfferBranch:
		return lending.CreditProfile{Score: 760, MonthlyRevenue: 60_000_00}, true
	case SandboxCreditFixedOfferBranch:
		return lending.CreditProfile{Score: 620, MonthlyRevenue: 40_000_00}, true
	}
	return lending.CreditProfile{}, false
}

// sandboxRestrictions are the kinds of restriction the sandbox bureau reports.
var sandboxRestrictions = []string{
	"protesto em cartório",
	"cheque sem fundos (CCF)",
	"dívida vencida com empresa (PEFIN)",
	"dívida vencida com instituição financeira (REFIN)",
	"ação judicial de cobrança",
}

// sandboxCredit makes up the profile of the company with root, with the applicant cpf ("" for none).
// Company facts (revenue, Simples) come from the root alone; the score and restrictions also from cpf.
func sandboxCredit(root string, cpf lending.CPF, mei bool) lending.CreditProfile {
	who := root + "\x00" + string(cpf)
	p := lending.CreditProfile{
		Score:          sandboxScore(newDraws("credit score", who)),
		MonthlyRevenue: sandboxRevenue(newDraws("credit revenue", root), mei),
	}
	if r := newDraws("credit restrictions", who); r.intn(100) < 5 {
		p.Restrictions = []string{sandboxRestrictions[r.intn(len(sandboxRestrictions))]}
	}
	// 82% of the companies under the Simples ceiling (73% of them) is about 60% of all.
	p.SimplesNacional = mei || (newDraws("credit simples", root).intn(100) < 82 && p.MonthlyRevenue <= simplesMaxMonthlyRevenue)
	return p
}

// sandboxScore draws a score between 150 and 980 (see SandboxBureau).
func sandboxScore(d *draws) int {
	switch p := d.intn(100); {
	case p < 8:
		return 150 + d.intn(150) // 150–299
	case p < 15:
		return 300 + d.intn(150) // 300–449
	case p < 92:
		return 450 + (d.intn(401)+d.intn(401))/2 // 450–850, triangular around 650
	default:
		return 851 + d.intn(130) // 851–980
	}
}

// sandboxRevenue draws a monthly revenue: a MEI's uniform from R$ 4,000 to the MEI ceiling; another's in
// one of nine doubling bands from R$ 4,000 (the last one stopping at R$ 2,000,000), uniform within it.
func sandboxRevenue(d *draws, mei bool) finmath.Cents {
	const floor, ceiling finmath.Cents = 4_000_00, 2_000_000_00
	lo, hi := floor, meiMaxMonthlyRevenue
	if !mei {
		lo = floor << d.intn(9)
		hi = min(2*lo, ceiling)
	}
	return lo + finmath.Cents(d.intn(int(hi-lo)+1))
}
