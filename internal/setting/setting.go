// Package setting stores organisation-wide settings as key/value rows.
package setting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/event"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/phone"
)

// Keys of known settings.
const (
	PhoneRegion = "phone_region"
)

// Get returns the value of key, or def when it was never set.
func Get(ctx context.Context, q db.Querier, key, def string) (string, error) {
	var v string
	err := q.QueryRowContext(ctx, `SELECT value FROM settings WHERE key = $1`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return def, fmt.Errorf("setting: get %s: %w", key, err)
	}
	return v, nil
}

// Set stores value under key.
func Set(ctx context.Context, tx *db.Tx, key, value string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		key, value, db.T(db.Now()))
	if err != nil {
		return fmt.Errorf("setting: set %s: %w", key, err)
	}
	return nil
}

// Region returns the default region for phone numbers typed without a
// country code.
func Region(ctx context.Context, q db.Querier) (string, error) {
	return Get(ctx, q, PhoneRegion, phone.DefaultRegion)
}

// ChangeRegion sets the default phone region after checking that the actor
// may change settings and that region is one the number library knows; the
// change is recorded as an event in the same transaction.
func ChangeRegion(ctx context.Context, d *db.DB, region string) error {
	actor, err := access.Check(ctx, access.Settings, access.Update)
	if err != nil {
		return err
	}
	region = strings.ToUpper(strings.TrimSpace(region))
	if !phone.ValidRegion(region) {
		var v apperr.Validation
		v.Add("phone_region", "Choose a region from the list.")
		return v.Err()
	}
	return d.WithTx(ctx, func(tx *db.Tx) error {
		before, err := Get(ctx, tx, PhoneRegion, phone.DefaultRegion)
		if err != nil {
			return err
		}
		if err := Set(ctx, tx, PhoneRegion, region); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "setting.changed", ActorID: actor.UserID,
			SubjectType: "setting", SubjectID: settingsSubject,
			Data: map[string]any{"key": PhoneRegion, "before": before, "after": region}})
		return err
	})
}

// settingsSubject is the subject id of setting events: the organisation's
// settings as a whole.
const settingsSubject = "00000000-0000-0000-0000-000000000000"
