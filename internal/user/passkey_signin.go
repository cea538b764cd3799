package user

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// BeginSignIn starts a sign-in with a passkey alone, without an email or
// password: the browser offers the passkeys it holds for this site, and
// the one chosen names its user. The passkey must verify the person (a
// PIN, fingerprint or face), so it is two factors in one.
func (p *Passkeys) BeginSignIn(ctx context.Context) (Ceremony, error) {
	assertion, data, err := p.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return Ceremony{}, fmt.Errorf("user: begin passkey sign-in: %w", err)
	}
	return ceremony(assertion, ceremonyState{Kind: kindSignIn, Data: *data})
}

// BeginSecondFactor starts the second sign-in step with a passkey for
// userID, who typed the right password: only their passkeys are asked for.
func (p *Passkeys) BeginSecondFactor(ctx context.Context, userID string) (Ceremony, error) {
	if !id.Valid(userID) {
		return Ceremony{}, fmt.Errorf("user %q: %w", userID, apperr.ErrNotFound)
	}
	u, err := loadWAUser(ctx, p.s.db.R, userID)
	if err != nil {
		return Ceremony{}, err
	}
	if len(u.creds) == 0 || len(u.handle) == 0 {
		return Ceremony{}, fmt.Errorf("user %s has no passkey: %w", userID, apperr.ErrNotFound)
	}
	assertion, data, err := p.wa.BeginLogin(u)
	if err != nil {
		return Ceremony{}, fmt.Errorf("user: begin passkey step: %w", err)
	}
	return ceremony(assertion, ceremonyState{Kind: kindSecondFactor, UserID: userID, Data: *data})
}

// PasskeySignIn is the input of FinishSignIn: the ceremony begun, the
// browser's answer (the credential as JSON), and where it comes from for
// the audit log.
type PasskeySignIn struct {
	State     []byte
	Response  []byte
	Address   string
	UserAgent string
}

// FinishSignIn checks the browser's answer to a sign-in begun with
// BeginSignIn or BeginSecondFactor and returns the user it proves. The
// passkey's signature counter must move forward; its last use is noted.
// A refusal is recorded in the audit log and wraps ErrPasskeyRefused or
// ErrSignCountRegressed; the caller starts the session.
func (p *Passkeys) FinishSignIn(ctx context.Context, in PasskeySignIn) (User, error) {
	st, err := decodeState(in.State, kindSignIn, kindSecondFactor)
	if err != nil {
		return User{}, err
	}
	// Whom the refusal is recorded under: the user of a second step, or the
	// owner of the passkey the browser named, when it is known.
	userID := st.UserID
	fail := func(reason error) (User, error) {
		if err := p.recordFailure(ctx, userID, in, reason); err != nil {
			return User{}, err
		}
		return User{}, reason
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(in.Response)
	if err != nil {
		return fail(fmt.Errorf("%w: %s", ErrPasskeyRefused, detail(err)))
	}
	if owner, err := passkeyOwner(ctx, p.s.db.R, parsed.RawID); err == nil && userID == "" {
		userID = owner
	} else if err != nil && !errors.Is(err, apperr.ErrNotFound) {
		return User{}, err
	}
	var cred *webauthn.Credential
	if st.Kind == kindSecondFactor {
		u, err := loadWAUser(ctx, p.s.db.R, st.UserID)
		if err != nil {
			return fail(fmt.Errorf("%w: %v", ErrPasskeyRefused, err))
		}
		cred, err = p.wa.ValidateLogin(u, st.Data, parsed)
		if err != nil {
			return fail(fmt.Errorf("%w: %s", ErrPasskeyRefused, detail(err)))
		}
	} else {
		byHandle := func(rawID, handle []byte) (webauthn.User, error) {
			var uid string
			err := p.s.db.R.QueryRowContext(ctx, `SELECT id FROM users WHERE webauthn_handle = $1 AND disabled_at IS NULL`,
				handle).Scan(&uid)
			if err != nil {
				return nil, fmt.Errorf("no active user has this passkey: %w", notFound(err))
			}
			userID = uid
			return loadWAUser(ctx, p.s.db.R, uid)
		}
		_, cred, err = p.wa.ValidatePasskeyLogin(byHandle, st.Data, parsed)
		if err != nil {
			return fail(fmt.Errorf("%w: %s", ErrPasskeyRefused, detail(err)))
		}
	}
	if cred.Authenticator.CloneWarning {
		return fail(ErrSignCountRegressed)
	}
	used, err := p.s.notePasskeyUse(ctx, userID, cred)
	if err != nil {
		return User{}, err
	}
	if !used {
		return fail(ErrSignCountRegressed)
	}
	return userByID(ctx, p.s.db.R, userID)
}

// notePasskeyUse stores the new signature counter and flags of cred and
// when it was used. The counter only moves forward (or stays at zero, for
// authenticators that keep none): a request racing with an older counter
// changes nothing and reports false.
func (s *Service) notePasskeyUse(ctx context.Context, userID string, cred *webauthn.Credential) (bool, error) {
	count := int64(cred.Authenticator.SignCount)
	res, err := s.db.W.ExecContext(ctx, `UPDATE passkeys SET sign_count = $1, last_used_at = $2, backup_state = $3,
		user_verified = $4 WHERE credential_id = $5 AND user_id = $6 AND (sign_count < $1 OR (sign_count = 0 AND $1 = 0))`,
		count, db.T(db.Now()), cred.Flags.BackupState, cred.Flags.UserVerified, cred.ID, userID)
	if err != nil {
		return false, fmt.Errorf("user: note passkey use: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

func passkeyOwner(ctx context.Context, q db.Querier, credentialID []byte) (string, error) {
	if len(credentialID) == 0 {
		return "", apperr.ErrNotFound
	}
	var uid string
	err := q.QueryRowContext(ctx, `SELECT user_id FROM passkeys WHERE credential_id = $1`, credentialID).Scan(&uid)
	return uid, notFound(err)
}

// recordFailure writes a refused passkey sign-in into the audit log, under
// userID when it is known.
func (p *Passkeys) recordFailure(ctx context.Context, userID string, in PasskeySignIn, reason error) error {
	e := audit.Entry{Action: "auth.passkey_failed", Outcome: audit.Failed, Address: in.Address, UserAgent: in.UserAgent,
		Details: map[string]any{"method": MethodPasskey, "reason": clip(reason.Error(), 300)}}
	if id.Valid(userID) {
		e.ActorID, e.ObjectType, e.ObjectID = userID, "user", userID
		if u, err := userByID(ctx, p.s.db.R, userID); err == nil {
			e.ActorName = u.Name
		}
	}
	return audit.Record(ctx, p.s.db.W, e)
}
