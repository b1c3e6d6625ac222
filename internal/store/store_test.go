package store_test

import (
	"testing"

	"github.com/dinie-oss/dinie/internal/store"
	"github.com/dinie-oss/dinie/internal/store/storetest"
)

// TestConformance runs the conformance suite on every engine: the store must behave identically on
// SQLite and PostgreSQL.
func TestConformance(t *testing.T) {
	for _, e := range storetest.Engines(t) {
		t.Run(e.Name, func(t *testing.T) {
			t.Parallel()
			storetest.Run(t, e)
		})
	}
}

// The PostgreSQL placeholder rebinding (dialect.go) is unexported and an internal test of package store
// cannot import storetest (an import cycle), so it is covered through the suite: every query with
// several placeholders, and data containing '?' and quotes, runs on PostgreSQL there.

func TestIsPostgresURL(t *testing.T) {
	t.Parallel()
	cases := map[string]bool{
		"postgres://u@h:5432/db":    true,
		"postgresql://u@h/db?x=1":   true,
		"/var/lib/dinie/dinie.db":   false,
		"dinie.db":                  false,
		"file:dinie.db":             false,
		"sqlite:///tmp/x.db":        false,
		"./postgres://not-a-url.db": false,
	}
	for dsn, want := range cases {
		if got := store.IsPostgresURL(dsn); got != want {
			t.Errorf("IsPostgresURL(%q) = %v, want %v", dsn, got, want)
		}
	}
}
