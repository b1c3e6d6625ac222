package store

import (
	"container/list"
	"context"
	"database/sql/driver"
	"reflect"
	"sync"

	"modernc.org/sqlite"
)

// modernc.org/sqlite parses and plans every statement afresh unless it runs through a prepared statement;
// for the API's short queries that was about a fifth of a request's CPU, and River's job insert (a long
// statement it builds per call) more than half of a customer registration's. So every SQLite connection
// the store opens keeps its own small cache of prepared statements, keyed by the query text: Exec and
// Query calls of any caller (the store, River) run a cached statement when the same text ran before.
//
// A cached statement is one compiled statement, so while its rows are open (a caller still reading them)
// a second use of the same text on the same connection runs unprepared instead of resetting them.

// stmtsPerConn bounds each connection's cache (least recently used statements are closed).
const stmtsPerConn = 128

// cachingConnector opens modernc SQLite connections wrapped in cachingConn.
type cachingConnector struct{ base driver.Connector }

func newSQLiteConnector(dsn string) (cachingConnector, error) {
	base, err := sqlite.NewConnector(dsn)
	return cachingConnector{base: base}, err
}

// Connect implements driver.Connector.
func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.base.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{conn: conn.(sqliteConn), stmts: map[string]*cachedStmt{}, lru: list.New()}, nil
}

// Driver implements driver.Connector.
func (c cachingConnector) Driver() driver.Driver { return c.base.Driver() }

// sqliteConn is what modernc's connection implements and the wrapper passes through.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

type cachedStmt struct {
	query string
	stmt  driver.Stmt
	// busy: rows of this statement are open; evicted: it left the cache and closes when they are.
	busy, evicted bool
	elem          *list.Element
}

// cachingConn is a modernc connection with a cache of prepared statements. database/sql uses a
// connection from one goroutine at a time; the mutex covers rows closed from another (cancellation).
type cachingConn struct {
	conn  sqliteConn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
	lru   *list.List // front: most recently used
}

// acquire returns the cached statement for query, marked busy, preparing it on first use; nil when it is
// busy already or cannot be prepared (the caller then runs query unprepared, which reports any error).
func (c *cachingConn) acquire(ctx context.Context, query string) *cachedStmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cs, ok := c.stmts[query]; ok {
		if cs.busy {
			return nil
		}
		cs.busy = true
		c.lru.MoveToFront(cs.elem)
		return cs
	}
	st, err := c.conn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	cs := &cachedStmt{query: query, stmt: st, busy: true}
	cs.elem = c.lru.PushFront(cs)
	c.stmts[query] = cs
	for c.lru.Len() > stmtsPerConn {
		old := c.lru.Remove(c.lru.Back()).(*cachedStmt)
		delete(c.stmts, old.query)
		old.evicted = true
		if !old.busy {
			_ = old.stmt.Close()
		}
	}
	return cs
}

// release marks cs free again (closing it if it was evicted meanwhile).
func (c *cachingConn) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.busy = false
	if cs.evicted {
		_ = cs.stmt.Close()
	}
}

// ExecContext implements driver.ExecerContext.
func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs := c.acquire(ctx, query)
	if cs == nil {
		return c.conn.ExecContext(ctx, query, args)
	}
	defer c.release(cs)
	return cs.stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

// QueryContext implements driver.QueryerContext.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs := c.acquire(ctx, query)
	if cs == nil {
		return c.conn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.release(cs)
		return nil, err
	}
	return &cachedRows{rows: rows.(sqliteRows), c: c, cs: cs}, nil
}

// Close closes the cached statements, then the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	for _, cs := range c.stmts {
		_ = cs.stmt.Close()
	}
	clear(c.stmts)
	c.lru.Init()
	c.mu.Unlock()
	return c.conn.Close()
}

// Prepare implements driver.Conn (explicitly prepared statements are the caller's, not cached).
func (c *cachingConn) Prepare(query string) (driver.Stmt, error) { return c.conn.Prepare(query) }

// PrepareContext implements driver.ConnPrepareContext.
func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn.PrepareContext(ctx, query)
}

// Begin implements driver.Conn; database/sql calls BeginTx instead.
func (c *cachingConn) Begin() (driver.Tx, error) {
	return c.conn.BeginTx(context.Background(), driver.TxOptions{})
}

// BeginTx implements driver.ConnBeginTx.
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn.BeginTx(ctx, opts)
}

// Ping implements driver.Pinger.
func (c *cachingConn) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

// ResetSession implements driver.SessionResetter.
func (c *cachingConn) ResetSession(ctx context.Context) error { return c.conn.ResetSession(ctx) }

// IsValid implements driver.Validator.
func (c *cachingConn) IsValid() bool { return c.conn.IsValid() }

// sqliteRows is what modernc's rows implement and cachedRows passes through.
type sqliteRows interface {
	driver.Rows
	driver.RowsColumnTypeDatabaseTypeName
	driver.RowsColumnTypeLength
	driver.RowsColumnTypeNullable
	driver.RowsColumnTypePrecisionScale
	driver.RowsColumnTypeScanType
}

// cachedRows are the rows of a cached statement; closing them frees the statement.
type cachedRows struct {
	rows   sqliteRows
	c      *cachingConn
	cs     *cachedStmt
	closed bool
}

func (r *cachedRows) Columns() []string              { return r.rows.Columns() }
func (r *cachedRows) Next(dest []driver.Value) error { return r.rows.Next(dest) }

func (r *cachedRows) Close() error {
	err := r.rows.Close()
	if !r.closed {
		r.closed = true
		r.c.release(r.cs)
	}
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	return r.rows.ColumnTypeDatabaseTypeName(i)
}
func (r *cachedRows) ColumnTypeLength(i int) (int64, bool)  { return r.rows.ColumnTypeLength(i) }
func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) { return r.rows.ColumnTypeNullable(i) }
func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	return r.rows.ColumnTypePrecisionScale(i)
}
func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type { return r.rows.ColumnTypeScanType(i) }
