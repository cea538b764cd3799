package forecast

import (
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// On SQLite the open aggregate reads the month index in the order of its
// grouping: no temporary B-tree to sort the deals (the difference between
// ~15 and ~50 ms at 200,000 deals; docs/BENCHMARKS.md).
func TestOpenAggregatePlanSQLite(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	s := NewService(d)
	q := s.queries()
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	args := append([]any{"00000000-0000-7000-8000-00000000d000"}, q.openBounds(from, from.AddDate(1, 0, 0))...)
	rows, err := d.R.Query(`EXPLAIN QUERY PLAN `+q.open+` GROUP BY `+q.openGroup, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	got := strings.Join(plan, "; ")
	if !strings.Contains(got, "deals_forecast_open_month") || strings.Contains(got, "TEMP B-TREE") {
		t.Errorf("open aggregate plan: %s", got)
	}
}
