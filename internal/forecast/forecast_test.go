package forecast_test

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/forecast"
	"github.com/rapportcrm/rapport/internal/id"
)

// seed is a pipeline with stages inserted with plain SQL.
type seed struct {
	t        *testing.T
	d        *db.DB
	pipeline string
	stages   []string
	probs    []int
}

func exec(t *testing.T, d *db.DB, q string, args ...any) {
	t.Helper()
	if _, err := d.W.Exec(q, args...); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
}

func newPipeline(t *testing.T, d *db.DB, name string, probs ...int) *seed {
	s := &seed{t: t, d: d, pipeline: id.New(), probs: probs}
	now := db.T(db.Now())
	exec(t, d, `INSERT INTO pipelines (id, name, created_at, updated_at) VALUES ($1, $2, $3, $3)`, s.pipeline, name, now)
	for i, p := range probs {
		sid := id.New()
		exec(t, d, `INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6)`, sid, s.pipeline, fmt.Sprintf("Stage %d", i+1), i, p, now)
		s.stages = append(s.stages, sid)
	}
	return s
}

type dealRow struct {
	id, owner, currency, status, closeDate string
	stage                                  int
	amount                                 int64
	closedAt                               time.Time
}

func (s *seed) deal(r dealRow) string {
	r.id = id.New()
	now := db.T(db.Now())
	exec(s.t, s.d, `INSERT INTO deals (id, name, pipeline_id, stage_id, amount, currency, close_date, status, closed_at,
		stage_entered_at, owner_id, created_at, updated_at) VALUES ($1, 'D', $2, $3, $4, $5, $6, $7, $8, $9, $10, $9, $9)`,
		r.id, s.pipeline, s.stages[r.stage], r.amount, r.currency, db.Date(r.closeDate), r.status, db.T(r.closedAt),
		now, db.NullString(r.owner))
	return r.id
}

type key struct{ month, owner, currency string }
type sums struct {
	open, weightedRaw, won, lost int64
	openN, wonN, lostN           int
}

func TestForecast(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		repCtx, rep := fixture.User(t, d, "member")
		s := newPipeline(t, d, "Sales", 10, 25, 60, 90)
		empty := newPipeline(t, d, "Empty", 50)
		other := newPipeline(t, d, "Other", 50)
		other.deal(dealRow{owner: owner.ID, currency: "EUR", status: "open", closeDate: "2026-02-10", amount: 999_999})

		rng := rand.New(rand.NewPCG(8, 11))
		owners := []string{owner.ID, rep.ID, ""}
		currencies := []string{"EUR", "USD"}
		want := map[key]*sums{}
		at := func(k key) *sums {
			if want[k] == nil {
				want[k] = &sums{}
			}
			return want[k]
		}
		start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 6, 0)
		for i := 0; i < 120; i++ {
			r := dealRow{owner: owners[rng.IntN(3)], currency: currencies[rng.IntN(2)], stage: rng.IntN(4),
				amount: int64(rng.IntN(1_000_000))}
			// Some dates fall outside the six months asked for.
			close := start.AddDate(0, rng.IntN(8)-1, rng.IntN(28))
			r.closeDate = close.Format(db.DateLayout)
			switch rng.IntN(5) {
			case 0:
				r.status, r.closedAt = "won", close.Add(time.Duration(rng.IntN(40)-20)*24*time.Hour+time.Hour)
			case 1:
				r.status, r.closedAt = "lost", close.Add(time.Duration(rng.IntN(40)-20)*24*time.Hour+time.Hour)
			default:
				r.status = "open"
				if rng.IntN(10) == 0 {
					r.closeDate = "" // no expected date: left out
				}
			}
			s.deal(r)
			switch {
			case r.status == "open" && r.closeDate != "" && !close.Before(start) && close.Before(end):
				g := at(key{close.Format("2006-01"), r.owner, r.currency})
				g.open += r.amount
				g.weightedRaw += r.amount * int64(s.probs[r.stage])
				g.openN++
			case r.status != "open" && !r.closedAt.Before(start) && r.closedAt.Before(end):
				g := at(key{r.closedAt.Format("2006-01"), r.owner, r.currency})
				if r.status == "won" {
					g.won += r.amount
					g.wonN++
				} else {
					g.lost += r.amount
					g.lostN++
				}
			}
		}
		// A deleted deal counts nowhere.
		del := s.deal(dealRow{owner: owner.ID, currency: "EUR", status: "open", closeDate: "2026-01-05", amount: 5})
		exec(t, d, `UPDATE deals SET deleted_at = $2 WHERE id = $1`, del, db.T(db.Now()))

		got, err := forecast.NewService(d).Forecast(ctx, forecast.Request{PipelineID: s.pipeline, From: "2026-01", Months: 6})
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Months) != 6 || got.Months[0] != "2026-01" || got.Months[5] != "2026-06" {
			t.Errorf("months = %v", got.Months)
		}
		if len(got.Rows) != len(want) {
			t.Errorf("%d rows, want %d", len(got.Rows), len(want))
		}
		totals := map[[2]string]sums{}
		for _, r := range got.Rows {
			w := want[key{r.Month, r.OwnerID, r.Currency}]
			if w == nil {
				t.Errorf("unexpected row %+v", r)
				continue
			}
			if r.Open != w.open || r.Weighted != w.weightedRaw/100 || r.Won != w.won || r.Lost != w.lost ||
				r.OpenDeals != w.openN || r.WonDeals != w.wonN || r.LostDeals != w.lostN {
				t.Errorf("%s %s %s: got %+v, want %+v", r.Month, r.OwnerID, r.Currency, r.Amounts, *w)
			}
			if r.OwnerID == owner.ID && r.OwnerName != owner.Name {
				t.Errorf("owner name %q", r.OwnerName)
			}
		}
		for k, w := range want {
			tk := [2]string{k.month, k.currency}
			t0 := totals[tk]
			t0.open += w.open
			t0.weightedRaw += w.weightedRaw
			t0.won += w.won
			totals[tk] = t0
		}
		for _, mt := range got.Totals {
			w := totals[[2]string{mt.Month, mt.Currency}]
			if mt.Open != w.open || mt.Weighted != w.weightedRaw/100 || mt.Won != w.won {
				t.Errorf("total %s %s: got %+v, want %+v", mt.Month, mt.Currency, mt.Amounts, w)
			}
		}
		if len(got.Currencies) != 2 || got.Currencies[0] != "EUR" || got.Currencies[1] != "USD" {
			t.Errorf("currencies %v: never summed together, each its own", got.Currencies)
		}

		// One owner's forecast.
		mine, err := forecast.NewService(d).Forecast(ctx, forecast.Request{PipelineID: s.pipeline, From: "2026-01", Months: 6, OwnerID: rep.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range mine.Rows {
			if r.OwnerID != rep.ID {
				t.Errorf("owner filter let through %+v", r)
			}
		}

		// A member sees their own deals and nobody's, not the owner's.
		scoped, err := forecast.NewService(d).Forecast(repCtx, forecast.Request{PipelineID: s.pipeline, From: "2026-01", Months: 6})
		if err != nil {
			t.Fatal(err)
		}
		var wantScoped int
		for k := range want {
			if k.owner != owner.ID {
				wantScoped++
			}
		}
		if len(scoped.Rows) != wantScoped {
			t.Errorf("member sees %d rows, want %d", len(scoped.Rows), wantScoped)
		}
		for _, r := range scoped.Rows {
			if r.OwnerID == owner.ID {
				t.Errorf("member sees the owner's deals: %+v", r)
			}
		}

		none, err := forecast.NewService(d).Forecast(ctx, forecast.Request{PipelineID: empty.pipeline})
		if err != nil || len(none.Rows) != 0 || len(none.Months) != 12 || len(none.Overall) != 0 {
			t.Errorf("empty pipeline: %+v, %v", none, err)
		}
		_, err = forecast.NewService(d).Forecast(ctx, forecast.Request{PipelineID: s.pipeline, From: "Jan 2026", Months: 99})
		if v := apperr.AsValidation(err); v == nil || v.For("from") == "" || v.For("months") == "" {
			t.Errorf("bad request: %v", err)
		}
	})
}

func TestFunnel(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		s := newPipeline(t, d, "Sales", 10, 50, 100)
		from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
		to := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
		end := to.AddDate(0, 0, 1)
		rng := rand.New(rand.NewPCG(3, 4))
		entered := make([]int, 3)
		left := make([]int, 3)
		stays := make([][]float64, 3)
		for i := 0; i < 40; i++ {
			dealID := s.deal(dealRow{owner: owner.ID, currency: "EUR", status: "open", amount: 1})
			at := from.AddDate(0, 0, rng.IntN(50)-15).Add(time.Duration(rng.IntN(86400)) * time.Second)
			for st := 0; st < 3; st++ {
				hours := rng.IntN(24 * 20)
				leave := at.Add(time.Duration(hours) * time.Hour)
				var leftAt db.Time
				last := st == 2 || rng.IntN(4) == 0
				if !last {
					leftAt = db.T(leave)
				}
				exec(t, d, `INSERT INTO deal_stage_history (id, deal_id, pipeline_id, stage_id, entered_at, left_at)
					VALUES ($1, $2, $3, $4, $5, $6)`, id.New(), dealID, s.pipeline, s.stages[st], db.T(at), leftAt)
				if !at.Before(from) && at.Before(end) {
					entered[st]++
				}
				if !last && !leave.Before(from) && leave.Before(end) {
					left[st]++
					stays[st] = append(stays[st], float64(hours)/24)
				}
				if last {
					break
				}
				at = leave
			}
		}
		f, err := forecast.NewService(d).Funnel(ctx, forecast.FunnelRequest{PipelineID: s.pipeline, From: "2026-03-01", To: "2026-03-31"})
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Stages) != 3 {
			t.Fatalf("stages %+v", f.Stages)
		}
		for i, st := range f.Stages {
			if st.Entered != entered[i] || st.Left != left[i] {
				t.Errorf("stage %d: entered %d left %d, want %d and %d", i, st.Entered, st.Left, entered[i], left[i])
			}
			sort.Float64s(stays[i])
			var want float64
			n := len(stays[i])
			if n == 0 {
				if st.MedianDays != nil {
					t.Errorf("stage %d: median %v of nothing", i, *st.MedianDays)
				}
				continue
			}
			if n%2 == 1 {
				want = stays[i][n/2]
			} else {
				want = (stays[i][n/2-1] + stays[i][n/2]) / 2
			}
			if st.MedianDays == nil || abs(*st.MedianDays-want) > 0.051 {
				t.Errorf("stage %d: median %v, want %.2f (of %d stays)", i, st.MedianDays, want, n)
			}
		}
		_, err = forecast.NewService(d).Funnel(ctx, forecast.FunnelRequest{PipelineID: s.pipeline, From: "2026-03-31", To: "2026-03-01"})
		if v := apperr.AsValidation(err); v == nil || v.For("to") == "" {
			t.Errorf("reversed period: %v", err)
		}
	})
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}
