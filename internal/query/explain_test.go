package query_test

import (
	"context"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/query"
)

// explain returns the engine's plan for q. On PostgreSQL sequential scans
// are switched off for the transaction: on a 300-row table the planner
// would rightly prefer them, and the test is about whether the index can
// serve the query at all.
func explain(t *testing.T, d *db.DB, q string, args []any) string {
	t.Helper()
	var plan strings.Builder
	err := d.WithTx(context.Background(), func(tx *db.Tx) error {
		prefix := "EXPLAIN QUERY PLAN "
		if d.Engine == db.Postgres {
			prefix = "EXPLAIN "
			if _, err := tx.Exec("SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		rows, err := tx.Query(prefix+q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			if s, ok := vals[len(vals)-1].(string); ok {
				plan.WriteString(s + "\n")
			}
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, q)
	}
	return plan.String()
}

func TestPlansUseIndexes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		createTables(t, d)
		insert(t, d, crowd(300))
		s := contactSchema(t)
		// Indexes made the way the custom-field package makes them: from
		// CustomExpr with no alias, alone or followed by the id.
		for _, ix := range []struct{ name, key, cols string }{
			{"qt_cf_plan", "plan", "%s"},
			{"qt_cf_seats", "seats", "%s, id"},
		} {
			f, _ := s.Field("cf." + ix.key)
			expr, err := query.CustomExpr(d.Engine, "", f.Custom, f.Type)
			if err != nil {
				t.Fatal(err)
			}
			stmt := "CREATE INDEX " + ix.name + " ON qt_contacts (" + strings.Replace(ix.cols, "%s", expr, 1) + ")"
			if _, err := d.W.Exec(stmt); err != nil {
				t.Fatalf("%s: %v", stmt, err)
			}
		}
		if _, err := d.W.Exec("ANALYZE"); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name, index string
			filter      query.Group
		}{
			{"select equals", "qt_cf_plan", all(cond("cf.plan", query.Is, "enterprise"))},
			{"number range", "qt_cf_seats", all(cond("cf.seats", query.GT, "18"))},
		} {
			t.Run(tc.name, func(t *testing.T) {
				where, args, err := query.Compile(query.Options{Engine: d.Engine, Schema: s}, tc.filter)
				if err != nil {
					t.Fatal(err)
				}
				plan := explain(t, d, "SELECT c.id FROM qt_contacts c WHERE "+where, args)
				if !usesIndex(d.Engine, plan, tc.index) {
					t.Errorf("plan does not search %s:\n%s", tc.index, plan)
				}
			})
		}

		t.Run("keyset page on sort_name", func(t *testing.T) {
			_, cs := fetch(t, d, s, query.Request{Sort: query.ParseSort("sort_name")})
			p, err := query.Paginate(query.Options{Engine: d.Engine, Schema: s},
				query.Request{Sort: query.ParseSort("sort_name"), Cursor: cs.Next})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.Where, "(c.sort_name, c.id) > ($1, $2)") {
				t.Errorf("keyset condition is not the row-value form: %s", p.Where)
			}
			plan := explain(t, d, "SELECT c.id, "+p.SortExpr+" FROM qt_contacts c WHERE c.deleted_at IS NULL"+p.Tail(), p.Args)
			if !usesIndex(d.Engine, plan, "qt_contacts_sort") {
				t.Errorf("plan does not search qt_contacts_sort:\n%s", plan)
			}
			// The index gives the order: no sort step.
			if strings.Contains(plan, "TEMP B-TREE") || strings.Contains(plan, "Sort Key") {
				t.Errorf("plan sorts instead of reading the index in order:\n%s", plan)
			}
		})
	})
}

// usesIndex reports whether plan looks a range up in index rather than
// scanning all of it (SQLite will scan a covering index whose expression
// does not match the query's).
func usesIndex(e db.Engine, plan, index string) bool {
	if e == db.Postgres {
		return strings.Contains(plan, " "+index+" ") && strings.Contains(plan, "Index Cond")
	}
	return strings.Contains(plan, "SEARCH c USING INDEX "+index+" (") ||
		strings.Contains(plan, "SEARCH c USING COVERING INDEX "+index+" (")
}
