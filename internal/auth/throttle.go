package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
)

// Throttle counts failures per key in fixed windows stored in the
// database, so a limit holds across every process serving the site.
type Throttle struct {
	db *db.DB
	// Limit is how many failures a key may have in one window.
	Limit int
	// Window is how long failures are counted from the first one.
	Window time.Duration
	// Now is the clock; tests move it.
	Now func() time.Time
}

// NewThrottle returns a throttle allowing limit failures per window.
func NewThrottle(d *db.DB, limit int, window time.Duration) *Throttle {
	return &Throttle{db: d, Limit: limit, Window: window, Now: db.Now}
}

// Blocked reports how long key must wait, or 0 when it may try now.
func (t *Throttle) Blocked(ctx context.Context, key string) (time.Duration, error) {
	var failures int
	var ends db.Time
	err := t.db.R.QueryRowContext(ctx, `SELECT failures, window_ends FROM throttles WHERE key = $1`, key).Scan(&failures, &ends)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	now := t.Now()
	if failures < t.Limit || !ends.After(now) {
		return 0, nil
	}
	return ends.Sub(now), nil
}

// Fail records one failure for key, starting a new window when the last
// one has ended.
func (t *Throttle) Fail(ctx context.Context, key string) error {
	now := t.Now().UTC().Truncate(time.Microsecond)
	_, err := t.db.W.ExecContext(ctx, `INSERT INTO throttles (key, failures, window_ends) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN throttles.window_ends <= $3 THEN 1 ELSE throttles.failures + 1 END,
			window_ends = CASE WHEN throttles.window_ends <= $3 THEN $2 ELSE throttles.window_ends END`,
		key, db.T(now.Add(t.Window)), db.T(now))
	return err
}

// Reset forgets key's failures, after a successful sign-in.
func (t *Throttle) Reset(ctx context.Context, key string) error {
	_, err := t.db.W.ExecContext(ctx, `DELETE FROM throttles WHERE key = $1`, key)
	return err
}
