package ids

import (
	"strings"
	"testing"
)

func TestNew(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 1000 {
		id := New("cust_")
		if !HasHexSuffix(id, "cust_") {
			t.Fatalf("New = %q, want cust_ + 32 hex", id)
		}
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
}

func TestSecret(t *testing.T) {
	t.Parallel()
	counts := map[rune]int{}
	for range 200 {
		s := Secret("dinie_cs_test_", 40)
		rest, ok := strings.CutPrefix(s, "dinie_cs_test_")
		if !ok || len(rest) != 40 {
			t.Fatalf("Secret = %q", s)
		}
		for _, c := range rest {
			if !strings.ContainsRune(alphanumeric, c) {
				t.Fatalf("Secret %q has %q", s, c)
			}
			counts[c]++
		}
	}
	if len(counts) != 62 {
		t.Errorf("8000 characters used only %d of the 62 symbols", len(counts))
	}
}

func TestHasHexSuffix(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{"cust_550e8400e29b41d4a716446655440000", true},
		{"cust_550E8400e29b41d4a716446655440000", false},
		{"cust_550e8400e29b41d4a71644665544000", false},
		{"cus_550e8400e29b41d4a716446655440000", false},
		{"cust_550e8400e29b41d4a71644665544000g", false},
	}
	for _, tt := range tests {
		if got := HasHexSuffix(tt.id, "cust_"); got != tt.want {
			t.Errorf("HasHexSuffix(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}
