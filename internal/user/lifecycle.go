package user

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/mail"
)

// Mailer queues email inside a transaction and removes the secrets from
// a queued message's stored copy; *mail.Outbox is one.
type Mailer interface {
	Queue(ctx context.Context, tx *db.Tx, m mail.Message) (string, error)
	Redact(ctx context.Context, tx *db.Tx, msgID string) error
}

// lifecycle is what the user service needs beyond the database to invite,
// deactivate and hand over: the mailer, the site's address, the clock and
// the domains that own records.
type lifecycle struct {
	mail      Mailer
	baseURL   string
	now       func() time.Time
	transfers []transferHook
}

// UseMail makes invitations go out through m, with links under baseURL
// (the --base-url setting, e.g. https://crm.example.com). Until it is
// called, invitation emails are kept in the outbox and links are relative.
func (s *Service) UseMail(m Mailer, baseURL string) {
	s.life.mail, s.life.baseURL = m, baseURL
}

// SetNow replaces the clock that invitations expire by (tests move it).
func (s *Service) SetNow(now func() time.Time) { s.life.now = now }

func (s *Service) now() time.Time {
	if s.life.now != nil {
		return s.life.now().UTC().Truncate(time.Microsecond)
	}
	return db.Now()
}

func (s *Service) mailer() Mailer {
	if s.life.mail != nil {
		return s.life.mail
	}
	return mail.New(s.db)
}

// refuse records a refused attempt in the audit log and returns err. The
// entry is written on its own: the attempt changed nothing.
func (s *Service) refuse(ctx context.Context, action, objectType, objectID string, err error) error {
	e := audit.Entry{Action: action, Outcome: audit.Denied, ObjectType: objectType, ObjectID: objectID,
		Details: map[string]string{"reason": err.Error()}}
	if rerr := audit.Record(ctx, s.db.W, e); rerr != nil {
		return errors.Join(err, rerr)
	}
	return err
}

// check is access.Check that records a refusal in the audit log.
func (s *Service) check(ctx context.Context, action access.Action, attempt, objectType, objectID string) (access.Actor, error) {
	a, err := access.Check(ctx, access.Users, action)
	if err != nil {
		return a, s.refuse(ctx, attempt, objectType, objectID, err)
	}
	return a, nil
}

// mayManageOwner reports whether a may act on an owner (or make one):
// only owners, and Rapport itself, may.
func mayManageOwner(a access.Actor) bool { return a.System || a.Role == RoleOwner }

func conflict(field, msg string) error {
	v := &apperr.Validation{Conflict: true}
	v.Add(field, msg)
	return v
}

// Deactivate stops a user from signing in and ends every session they
// have. Their records keep them as owner (TransferRecords hands them over).
// Nobody deactivates themselves or the last active owner, and only owners
// deactivate owners. Deactivating a deactivated user changes nothing.
func (s *Service) Deactivate(ctx context.Context, userID string) (User, error) {
	actor, err := s.check(ctx, access.Update, "user.deactivate", "user", userID)
	if err != nil {
		return User{}, err
	}
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return u, err
	}
	if u.ID == actor.UserID {
		return u, conflict("user", "You cannot deactivate yourself; ask another owner or admin.")
	}
	if !u.DisabledAt.IsZero() {
		return u, nil
	}
	if u.Role == RoleOwner && !mayManageOwner(actor) {
		return u, s.refuse(ctx, "user.deactivate", "user", u.ID,
			fmt.Errorf("user: only an owner deactivates an owner: %w", apperr.ErrForbidden))
	}
	now := s.now()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if u.Role == RoleOwner {
			if err := lockOwners(ctx, tx); err != nil {
				return err
			}
			var owners int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = 'owner' AND disabled_at IS NULL`).Scan(&owners); err != nil {
				return err
			}
			if owners <= 1 {
				return conflict("user", "This is the last owner; make someone else an owner first.")
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = $1, updated_at = $1, updated_by = $2 WHERE id = $3`,
			db.T(now), db.NullString(actor.UserID), u.ID); err != nil {
			return fmt.Errorf("user: deactivate: %w", err)
		}
		// Each signed-in browser has a row; without it the next request of
		// that browser is signed out (and a disabled user is refused anyway).
		res, err := tx.ExecContext(ctx, `DELETE FROM user_sessions WHERE user_id = $1`, u.ID)
		if err != nil {
			return fmt.Errorf("user: end sessions: %w", err)
		}
		ended, _ := res.RowsAffected()
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.deactivated", ActorID: actor.UserID, SubjectType: "user",
			SubjectID: u.ID, Data: map[string]any{"email": u.Email, "role": u.Role, "sessions_ended": ended}})
		return err
	})
	if err != nil {
		return u, err
	}
	u.DisabledAt, u.UpdatedAt = now, now
	return u, nil
}

// Reactivate lets a deactivated user sign in again. Only owners reactivate
// owners. Reactivating an active user changes nothing.
func (s *Service) Reactivate(ctx context.Context, userID string) (User, error) {
	actor, err := s.check(ctx, access.Update, "user.reactivate", "user", userID)
	if err != nil {
		return User{}, err
	}
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return u, err
	}
	if u.DisabledAt.IsZero() {
		return u, nil
	}
	if u.Role == RoleOwner && !mayManageOwner(actor) {
		return u, s.refuse(ctx, "user.reactivate", "user", u.ID,
			fmt.Errorf("user: only an owner reactivates an owner: %w", apperr.ErrForbidden))
	}
	now := s.now()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET disabled_at = NULL, updated_at = $1, updated_by = $2 WHERE id = $3`,
			db.T(now), db.NullString(actor.UserID), u.ID); err != nil {
			return fmt.Errorf("user: reactivate: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "user.reactivated", ActorID: actor.UserID, SubjectType: "user",
			SubjectID: u.ID, Data: map[string]any{"email": u.Email, "role": u.Role}})
		return err
	})
	if err != nil {
		return u, err
	}
	u.DisabledAt, u.UpdatedAt = time.Time{}, now
	return u, nil
}
