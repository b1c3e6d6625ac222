package store

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered schema change. A file NNNN_name.sql runs on both engines; a pair
// NNNN_name.sqlite.sql / NNNN_name.postgres.sql carries one change that must be spelled per engine.
type migration struct {
	version string // "0001_foundation"
	sql     string
}

func migrationsFor(engine string) ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	byVersion := map[string]string{}
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		version, eng, specific := strings.Cut(name, ".")
		if specific && eng != engine {
			continue
		}
		if _, dup := byVersion[version]; dup {
			return nil, fmt.Errorf("store: migration %s is defined twice for %s", version, engine)
		}
		b, err := migrationFiles.ReadFile(path.Join("migrations", e.Name()))
		if err != nil {
			return nil, err
		}
		byVersion[version] = string(b)
	}
	out := make([]migration, 0, len(byVersion))
	for v, q := range byVersion {
		out = append(out, migration{version: v, sql: q})
	}
	slices.SortFunc(out, func(a, b migration) int { return strings.Compare(a.version, b.version) })
	return out, nil
}

// Migrate brings the schema up to date, applying each missing migration in its own transaction. It is
// safe to run from several processes at once.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrationsFor(s.Engine())
	if err != nil {
		return err
	}
	// Under the lock too: PostgreSQL's IF NOT EXISTS does not stop two sessions creating it at once.
	err = s.InTx(ctx, func(tx *Tx) error {
		if err := tx.Serialize(ctx); err != nil {
			return err
		}
		_, err := tx.conn().exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: create schema_migrations: %w", err)
	}
	for _, m := range ms {
		err := s.InTx(ctx, func(tx *Tx) error {
			if err := tx.Serialize(ctx); err != nil {
				return err
			}
			c := tx.conn()
			var n int
			if err := c.queryRow(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			if _, err := c.exec(ctx, m.sql); err != nil {
				return err
			}
			_, err := c.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
				m.version, toMicros(s.clock.Now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", m.version, err)
		}
	}
	return nil
}

// SchemaVersion returns the newest applied migration, or "" before any.
func (s *Store) SchemaVersion(ctx context.Context) (string, error) {
	var v *string
	err := s.reader().queryRow(ctx, `SELECT MAX(version) FROM schema_migrations`).Scan(&v)
	if err != nil || v == nil {
		return "", err
	}
	return *v, nil
}

// LatestSchemaVersion returns the newest migration this build carries, which Migrate brings a database to.
func LatestSchemaVersion() string {
	ms, err := migrationsFor("sqlite")
	if err != nil || len(ms) == 0 {
		return ""
	}
	return ms[len(ms)-1].version
}
