package banks

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// minBanks is the least number of institutions the directory must hold.
const minBanks = 130

func isThreeDigits(s string) bool {
	if len(s) != idLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func TestEmbeddedDataParses(t *testing.T) {
	t.Parallel()
	if _, err := parse(banksJSON); err != nil {
		t.Fatalf("parse(banks.json) = %v, want nil error", err)
	}
}

func TestAll(t *testing.T) {
	t.Parallel()
	all := All()
	if len(all) < minBanks {
		t.Fatalf("len(All()) = %d, want at least %d", len(all), minBanks)
	}
	seenID := make(map[string]bool, len(all))
	seenName := make(map[string]string, len(all))
	for i, b := range all {
		if !isThreeDigits(b.ID) {
			t.Errorf("All()[%d].ID = %q, want exactly 3 ASCII digits", i, b.ID)
		}
		if seenID[b.ID] {
			t.Errorf("All()[%d].ID = %q is duplicated", i, b.ID)
		}
		seenID[b.ID] = true
		if i > 0 && b.ID <= all[i-1].ID {
			t.Errorf("All()[%d].ID = %q follows %q, want strictly ascending ids", i, b.ID, all[i-1].ID)
		}

		switch {
		case b.Name == "":
			t.Errorf("bank %s: empty name", b.ID)
		case strings.TrimSpace(b.Name) != b.Name:
			t.Errorf("bank %s: name %q has leading or trailing space", b.ID, b.Name)
		case strings.Contains(b.Name, "  "):
			t.Errorf("bank %s: name %q has consecutive spaces", b.ID, b.Name)
		case !utf8.ValidString(b.Name) || strings.ContainsRune(b.Name, utf8.RuneError):
			t.Errorf("bank %s: name %q is not valid UTF-8", b.ID, b.Name)
		case strings.ContainsFunc(b.Name, unicode.IsControl):
			t.Errorf("bank %s: name %q has control characters", b.ID, b.Name)
		}
		if other, ok := seenName[b.Name]; ok {
			t.Errorf("bank %s: name %q is also used by bank %s", b.ID, b.Name, other)
		}
		seenName[b.Name] = b.ID

		if want := b.ID + " - " + b.Name; b.DisplayName != want {
			t.Errorf("bank %s: DisplayName = %q, want %q", b.ID, b.DisplayName, want)
		}
	}
}

func TestAllReturnsCopy(t *testing.T) {
	t.Parallel()
	want := All()
	got := All()
	got[0] = Bank{ID: "999", Name: "Mutated", DisplayName: "999 - Mutated"}
	_ = append(got[:1], Bank{ID: "998"})
	if diff := cmp.Diff(want, All()); diff != "" {
		t.Errorf("All() changed after mutating a previous result (-want +got):\n%s", diff)
	}
}

func TestLookupWellKnown(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		name string
	}{
		{"001", "Banco do Brasil"},
		{"033", "Santander"},
		{"077", "Banco Inter"},
		{"104", "Caixa Econômica Federal"},
		{"197", "Stone"},
		{"208", "BTG Pactual"},
		{"237", "Bradesco"},
		{"260", "Nu Pagamentos (Nubank)"},
		{"290", "PagSeguro (PagBank)"},
		{"323", "Mercado Pago"},
		{"336", "C6 Bank"},
		{"341", "Itaú Unibanco"},
		{"380", "PicPay"},
		{"422", "Safra"},
		{"748", "Sicredi"},
		{"756", "Sicoob"},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			t.Parallel()
			want := Bank{ID: tt.id, Name: tt.name, DisplayName: tt.id + " - " + tt.name}
			got, ok := Lookup(tt.id)
			if !ok {
				t.Fatalf("Lookup(%q) reported not found", tt.id)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", tt.id, diff)
			}
		})
	}
}

func TestLookupInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		in     string
		wantID string // "" means not found
	}{
		{"unpadded", "1", "001"},
		{"partly padded", "01", "001"},
		{"padded", "001", "001"},
		{"two digits", "33", "033"},
		{"two digits padded", "033", "033"},
		{"three digits", "341", "341"},
		{"unpadded 77", "77", "077"},
		{"empty", "", ""},
		{"zero", "0", ""},
		{"all zeros", "000", ""},
		{"unknown code", "999", ""},
		{"four digits", "0001", ""},
		{"four digits no pad", "1001", ""},
		{"letters", "abc", ""},
		{"mixed", "1a", ""},
		{"leading space", " 001", ""},
		{"trailing space", "001 ", ""},
		{"trailing newline", "001\n", ""},
		{"minus sign", "-1", ""},
		{"plus sign", "+1", ""},
		{"decimal", "1.0", ""},
		{"hex", "0x1", ""},
		{"fullwidth digit", "１", ""},
		{"arabic-indic digit", "٣٤١", ""},
		{"nul byte", "0\x001", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := Lookup(tt.in)
			if tt.wantID == "" {
				if ok {
					t.Fatalf("Lookup(%q) = %+v, true; want not found", tt.in, got)
				}
				if diff := cmp.Diff(Bank{}, got); diff != "" {
					t.Errorf("Lookup(%q) returned a non-zero Bank when not found (-want +got):\n%s", tt.in, diff)
				}
				return
			}
			if !ok {
				t.Fatalf("Lookup(%q) reported not found, want bank %s", tt.in, tt.wantID)
			}
			if got.ID != tt.wantID {
				t.Errorf("Lookup(%q).ID = %q, want %q", tt.in, got.ID, tt.wantID)
			}
		})
	}
}

func TestNormalizeID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"1", "001", true},
		{"01", "001", true},
		{"001", "001", true},
		{"0", "000", true},
		{"00", "000", true},
		{"000", "000", true},
		{"33", "033", true},
		{"341", "341", true},
		{"999", "999", true},
		{"", "", false},
		{"0001", "", false},
		{"1234", "", false},
		{"a", "", false},
		{"12a", "", false},
		{" 1", "", false},
		{"1 ", "", false},
		{"-1", "", false},
		{"+1", "", false},
		{"１", "", false},
		{"\xff", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			got, ok := NormalizeID(tt.in)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("NormalizeID(%q) = %q, %t; want %q, %t", tt.in, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestLookupEveryBank(t *testing.T) {
	t.Parallel()
	for _, want := range All() {
		for _, in := range []string{want.ID, strings.TrimLeft(want.ID, "0")} {
			if in == "" {
				continue
			}
			got, ok := Lookup(in)
			if !ok {
				t.Errorf("Lookup(%q) reported not found, want bank %s", in, want.ID)
				continue
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Lookup(%q) mismatch (-want +got):\n%s", in, diff)
			}
		}
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	body := JSON()

	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var resp struct {
		Data []Bank `json:"data"`
	}
	if err := dec.Decode(&resp); err != nil {
		t.Fatalf("decoding JSON(): %v", err)
	}
	if dec.More() {
		t.Fatal("JSON() has data after the top-level object")
	}
	if diff := cmp.Diff(All(), resp.Data); diff != "" {
		t.Errorf("JSON() data differs from All() (-All +JSON):\n%s", diff)
	}

	const wantPrefix = `{"data":[{"id":"001","name":"Banco do Brasil","display_name":"001 - Banco do Brasil"},`
	if !bytes.HasPrefix(body, []byte(wantPrefix)) {
		end := min(len(body), len(wantPrefix))
		t.Errorf("JSON() starts with %s, want %s", body[:end], wantPrefix)
	}
}

func TestJSONReturnsCopy(t *testing.T) {
	t.Parallel()
	want := JSON()
	got := JSON()
	for i := range got {
		got[i] = 'x'
	}
	if diff := cmp.Diff(string(want), string(JSON())); diff != "" {
		t.Errorf("JSON() changed after mutating a previous result (-want +got):\n%s", diff)
	}
}

func TestParseRejectsBrokenData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data string
	}{
		{"not json", `not json`},
		{"object instead of array", `{"id":"001","name":"A"}`},
		{"empty array", `[]`},
		{"null", `null`},
		{"trailing data", `[{"id":"001","name":"A"}] []`},
		{"unknown field", `[{"id":"001","name":"A","ispb":"00000000"}]`},
		{"unpadded id", `[{"id":"1","name":"A"}]`},
		{"long id", `[{"id":"0001","name":"A"}]`},
		{"non-digit id", `[{"id":"0a1","name":"A"}]`},
		{"empty id", `[{"id":"","name":"A"}]`},
		{"empty name", `[{"id":"001","name":""}]`},
		{"untrimmed name", `[{"id":"001","name":" A"}]`},
		{"double space", `[{"id":"001","name":"A  B"}]`},
		{"control character", `[{"id":"001","name":"A\tB"}]`},
		{"invalid utf-8", "[{\"id\":\"001\",\"name\":\"A\xffB\"}]"},
		{"duplicate id", `[{"id":"001","name":"A"},{"id":"001","name":"B"}]`},
		{"unsorted", `[{"id":"002","name":"A"},{"id":"001","name":"B"}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if d, err := parse([]byte(tt.data)); err == nil {
				t.Errorf("parse(%q) = %+v, nil; want an error", tt.data, d)
			}
		})
	}
}

func TestParseValidData(t *testing.T) {
	t.Parallel()
	d, err := parse([]byte(`[{"id":"001","name":"Banco A"},{"id":"010","name":"Cooperativa Ção"}]`))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	want := []Bank{
		{ID: "001", Name: "Banco A", DisplayName: "001 - Banco A"},
		{ID: "010", Name: "Cooperativa Ção", DisplayName: "010 - Cooperativa Ção"},
	}
	if diff := cmp.Diff(want, d.list); diff != "" {
		t.Errorf("parse list mismatch (-want +got):\n%s", diff)
	}
	const wantBody = `{"data":[{"id":"001","name":"Banco A","display_name":"001 - Banco A"},` +
		`{"id":"010","name":"Cooperativa Ção","display_name":"010 - Cooperativa Ção"}]}`
	if diff := cmp.Diff(wantBody, string(d.body)); diff != "" {
		t.Errorf("parse body mismatch (-want +got):\n%s", diff)
	}
}

func FuzzNormalizeID(f *testing.F) {
	for _, seed := range []string{"", "0", "1", "01", "001", "33", "341", "999", "0001", "abc", " 1", "-1", "１", "\xff"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, id string) {
		norm, ok := NormalizeID(id)
		bank, found := Lookup(id)
		if !ok {
			if norm != "" {
				t.Errorf("NormalizeID(%q) = %q, false; want empty string when not ok", id, norm)
			}
			if found {
				t.Errorf("Lookup(%q) = %+v, true; but NormalizeID rejects the id", id, bank)
			}
			return
		}
		if !isThreeDigits(norm) {
			t.Fatalf("NormalizeID(%q) = %q, want 3 ASCII digits", id, norm)
		}
		if !strings.HasSuffix(norm, id) || strings.Trim(norm[:len(norm)-len(id)], "0") != "" {
			t.Errorf("NormalizeID(%q) = %q, want the input left-padded with zeros", id, norm)
		}
		if again, ok := NormalizeID(norm); !ok || again != norm {
			t.Errorf("NormalizeID(%q) = %q, %t; want it idempotent", norm, again, ok)
		}
		want, wantFound := Lookup(norm)
		if found != wantFound || bank != want {
			t.Errorf("Lookup(%q) = %+v, %t; Lookup(%q) = %+v, %t; want them equal", id, bank, found, norm, want, wantFound)
		}
		if found && bank.ID != norm {
			t.Errorf("Lookup(%q).ID = %q, want %q", id, bank.ID, norm)
		}
	})
}
