package ccb

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
)

// FormatBRL formats an amount Brazilian style: "R$ 25.000,00", "R$ 0,05", "-R$ 1.234,56".
func FormatBRL(c finmath.Cents) string {
	s := c.String() // "-1234.56"
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, _ := strings.Cut(s, ".")
	return sign + "R$ " + group(whole) + "," + frac
}

// group puts a '.' between each group of three digits of a whole number: "25000" → "25.000".
func group(digits string) string {
	var b strings.Builder
	for i, d := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(d)
	}
	return b.String()
}

// FormatDate turns an ISO 8601 date ("2026-04-14") into the Brazilian form dd/mm/aaaa ("14/04/2026").
func FormatDate(iso string) (string, error) {
	t, err := time.Parse(time.DateOnly, iso)
	if err != nil {
		return "", fmt.Errorf("ccb: date %q is not YYYY-MM-DD", iso)
	}
	return t.Format("02/01/2006"), nil
}

var months = [...]string{"janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
	"setembro", "outubro", "novembro", "dezembro"}

// longDate writes the date of t in full, as a place and date of issue are written: "15 de março de 2026"
// (the first of a month is "1º de …").
func longDate(t time.Time) string {
	day := strconv.Itoa(t.Day())
	if t.Day() == 1 {
		day = "1º"
	}
	return fmt.Sprintf("%s de %s de %d", day, months[t.Month()-1], t.Year())
}

// FormatPercent turns a percent written as a plain decimal ("2.49", "2.5", "34.3200", "1234.5") into
// the Brazilian form with a decimal comma, grouped thousands and a percent sign ("2,49%", "2,50%",
// "34,32%", "1.234,50%"), with at least minDecimals decimals: trailing zeros beyond them are dropped,
// significant digits never are.
func FormatPercent(p string, minDecimals int) (string, error) {
	s := p
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" ||
		(hasFrac && frac == "") {
		return "", fmt.Errorf("ccb: percent %q is not a plain decimal such as 2.49", p)
	}
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	for len(frac) > minDecimals && strings.HasSuffix(frac, "0") {
		frac = frac[:len(frac)-1]
	}
	frac += strings.Repeat("0", max(0, minDecimals-len(frac)))
	out := sign + group(whole)
	if frac != "" {
		out += "," + frac
	}
	return out + "%", nil
}

// percentOf returns part as a percentage of whole, rounded half-up to 2 decimals, in Brazilian form
// ("2,00%"); "-" when whole is not positive.
func percentOf(part, whole finmath.Cents) string {
	if whole <= 0 || part < 0 {
		return "-"
	}
	// Hundredths of a percent: part·10000/whole, rounded half-up, in integers (part and whole are at
	// most about 10^11 centavos, so the products fit in an int64).
	bp := (int64(part)*20000 + int64(whole)) / (2 * int64(whole))
	s, _ := FormatPercent(fmt.Sprintf("%d.%02d", bp/100, bp%100), 2)
	return s
}

var (
	unitWords = [...]string{"zero", "um", "dois", "três", "quatro", "cinco", "seis", "sete", "oito", "nove",
		"dez", "onze", "doze", "treze", "quatorze", "quinze", "dezesseis", "dezessete", "dezoito", "dezenove"}
	tenWords     = [...]string{"", "", "vinte", "trinta", "quarenta", "cinquenta", "sessenta", "setenta", "oitenta", "noventa"}
	hundredWords = [...]string{"", "cento", "duzentos", "trezentos", "quatrocentos", "quinhentos", "seiscentos",
		"setecentos", "oitocentos", "novecentos"}
)

// below1000 spells 1 ≤ n ≤ 999; feminine gives "uma", "duas", "duzentas"….
func below1000(n int64, feminine bool) string {
	if n == 100 {
		return "cem"
	}
	var parts []string
	if h := n / 100; h > 0 {
		w := hundredWords[h]
		if feminine && h > 1 {
			w = strings.TrimSuffix(w, "os") + "as"
		}
		parts = append(parts, w)
	}
	rest := n % 100
	if rest >= 20 {
		parts = append(parts, tenWords[rest/10])
		rest %= 10
	}
	if rest > 0 {
		w := unitWords[rest]
		if feminine && rest == 1 {
			w = "uma"
		} else if feminine && rest == 2 {
			w = "duas"
		}
		parts = append(parts, w)
	}
	return strings.Join(parts, " e ")
}

// spellInt spells 0 ≤ n < 10^12 in Brazilian Portuguese ("mil duzentos e trinta e quatro"); feminine
// agrees the units, hundreds and thousands with a feminine noun ("duas mil e uma parcelas"). Between
// the groups a space is used, and "e" before the last group when it is below one hundred or a round
// number of hundreds ("mil e cem", "um milhão e duzentos mil"). It returns "" for n out of range.
func spellInt(n int64, feminine bool) string {
	if n < 0 || n >= 1e12 {
		return ""
	}
	if n == 0 {
		return "zero"
	}
	type scale struct {
		value            int64
		singular, plural string
	}
	var groups []string
	var lastValue int64
	for _, s := range []scale{{1e9, "bilhão", "bilhões"}, {1e6, "milhão", "milhões"}, {1e3, "mil", "mil"}, {1, "", ""}} {
		g := n / s.value % 1000
		if g == 0 {
			continue
		}
		fem := feminine && s.value < 1e6 // milhão and bilhão are masculine nouns
		var w string
		switch {
		case s.value == 1:
			w = below1000(g, fem)
		case s.value == 1e3 && g == 1:
			w = "mil"
		case g == 1:
			w = "um " + s.singular
		default:
			w = below1000(g, fem) + " " + s.plural
		}
		groups = append(groups, w)
		lastValue = g
	}
	out := strings.Join(groups[:len(groups)-1], " ")
	if len(groups) > 1 {
		if lastValue < 100 || lastValue%100 == 0 {
			out += " e "
		} else {
			out += " "
		}
	}
	return out + groups[len(groups)-1]
}

// SpellBRL returns an amount in words, as a cédula writes it beside the figures: "vinte e cinco mil
// reais", "um real e um centavo", "cinquenta centavos", "um milhão de reais". It returns "" for a
// negative amount or one of a trillion reais or more.
func SpellBRL(c finmath.Cents) string {
	if c < 0 || c >= 1e14 {
		return ""
	}
	reais, centavos := int64(c)/100, int64(c)%100
	var parts []string
	switch {
	case reais == 1:
		parts = append(parts, "um real")
	case reais > 1 && reais%1_000_000 == 0:
		parts = append(parts, spellInt(reais, false)+" de reais")
	case reais > 1:
		parts = append(parts, spellInt(reais, false)+" reais")
	}
	switch {
	case centavos == 1:
		parts = append(parts, "um centavo")
	case centavos > 1:
		parts = append(parts, spellInt(centavos, false)+" centavos")
	}
	if len(parts) == 0 {
		return "zero reais"
	}
	return strings.Join(parts, " e ")
}
