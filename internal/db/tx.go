package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Tx is a write transaction. It embeds *sql.Tx for the application's SQL
// and, on PostgreSQL, also exposes the same connection as a pgx.Tx so the
// job queue can enqueue inside the very same transaction.
type Tx struct {
	*sql.Tx
	Engine Engine
	pgc    *pgx.Conn
}

// PgxTx returns the transaction as a pgx.Tx on PostgreSQL, nil on SQLite.
// Begin on it makes a SAVEPOINT; Commit and Rollback of the outer value are
// refused because database/sql owns the transaction.
func (tx *Tx) PgxTx() pgx.Tx {
	if tx.pgc == nil {
		return nil
	}
	return &pgxTx{conn: tx.pgc}
}

// WithTx runs fn in a write transaction and commits when fn returns nil.
// Any error or panic rolls everything back.
func (d *DB) WithTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	conn, err := d.W.Conn(ctx)
	if err != nil {
		return fmt.Errorf("db: take connection: %w", err)
	}
	defer conn.Close()
	t := &Tx{Engine: d.Engine}
	if d.Engine == Postgres {
		// The pgx connection is used only while conn is held by this
		// function, which is what makes taking it out of Raw safe.
		err = conn.Raw(func(dc any) error {
			sc, ok := dc.(*stdlib.Conn)
			if !ok {
				return fmt.Errorf("db: unexpected driver connection %T", dc)
			}
			t.pgc = sc.Conn()
			return nil
		})
		if err != nil {
			return err
		}
	}
	sqlTx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("db: begin: %w", err)
	}
	t.Tx = sqlTx
	defer func() {
		if p := recover(); p != nil {
			sqlTx.Rollback()
			panic(p)
		}
		if err != nil {
			sqlTx.Rollback()
			return
		}
		if cerr := sqlTx.Commit(); cerr != nil {
			err = fmt.Errorf("db: commit: %w", cerr)
		}
	}()
	return fn(t)
}

// pgxTx presents a connection that is inside a database/sql transaction as
// a pgx.Tx. Nested Begin calls become savepoints.
type pgxTx struct {
	conn  *pgx.Conn
	depth int
	name  string // savepoint name; empty for the outer transaction
	done  bool
}

var errOuterTx = errors.New("db: the outer transaction is committed by database/sql")

func (t *pgxTx) Begin(ctx context.Context) (pgx.Tx, error) {
	name := fmt.Sprintf("rapport_sp_%d", t.depth+1)
	if _, err := t.conn.Exec(ctx, "SAVEPOINT "+name); err != nil {
		return nil, err
	}
	return &pgxTx{conn: t.conn, depth: t.depth + 1, name: name}, nil
}

func (t *pgxTx) Commit(ctx context.Context) error {
	if t.name == "" {
		return errOuterTx
	}
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	_, err := t.conn.Exec(ctx, "RELEASE SAVEPOINT "+t.name)
	return err
}

func (t *pgxTx) Rollback(ctx context.Context) error {
	if t.name == "" {
		return errOuterTx
	}
	if t.done {
		return pgx.ErrTxClosed
	}
	t.done = true
	_, err := t.conn.Exec(ctx, "ROLLBACK TO SAVEPOINT "+t.name)
	return err
}

func (t *pgxTx) CopyFrom(ctx context.Context, table pgx.Identifier, cols []string, src pgx.CopyFromSource) (int64, error) {
	return t.conn.CopyFrom(ctx, table, cols, src)
}

func (t *pgxTx) SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults {
	return t.conn.SendBatch(ctx, b)
}

func (t *pgxTx) LargeObjects() pgx.LargeObjects { return pgx.LargeObjects{} }

func (t *pgxTx) Prepare(ctx context.Context, name, sql string) (*pgconn.StatementDescription, error) {
	return t.conn.Prepare(ctx, name, sql)
}

func (t *pgxTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return t.conn.Exec(ctx, sql, args...)
}

func (t *pgxTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return t.conn.Query(ctx, sql, args...)
}

func (t *pgxTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	return t.conn.QueryRow(ctx, sql, args...)
}

func (t *pgxTx) Conn() *pgx.Conn { return t.conn }
