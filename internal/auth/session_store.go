// Package auth keeps sign-in state: server-side sessions in the database
// and login throttling that holds across processes.
package auth

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"reflect"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/memo"
	"github.com/rapportcrm/rapport/internal/revision"
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
	var expiry db.Time
	var revisions sql.NullString
	// The revision counters come along: the pages that keep definitions in
	// memory check them, and this query is one every signed-in request makes.
	err := s.db.R.QueryRowContext(ctx, `SELECT data, expiry, `+revision.Column(s.db.Engine)+`
		FROM sessions WHERE token = $1 AND expiry > $2`, token, db.T(db.Now())).Scan(&b, &expiry, &revisions)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	memo.Put(ctx, foundKey+token, foundSession{data: b, expiry: expiry.Time})
	revision.Remember(ctx, revisions.String)
	return b, true, nil
}

// RefreshEvery is how stale a session's stored expiry may get. With an
// idle timeout scs commits every request only to push the expiry on; a
// read-only request whose session data did not change skips that write
// while the stored expiry is less than RefreshEvery behind, so pages do
// not queue on the database's writer. A session then ends at most
// RefreshEvery before IdleTimeout after its last request.
const RefreshEvery = time.Minute

const foundKey = "auth.session:"

// foundSession is the session row as FindCtx read it in this request.
type foundSession struct {
	data   []byte
	expiry time.Time
}

// unchanged reports whether committing b with expiry in this request may
// be skipped (see RefreshEvery).
func unchanged(ctx context.Context, token string, b []byte, expiry time.Time) bool {
	f, ok := memo.Get[foundSession](ctx, foundKey+token)
	if !ok || expiry.Before(f.expiry) || expiry.Sub(f.expiry) >= RefreshEvery {
		return false
	}
	if bytes.Equal(f.data, b) {
		return true
	}
	// gob writes a map in random order: compare what the bytes hold.
	var codec scs.GobCodec
	d1, v1, err1 := codec.Decode(f.data)
	d2, v2, err2 := codec.Decode(b)
	return err1 == nil && err2 == nil && d1.Equal(d2) && reflect.DeepEqual(v1, v2)
}

// CommitCtx adds or replaces a session.
func (s *SessionStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	if unchanged(ctx, token, b, expiry) {
		return nil
	}
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
