package db

import (
	"context"
	"path/filepath"
	"strconv"
	"testing"
)

// TestStmtCache runs the same query text again, nested while its first
// rows are open, and after a schema change, on the SQLite read pool.
func TestStmtCache(t *testing.T) {
	ctx := context.Background()
	d, err := Open(ctx, Source{Engine: SQLite, Path: filepath.Join(t.TempDir(), "c.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, err := d.W.ExecContext(ctx, `CREATE TABLE t (n INTEGER)`); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		if _, err := d.W.ExecContext(ctx, `INSERT INTO t (n) VALUES ($1)`, i); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT n FROM t WHERE n >= $1 ORDER BY n`
	sum := func(from int) int {
		rows, err := d.R.QueryContext(ctx, q, from)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		s := 0
		for rows.Next() {
			var n int
			if err := rows.Scan(&n); err != nil {
				t.Fatal(err)
			}
			s += n
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for range 3 {
		if got := sum(2); got != 5 {
			t.Fatalf("sum from 2 = %d, want 5", got)
		}
	}
	// The statement is kept: the pool has one idle connection that ran it.
	conn, err := d.R.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	conn.Raw(func(dc any) error {
		c, ok := dc.(*cachingConn)
		if !ok {
			t.Fatalf("read connection is a %T, want *cachingConn", dc)
		}
		if cs := c.stmts[q]; cs == nil || cs.busy {
			t.Errorf("kept statement for the query: %+v", cs)
		}
		return nil
	})
	conn.Close()
	// Nested: one connection, the same text while the outer rows are open.
	tx, err := d.R.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := tx.QueryContext(ctx, q, 1)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for outer.Next() {
		var n int
		if err := outer.Scan(&n); err != nil {
			t.Fatal(err)
		}
		inner, err := tx.QueryContext(ctx, q, n)
		if err != nil {
			t.Fatal(err)
		}
		for inner.Next() {
			var m int
			inner.Scan(&m)
			total += m
		}
		inner.Close()
	}
	outer.Close()
	tx.Rollback()
	if total != 6+5+3 {
		t.Errorf("nested sums = %d, want 14", total)
	}
	// A kept statement sees a changed table.
	if _, err := d.W.ExecContext(ctx, `ALTER TABLE t ADD COLUMN x INTEGER NOT NULL DEFAULT 7`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.W.ExecContext(ctx, `INSERT INTO t (n) VALUES (4)`); err != nil {
		t.Fatal(err)
	}
	if got := sum(2); got != 9 {
		t.Errorf("after the change, sum from 2 = %d, want 9", got)
	}
	var x int
	if err := d.R.QueryRowContext(ctx, `SELECT x FROM t WHERE n = $1`, 4).Scan(&x); err != nil || x != 7 {
		t.Errorf("new column: %d, %v", x, err)
	}
	// More texts than the cache holds.
	for i := range stmtCacheSize + 5 {
		var n int
		if err := d.R.QueryRowContext(ctx, `SELECT n FROM t WHERE n = $1 AND `+strconv.Itoa(i)+` = `+strconv.Itoa(i), 1).Scan(&n); err != nil || n != 1 {
			t.Fatalf("query %d: %d, %v", i, n, err)
		}
	}
	if got := sum(1); got != 10 {
		t.Errorf("after eviction, sum = %d, want 10", got)
	}
}
