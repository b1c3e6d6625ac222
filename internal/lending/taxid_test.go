package lending_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/lending"
)

// refCPFValid is an independent statement of the CPF rule: each check digit is 10·Σ(dᵢ·wᵢ) mod 11,
// with 10 counting as 0; weights 10..2 for the first digit and 11..2 for the second. Eleven repeated
// digits are never issued.
func refCPFValid(s string) bool {
	if len(s) != 11 || strings.Trim(s, "0123456789") != "" || strings.Count(s, s[:1]) == 11 {
		return false
	}
	for k := 9; k <= 10; k++ {
		sum := 0
		for i := range k {
			sum += int(s[i]-'0') * (k + 1 - i)
		}
		if d := sum * 10 % 11 % 10; d != int(s[k]-'0') {
			return false
		}
	}
	return true
}

// refCNPJValid is an independent statement of the (alphanumeric) CNPJ rule of IN RFB 2.229/2024: each
// character is worth its ASCII code minus 48, weights 5,4,3,2,9,8,7,6,5,4,3,2 (and 6,5,…,2 for the
// second check digit), remainder r of the sum by 11, check digit 0 when r < 2 and 11 - r otherwise.
func refCNPJValid(s string) bool {
	if len(s) != 14 || strings.Trim(s[:12], "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" ||
		strings.Trim(s[12:], "0123456789") != "" || strings.Count(s, s[:1]) == 14 {
		return false
	}
	w1 := []int{5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	w2 := []int{6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2}
	for _, w := range [][]int{w1, w2} {
		sum := 0
		for i, wi := range w {
			sum += int(s[i]-'0') * wi
		}
		d := 0
		if r := sum % 11; r >= 2 {
			d = 11 - r
		}
		if d != int(s[len(w)]-'0') {
			return false
		}
	}
	return true
}

func TestParseCPF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want lending.CPF // "" means refused with invalid_cpf
	}{
		{"52998224725", "52998224725"},
		{"529.982.247-25", "52998224725"},
		{"123.456.789-09", "12345678909"},
		{"12345678909", "12345678909"},
		{"  529.982.247-25\t", "52998224725"},
		{"\n52998224725 ", "52998224725"},
		{"\u00a0529.982.247-25\u00a0", "52998224725"}, // no-break spaces around
		{"123.456.002-09", "12345600209"},
		// The docs' example number fails the check (spec/README.md decision 4).
		{"123.456.789-00", ""},
		{"12345678900", ""},
		// Wrong check digits.
		{"529.982.247-24", ""},
		{"529.982.247-35", ""},
		{"52998224752", ""},
		// Repeated digits pass the check but are never issued.
		{"000.000.000-00", ""},
		{"00000000000", ""},
		{"111.111.111-11", ""},
		{"11111111111", ""},
		{"99999999999", ""},
		// Half-formatted or wrongly formatted.
		{"529.98224725", ""},
		{"529982247-25", ""},
		{"529.982.24725", ""},
		{"529982.247-25", ""},
		{"529-982-247.25", ""},
		{"529.982.247.25", ""},
		{"529/982/247-25", ""},
		{"529 982 247 25", ""},
		{"529.982.247 25", ""},
		{"529..982.247-25", ""},
		{"529.982.247-2-5", ""},
		{".52998224725", ""},
		{"52998224725-", ""},
		{"5299.82.247-25", ""},
		{"529.982.247--5", ""},
		// Letters and other characters.
		{"529.982.247-2A", ""},
		{"5299822472A", ""},
		{"abc.def.ghi-jk", ""},
		{"52998224725\x00", ""},
		{"5299822\t4725", ""},
		{"+52998224725", ""},
		{"５２９９８２２４７２５", ""}, // full-width digits
		// Lengths.
		{"", ""},
		{"   ", ""},
		{"5", ""},
		{"5299822472", ""},
		{"529982247250", ""},
		{"0052998224725", ""},
		{"529.982.247-250", ""},
		{"29.982.247-25", ""},
	}
	for _, tt := range tests {
		checkParse(t, "ParseCPF", lending.ParseCPF, tt.in, tt.want, lending.CodeInvalidCPF, "cpf")
	}
}

func TestParseCNPJ(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want lending.CNPJ // "" means refused with invalid_cnpj
	}{
		{"11222333000181", "11222333000181"},
		{"11.222.333/0001-81", "11222333000181"},
		{"12.345.678/0001-95", "12345678000195"},
		{"12345678000195", "12345678000195"},
		{" 11.222.333/0001-81\r\n", "11222333000181"},
		{"\t11222333000181 ", "11222333000181"},
		// Alphanumeric CNPJ, the Receita Federal's example; lower case is upper-cased.
		{"12.ABC.345/01DE-35", "12ABC34501DE35"},
		{"12ABC34501DE35", "12ABC34501DE35"},
		{"12.abc.345/01de-35", "12ABC34501DE35"},
		{"12abc34501de35", "12ABC34501DE35"},
		{"12.aBc.345/01dE-35", "12ABC34501DE35"},
		// The docs' example number fails the check (spec/README.md decision 4).
		{"12.345.678/0001-90", ""},
		{"12345678000190", ""},
		// Wrong check digits.
		{"11.222.333/0001-80", ""},
		{"11.222.333/0001-91", ""},
		{"11222333000118", ""},
		{"12.ABC.345/01DE-36", ""},
		{"12.ABC.345/01DF-35", ""},
		// Letters are not allowed in the check digits.
		{"12.ABC.345/01DE-3A", ""},
		{"12ABC34501DEAB", ""},
		// Repeated digits.
		{"00.000.000/0000-00", ""},
		{"00000000000000", ""},
		{"11111111111111", ""},
		// Half-formatted or wrongly formatted.
		{"11.222.333/000181", ""},
		{"11222333/0001-81", ""},
		{"11.222.3330001-81", ""},
		{"11.222.333-0001/81", ""},
		{"11.222.333.0001-81", ""},
		{"11/222/333/0001-81", ""},
		{"11 222 333 0001 81", ""},
		{"11.222.333/0001 81", ""},
		{"112.22.333/0001-81", ""},
		{"11..222.333/0001-81", ""},
		{"11.222.333/0001-8-1", ""},
		{"11.222.333/0001--1", ""},
		// Other characters.
		{"11.222.333/0001-8!", ""},
		{"11_222_333_0001_81", ""},
		{"1122233300018\x00", ""},
		{"11222\t333000181", ""},
		{"１１２２２３３３０００１８１", ""}, // full-width digits
		{"12ÀBC34501DE35", ""},
		// Lengths.
		{"", ""},
		{" ", ""},
		{"1122233300018", ""},
		{"112223330001810", ""},
		{"011222333000181", ""},
		{"11.222.333/0001-810", ""},
		{"1.222.333/0001-81", ""},
		// A valid CPF is not a CNPJ.
		{"52998224725", ""},
	}
	for _, tt := range tests {
		checkParse(t, "ParseCNPJ", lending.ParseCNPJ, tt.in, tt.want, lending.CodeInvalidCNPJ, "cnpj")
	}
}

// TestParseCNPJRefusesNonASCII: the documented alphabet is digits and the letters A–Z, but
// strings.ToUpper maps some non-ASCII letters onto ASCII ones (U+0131 'ı' → 'I', U+017F 'ſ' → 'S'), so
// such input must not slip through as a valid CNPJ.
func TestParseCNPJRefusesNonASCII(t *testing.T) {
	t.Parallel()
	valid := string(lending.CNPJWithCheckDigits("12ISB34501DE"))
	for _, in := range []string{
		strings.Replace(valid, "I", "ı", 1),                                         // dotless i
		strings.Replace(valid, "S", "ſ", 1),                                         // long s
		lending.CNPJ(valid).Format()[:3] + "ıSB" + lending.CNPJ(valid).Format()[6:], // formatted
	} {
		if got, err := lending.ParseCNPJ(in); err == nil {
			t.Errorf("ParseCNPJ(%q) = %q, want invalid_cnpj (non-ASCII letter)", in, got)
		}
	}
}

func TestTaxIDFormat(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ cpf, want string }{
		{"52998224725", "529.982.247-25"},
		{"12345678909", "123.456.789-09"},
		{"", ""},
		{"123", "123"}, // not 11 characters: shown as it is
	} {
		if got := lending.CPF(tt.cpf).Format(); got != tt.want {
			t.Errorf("CPF(%q).Format() = %q, want %q", tt.cpf, got, tt.want)
		}
	}
	for _, tt := range []struct{ cnpj, want, root string }{
		{"11222333000181", "11.222.333/0001-81", "11222333"},
		{"12ABC34501DE35", "12.ABC.345/01DE-35", "12ABC345"},
		{"", "", ""},
		{"1234", "1234", "1234"},
	} {
		if got := lending.CNPJ(tt.cnpj).Format(); got != tt.want {
			t.Errorf("CNPJ(%q).Format() = %q, want %q", tt.cnpj, got, tt.want)
		}
		if got := lending.CNPJ(tt.cnpj).Root(); got != tt.root {
			t.Errorf("CNPJ(%q).Root() = %q, want %q", tt.cnpj, got, tt.root)
		}
	}
	// Round trips: Parse(Format(Parse(x))) == Parse(x).
	for _, in := range []string{"52998224725", "529.982.247-25", "123.456.789-09"} {
		c, err := lending.ParseCPF(in)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := lending.ParseCPF(c.Format()); err != nil || back != c {
			t.Errorf("ParseCPF(%q.Format()) = %q, %v; want %q", c, back, err, c)
		}
	}
	for _, in := range []string{"11222333000181", "12.345.678/0001-95", "12.abc.345/01de-35"} {
		c, err := lending.ParseCNPJ(in)
		if err != nil {
			t.Fatal(err)
		}
		if back, err := lending.ParseCNPJ(c.Format()); err != nil || back != c {
			t.Errorf("ParseCNPJ(%q.Format()) = %q, %v; want %q", c, back, err, c)
		}
		if back, err := lending.ParseCNPJ(strings.ToLower(c.Format())); err != nil || back != c {
			t.Errorf("ParseCNPJ(lower %q.Format()) = %q, %v; want %q", c, back, err, c)
		}
	}
}

func TestWithCheckDigitsPanicsOnBadBase(t *testing.T) {
	t.Parallel()
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s did not panic", name)
			}
		}()
		f()
	}
	for _, base := range []string{"", "12345678", "1234567890", "12345678a", "123.456.78"} {
		mustPanic("CPFWithCheckDigits("+base+")", func() { lending.CPFWithCheckDigits(base) })
	}
	for _, base := range []string{"", "12345678000", "1234567800012", "12abc3450001", "12.ABC.34501"} {
		mustPanic("CNPJWithCheckDigits("+base+")", func() { lending.CNPJWithCheckDigits(base) })
	}
}

func randDigits(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('0' + r.IntN(10))
	}
	return string(b)
}

func randAlnum(r *rand.Rand, n int) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[r.IntN(len(alphabet))]
	}
	return string(b)
}

// TestCPFWithCheckDigitsProperty: a completed base always parses, to itself, also when formatted.
func TestCPFWithCheckDigitsProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for range 10_000 {
		base := randDigits(r, 9)
		c := lending.CPFWithCheckDigits(base)
		if string(c[:9]) != base || !refCPFValid(string(c)) {
			t.Fatalf("CPFWithCheckDigits(%q) = %q, which the reference rule refuses", base, c)
		}
		for _, in := range []string{string(c), c.Format(), " " + c.Format() + " "} {
			if got, err := lending.ParseCPF(in); err != nil || got != c {
				t.Fatalf("ParseCPF(%q) = %q, %v; want %q", in, got, err, c)
			}
		}
	}
}

// TestCPFWithCheckDigitsRepeatedBase: a base of nine repeated digits would complete to a CPF that is
// never issued (ParseCPF refuses it), so CPFWithCheckDigits refuses it too, as CNPJWithCheckDigits refuses
// twelve zeros.
func TestCPFWithCheckDigitsRepeatedBase(t *testing.T) {
	t.Parallel()
	panics := func(f func()) (p bool) {
		defer func() { p = recover() != nil }()
		f()
		return false
	}
	for d := '0'; d <= '9'; d++ {
		base := strings.Repeat(string(d), 9)
		if !panics(func() { lending.CPFWithCheckDigits(base) }) {
			t.Errorf("CPFWithCheckDigits(%q) did not panic", base)
		}
	}
	if !panics(func() { lending.CNPJWithCheckDigits("000000000000") }) {
		t.Errorf("CNPJWithCheckDigits of twelve zeros did not panic")
	}
}

func TestCNPJWithCheckDigitsProperty(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 10_000 {
		var base string
		if i%2 == 0 {
			base = randDigits(r, 12)
		} else {
			base = randAlnum(r, 12)
		}
		c := lending.CNPJWithCheckDigits(base)
		if string(c[:12]) != base || !refCNPJValid(string(c)) {
			t.Fatalf("CNPJWithCheckDigits(%q) = %q, which the reference rule refuses", base, c)
		}
		for _, in := range []string{string(c), c.Format(), strings.ToLower(c.Format()), "\t" + strings.ToLower(string(c))} {
			if got, err := lending.ParseCNPJ(in); err != nil || got != c {
				t.Fatalf("ParseCNPJ(%q) = %q, %v; want %q", in, got, err, c)
			}
		}
		if c.Root() != base[:8] {
			t.Fatalf("%q.Root() = %q", c, c.Root())
		}
	}
}

// TestCPFSingleDigitChange checks the claim "changing any single digit of a valid CPF makes it invalid".
// It does NOT hold for the official rule, because a remainder of 0 and of 1 both give check digit 0:
//   - a ±1 change of the first digit moves the first sum by ∓10 ≡ ±1 (mod 11) and the second sum by
//     ∓11 ≡ 0, so when the first remainder is 0 or 1 neither check digit changes;
//   - a change of -2 (or +9) of the sixth digit can do the same to both remainders.
//
// The test asserts that ParseCPF agrees with the reference rule on every single-digit change, that
// changes of the check digits and of every other position are always caught, and that the misses are
// confined to those two positions.
func TestCPFSingleDigitChange(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(5, 6))
	missed := map[int]int{}
	for range 10_000 {
		base := randDigits(r, 9)
		if strings.Count(base, base[:1]) == 9 {
			continue
		}
		valid := string(lending.CPFWithCheckDigits(base))
		for pos := range 11 {
			for d := byte('0'); d <= '9'; d++ {
				if valid[pos] == d {
					continue
				}
				b := []byte(valid)
				b[pos] = d
				changed := string(b)
				_, err := lending.ParseCPF(changed)
				if (err == nil) != refCPFValid(changed) {
					t.Fatalf("ParseCPF(%q) error %v, reference rule says valid=%v", changed, err, refCPFValid(changed))
				}
				if err == nil {
					missed[pos]++
					if pos != 0 && pos != 5 {
						t.Errorf("changing digit %d of %s to %c gives %s, still valid", pos, valid, d, changed)
					}
				}
			}
		}
	}
	t.Logf("single-digit changes the CPF check digits miss, by position: %v", missed)
	// A concrete miss, so the limitation is on record: both numbers are valid CPFs.
	for _, s := range []string{"123.456.002-09", "223.456.002-09"} {
		if _, err := lending.ParseCPF(s); err != nil {
			t.Errorf("ParseCPF(%q): %v", s, err)
		}
	}
}

// TestCNPJSingleDigitChange is the same check for CNPJs. It does not hold either: a change of the 1st,
// 5th or 9th character (weights 5, 9, 5 on the first check digit) can move both remainders between 0
// and 1. With alphanumeric CNPJs it is worse: two characters whose values differ by 11 (such as '6' and
// 'A', '7' and 'B', 'A' and 'L') change no sum modulo 11, so swapping one for the other is never caught.
func TestCNPJSingleDigitChange(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(7, 8))
	missed, missedBy11 := map[int]int{}, 0
	for i := range 10_000 {
		var base string
		if i%2 == 0 {
			base = randDigits(r, 12)
		} else {
			base = randAlnum(r, 12)
		}
		valid := string(lending.CNPJWithCheckDigits(base))
		for pos := range 14 {
			for d := byte('0'); d <= '9'; d++ {
				if valid[pos] == d {
					continue
				}
				b := []byte(valid)
				b[pos] = d
				changed := string(b)
				_, err := lending.ParseCNPJ(changed)
				if (err == nil) != refCNPJValid(changed) {
					t.Fatalf("ParseCNPJ(%q) error %v, reference rule says valid=%v", changed, err, refCNPJValid(changed))
				}
				if err != nil {
					continue
				}
				diff := int(valid[pos]) - int(d)
				if diff%11 == 0 {
					missedBy11++
				} else {
					missed[pos]++
				}
				if pos >= 12 || (pos != 0 && pos != 4 && pos != 8 && diff%11 != 0) {
					t.Errorf("changing character %d of %s to %c gives %s, still valid", pos, valid, d, changed)
				}
			}
		}
	}
	t.Logf("single-character changes (to a digit) the CNPJ check digits miss: %v by position, and %d letters swapped for a digit 11, 22 or 33 away", missed, missedBy11)
	for _, s := range []string{
		"11.222.333/0045-00", "31.222.333/0045-00", "11.228.333/0045-00", "11.222.333/2045-00", // digit changes
		"12.ABC.345/01DE-35", "12.6BC.345/01DE-35", "12.LBC.345/01DE-35", "12.ABC.345/019E-35", // 'A'↔'6'↔'L', 'D'↔'9'
	} {
		if _, err := lending.ParseCNPJ(s); err != nil {
			t.Errorf("ParseCNPJ(%q): %v", s, err)
		}
	}
}

func FuzzParseCPF(f *testing.F) {
	for _, s := range []string{
		"52998224725", "529.982.247-25", "123.456.789-09", "123.456.789-00", "529.98224725", "111.111.111-11",
		" 529.982.247-25 ", "", "5299822472A", "529 982 247 25", "５２９９８２２４７２５", "\xff\xfe",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := lending.ParseCPF(s)
		if err != nil {
			if c != "" || lending.ErrorCode(err) != lending.CodeInvalidCPF {
				t.Fatalf("ParseCPF(%q) = %q, %v", s, c, err)
			}
			return
		}
		if len(c) != 11 || !refCPFValid(string(c)) {
			t.Fatalf("ParseCPF(%q) = %q: not 11 digits with valid check digits", s, c)
		}
		if again, err := lending.ParseCPF(string(c)); err != nil || again != c {
			t.Fatalf("ParseCPF(%q) = %q, %v; want %q", c, again, err, c)
		}
		if again, err := lending.ParseCPF(c.Format()); err != nil || again != c {
			t.Fatalf("ParseCPF(%q) = %q, %v; want %q", c.Format(), again, err, c)
		}
	})
}

func FuzzParseCNPJ(f *testing.F) {
	for _, s := range []string{
		"11222333000181", "11.222.333/0001-81", "12.345.678/0001-95", "12.345.678/0001-90", "12.ABC.345/01DE-35",
		"12abc34501de35", "00000000000000", "11.222.333/000181", " 11.222.333/0001-81\n", "12ABC34501DEAB",
		"12ıSB34501DE00", "\xff", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := lending.ParseCNPJ(s)
		if err != nil {
			if c != "" || lending.ErrorCode(err) != lending.CodeInvalidCNPJ {
				t.Fatalf("ParseCNPJ(%q) = %q, %v", s, c, err)
			}
			return
		}
		if len(c) != 14 || !refCNPJValid(string(c)) {
			t.Fatalf("ParseCNPJ(%q) = %q: not 14 characters with valid check digits", s, c)
		}
		if again, err := lending.ParseCNPJ(string(c)); err != nil || again != c {
			t.Fatalf("ParseCNPJ(%q) = %q, %v; want %q", c, again, err, c)
		}
		if again, err := lending.ParseCNPJ(c.Format()); err != nil || again != c {
			t.Fatalf("ParseCNPJ(%q) = %q, %v; want %q", c.Format(), again, err, c)
		}
	})
}

// checkParse checks parse(in): want, or (want "") a field error with code on field and no value.
func checkParse[T ~string](t *testing.T, name string, parse func(string) (T, error), in string, want T, code lending.Code, field string) {
	t.Helper()
	got, err := parse(in)
	if want == "" {
		if err == nil {
			t.Errorf("%s(%q) = %q, want %s", name, in, got, code)
			return
		}
		checkFieldError(t, name+"("+in+")", err, code, field)
		if got != "" {
			t.Errorf("%s(%q) returned %q with its error", name, in, got)
		}
		return
	}
	if err != nil || got != want {
		t.Errorf("%s(%q) = %q, %v; want %q", name, in, got, err, want)
	}
}
