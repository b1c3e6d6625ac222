package store

import (
	"context"
	"database/sql"
	"sync"
)

// modernc.org/sqlite parses and plans a statement afresh on every call that is not made through a
// prepared statement; for the short queries of the API that was about a fifth of a request's CPU. The
// cache keeps one *sql.Stmt per query text and database handle: database/sql prepares it on each pooled
// connection the first time that connection runs it (Tx.StmtContext too), and modernc keeps the compiled
// statement, so a hot query is compiled once per connection instead of once per call. PostgreSQL needs
// none of this: pgx keeps its own per-connection statement cache.

// maxCachedStmts bounds a cache: queries built from filters come in many shapes, and those past the
// bound run unprepared.
const maxCachedStmts = 256

// stmtCache holds the prepared statements of one *sql.DB.
type stmtCache struct {
	db *sql.DB
	// onDemand: get prepares a missing statement at once. Otherwise (the SQLite writer, whose only
	// connection may be held by the caller's own transaction, where preparing on the database would wait
	// forever) get only records it, and prepareWanted prepares it between transactions.
	onDemand bool

	mu sync.RWMutex
	// stmts maps a query to its statement, or to nil when it could not be prepared (it then always runs
	// unprepared, which reports the error where the query runs).
	stmts  map[string]*sql.Stmt
	wanted map[string]struct{}
	closed bool
}

func newStmtCache(db *sql.DB, onDemand bool) *stmtCache {
	return &stmtCache{db: db, onDemand: onDemand, stmts: make(map[string]*sql.Stmt), wanted: make(map[string]struct{})}
}

// get returns the prepared statement for query, or nil when there is none (yet): the caller then runs
// the query unprepared.
func (c *stmtCache) get(ctx context.Context, query string) *sql.Stmt {
	c.mu.RLock()
	st, ok := c.stmts[query]
	_, asked := c.wanted[query]
	full := c.closed || len(c.stmts)+len(c.wanted) >= maxCachedStmts
	c.mu.RUnlock()
	if ok || asked || full {
		return st
	}
	if !c.onDemand {
		c.mu.Lock()
		if _, ok := c.stmts[query]; !ok && !c.closed && len(c.stmts)+len(c.wanted) < maxCachedStmts {
			c.wanted[query] = struct{}{}
		}
		c.mu.Unlock()
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.stmts[query]; ok || c.closed || len(c.stmts) >= maxCachedStmts {
		return st
	}
	c.stmts[query] = c.prepare(ctx, query)
	return c.stmts[query]
}

// prepareWanted prepares the statements get recorded. The caller must not hold a transaction of c's
// database.
func (c *stmtCache) prepareWanted(ctx context.Context) {
	c.mu.RLock()
	n := len(c.wanted)
	c.mu.RUnlock()
	if n == 0 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for query := range c.wanted {
		if !c.closed {
			c.stmts[query] = c.prepare(ctx, query)
		}
		delete(c.wanted, query)
	}
}

// prepare prepares query without the caller's deadline: the statement outlives the request that first
// needed it. It returns nil when query cannot be prepared.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	st, err := c.db.PrepareContext(context.WithoutCancel(ctx), query)
	if err != nil {
		return nil
	}
	return st
}

// close releases every statement; later calls of get find none.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, st := range c.stmts {
		if st != nil {
			_ = st.Close()
		}
	}
	clear(c.stmts)
	clear(c.wanted)
	c.closed = true
}
