package forecast

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

// FunnelRequest asks for a pipeline's conversion funnel over a period of
// days, From inclusive to To inclusive ("YYYY-MM-DD").
type FunnelRequest struct {
	PipelineID string
	From, To   string
}

// Stage is one stage of the funnel.
type Stage struct {
	StageID     string `json:"stage_id"`
	Name        string `json:"name"`
	Position    int    `json:"position"`
	Probability int    `json:"probability"`
	// Entered counts stays in the stage that began in the period, Left
	// those that ended in it (to another stage, or the deal closed).
	Entered int `json:"entered"`
	Left    int `json:"left"`
	// MedianDays is the median length, in days, of the stays that ended
	// in the period; nil when none did.
	MedianDays *float64 `json:"median_days"`
}

// Funnel is a pipeline's funnel for a period.
type Funnel struct {
	PipelineID   string  `json:"pipeline_id"`
	PipelineName string  `json:"pipeline_name"`
	From         string  `json:"from"`
	To           string  `json:"to"`
	Stages       []Stage `json:"stages"`
}

// Funnel counts, per stage of the pipeline, the deals that entered and
// left it in the period and the median days they stayed, from the stage
// history of the deals the actor sees.
func (s *Service) Funnel(ctx context.Context, r FunnelRequest) (Funnel, error) {
	if _, err := access.Check(ctx, dealsObject, access.Read); err != nil {
		return Funnel{}, err
	}
	var v apperr.Validation
	name, err := s.pipeline(ctx, r.PipelineID, &v)
	if err != nil {
		return Funnel{}, fmt.Errorf("forecast: %w", err)
	}
	from, to := parseDay(&v, "from", r.From), parseDay(&v, "to", r.To)
	if v.For("from") == "" && v.For("to") == "" && to.Before(from) {
		v.Add("to", "Choose an end on or after the start.")
	}
	if err := v.Err(); err != nil {
		return Funnel{}, err
	}
	end := to.AddDate(0, 0, 1)
	f := Funnel{PipelineID: r.PipelineID, PipelineName: name, From: r.From, To: r.To}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, position, probability FROM pipeline_stages
		WHERE pipeline_id = $1 AND deleted_at IS NULL ORDER BY position, id`, r.PipelineID)
	if err != nil {
		return f, fmt.Errorf("forecast: stages: %w", err)
	}
	index := map[string]int{}
	for rows.Next() {
		var st Stage
		if err := rows.Scan(&st.StageID, &st.Name, &st.Position, &st.Probability); err != nil {
			rows.Close()
			return f, err
		}
		index[st.StageID] = len(f.Stages)
		f.Stages = append(f.Stages, st)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return f, err
	}
	args := []any{r.PipelineID, db.T(from), db.T(end)}
	query := `SELECT h.stage_id, h.entered_at, h.left_at FROM deal_stage_history h JOIN deals d ON d.id = h.deal_id
		WHERE h.pipeline_id = $1 AND d.deleted_at IS NULL
		AND ((h.entered_at >= $2 AND h.entered_at < $3) OR (h.left_at >= $2 AND h.left_at < $3))`
	if vis, vargs := access.Visible(ctx, "d.owner_id", len(args)); vis != "" {
		query += " AND " + vis
		args = append(args, vargs...)
	}
	hist, err := s.db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return f, fmt.Errorf("forecast: funnel: %w", err)
	}
	defer hist.Close()
	stays := make([][]float64, len(f.Stages))
	for hist.Next() {
		var stage string
		var entered, left db.Time
		if err := hist.Scan(&stage, &entered, &left); err != nil {
			return f, fmt.Errorf("forecast: funnel: %w", err)
		}
		i, ok := index[stage]
		if !ok {
			continue // a stage deleted since
		}
		if in(entered.Time, from, end) {
			f.Stages[i].Entered++
		}
		if !left.IsZero() && in(left.Time, from, end) {
			f.Stages[i].Left++
			stays[i] = append(stays[i], left.Sub(entered.Time).Hours()/24)
		}
	}
	if err := hist.Err(); err != nil {
		return f, err
	}
	for i := range f.Stages {
		f.Stages[i].MedianDays = Median(stays[i])
	}
	return f, nil
}

func in(t, from, end time.Time) bool { return !t.Before(from) && t.Before(end) }

func parseDay(v *apperr.Validation, field, s string) time.Time {
	t, err := time.Parse(db.DateLayout, s)
	if err != nil {
		v.Add(field, "Enter the date as YYYY-MM-DD.")
	}
	return t
}

// Median returns the median of xs rounded to a tenth, or nil for none.
func Median(xs []float64) *float64 {
	if len(xs) == 0 {
		return nil
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	m = float64(int64(m*10+0.5)) / 10
	return &m
}
