package store

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// openCacheTestStore opens a SQLite store with a table k → v holding rows 0..9.
func openCacheTestStore(t *testing.T, opts Options) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "c.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.db.Exec(`CREATE TABLE c (k INTEGER PRIMARY KEY, v INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		if _, err := s.db.Exec(`INSERT INTO c (k, v) VALUES (?, ?)`, i, i*10); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func cached(c *stmtCache, query string) (prepared, wanted bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st := c.stmts[query]
	_, wanted = c.wanted[query]
	return st != nil, wanted
}

// TestStatementCacheInTransactions: a statement a transaction runs is prepared before the next
// transaction begins (never on the writer while a transaction holds its one connection) and then runs
// prepared, with and without group commit, concurrently, giving the same answers.
func TestStatementCacheInTransactions(t *testing.T) {
	t.Parallel()
	for _, opts := range []Options{{}, {NoGroupCommit: true}} {
		t.Run(fmt.Sprintf("group commit %v", !opts.NoGroupCommit), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := openCacheTestStore(t, opts)
			const update = `UPDATE c SET v = v + 1 WHERE k = ?`
			const read = `SELECT v FROM c WHERE k = ?`
			run := func(k int) (int, error) {
				var v int
				err := s.InTx(ctx, func(tx *Tx) error {
					if _, err := tx.conn().exec(ctx, update, k); err != nil {
						return err
					}
					return tx.conn().queryRow(ctx, read, k).Scan(&v)
				})
				return v, err
			}
			if v, err := run(1); err != nil || v != 11 {
				t.Fatalf("first transaction: v = %d, %v; want 11", v, err)
			}
			if p, w := cached(s.stmts, update); p || !w {
				t.Fatalf("after one transaction: prepared %v, wanted %v; want a wanted statement only", p, w)
			}
			var wg sync.WaitGroup
			errs := make(chan error, 100)
			for i := range 100 {
				wg.Go(func() {
					if _, err := run(i % 10); err != nil {
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}
			for _, q := range []string{update, read} {
				if p, w := cached(s.stmts, q); !p || w {
					t.Fatalf("%q: prepared %v, wanted %v; want prepared", q, p, w)
				}
			}
			var sum int
			if err := s.reader().queryRow(ctx, `SELECT SUM(v) FROM c`).Scan(&sum); err != nil {
				t.Fatal(err)
			}
			if want := 450 + 1 + 100; sum != want {
				t.Fatalf("sum of v = %d, want %d", sum, want)
			}
			if p, _ := cached(s.rstmts, `SELECT SUM(v) FROM c`); !p {
				t.Fatal("the read pool did not prepare its statement on demand")
			}
		})
	}
}

// TestStatementCacheRowsInTransactions: inside a transaction, reading rows while running the same query
// again works (multi-row queries in a transaction run unprepared, so they never share a compiled
// statement with themselves).
func TestStatementCacheRowsInTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openCacheTestStore(t, Options{})
	const q = `SELECT k FROM c WHERE k < ? ORDER BY k`
	for range 3 { // three rounds, so that whatever could be prepared is
		var pairs int
		err := s.InTx(ctx, func(tx *Tx) error {
			outer, err := tx.conn().query(ctx, q, 3)
			if err != nil {
				return err
			}
			defer outer.Close()
			for outer.Next() {
				var k int
				if err := outer.Scan(&k); err != nil {
					return err
				}
				inner, err := tx.conn().query(ctx, q, 3)
				if err != nil {
					return err
				}
				for inner.Next() {
					pairs++
				}
				if err := inner.Close(); err != nil {
					return err
				}
			}
			return outer.Err()
		})
		if err != nil || pairs != 9 {
			t.Fatalf("nested reads: %d pairs, %v; want 9", pairs, err)
		}
	}
}

// TestStatementCacheBoundsAndErrors: past maxCachedStmts distinct queries run unprepared, and a query
// that cannot be prepared reports its error where it runs, every time.
func TestStatementCacheBoundsAndErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := openCacheTestStore(t, Options{})
	for i := range maxCachedStmts + 50 {
		var v int
		q := fmt.Sprintf(`SELECT v + %d FROM c WHERE k = ?`, i)
		if err := s.reader().queryRow(ctx, q, 2).Scan(&v); err != nil || v != 20+i {
			t.Fatalf("query %d: %d, %v; want %d", i, v, err, 20+i)
		}
	}
	if n := len(s.rstmts.stmts); n != maxCachedStmts {
		t.Fatalf("%d statements cached, want the bound %d", n, maxCachedStmts)
	}
	s2 := openCacheTestStore(t, Options{})
	for range 3 {
		var v int
		err := s2.reader().queryRow(ctx, `SELECT nope FROM c`).Scan(&v)
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("a bad query: %v; want its error", err)
		}
		err = s2.InTx(ctx, func(tx *Tx) error {
			_, err := tx.conn().exec(ctx, `UPDATE c SET nope = 1`)
			return err
		})
		if err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("a bad statement in a transaction: %v; want its error", err)
		}
	}
}
