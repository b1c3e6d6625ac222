package ccb

import (
	"testing"
	"time"

	"github.com/dinie-oss/dinie/internal/finmath"
)

func TestFormatBRL(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    finmath.Cents
		want string
	}{
		{0, "R$ 0,00"},
		{5, "R$ 0,05"},
		{50, "R$ 0,50"},
		{100, "R$ 1,00"},
		{99999, "R$ 999,99"},
		{100000, "R$ 1.000,00"},
		{25_000_00, "R$ 25.000,00"},
		{2_537_15, "R$ 2.537,15"},
		{123_456_789, "R$ 1.234.567,89"},
		{1_000_000_000_00, "R$ 1.000.000.000,00"},
		{-123_456, "-R$ 1.234,56"},
		{-5, "-R$ 0,05"},
	} {
		if got := FormatBRL(tc.c); got != tc.want {
			t.Errorf("FormatBRL(%d) = %q, want %q", tc.c, got, tc.want)
		}
	}
}

func TestFormatDate(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"2026-04-14": "14/04/2026",
		"2027-01-01": "01/01/2027",
		"2028-02-29": "29/02/2028",
	} {
		if got, err := FormatDate(in); err != nil || got != want {
			t.Errorf("FormatDate(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "14/04/2026", "2026-02-30", "2026-4-14", "2026-04-14T00:00:00Z"} {
		if got, err := FormatDate(bad); err == nil {
			t.Errorf("FormatDate(%q) = %q, want an error", bad, got)
		}
	}
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC), "15 de março de 2026"},
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "1º de janeiro de 2026"},
		{time.Date(2027, 12, 31, 0, 0, 0, 0, time.UTC), "31 de dezembro de 2027"},
	} {
		if got := longDate(tc.t); got != tc.want {
			t.Errorf("longDate(%s) = %q, want %q", tc.t, got, tc.want)
		}
	}
}

func TestFormatPercent(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		min  int
		want string
	}{
		{"2.49", 2, "2,49%"},
		{"2.5", 2, "2,50%"},
		{"2", 2, "2,00%"},
		{"34.3200", 2, "34,32%"},
		{"2.4567", 2, "2,4567%"},
		{"2.4560", 2, "2,456%"},
		{"0.5", 2, "0,50%"},
		{"0", 2, "0,00%"},
		{"007.10", 2, "7,10%"},
		{"1234.5", 2, "1.234,50%"},
		{"233.18", 2, "233,18%"},
		{"-1.5", 2, "-1,50%"},
		{"2", 0, "2%"},
		{"2.00", 0, "2%"},
		{"0.33", 0, "0,33%"},
		{"1.50", 0, "1,5%"},
	} {
		if got, err := FormatPercent(tc.in, tc.min); err != nil || got != tc.want {
			t.Errorf("FormatPercent(%q, %d) = %q, %v; want %q", tc.in, tc.min, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", ".", "1.", ".5", "2,49", "2.49%", "1e3", "abc", "-", " 2"} {
		if got, err := FormatPercent(bad, 2); err == nil {
			t.Errorf("FormatPercent(%q) = %q, want an error", bad, got)
		}
	}
}

func TestPercentOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		part, whole finmath.Cents
		want        string
	}{
		{25_000_00, 26_041_23, "96,00%"},  // 96.0016…
		{500_00, 26_041_23, "1,92%"},      // 1.92003…
		{1, 200, "0,50%"},                 // exactly 0.5
		{1, 80_000, "0,00%"},              // 0.00125 → 0.00
		{1, 40_000, "0,00%"},              // 0.0025 → 0.00
		{1, 20_000, "0,01%"},              // 0.005 rounds half up
		{30_445_78, 26_041_23, "116,91%"}, // 116.913…
		{100, 100, "100,00%"},
		{0, 100, "0,00%"},
		{1, 0, "-"},
	} {
		if got := percentOf(tc.part, tc.whole); got != tc.want {
			t.Errorf("percentOf(%d, %d) = %q, want %q", tc.part, tc.whole, got, tc.want)
		}
	}
}

func TestSpell(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		c    finmath.Cents
		want string
	}{
		{0, "zero reais"},
		{1, "um centavo"},
		{50, "cinquenta centavos"},
		{100, "um real"},
		{101, "um real e um centavo"},
		{200, "dois reais"},
		{1_600, "dezesseis reais"},
		{2_100, "vinte e um reais"},
		{10_000, "cem reais"},
		{10_100, "cento e um reais"},
		{11_000, "cento e dez reais"},
		{99_999, "novecentos e noventa e nove reais e noventa e nove centavos"},
		{1_000_00, "mil reais"},
		{1_001_00, "mil e um reais"},
		{1_100_00, "mil e cem reais"},
		{1_234_00, "mil duzentos e trinta e quatro reais"},
		{2_000_00, "dois mil reais"},
		{25_000_00, "vinte e cinco mil reais"},
		{26_041_23, "vinte e seis mil e quarenta e um reais e vinte e três centavos"},
		{10_207_93, "dez mil duzentos e sete reais e noventa e três centavos"},
		{100_000_00, "cem mil reais"},
		{101_000_00, "cento e um mil reais"},
		{300_014_00, "trezentos mil e quatorze reais"},
		{1_000_000_00, "um milhão de reais"},
		{1_000_001_00, "um milhão e um reais"},
		{1_200_000_00, "um milhão e duzentos mil reais"},
		{1_234_567_89, "um milhão duzentos e trinta e quatro mil quinhentos e sessenta e sete reais e oitenta e nove centavos"},
		{2_000_000_00, "dois milhões de reais"},
		{2_000_000_50, "dois milhões de reais e cinquenta centavos"},
		{1_000_000_000_00, "um bilhão de reais"},
		{2_500_000_000_00, "dois bilhões e quinhentos milhões de reais"},
		{-1, ""},
		{1e14, ""},
	} {
		if got := SpellBRL(tc.c); got != tc.want {
			t.Errorf("SpellBRL(%d) = %q, want %q", tc.c, got, tc.want)
		}
	}
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{1, "uma"}, {2, "duas"}, {3, "três"}, {12, "doze"}, {21, "vinte e uma"}, {22, "vinte e duas"},
		{48, "quarenta e oito"}, {120, "cento e vinte"}, {200, "duzentas"}, {1_002, "mil e duas"},
		{2_000, "duas mil"}, {2_000_000, "dois milhões"},
	} {
		if got := spellInt(tc.n, true); got != tc.want {
			t.Errorf("spellInt(%d, feminine) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
