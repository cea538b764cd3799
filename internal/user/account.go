package user

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/setting"
)

// PasswordChange is the input of ChangePassword.
type PasswordChange struct {
	Current string
	New     string
	Confirm string
	// KeepSessionID is the session asking; every other session of the
	// user is ended.
	KeepSessionID string
}

// ChangePassword sets the signed-in user's password after checking the
// current one, and signs out every other session. A wrong current
// password is a validation error that also matches ErrBadCredentials.
func (s *Service) ChangePassword(ctx context.Context, in PasswordChange) error {
	a, err := self(ctx)
	if err != nil {
		return err
	}
	var v apperr.Validation
	if in.Current == "" {
		v.Add("current_password", "Enter your current password.")
	}
	if p := PasswordProblem(in.New); p != "" {
		v.Add("new_password", p)
	} else if in.New == in.Current {
		v.Add("new_password", "Choose a password different from the current one.")
	}
	if in.Confirm != in.New {
		v.Add("confirm_password", "The two new passwords are not the same.")
	}
	if in.Current != "" {
		if err := checkOwnPassword(ctx, s.db.R, a.UserID, "current_password", in.Current); err != nil {
			if cv := apperr.AsValidation(err); cv != nil {
				v.Merge(err)
				return errors.Join(v.Err(), ErrBadCredentials)
			}
			return err
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	hash, err := HashPassword(in.New)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = $1, updated_at = $2, updated_by = $3 WHERE id = $3`,
			hash, db.T(db.Now()), a.UserID); err != nil {
			return fmt.Errorf("user: change password: %w", err)
		}
		n, err := deleteOtherSessions(ctx, tx, a.UserID, in.KeepSessionID)
		if err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.password_changed", ActorID: a.UserID,
			SubjectType: "user", SubjectID: a.UserID, Data: map[string]any{"other_sessions_ended": n}})
		return err
	})
}

// SetMFARequired turns the organisation's "everyone signs in with a
// second factor" rule on or off. Only those who may change settings may;
// turning it on needs the actor's own second factor on first, so nobody
// locks themselves out of the settings.
func (s *Service) SetMFARequired(ctx context.Context, on bool) error {
	a, err := access.Check(ctx, access.Settings, access.Update)
	if err != nil {
		return err
	}
	if on && !a.System {
		st, err := s.mfaStatus(ctx, s.db.R, a.UserID)
		if err != nil {
			return err
		}
		if !st.SecondFactor() {
			var v apperr.Validation
			v.Add("require_mfa", "Set up two-factor sign-in for your own account first (Account → Security), then require it of everyone.")
			return v.Err()
		}
	}
	after := fmt.Sprint(on)
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		before, err := setting.Get(ctx, tx, RequireMFAKey, "false")
		if err != nil || before == after {
			return err
		}
		if err := setting.Set(ctx, tx, RequireMFAKey, after); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "setting.changed", ActorID: a.UserID,
			SubjectType: "setting", SubjectID: settingsSubject,
			Data: map[string]any{"key": RequireMFAKey, "before": before, "after": after}})
		return err
	})
}

// notFound turns sql.ErrNoRows into apperr.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.ErrNotFound
	}
	return err
}

// MFAAdoption counts the active users and how many of them have
// two-factor sign-in on, for admins deciding whether to require it.
func (s *Service) MFAAdoption(ctx context.Context) (on, total int, err error) {
	if _, err := access.Check(ctx, access.Users, access.Read); err != nil {
		return 0, 0, err
	}
	err = s.db.R.QueryRowContext(ctx, `SELECT count(CASE WHEN u.totp_enabled_at IS NOT NULL
		OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id) THEN 1 END), count(*)
		FROM users u WHERE u.disabled_at IS NULL`).Scan(&on, &total)
	if err != nil {
		return 0, 0, fmt.Errorf("user: mfa adoption: %w", err)
	}
	return on, total, nil
}
