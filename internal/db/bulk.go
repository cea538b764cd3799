package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

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
		for _, r := range rows {
			for i, v := range r {
				r[i] = copyValue(v)
			}
		}
		_, err := tx.PgxTx().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		if err != nil {
			return fmt.Errorf("db: copy into %s: %w", table, err)
		}
		return nil
	}
	// SQLite binds at most 32766 parameters per statement. Positional "?"
	// placeholders, because SQLite looks "$n" names up one by one, which
	// turns a statement of thousands of parameters quadratic.
	per := max(1, 4000/len(columns))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		var b strings.Builder
		b.WriteString("INSERT INTO " + table + " (" + strings.Join(columns, ", ") + ") VALUES ")
		args := make([]any, 0, len(chunk)*len(columns))
		for i, r := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteByte('(')
			for j, v := range r {
				if j > 0 {
					b.WriteString(", ")
				}
				args = append(args, v)
				b.WriteByte('?')
			}
			b.WriteByte(')')
		}
		if _, err := tx.ExecContext(ctx, b.String(), args...); err != nil {
			return fmt.Errorf("db: insert into %s: %w", table, err)
		}
	}
	return nil
}

// copyValue turns the values ordinary statements take into what COPY's
// binary encoding takes.
func copyValue(v any) any {
	switch x := v.(type) {
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
