package activity

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// NoteTx adds a note to a contact (and its company) inside tx, the
// transaction of an import that has just created or matched the contact
// and checked it may. The note obeys the same rules as one typed in. A
// contact that already has the same note keeps it, and NoteTx returns its
// ID without adding another.
func (s *Service) NoteTx(ctx context.Context, tx *db.Tx, contactID, companyID, body string) (Activity, error) {
	actor, err := access.Check(ctx, access.Activities, access.Create)
	if err != nil {
		return Activity{}, err
	}
	now := db.Now()
	a := Activity{CreatedBy: actor.UserID, Author: actor.Name, CreatedAt: now, UpdatedAt: now,
		ContactID: contactID, CompanyID: companyID}
	kind := Note
	var v apperr.Validation
	Input{Kind: &kind, Body: &body}.apply(&a, &v, now)
	if err := v.Err(); err != nil {
		return a, err
	}
	if contactID != "" {
		// The same file imported again (updating its contacts) does not
		// add the same note twice.
		err := tx.QueryRowContext(ctx, `SELECT id FROM activities WHERE contact_id = $1 AND kind = $2 AND body = $3 LIMIT 1`,
			contactID, Note, a.Body).Scan(&a.ID)
		if err == nil {
			return a, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return a, fmt.Errorf("activity: note: %w", err)
		}
	}
	a.ID = id.New()
	if err := insert(ctx, tx, a); err != nil {
		return a, fmt.Errorf("activity: note: %w", err)
	}
	return a, emit(ctx, tx, actor, a, "created", nil)
}

// CheckNote reports, as NoteTx would, what is wrong with a note's text.
func CheckNote(body string) error {
	kind := Note
	var v apperr.Validation
	Input{Kind: &kind, Body: &body}.apply(&Activity{}, &v, db.Now())
	return v.Err()
}
