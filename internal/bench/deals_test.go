package bench_test

import (
	"context"
	"testing"

	"github.com/rapportcrm/rapport/internal/bench"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// TestGenerateDeals checks the deal data set on both engines: the counts
// asked for, the board's eight columns served in rank order by the real
// service, every deal's stays ending where the deal is, and the column
// totals equal to a sum computed here from the rows.
func TestGenerateDeals(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		set, err := bench.GenerateDeals(context.Background(), d, bench.DealOptions{Deals: 25_000, Seed: 7})
		if err != nil {
			t.Fatal(err)
		}
		var deals, open int
		d.R.QueryRow(`SELECT COUNT(*), SUM(CASE WHEN status = 'open' THEN 1 ELSE 0 END) FROM deals`).Scan(&deals, &open)
		if deals != 25_000 || set.Deals != deals || len(set.Pipelines) != 3 || len(set.Stages) != bench.BoardStages {
			t.Fatalf("set %+v, %d deals in the table", set, deals)
		}
		if open < 16_000 || open > 19_000 {
			t.Errorf("%d open deals, want about 70%%", open)
		}
		// Each deal's last stay is in its stage, open exactly when the deal is.
		var bad int
		d.R.QueryRow(`SELECT COUNT(*) FROM deals d WHERE NOT EXISTS (SELECT 1 FROM deal_stage_history h
			WHERE h.deal_id = d.id AND h.stage_id = d.stage_id AND ((h.left_at IS NULL) = (d.status = 'open')))`).Scan(&bad)
		if bad != 0 {
			t.Errorf("%d deals whose history does not end in their stage", bad)
		}
		svc := deal.NewService(d, nil, nil, nil)
		b, err := svc.Board(ctx, deal.BoardQuery{PipelineID: set.Board})
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range b.Columns {
			var n int
			var sum int64
			d.R.QueryRow(`SELECT COUNT(*), COALESCE(SUM(amount), 0) FROM deals WHERE stage_id = $1 AND status = 'open'`,
				set.Stages[i]).Scan(&n, &sum)
			if c.Count != n || len(c.Totals) != 1 || c.Totals[0].Amount != sum || len(c.Cards) != 50 || !c.More {
				t.Errorf("column %d: count %d totals %+v cards %d, want %d deals summing %d, 50 cards and more", i, c.Count, c.Totals, len(c.Cards), n, sum)
			}
			for j := 1; j < len(c.Cards); j++ {
				if c.Cards[j-1].Rank >= c.Cards[j].Rank {
					t.Fatalf("column %d: ranks out of order at %d", i, j)
				}
			}
		}
	})
}
