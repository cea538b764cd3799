// Package auth keeps sign-in state: server-side sessions in the database
// and login throttling that holds across processes.
package auth

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
)

// SessionStore keeps scs sessions in the sessions table of either engine,
// so any process behind a load balancer can serve any session.
type SessionStore struct {
	db *db.DB
}

// NewSessionStore returns a store over d.
func NewSessionStore(d *db.DB) *SessionStore { return &SessionStore{db: d} }

// FindCtx returns the session data for token if it exists and has not expired.
func (s *SessionStore) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	var b []byte
	err := s.db.R.QueryRowContext(ctx, `SELECT data FROM sessions WHERE token = $1 AND expiry > $2`,
		token, db.T(db.Now())).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// CommitCtx adds or replaces a session.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	_, err := s.db.W.ExecContext(ctx, `INSERT INTO sessions (token, data, expiry) VALUES ($1, $2, $3)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		token, b, db.T(expiry))
	return err
}

// DeleteCtx removes a session.
func (s *SessionStore) DeleteCtx(ctx context.Context, token string) error {
	_, err := s.db.W.ExecContext(ctx, `DELETE FROM sessions WHERE token = $1`, token)
	return err
}

// Find, Commit and Delete satisfy scs.Store; scs calls the Ctx forms.
func (s *SessionStore) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit implements scs.Store.
func (s *SessionStore) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete implements scs.Store.
func (s *SessionStore) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// IdleTimeout ends a session after this long without a request.
const IdleTimeout = 12 * time.Hour

// Cleanup deletes expired sessions, the rows of signed-in browsers idle for
// longer than IdleTimeout, and finished throttle windows. It runs as a
// periodic job.
func Cleanup(ctx context.Context, d *db.DB) (sessions, throttles int64, err error) {
	now := db.T(db.Now())
	r, err := d.W.ExecContext(ctx, `DELETE FROM sessions WHERE expiry <= $1`, now)
	if err != nil {
		return 0, 0, err
	}
	sessions, _ = r.RowsAffected()
	r, err = d.W.ExecContext(ctx, `DELETE FROM user_sessions WHERE last_seen_at <= $1`, db.T(db.Now().Add(-IdleTimeout)))
	if err != nil {
		return sessions, 0, err
	}
	idle, _ := r.RowsAffected()
	sessions += idle
	r, err = d.W.ExecContext(ctx, `DELETE FROM throttles WHERE window_ends <= $1`, now)
	if err != nil {
		return sessions, 0, err
	}
	throttles, _ = r.RowsAffected()
	return sessions, throttles, nil
}
