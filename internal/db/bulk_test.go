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
	})
}
