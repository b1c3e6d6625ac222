package providers

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/lending"
)

// Magic endings of a CNPJ root (its first 8 characters, lending.CNPJ.Root) that choose what the sandbox
// registry answers. Any other root gets a hash-chosen legal nature (MEI 35%, LTDA 30%, SLU 15%, EI 10%,
// S.A. 5%, EIRELI 5%) and status "ativa". MagicCNPJ makes valid numbers with these endings; for example
// (MagicCNPJ(suffix, n) for n = 0, 1, 2):
//
//	suffix  answer                                    n = 0               n = 1               n = 2
//	0001    MEI                                       12.340.001/0001-64  12.350.001/0001-45  12.360.001/0001-26
//	0002    EI                                        12.340.002/0001-09  12.350.002/0001-90  12.360.002/0001-70
//	0003    LTDA with exactly 3 partners              12.340.003/0001-53  12.350.003/0001-34  12.360.003/0001-15
//	0004    SLU                                       12.340.004/0001-06  12.350.004/0001-89  12.360.004/0001-60
//	0005    EIRELI                                    12.340.005/0001-42  12.350.005/0001-23  12.360.005/0001-04
//	0006    S.A. with 3 administrators                12.340.006/0001-97  12.350.006/0001-78  12.360.006/0001-59
//	0009    LTDA, status "baixada" (closed)           12.340.009/0001-20  12.350.009/0001-01  12.360.009/0001-92
//	0404    ErrNotFound                               12.340.404/0001-03  12.350.404/0001-94  12.360.404/0001-75
//	0500    ErrUnavailable on every call (transient)  12.340.500/0001-51  12.350.500/0001-32  12.360.500/0001-13
const (
	SandboxMEIRootSuffix         = "0001"
	SandboxEIRootSuffix          = "0002"
	SandboxLTDARootSuffix        = "0003"
	SandboxSLURootSuffix         = "0004"
	SandboxEIRELIRootSuffix      = "0005"
	SandboxSARootSuffix          = "0006"
	SandboxClosedRootSuffix      = "0009"
	SandboxNotFoundRootSuffix    = "0404"
	SandboxUnavailableRootSuffix = "0500"
)

// SandboxRegistry is a Registry that makes up realistic companies and people without touching the
// network. It is deterministic: everything it answers is derived from a SHA-256 hash of the CNPJ root or
// of the CPF, so the same number always gets the same answer, and every branch of a company (the same
// root) the same company. Magic root endings (SandboxMEIRootSuffix and the rest) choose the legal
// nature, a closed company, ErrNotFound or a transient failure. Its zero value is ready to use.
//
// Partners' names are PersonName of their CPFs; a MEI's legal name is its root and its owner's name
// ("12.340.001 INES NUNES MENDES"), an EI's its owner's name, others' the trading name with their legal
// suffix ("PADARIA BOA VISTA COMERCIO DE ALIMENTOS LTDA"; LTDA for an SLU too, S.A., EIRELI). Opening
// dates fall between 1995-01-01 and 2025-12-31 and respect the law of each nature: a MEI opens from
// 2009-07-01, an EIRELI between 2012-01-09 and 2021-08-26, an SLU from 2019-09-20. Partners' CPF bases
// never end in 990–999, so that a partner's CPF used as an applicant's does not trigger the magic CPFs
// of the sandbox KYC verifier.
type SandboxRegistry struct{}

var _ Registry = SandboxRegistry{}

// Company returns the sandbox's company for cnpj. A malformed cnpj, like a root ending in
// SandboxNotFoundRootSuffix, is ErrNotFound; a root ending in SandboxUnavailableRootSuffix always fails
// with ErrUnavailable.
func (SandboxRegistry) Company(ctx context.Context, cnpj lending.CNPJ) (Company, error) {
	if err := ctx.Err(); err != nil {
		return Company{}, err
	}
	c, err := lending.ParseCNPJ(string(cnpj))
	if err != nil {
		return Company{}, fmt.Errorf("%w: %q is not a valid CNPJ", ErrNotFound, cnpj)
	}
	switch root := c.Root(); {
	case strings.HasSuffix(root, SandboxUnavailableRootSuffix):
		return Company{}, ErrUnavailable
	case strings.HasSuffix(root, SandboxNotFoundRootSuffix):
		return Company{}, fmt.Errorf("%w: no company has CNPJ %s", ErrNotFound, c.Format())
	}
	return sandboxCompany(c), nil
}

// PersonName returns the sandbox's name for cpf: a first name and two surnames ("João Pereira Araújo").
// A malformed cpf is ErrNotFound.
func (SandboxRegistry) PersonName(ctx context.Context, cpf lending.CPF) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	c, err := lending.ParseCPF(string(cpf))
	if err != nil {
		return "", fmt.Errorf("%w: %q is not a valid CPF", ErrNotFound, cpf)
	}
	return sandboxPersonName(c), nil
}

// ExampleCNPJ returns a valid CNPJ the sandbox registry answers with a company of legal nature ln (an
// LTDA with three partners). It panics on an unknown legal nature.
func ExampleCNPJ(ln lending.LegalNature) lending.CNPJ {
	suffix, ok := map[lending.LegalNature]string{
		lending.LegalNatureMEI:    SandboxMEIRootSuffix,
		lending.LegalNatureEI:     SandboxEIRootSuffix,
		lending.LegalNatureLTDA:   SandboxLTDARootSuffix,
		lending.LegalNatureSLU:    SandboxSLURootSuffix,
		lending.LegalNatureEIRELI: SandboxEIRELIRootSuffix,
		lending.LegalNatureSA:     SandboxSARootSuffix,
	}[ln]
	if !ok {
		panic("providers: no example CNPJ for legal nature " + string(ln))
	}
	return MagicCNPJ(suffix, 0)
}

// MagicCNPJ returns the n-th (from 0) valid CNPJ whose root ends with rootSuffix: the root is the number
// 1234 + n, zero-padded, followed by rootSuffix (so "12340001", "12350001", … for "0001"), the branch is
// 0001 (headquarters) and the check digits are computed. rootSuffix has up to 8 digits or letters; it
// panics on anything else, or when n is negative or so large that the root would repeat.
func MagicCNPJ(rootSuffix string, n int) lending.CNPJ {
	rootSuffix = strings.ToUpper(rootSuffix)
	width := 8 - len(rootSuffix)
	if width < 0 || strings.Trim(rootSuffix, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
		panic(fmt.Sprintf("providers: %q is not the end of a CNPJ root (up to 8 digits or letters)", rootSuffix))
	}
	limit := 1
	for range width {
		limit *= 10
	}
	if n < 0 || n >= limit {
		panic(fmt.Sprintf("providers: there are %d CNPJ roots ending in %q, not %d", limit, rootSuffix, n+1))
	}
	prefix := ""
	if width > 0 {
		prefix = fmt.Sprintf("%0*d", width, (1234+n)%limit)
	}
	return lending.CNPJWithCheckDigits(prefix + rootSuffix + "0001")
}

// sandboxCompany makes up the company of the valid CNPJ c from its root.
func sandboxCompany(c lending.CNPJ) Company {
	root := c.Root()
	nature, partners, status := sandboxProfile(root)
	co := Company{
		CNPJ:        c,
		LegalNature: nature,
		Partners:    sandboxPartners(root, partners),
		Status:      status,
		OpenedOn:    sandboxOpenedOn(root, nature),
	}
	co.LegalName, co.TradingName = sandboxCompanyNames(root, nature, co.Partners[0].Name)
	return co
}

// sandboxProfile returns the legal nature, number of partners and status of the company with root.
func sandboxProfile(root string) (lending.LegalNature, int, string) {
	h := newDraws("profile", root)
	nature := lending.LegalNatureLTDA
	status := CompanyActive
	switch root[len(root)-4:] {
	case SandboxMEIRootSuffix:
		nature = lending.LegalNatureMEI
	case SandboxEIRootSuffix:
		nature = lending.LegalNatureEI
	case SandboxLTDARootSuffix:
		return lending.LegalNatureLTDA, 3, status
	case SandboxSLURootSuffix:
		nature = lending.LegalNatureSLU
	case SandboxEIRELIRootSuffix:
		nature = lending.LegalNatureEIRELI
	case SandboxSARootSuffix:
		nature = lending.LegalNatureSA
	case SandboxClosedRootSuffix:
		status = CompanyClosed
	default:
		nature = weightedNature(h.intn(100))
	}
	switch nature {
	case lending.LegalNatureLTDA:
		return nature, 2 + h.intn(2), status
	case lending.LegalNatureSA:
		return nature, 3, status
	}
	return nature, 1, status
}

// natureWeights is the hash-chosen mix of legal natures, in percent.
var natureWeights = []struct {
	nature  lending.LegalNature
	percent int
}{
	{lending.LegalNatureMEI, 35},
	{lending.LegalNatureLTDA, 30},
	{lending.LegalNatureSLU, 15},
	{lending.LegalNatureEI, 10},
	{lending.LegalNatureSA, 5},
	{lending.LegalNatureEIRELI, 5},
}

// weightedNature returns the legal nature of percentile p (0 to 99) of natureWeights.
func weightedNature(p int) lending.LegalNature {
	for _, w := range natureWeights {
		if p < w.percent {
			return w.nature
		}
		p -= w.percent
	}
	panic("providers: natureWeights do not add up to 100")
}

// sandboxPartners returns n partners with distinct valid CPFs, derived from root.
func sandboxPartners(root string, n int) []lending.Person {
	h := newDraws("partners", root)
	out := make([]lending.Person, 0, n)
	for len(out) < n {
		base := fmt.Sprintf("%09d", h.next()%1_000_000_000)
		if strings.Count(base, base[:1]) == len(base) || base[6:8] == "99" {
			continue // never issued, or a magic CPF of the sandbox KYC verifier
		}
		cpf := lending.CPFWithCheckDigits(base)
		if containsCPF(out, cpf) {
			continue
		}
		out = append(out, lending.Person{CPF: cpf, Name: sandboxPersonName(cpf)})
	}
	return out
}

func containsCPF(ps []lending.Person, cpf lending.CPF) bool {
	for _, p := range ps {
		if p.CPF == cpf {
			return true
		}
	}
	return false
}

// sandboxOpenedOn returns the opening date of the company with root: a day between 1995-01-01 and
// 2025-12-31 when its legal nature could be opened.
func sandboxOpenedOn(root string, nature lending.LegalNature) time.Time {
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	from, to := day(1995, 1, 1), day(2025, 12, 31)
	switch nature {
	case lending.LegalNatureMEI: // Lei Complementar 128/2008, registrations from July 2009
		from = day(2009, 7, 1)
	case lending.LegalNatureEIRELI: // Lei 12.441/2011 in force until Lei 14.195/2021
		from, to = day(2012, 1, 9), day(2021, 8, 26)
	case lending.LegalNatureSLU: // Lei 13.874/2019
		from = day(2019, 9, 20)
	}
	days := int(to.Sub(from) / (24 * time.Hour))
	return from.AddDate(0, 0, newDraws("opened", root).intn(days+1))
}

// sandboxCompanyNames returns the legal and trading names of the company with root, of legal nature
// nature, whose first partner is called owner.
func sandboxCompanyNames(root string, nature lending.LegalNature, owner string) (legal, trading string) {
	h := newDraws("names", root)
	trade := trades[h.intn(len(trades))]
	var place string
	if h.intn(10) < 7 {
		place = places[h.intn(len(places))]
	} else {
		surname := owner[strings.LastIndexByte(owner, ' ')+1:]
		switch h.intn(3) {
		case 0:
			place = surname
		case 1:
			place = surname + " & Filhos"
		default:
			place = "Irmãos " + surname
		}
	}
	fantasy := trade.word + " " + place
	if trade.after {
		fantasy = place + " " + trade.word
	}
	withActivity := trade.activity != "" && h.intn(2) == 0
	if h.intn(10) != 0 {
		trading = fantasy
	}
	switch nature {
	case lending.LegalNatureMEI:
		return root[0:2] + "." + root[2:5] + "." + root[5:8] + " " + receitaCase(owner), trading
	case lending.LegalNatureEI:
		return receitaCase(owner), trading
	}
	legal = fantasy
	if withActivity {
		legal += " " + trade.activity
	}
	suffix := map[lending.LegalNature]string{lending.LegalNatureSA: " S.A.", lending.LegalNatureEIRELI: " EIRELI"}[nature]
	if suffix == "" {
		suffix = " LTDA"
	}
	return receitaCase(legal) + suffix, trading
}

// sandboxPersonName returns the name of the person with the valid CPF cpf.
func sandboxPersonName(cpf lending.CPF) string {
	h := newDraws("person", string(cpf))
	first := firstNames[h.intn(len(firstNames))]
	s1 := h.intn(len(surnames))
	s2 := h.intn(len(surnames) - 1)
	if s2 >= s1 {
		s2++
	}
	return first + " " + surnames[s1] + " " + surnames[s2]
}

// receitaCase writes s the way the Receita Federal shows names: upper case, without accents.
func receitaCase(s string) string {
	return strings.Map(func(r rune) rune {
		if plain, ok := unaccented[r]; ok {
			return plain
		}
		return r
	}, strings.ToUpper(s))
}

var unaccented = map[rune]rune{
	'Á': 'A', 'À': 'A', 'Â': 'A', 'Ã': 'A', 'Ä': 'A',
	'É': 'E', 'È': 'E', 'Ê': 'E', 'Ë': 'E',
	'Í': 'I', 'Ì': 'I', 'Î': 'I', 'Ï': 'I',
	'Ó': 'O', 'Ò': 'O', 'Ô': 'O', 'Õ': 'O', 'Ö': 'O',
	'Ú': 'U', 'Ù': 'U', 'Û': 'U', 'Ü': 'U',
	'Ç': 'C', 'Ñ': 'N',
}

// draws is a deterministic stream of numbers from the SHA-256 of a purpose and a key: the i-th number is
// the first 8 bytes of SHA-256(seed ‖ i). Each aspect of an answer has its own purpose, so that a change
// to how one aspect is drawn does not change the others.
type draws struct {
	seed [sha256.Size]byte
	i    uint64
}

func newDraws(purpose, key string) *draws {
	return &draws{seed: sha256.Sum256([]byte("dinie sandbox registry\x00" + purpose + "\x00" + key))}
}

// next returns the next number of the stream.
func (d *draws) next() uint64 {
	var b [sha256.Size + 8]byte
	copy(b[:], d.seed[:])
	binary.BigEndian.PutUint64(b[sha256.Size:], d.i)
	d.i++
	sum := sha256.Sum256(b[:])
	return binary.BigEndian.Uint64(sum[:8])
}

// intn returns the next number of the stream reduced to [0, n); the modulo bias is negligible for the
// small n used here.
func (d *draws) intn(n int) int { return int(d.next() % uint64(n)) }
