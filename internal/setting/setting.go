// Package setting stores organisation-wide settings as key/value rows.
package setting

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

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
