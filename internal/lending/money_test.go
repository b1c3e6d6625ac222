package lending_test

import (
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/dinie-oss/dinie/internal/finmath"
	"github.com/dinie-oss/dinie/internal/lending"
)

func TestParseAmount(t *testing.T) {
	t.Parallel()
	valid := []struct {
		in   json.Number
		want finmath.Cents
	}{
		{"25000", 25_000_00},
		{"25000.0", 25_000_00},
		{"875.5", 875_50},
		{"875.50", 875_50},
		{"0.01", 1},
		{"0.1", 10},
		{"1", 1_00},
		{"7997.34", 7_997_34},
		{"2614.36", 2_614_36},
		{"999999999.99", lending.MaxAmount - 1},
		{"1000000000", lending.MaxAmount},
		{"1000000000.00", lending.MaxAmount},
	}
	for _, tc := range valid {
		t.Run("ok/"+string(tc.in), func(t *testing.T) {
			t.Parallel()
			got, err := lending.ParseAmount("requested_amount", tc.in)
			if err != nil || got != tc.want {
				t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
			}
		})
	}
	invalid := []json.Number{
		"0", "0.0", "0.00", "-0", "-1", "-0.01", "-25000", // not above 0
		"1e3", "1E3", "1.5e2", "25000e0", "1e-2", // exponents, even when the value is fine
		"1.234", "0.001", "875.555", "25000.000", // more than 2 decimals as written (the rule counts the written decimals)
		"",                                 // nothing
		".5", "1.2.3", "+5", "+0.5", "1,5", // not JSON numbers (a decoder never yields these; "5." is accepted as 5.00)
		" 5", "5 ", "0x10", "NaN", "Inf", "abc", "١٢", // not digits
		"1000000000.01", "1000000001", "9999999999", // above MaxAmount
		"99999999999999999999",               // 20 digits: overflows nothing, still too much
		json.Number(strings.Repeat("9", 21)), // longer than any amount
		json.Number("1" + strings.Repeat("0", 400)),
		json.Number("0." + strings.Repeat("0", 400) + "1"),
	}
	for _, in := range invalid {
		name := string(in)
		if len(name) > 30 {
			name = name[:30] + "…"
		}
		t.Run("bad/"+name, func(t *testing.T) {
			t.Parallel()
			got, err := lending.ParseAmount("requested_amount", in)
			if err == nil {
				t.Fatalf("ParseAmount(%q) = %d, want an error", in, got)
			}
			checkFieldError(t, "ParseAmount("+name+")", err, lending.CodeInvalidField, "requested_amount")
		})
	}
	t.Run("param", func(t *testing.T) {
		t.Parallel()
		_, err := lending.ParseAmount("approved_amount", "-1")
		checkFieldError(t, "ParseAmount(approved_amount)", err, lending.CodeInvalidField, "approved_amount")
	})
}

// TestParseAmountFromJSON feeds ParseAmount what a json.Decoder yields for raw JSON in a json.Number
// field (as the handlers decode amounts): the decoder only ever puts a valid JSON number there, so ".5",
// "5." and "+5" cannot reach ParseAmount from the wire (the decoder refuses them first).
func TestParseAmountFromJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw    string
		want   finmath.Cents
		decode bool // the JSON decoder accepts raw
		ok     bool // ParseAmount accepts it
	}{
		{"25000.0", 25_000_00, true, true},
		{"875.5", 875_50, true, true},
		{"7997.34", 7_997_34, true, true},
		{"1e3", 0, true, false},
		{"-1", 0, true, false},
		{"0", 0, true, false},
		{"1.234", 0, true, false},
		{".5", 0, false, false},
		{"5.", 0, false, false},
		{"+5", 0, false, false},
		{"05", 0, false, false},
		{`"25000"`, 25_000_00, true, true}, // encoding/json lets a quoted valid number into a json.Number
		{`"+5"`, 0, false, false},
		{`"5."`, 0, false, false},
	}
	for _, tc := range tests {
		var v struct{ A json.Number }
		dec := json.NewDecoder(strings.NewReader(`{"A":` + tc.raw + `}`))
		dec.UseNumber()
		err := dec.Decode(&v)
		if (err == nil) != tc.decode {
			t.Errorf("decode %s: err = %v, want decodable %v", tc.raw, err, tc.decode)
			continue
		}
		if err != nil {
			continue
		}
		got, err := lending.ParseAmount("requested_amount", v.A)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%s) = %d, %v; want %d, ok %v", tc.raw, got, err, tc.want, tc.ok)
		}
	}
}

func TestReais(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   finmath.Cents
		want json.Number
	}{
		{0, "0"},
		{1, "0.01"},
		{10, "0.1"},
		{99, "0.99"},
		{100, "1"},
		{101, "1.01"},
		{110, "1.1"},
		{2_500_000, "25000"},
		{799_734, "7997.34"},
		{87_550, "875.5"},
		{261_436, "2614.36"},
		{lending.MaxAmount, "1000000000"},
		{-1, "-0.01"},
		{-10, "-0.1"},
		{-87_550, "-875.5"},
		{-2_500_000, "-25000"},
		{math.MaxInt64, "92233720368547758.07"},
		{math.MinInt64 + 1, "-92233720368547758.07"},
		// Cents.String handles the one value whose negation overflows; Reais should too.
		{math.MinInt64, "-92233720368547758.08"},
	}
	for _, tc := range tests {
		if got := lending.Reais(tc.in); got != tc.want {
			t.Errorf("Reais(%d) = %q, want %q", int64(tc.in), got, tc.want)
		}
	}
}

// reaisOracle is Reais by another route: Cents.String ("-875.50") without the trailing zeros.
func reaisOracle(c finmath.Cents) string {
	s := strings.TrimRight(c.String(), "0")
	return strings.TrimSuffix(s, ".")
}

func TestReaisProperty(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(799734, 87550))
	for i := range 20000 {
		var c finmath.Cents
		switch i % 4 {
		case 0: // (0, MaxAmount]
			c = 1 + finmath.Cents(rng.Int64N(int64(lending.MaxAmount)))
		case 1: // small, where the decimals matter
			c = finmath.Cents(rng.Int64N(2000))
		case 2: // anything, negatives included
			c = finmath.Cents(int64(rng.Uint64()))
		case 3: // whole reais
			c = finmath.Cents(rng.Int64N(int64(lending.MaxAmount)/100) * 100)
		}
		got := lending.Reais(c)
		if want := reaisOracle(c); string(got) != want {
			t.Fatalf("Reais(%d) = %q, want %q", int64(c), got, want)
		}
		// The exact value survives: Reais(c) as a rational is c/100.
		r, ok := new(big.Rat).SetString(string(got))
		if !ok || r.Cmp(big.NewRat(int64(c), 100)) != 0 {
			t.Fatalf("Reais(%d) = %q is not %d/100", int64(c), got, int64(c))
		}
		if c > 0 && c <= lending.MaxAmount {
			back, err := lending.ParseAmount("amount", got)
			if err != nil || back != c {
				t.Fatalf("ParseAmount(Reais(%d) = %q) = %d, %v", int64(c), got, back, err)
			}
			if !json.Valid([]byte(got)) {
				t.Fatalf("Reais(%d) = %q is not a JSON number", int64(c), got)
			}
		}
	}
}

// plainAmount reports whether s is a plain decimal JSON number (no sign, no exponent) with at most 2
// decimals: the numbers ParseAmount must accept when they are in range.
func plainAmount(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' || !json.Valid([]byte(s)) || strings.ContainsAny(s, "eE+-") || strings.TrimSpace(s) != s {
		return false // not a plain JSON number (a JSON string such as "\"5\"" is valid JSON too)
	}
	_, frac, _ := strings.Cut(s, ".")
	return len(frac) <= 2
}

func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"25000", "25000.0", "875.5", "0.01", "7997.34", "0", "-1", "1e3", "1.234", "", ".5", "5.",
		"+5", "1000000000", "1000000000.01", "99999999999999999999", "00000000000000000001", "0.00", "1.", "١", `"5"`, "0000000000000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := lending.ParseAmount("amount", json.Number(s))
		if err != nil {
			if lending.ErrorCode(err) != lending.CodeInvalidField {
				t.Fatalf("ParseAmount(%q) error %v, want CodeInvalidField", s, err)
			}
			// Completeness: every in-range plain JSON amount with at most 2 decimals is accepted.
			if plainAmount(s) {
				r, ok := new(big.Rat).SetString(s)
				if ok && r.Sign() > 0 && r.Cmp(new(big.Rat).SetFrac64(int64(lending.MaxAmount), 100)) <= 0 {
					t.Fatalf("ParseAmount(%q) refused a valid amount: %v", s, err)
				}
			}
			return
		}
		if c <= 0 || c > lending.MaxAmount {
			t.Fatalf("ParseAmount(%q) = %d, outside (0, MaxAmount]", s, c)
		}
		// Exactness: the value is s reais, to the centavo.
		r, ok := new(big.Rat).SetString(s)
		if !ok || r.Cmp(big.NewRat(int64(c), 100)) != 0 {
			t.Fatalf("ParseAmount(%q) = %d centavos, not the value of the text", s, c)
		}
		back, err := lending.ParseAmount("amount", lending.Reais(c))
		if err != nil || back != c {
			t.Fatalf("ParseAmount(Reais(%d) = %q) = %d, %v", c, lending.Reais(c), back, err)
		}
	})
}
