// Package view holds saved list views: a filter, a sort and a set of
// columns under a name, private to their owner or shared with everyone.
package view

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/record"
	"github.com/rapportcrm/rapport/internal/revision"
)

// Definition is what a view shows.
type Definition struct {
	Filter  query.Group `json:"filter"`
	Sort    query.Sort  `json:"sort"`
	Columns []string    `json:"columns"`
}

// View is a saved list view of contacts or companies.
type View struct {
	ID         string     `json:"id"`
	Object     string     `json:"object"`
	Name       string     `json:"name"`
	OwnerID    string     `json:"owner_id"`
	Shared     bool       `json:"shared"`
	Definition Definition `json:"definition"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Service stores views.
type Service struct {
	db *db.DB
	// all keeps every view of each object, everyone's, while none changes
	// (revision); List picks the actor's.
	all revision.Keyed[[]storedView]
}

// NewService returns a Service on d.
func NewService(d *db.DB) *Service { return &Service{db: d} }

const columns = `id, object, name, owner_id, shared, definition, created_at, updated_at`

func scan(row interface{ Scan(...any) error }) (View, error) {
	r, err := scanStored(row)
	if err != nil {
		return View{}, err
	}
	return r.decode()
}

// storedView is a view as stored, its definition not yet decoded.
type storedView struct {
	View
	definition string
}

func scanStored(row interface{ Scan(...any) error }) (storedView, error) {
	var r storedView
	var created, updated db.Time
	if err := row.Scan(&r.ID, &r.Object, &r.Name, &r.OwnerID, &r.Shared, &r.definition, &created, &updated); err != nil {
		return r, err
	}
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	return r, nil
}

// decode returns the view with its definition.
func (r storedView) decode() (View, error) {
	v := r.View
	if err := json.Unmarshal([]byte(r.definition), &v.Definition); err != nil {
		return v, fmt.Errorf("view %s: definition: %w", v.ID, err)
	}
	return v, nil
}

// List returns the views of object the actor may use: their own and the
// shared ones, by name.
func (s *Service) List(ctx context.Context, object string) ([]View, error) {
	actor, err := access.Check(ctx, access.Views, access.Read)
	if err != nil {
		return nil, err
	}
	all, err := s.all.For(object).Get(ctx, s.db.R, revision.Views, func() ([]storedView, error) { return s.listAll(ctx, object) })
	if err != nil {
		return nil, err
	}
	var out []View
	for _, r := range all {
		if r.OwnerID != actor.UserID && !r.Shared {
			continue
		}
		// Decoded per request and only for the actor's views: another
		// user's damaged view must not break this user's page.
		v, err := r.decode()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// listAll reads every view of object, in the order List returns them.
func (s *Service) listAll(ctx context.Context, object string) ([]storedView, error) {
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+columns+` FROM saved_views WHERE object = $1 ORDER BY name, id`, object)
	if err != nil {
		return nil, fmt.Errorf("view: list: %w", err)
	}
	defer rows.Close()
	var out []storedView
	for rows.Next() {
		r, err := scanStored(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// ByID returns a view the actor may use.
func (s *Service) ByID(ctx context.Context, viewID string) (View, error) {
	actor, err := access.Check(ctx, access.Views, access.Read)
	if err != nil {
		return View{}, err
	}
	if !id.Valid(viewID) {
		return View{}, fmt.Errorf("view %q: %w", viewID, apperr.ErrNotFound)
	}
	v, err := scan(s.db.R.QueryRowContext(ctx, `SELECT `+columns+` FROM saved_views
		WHERE id = $1 AND (owner_id = $2 OR shared = $3)`, viewID, actor.UserID, true))
	if errors.Is(err, sql.ErrNoRows) {
		return v, fmt.Errorf("view %s: %w", viewID, apperr.ErrNotFound)
	}
	return v, err
}

// Save creates a view (empty ID) or replaces one the actor owns. The
// definition is checked against schema so a view never holds a filter that
// cannot run.
func (s *Service) Save(ctx context.Context, schema *query.Schema, v View) (View, error) {
	need := access.Create
	if v.ID != "" {
		need = access.Update
	}
	actor, err := access.Check(ctx, access.Views, need)
	if err != nil {
		return v, err
	}
	if v.ID != "" && !id.Valid(v.ID) {
		return v, fmt.Errorf("view %q: %w", v.ID, apperr.ErrNotFound)
	}
	var val apperr.Validation
	record.Text(&val, "name", &v.Name, 100, false)
	if v.Name == "" {
		val.Add("name", "Give the view a name.")
	}
	if v.Object != "contact" && v.Object != "company" && v.Object != "deal" {
		val.Add("object", "Choose contacts, companies or deals.")
	}
	if _, _, err := query.Compile(query.Options{Schema: schema, Engine: s.db.Engine}, v.Definition.Filter); err != nil {
		val.Merge(err)
		if apperr.AsValidation(err) == nil {
			return v, err
		}
	}
	if err := val.Err(); err != nil {
		return v, err
	}
	def, err := json.Marshal(v.Definition)
	if err != nil {
		return v, err
	}
	now := db.Now()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if v.ID == "" {
			v.ID, v.OwnerID, v.CreatedAt = id.New(), actor.UserID, now
			v.UpdatedAt = now
			if _, err := tx.ExecContext(ctx, `INSERT INTO saved_views (`+columns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
				v.ID, v.Object, v.Name, v.OwnerID, v.Shared, string(def), db.T(now), db.T(now)); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `UPDATE saved_views SET name = $3, shared = $4, definition = $5, updated_at = $6
				WHERE id = $1 AND owner_id = $2`, v.ID, actor.UserID, v.Name, v.Shared, string(def), db.T(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("view %s: %w", v.ID, apperr.ErrNotFound)
			}
			v.OwnerID, v.UpdatedAt = actor.UserID, now
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "view.saved", ActorID: actor.UserID,
			SubjectType: "view", SubjectID: v.ID, Data: map[string]any{"name": v.Name, "shared": v.Shared}})
		return err
	})
	if err != nil {
		return v, fmt.Errorf("view: save: %w", err)
	}
	return v, nil
}

// Delete removes a view the actor owns.
func (s *Service) Delete(ctx context.Context, viewID string) error {
	actor, err := access.Check(ctx, access.Views, access.Delete)
	if err != nil {
		return err
	}
	if !id.Valid(viewID) {
		return fmt.Errorf("view %q: %w", viewID, apperr.ErrNotFound)
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM saved_views WHERE id = $1 AND owner_id = $2`, viewID, actor.UserID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("view %s: %w", viewID, apperr.ErrNotFound)
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "view.deleted", ActorID: actor.UserID,
			SubjectType: "view", SubjectID: viewID})
		return err
	})
}
