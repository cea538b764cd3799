package deal

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/record"
)

// PipelineInput creates or changes a pipeline; nil fields stay as they are.
type PipelineInput struct {
	Name     *string `json:"name,omitempty"`
	Currency *string `json:"currency,omitempty"`
	Position *int    `json:"position,omitempty"`
	// Stages are a new pipeline's stages, in order (ignored on update).
	Stages []StageInput `json:"stages,omitempty"`
}

// StageInput creates or changes a stage.
type StageInput struct {
	Name        *string `json:"name,omitempty"`
	Probability *int    `json:"probability,omitempty"`
}

func (in StageInput) apply(st *Stage, v *apperr.Validation, prefix string) {
	if in.Name != nil {
		st.Name = *in.Name
	}
	if in.Probability != nil {
		st.Probability = *in.Probability
	}
	record.Text(v, prefix+"name", &st.Name, 100, false)
	if st.Name == "" {
		v.Add(prefix+"name", "Enter the stage's name.")
	}
	if st.Probability < 0 || st.Probability > 100 {
		v.Add(prefix+"probability", "Enter a probability from 0 to 100.")
	}
}

// Pipelines returns every pipeline with its stages; whoever reads deals
// reads them.
func (s *Service) Pipelines(ctx context.Context) ([]Pipeline, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return nil, err
	}
	return pipelines(ctx, s.db.R)
}

// Pipeline returns one pipeline with its stages.
func (s *Service) Pipeline(ctx context.Context, pipelineID string) (Pipeline, error) {
	if _, err := access.Check(ctx, Deals, access.Read); err != nil {
		return Pipeline{}, err
	}
	return pipelineByID(ctx, s.db.R, pipelineID)
}

// CreatePipeline adds a pipeline with its stages.
func (s *Service) CreatePipeline(ctx context.Context, in PipelineInput) (Pipeline, error) {
	actor, err := access.Check(ctx, Pipelines, access.Create)
	if err != nil {
		return Pipeline{}, err
	}
	p := Pipeline{Currency: "EUR", Stages: []Stage{}}
	var v apperr.Validation
	applyPipeline(in, &p, &v)
	if len(in.Stages) > 30 {
		v.Add("stages", "Use at most 30 stages.")
	}
	for i, si := range in.Stages {
		st := Stage{}
		si.apply(&st, &v, "stages["+strconv.Itoa(i)+"].")
		p.Stages = append(p.Stages, st)
	}
	if err := v.Err(); err != nil {
		return p, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		now := db.T(s.now())
		p.ID = id.New()
		if in.Position == nil {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), -1) + 1 FROM pipelines
				WHERE deleted_at IS NULL`).Scan(&p.Position); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO pipelines (id, name, position, currency, created_at, updated_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $5, $6)`, p.ID, p.Name, p.Position, p.Currency, now, db.NullString(actor.UserID)); err != nil {
			return fmt.Errorf("deal: create pipeline: %w", err)
		}
		for i := range p.Stages {
			p.Stages[i].ID, p.Stages[i].PipelineID, p.Stages[i].Position = id.New(), p.ID, i
			if err := insertStage(ctx, tx, p.Stages[i], now); err != nil {
				return err
			}
		}
		p.CreatedAt, p.UpdatedAt = now.Time, now.Time
		return pipelineEvent(ctx, tx, actor, "pipeline.created", p.ID, map[string]any{"name": p.Name})
	})
	return p, err
}

func applyPipeline(in PipelineInput, p *Pipeline, v *apperr.Validation) {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.Currency != nil {
		p.Currency = strings.ToUpper(strings.TrimSpace(*in.Currency))
	}
	if in.Position != nil {
		p.Position = *in.Position
	}
	record.Text(v, "name", &p.Name, 100, false)
	if p.Name == "" {
		v.Add("name", "Enter the pipeline's name.")
	}
	if !money.Valid(p.Currency) {
		v.Add("currency", "Enter a currency as its ISO 4217 code, such as EUR or USD.")
	}
}

func insertStage(ctx context.Context, tx *db.Tx, st Stage, now db.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6)`, st.ID, st.PipelineID, st.Name, st.Position, st.Probability, now)
	if err != nil {
		return fmt.Errorf("deal: stage: %w", err)
	}
	return nil
}

func pipelineEvent(ctx context.Context, tx *db.Tx, actor access.Actor, kind, pipelineID string, data map[string]any) error {
	_, err := event.Record(ctx, tx, event.Event{Kind: kind, ActorID: actor.UserID, SubjectType: "pipeline",
		SubjectID: pipelineID, Data: data})
	return err
}

// UpdatePipeline renames a pipeline or changes its currency or position.
func (s *Service) UpdatePipeline(ctx context.Context, pipelineID string, in PipelineInput) (Pipeline, error) {
	actor, err := access.Check(ctx, Pipelines, access.Update)
	if err != nil {
		return Pipeline{}, err
	}
	p, err := pipelineByID(ctx, s.db.R, pipelineID)
	if err != nil {
		return p, err
	}
	old := p
	var v apperr.Validation
	applyPipeline(in, &p, &v)
	if err := v.Err(); err != nil {
		return p, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE pipelines SET name = $2, currency = $3, position = $4, updated_at = $5
			WHERE id = $1`, p.ID, p.Name, p.Currency, p.Position, db.T(s.now())); err != nil {
			return fmt.Errorf("deal: update pipeline: %w", err)
		}
		changes := record.Diff(map[string]any{"name": old.Name, "currency": old.Currency, "position": old.Position},
			map[string]any{"name": p.Name, "currency": p.Currency, "position": p.Position})
		return pipelineEvent(ctx, tx, actor, "pipeline.updated", p.ID, map[string]any{"changes": changes})
	})
	return p, err
}

// DeletePipeline removes a pipeline that holds no deals.
func (s *Service) DeletePipeline(ctx context.Context, pipelineID string) error {
	actor, err := access.Check(ctx, Pipelines, access.Delete)
	if err != nil {
		return err
	}
	p, err := pipelineByID(ctx, s.db.R, pipelineID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM deals WHERE pipeline_id = $1 AND deleted_at IS NULL`,
			p.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			v := &apperr.Validation{}
			v.Add("pipeline", fmt.Sprintf("This pipeline holds %d deals; move or delete them first.", n))
			return v
		}
		now := db.T(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE pipelines SET deleted_at = $2, updated_at = $2 WHERE id = $1`, p.ID, now); err != nil {
			return err
		}
		return pipelineEvent(ctx, tx, actor, "pipeline.deleted", p.ID, map[string]any{"name": p.Name})
	})
}

// AddStage appends a stage to a pipeline.
func (s *Service) AddStage(ctx context.Context, pipelineID string, in StageInput) (Stage, error) {
	actor, err := access.Check(ctx, Pipelines, access.Update)
	if err != nil {
		return Stage{}, err
	}
	p, err := pipelineByID(ctx, s.db.R, pipelineID)
	if err != nil {
		return Stage{}, err
	}
	st := Stage{PipelineID: p.ID}
	var v apperr.Validation
	in.apply(&st, &v, "")
	if len(p.Stages) >= 30 {
		v.Add("name", "A pipeline has at most 30 stages.")
	}
	if err := v.Err(); err != nil {
		return st, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), -1) + 1 FROM pipeline_stages
			WHERE pipeline_id = $1 AND deleted_at IS NULL`, p.ID).Scan(&st.Position); err != nil {
			return err
		}
		st.ID = id.New()
		if err := insertStage(ctx, tx, st, db.T(s.now())); err != nil {
			return err
		}
		return pipelineEvent(ctx, tx, actor, "pipeline.stage_added", p.ID, map[string]any{"stage": st.Name,
			"probability": st.Probability})
	})
	return st, err
}

// UpdateStage renames a stage or changes its probability.
func (s *Service) UpdateStage(ctx context.Context, stageID string, in StageInput) (Stage, error) {
	actor, err := access.Check(ctx, Pipelines, access.Update)
	if err != nil {
		return Stage{}, err
	}
	st, err := stageByID(ctx, s.db.R, stageID)
	if err != nil {
		return st, err
	}
	old := st
	var v apperr.Validation
	in.apply(&st, &v, "")
	if err := v.Err(); err != nil {
		return st, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE pipeline_stages SET name = $2, probability = $3, updated_at = $4
			WHERE id = $1`, st.ID, st.Name, st.Probability, db.T(s.now())); err != nil {
			return fmt.Errorf("deal: update stage: %w", err)
		}
		changes := record.Diff(map[string]any{"name": old.Name, "probability": old.Probability},
			map[string]any{"name": st.Name, "probability": st.Probability})
		return pipelineEvent(ctx, tx, actor, "pipeline.stage_updated", st.PipelineID,
			map[string]any{"stage_id": st.ID, "changes": changes})
	})
	return st, err
}

// ReorderStages puts a pipeline's stages in the order of stageIDs, which
// must name each of them once.
func (s *Service) ReorderStages(ctx context.Context, pipelineID string, stageIDs []string) (Pipeline, error) {
	actor, err := access.Check(ctx, Pipelines, access.Update)
	if err != nil {
		return Pipeline{}, err
	}
	p, err := pipelineByID(ctx, s.db.R, pipelineID)
	if err != nil {
		return p, err
	}
	seen := map[string]bool{}
	for _, sid := range stageIDs {
		if _, ok := p.Stage(sid); !ok || seen[sid] {
			seen = nil
			break
		}
		seen[sid] = true
	}
	if seen == nil || len(seen) != len(p.Stages) {
		v := &apperr.Validation{}
		v.Add("stage_ids", "List every stage of this pipeline once.")
		return p, v
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		now := db.T(s.now())
		for i, sid := range stageIDs {
			if _, err := tx.ExecContext(ctx, `UPDATE pipeline_stages SET position = $2, updated_at = $3 WHERE id = $1`,
				sid, i, now); err != nil {
				return err
			}
		}
		return pipelineEvent(ctx, tx, actor, "pipeline.stages_reordered", p.ID, map[string]any{"stage_ids": stageIDs})
	})
	if err != nil {
		return p, err
	}
	return pipelineByID(ctx, s.db.R, pipelineID)
}

// DeleteStage removes a stage. A stage still holding deals is removed only
// when moveTo names another stage of the same pipeline to move them to;
// each moved deal gets its stage history and stage_changed event.
func (s *Service) DeleteStage(ctx context.Context, stageID, moveTo string) error {
	actor, err := access.Check(ctx, Pipelines, access.Delete)
	if err != nil {
		return err
	}
	st, err := stageByID(ctx, s.db.R, stageID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		ids, err := stageDeals(ctx, tx, st.ID)
		if err != nil {
			return err
		}
		if len(ids) > 0 {
			if err := s.moveAll(ctx, tx, actor, st, ids, moveTo); err != nil {
				return err
			}
		}
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pipeline_stages WHERE pipeline_id = $1
			AND deleted_at IS NULL AND id <> $2`, st.PipelineID, st.ID).Scan(&left); err != nil {
			return err
		}
		if left == 0 {
			v := &apperr.Validation{}
			v.Add("stage", "A pipeline keeps at least one stage.")
			return v
		}
		now := db.T(s.now())
		if _, err := tx.ExecContext(ctx, `UPDATE pipeline_stages SET deleted_at = $2, updated_at = $2 WHERE id = $1`,
			st.ID, now); err != nil {
			return err
		}
		return pipelineEvent(ctx, tx, actor, "pipeline.stage_deleted", st.PipelineID, map[string]any{"stage": st.Name})
	})
}

// stageDeals returns the live deals (any status) in a stage.
func stageDeals(ctx context.Context, q db.Querier, stageID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT id FROM deals WHERE stage_id = $1 AND deleted_at IS NULL ORDER BY rank, id`, stageID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

func (s *Service) moveAll(ctx context.Context, tx *db.Tx, actor access.Actor, from Stage, ids []string, moveTo string) error {
	v := &apperr.Validation{}
	if moveTo == "" {
		v.Add("move_to", fmt.Sprintf("This stage holds %d deals; choose a stage to move them to.", len(ids)))
		return v
	}
	to, err := stageByID(ctx, tx, moveTo)
	if err != nil || to.PipelineID != from.PipelineID || to.ID == from.ID {
		v.Add("move_to", "Choose another stage of the same pipeline.")
		return v
	}
	now := s.now()
	for _, did := range ids {
		old, err := dealByID(ctx, tx, did, true)
		if err != nil {
			return err
		}
		d := old
		last, err := lastRank(ctx, tx, to.ID)
		if err != nil {
			return err
		}
		d.StageID, d.StageName, d.Probability, d.StageEnteredAt, d.UpdatedAt = to.ID, to.Name, to.Probability, now, now
		d.Rank = Between(last, "")
		if err := updateDeal(ctx, tx, d, old.Version, true, actor.UserID); err != nil {
			return err
		}
		if old.Status != Open {
			continue
		}
		if err := s.stageChanged(ctx, tx, old, d, actor.UserID, now); err != nil {
			return err
		}
	}
	return nil
}
