package user

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// TOTP parameters: what every authenticator app understands (RFC 6238
// defaults). One step either side of now is accepted, for clocks that drift.
const (
	totpIssuer = "Rapport"
	totpPeriod = 30
	totpSkew   = 1
	// RecoveryCodeCount is how many recovery codes a user gets at a time.
	RecoveryCodeCount = 10
)

// Errors of the second sign-in step. Each is recorded in the audit log
// before it is returned.
var (
	// ErrBadCode is a code that is neither the authenticator's current
	// code nor an unused recovery code.
	ErrBadCode = errors.New("the code is not right")
	// ErrCodeReused is an authenticator code that was already accepted once.
	ErrCodeReused = errors.New("the code was already used")
	// ErrRecoveryCodeUsed is a recovery code that was spent before.
	ErrRecoveryCodeUsed = errors.New("the recovery code was already used")
)

// Second-factor methods, as recorded on sessions and in the audit log.
const (
	MethodPassword = "password"
	MethodTOTP     = "totp"
	MethodRecovery = "recovery_code"
)

// Enrolment is a new authenticator secret waiting to be confirmed with a
// code. Nothing is stored until Confirm succeeds.
type Enrolment struct {
	// Secret is the base32 secret, for people who type it in.
	Secret string
	// URL is the otpauth:// URL the QR code holds.
	URL string
}

// TOTPConfirmation is the input of ConfirmTOTP.
type TOTPConfirmation struct {
	Secret string
	Code   string
}

// MFAStatus is what the Security page says about a user's second factor.
type MFAStatus struct {
	// Enabled is whether the authenticator app (TOTP) is on.
	Enabled           bool
	EnabledAt         time.Time
	RecoveryCodesLeft int
	// Passkeys counts the user's passkeys, each a second factor too.
	Passkeys int
}

// SecondFactor reports whether the user has any second factor: the
// authenticator app or a passkey.
func (st MFAStatus) SecondFactor() bool { return st.Enabled || st.Passkeys > 0 }

// SecondFactor is a code typed at the second sign-in step, with where it
// came from for the audit log.
type SecondFactor struct {
	UserID    string
	Code      string
	Address   string
	UserAgent string
}

// self returns the signed-in actor acting on their own account.
func self(ctx context.Context) (access.Actor, error) {
	a, ok := access.ActorFrom(ctx)
	if !ok || a.UserID == "" {
		return a, fmt.Errorf("user: no signed-in user: %w", apperr.ErrForbidden)
	}
	return a, nil
}

// BeginTOTP makes a new authenticator secret for the signed-in user. The
// caller keeps it (in the session) until ConfirmTOTP.
func (s *Service) BeginTOTP(ctx context.Context) (Enrolment, error) {
	a, err := self(ctx)
	if err != nil {
		return Enrolment{}, err
	}
	u, err := userByID(ctx, s.db.R, a.UserID)
	if err != nil {
		return Enrolment{}, err
	}
	st, err := s.mfaStatus(ctx, s.db.R, u.ID)
	if err != nil {
		return Enrolment{}, err
	}
	if st.Enabled {
		return Enrolment{}, fmt.Errorf("user: two-factor sign-in is already on: %w", apperr.ErrConflict)
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email, Period: totpPeriod})
	if err != nil {
		return Enrolment{}, fmt.Errorf("user: new authenticator secret: %w", err)
	}
	return Enrolment{Secret: key.Secret(), URL: key.URL()}, nil
}

// EnrolmentURL returns the otpauth:// URL of secret for the signed-in
// user, to draw it as a QR code.
func (s *Service) EnrolmentURL(ctx context.Context, secret string) (string, error) {
	a, err := self(ctx)
	if err != nil {
		return "", err
	}
	if !validSecret(secret) {
		return "", fmt.Errorf("user: enrolment secret: %w", apperr.ErrNotFound)
	}
	u, err := userByID(ctx, s.db.R, a.UserID)
	if err != nil {
		return "", err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email, Period: totpPeriod,
		Secret: mustDecodeSecret(secret)})
	if err != nil {
		return "", err
	}
	return key.URL(), nil
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

func validSecret(secret string) bool {
	b, err := b32.DecodeString(secret)
	return err == nil && len(b) >= 10
}

func mustDecodeSecret(secret string) []byte {
	b, _ := b32.DecodeString(secret)
	return b
}

// ConfirmTOTP turns two-factor sign-in on once the user proves, with a
// code, that their app holds the secret. It returns the recovery codes,
// which are shown this once and stored only as hashes.
func (s *Service) ConfirmTOTP(ctx context.Context, in TOTPConfirmation) ([]string, error) {
	a, err := self(ctx)
	if err != nil {
		return nil, err
	}
	var v apperr.Validation
	code := normaliseTOTP(in.Code)
	if !validSecret(in.Secret) {
		return nil, fmt.Errorf("user: enrolment secret: %w", apperr.ErrNotFound)
	}
	step, ok := matchTOTP(in.Secret, code, time.Now())
	switch {
	case code == "":
		v.Add("code", "Enter the 6-digit code your authenticator app shows.")
	case len(code) != 6:
		v.Add("code", "The code has 6 digits.")
	case !ok:
		v.Add("code", "That code is not right. Check that your phone's clock is set automatically and type the code the app shows now.")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	codes := newRecoveryCodes()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		now := db.Now()
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = $1, totp_enabled_at = $2, totp_last_step = $3,
			updated_at = $2, updated_by = $4 WHERE id = $4 AND totp_enabled_at IS NULL`,
			in.Secret, db.T(now), int64(step), a.UserID)
		if err != nil {
			return fmt.Errorf("user: enable totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user: two-factor sign-in is already on: %w", apperr.ErrConflict)
		}
		if err := replaceRecoveryCodes(ctx, tx, a.UserID, codes, now); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.mfa_enabled", ActorID: a.UserID,
			SubjectType: "user", SubjectID: a.UserID, Data: map[string]any{"method": MethodTOTP}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// DisableTOTP turns the authenticator app off after checking the password,
// and deletes the recovery codes unless a passkey is left.
func (s *Service) DisableTOTP(ctx context.Context, password string) error {
	a, err := self(ctx)
	if err != nil {
		return err
	}
	// The slow hash is checked before the write transaction starts.
	if err := checkOwnPassword(ctx, s.db.R, a.UserID, "password", password); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE users SET totp_secret = NULL, totp_enabled_at = NULL, totp_last_step = 0,
			updated_at = $1, updated_by = $2 WHERE id = $2 AND totp_enabled_at IS NOT NULL`, db.T(db.Now()), a.UserID)
		if err != nil {
			return fmt.Errorf("user: disable totp: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user: two-factor sign-in is off already: %w", apperr.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1
			AND NOT EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = $1)`, a.UserID); err != nil {
			return fmt.Errorf("user: delete recovery codes: %w", err)
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.mfa_disabled", ActorID: a.UserID,
			SubjectType: "user", SubjectID: a.UserID, Data: map[string]any{"method": MethodTOTP}})
		return err
	})
}

// RegenerateRecoveryCodes replaces the signed-in user's recovery codes
// after checking the password; the old ones stop working at once.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, password string) ([]string, error) {
	a, err := self(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkOwnPassword(ctx, s.db.R, a.UserID, "password", password); err != nil {
		return nil, err
	}
	codes := newRecoveryCodes()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		st, err := s.mfaStatus(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if !st.SecondFactor() {
			return fmt.Errorf("user: recovery codes without two-factor sign-in: %w", apperr.ErrConflict)
		}
		if err := replaceRecoveryCodes(ctx, tx, a.UserID, codes, db.Now()); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.recovery_codes_regenerated", ActorID: a.UserID,
			SubjectType: "user", SubjectID: a.UserID, Data: map[string]any{"codes": len(codes)}})
		return err
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// MFAStatus returns the signed-in user's second-factor status.
func (s *Service) MFAStatus(ctx context.Context) (MFAStatus, error) {
	a, err := self(ctx)
	if err != nil {
		return MFAStatus{}, err
	}
	return s.mfaStatus(ctx, s.db.R, a.UserID)
}

// TOTPEnabled reports whether userID signs in with a second factor. The
// sign-in page asks before anyone is signed in, so there is no actor.
func (s *Service) TOTPEnabled(ctx context.Context, userID string) (bool, error) {
	st, err := s.mfaStatus(ctx, s.db.R, userID)
	return st.Enabled, err
}

func (s *Service) mfaStatus(ctx context.Context, q db.Querier, userID string) (MFAStatus, error) {
	var st MFAStatus
	var enabled db.Time
	err := q.QueryRowContext(ctx, `SELECT u.totp_enabled_at,
		(SELECT count(*) FROM recovery_codes c WHERE c.user_id = u.id AND c.used_at IS NULL),
		(SELECT count(*) FROM passkeys p WHERE p.user_id = u.id)
		FROM users u WHERE u.id = $1`, userID).Scan(&enabled, &st.RecoveryCodesLeft, &st.Passkeys)
	if errors.Is(err, sql.ErrNoRows) {
		return st, fmt.Errorf("user %s: %w", userID, apperr.ErrNotFound)
	}
	if err != nil {
		return st, fmt.Errorf("user: mfa status: %w", err)
	}
	st.EnabledAt, st.Enabled = enabled.Time, !enabled.IsZero()
	return st, nil
}

// VerifySecondFactor checks a code typed at the second sign-in step: the
// authenticator's code (each time step accepted once only) or an unused
// recovery code (spent by this use). It returns the method that matched.
// Every failure is recorded in the audit log; the caller throttles.
func (s *Service) VerifySecondFactor(ctx context.Context, in SecondFactor) (string, error) {
	if !id.Valid(in.UserID) {
		return "", fmt.Errorf("user %q: %w", in.UserID, apperr.ErrNotFound)
	}
	var method string
	var result error
	err := s.db.WithTx(ctx, func(tx *db.Tx) error {
		var name string
		var secret sql.NullString
		var last int64
		// A user with passkeys but no authenticator app has recovery codes too.
		err := tx.QueryRowContext(ctx, `SELECT name, totp_secret, totp_last_step FROM users u
			WHERE id = $1 AND disabled_at IS NULL
			AND (totp_enabled_at IS NOT NULL OR EXISTS (SELECT 1 FROM passkeys p WHERE p.user_id = u.id))`,
			in.UserID).Scan(&name, &secret, &last)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %s with two-factor sign-in: %w", in.UserID, apperr.ErrNotFound)
		}
		if err != nil {
			return err
		}
		entry := audit.Entry{ActorID: in.UserID, ActorName: name, Address: in.Address, UserAgent: in.UserAgent,
			ObjectType: "user", ObjectID: in.UserID}
		if code := normaliseTOTP(in.Code); len(code) == 6 {
			method = MethodTOTP
			result, err = useTOTP(ctx, tx, in.UserID, secret.String, code, last)
		} else {
			method = MethodRecovery
			result, err = useRecoveryCode(ctx, tx, in.UserID, in.Code)
		}
		if err != nil {
			return err
		}
		switch {
		case errors.Is(result, ErrRecoveryCodeUsed):
			entry.Action, entry.Outcome = "auth.recovery_code_reused", audit.Denied
		case result != nil:
			entry.Action, entry.Outcome = "auth.mfa_failed", audit.Failed
		default:
			return nil
		}
		entry.Details = map[string]any{"method": method, "reason": result.Error()}
		return audit.Record(ctx, tx, entry)
	})
	if err != nil {
		return "", err
	}
	if result != nil {
		return "", result
	}
	return method, nil
}

// useTOTP accepts code when it matches a time step after the last one
// accepted, and remembers that step. The conditional update makes two
// requests racing with the same code accept it once.
// The first result is the verdict (nil: accepted); the second a failure to
// find out.
func useTOTP(ctx context.Context, tx *db.Tx, userID, secret, code string, last int64) (verdict, err error) {
	step, ok := matchTOTP(secret, code, time.Now())
	if !ok {
		return ErrBadCode, nil
	}
	if int64(step) <= last {
		return ErrCodeReused, nil
	}
	res, err := tx.ExecContext(ctx, `UPDATE users SET totp_last_step = $1 WHERE id = $2 AND totp_last_step < $1`, int64(step), userID)
	if err != nil {
		return nil, fmt.Errorf("user: remember totp step: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrCodeReused, nil
	}
	return nil, nil
}

// useRecoveryCode spends code; like useTOTP it returns a verdict and an error.
func useRecoveryCode(ctx context.Context, tx *db.Tx, userID, code string) (verdict, err error) {
	code = normaliseRecovery(code)
	if len(code) != recoveryLen {
		return ErrBadCode, nil
	}
	h := hashRecovery(code)
	res, err := tx.ExecContext(ctx, `UPDATE recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL`,
		db.T(db.Now()), userID, h)
	if err != nil {
		return nil, fmt.Errorf("user: spend recovery code: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var used int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND code_hash = $2`,
		userID, h).Scan(&used); err != nil {
		return nil, err
	}
	if used > 0 {
		return ErrRecoveryCodeUsed, nil
	}
	return ErrBadCode, nil
}

// matchTOTP returns the time step code belongs to, trying now and one
// step either side.
func matchTOTP(secret, code string, now time.Time) (uint64, bool) {
	if len(code) != 6 {
		return 0, false
	}
	opts := hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}
	c := uint64(now.Unix()) / totpPeriod
	for _, step := range []uint64{c, c - totpSkew, c + totpSkew} {
		if ok, err := hotp.ValidateCustom(code, step, secret, opts); err == nil && ok {
			return step, true
		}
	}
	return 0, false
}

// normaliseTOTP drops the spaces and dashes people type or paste into
// a code ("123 456").
func normaliseTOTP(code string) string {
	code = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '\t' {
			return -1
		}
		return r
	}, strings.TrimSpace(code))
	for _, r := range code {
		if r < '0' || r > '9' {
			return "?" // not a TOTP code: maybe a recovery code
		}
	}
	return code
}

// Recovery codes: 10 characters from an alphabet of 32 without look-alikes
// (no i, l, o, 0), about 50 random bits each, written as xxxxx-xxxxx.
const (
	recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz123456789"
	recoveryLen      = 10
)

func newRecoveryCodes() []string {
	codes := make([]string, RecoveryCodeCount)
	b := make([]byte, recoveryLen)
	for i := range codes {
		rand.Read(b)
		for j := range b {
			b[j] = recoveryAlphabet[b[j]&31]
		}
		codes[i] = string(b[:5]) + "-" + string(b[5:])
	}
	return codes
}

func normaliseRecovery(code string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			return -1
		case r >= 'A' && r <= 'Z':
			return r + ('a' - 'A')
		}
		return r
	}, code)
}

// hashRecovery is a plain SHA-256: the codes are random and long enough
// that a slow password hash would add nothing.
func hashRecovery(code string) string {
	sum := sha256.Sum256([]byte("rapport-recovery:" + code))
	return hex.EncodeToString(sum[:])
}

func replaceRecoveryCodes(ctx context.Context, tx *db.Tx, userID string, codes []string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, userID); err != nil {
		return fmt.Errorf("user: delete recovery codes: %w", err)
	}
	for _, c := range codes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (id, user_id, code_hash, created_at) VALUES ($1, $2, $3, $4)`,
			id.New(), userID, hashRecovery(normaliseRecovery(c)), db.T(now)); err != nil {
			return fmt.Errorf("user: insert recovery code: %w", err)
		}
	}
	return nil
}

// checkOwnPassword returns a validation error on field (which also
// matches ErrBadCredentials, for throttling) unless pw is userID's password.
func checkOwnPassword(ctx context.Context, q db.Querier, userID, field, pw string) error {
	var v apperr.Validation
	if pw == "" {
		v.Add(field, "Enter your password.")
		return v.Err()
	}
	if len(pw) > 4*MaxPasswordLen {
		v.Add(field, "That password is not right.")
		return errors.Join(v.Err(), ErrBadCredentials)
	}
	var hash string
	if err := q.QueryRowContext(ctx, `SELECT password_hash FROM users WHERE id = $1`, userID).Scan(&hash); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user %s: %w", userID, apperr.ErrNotFound)
		}
		return err
	}
	ok, err := CheckPassword(hash, pw)
	if err != nil {
		return err
	}
	if !ok {
		v.Add(field, "That password is not right.")
		return errors.Join(v.Err(), ErrBadCredentials)
	}
	return nil
}
