package db_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func TestInsert(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		var rows [][]any
		for i := range 2500 {
			rows = append(rows, []any{id.New(), db.T(db.Now()), fmt.Sprintf("kind%d", i%3), "contact", id.New(), `{"n":1}`, nil})
		}
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			return db.Insert(ctx, tx, "events", []string{"id", "occurred_at", "kind", "subject_type", "subject_id", "data", "actor_id"}, rows)
		})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE kind = 'kind1'`).Scan(&n); err != nil || n != 833 {
			t.Errorf("count = %d, %v; want 833", n, err)
		}
		// 2,500 rows are four full chunks of one prepared statement and a
		// shorter one: every row must be there once, in its own values.
		for _, i := range []int{0, 570, 571, 2283, 2284, 2499} {
			var kind string
			err := d.R.QueryRow(`SELECT kind FROM events WHERE id = $1`, rows[i][0]).Scan(&kind)
			if want := fmt.Sprintf("kind%d", i%3); err != nil || kind != want {
				t.Errorf("row %d: kind = %q, %v; want %q", i, kind, err, want)
			}
		}
		if err := d.R.QueryRow(`SELECT COUNT(DISTINCT subject_id) FROM events`).Scan(&n); err != nil || n != 2500 {
			t.Errorf("distinct subjects = %d, %v; want 2500", n, err)
		}
	})
}
