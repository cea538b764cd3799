package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"reflect"
	"sync"
)

// SQLite parses a query each time it runs unless the statement is kept:
// a list page's eight short queries spent about a tenth of their time in
// the parser. The read pool therefore keeps each connection's prepared
// statements by their text (stmtCacheSize per connection) and runs a
// query again on its statement. PostgreSQL needs none of this: pgx keeps
// its own statement cache.
//
// A statement serves one result set at a time: while its rows are open a
// second query with the same text (a nested loop in a transaction) is
// prepared afresh, as before. SQLite re-prepares a kept statement by
// itself when the schema changes.

// stmtCacheSize bounds the statements one read connection keeps; list
// queries vary with their filter, so the cache is cleared when full.
const stmtCacheSize = 128

// openCachingSQLite opens a pool on dsn whose connections keep statements.
func openCachingSQLite(dsn string) (*sql.DB, error) {
	probe, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	probe.Close()
	return sql.OpenDB(&cachingConnector{drv: drv, dsn: dsn}), nil
}

type cachingConnector struct {
	drv driver.Driver
	dsn string
}

func (c *cachingConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.drv.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

func (c *cachingConnector) Driver() driver.Driver { return c.drv }

// cachingConn is one SQLite connection with its kept statements. database/sql
// uses a connection from one goroutine at a time, but rows may be closed
// from another, so the map is guarded.
type cachingConn struct {
	driver.Conn
	mu    sync.Mutex
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt    driver.Stmt
	busy    bool // its rows are open
	evicted bool // dropped from the map while busy: close when released
}

// QueryContext runs query on its kept statement, preparing it the first time.
func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.mu.Lock()
	cs := c.stmts[query]
	if cs != nil && cs.busy {
		c.mu.Unlock()
		return c.queryOnce(ctx, query, args)
	}
	if cs == nil {
		c.mu.Unlock()
		st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		cs = &cachedStmt{stmt: st}
		c.mu.Lock()
		if len(c.stmts) >= stmtCacheSize {
			c.evictLocked()
		}
		c.stmts[query] = cs
	}
	cs.busy = true
	c.mu.Unlock()
	rows, err := cs.stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		c.release(cs)
		return nil, err
	}
	return &cachedRows{Rows: rows, release: func() { c.release(cs) }}, nil
}

// queryOnce runs query without keeping its statement.
func (c *cachingConn) queryOnce(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *cachingConn) release(cs *cachedStmt) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs.busy = false
	if cs.evicted {
		cs.stmt.Close()
	}
}

// evictLocked drops every kept statement; busy ones close when released.
func (c *cachingConn) evictLocked() {
	for q, cs := range c.stmts {
		if cs.busy {
			cs.evicted = true
		} else {
			cs.stmt.Close()
		}
		delete(c.stmts, q)
	}
}

// Close closes the kept statements, then the connection.
func (c *cachingConn) Close() error {
	c.mu.Lock()
	c.evictLocked()
	c.mu.Unlock()
	return c.Conn.Close()
}

// The rest passes through to the SQLite connection.

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c *cachingConn) IsValid() bool { return c.Conn.(driver.Validator).IsValid() }

// cachedRows hands the statement back when closed and passes the column
// type questions through, answering as database/sql does for a driver
// that cannot tell when the rows cannot.
type cachedRows struct {
	driver.Rows
	once    sync.Once
	release func()
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.once.Do(r.release)
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if x, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return x.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeLength(i int) (int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeLength); ok {
		return x.ColumnTypeLength(i)
	}
	return 0, false
}

func (r *cachedRows) ColumnTypeNullable(i int) (bool, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return x.ColumnTypeNullable(i)
	}
	return false, false
}

func (r *cachedRows) ColumnTypePrecisionScale(i int) (int64, int64, bool) {
	if x, ok := r.Rows.(driver.RowsColumnTypePrecisionScale); ok {
		return x.ColumnTypePrecisionScale(i)
	}
	return 0, 0, false
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if x, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return x.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}
