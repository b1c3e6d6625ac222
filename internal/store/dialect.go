package store

import (
	"errors"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5/pgconn"
	msqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect is everything that differs between the two engines. Queries are written once, in the SQL both
// accept, with '?' placeholders.
type dialect interface {
	name() string
	// rebind turns '?' placeholders into the engine's own.
	rebind(query string) string
	// forUpdate is the row-locking suffix of a SELECT inside a write transaction. SQLite needs none:
	// its write transactions start IMMEDIATE and so are serialized already.
	forUpdate() string
	// isUniqueViolation reports whether err is a unique or primary-key constraint failure.
	isUniqueViolation(err error) bool
	// serializeLock is a statement that serializes migrating processes, or "" where the write
	// transaction already does.
	serializeLock() string
}

type sqliteDialect struct{}

func (sqliteDialect) name() string               { return "sqlite" }
func (sqliteDialect) rebind(query string) string { return query }
func (sqliteDialect) forUpdate() string          { return "" }
func (sqliteDialect) serializeLock() string      { return "" }
func (sqliteDialect) isUniqueViolation(err error) bool {
	var e *msqlite.Error
	if !errors.As(err, &e) {
		return false
	}
	return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

type postgresDialect struct{}

var rebound sync.Map // query text → PostgreSQL text

func (postgresDialect) name() string      { return "postgres" }
func (postgresDialect) forUpdate() string { return " FOR UPDATE" }
func (postgresDialect) serializeLock() string {
	return "SELECT pg_advisory_xact_lock(7240151)"
}
func (postgresDialect) rebind(query string) string {
	if v, ok := rebound.Load(query); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	inString := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			inString = !inString
			b.WriteByte(c)
		case c == '?' && !inString:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	rebound.Store(query, out)
	return out
}
func (postgresDialect) isUniqueViolation(err error) bool {
	var e *pgconn.PgError
	return errors.As(err, &e) && e.Code == "23505"
}
