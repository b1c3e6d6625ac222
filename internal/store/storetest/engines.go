// Package storetest opens real databases for tests (a fresh SQLite file, a fresh PostgreSQL schema) and
// holds the conformance suite that every store engine must pass.
package storetest

import (
	"context"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/dinie-oss/dinie/internal/clock"
	"github.com/dinie-oss/dinie/internal/ids"
	"github.com/dinie-oss/dinie/internal/store"
)

// PostgresURLEnv names the variable holding the URL of a PostgreSQL database the tests may create schemas
// in. scripts/test starts a throwaway cluster and sets it.
const PostgresURLEnv = "DINIE_TEST_POSTGRES_URL"

// SkipPostgresEnv, set to 1, lets a developer run the tests without PostgreSQL. Without it a missing
// PostgreSQL fails the tests instead of skipping them silently.
const SkipPostgresEnv = "DINIE_TEST_SKIP_POSTGRES"

// Engine is a way to get a fresh, migrated store for one test.
type Engine struct {
	Name string
	// DSN returns a new empty database for t (a SQLite path or a postgres:// URL), removed when t ends.
	DSN func(t testing.TB) string
}

// Engines returns SQLite and PostgreSQL. When PostgreSQL is not configured it fails t, unless
// DINIE_TEST_SKIP_POSTGRES=1, in which case only SQLite is returned (and it says so in the log).
func Engines(t testing.TB) []Engine {
	t.Helper()
	out := []Engine{{Name: "sqlite", DSN: SQLiteDSN}}
	if os.Getenv(PostgresURLEnv) == "" {
		if os.Getenv(SkipPostgresEnv) == "1" {
			t.Logf("%s is not set and %s=1: PostgreSQL tests skipped", PostgresURLEnv, SkipPostgresEnv)
			return out
		}
		t.Fatalf("%s is not set: run the tests with ./scripts/test, which starts PostgreSQL (or set %s=1 to run SQLite alone)",
			PostgresURLEnv, SkipPostgresEnv)
	}
	return append(out, Engine{Name: "postgres", DSN: PostgresDSN})
}

// SQLiteDSN returns the path of a new SQLite database in t's temporary folder.
func SQLiteDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "dinie.db")
}

// PostgresDSN creates a fresh schema in the test PostgreSQL database and returns a URL whose connections
// use it; the schema is dropped when t ends.
func PostgresDSN(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresURLEnv)
	if base == "" {
		t.Fatalf("%s is not set", PostgresURLEnv)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	schema := ids.New("t_")
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated store on a fresh database of engine e, closed when t ends.
func (e Engine) Open(t testing.TB, c clock.Clock) *store.Store {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, e.DSN(t), store.Options{Clock: c})
	if err != nil {
		t.Fatalf("open %s: %v", e.Name, err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s: %v", e.Name, err)
	}
	return s
}
