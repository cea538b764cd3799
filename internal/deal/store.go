package deal

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// pipelines returns the live pipelines with their live stages, in order.
func pipelines(ctx context.Context, q db.Querier) ([]Pipeline, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, name, currency, position, created_at, updated_at
		FROM pipelines WHERE deleted_at IS NULL ORDER BY position, name, id`)
	if err != nil {
		return nil, fmt.Errorf("deal: pipelines: %w", err)
	}
	var out []Pipeline
	byID := map[string]int{}
	for rows.Next() {
		var p Pipeline
		var created, updated db.Time
		if err := rows.Scan(&p.ID, &p.Name, &p.Currency, &p.Position, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		p.CreatedAt, p.UpdatedAt, p.Stages = created.Time, updated.Time, []Stage{}
		byID[p.ID] = len(out)
		out = append(out, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = q.QueryContext(ctx, `SELECT s.id, s.pipeline_id, s.name, s.position, s.probability
		FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id
		WHERE s.deleted_at IS NULL AND p.deleted_at IS NULL ORDER BY s.pipeline_id, s.position, s.id`)
	if err != nil {
		return nil, fmt.Errorf("deal: stages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Stage
		if err := rows.Scan(&s.ID, &s.PipelineID, &s.Name, &s.Position, &s.Probability); err != nil {
			return nil, err
		}
		if i, ok := byID[s.PipelineID]; ok {
			out[i].Stages = append(out[i].Stages, s)
		}
	}
	return out, rows.Err()
}

// pipelineByID returns one live pipeline with its stages.
func pipelineByID(ctx context.Context, q db.Querier, pipelineID string) (Pipeline, error) {
	if !id.Valid(pipelineID) {
		return Pipeline{}, fmt.Errorf("pipeline %q: %w", pipelineID, apperr.ErrNotFound)
	}
	var p Pipeline
	var created, updated db.Time
	err := q.QueryRowContext(ctx, `SELECT id, name, currency, position, created_at, updated_at
		FROM pipelines WHERE id = $1 AND deleted_at IS NULL`, pipelineID).
		Scan(&p.ID, &p.Name, &p.Currency, &p.Position, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("pipeline %s: %w", pipelineID, apperr.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("deal: pipeline %s: %w", pipelineID, err)
	}
	p.CreatedAt, p.UpdatedAt, p.Stages = created.Time, updated.Time, []Stage{}
	rows, err := q.QueryContext(ctx, `SELECT id, pipeline_id, name, position, probability FROM pipeline_stages
		WHERE pipeline_id = $1 AND deleted_at IS NULL ORDER BY position, id`, pipelineID)
	if err != nil {
		return p, fmt.Errorf("deal: stages: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var s Stage
		if err := rows.Scan(&s.ID, &s.PipelineID, &s.Name, &s.Position, &s.Probability); err != nil {
			return p, err
		}
		p.Stages = append(p.Stages, s)
	}
	return p, rows.Err()
}

// stageByID returns a live stage of a live pipeline.
func stageByID(ctx context.Context, q db.Querier, stageID string) (Stage, error) {
	if !id.Valid(stageID) {
		return Stage{}, fmt.Errorf("stage %q: %w", stageID, apperr.ErrNotFound)
	}
	var s Stage
	err := q.QueryRowContext(ctx, `SELECT s.id, s.pipeline_id, s.name, s.position, s.probability
		FROM pipeline_stages s JOIN pipelines p ON p.id = s.pipeline_id
		WHERE s.id = $1 AND s.deleted_at IS NULL AND p.deleted_at IS NULL`, stageID).
		Scan(&s.ID, &s.PipelineID, &s.Name, &s.Position, &s.Probability)
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("stage %s: %w", stageID, apperr.ErrNotFound)
	}
	return s, err
}

// dealColumns reads a deal with the names of what it points at.
const dealColumns = `d.id, d.name, d.pipeline_id, p.name, d.stage_id, s.name, s.probability, d.amount, d.currency,
	d.close_date, d.status, d.lost_reason, d.closed_at, d.stage_entered_at, d.rank, d.owner_id, COALESCE(u.name, ''),
	d.company_id, COALESCE(m.name, ''), d.custom, d.version, d.moved_version, d.moved_at, COALESCE(mu.name, ''),
	d.created_at, d.updated_at, d.created_by, d.updated_by, COALESCE(uu.name, '')`

const dealFrom = ` FROM deals d JOIN pipelines p ON p.id = d.pipeline_id JOIN pipeline_stages s ON s.id = d.stage_id
	LEFT JOIN users u ON u.id = d.owner_id LEFT JOIN companies m ON m.id = d.company_id AND m.deleted_at IS NULL
	LEFT JOIN users mu ON mu.id = d.moved_by LEFT JOIN users uu ON uu.id = d.updated_by`

func scanDeal(row interface{ Scan(...any) error }) (Deal, error) {
	var d Deal
	var closeDate db.Date
	var closed, entered, moved, created, updated db.Time
	var owner, company, createdBy, updatedBy sql.NullString
	var custom string
	err := row.Scan(&d.ID, &d.Name, &d.PipelineID, &d.PipelineName, &d.StageID, &d.StageName, &d.Probability,
		&d.Amount, &d.Currency, &closeDate, &d.Status, &d.LostReason, &closed, &entered, &d.Rank, &owner, &d.OwnerName,
		&company, &d.CompanyName, &custom, &d.Version, &d.MovedVersion, &moved, &d.MovedByName,
		&created, &updated, &createdBy, &updatedBy, &d.UpdatedName)
	if err != nil {
		return d, err
	}
	d.CloseDate = string(closeDate)
	d.ClosedAt, d.StageEnteredAt, d.MovedAt, d.CreatedAt, d.UpdatedAt = closed.Time, entered.Time, moved.Time, created.Time, updated.Time
	d.OwnerID, d.CompanyID, d.CreatedBy, d.UpdatedBy = owner.String, company.String, createdBy.String, updatedBy.String
	if d.CompanyName == "" {
		d.CompanyID = ""
	}
	d.Custom, err = customfield.Decode(custom)
	return d, err
}

// dealByID reads a live deal with its contacts. forUpdate locks the row on
// PostgreSQL (SQLite's single writer already serialises writes).
func dealByID(ctx context.Context, q db.Querier, dealID string, forUpdate bool) (Deal, error) {
	if !id.Valid(dealID) {
		return Deal{}, fmt.Errorf("deal %q: %w", dealID, apperr.ErrNotFound)
	}
	lock := ""
	if tx, ok := q.(*db.Tx); ok && forUpdate && tx.Engine == db.Postgres {
		lock = " FOR UPDATE OF d"
	}
	d, err := scanDeal(q.QueryRowContext(ctx, `SELECT `+dealColumns+dealFrom+`
		WHERE d.id = $1 AND d.deleted_at IS NULL`+lock, dealID))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("deal %s: %w", dealID, apperr.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("deal: read %s: %w", dealID, err)
	}
	d.Contacts, err = contactRefs(ctx, q, dealID)
	return d, err
}

func contactRefs(ctx context.Context, q db.Querier, dealID string) ([]Ref, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.display_name FROM deal_contacts dc
		JOIN contacts c ON c.id = dc.contact_id WHERE dc.deal_id = $1 AND c.deleted_at IS NULL
		ORDER BY dc.position`, dealID)
	if err != nil {
		return nil, fmt.Errorf("deal: contacts: %w", err)
	}
	defer rows.Close()
	out := []Ref{}
	for rows.Next() {
		var r Ref
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func insertDeal(ctx context.Context, tx *db.Tx, d Deal) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO deals (id, name, pipeline_id, stage_id, amount, currency, close_date,
		status, lost_reason, stage_entered_at, rank, owner_id, company_id, custom, version, moved_version, moved_at,
		moved_by, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, '', $9, $10, $11, $12, $13, 1, 1, $9, $14, $9, $9, $14, $14)`,
		d.ID, d.Name, d.PipelineID, d.StageID, d.Amount, d.Currency, db.Date(d.CloseDate), d.Status,
		db.T(d.CreatedAt), d.Rank, db.NullString(d.OwnerID), db.NullString(d.CompanyID), d.Custom.Encode(),
		db.NullString(d.CreatedBy))
	if err != nil {
		return fmt.Errorf("deal: insert: %w", err)
	}
	return setContacts(ctx, tx, d.ID, d.ContactIDs())
}

// updateDeal writes every field of d and bumps its version; moved says the
// stage or rank changed. It fails with ErrNotFound when the deal was
// deleted, or changed, since it was read inside tx.
func updateDeal(ctx context.Context, tx *db.Tx, d Deal, prevVersion int, moved bool, actorID string) error {
	movedVersion := d.MovedVersion
	movedAt, movedBy := db.T(d.MovedAt), any(nil)
	if moved {
		movedVersion, movedAt, movedBy = prevVersion+1, db.T(d.UpdatedAt), db.NullString(actorID)
	}
	res, err := tx.ExecContext(ctx, `UPDATE deals SET name = $2, pipeline_id = $3, stage_id = $4, amount = $5,
		currency = $6, close_date = $7, status = $8, lost_reason = $9, closed_at = $10, stage_entered_at = $11,
		rank = $12, owner_id = $13, company_id = $14, custom = $15, version = version + 1, moved_version = $16,
		moved_at = $17, moved_by = COALESCE($18, moved_by), updated_at = $19, updated_by = $20
		WHERE id = $1 AND version = $21 AND deleted_at IS NULL`,
		d.ID, d.Name, d.PipelineID, d.StageID, d.Amount, d.Currency, db.Date(d.CloseDate), d.Status, d.LostReason,
		db.T(d.ClosedAt), db.T(d.StageEnteredAt), d.Rank, db.NullString(d.OwnerID), db.NullString(d.CompanyID),
		d.Custom.Encode(), movedVersion, movedAt, movedBy, db.T(d.UpdatedAt), db.NullString(actorID), prevVersion)
	if err != nil {
		return fmt.Errorf("deal: update: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("deal %s: %w", d.ID, apperr.ErrNotFound)
	}
	return nil
}

func setContacts(ctx context.Context, tx *db.Tx, dealID string, contactIDs []string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM deal_contacts WHERE deal_id = $1`, dealID); err != nil {
		return fmt.Errorf("deal: contacts: %w", err)
	}
	for i, c := range contactIDs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO deal_contacts (deal_id, contact_id, position) VALUES ($1, $2, $3)`,
			dealID, c, i); err != nil {
			return fmt.Errorf("deal: contacts: %w", err)
		}
	}
	return nil
}

// enterStage closes the deal's open stay in a stage at now and opens one in
// stageID (none when stageID is "": the deal closed).
func enterStage(ctx context.Context, tx *db.Tx, d Deal, stageID, actorID string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `UPDATE deal_stage_history SET left_at = $2 WHERE deal_id = $1 AND left_at IS NULL`,
		d.ID, db.T(now)); err != nil {
		return fmt.Errorf("deal: stage history: %w", err)
	}
	if stageID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO deal_stage_history (id, deal_id, pipeline_id, stage_id, entered_at, entered_by)
		VALUES ($1, $2, $3, $4, $5, $6)`, id.New(), d.ID, d.PipelineID, stageID, db.T(now), db.NullString(actorID))
	if err != nil {
		return fmt.Errorf("deal: stage history: %w", err)
	}
	return nil
}

// Stay is a deal's time in one stage.
type Stay struct {
	StageID   string    `json:"stage_id"`
	StageName string    `json:"stage_name"`
	EnteredAt time.Time `json:"entered_at"`
	// LeftAt is zero while the deal is still there.
	LeftAt time.Time `json:"left_at,omitzero"`
	// Duration is the time spent, up to now for the current stay.
	Duration time.Duration `json:"duration_seconds"`
	ByName   string        `json:"by_name,omitempty"`
}

func history(ctx context.Context, q db.Querier, dealID string, now time.Time) ([]Stay, error) {
	rows, err := q.QueryContext(ctx, `SELECT h.stage_id, COALESCE(s.name, ''), h.entered_at, h.left_at, COALESCE(u.name, '')
		FROM deal_stage_history h LEFT JOIN pipeline_stages s ON s.id = h.stage_id LEFT JOIN users u ON u.id = h.entered_by
		WHERE h.deal_id = $1 ORDER BY h.entered_at, h.id`, dealID)
	if err != nil {
		return nil, fmt.Errorf("deal: history: %w", err)
	}
	defer rows.Close()
	out := []Stay{}
	for rows.Next() {
		var s Stay
		var in, left db.Time
		if err := rows.Scan(&s.StageID, &s.StageName, &in, &left, &s.ByName); err != nil {
			return nil, err
		}
		s.EnteredAt, s.LeftAt = in.Time, left.Time
		end := s.LeftAt
		if end.IsZero() {
			end = now
		}
		s.Duration = end.Sub(s.EnteredAt)
		out = append(out, s)
	}
	return out, rows.Err()
}

// lastRank is the rank of the last open card of a stage, "" for none.
func lastRank(ctx context.Context, q db.Querier, stageID string) (string, error) {
	var r sql.NullString
	err := q.QueryRowContext(ctx, `SELECT MAX(rank) FROM deals WHERE stage_id = $1 AND status = 'open' AND deleted_at IS NULL`,
		stageID).Scan(&r)
	return r.String, err
}

// rankIn returns the rank of an open card of stageID, "" if it is not one.
func rankIn(ctx context.Context, q db.Querier, dealID, stageID string) (string, error) {
	if dealID == "" || !id.Valid(dealID) {
		return "", nil
	}
	var r string
	err := q.QueryRowContext(ctx, `SELECT rank FROM deals WHERE id = $1 AND stage_id = $2 AND status = 'open'
		AND deleted_at IS NULL`, dealID, stageID).Scan(&r)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return r, err
}

// Event is one recorded event on a deal's timeline.
type Event struct {
	ID         string
	Kind       string
	ActorName  string
	SubjectID  string
	OccurredAt time.Time
	Data       []byte
}

// Events returns the newest events of a deal's timeline, at most limit.
func (s *Service) Events(ctx context.Context, dealID string, limit int) ([]Event, error) {
	if _, err := s.ByID(ctx, dealID); err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT e.id, e.kind, COALESCE(u.name, ''), e.subject_id, e.occurred_at, e.data
		FROM events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.deal_id = $1
		ORDER BY e.occurred_at DESC, e.id DESC LIMIT $2`, dealID, limit)
	if err != nil {
		return nil, fmt.Errorf("deal: events: %w", err)
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var e Event
		var at db.Time
		var data string
		if err := rows.Scan(&e.ID, &e.Kind, &e.ActorName, &e.SubjectID, &at, &data); err != nil {
			return nil, err
		}
		e.OccurredAt, e.Data = at.Time, []byte(data)
		out = append(out, e)
	}
	return out, rows.Err()
}
