package client_test

import (
	"encoding/json"
	"math"
	"math/big"
	"testing"
	"testing/quick"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dinie-oss/dinie/client"
)

// Every amount of centavos survives a JSON round trip exactly, and its JSON is the decimal in reais.
func TestMoneyRoundTripProperty(t *testing.T) {
	t.Parallel()
	roundTrip := func(c int64) bool {
		m := client.Centavos(c)
		b, err := json.Marshal(m)
		if err != nil {
			t.Logf("marshal %d: %v", c, err)
			return false
		}
		var back client.Money
		if err := json.Unmarshal(b, &back); err != nil {
			t.Logf("unmarshal %s: %v", b, err)
			return false
		}
		if back != m {
			t.Logf("%d → %s → %d", c, b, back.Centavos())
			return false
		}
		// The JSON number is exactly c/100 reais.
		if r, ok := new(big.Rat).SetString(string(b)); !ok || r.Cmp(big.NewRat(c, 100)) != 0 {
			t.Logf("%d centavos marshal to %s", c, b)
			return false
		}
		return true
	}
	if err := quick.Check(roundTrip, &quick.Config{MaxCount: 20000}); err != nil {
		t.Error(err)
	}
	// Small amounts and the extremes, where quick rarely goes.
	for _, c := range []int64{0, 1, -1, 5, 10, 99, 100, 101, -101, 87550, 799734, math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		if !roundTrip(c) {
			t.Errorf("round trip of %d failed", c)
		}
	}
}

// Wrapped in a struct, as a field, a pointer and a slice, Money still round-trips.
func TestMoneyInStructs(t *testing.T) {
	t.Parallel()
	type doc struct {
		A client.Money   `json:"a"`
		B *client.Money  `json:"b"`
		C []client.Money `json:"c"`
	}
	b := client.Centavos(-1)
	in := doc{A: client.Reais(60_000), B: &b, C: []client.Money{client.Centavos(87550), client.Centavos(799734)}}
	raw, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":60000,"b":-0.01,"c":[875.5,7997.34]}`; string(raw) != want {
		t.Errorf("json = %s, want %s", raw, want)
	}
	var out doc
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
	var withNull doc
	if err := json.Unmarshal([]byte(`{"a":null,"b":null}`), &withNull); err != nil || withNull.A != 0 || withNull.B != nil {
		t.Errorf("null: %+v, %v", withNull, err)
	}
}

func TestParseMoney(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int64
		wantErr bool
	}{
		{in: "0", want: 0},
		{in: "25000", want: 2500000},
		{in: "875.5", want: 87550},
		{in: "7997.34", want: 799734},
		{in: "7997.340000", want: 799734},
		{in: "-0.01", want: -1},
		{in: "1.5e3", want: 150000},
		{in: "1E-2", want: 1},
		{in: "2614.36", want: 261436}, // 2614.36 is not exact in binary floating point
		{in: "0.29", want: 29},        // nor is 0.29 (float64 gives 28.999…)
		{in: "92233720368547758.07", want: math.MaxInt64},
		{in: "-92233720368547758.08", want: math.MinInt64},
		{in: "92233720368547758.08", wantErr: true},
		{in: "1.005", wantErr: true},
		{in: `"875.5"`, wantErr: true},
		{in: "", wantErr: true},
		{in: "01", wantErr: true},
		{in: ".5", wantErr: true},
		{in: "5.", wantErr: true},
		{in: "+5", wantErr: true},
		{in: "1/2", wantErr: true},
		{in: "NaN", wantErr: true},
		{in: "1e999999999", wantErr: true},
		{in: "true", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := client.ParseMoney(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMoney(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if !tt.wantErr && got.Centavos() != tt.want {
				t.Errorf("ParseMoney(%q) = %d centavos, want %d", tt.in, got.Centavos(), tt.want)
			}
			var m client.Money
			if err := json.Unmarshal([]byte(orNull(tt.in)), &m); (err != nil) != tt.wantErr && tt.in != "" {
				t.Errorf("json.Unmarshal(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
		})
	}
}

func orNull(s string) string {
	if s == "" {
		return `""`
	}
	return s
}

func TestMoneyFormatting(t *testing.T) {
	t.Parallel()
	tests := []struct {
		m         client.Money
		str, brl  string
		jsonValue string
	}{
		{client.Centavos(0), "0.00", "R$ 0,00", "0"},
		{client.Centavos(1), "0.01", "R$ 0,01", "0.01"},
		{client.Centavos(-1), "-0.01", "-R$ 0,01", "-0.01"},
		{client.Centavos(87550), "875.50", "R$ 875,50", "875.5"},
		{client.Reais(60_000), "60000.00", "R$ 60.000,00", "60000"},
		{client.Centavos(123456789), "1234567.89", "R$ 1.234.567,89", "1234567.89"},
		{client.Centavos(math.MinInt64), "-92233720368547758.08", "-R$ 92.233.720.368.547.758,08", "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := tt.m.String(); got != tt.str {
			t.Errorf("String(%d) = %q, want %q", tt.m.Centavos(), got, tt.str)
		}
		if got := tt.m.BRL(); got != tt.brl {
			t.Errorf("BRL(%d) = %q, want %q", tt.m.Centavos(), got, tt.brl)
		}
		if got, _ := json.Marshal(tt.m); string(got) != tt.jsonValue {
			t.Errorf("json(%d) = %s, want %s", tt.m.Centavos(), got, tt.jsonValue)
		}
	}
}

func TestRate(t *testing.T) {
	t.Parallel()
	var doc struct {
		R client.Rate `json:"r"`
	}
	if err := json.Unmarshal([]byte(`{"r":3.4900}`), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.R.String() != "3.4900" {
		t.Errorf("rate text = %q, want the digits as sent", doc.R)
	}
	if f, err := doc.R.Float64(); err != nil || f != 3.49 {
		t.Errorf("Float64 = %v, %v", f, err)
	}
	if r, err := doc.R.Rat(); err != nil || r.RatString() != "349/100" {
		t.Errorf("Rat = %v, %v", r, err)
	}
	if b, err := json.Marshal(doc); err != nil || string(b) != `{"r":3.4900}` {
		t.Errorf("marshal = %s, %v", b, err)
	}
	if err := json.Unmarshal([]byte(`{"r":"3.49"}`), &doc); err == nil {
		t.Error("a string rate was accepted")
	}
	if _, err := json.Marshal(client.Rate("3,49")); err == nil {
		t.Error("a rate that is not a number was marshalled")
	}
}

func TestTimestamp(t *testing.T) {
	t.Parallel()
	var doc struct {
		At  client.Timestamp  `json:"at"`
		Opt *client.Timestamp `json:"opt"`
	}
	if err := json.Unmarshal([]byte(`{"at":1775253599,"opt":null}`), &doc); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 4, 3, 21, 59, 59, 0, time.UTC)
	if !doc.At.Time.Equal(want) || doc.At.Location() != time.UTC || doc.Opt != nil {
		t.Errorf("decoded %v (%v), opt %v; want %v", doc.At, doc.At.Location(), doc.Opt, want)
	}
	if b, _ := json.Marshal(doc); string(b) != `{"at":1775253599,"opt":null}` {
		t.Errorf("marshal = %s", b)
	}
	for _, bad := range []string{`"2026-04-03"`, `1.5`, `true`, `1e400`} {
		if err := json.Unmarshal([]byte(`{"at":`+bad+`}`), &doc); err == nil {
			t.Errorf("timestamp %s was accepted", bad)
		}
	}
	if err := json.Unmarshal([]byte(`{"at":1.7e9}`), &doc); err != nil || doc.At.Unix() != 1_700_000_000 {
		t.Errorf("1.7e9: %v, %v", doc.At, err)
	}
	if !client.TimestampOf(want.Add(time.Millisecond)).Equal(client.Timestamp{Time: want}) {
		t.Error("TimestampOf does not truncate to the second")
	}
}

func TestDate(t *testing.T) {
	t.Parallel()
	var doc struct {
		D client.Date `json:"d"`
	}
	if err := json.Unmarshal([]byte(`{"d":"2026-04-03"}`), &doc); err != nil {
		t.Fatal(err)
	}
	if want := (client.Date{Year: 2026, Month: time.April, Day: 3}); doc.D != want {
		t.Errorf("date = %+v, want %+v", doc.D, want)
	}
	if b, _ := json.Marshal(doc); string(b) != `{"d":"2026-04-03"}` {
		t.Errorf("marshal = %s", b)
	}
	for _, bad := range []string{`"2026-4-3"`, `"2026-02-30"`, `"03/04/2026"`, `20260403`, `"2026-04-03T00:00:00Z"`} {
		if err := json.Unmarshal([]byte(`{"d":`+bad+`}`), &doc); err == nil {
			t.Errorf("date %s was accepted", bad)
		}
	}
	loc := time.FixedZone("BRT", -3*3600)
	if got := (client.Date{Year: 2026, Month: 4, Day: 3}).In(loc); !got.Equal(time.Date(2026, 4, 3, 3, 0, 0, 0, time.UTC)) {
		t.Errorf("In = %v", got)
	}
	if client.DateOf(time.Date(2026, 4, 3, 23, 0, 0, 0, loc)).String() != "2026-04-03" {
		t.Error("DateOf uses another location")
	}
}
