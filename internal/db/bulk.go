package db

import (
	"context"
	"database/sql"
	"sync"

	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/jackc/pgx/v5"
)

// Insert writes many rows into table inside tx, by the fastest path each
// engine has: COPY on PostgreSQL, multi-row INSERT statements on SQLite.
// Values are what the engine's ordinary statements take (Time, Date,
// strings, numbers, bools, nil). table and columns are written by
// programmers, never taken from input.
func Insert(ctx context.Context, tx *Tx, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	if tx.Engine == Postgres {
		uuids, err := uuidColumns(ctx, tx, table, columns)
		if err != nil {
			return fmt.Errorf("db: copy into %s: %w", table, err)
		}
		for _, r := range rows {
			for i, v := range r {
				r[i] = copyValue(v, uuids[i])
			}
		}
		_, err = tx.PgxTx().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("db: copy into %s: %w", table, err)
		}
		return nil
	}
	// SQLite binds at most 32766 parameters per statement. Positional "?"
	// placeholders, because SQLite looks "$n" names up one by one, which
	// turns a statement of thousands of parameters quadratic. Parsing such
	// a statement costs about as much as running it, so the statement for
	// a full chunk is prepared once and run for every full chunk.
	per := max(1, 4000/len(columns))
	var full *sql.Stmt
	defer func() {
		if full != nil {
			full.Close()
		}
	}()
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args := make([]any, 0, len(chunk)*len(columns))
		for _, r := range chunk {
			args = append(args, r...)
		}
		var err error
		switch {
		case full != nil && len(chunk) == per:
			_, err = full.ExecContext(ctx, args...)
		case len(rows)-start >= 2*per:
			if full, err = tx.PrepareContext(ctx, insertSQL(table, columns, len(chunk))); err == nil {
				_, err = full.ExecContext(ctx, args...)
			}
		default:
			_, err = tx.ExecContext(ctx, insertSQL(table, columns, len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("db: insert into %s: %w", table, err)
		}
	}
	return nil
}

// insertSQL is a multi-row INSERT of n rows of columns into table.
func insertSQL(table string, columns []string, n int) string {
	var b strings.Builder
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
	row := "(" + strings.Repeat("?, ", len(columns)-1) + "?)"
	b.Grow(n * (len(row) + 2))
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	return b.String()
}

// copyValue turns the values ordinary statements take into what COPY's
// binary encoding takes. A uuid column's text goes in as its 16 bytes:
// pgx encodes a string for uuid only after failing to, at the cost of an
// error message per value.
func copyValue(v any, uuidColumn bool) any {
	switch x := v.(type) {
	case string:
		if uuidColumn {
			if u, err := uuid.Parse(x); err == nil {
				return [16]byte(u)
			}
		}
	case Time:
		if x.IsZero() {
			return nil
		}
		return x.Time
	case Date:
		if x == "" {
			return nil
		}
		t, err := time.Parse(DateLayout, string(x))
		if err != nil {
			return string(x)
		}
		return t
	}
	return v
}

// InList returns the placeholders "$n+1, $n+2, ..." for values, to write
// "col IN (...)" after n other parameters, and values as arguments.
func InList[T any](values []T, n int) (string, []any) {
	var b strings.Builder
	args := make([]any, len(values))
	for i, v := range values {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString("$" + strconv.Itoa(n+i+1))
		args[i] = v
	}
	return b.String(), args
}

// Params returns n placeholders for a statement that has no others: "?"
// on SQLite, which looks "$n" names up one by one (quadratic in a long
// IN list), "$1, $2, ..." on PostgreSQL.
func (e Engine) Params(n int) string {
	if e == SQLite {
		return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
	}
	ph, _ := InList(make([]struct{}, n), 0)
	return ph
}

// uuidTypes caches, per table, the names of its uuid columns: built-in
// type OIDs are the same in every database and schema, and every schema
// of one process is migrated by the same migrations.
var uuidTypes sync.Map // table name → map[string]bool

// uuidColumns reports which of columns are of type uuid in table.
func uuidColumns(ctx context.Context, tx *Tx, table string, columns []string) ([]bool, error) {
	v, ok := uuidTypes.Load(table)
	if !ok {
		rows, err := tx.QueryContext(ctx, `SELECT attname FROM pg_attribute
			WHERE attrelid = $1::regclass AND atttypid = 'uuid'::regtype AND attnum > 0 AND NOT attisdropped`, table)
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		names := map[string]bool{}
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return nil, err
			}
			names[name] = true
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
		v, _ = uuidTypes.LoadOrStore(table, names)
	}
	names := v.(map[string]bool)
	out := make([]bool, len(columns))
	for i, c := range columns {
		out[i] = names[c]
	}
	return out, nil
}
