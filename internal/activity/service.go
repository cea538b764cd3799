package activity

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// Contacts is what activities need from contacts: that one exists and the
// actor may see it.
type Contacts interface {
	ByID(ctx context.Context, contactID string) (contact.Contact, error)
}

// Companies is what activities need from companies.
type Companies interface {
	ByID(ctx context.Context, companyID string) (company.Company, error)
}

// Service logs activities and reads timelines.
type Service struct {
	db        *db.DB
	contacts  Contacts
	companies Companies
}

// NewService returns a Service on d.
func NewService(d *db.DB, contacts Contacts, companies Companies) *Service {
	return &Service{db: d, contacts: contacts, companies: companies}
}

const columns = `a.id, a.kind, a.contact_id, a.company_id, a.subject, a.body, a.pinned, a.occurred_at, a.ends_at,
	a.outcome, a.duration_seconds, a.direction, a.attendees, a.created_by, COALESCE(u.name, ''), a.created_at, a.updated_at`

const from = ` FROM activities a LEFT JOIN users u ON u.id = a.created_by`

func scan(row interface{ Scan(...any) error }) (Activity, error) {
	var a Activity
	var contactID, companyID, createdBy sql.NullString
	var at, ends, created, updated db.Time
	var duration sql.NullInt64
	var attendees string
	err := row.Scan(&a.ID, &a.Kind, &contactID, &companyID, &a.Subject, &a.Body, &a.Pinned, &at, &ends,
		&a.Outcome, &duration, &a.Direction, &attendees, &createdBy, &a.Author, &created, &updated)
	if err != nil {
		return a, err
	}
	a.ContactID, a.CompanyID, a.CreatedBy = contactID.String, companyID.String, createdBy.String
	a.OccurredAt, a.EndsAt, a.CreatedAt, a.UpdatedAt = at.Time, ends.Time, created.Time, updated.Time
	a.Duration = int(duration.Int64)
	if err := json.Unmarshal([]byte(attendees), &a.Attendees); err != nil {
		return a, fmt.Errorf("activity: attendees: %w", err)
	}
	return a, nil
}

// ByID returns a live activity the actor may see.
func (s *Service) ByID(ctx context.Context, activityID string) (Activity, error) {
	if _, err := access.Check(ctx, access.Activities, access.Read); err != nil {
		return Activity{}, err
	}
	if !id.Valid(activityID) {
		return Activity{}, fmt.Errorf("activity %q: %w", activityID, apperr.ErrNotFound)
	}
	a, err := scan(s.db.R.QueryRowContext(ctx, `SELECT `+columns+from+` WHERE a.id = $1 AND a.deleted_at IS NULL`, activityID))
	if errors.Is(err, sql.ErrNoRows) {
		return a, fmt.Errorf("activity %s: %w", activityID, apperr.ErrNotFound)
	}
	if err != nil {
		return a, fmt.Errorf("activity: read: %w", err)
	}
	return a, s.checkRecord(ctx, a)
}

// checkRecord makes an activity as visible as the record it is on.
func (s *Service) checkRecord(ctx context.Context, a Activity) error {
	if a.ContactID != "" {
		_, err := s.contacts.ByID(ctx, a.ContactID)
		return err
	}
	_, err := s.companies.ByID(ctx, a.CompanyID)
	return err
}

// Create logs an activity on a contact or a company (a contact's activity
// also shows on its primary company's timeline).
func (s *Service) Create(ctx context.Context, in Input) (Activity, error) {
	actor, err := access.Check(ctx, access.Activities, access.Create)
	if err != nil {
		return Activity{}, err
	}
	now := db.Now()
	a := Activity{CreatedBy: actor.UserID, Author: actor.Name, CreatedAt: now, UpdatedAt: now}
	var v apperr.Validation
	in.apply(&a, &v, now)
	if err := s.target(ctx, &a, in, &v); err != nil {
		return a, err
	}
	if err := v.Err(); err != nil {
		return a, err
	}
	a.ID = id.New()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := insert(ctx, tx, a); err != nil {
			return err
		}
		return emit(ctx, tx, actor, a, "created", nil)
	})
	if err != nil {
		return a, fmt.Errorf("activity: create: %w", err)
	}
	return a, nil
}

// target resolves the record an activity goes on.
func (s *Service) target(ctx context.Context, a *Activity, in Input, v *apperr.Validation) error {
	if in.ContactID != nil {
		a.ContactID = strings.TrimSpace(*in.ContactID)
	}
	if in.CompanyID != nil {
		a.CompanyID = strings.TrimSpace(*in.CompanyID)
	}
	switch {
	case a.ContactID != "":
		c, err := s.contacts.ByID(ctx, a.ContactID)
		if errors.Is(err, apperr.ErrNotFound) {
			v.Add("contact_id", "There is no contact with this id.")
			return nil
		}
		if err != nil {
			return err
		}
		if a.CompanyID == "" {
			a.CompanyID = c.PrimaryCompany().ID
		}
	case a.CompanyID != "":
		if _, err := s.companies.ByID(ctx, a.CompanyID); errors.Is(err, apperr.ErrNotFound) {
			v.Add("company_id", "There is no company with this id.")
		} else if err != nil {
			return err
		}
	default:
		v.Add("contact_id", "Log the activity on a contact or a company.")
	}
	return nil
}

// Update changes an activity; its record stays the same.
func (s *Service) Update(ctx context.Context, activityID string, in Input) (Activity, error) {
	actor, err := access.Check(ctx, access.Activities, access.Update)
	if err != nil {
		return Activity{}, err
	}
	old, err := s.ByID(ctx, activityID)
	if err != nil {
		return old, err
	}
	a := old
	var v apperr.Validation
	in.ContactID, in.CompanyID = nil, nil
	in.apply(&a, &v, db.Now())
	if err := v.Err(); err != nil {
		return a, err
	}
	a.UpdatedAt = db.Now()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := update(ctx, tx, a); err != nil {
			return err
		}
		return emit(ctx, tx, actor, a, "updated", map[string]any{"before": old.Body, "pinned": a.Pinned})
	})
	if err != nil {
		return a, fmt.Errorf("activity: update: %w", err)
	}
	return a, nil
}

// Delete removes an activity from its timeline.
func (s *Service) Delete(ctx context.Context, activityID string) error {
	actor, err := access.Check(ctx, access.Activities, access.Delete)
	if err != nil {
		return err
	}
	a, err := s.ByID(ctx, activityID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET deleted_at = $2, updated_at = $2 WHERE id = $1`,
			a.ID, db.T(db.Now())); err != nil {
			return fmt.Errorf("activity: delete: %w", err)
		}
		return emit(ctx, tx, actor, a, "deleted", map[string]any{"body": a.Body})
	})
}

// Pinned returns the pinned notes of a contact or a company (the notes
// pinned on the company itself), newest first.
func (s *Service) Pinned(ctx context.Context, contactID, companyID string) ([]Activity, error) {
	if _, err := access.Check(ctx, access.Activities, access.Read); err != nil {
		return nil, err
	}
	col, target := "a.contact_id", contactID
	if contactID == "" {
		// A company's own notes only: its people's pinned notes would
		// otherwise fill the LIMIT and push them out.
		col, target = "a.contact_id IS NULL AND a.company_id", companyID
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+columns+from+` WHERE `+col+` = $1 AND a.pinned = $2
		AND a.deleted_at IS NULL ORDER BY a.occurred_at DESC LIMIT 20`, target, true)
	if err != nil {
		return nil, fmt.Errorf("activity: pinned: %w", err)
	}
	defer rows.Close()
	var out []Activity
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

func insert(ctx context.Context, tx *db.Tx, a Activity) error {
	att, _ := json.Marshal(nonNil(a.Attendees))
	_, err := tx.ExecContext(ctx, `INSERT INTO activities (id, kind, contact_id, company_id, subject, body, pinned,
		occurred_at, ends_at, outcome, duration_seconds, direction, attendees, created_by, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		a.ID, a.Kind, db.NullString(a.ContactID), db.NullString(a.CompanyID), a.Subject, a.Body, a.Pinned,
		db.T(a.OccurredAt), db.T(a.EndsAt), a.Outcome, nullInt(a.Duration), a.Direction, string(att),
		db.NullString(a.CreatedBy), db.T(a.CreatedAt), db.T(a.UpdatedAt))
	return err
}

func update(ctx context.Context, tx *db.Tx, a Activity) error {
	att, _ := json.Marshal(nonNil(a.Attendees))
	_, err := tx.ExecContext(ctx, `UPDATE activities SET kind = $2, subject = $3, body = $4, pinned = $5,
		occurred_at = $6, ends_at = $7, outcome = $8, duration_seconds = $9, direction = $10, attendees = $11,
		updated_at = $12 WHERE id = $1`,
		a.ID, a.Kind, a.Subject, a.Body, a.Pinned, db.T(a.OccurredAt), db.T(a.EndsAt), a.Outcome,
		nullInt(a.Duration), a.Direction, string(att), db.T(a.UpdatedAt))
	return err
}

func emit(ctx context.Context, tx *db.Tx, actor access.Actor, a Activity, verb string, data map[string]any) error {
	if data == nil {
		data = map[string]any{}
	}
	data["kind"] = a.Kind
	_, err := event.Record(ctx, tx, event.Event{Kind: "activity." + verb, ActorID: actor.UserID,
		SubjectType: "activity", SubjectID: a.ID, ContactID: a.ContactID, CompanyID: a.CompanyID, Data: data})
	return err
}

func nullInt(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
