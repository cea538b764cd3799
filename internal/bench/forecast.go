package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/forecast"
)

// The forecast benchmark: the 12-month forecast of the deals data set's
// board pipeline (GenerateDeals, shared with the kanban benchmark) through
// the forecast service against the plain SQL of the same two aggregates.

// forecast measures the 12-month forecast of the board pipeline (60% of
// the deals).
func (e *env) forecast() error {
	set, err := e.deals()
	if err != nil {
		return err
	}
	ds := struct {
		PipelineID string
		Deals      int
	}{PipelineID: set.Board}
	if err := e.d.R.QueryRowContext(e.ctx, `SELECT COUNT(*) FROM deals WHERE pipeline_id = $1 AND deleted_at IS NULL`,
		ds.PipelineID).Scan(&ds.Deals); err != nil {
		return err
	}
	svc := forecast.NewService(e.d)
	now := time.Now().UTC()
	from := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	to := from.AddDate(0, 12, 0)
	req := forecast.Request{PipelineID: ds.PipelineID, From: from.Format("2006-01"), Months: 12}
	got := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		_, err := svc.Forecast(ctx, req)
		return err
	})
	closeMonth, closedMonth := "substr(d.close_date, 1, 7)", "substr(d.closed_at, 1, 7)"
	if e.d.Engine == db.Postgres {
		closeMonth, closedMonth = "to_char(d.close_date, 'YYYY-MM')", "to_char(d.closed_at AT TIME ZONE 'UTC', 'YYYY-MM')"
	}
	// The same two aggregates by plain SQL, read from the same covering
	// indexes; the service adds the probabilities, owners' names, totals
	// and the per-currency split in Go.
	open := `SELECT ` + closeMonth + `, d.owner_id, d.currency, d.stage_id, SUM(d.amount), COUNT(*)
		FROM deals d WHERE d.pipeline_id = $1 AND d.deleted_at IS NULL AND d.status = 'open'
		AND d.close_date >= $2 AND d.close_date < $3 GROUP BY 1, 2, 3, 4`
	closed := `SELECT ` + closedMonth + `, d.owner_id, d.currency, d.status, SUM(d.amount), COUNT(*)
		FROM deals d WHERE d.pipeline_id = $1 AND d.deleted_at IS NULL AND d.closed_at IS NOT NULL
		AND d.status IN ('won', 'lost') AND d.closed_at >= $2 AND d.closed_at < $3 GROUP BY 1, 2, 3, 4`
	openFrom, openTo := any(db.Date(from.Format(db.DateLayout))), any(db.Date(to.Format(db.DateLayout)))
	if e.d.Engine == db.SQLite {
		// SQLite's forecast reads the month index (migration 00017): the
		// same bounds on the month and grouping by its columns.
		open = `SELECT substr(d.close_date, 1, 7), d.owner_id, d.currency, d.stage_id, SUM(d.amount), COUNT(*)
			FROM deals d WHERE d.pipeline_id = $1 AND d.deleted_at IS NULL AND d.status = 'open'
			AND substr(d.close_date, 1, 7) >= $2 AND substr(d.close_date, 1, 7) < $3
			GROUP BY substr(d.close_date, 1, 7), d.owner_id, d.currency, d.stage_id`
		openFrom, openTo = from.Format("2006-01"), to.Format("2006-01")
	}
	base := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		if _, err := e.plainRows(ctx, open, ds.PipelineID, openFrom, openTo); err != nil {
			return err
		}
		_, err := e.plainRows(ctx, closed, ds.PipelineID, db.T(from), db.T(to))
		return err
	})
	e.add(Result{Samples: got.N, BaseSamples: base.N, Operation: fmt.Sprintf("forecast, 12 months, pipeline of %d deals", ds.Deals),
		Baseline: "plain SQL, same aggregates", Unit: "ms p95", Value: ms(got.P95), Base: ms(base.P95),
		Target: "p95 under 200 ms", Met: got.P95 < 200*time.Millisecond,
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(got.P50), ms(base.P50))})
	return nil
}
