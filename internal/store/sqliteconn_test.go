package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// openConnTestDB opens the store's SQLite writer handle (one connection) over a table c with rows k → 10k.
func openConnTestDB(t *testing.T) *sql.DB {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "c.db"), Options{NoGroupCommit: true})
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
	return s.db
}

// cachedQueries returns the query texts the writer's one connection has prepared, and how many of them
// are busy.
func cachedQueries(t *testing.T, db *sql.DB) (queries map[string]bool, busy int) {
	t.Helper()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	queries = map[string]bool{}
	err = conn.Raw(func(dc any) error {
		cc := dc.(*cachingConn)
		cc.mu.Lock()
		defer cc.mu.Unlock()
		if len(cc.stmts) != cc.lru.Len() {
			return fmt.Errorf("%d statements in the map, %d in the LRU list", len(cc.stmts), cc.lru.Len())
		}
		for q, cs := range cc.stmts {
			queries[q] = true
			if cs.busy {
				busy++
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return queries, busy
}

// TestConnectionCachesStatements: a query that ran once on a connection stays prepared there, inside
// and outside transactions, and answers as before.
func TestConnectionCachesStatements(t *testing.T) {
	t.Parallel()
	db := openConnTestDB(t)
	const read = `SELECT v FROM c WHERE k = ?`
	const update = `UPDATE c SET v = v + 1 WHERE k = ?`
	for i := range 5 {
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(update, 3); err != nil {
			t.Fatal(err)
		}
		var v int
		if err := tx.QueryRow(read, 3).Scan(&v); err != nil || v != 31+i {
			t.Fatalf("round %d: v = %d, %v; want %d", i, v, err, 31+i)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	queries, busy := cachedQueries(t, db)
	if !queries[read] || !queries[update] || busy != 0 {
		t.Fatalf("cached %v with %d busy; want both statements, none busy", queries, busy)
	}
}

// TestConnectionCacheNestedRows: reading rows while the same query runs again on the same connection
// (a second, unprepared copy) gives both their full answers.
func TestConnectionCacheNestedRows(t *testing.T) {
	t.Parallel()
	db := openConnTestDB(t)
	const q = `SELECT k FROM c WHERE k < ? ORDER BY k`
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	for round := range 3 {
		outer, err := tx.Query(q, 3)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for outer.Next() {
			var k int
			if err := outer.Scan(&k); err != nil {
				t.Fatal(err)
			}
			inner, err := tx.Query(q, 3)
			if err != nil {
				t.Fatal(err)
			}
			for inner.Next() {
				var j int
				if err := inner.Scan(&j); err != nil {
					t.Fatal(err)
				}
				got = append(got, fmt.Sprintf("%d%d", k, j))
			}
			if err := inner.Close(); err != nil {
				t.Fatal(err)
			}
			var v int // and the same query once more as a single row, while outer is still open
			if err := tx.QueryRow(q, 1).Scan(&v); err != nil || v != 0 {
				t.Fatalf("single row while reading: %d, %v", v, err)
			}
		}
		if err := outer.Close(); err != nil {
			t.Fatal(err)
		}
		if want := "00 01 02 10 11 12 20 21 22"; strings.Join(got, " ") != want {
			t.Fatalf("round %d: pairs %q, want %q", round, strings.Join(got, " "), want)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, busy := cachedQueries(t, db); busy != 0 {
		t.Fatalf("%d statements left busy", busy)
	}
}

// TestConnectionCacheBound: a connection keeps at most stmtsPerConn statements, dropping the least
// recently used, also one whose rows are still being read (closed once they are).
func TestConnectionCacheBound(t *testing.T) {
	t.Parallel()
	db := openConnTestDB(t)
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const first = `SELECT k FROM c ORDER BY k`
	rows, err := conn.QueryContext(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if !rows.Next() {
		t.Fatal("no first row")
	}
	for i := range stmtsPerConn + 50 {
		var v int
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT v + %d FROM c WHERE k = ?`, i), 2).Scan(&v); err != nil || v != 20+i {
			t.Fatalf("query %d: %d, %v; want %d", i, v, err, 20+i)
		}
	}
	n := 1
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil || n != 10 {
		t.Fatalf("the evicted statement's rows: %d, %v; want all 10", n, err)
	}
	conn.Close()
	queries, busy := cachedQueries(t, db)
	if len(queries) != stmtsPerConn || busy != 0 || queries[first] || !queries[fmt.Sprintf(`SELECT v + %d FROM c WHERE k = ?`, stmtsPerConn+49)] {
		t.Fatalf("%d statements cached (%d busy, first kept %v); want the %d most recent", len(queries), busy, queries[first], stmtsPerConn)
	}
}

// TestConnectionCacheErrors: a query that cannot be prepared reports its error every time and is not
// cached; a statement that fails when run stays usable.
func TestConnectionCacheErrors(t *testing.T) {
	t.Parallel()
	db := openConnTestDB(t)
	for range 3 {
		var v int
		if err := db.QueryRow(`SELECT nope FROM c`).Scan(&v); err == nil || !strings.Contains(err.Error(), "nope") {
			t.Fatalf("a bad query: %v; want its error", err)
		}
		_, err := db.Exec(`INSERT INTO c (k, v) VALUES (?, ?)`, 1, 1)
		if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Fatalf("a duplicate key: %v; want a constraint error", err)
		}
	}
	if _, err := db.Exec(`INSERT INTO c (k, v) VALUES (?, ?)`, 100, 1000); err != nil {
		t.Fatalf("the statement after its failures: %v", err)
	}
	queries, _ := cachedQueries(t, db)
	if queries[`SELECT nope FROM c`] || !queries[`INSERT INTO c (k, v) VALUES (?, ?)`] {
		t.Fatalf("cached %v", queries)
	}
}
