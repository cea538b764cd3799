package user_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestSessionsAndPasswordChange(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		bg := context.Background()
		_, owner := fixture.User(t, d, "owner")
		ctx, u := fixture.User(t, d, "member")
		start := func(userID, agent string) user.Session {
			t.Helper()
			ss, err := s.StartSession(bg, user.NewSession{UserID: userID, Address: "192.0.2.1", UserAgent: agent, Idle: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			return ss
		}
		laptop, phone, tablet := start(u.ID, "laptop"), start(u.ID, "phone"), start(u.ID, "tablet")
		olgas := start(owner.ID, "owner's browser")
		if n := auditCount(t, d, "auth.signed_in", "ok", u.ID); n != 3 {
			t.Errorf("%d auth.signed_in entries, want 3", n)
		}

		in, err := s.SessionUser(bg, laptop.ID, u.ID)
		if err != nil || in.User.ID != u.ID || in.Session.UserAgent != "laptop" || in.MFA || in.RequireMFA || in.User.Access.Name != "member" {
			t.Fatalf("SessionUser = %+v, %v", in, err)
		}
		// A session is only good for its own user.
		if _, err := s.SessionUser(bg, olgas.ID, u.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("someone else's session: %v", err)
		}
		if _, err := s.SessionUser(bg, "nonsense", u.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("malformed session id: %v", err)
		}

		list, err := s.Sessions(ctx, time.Hour)
		if err != nil || len(list) != 3 {
			t.Fatalf("Sessions = %d, %v; want 3", len(list), err)
		}
		if err := s.TouchSession(bg, laptop.ID, "198.51.100.2", "laptop 2"); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Sessions(ctx, time.Hour); list[0].ID != laptop.ID || list[0].Address != "198.51.100.2" {
			t.Errorf("after touch the laptop is not first: %+v", list[0])
		}

		// Revoking: one's own sessions only.
		if err := s.RevokeSession(ctx, olgas.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("revoking someone else's session: %v", err)
		}
		if err := s.RevokeSession(ctx, tablet.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionUser(bg, tablet.ID, u.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("revoked session still loads: %v", err)
		}
		if k := kinds(t, d, "user", u.ID); !slices.Contains(k, "user.session_revoked") {
			t.Errorf("events %v lack user.session_revoked", k)
		}

		// Changing the password: every problem at once, then the real thing.
		for _, c := range []struct {
			in          user.PasswordChange
			field, msg  string
			badPassword bool
		}{
			{user.PasswordChange{New: "a new long password", Confirm: "a new long password"}, "current_password", "Enter your current password.", false},
			{user.PasswordChange{Current: "not it at all", New: "a new long password", Confirm: "a new long password"}, "current_password", "That password is not right.", true},
			{user.PasswordChange{Current: fixture.Password, New: "short", Confirm: "short"}, "new_password", "Use at least 10 characters.", false},
			{user.PasswordChange{Current: fixture.Password, New: fixture.Password, Confirm: fixture.Password}, "new_password", "different from the current one", false},
			{user.PasswordChange{Current: fixture.Password, New: "a new long password", Confirm: "a new long passwort"}, "confirm_password", "not the same", false},
		} {
			err := s.ChangePassword(ctx, c.in)
			if v := apperr.AsValidation(err); v == nil || !strings.Contains(v.For(c.field), c.msg) {
				t.Errorf("%+v: %v, want %s: %q", c.in, err, c.field, c.msg)
			}
			if got := errors.Is(err, user.ErrBadCredentials); got != c.badPassword {
				t.Errorf("%+v: matches ErrBadCredentials %v, want %v", c.in, got, c.badPassword)
			}
		}
		if err := s.ChangePassword(ctx, user.PasswordChange{Current: fixture.Password, New: "a new long password",
			Confirm: "a new long password", KeepSessionID: laptop.ID}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionUser(bg, phone.ID, u.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("other session survived a password change: %v", err)
		}
		if _, err := s.SessionUser(bg, laptop.ID, u.ID); err != nil {
			t.Errorf("the session that changed the password ended: %v", err)
		}
		if _, err := s.SessionUser(bg, olgas.ID, owner.ID); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
		if _, err := s.Authenticate(bg, u.Email, "a new long password"); err != nil {
			t.Errorf("new password does not work: %v", err)
		}
		if _, err := s.Authenticate(bg, u.Email, fixture.Password); !errors.Is(err, user.ErrBadCredentials) {
			t.Errorf("old password still works: %v", err)
		}

		// Signing out everywhere else, then signing out here.
		start(u.ID, "again")
		if n, err := s.RevokeOtherSessions(ctx, laptop.ID); err != nil || n != 1 {
			t.Errorf("RevokeOtherSessions = %d, %v; want 1", n, err)
		}
		if err := s.EndSession(access.WithActor(bg, u.Actor()), laptop.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Sessions(ctx, time.Hour); len(list) != 0 {
			t.Errorf("%d sessions left, want 0", len(list))
		}
		if n := auditCount(t, d, "auth.signed_out", "ok", u.ID); n != 1 {
			t.Errorf("%d auth.signed_out entries, want 1", n)
		}

		// Failed sign-ins are recorded under the user the email names.
		if err := s.RecordSignInFailure(bg, user.SignInFailure{Email: " " + strings.ToUpper(u.Email), Address: "203.0.113.9", Reason: "bad_credentials"}); err != nil {
			t.Fatal(err)
		}
		if n := auditCount(t, d, "auth.sign_in_failed", "failed", u.ID); n != 1 {
			t.Errorf("%d auth.sign_in_failed entries, want 1", n)
		}
		if err := s.RecordSignInFailure(bg, user.SignInFailure{Email: "nobody@example.com", Reason: "bad_credentials"}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestStartSessionForgetsIdleOnes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		ctx, u := fixture.User(t, d, "owner")
		old, err := s.StartSession(ctx, user.NewSession{UserID: u.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := d.W.Exec(`UPDATE user_sessions SET last_seen_at = $1 WHERE id = $2`, db.T(db.Now().Add(-48*time.Hour)), old.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Sessions(ctx, 12*time.Hour); len(list) != 0 {
			t.Errorf("an idle session is listed: %+v", list)
		}
		if _, err := s.StartSession(ctx, user.NewSession{UserID: u.ID, Idle: 12 * time.Hour}); err != nil {
			t.Fatal(err)
		}
		var n int
		d.R.QueryRow(`SELECT count(*) FROM user_sessions WHERE user_id = $1`, u.ID).Scan(&n)
		if n != 1 {
			t.Errorf("%d session rows, want 1 (the idle one forgotten)", n)
		}
	})
}

func TestRequireMFASetting(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		ownerCtx, owner := fixture.User(t, d, "owner")
		memberCtx, member := fixture.User(t, d, "member")
		if err := s.SetMFARequired(memberCtx, true); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member requires MFA: %v, want forbidden", err)
		}
		// The owner must have it on first.
		if err := s.SetMFARequired(ownerCtx, true); apperr.AsValidation(err).For("require_mfa") == "" {
			t.Errorf("owner without MFA requires it: %v", err)
		}
		enrol(t, s, ownerCtx)
		if err := s.SetMFARequired(ownerCtx, true); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.MFARequired(context.Background()); !on {
			t.Error("setting not stored")
		}
		ss, err := s.StartSession(context.Background(), user.NewSession{UserID: member.ID})
		if err != nil {
			t.Fatal(err)
		}
		in, err := s.SessionUser(context.Background(), ss.ID, member.ID)
		if err != nil || !in.RequireMFA || in.MFA {
			t.Errorf("SessionUser = RequireMFA %v, MFA %v, %v; want true, false", in.RequireMFA, in.MFA, err)
		}
		if k := kinds(t, d, "setting", "00000000-0000-0000-0000-000000000000"); !slices.Contains(k, "setting.changed") {
			t.Errorf("events %v lack setting.changed", k)
		}
		if err := s.SetMFARequired(ownerCtx, false); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.MFARequired(context.Background()); on {
			t.Error("setting still on")
		}
		_ = owner
	})
}

// TestSessionUserSeesChangesMadeElsewhere keeps a session's user in the
// service's memory and changes what it depends on with plain SQL, as
// another process or a database tool would: each change shows at the next
// call.
func TestSessionUserSeesChangesMadeElsewhere(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		bg := context.Background()
		_, u := fixture.User(t, d, "member")
		ss, err := s.StartSession(bg, user.NewSession{UserID: u.ID, UserAgent: "laptop"})
		if err != nil {
			t.Fatal(err)
		}
		load := func() user.SignedIn {
			t.Helper()
			in, err := s.SessionUser(bg, ss.ID, u.ID)
			if err != nil {
				t.Fatalf("SessionUser: %v", err)
			}
			return in
		}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := d.W.Exec(q, args...); err != nil {
				t.Fatal(err)
			}
		}
		load()
		// What nothing watches stays as it was read: the cache is in use.
		exec(`UPDATE user_sessions SET user_agent = 'phone' WHERE id = $1`, ss.ID)
		if in := load(); in.Session.UserAgent != "laptop" {
			t.Errorf("user agent %q: the session was read again though nothing it depends on changed", in.Session.UserAgent)
		}
		exec(`UPDATE users SET name = 'Renamed Elsewhere', disabled_at = $2 WHERE id = $1`, u.ID, db.T(db.Now()))
		if in := load(); in.User.Name != "Renamed Elsewhere" || in.User.DisabledAt.IsZero() {
			t.Errorf("after a change to the user: %q, disabled %v", in.User.Name, in.User.DisabledAt)
		}
		exec(`INSERT INTO settings (key, value, updated_at) VALUES ($1, 'true', $2)`, user.RequireMFAKey, db.T(db.Now()))
		if in := load(); !in.RequireMFA {
			t.Error("two-factor sign-in required elsewhere, not seen")
		}
		// The way the settings service writes: an upsert that updates.
		exec(`INSERT INTO settings (key, value, updated_at) VALUES ($1, 'false', $2)
			ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, user.RequireMFAKey, db.T(db.Now()))
		if in := load(); in.RequireMFA {
			t.Error("two-factor sign-in no longer required elsewhere, not seen")
		}
		exec(`INSERT INTO passkeys (id, user_id, credential_id, public_key, name, created_at) VALUES ($1, $2, $3, $4, 'Laptop', $5)`,
			id.New(), u.ID, []byte("credential"), []byte("key"), db.T(db.Now()))
		if in := load(); !in.MFA {
			t.Error("a passkey added elsewhere is not seen as a second factor")
		}
		exec(`DELETE FROM passkeys WHERE user_id = $1`, u.ID)
		if in := load(); in.MFA {
			t.Error("a passkey removed elsewhere is still seen as a second factor")
		}
		exec(`UPDATE users SET role = 'owner' WHERE id = $1`, u.ID)
		if in := load(); in.User.Access.Name != "owner" {
			t.Errorf("role changed elsewhere to owner, seen %q", in.User.Access.Name)
		}
		exec(`DELETE FROM user_sessions WHERE id = $1`, ss.ID)
		if _, err := s.SessionUser(bg, ss.ID, u.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("session ended elsewhere still loads: %v", err)
		}
	})
}
