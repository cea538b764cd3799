package export

import (
	"context"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// TestDumpCoversSchema fails when a migration adds a table or a column
// that the dump neither writes nor names as left out on purpose: a dump
// that silently drops new data would not reproduce the database.
func TestDumpCoversSchema(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_fts%'`
		if d.Engine == db.Postgres {
			q = `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`
		}
		names := strings1(t, d, q)
		for _, name := range names {
			i := slices.IndexFunc(tables, func(t table) bool { return t.name == name })
			if i < 0 {
				if _, ok := notDumped[name]; !ok {
					t.Errorf("table %s is neither dumped nor named in notDumped", name)
				}
				continue
			}
			cq := `SELECT name FROM pragma_table_info('` + name + `')`
			if d.Engine == db.Postgres {
				cq = `SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '` + name + `'`
			}
			cols := strings1(t, d, cq)
			for _, c := range cols {
				if !slices.ContainsFunc(tables[i].cols, func(x col) bool { return x.name == c }) && !slices.Contains(tables[i].omitted, c) {
					t.Errorf("column %s.%s is neither dumped nor omitted on purpose", name, c)
				}
			}
			for _, c := range tables[i].cols {
				if !slices.Contains(cols, c.name) {
					t.Errorf("the dump reads %s.%s, which the table lacks", name, c.name)
				}
			}
		}
		for _, tb := range tables {
			if !slices.Contains(names, tb.name) {
				t.Errorf("the dump reads table %s, which the schema lacks", tb.name)
			}
		}
	})
}

func strings1(t *testing.T, d *db.DB, q string) []string {
	t.Helper()
	rows, err := d.R.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

func TestAppendString(t *testing.T) {
	for in, want := range map[string]string{
		"plain":          `"plain"`,
		`quote " back \`: `"quote \" back \\"`,
		"tab\tnl\ncr\r":  `"tab\tnl\ncr\r"`,
		"<b>&</b>":       `"<b>&</b>"`,
		"ctl\x01":        `"ctl\u0001"`,
		"bad \xff utf8":  "\"bad \ufffd utf8\"",
		"émoji 😀 عربى":   `"émoji 😀 عربى"`,
		"line\u2028sep":  `"line\u2028sep"`,
	} {
		if got := string(appendString(nil, in)); got != want {
			t.Errorf("appendString(%q) = %s, want %s", in, got, want)
		}
	}
}
