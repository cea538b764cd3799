package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/id"
)

// DealOptions size the deal data set.
type DealOptions struct {
	// Deals is how many deals to write across the pipelines.
	Deals int
	// Seed makes the data set the same on every run.
	Seed uint64
	// Progress, when set, is told how many deals are written.
	Progress func(done, total int)
}

// DealSet is what GenerateDeals wrote: the benchmarked pipeline and its
// stages first, the other pipelines after.
type DealSet struct {
	Pipelines []string
	// Board is the pipeline with BoardStages stages the kanban benchmark
	// reads; it holds 60% of the deals.
	Board  string
	Stages []string
	// Deals and History count the rows written.
	Deals, History int
	// From and To bound the expected close dates (twelve months each side
	// of the run), for a forecast benchmark.
	From, To time.Time
}

// BoardStages is the number of columns of the benchmarked board.
const BoardStages = 8

// dealChunk is how many deals go in one transaction.
const dealChunk = 10_000

// GenerateDeals writes o.Deals deals in three pipelines (the benchmarked
// one with eight stages, two of five), with owners among the users,
// companies among the first 5,000, amounts from 500 to 200,000 EUR, close
// dates over two years, 70% open, 20% won and 10% lost, and each deal's
// stays in the stages it went through (deal_stage_history), by the fastest
// path each engine has (multi-row INSERT on SQLite, COPY on PostgreSQL).
// The default "Sales" pipeline of a fresh install stays, empty.
func GenerateDeals(ctx context.Context, d *db.DB, o DealOptions) (DealSet, error) {
	r := rand.New(rand.NewPCG(o.Seed, 0xdea1))
	now := db.Now()
	set := DealSet{From: now.AddDate(-1, 0, 0), To: now.AddDate(1, 0, 0)}
	owners, err := ids(ctx, d, `SELECT id FROM users ORDER BY id`)
	if err != nil {
		return set, err
	}
	if len(owners) == 0 {
		return set, fmt.Errorf("bench: deals need users to own them")
	}
	companies, err := ids(ctx, d, `SELECT id FROM companies WHERE deleted_at IS NULL ORDER BY id LIMIT 5000`)
	if err != nil {
		return set, err
	}
	type stage struct {
		id, pipeline string
		probability  int
	}
	var stages [][]stage
	err = d.WithTx(ctx, func(tx *db.Tx) error {
		for i, n := range []int{BoardStages, 5, 5} {
			pid := id.New()
			name := []string{"Enterprise", "Partners", "Renewals"}[i]
			if _, err := tx.ExecContext(ctx, `INSERT INTO pipelines (id, name, position, currency, created_at, updated_at)
				VALUES ($1, $2, $3, 'EUR', $4, $4)`, pid, name, i+1, db.T(now)); err != nil {
				return err
			}
			set.Pipelines = append(set.Pipelines, pid)
			var list []stage
			for j := range n {
				st := stage{id: id.New(), pipeline: pid, probability: (j + 1) * 100 / (n + 1)}
				if _, err := tx.ExecContext(ctx, `INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability,
					created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)`, st.id, pid, fmt.Sprintf("Stage %d", j+1), j,
					st.probability, db.T(now)); err != nil {
					return err
				}
				list = append(list, st)
			}
			stages = append(stages, list)
		}
		return nil
	})
	if err != nil {
		return set, fmt.Errorf("bench: pipelines: %w", err)
	}
	set.Board = set.Pipelines[0]
	for _, st := range stages[0] {
		set.Stages = append(set.Stages, st.id)
	}
	dealCols := []string{"id", "name", "pipeline_id", "stage_id", "amount", "currency", "close_date", "status", "lost_reason",
		"closed_at", "stage_entered_at", "rank", "owner_id", "company_id", "custom", "version", "moved_version", "moved_at",
		"created_at", "updated_at"}
	histCols := []string{"id", "deal_id", "pipeline_id", "stage_id", "entered_at", "left_at", "entered_by"}
	seq := map[string]int{}
	for start := 0; start < o.Deals; start += dealChunk {
		n := min(dealChunk, o.Deals-start)
		var deals, hist [][]any
		for k := range n {
			i := start + k
			p := 0
			switch x := r.IntN(10); {
			case x >= 8:
				p = 2
			case x >= 6:
				p = 1
			}
			list := stages[p]
			at := r.IntN(len(list))
			st := list[at]
			status, reason, closed := deal.Open, "", db.Time{}
			switch x := r.IntN(10); {
			case x == 9:
				status, reason = deal.Lost, "Went with a competitor"
			case x >= 7:
				status = deal.Won
			}
			dealID := id.New()
			created := now.Add(-time.Duration(r.IntN(365*24)) * time.Hour)
			entered := created
			owner := owners[r.IntN(len(owners))]
			// Stays in the stages before the current one, a few days each.
			for j := 0; j <= at; j++ {
				left := entered.Add(time.Duration(1+r.IntN(20*24)) * time.Hour)
				if left.After(now) {
					left = now
				}
				row := []any{id.New(), dealID, list[j].pipeline, list[j].id, db.T(entered), db.T(left), owner}
				if j == at {
					if status == deal.Open {
						row[5] = nil
					} else {
						closed = db.T(left)
					}
				}
				hist = append(hist, row)
				if j < at {
					entered = left
				}
			}
			var company any
			if len(companies) > 0 && r.IntN(4) > 0 {
				company = companies[r.IntN(len(companies))]
			}
			rank := ""
			if status == deal.Open {
				seq[st.id]++
				rank = deal.SeqRank(seq[st.id])
			}
			closeDate := now.AddDate(0, 0, r.IntN(730)-365).Format(db.DateLayout)
			deals = append(deals, []any{dealID, fmt.Sprintf("Deal %d", i+1), st.pipeline, st.id,
				int64(500+r.IntN(199_500)) * 100, "EUR", db.Date(closeDate), status, reason, closed, db.T(entered), rank,
				owner, company, "{}", 1, 1, db.T(entered), db.T(created), db.T(entered)})
		}
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			if err := db.Insert(ctx, tx, "deals", dealCols, deals); err != nil {
				return err
			}
			return db.Insert(ctx, tx, "deal_stage_history", histCols, hist)
		})
		if err != nil {
			return set, fmt.Errorf("bench: deals: %w", err)
		}
		set.Deals += len(deals)
		set.History += len(hist)
		if o.Progress != nil {
			o.Progress(set.Deals, o.Deals)
		}
	}
	// VACUUM on PostgreSQL sets the visibility map, so the board's totals
	// are an index-only scan as they would be on a database in use.
	analyze := "ANALYZE "
	if d.Engine == db.Postgres {
		analyze = "VACUUM ANALYZE "
	}
	for _, t := range []string{"deals", "deal_stage_history", "pipeline_stages"} {
		if _, err := d.W.ExecContext(ctx, analyze+t); err != nil {
			return set, err
		}
	}
	return set, nil
}

func ids(ctx context.Context, d *db.DB, q string) ([]string, error) {
	rows, err := d.R.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
