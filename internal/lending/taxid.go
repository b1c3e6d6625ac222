package lending

import (
	"strings"
)

// CPF is a Brazilian individual taxpayer number: 11 digits, the last two check digits. The zero value is
// no CPF.
type CPF string

// CNPJ is a Brazilian company taxpayer number: 12 characters of root and branch, then two check digits.
// Since July 2026 the Receita Federal issues alphanumeric CNPJs (IN RFB 2.229/2024): the first 12
// characters may be digits or upper-case letters, the check digits are still digits. The zero value is
// no CNPJ.
type CNPJ string

// ParseCPF accepts a CPF bare ("52998224725") or formatted ("529.982.247-25") and returns it as 11
// digits. It refuses, with CodeInvalidCPF, anything else: wrong length or characters, separators in the
// wrong place, a wrong check digit, or the eleven repeated digits ("111.111.111-11") that pass the check
// but are never issued.
func ParseCPF(s string) (CPF, error) {
	bad := FieldErrorf(CodeInvalidCPF, "cpf", "%q is not a valid CPF: send 11 digits, bare or as XXX.XXX.XXX-XX, with correct check digits", s)
	s = strings.TrimSpace(s)
	digits, ok := stripTaxIDFormat(s, "###.###.###-##")
	if !ok || len(digits) != 11 {
		return "", bad
	}
	for i := range 11 {
		if digits[i] < '0' || digits[i] > '9' {
			return "", bad
		}
	}
	if strings.Count(digits, digits[:1]) == 11 {
		return "", bad
	}
	if cpfCheckDigits(digits[:9]) != digits[9:] {
		return "", bad
	}
	return CPF(digits), nil
}

// cpfCheckDigits returns the two check digits of a 9-digit CPF base.
func cpfCheckDigits(base string) string {
	d1 := mod11(base, 10)
	d2 := mod11(base+string(rune('0'+d1)), 11)
	return string([]byte{byte('0' + d1), byte('0' + d2)})
}

// mod11 is the CPF check-digit rule: weights from first down to 2, remainder r of the sum by 11, digit 0
// when r < 2 and 11 - r otherwise.
func mod11(s string, firstWeight int) int {
	sum := 0
	for i := range len(s) {
		sum += int(s[i]-'0') * (firstWeight - i)
	}
	if r := sum % 11; r >= 2 {
		return 11 - r
	}
	return 0
}

// CPFWithCheckDigits completes a 9-digit base into a valid CPF (for examples, tests and the sandbox). It
// panics if base is not 9 digits, or is one digit repeated (such a CPF is never issued).
func CPFWithCheckDigits(base string) CPF {
	if len(base) != 9 || strings.Trim(base, "0123456789") != "" || strings.Count(base, base[:1]) == 9 {
		panic("lending: a CPF base has 9 digits, not all the same, not " + base)
	}
	return CPF(base + cpfCheckDigits(base))
}

// Format returns the CPF as XXX.XXX.XXX-XX, the way responses show it.
func (c CPF) Format() string {
	s := string(c)
	if len(s) != 11 {
		return s
	}
	return s[0:3] + "." + s[3:6] + "." + s[6:9] + "-" + s[9:11]
}

// ParseCNPJ accepts a CNPJ bare ("11222333000181", "12ABC34501DE35") or formatted
// ("11.222.333/0001-81") and returns its 14 characters, letters upper-cased. It refuses, with
// CodeInvalidCNPJ, anything else: wrong length or characters, letters in the check digits, a wrong check
// digit, or fourteen repeated digits.
func ParseCNPJ(s string) (CNPJ, error) {
	bad := FieldErrorf(CodeInvalidCNPJ, "cnpj", "%q is not a valid CNPJ: send 14 characters, bare or as XX.XXX.XXX/XXXX-XX, with correct check digits", s)
	// Only ASCII letters are upper-cased: strings.ToUpper would turn "ı" into "I" and "ſ" into "S".
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, strings.TrimSpace(s))
	chars, ok := stripTaxIDFormat(s, "##.###.###/####-##")
	if !ok || len(chars) != 14 {
		return "", bad
	}
	for i := range 14 {
		c := chars[i]
		isDigit := c >= '0' && c <= '9'
		if !isDigit && (i >= 12 || c < 'A' || c > 'Z') {
			return "", bad
		}
	}
	if strings.Count(chars, chars[:1]) == 14 {
		return "", bad
	}
	if cnpjCheckDigits(chars[:12]) != chars[12:] {
		return "", bad
	}
	return CNPJ(chars), nil
}

// cnpjCheckDigits returns the two check digits of a 12-character CNPJ base. Each character counts as its
// ASCII code minus 48 (so digits are themselves and 'A' is 17), weights cycle 2..9 from the right.
func cnpjCheckDigits(base string) string {
	dv := func(s string) byte {
		sum, w := 0, 2
		for i := len(s) - 1; i >= 0; i-- {
			sum += int(s[i]-'0') * w
			if w++; w > 9 {
				w = 2
			}
		}
		if r := sum % 11; r >= 2 {
			return byte('0' + 11 - r)
		}
		return '0'
	}
	d1 := dv(base)
	d2 := dv(base + string(d1))
	return string([]byte{d1, d2})
}

// CNPJWithCheckDigits completes a 12-character base (digits or upper-case letters) into a valid CNPJ. It
// panics on a malformed base, or one of twelve zeros (such a CNPJ is never issued).
func CNPJWithCheckDigits(base string) CNPJ {
	if len(base) != 12 || strings.Trim(base, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" || base == "000000000000" {
		panic("lending: a CNPJ base has 12 characters, not " + base)
	}
	return CNPJ(base + cnpjCheckDigits(base))
}

// Format returns the CNPJ as XX.XXX.XXX/XXXX-XX, the way responses show it.
func (c CNPJ) Format() string {
	s := string(c)
	if len(s) != 14 {
		return s
	}
	return s[0:2] + "." + s[2:5] + "." + s[5:8] + "/" + s[8:12] + "-" + s[12:14]
}

// Root returns the first 8 characters, which name the company (the rest names the branch).
func (c CNPJ) Root() string {
	if len(c) < 8 {
		return string(c)
	}
	return string(c[:8])
}

// stripTaxIDFormat returns s without its separators when s is either bare (no separators at all) or
// exactly in layout, where '#' stands for one character and anything else is a separator that must be
// there. Half-formatted input is refused, so a typo cannot shift digits into the wrong place.
func stripTaxIDFormat(s, layout string) (string, bool) {
	if !strings.ContainsAny(s, ".-/ ") {
		return s, true
	}
	if len(s) != len(layout) {
		return "", false
	}
	var b strings.Builder
	for i := range len(layout) {
		if layout[i] == '#' {
			if strings.IndexByte(".-/ ", s[i]) >= 0 {
				return "", false
			}
			b.WriteByte(s[i])
		} else if s[i] != layout[i] {
			return "", false
		}
	}
	return b.String(), true
}
