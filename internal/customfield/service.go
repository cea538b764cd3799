package customfield

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/memo"
	"github.com/rapportcrm/rapport/internal/revision"
)

// Service manages custom field definitions.
type Service struct {
	db *db.DB
	// defs keeps each object's definitions while none changes (revision).
	defs revision.Keyed[[]Field]
}

// NewService returns a Service on d.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// Patch changes a definition. The key and type never change once values
// exist under them; nil pointers leave a property as it is.
type Patch struct {
	Label      *string   `json:"label,omitempty"`
	Options    *[]string `json:"options,omitempty"`
	Required   *bool     `json:"required,omitempty"`
	Filterable *bool     `json:"filterable,omitempty"`
	Position   *int      `json:"position,omitempty"`
}

const columns = `id, object, key, label, type, options, currency, required, filterable, position, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (Field, error) {
	var f Field
	var opts string
	var created, updated db.Time
	err := row.Scan(&f.ID, &f.Object, &f.Key, &f.Label, &f.Type, &opts, &f.Currency,
		&f.Required, &f.Filterable, &f.Position, &created, &updated)
	if err != nil {
		return f, err
	}
	f.CreatedAt, f.UpdatedAt = created.Time, updated.Time
	if err := json.Unmarshal([]byte(opts), &f.Options); err != nil {
		return f, fmt.Errorf("customfield: options of %s: %w", f.Key, err)
	}
	return f, nil
}

// List returns the definitions of object ("contact" or "company") in
// display order.
func (s *Service) List(ctx context.Context, object string) ([]Field, error) {
	if _, err := access.Check(ctx, access.CustomFields, access.Read); err != nil {
		return nil, err
	}
	defs, err := s.defs.For(object).Get(ctx, s.db.R, revision.Definitions, func() ([]Field, error) { return ListFor(ctx, s.db.R, object) })
	return slices.Clone(defs), err
}

// ListRead is ListFor on the read pool r, read once per read-only request
// (see memo); callers get their own copy of the slice.
func ListRead(ctx context.Context, r db.Querier, object string) ([]Field, error) {
	defs, err := memo.Do(ctx, "customfield.defs:"+object, func() ([]Field, error) { return ListFor(ctx, r, object) })
	return slices.Clone(defs), err
}

// ListFor reads the definitions of object with q; other services use it
// inside their own transactions.
func ListFor(ctx context.Context, q db.Querier, object string) ([]Field, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+columns+` FROM custom_fields
		WHERE object = $1 ORDER BY position, label, id`, object)
	if err != nil {
		return nil, fmt.Errorf("customfield: list: %w", err)
	}
	defer rows.Close()
	var out []Field
	for rows.Next() {
		f, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("customfield: list: %w", err)
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// ByID returns one definition.
func (s *Service) ByID(ctx context.Context, fieldID string) (Field, error) {
	if _, err := access.Check(ctx, access.CustomFields, access.Read); err != nil {
		return Field{}, err
	}
	if !id.Valid(fieldID) {
		return Field{}, fmt.Errorf("customfield %q: %w", fieldID, apperr.ErrNotFound)
	}
	f, err := scan(s.db.R.QueryRowContext(ctx, `SELECT `+columns+` FROM custom_fields WHERE id = $1`, fieldID))
	if errors.Is(err, sql.ErrNoRows) {
		return f, fmt.Errorf("customfield %s: %w", fieldID, apperr.ErrNotFound)
	}
	return f, err
}

// Create adds a definition. A filterable field gets an index at once.
func (s *Service) Create(ctx context.Context, f Field) (Field, error) {
	actor, err := access.Check(ctx, access.CustomFields, access.Create)
	if err != nil {
		return f, err
	}
	if err := f.validate(); err != nil {
		return f, err
	}
	f.ID = id.New()
	f.CreatedAt = db.Now()
	f.UpdatedAt = f.CreatedAt
	opts, _ := json.Marshal(nonNil(f.Options))
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if f.Position == 0 {
			if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM custom_fields WHERE object = $1`,
				f.Object).Scan(&f.Position); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO custom_fields (`+columns+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			f.ID, f.Object, f.Key, f.Label, f.Type, string(opts), f.Currency, f.Required, f.Filterable,
			f.Position, db.T(f.CreatedAt), db.T(f.UpdatedAt))
		if db.IsUniqueViolation(err) {
			var v apperr.Validation
			v.Add("key", "Another "+f.Object+" field already uses this key.")
			return v.Err()
		}
		if err != nil {
			return err
		}
		if err := syncIndex(ctx, tx, f); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "custom_field.created", ActorID: actor.UserID,
			SubjectType: "custom_field", SubjectID: f.ID, Data: f})
		return err
	})
	if err != nil {
		return f, fmt.Errorf("customfield: create: %w", err)
	}
	return f, nil
}

// Update changes a definition's label, options, required and filterable
// flags and position.
func (s *Service) Update(ctx context.Context, fieldID string, p Patch) (Field, error) {
	actor, err := access.Check(ctx, access.CustomFields, access.Update)
	if err != nil {
		return Field{}, err
	}
	f, err := s.ByID(ctx, fieldID)
	if err != nil {
		return f, err
	}
	before := f
	if p.Label != nil {
		f.Label = *p.Label
	}
	if p.Options != nil {
		f.Options = *p.Options
	}
	if p.Required != nil {
		f.Required = *p.Required
	}
	if p.Filterable != nil {
		f.Filterable = *p.Filterable
	}
	if p.Position != nil {
		f.Position = *p.Position
	}
	if err := f.validate(); err != nil {
		return f, err
	}
	f.UpdatedAt = db.Now()
	opts, _ := json.Marshal(nonNil(f.Options))
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE custom_fields SET label = $1, options = $2, required = $3,
			filterable = $4, position = $5, updated_at = $6 WHERE id = $7`,
			f.Label, string(opts), f.Required, f.Filterable, f.Position, db.T(f.UpdatedAt), f.ID); err != nil {
			return err
		}
		if err := syncIndex(ctx, tx, f); err != nil {
			return err
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "custom_field.updated", ActorID: actor.UserID,
			SubjectType: "custom_field", SubjectID: f.ID, Data: map[string]any{"before": before, "after": f}})
		return err
	})
	if err != nil {
		return f, fmt.Errorf("customfield: update: %w", err)
	}
	return f, nil
}

// Delete removes a definition and its index. Values already stored stay in
// the records' JSON, so re-creating the field with the same key brings them
// back.
func (s *Service) Delete(ctx context.Context, fieldID string) error {
	actor, err := access.Check(ctx, access.CustomFields, access.Delete)
	if err != nil {
		return err
	}
	f, err := s.ByID(ctx, fieldID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM custom_fields WHERE id = $1`, f.ID); err != nil {
			return fmt.Errorf("customfield: delete: %w", err)
		}
		f.Filterable = false
		if err := syncIndex(ctx, tx, f); err != nil {
			return err
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "custom_field.deleted", ActorID: actor.UserID,
			SubjectType: "custom_field", SubjectID: f.ID, Data: f})
		return err
	})
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
