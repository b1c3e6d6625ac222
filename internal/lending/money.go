package lending

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/dinie-oss/dinie/internal/finmath"
)

// MaxAmount bounds every amount the API takes: R$ 1 billion.
const MaxAmount = finmath.Cents(1_000_000_000_00)

// ParseAmount reads a Money value from the wire (contract.md §3.2: a JSON number in reais, such as 25000
// or 875.5) exactly, without going through a float: at most 2 decimals, above 0 and at most MaxAmount.
// Errors are CodeInvalidField on param.
func ParseAmount(param string, n json.Number) (finmath.Cents, error) {
	bad := FieldErrorf(CodeInvalidField, param, "%s must be an amount in reais above 0 with at most 2 decimals, such as 25000 or 875.5", param)
	s := string(n)
	if s == "" || strings.ContainsAny(s, "eE+-") || len(s) > 20 {
		return 0, bad
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" || strings.Trim(whole, "0123456789") != "" || strings.Trim(frac, "0123456789") != "" {
		return 0, bad
	}
	frac += strings.Repeat("0", 2-len(frac))
	var c finmath.Cents
	for _, d := range whole + frac {
		c = c*10 + finmath.Cents(d-'0')
		if c > MaxAmount {
			return 0, bad
		}
	}
	if c <= 0 {
		return 0, bad
	}
	return c, nil
}

// Reais returns c as a JSON number in reais ("25000", "7997.34", "875.5"): exact, with no float.
func Reais(c finmath.Cents) json.Number {
	neg := c < 0
	abs := uint64(c)
	if neg {
		abs = -abs // two's complement: exact even for the most negative value
	}
	whole, cents := abs/100, abs%100
	s := strconv.FormatUint(whole, 10)
	if cents != 0 {
		s += "." + strings.TrimSuffix(string([]byte{byte('0' + cents/10), byte('0' + cents%10)}), "0")
	}
	if neg {
		s = "-" + s
	}
	return json.Number(s)
}
