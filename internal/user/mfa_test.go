package user_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// code returns the authenticator code of secret at now + offset.
func code(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wrongCode returns a six-digit code that matches none of the accepted steps.
func wrongCode(t *testing.T, secret string) string {
	t.Helper()
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != code(t, secret, -30*time.Second) && c != code(t, secret, 0) && c != code(t, secret, 30*time.Second) {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

// auditCount counts audit entries of action with outcome about userID.
func auditCount(t *testing.T, d *db.DB, action, outcome, userID string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log
		WHERE action = $1 AND outcome = $2 AND object_id = $3`, action, outcome, userID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// enrol turns two-factor sign-in on for the user acting in ctx and returns
// the secret and the recovery codes.
func enrol(t *testing.T, s *user.Service, ctx context.Context) (string, []string) {
	t.Helper()
	e, err := s.BeginTOTP(ctx)
	if err != nil {
		t.Fatalf("BeginTOTP: %v", err)
	}
	codes, err := s.ConfirmTOTP(ctx, user.TOTPConfirmation{Secret: e.Secret, Code: code(t, e.Secret, 0)})
	if err != nil {
		t.Fatalf("ConfirmTOTP: %v", err)
	}
	return e.Secret, codes
}

func TestTOTPEnrolmentAndSecondFactor(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		ctx, u := fixture.User(t, d, "member")
		e, err := s.BeginTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(e.URL, "otpauth://totp/Rapport:") || !strings.Contains(e.URL, "secret="+e.Secret) || len(e.Secret) != 32 {
			t.Errorf("enrolment %+v", e)
		}
		if st, _ := s.MFAStatus(ctx); st.Enabled {
			t.Fatal("enabled before the code was confirmed")
		}
		for _, c := range []struct{ code, msg string }{
			{"", "Enter the 6-digit code"},
			{"12345", "The code has 6 digits."},
			{"abcdef", "The code has 6 digits."},
			{wrongCode(t, e.Secret), "That code is not right."},
			{code(t, e.Secret, 5*time.Minute), "That code is not right."},
		} {
			_, err := s.ConfirmTOTP(ctx, user.TOTPConfirmation{Secret: e.Secret, Code: c.code})
			if v := apperr.AsValidation(err); v == nil || !strings.Contains(v.For("code"), c.msg) {
				t.Errorf("confirm with %q: %v, want %q", c.code, err, c.msg)
			}
		}
		if _, err := s.ConfirmTOTP(ctx, user.TOTPConfirmation{Secret: "not base32!", Code: "123456"}); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("confirm with a bad secret: %v", err)
		}
		// The code may be typed with a space, as apps show it.
		c := code(t, e.Secret, 0)
		codes, err := s.ConfirmTOTP(ctx, user.TOTPConfirmation{Secret: e.Secret, Code: c[:3] + " " + c[3:]})
		if err != nil {
			t.Fatal(err)
		}
		if len(codes) != user.RecoveryCodeCount || len(codes[0]) != 11 || codes[0][5] != '-' {
			t.Errorf("recovery codes %q", codes)
		}
		if st, _ := s.MFAStatus(ctx); !st.Enabled || st.RecoveryCodesLeft != 10 || st.EnabledAt.IsZero() {
			t.Errorf("status %+v", st)
		}
		if _, err := s.BeginTOTP(ctx); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("BeginTOTP while enabled: %v", err)
		}
		if _, err := s.ConfirmTOTP(ctx, user.TOTPConfirmation{Secret: e.Secret, Code: code(t, e.Secret, 30*time.Second)}); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("second confirm: %v", err)
		}
		if k := kinds(t, d, "user", u.ID); !slices.Contains(k, "user.mfa_enabled") {
			t.Errorf("events %v lack user.mfa_enabled", k)
		}
		// Stored hashed: no recovery code appears in the table.
		var plain int
		d.R.QueryRow(`SELECT count(*) FROM recovery_codes WHERE code_hash = $1`, codes[0]).Scan(&plain)
		if plain != 0 {
			t.Error("recovery code stored in plain text")
		}

		verify := func(code string) (string, error) {
			return s.VerifySecondFactor(context.Background(), user.SecondFactor{UserID: u.ID, Code: code, Address: "192.0.2.7", UserAgent: "test"})
		}
		// The code that confirmed enrolment cannot sign in: its step is spent.
		if _, err := verify(c); !errors.Is(err, user.ErrCodeReused) {
			t.Errorf("enrolment code reused: %v, want ErrCodeReused", err)
		}
		next := code(t, e.Secret, 30*time.Second)
		if m, err := verify(next); err != nil || m != user.MethodTOTP {
			t.Fatalf("next code: %q, %v", m, err)
		}
		if _, err := verify(next); !errors.Is(err, user.ErrCodeReused) {
			t.Errorf("replayed code: %v, want ErrCodeReused", err)
		}
		if _, err := verify(wrongCode(t, e.Secret)); !errors.Is(err, user.ErrBadCode) {
			t.Errorf("wrong code: %v, want ErrBadCode", err)
		}
		if n := auditCount(t, d, "auth.mfa_failed", "failed", u.ID); n != 3 {
			t.Errorf("%d auth.mfa_failed entries, want 3 (two replays, one wrong)", n)
		}

		// Recovery codes: each works once, in any case, with or without the dash.
		if m, err := verify(codes[0]); err != nil || m != user.MethodRecovery {
			t.Fatalf("recovery code: %q, %v", m, err)
		}
		if _, err := verify(codes[0]); !errors.Is(err, user.ErrRecoveryCodeUsed) {
			t.Errorf("reused recovery code: %v, want ErrRecoveryCodeUsed", err)
		}
		if n := auditCount(t, d, "auth.recovery_code_reused", "denied", u.ID); n != 1 {
			t.Errorf("%d auth.recovery_code_reused entries, want 1", n)
		}
		if _, err := verify(" " + strings.ToUpper(strings.ReplaceAll(codes[1], "-", "")) + " "); err != nil {
			t.Errorf("recovery code typed in capitals: %v", err)
		}
		if _, err := verify("zzzzz-zzzzz"); !errors.Is(err, user.ErrBadCode) {
			t.Errorf("made-up recovery code: %v", err)
		}
		if st, _ := s.MFAStatus(ctx); st.RecoveryCodesLeft != 8 {
			t.Errorf("%d codes left, want 8", st.RecoveryCodesLeft)
		}

		// Regenerating needs the password and retires the old codes.
		if _, err := s.RegenerateRecoveryCodes(ctx, "wrong password"); !errors.Is(err, user.ErrBadCredentials) || apperr.AsValidation(err).For("password") == "" {
			t.Errorf("regenerate with a wrong password: %v", err)
		}
		fresh, err := s.RegenerateRecoveryCodes(ctx, fixture.Password)
		if err != nil || len(fresh) != 10 {
			t.Fatalf("regenerate: %d codes, %v", len(fresh), err)
		}
		if _, err := verify(codes[2]); !errors.Is(err, user.ErrBadCode) {
			t.Errorf("old recovery code after regeneration: %v", err)
		}
		if _, err := verify(fresh[0]); err != nil {
			t.Errorf("new recovery code: %v", err)
		}

		// Disabling needs the password too.
		if err := s.DisableTOTP(ctx, ""); apperr.AsValidation(err).For("password") != "Enter your password." {
			t.Errorf("disable without password: %v", err)
		}
		if err := s.DisableTOTP(ctx, "wrong password"); !errors.Is(err, user.ErrBadCredentials) {
			t.Errorf("disable with a wrong password: %v", err)
		}
		if err := s.DisableTOTP(ctx, fixture.Password); err != nil {
			t.Fatal(err)
		}
		if on, _ := s.TOTPEnabled(context.Background(), u.ID); on {
			t.Error("still enabled after disabling")
		}
		if _, err := verify(code(t, e.Secret, 60*time.Second)); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("verify after disabling: %v", err)
		}
		for _, k := range []string{"user.mfa_disabled", "user.recovery_codes_regenerated"} {
			if got := kinds(t, d, "user", u.ID); !slices.Contains(got, k) {
				t.Errorf("events %v lack %s", got, k)
			}
		}
	})
}

func TestServiceNeedsSignedInUser(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := user.NewService(d)
		ctx := context.Background()
		if _, err := s.BeginTOTP(ctx); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("BeginTOTP without actor: %v", err)
		}
		if err := s.ChangePassword(ctx, user.PasswordChange{}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("ChangePassword without actor: %v", err)
		}
		if _, err := s.Sessions(ctx, time.Hour); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("Sessions without actor: %v", err)
		}
	})
}
