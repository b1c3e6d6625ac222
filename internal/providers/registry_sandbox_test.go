package providers_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/internal/lending"
	"github.com/dinie-oss/dinie/internal/providers"
)

// magicCNPJs is the table of the SandboxRegistry doc comment (and docs/sandbox.md).
var magicCNPJs = []struct {
	suffix string
	cnpjs  [3]string
}{
	{providers.SandboxMEIRootSuffix, [3]string{"12.340.001/0001-64", "12.350.001/0001-45", "12.360.001/0001-26"}},
	{providers.SandboxEIRootSuffix, [3]string{"12.340.002/0001-09", "12.350.002/0001-90", "12.360.002/0001-70"}},
	{providers.SandboxLTDARootSuffix, [3]string{"12.340.003/0001-53", "12.350.003/0001-34", "12.360.003/0001-15"}},
	{providers.SandboxSLURootSuffix, [3]string{"12.340.004/0001-06", "12.350.004/0001-89", "12.360.004/0001-60"}},
	{providers.SandboxEIRELIRootSuffix, [3]string{"12.340.005/0001-42", "12.350.005/0001-23", "12.360.005/0001-04"}},
	{providers.SandboxSARootSuffix, [3]string{"12.340.006/0001-97", "12.350.006/0001-78", "12.360.006/0001-59"}},
	{providers.SandboxClosedRootSuffix, [3]string{"12.340.009/0001-20", "12.350.009/0001-01", "12.360.009/0001-92"}},
	{providers.SandboxNotFoundRootSuffix, [3]string{"12.340.404/0001-03", "12.350.404/0001-94", "12.360.404/0001-75"}},
	{providers.SandboxUnavailableRootSuffix, [3]string{"12.340.500/0001-51", "12.350.500/0001-32", "12.360.500/0001-13"}},
}

func TestMagicCNPJDocumentedNumbers(t *testing.T) {
	t.Parallel()
	for _, tc := range magicCNPJs {
		for n, formatted := range tc.cnpjs {
			parsed, err := lending.ParseCNPJ(formatted)
			if err != nil {
				t.Errorf("ParseCNPJ(%q) = %v", formatted, err)
				continue
			}
			if got := providers.MagicCNPJ(tc.suffix, n); got != parsed {
				t.Errorf("MagicCNPJ(%q, %d) = %s, the docs say %s", tc.suffix, n, got.Format(), formatted)
			}
		}
	}
}

func TestMagicCNPJ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		suffix string
		n      int
		want   string // the first 12 characters
	}{
		{"0001", 0, "123400010001"},
		{"0001", 8765, "999900010001"},
		{"0001", 8766, "000000010001"},
		{"0001", 9999, "123300010001"},
		{"0404", 7, "124104040001"},
		{"AB12", 0, "1234AB120001"},
		{"ab12", 1, "1235AB120001"},
		{"9", 0, "000123490001"},
		{"", 0, "000012340001"},
		{"ABCDEFGH", 0, "ABCDEFGH0001"},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.suffix, tc.n), func(t *testing.T) {
			t.Parallel()
			got := providers.MagicCNPJ(tc.suffix, tc.n)
			if string(got)[:12] != tc.want {
				t.Errorf("MagicCNPJ(%q, %d) = %s, want base %s", tc.suffix, tc.n, got, tc.want)
			}
			if parsed, err := lending.ParseCNPJ(string(got)); err != nil || parsed != got {
				t.Errorf("ParseCNPJ(%s) = %s, %v", got, parsed, err)
			}
			if !strings.HasSuffix(got.Root(), strings.ToUpper(tc.suffix)) {
				t.Errorf("root %s does not end in %s", got.Root(), tc.suffix)
			}
		})
	}
}

func TestMagicCNPJDistinct(t *testing.T) {
	t.Parallel()
	seen := map[lending.CNPJ]int{}
	for n := range 1000 {
		c := providers.MagicCNPJ("7", n)
		if prev, ok := seen[c]; ok {
			t.Fatalf("MagicCNPJ(\"7\", %d) = MagicCNPJ(\"7\", %d) = %s", n, prev, c)
		}
		seen[c] = n
	}
}

func TestMagicCNPJPanics(t *testing.T) {
	t.Parallel()
	tests := []struct {
		suffix string
		n      int
	}{
		{"123456789", 0},
		{"00-1", 0},
		{"00é1", 0},
		{"0001", -1},
		{"0001", 10000},
		{"ABCDEFGH", 1},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("%s/%d", tc.suffix, tc.n), func(t *testing.T) {
			t.Parallel()
			defer func() {
				if recover() == nil {
					t.Errorf("MagicCNPJ(%q, %d) did not panic", tc.suffix, tc.n)
				}
			}()
			providers.MagicCNPJ(tc.suffix, tc.n)
		})
	}
}

func TestSandboxCompanyMagic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		suffix   string
		nature   lending.LegalNature
		partners []int // the allowed numbers of partners
		status   string
	}{
		{providers.SandboxMEIRootSuffix, lending.LegalNatureMEI, []int{1}, providers.CompanyActive},
		{providers.SandboxEIRootSuffix, lending.LegalNatureEI, []int{1}, providers.CompanyActive},
		{providers.SandboxLTDARootSuffix, lending.LegalNatureLTDA, []int{3}, providers.CompanyActive},
		{providers.SandboxSLURootSuffix, lending.LegalNatureSLU, []int{1}, providers.CompanyActive},
		{providers.SandboxEIRELIRootSuffix, lending.LegalNatureEIRELI, []int{1}, providers.CompanyActive},
		{providers.SandboxSARootSuffix, lending.LegalNatureSA, []int{3}, providers.CompanyActive},
		{providers.SandboxClosedRootSuffix, lending.LegalNatureLTDA, []int{2, 3}, providers.CompanyClosed},
	}
	for _, tc := range tests {
		t.Run(tc.suffix, func(t *testing.T) {
			t.Parallel()
			for n := range 50 {
				cnpj := providers.MagicCNPJ(tc.suffix, n)
				c, err := providers.SandboxRegistry{}.Company(t.Context(), cnpj)
				if err != nil {
					t.Fatalf("Company(%s) = %v", cnpj, err)
				}
				if c.CNPJ != cnpj || c.LegalNature != tc.nature || c.Status != tc.status || !containsInt(tc.partners, len(c.Partners)) {
					t.Errorf("Company(%s) = CNPJ %s, %s, %s, %d partners; want %s, %s, partners %v",
						cnpj, c.CNPJ, c.LegalNature, c.Status, len(c.Partners), tc.nature, tc.status, tc.partners)
				}
				checkCompany(t, c)
			}
		})
	}
}

func containsInt(xs []int, x int) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func TestSandboxRegistryErrors(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	var reg providers.Registry = providers.SandboxRegistry{}
	tests := []struct {
		name string
		ctx  context.Context
		cnpj lending.CNPJ
		want error
	}{
		{"not found", context.Background(), providers.MagicCNPJ(providers.SandboxNotFoundRootSuffix, 0), providers.ErrNotFound},
		{"not found, alphanumeric", context.Background(), providers.MagicCNPJ("XY0404", 3), providers.ErrNotFound},
		{"unavailable", context.Background(), providers.MagicCNPJ(providers.SandboxUnavailableRootSuffix, 0), providers.ErrUnavailable},
		{"unavailable, other branch", context.Background(), lending.CNPJWithCheckDigits("123405000042"), providers.ErrUnavailable},
		{"bad check digits", context.Background(), "12340001000100", providers.ErrNotFound},
		{"empty", context.Background(), "", providers.ErrNotFound},
		{"canceled", canceled, providers.ExampleCNPJ(lending.LegalNatureLTDA), context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for range 3 { // every call: a transient error stays until the caller gives up
				c, err := reg.Company(tc.ctx, tc.cnpj)
				if !errors.Is(err, tc.want) {
					t.Fatalf("Company(%q) = %v, want %v", tc.cnpj, err, tc.want)
				}
				if diff := cmp.Diff(providers.Company{}, c); diff != "" {
					t.Errorf("Company(%q) returned a company with its error (-want +got):\n%s", tc.cnpj, diff)
				}
				if transient := !errors.Is(err, providers.ErrNotFound); transient != (tc.want != providers.ErrNotFound) {
					t.Errorf("Company(%q) = %v: transient is %t", tc.cnpj, err, transient)
				}
			}
		})
	}
}

func TestSandboxPersonNameErrors(t *testing.T) {
	t.Parallel()
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		cpf  lending.CPF
		want error
	}{
		{"bad check digits", context.Background(), "52998224700", providers.ErrNotFound},
		{"repeated digits", context.Background(), "11111111111", providers.ErrNotFound},
		{"empty", context.Background(), "", providers.ErrNotFound},
		{"canceled", canceled, "52998224725", context.Canceled},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name, err := providers.SandboxRegistry{}.PersonName(tc.ctx, tc.cpf)
			if !errors.Is(err, tc.want) || name != "" {
				t.Errorf("PersonName(%q) = %q, %v; want %v", tc.cpf, name, err, tc.want)
			}
		})
	}
}

func TestSandboxDeterministic(t *testing.T) {
	t.Parallel()
	cnpjs := []lending.CNPJ{
		providers.ExampleCNPJ(lending.LegalNatureMEI),
		providers.ExampleCNPJ(lending.LegalNatureSA),
		providers.MagicCNPJ(providers.SandboxClosedRootSuffix, 4),
		lending.CNPJWithCheckDigits("112223330001"),
		lending.CNPJWithCheckDigits("12ABC34501DE"),
	}
	for _, cnpj := range cnpjs {
		t.Run(string(cnpj), func(t *testing.T) {
			t.Parallel()
			var first providers.SandboxRegistry
			a, errA := first.Company(t.Context(), cnpj)
			b, errB := (&providers.SandboxRegistry{}).Company(context.Background(), cnpj)
			if errA != nil || errB != nil {
				t.Fatalf("Company(%s) = %v, %v", cnpj, errA, errB)
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("Company(%s) twice differs (-first +second):\n%s", cnpj, diff)
			}
			for _, p := range a.Partners {
				n1, err1 := first.PersonName(t.Context(), p.CPF)
				n2, err2 := providers.SandboxRegistry{}.PersonName(context.Background(), p.CPF)
				if err1 != nil || err2 != nil || n1 != n2 {
					t.Errorf("PersonName(%s) = %q, %v then %q, %v", p.CPF, n1, err1, n2, err2)
				}
			}
		})
	}
}

// TestSandboxGolden pins the sandbox's answers: partners' test data and docs/sandbox.md depend on them,
// so a change to the derivation must be deliberate.
func TestSandboxGolden(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		cnpj lending.CNPJ
		want providers.Company
	}{
		{providers.ExampleCNPJ(lending.LegalNatureMEI), providers.Company{
			CNPJ: "12340001000164", LegalName: "12.340.001 INES NUNES MENDES", TradingName: "Academia Gaúcha",
			LegalNature: lending.LegalNatureMEI, Status: "ativa", OpenedOn: day(2022, 12, 27),
			Partners: []lending.Person{{CPF: "50981193676", Name: "Inês Nunes Mendes"}},
		}},
		{providers.ExampleCNPJ(lending.LegalNatureLTDA), providers.Company{
			CNPJ: "12340003000153", LegalName: "MONTE SIAO CONTABILIDADE LTDA", TradingName: "Monte Sião Contabilidade",
			LegalNature: lending.LegalNatureLTDA, Status: "ativa", OpenedOn: day(2008, 10, 4),
			Partners: []lending.Person{
				{CPF: "23110071819", Name: "Sebastião Soares Rodrigues"},
				{CPF: "80667549730", Name: "Natália Lopes Costa"},
				{CPF: "06937903502", Name: "Gabriel Teixeira Guimarães"},
			},
		}},
		{providers.MagicCNPJ(providers.SandboxClosedRootSuffix, 0), providers.Company{
			CNPJ: "12340009000120", LegalName: "LOPES CONFECCOES INDUSTRIA E COMERCIO DE ROUPAS LTDA", TradingName: "Lopes Confecções",
			LegalNature: lending.LegalNatureLTDA, Status: "baixada", OpenedOn: day(2010, 4, 3),
			Partners: []lending.Person{
				{CPF: "83884432672", Name: "Letícia Simões Lopes"},
				{CPF: "41317121724", Name: "Juliana Ribeiro Alves"},
			},
		}},
	}
	for _, tc := range tests {
		t.Run(string(tc.cnpj), func(t *testing.T) {
			t.Parallel()
			got, err := providers.SandboxRegistry{}.Company(t.Context(), tc.cnpj)
			if err != nil {
				t.Fatalf("Company(%s) = %v", tc.cnpj, err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Company(%s) (-want +got):\n%s", tc.cnpj, diff)
			}
		})
	}
}

func TestSandboxBranchesShareTheCompany(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"11222333", "12ABC345", "12340005"} {
		hq, err := providers.SandboxRegistry{}.Company(t.Context(), lending.CNPJWithCheckDigits(base+"0001"))
		if err != nil {
			t.Fatal(err)
		}
		branch := lending.CNPJWithCheckDigits(base + "0042")
		got, err := providers.SandboxRegistry{}.Company(t.Context(), branch)
		if err != nil {
			t.Fatal(err)
		}
		want := hq
		want.CNPJ = branch
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("branch %s differs from its headquarters (-want +got):\n%s", branch, diff)
		}
	}
}

func TestSandboxCompanyAcceptsFormattedCNPJ(t *testing.T) {
	t.Parallel()
	want, err := providers.SandboxRegistry{}.Company(t.Context(), "12340003000153")
	if err != nil {
		t.Fatal(err)
	}
	got, err := providers.SandboxRegistry{}.Company(t.Context(), "12.340.003/0001-53")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("formatted CNPJ (-bare +formatted):\n%s", diff)
	}
}

// TestSandboxDistribution checks the hash-chosen answers over 10,000 CNPJs, half of them alphanumeric:
// the mix of legal natures is within 5 points of its weights, and every company is well formed.
func TestSandboxDistribution(t *testing.T) {
	t.Parallel()
	weights := map[lending.LegalNature]float64{
		lending.LegalNatureMEI: 35, lending.LegalNatureLTDA: 30, lending.LegalNatureSLU: 15,
		lending.LegalNatureEI: 10, lending.LegalNatureSA: 5, lending.LegalNatureEIRELI: 5,
	}
	counts := map[lending.LegalNature]int{}
	noTradingName, total := 0, 0
	for i := range 10_000 {
		cnpj := sampleCNPJ(i)
		if isMagic(cnpj.Root()) {
			continue
		}
		c, err := providers.SandboxRegistry{}.Company(t.Context(), cnpj)
		if err != nil {
			t.Fatalf("Company(%s) = %v", cnpj, err)
		}
		total++
		counts[c.LegalNature]++
		if c.TradingName == "" {
			noTradingName++
		}
		if c.Status != providers.CompanyActive {
			t.Errorf("Company(%s).Status = %q, want %q", cnpj, c.Status, providers.CompanyActive)
		}
		checkCompany(t, c)
		if t.Failed() {
			t.FailNow()
		}
	}
	if total < 9_900 {
		t.Fatalf("only %d of 10,000 samples are not magic", total)
	}
	for nature, w := range weights {
		if got := 100 * float64(counts[nature]) / float64(total); math.Abs(got-w) > 5 {
			t.Errorf("%s: %.1f%% of companies, want %.0f%% ± 5", nature, got, w)
		}
	}
	t.Logf("legal natures of %d companies: %v; %d without a trading name", total, counts, noTradingName)
	if len(counts) != len(weights) {
		t.Errorf("natures drawn: %v", counts)
	}
	if got := 100 * float64(noTradingName) / float64(total); got < 5 || got > 15 {
		t.Errorf("%.1f%% of companies have no trading name, want about 10%%", got)
	}
}

// sampleCNPJ returns the i-th of a spread of valid CNPJs: even i numeric, odd i alphanumeric, on various
// branches.
func sampleCNPJ(i int) lending.CNPJ {
	x := uint64(i)*2_654_435_761 + 97
	var root string
	if i%2 == 0 {
		root = fmt.Sprintf("%08d", x%100_000_000)
	} else {
		root = strings.ToUpper(strconv.FormatUint(x%2_821_109_907_456, 36)) // 36^8
		root = strings.Repeat("0", 8-len(root)) + root
	}
	return lending.CNPJWithCheckDigits(fmt.Sprintf("%s%04d", root, 1+i%3))
}

func isMagic(root string) bool {
	for _, m := range magicCNPJs {
		if strings.HasSuffix(root, m.suffix) {
			return true
		}
	}
	return false
}

var (
	meiLegalName = regexp.MustCompile(`^([0-9A-Z]{2})\.([0-9A-Z]{3})\.([0-9A-Z]{3}) ([A-Z]+(?: [A-Z]+)+)$`)
	receitaName  = regexp.MustCompile(`^[0-9A-Z&.]+(?: [0-9A-Z&.]+)*$`)
)

// checkCompany checks what holds of every company the sandbox makes.
func checkCompany(t *testing.T, c providers.Company) {
	t.Helper()
	onePartner := map[lending.LegalNature]bool{
		lending.LegalNatureMEI: true, lending.LegalNatureEI: true, lending.LegalNatureSLU: true, lending.LegalNatureEIRELI: true,
	}
	switch n := len(c.Partners); {
	case onePartner[c.LegalNature] && n != 1,
		c.LegalNature == lending.LegalNatureSA && n != 3,
		c.LegalNature == lending.LegalNatureLTDA && n != 2 && n != 3:
		t.Errorf("%s: a %s with %d partners", c.CNPJ, c.LegalNature, n)
		return
	}
	seen := map[lending.CPF]bool{}
	for _, p := range c.Partners {
		if cpf, err := lending.ParseCPF(string(p.CPF)); err != nil || cpf != p.CPF {
			t.Errorf("%s: partner CPF %q is invalid: %v", c.CNPJ, p.CPF, err)
		}
		if seen[p.CPF] {
			t.Errorf("%s: partner CPF %s twice", c.CNPJ, p.CPF)
		}
		seen[p.CPF] = true
		checkPersonName(t, p.Name)
		if name, err := (providers.SandboxRegistry{}).PersonName(t.Context(), p.CPF); err != nil || name != p.Name {
			t.Errorf("%s: partner %s is %q, PersonName says %q, %v", c.CNPJ, p.CPF, p.Name, name, err)
		}
	}
	if c.TradingName != "" && (!utf8.ValidString(c.TradingName) || strings.TrimSpace(c.TradingName) != c.TradingName) {
		t.Errorf("%s: trading name %q", c.CNPJ, c.TradingName)
	}
	owner := strings.ToUpper(unaccent(c.Partners[0].Name))
	root := c.CNPJ.Root()
	switch c.LegalNature {
	case lending.LegalNatureMEI:
		m := meiLegalName.FindStringSubmatch(c.LegalName)
		if m == nil || m[1]+m[2]+m[3] != root || m[4] != owner {
			t.Errorf("%s: MEI legal name %q, want %q", c.CNPJ, c.LegalName, root[:2]+"."+root[2:5]+"."+root[5:]+" "+owner)
		}
	case lending.LegalNatureEI:
		if c.LegalName != owner {
			t.Errorf("%s: EI legal name %q, want its owner's %q", c.CNPJ, c.LegalName, owner)
		}
	default:
		suffix := map[lending.LegalNature]string{
			lending.LegalNatureLTDA: " LTDA", lending.LegalNatureSLU: " LTDA", lending.LegalNatureEIRELI: " EIRELI", lending.LegalNatureSA: " S.A.",
		}[c.LegalNature]
		if !strings.HasSuffix(c.LegalName, suffix) || !receitaName.MatchString(c.LegalName) {
			t.Errorf("%s: %s legal name %q", c.CNPJ, c.LegalNature, c.LegalName)
		}
		if c.TradingName != "" && !strings.HasPrefix(c.LegalName, strings.ToUpper(unaccent(c.TradingName))) {
			t.Errorf("%s: legal name %q does not start with trading name %q", c.CNPJ, c.LegalName, c.TradingName)
		}
	}
	from := time.Date(1995, 1, 1, 0, 0, 0, 0, time.UTC)
	if c.LegalNature == lending.LegalNatureMEI {
		from = time.Date(2009, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	to := time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	if c.OpenedOn.Before(from) || c.OpenedOn.After(to) || c.OpenedOn.Location() != time.UTC || !c.OpenedOn.Equal(c.OpenedOn.Truncate(24*time.Hour)) {
		t.Errorf("%s: a %s opened on %v", c.CNPJ, c.LegalNature, c.OpenedOn)
	}
}

var personName = regexp.MustCompile(`^\p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+ \p{Lu}\p{Ll}+$`)

func checkPersonName(t *testing.T, name string) {
	t.Helper()
	if !utf8.ValidString(name) || !personName.MatchString(name) {
		t.Errorf("person name %q is not a first name and two surnames", name)
		return
	}
	if f := strings.Fields(name); f[1] == f[2] {
		t.Errorf("person name %q repeats its surname", name)
	}
}

func unaccent(s string) string {
	return strings.NewReplacer("á", "a", "à", "a", "â", "a", "ã", "a", "é", "e", "ê", "e", "í", "i", "ó", "o",
		"ô", "o", "õ", "o", "ú", "u", "ü", "u", "ç", "c", "Á", "A", "Â", "A", "É", "E", "Í", "I", "Ó", "O", "Ô", "O", "Ú", "U").Replace(s)
}

func TestSandboxPersonName(t *testing.T) {
	t.Parallel()
	accented := 0
	const n = 2_000
	for i := range n {
		cpf := lending.CPFWithCheckDigits(fmt.Sprintf("%09d", (uint64(i)*2_654_435_761+13)%1_000_000_000))
		if _, err := lending.ParseCPF(string(cpf)); err != nil {
			continue // a repeated-digit CPF
		}
		name, err := providers.SandboxRegistry{}.PersonName(t.Context(), cpf)
		if err != nil {
			t.Fatalf("PersonName(%s) = %v", cpf, err)
		}
		checkPersonName(t, name)
		if unaccent(name) != name {
			accented++
		}
		formatted, err := providers.SandboxRegistry{}.PersonName(t.Context(), lending.CPF(cpf.Format()))
		if err != nil || formatted != name {
			t.Errorf("PersonName(%s) = %q, %v; bare it is %q", cpf.Format(), formatted, err, name)
		}
	}
	if accented < n/10 {
		t.Errorf("only %d of %d names have an accent", accented, n)
	}
}

func TestExampleCNPJ(t *testing.T) {
	t.Parallel()
	seen := map[lending.CNPJ]bool{}
	for _, ln := range lending.LegalNatures() {
		cnpj := providers.ExampleCNPJ(ln)
		if parsed, err := lending.ParseCNPJ(string(cnpj)); err != nil || parsed != cnpj {
			t.Errorf("ExampleCNPJ(%s) = %q is invalid: %v", ln, cnpj, err)
		}
		if seen[cnpj] {
			t.Errorf("ExampleCNPJ(%s) = %s again", ln, cnpj)
		}
		seen[cnpj] = true
		c, err := providers.SandboxRegistry{}.Company(t.Context(), cnpj)
		if err != nil || c.LegalNature != ln || c.Status != providers.CompanyActive {
			t.Errorf("Company(ExampleCNPJ(%s)) = %s, %s, %v", ln, c.LegalNature, c.Status, err)
		}
	}
	defer func() {
		if recover() == nil {
			t.Errorf("ExampleCNPJ of an unknown legal nature did not panic")
		}
	}()
	providers.ExampleCNPJ("coop")
}
