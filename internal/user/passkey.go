package user

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// MethodPasskey is a sign-in with a passkey, with or without the password
// before it.
const MethodPasskey = "passkey"

// Passkey limits and timings.
const (
	// MaxPasskeyName is the longest name a passkey may be given.
	MaxPasskeyName = 60
	// FreshFor is how long after signing in a session may add or remove a
	// passkey without typing the password again.
	FreshFor = 10 * time.Minute
	// CeremonyTimeout is how long a browser has to answer a passkey request.
	CeremonyTimeout = 5 * time.Minute
	// handleLen is the length of a user handle: the maximum WebAuthn allows.
	handleLen = 64
)

// Errors of passkey ceremonies. The web pages show their text.
var (
	// ErrPasskeysUnavailable is a site address passkeys cannot work with.
	ErrPasskeysUnavailable = errors.New("passkeys need the site to be reached by a domain name, such as localhost or crm.example.com, not an IP address")
	// ErrPasskeyRefused is an answer from the browser that does not prove
	// the passkey: wrong signature, unknown passkey, another user's, an
	// expired or replayed request.
	ErrPasskeyRefused = errors.New("the passkey was not accepted")
	// ErrSignCountRegressed is a passkey whose signature counter went
	// backwards: a sign that the authenticator was copied.
	ErrSignCountRegressed = errors.New("the passkey's signature counter went backwards")
)

// Passkey is one of a user's passkeys, as the Security page lists it.
type Passkey struct {
	ID        string
	Name      string
	CreatedAt time.Time
	// LastUsedAt is zero until the passkey is first used to sign in.
	LastUsedAt time.Time
	// Synced is whether the authenticator says the passkey is backed up,
	// e.g. synced between a person's devices.
	Synced bool
}

// Ceremony is a passkey registration or sign-in begun on the server.
// Options go to the browser, for navigator.credentials.create or get;
// State stays on the server (in the session) until the matching Finish,
// which refuses it after Expires.
type Ceremony struct {
	Options json.RawMessage
	State   []byte
	Expires time.Time
}

// ceremonyState is what Ceremony.State holds: the library's session data
// bound to one kind of ceremony and, but for a passwordless sign-in, one user.
type ceremonyState struct {
	Kind   string               `json:"kind"`
	UserID string               `json:"user_id,omitempty"`
	Name   string               `json:"name,omitempty"`
	Data   webauthn.SessionData `json:"data"`
}

// Kinds of ceremony.
const (
	kindRegister     = "register"
	kindSignIn       = "sign_in"
	kindSecondFactor = "second_factor"
)

func decodeState(b []byte, kinds ...string) (ceremonyState, error) {
	var st ceremonyState
	if err := json.Unmarshal(b, &st); err != nil {
		return st, fmt.Errorf("%w: no passkey request is waiting", ErrPasskeyRefused)
	}
	for _, k := range kinds {
		if st.Kind == k {
			return st, nil
		}
	}
	return st, fmt.Errorf("%w: the waiting request is of another kind", ErrPasskeyRefused)
}

// Passkeys are the passkey ceremonies of one site, the relying party: its
// domain name is the RP ID and its address the only origin accepted.
type Passkeys struct {
	s  *Service
	wa *webauthn.WebAuthn
}

// Passkeys returns the passkey ceremonies for the site at baseURL (the
// configured base URL), or ErrPasskeysUnavailable when its host is an IP
// address, which browsers do not allow passkeys for.
func (s *Service) Passkeys(baseURL string) (*Passkeys, error) {
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return nil, fmt.Errorf("user: passkeys for %q: not an http(s) URL", baseURL)
	}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return nil, ErrPasskeysUnavailable
	}
	if err := protocol.ValidateRPID(host); err != nil {
		return nil, fmt.Errorf("%w (%s)", ErrPasskeysUnavailable, err)
	}
	timeouts := webauthn.TimeoutConfig{Enforce: true, Timeout: CeremonyTimeout, TimeoutUVD: CeremonyTimeout}
	wa, err := webauthn.New(&webauthn.Config{
		RPID:          host,
		RPDisplayName: "Rapport",
		RPOrigins:     []string{u.Scheme + "://" + strings.ToLower(u.Host)},
		// No attestation: Rapport trusts any authenticator the person
		// chooses, and asks no device details of it.
		AttestationPreference: protocol.PreferNoAttestation,
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:        protocol.ResidentKeyRequirementRequired,
			RequireResidentKey: protocol.ResidentKeyRequired(),
			UserVerification:   protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{Login: timeouts, Registration: timeouts},
	})
	if err != nil {
		return nil, fmt.Errorf("user: passkeys: %w", err)
	}
	return &Passkeys{s: s, wa: wa}, nil
}

// RPID returns the relying party ID: the site's domain name.
func (p *Passkeys) RPID() string { return p.wa.Config.RPID }

// waUser is a user as the WebAuthn library sees them.
type waUser struct {
	handle      []byte
	email, name string
	creds       []webauthn.Credential
}

func (u *waUser) WebAuthnID() []byte                         { return u.handle }
func (u *waUser) WebAuthnName() string                       { return u.email }
func (u *waUser) WebAuthnDisplayName() string                { return u.name }
func (u *waUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

// loadWAUser reads userID's handle and passkeys; an empty handle means
// the user never added one.
func loadWAUser(ctx context.Context, q db.Querier, userID string) (*waUser, error) {
	u := &waUser{}
	err := q.QueryRowContext(ctx, `SELECT email, name, webauthn_handle FROM users WHERE id = $1 AND disabled_at IS NULL`,
		userID).Scan(&u.email, &u.name, &u.handle)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", userID, notFound(err))
	}
	u.creds, err = loadCredentials(ctx, q, userID)
	return u, err
}

func loadCredentials(ctx context.Context, q db.Querier, userID string) ([]webauthn.Credential, error) {
	rows, err := q.QueryContext(ctx, `SELECT credential_id, public_key, attestation_type, attestation_format, transports,
		sign_count, aaguid, user_verified, backup_eligible, backup_state FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`, userID)
	if err != nil {
		return nil, fmt.Errorf("user: passkeys: %w", err)
	}
	defer rows.Close()
	var out []webauthn.Credential
	for rows.Next() {
		var c webauthn.Credential
		var transports, aaguid string
		var count int64
		var uv, be, bs bool
		if err := rows.Scan(&c.ID, &c.PublicKey, &c.AttestationType, &c.AttestationFormat, &transports,
			&count, &aaguid, &uv, &be, &bs); err != nil {
			return nil, err
		}
		for _, t := range strings.Split(transports, ",") {
			if t != "" {
				c.Transport = append(c.Transport, protocol.AuthenticatorTransport(t))
			}
		}
		flags := protocol.FlagUserPresent
		for _, f := range []struct {
			on   bool
			flag protocol.AuthenticatorFlags
		}{{uv, protocol.FlagUserVerified}, {be, protocol.FlagBackupEligible}, {bs, protocol.FlagBackupState}} {
			if f.on {
				flags |= f.flag
			}
		}
		c.Flags = webauthn.NewCredentialFlags(flags)
		c.Authenticator.SignCount = uint32(count)
		if g, err := uuid.Parse(aaguid); err == nil {
			c.Authenticator.AAGUID = g[:]
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// ensureHandle gives userID a user handle, once; the handle stays the same
// for every passkey the user adds.
func (s *Service) ensureHandle(ctx context.Context, userID string) ([]byte, error) {
	var handle []byte
	err := s.db.WithTx(ctx, func(tx *db.Tx) error {
		fresh := make([]byte, handleLen)
		rand.Read(fresh)
		if _, err := tx.ExecContext(ctx, `UPDATE users SET webauthn_handle = $1 WHERE id = $2 AND webauthn_handle IS NULL`,
			fresh, userID); err != nil {
			return fmt.Errorf("user: passkey handle: %w", err)
		}
		return tx.QueryRowContext(ctx, `SELECT webauthn_handle FROM users WHERE id = $1`, userID).Scan(&handle)
	})
	return handle, err
}

// NewPasskey is the input of BeginRegistration.
type NewPasskey struct {
	// Name tells the user's passkeys apart, e.g. "Laptop" or "Phone".
	Name string
	// Password is needed unless SessionID, the session asking, started
	// less than FreshFor ago.
	Password  string
	SessionID string
}

// BeginRegistration starts adding a passkey to the signed-in user's account.
func (p *Passkeys) BeginRegistration(ctx context.Context, in NewPasskey) (Ceremony, error) {
	a, err := self(ctx)
	if err != nil {
		return Ceremony{}, err
	}
	name, err := passkeyName(in.Name, "name")
	if err != nil {
		return Ceremony{}, err
	}
	if err := checkFresh(ctx, p.s.db.R, a.UserID, in.SessionID, "password", in.Password); err != nil {
		return Ceremony{}, err
	}
	if _, err := p.s.ensureHandle(ctx, a.UserID); err != nil {
		return Ceremony{}, err
	}
	u, err := loadWAUser(ctx, p.s.db.R, a.UserID)
	if err != nil {
		return Ceremony{}, err
	}
	creation, data, err := p.wa.BeginRegistration(u,
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithExtensions(webauthn.WithExtensionCredProps()))
	if err != nil {
		return Ceremony{}, fmt.Errorf("user: begin passkey registration: %w", err)
	}
	return ceremony(creation, ceremonyState{Kind: kindRegister, UserID: a.UserID, Name: name, Data: *data})
}

func ceremony(options any, st ceremonyState) (Ceremony, error) {
	opts, err := json.Marshal(options)
	if err != nil {
		return Ceremony{}, err
	}
	state, err := json.Marshal(st)
	if err != nil {
		return Ceremony{}, err
	}
	return Ceremony{Options: opts, State: state, Expires: st.Data.Expires}, nil
}

// AddedPasskey is the result of FinishRegistration.
type AddedPasskey struct {
	Passkey Passkey
	// RecoveryCodes are new recovery codes, made when this passkey is the
	// user's first second factor; shown once.
	RecoveryCodes []string
}

// FinishRegistration checks the browser's answer (the credential as JSON)
// to the registration in state and stores the new passkey.
func (p *Passkeys) FinishRegistration(ctx context.Context, state, response []byte) (AddedPasskey, error) {
	a, err := self(ctx)
	if err != nil {
		return AddedPasskey{}, err
	}
	st, err := decodeState(state, kindRegister)
	if err != nil {
		return AddedPasskey{}, err
	}
	if st.UserID != a.UserID {
		return AddedPasskey{}, fmt.Errorf("%w: the request was begun by another user", ErrPasskeyRefused)
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return AddedPasskey{}, fmt.Errorf("%w: %s", ErrPasskeyRefused, detail(err))
	}
	u, err := loadWAUser(ctx, p.s.db.R, a.UserID)
	if err != nil {
		return AddedPasskey{}, err
	}
	cred, err := p.wa.CreateCredential(u, st.Data, parsed)
	if err != nil {
		return AddedPasskey{}, fmt.Errorf("%w: %s", ErrPasskeyRefused, detail(err))
	}
	now := db.Now()
	out := AddedPasskey{Passkey: Passkey{ID: id.New(), Name: st.Name, CreatedAt: now, Synced: cred.Flags.BackupState}}
	err = p.s.db.WithTx(ctx, func(tx *db.Tx) error {
		var totp db.Time
		var before int
		if err := tx.QueryRowContext(ctx, `SELECT u.totp_enabled_at, (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id)
			FROM users u WHERE u.id = $1`, a.UserID).Scan(&totp, &before); err != nil {
			return fmt.Errorf("user %s: %w", a.UserID, notFound(err))
		}
		if err := insertPasskey(ctx, tx, a.UserID, out.Passkey, cred); err != nil {
			return err
		}
		if totp.IsZero() && before == 0 {
			out.RecoveryCodes = newRecoveryCodes()
			if err := replaceRecoveryCodes(ctx, tx, a.UserID, out.RecoveryCodes, now); err != nil {
				return err
			}
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "user.passkey_added", ActorID: a.UserID, SubjectType: "user",
			SubjectID: a.UserID, Data: map[string]any{"passkey": out.Passkey.ID, "name": out.Passkey.Name,
				"synced": cred.Flags.BackupState, "recovery_codes_made": len(out.RecoveryCodes) > 0}})
		return err
	})
	if err != nil {
		return AddedPasskey{}, err
	}
	return out, nil
}

func insertPasskey(ctx context.Context, tx *db.Tx, userID string, pk Passkey, c *webauthn.Credential) error {
	transports := make([]string, 0, len(c.Transport))
	for _, t := range c.Transport {
		transports = append(transports, string(t))
	}
	aaguid := ""
	if g, err := uuid.FromBytes(c.Authenticator.AAGUID); err == nil {
		aaguid = g.String()
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO passkeys (id, user_id, credential_id, public_key, attestation_type,
		attestation_format, transports, sign_count, aaguid, user_verified, backup_eligible, backup_state, name, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		pk.ID, userID, c.ID, c.PublicKey, c.AttestationType, c.AttestationFormat, strings.Join(transports, ","),
		int64(c.Authenticator.SignCount), aaguid, c.Flags.UserVerified, c.Flags.BackupEligible, c.Flags.BackupState,
		pk.Name, db.T(pk.CreatedAt))
	if db.IsUniqueViolation(err) {
		return fmt.Errorf("%w: this passkey is already registered", ErrPasskeyRefused)
	}
	if err != nil {
		return fmt.Errorf("user: insert passkey: %w", err)
	}
	return nil
}

// detail is the library's explanation of a refused ceremony, for logs and
// the audit log.
func detail(err error) string {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		if pe.DevInfo != "" {
			return pe.Details + ": " + pe.DevInfo
		}
		return pe.Details
	}
	return err.Error()
}

// passkeyName checks a name typed for a passkey; an empty one is "Passkey".
func passkeyName(name, field string) (string, error) {
	name = strings.Join(strings.Fields(name), " ")
	var v apperr.Validation
	switch {
	case name == "":
		name = "Passkey"
	case utf8.RuneCountInString(name) > MaxPasskeyName:
		v.Add(field, fmt.Sprintf("Keep the name to %d characters.", MaxPasskeyName))
	case !utf8.ValidString(name):
		v.Add(field, "The name has characters that are not text.")
	}
	return name, v.Err()
}

// checkFresh passes when password is the user's, or when it is empty and
// sessionID is the user's session started less than FreshFor ago.
func checkFresh(ctx context.Context, q db.Querier, userID, sessionID, field, password string) error {
	if password != "" {
		return checkOwnPassword(ctx, q, userID, field, password)
	}
	if id.Valid(sessionID) {
		var created db.Time
		err := q.QueryRowContext(ctx, `SELECT created_at FROM user_sessions WHERE id = $1 AND user_id = $2`,
			sessionID, userID).Scan(&created)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("user: session: %w", err)
		}
		if err == nil && time.Since(created.Time) < FreshFor {
			return nil
		}
	}
	var v apperr.Validation
	v.Add(field, "Enter your password: you signed in more than 10 minutes ago.")
	return v.Err()
}

// SessionFresh reports whether sessionID, the signed-in user's session,
// may add or remove a passkey without the password.
func (s *Service) SessionFresh(ctx context.Context, sessionID string) bool {
	a, err := self(ctx)
	return err == nil && checkFresh(ctx, s.db.R, a.UserID, sessionID, "password", "") == nil
}

// ListPasskeys returns the signed-in user's passkeys, oldest first.
func (s *Service) ListPasskeys(ctx context.Context) ([]Passkey, error) {
	a, err := self(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT id, name, created_at, last_used_at, backup_state FROM passkeys
		WHERE user_id = $1 ORDER BY created_at, id`, a.UserID)
	if err != nil {
		return nil, fmt.Errorf("user: passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var pk Passkey
		var created, used db.Time
		if err := rows.Scan(&pk.ID, &pk.Name, &created, &used, &pk.Synced); err != nil {
			return nil, err
		}
		pk.CreatedAt, pk.LastUsedAt = created.Time, used.Time
		out = append(out, pk)
	}
	return out, rows.Err()
}

// RenamePasskey gives one of the signed-in user's passkeys a new name;
// another user's passkey is ErrNotFound.
func (s *Service) RenamePasskey(ctx context.Context, passkeyID, name string) error {
	a, err := self(ctx)
	if err != nil {
		return err
	}
	if !id.Valid(passkeyID) {
		return fmt.Errorf("passkey %q: %w", passkeyID, apperr.ErrNotFound)
	}
	name, err = passkeyName(name, "name")
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		var before string
		err := tx.QueryRowContext(ctx, `SELECT name FROM passkeys WHERE id = $1 AND user_id = $2`, passkeyID, a.UserID).Scan(&before)
		if err != nil {
			return fmt.Errorf("passkey %s: %w", passkeyID, notFound(err))
		}
		if before == name {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE passkeys SET name = $1 WHERE id = $2`, name, passkeyID); err != nil {
			return fmt.Errorf("user: rename passkey: %w", err)
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.passkey_renamed", ActorID: a.UserID, SubjectType: "user",
			SubjectID: a.UserID, Data: map[string]any{"passkey": passkeyID, "before": before, "after": name}})
		return err
	})
}

// PasskeyRemoval is the input of RemovePasskey.
type PasskeyRemoval struct {
	ID string
	// Password is needed unless SessionID, the session asking, started
	// less than FreshFor ago.
	Password  string
	SessionID string
}

// RemovePasskey deletes one of the signed-in user's passkeys. Removing
// the last second factor (no passkey left, no authenticator app) also
// deletes the recovery codes.
func (s *Service) RemovePasskey(ctx context.Context, in PasskeyRemoval) error {
	a, err := self(ctx)
	if err != nil {
		return err
	}
	if !id.Valid(in.ID) {
		return fmt.Errorf("passkey %q: %w", in.ID, apperr.ErrNotFound)
	}
	var exists int
	if err := s.db.R.QueryRowContext(ctx, `SELECT count(*) FROM passkeys WHERE id = $1 AND user_id = $2`,
		in.ID, a.UserID).Scan(&exists); err != nil {
		return err
	}
	if exists == 0 {
		return fmt.Errorf("passkey %s: %w", in.ID, apperr.ErrNotFound)
	}
	// The slow hash is checked before the write transaction starts.
	if err := checkFresh(ctx, s.db.R, a.UserID, in.SessionID, "password", in.Password); err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM passkeys WHERE id = $1 AND user_id = $2 RETURNING name`,
			in.ID, a.UserID).Scan(&name)
		if err != nil {
			return fmt.Errorf("passkey %s: %w", in.ID, notFound(err))
		}
		var totp db.Time
		var left int
		if err := tx.QueryRowContext(ctx, `SELECT u.totp_enabled_at, (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id)
			FROM users u WHERE u.id = $1`, a.UserID).Scan(&totp, &left); err != nil {
			return err
		}
		if totp.IsZero() && left == 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = $1`, a.UserID); err != nil {
				return fmt.Errorf("user: delete recovery codes: %w", err)
			}
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "user.passkey_removed", ActorID: a.UserID, SubjectType: "user",
			SubjectID: a.UserID, Data: map[string]any{"passkey": in.ID, "name": name, "second_factor_left": !totp.IsZero() || left > 0}})
		return err
	})
}

// SecondFactors says which second factors userID has: the authenticator
// app and how many passkeys. The sign-in page asks before anyone is
// signed in, so there is no actor.
type SecondFactors struct {
	TOTP     bool
	Passkeys int
}

// Any reports whether the user has a second factor at all.
func (f SecondFactors) Any() bool { return f.TOTP || f.Passkeys > 0 }

// SecondFactorsOf returns the second factors of userID.
func (s *Service) SecondFactorsOf(ctx context.Context, userID string) (SecondFactors, error) {
	var f SecondFactors
	if !id.Valid(userID) {
		return f, fmt.Errorf("user %q: %w", userID, apperr.ErrNotFound)
	}
	var totp db.Time
	err := s.db.R.QueryRowContext(ctx, `SELECT u.totp_enabled_at, (SELECT count(*) FROM passkeys p WHERE p.user_id = u.id)
		FROM users u WHERE u.id = $1`, userID).Scan(&totp, &f.Passkeys)
	if err != nil {
		return f, fmt.Errorf("user %s: %w", userID, notFound(err))
	}
	f.TOTP = !totp.IsZero()
	return f, nil
}
