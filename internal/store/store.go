// Package store persists the domain. One implementation over database/sql runs the same SQL on SQLite
// (modernc.org/sqlite, the embedded default) and PostgreSQL (pgx); the few differences between the two
// live in dialect.go.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/dinie-oss/dinie/internal/clock"
)

// Store is the platform's persistence. It is safe for concurrent use.
type Store struct {
	// db takes writes. On SQLite it holds one connection, so writers queue in Go instead of failing
	// with SQLITE_BUSY; on PostgreSQL it is the only pool and rdb is the same value.
	db      *sql.DB
	rdb     *sql.DB
	dialect dialect
	clock   clock.Clock
	// batch groups SQLite transactions into shared commits (nil on PostgreSQL, or when disabled).
	batch *batcher
	// checkpoints runs SQLite's WAL checkpoints off the writer (nil on PostgreSQL).
	checkpoints *checkpointer
}

// Options tune Open.
type Options struct {
	// Clock is the source of "now" for records the store stamps itself; nil means the system clock.
	Clock clock.Clock
	// MaxConns bounds the SQLite read pool or the PostgreSQL pool (default 4 × GOMAXPROCS, at least 10).
	MaxConns int
	// NoGroupCommit makes every SQLite transaction commit (and fsync) alone instead of in groups.
	NoGroupCommit bool
}

// IsPostgresURL reports whether dsn names a PostgreSQL database rather than a SQLite file.
func IsPostgresURL(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open connects to dsn: a postgres:// URL, or a SQLite file path (created with its parent folder if
// missing). It does not migrate; call Migrate.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Clock == nil {
		opts.Clock = clock.System{}
	}
	maxConns := opts.MaxConns
	if maxConns <= 0 {
		maxConns = max(4*runtime.GOMAXPROCS(0), 10)
	}
	s := &Store{clock: opts.Clock}
	if IsPostgresURL(dsn) {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open postgres: %w", err)
		}
		db.SetMaxOpenConns(maxConns)
		db.SetMaxIdleConns(maxConns)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.db, s.rdb, s.dialect = db, db, postgresDialect{}
	} else {
		if err := s.openSQLite(dsn, maxConns); err != nil {
			return nil, err
		}
	}
	if err := s.Ping(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.dialect.name() == "sqlite" {
		s.checkpoints = startCheckpointer(s)
		if !opts.NoGroupCommit {
			s.batch = newBatcher(s)
		}
	}
	return s, nil
}

func (s *Store) openSQLite(path string, maxConns int) error {
	path = strings.TrimPrefix(path, "sqlite://")
	path = strings.TrimPrefix(path, "file:")
	if path == "" {
		return errors.New("store: empty SQLite path")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return fmt.Errorf("store: create %s: %w", dir, err)
		}
	}
	q := url.Values{}
	// temp_store(MEMORY) keeps the savepoint journal of a group commit (see batcher) in memory: it only
	// ever holds the pages one group changed, and it needs no durability. wal_autocheckpoint(0): the
	// checkpointer does it off the writer.
	for _, p := range []string{"journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "busy_timeout(10000)",
		"temp_store(MEMORY)", "wal_autocheckpoint(0)"} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	connector, err := newSQLiteConnector(dsn)
	if err != nil {
		return fmt.Errorf("store: open sqlite: %w", err)
	}
	w := sql.OpenDB(connector)
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	r := sql.OpenDB(connector)
	r.SetMaxOpenConns(maxConns)
	r.SetMaxIdleConns(maxConns)
	s.db, s.rdb, s.dialect = w, r, sqliteDialect{}
	return nil
}

// Engine returns "sqlite" or "postgres".
func (s *Store) Engine() string { return s.dialect.name() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.Engine(), err)
	}
	if s.rdb != s.db {
		if err := s.rdb.PingContext(ctx); err != nil {
			return fmt.Errorf("store: ping %s: %w", s.Engine(), err)
		}
	}
	return nil
}

// Close releases the connections.
func (s *Store) Close() error {
	if s.batch != nil {
		s.batch.close()
	}
	if s.checkpoints != nil {
		s.checkpoints.close()
	}
	err := s.db.Close()
	if s.rdb != s.db {
		err = errors.Join(err, s.rdb.Close())
	}
	return err
}

// Tx is a database transaction with the store's dialect; every write of the platform goes through one.
type Tx struct {
	tx *sql.Tx
	s  *Store
	// detached: the transaction is one of a group (see batcher); its statements ignore cancellation, because
	// on SQLite an interrupted statement rolls back the whole transaction, the others' work included.
	detached bool
}

// InTx runs fn in a transaction, committing when fn returns nil and rolling back otherwise (also when fn
// panics). fn must not keep tx after it returns.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	if s.batch != nil {
		return s.batch.submit(ctx, fn)
	}
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = sqlTx.Rollback()
		}
	}()
	if err = fn(&Tx{tx: sqlTx, s: s}); err != nil {
		return err
	}
	if err = sqlTx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// InBatches runs fn in one transaction after another for as long as fn reports a full batch: fn does up
// to batch items of some work and returns how many it did. Sweeps use it so that no transaction grows
// with the backlog. It returns the items done in all, and the first error.
func (s *Store) InBatches(ctx context.Context, batch int, fn func(tx *Tx) (int, error)) (int, error) {
	total := 0
	for {
		n := 0
		err := s.InTx(ctx, func(tx *Tx) error {
			var err error
			n, err = fn(tx)
			return err
		})
		if err != nil {
			return total, err
		}
		total += n
		if n < batch {
			return total, nil
		}
	}
}

// querier is what both *sql.DB and *sql.Tx offer.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn binds a querier to the dialect so queries are written once with '?' placeholders.
type conn struct {
	q querier
	d dialect
	// detached: the statements ignore the caller's cancellation (see Tx.detached).
	detached bool
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if c.detached {
		ctx = context.WithoutCancel(ctx)
	}
	return c.q.ExecContext(ctx, c.d.rebind(query), args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if c.detached {
		ctx = context.WithoutCancel(ctx)
	}
	return c.q.QueryContext(ctx, c.d.rebind(query), args...)
}

func (c conn) queryRow(ctx context.Context, query string, args ...any) *sql.Row {
	if c.detached {
		ctx = context.WithoutCancel(ctx)
	}
	return c.q.QueryRowContext(ctx, c.d.rebind(query), args...)
}

func (s *Store) reader() conn { return conn{q: s.rdb, d: s.dialect} }
func (s *Store) writer() conn { return conn{q: s.db, d: s.dialect} }
func (tx *Tx) conn() conn     { return conn{q: tx.tx, d: tx.s.dialect, detached: tx.detached} }

// write runs fn, a small write made outside any transaction of the caller's. On SQLite with group
// commit it runs as a transaction of the next group (sharing that group's fsync instead of paying one of
// its own); elsewhere each of its statements runs in autocommit on the writer.
func (s *Store) write(ctx context.Context, fn func(c conn) error) error {
	if s.batch != nil {
		return s.InTx(ctx, func(tx *Tx) error { return fn(tx.conn()) })
	}
	return fn(s.writer())
}

// Instants are stored as microseconds since the Unix epoch: exact for epoch seconds, ordered, and the
// same type on both engines.
func toMicros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

func toNullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromNullMicros(n sql.NullInt64) *time.Time {
	if !n.Valid {
		return nil
	}
	t := fromMicros(n.Int64)
	return &t
}
