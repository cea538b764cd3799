package user

import (
	"context"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/setting"
)

// Session is one signed-in browser of a user. Ending a session deletes
// it; the browser's next request finds it gone and is signed out.
type Session struct {
	ID         string
	UserID     string
	CreatedAt  time.Time
	LastSeenAt time.Time
	Address    string
	UserAgent  string
	// Method is how the second step was passed: MethodPassword when
	// there was none, MethodTOTP, MethodRecovery or MethodPasskey.
	Method string
}

// NewSession is the input of StartSession.
type NewSession struct {
	UserID    string
	Address   string
	UserAgent string
	Method    string
	// Idle is how long a session lives without a request: the user's
	// sessions idle for longer are deleted now.
	Idle time.Duration
}

// SignedIn is what every request of a signed-in browser needs: the user,
// their session, and whether a second factor is required of them.
type SignedIn struct {
	User    User
	Session Session
	// MFA is whether the user has two-factor sign-in on: an authenticator
	// app or a passkey.
	MFA bool
	// RequireMFA is the organisation's setting: everyone must have it on.
	RequireMFA bool
}

// TouchEvery is how often a session's last-seen time is written: at most
// once a minute, not on every request.
const TouchEvery = time.Minute

const sessionColumns = `s.id, s.user_id, s.created_at, s.last_seen_at, s.address, s.user_agent, s.method`

// StartSession records a new signed-in session of in.UserID and the
// sign-in in the audit log.
func (s *Service) StartSession(ctx context.Context, in NewSession) (Session, error) {
	if !id.Valid(in.UserID) {
		return Session{}, fmt.Errorf("user %q: %w", in.UserID, apperr.ErrNotFound)
	}
	if in.Method == "" {
		in.Method = MethodPassword
	}
	now := db.Now()
	ss := Session{ID: id.New(), UserID: in.UserID, CreatedAt: now, LastSeenAt: now,
		Address: clip(in.Address, 100), UserAgent: clip(in.UserAgent, 300), Method: in.Method}
	err := s.db.WithTx(ctx, func(tx *db.Tx) error {
		var name string
		if err := tx.QueryRowContext(ctx, `SELECT name FROM users WHERE id = $1`, in.UserID).Scan(&name); err != nil {
			return fmt.Errorf("user %s: %w", in.UserID, err)
		}
		if in.Idle > 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = $1 AND last_seen_at < $2`,
				in.UserID, db.T(now.Add(-in.Idle-TouchEvery))); err != nil {
				return fmt.Errorf("user: forget idle sessions: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_sessions (id, user_id, created_at, last_seen_at, address, user_agent, method)
			VALUES ($1, $2, $3, $3, $4, $5, $6)`, ss.ID, ss.UserID, db.T(now), ss.Address, ss.UserAgent, ss.Method); err != nil {
			return fmt.Errorf("user: start session: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "auth.signed_in", ActorID: in.UserID, ActorName: name,
			Address: in.Address, UserAgent: in.UserAgent, ObjectType: "user", ObjectID: in.UserID,
			Details: map[string]any{"method": in.Method, "session": ss.ID}})
	})
	if err != nil {
		return Session{}, err
	}
	return ss, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// SessionUser loads, in one query, the user of a signed-in session, the
// session itself and the organisation's second-factor rule, and keeps them
// in memory until a counter they depend on moves (signedInCache). A session
// that was ended, or that belongs to someone else, is ErrNotFound.
func (s *Service) SessionUser(ctx context.Context, sessionID, userID string) (SignedIn, error) {
	var in SignedIn
	if !id.Valid(sessionID) || !id.Valid(userID) {
		return in, fmt.Errorf("session %q: %w", sessionID, apperr.ErrNotFound)
	}
	definitions, sessions, err := s.sessionCounters(ctx)
	if err != nil {
		// Without its counters (a database from before migration 00021)
		// nothing is kept: every request reads the session.
		return s.loadSessionUser(ctx, sessionID, userID)
	}
	if in, ok := s.signedIn.get(sessionID, userID, definitions, sessions); ok {
		return in, nil
	}
	if in, err = s.loadSessionUser(ctx, sessionID, userID); err != nil {
		return in, err
	}
	s.signedIn.put(in, definitions, sessions)
	return in, nil
}

func (s *Service) loadSessionUser(ctx context.Context, sessionID, userID string) (SignedIn, error) {
	var in SignedIn
	var enabled, created, seen db.Time
	var require string
	var passkey bool
	ss := &in.Session
	u, err := scanUser(s.db.R.QueryRowContext(ctx, `SELECT `+userColumns+`, u.totp_enabled_at, EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id), `+sessionColumns+`,
		COALESCE((SELECT value FROM settings WHERE key = $3), '')
		FROM user_sessions s JOIN users u ON u.id = s.user_id JOIN roles r ON r.name = u.role
		WHERE s.id = $1 AND s.user_id = $2`, sessionID, userID, RequireMFAKey),
		&enabled, &passkey, &ss.ID, &ss.UserID, &created, &seen, &ss.Address, &ss.UserAgent, &ss.Method, &require)
	if err != nil {
		return in, fmt.Errorf("session %s: %w", sessionID, err)
	}
	in.User, in.MFA, in.RequireMFA = u, !enabled.IsZero() || passkey, require == "true"
	ss.CreatedAt, ss.LastSeenAt = created.Time, seen.Time
	return in, nil
}

// TouchSession notes that a session was just used, from where. Callers
// do it at most every TouchEvery.
func (s *Service) TouchSession(ctx context.Context, sessionID, address, userAgent string) error {
	now, address, userAgent := db.Now(), clip(address, 100), clip(userAgent, 300)
	_, err := s.db.W.ExecContext(ctx, `UPDATE user_sessions SET last_seen_at = $2, address = $3, user_agent = $4 WHERE id = $1`,
		sessionID, db.T(now), address, userAgent)
	if err != nil {
		return fmt.Errorf("user: touch session: %w", err)
	}
	s.signedIn.touched(sessionID, now, address, userAgent)
	return nil
}

// Sessions lists the signed-in user's sessions used within idle, most
// recently used first.
func (s *Service) Sessions(ctx context.Context, idle time.Duration) ([]Session, error) {
	a, err := self(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+sessionColumns+` FROM user_sessions s
		WHERE s.user_id = $1 AND s.last_seen_at >= $2 ORDER BY s.last_seen_at DESC, s.id DESC`,
		a.UserID, db.T(db.Now().Add(-idle-TouchEvery)))
	if err != nil {
		return nil, fmt.Errorf("user: sessions: %w", err)
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var ss Session
		var created, seen db.Time
		if err := rows.Scan(&ss.ID, &ss.UserID, &created, &seen, &ss.Address, &ss.UserAgent, &ss.Method); err != nil {
			return nil, err
		}
		ss.CreatedAt, ss.LastSeenAt = created.Time, seen.Time
		out = append(out, ss)
	}
	return out, rows.Err()
}

// RevokeSession ends one of the signed-in user's sessions; another
// user's session is ErrNotFound.
func (s *Service) RevokeSession(ctx context.Context, sessionID string) error {
	a, err := self(ctx)
	if err != nil {
		return err
	}
	if !id.Valid(sessionID) {
		return fmt.Errorf("session %q: %w", sessionID, apperr.ErrNotFound)
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		var address, agent string
		err := tx.QueryRowContext(ctx, `DELETE FROM user_sessions WHERE id = $1 AND user_id = $2 RETURNING address, user_agent`,
			sessionID, a.UserID).Scan(&address, &agent)
		if err != nil {
			return fmt.Errorf("session %s: %w", sessionID, notFound(err))
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.session_revoked", ActorID: a.UserID, SubjectType: "user",
			SubjectID: a.UserID, Data: map[string]any{"session": sessionID, "address": address, "user_agent": agent}})
		return err
	})
}

// RevokeOtherSessions ends every session of the signed-in user except
// keepID (the one asking) and returns how many it ended.
func (s *Service) RevokeOtherSessions(ctx context.Context, keepID string) (int, error) {
	a, err := self(ctx)
	if err != nil {
		return 0, err
	}
	var n int
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		n, err = deleteOtherSessions(ctx, tx, a.UserID, keepID)
		if err != nil || n == 0 {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.session_revoked", ActorID: a.UserID, SubjectType: "user",
			SubjectID: a.UserID, Data: map[string]any{"others": true, "sessions": n}})
		return err
	})
	return n, err
}

func deleteOtherSessions(ctx context.Context, tx *db.Tx, userID, keepID string) (int, error) {
	q, args := `DELETE FROM user_sessions WHERE user_id = $1`, []any{userID}
	if id.Valid(keepID) {
		q, args = q+` AND id <> $2`, append(args, keepID)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, fmt.Errorf("user: end other sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}

// EndSession forgets a session at sign-out.
func (s *Service) EndSession(ctx context.Context, sessionID string) error {
	if !id.Valid(sessionID) {
		return nil
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `DELETE FROM user_sessions WHERE id = $1 RETURNING user_id`, sessionID).Scan(&userID)
		if err != nil {
			if apperrIsNotFound(notFound(err)) {
				return nil
			}
			return fmt.Errorf("user: end session: %w", err)
		}
		return audit.Record(ctx, tx, audit.Entry{Action: "auth.signed_out", ObjectType: "user", ObjectID: userID,
			Details: map[string]any{"session": sessionID}})
	})
}

// SignInFailure describes a refused sign-in, for the audit log.
type SignInFailure struct {
	// Email is what was typed; it is recorded as typed, normalised.
	Email     string
	Address   string
	UserAgent string
	// Reason says why: "bad_credentials" or "throttled".
	Reason string
}

// RecordSignInFailure writes a refused sign-in into the audit log, under
// the user the email belongs to when there is one.
func (s *Service) RecordSignInFailure(ctx context.Context, in SignInFailure) error {
	email := NormaliseEmail(in.Email)
	e := audit.Entry{Action: "auth.sign_in_failed", Outcome: audit.Failed, Address: in.Address, UserAgent: in.UserAgent,
		ActorName: clip(email, 254), Details: map[string]any{"email": clip(email, 254), "reason": in.Reason}}
	if in.Reason == "throttled" {
		e.Outcome = audit.Denied
	}
	if u, _, err := userByEmail(ctx, s.db.R, email); err == nil {
		e.ActorID, e.ActorName, e.ObjectType, e.ObjectID = u.ID, u.Name, "user", u.ID
	}
	return audit.Record(ctx, s.db.W, e)
}

// RecordSecondFactorThrottled writes a second-step attempt refused for too
// many wrong codes into the audit log.
func (s *Service) RecordSecondFactorThrottled(ctx context.Context, in SecondFactor) error {
	e := audit.Entry{Action: "auth.mfa_failed", Outcome: audit.Denied, ActorID: in.UserID, Address: in.Address,
		UserAgent: in.UserAgent, ObjectType: "user", ObjectID: in.UserID, Details: map[string]any{"reason": "throttled"}}
	if u, err := userByID(ctx, s.db.R, in.UserID); err == nil {
		e.ActorName = u.Name
	}
	return audit.Record(ctx, s.db.W, e)
}

// RequireMFAKey is the setting that, when "true", makes two-factor
// sign-in compulsory for everyone.
const RequireMFAKey = "auth.require_mfa"

// MFARequired reports whether the organisation requires two-factor sign-in.
func (s *Service) MFARequired(ctx context.Context) (bool, error) {
	v, err := setting.Get(ctx, s.db.R, RequireMFAKey, "false")
	return v == "true", err
}

// settingsSubject is the subject id of setting events: the organisation's
// settings as a whole.
const settingsSubject = "00000000-0000-0000-0000-000000000000"
