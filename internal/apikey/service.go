package apikey

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

// Service creates, lists, revokes and checks API keys.
type Service struct {
	db    *db.DB
	users *user.Service
	now   func() time.Time
}

// NewService returns the key service over d.
func NewService(d *db.DB, users *user.Service) *Service {
	if users == nil {
		users = user.NewService(d)
	}
	return &Service{db: d, users: users, now: db.Now}
}

// SetNow replaces the clock, for tests.
func (s *Service) SetNow(now func() time.Time) { s.now = now }

// mayAdminister reports whether a sees and revokes every user's keys:
// owners and admins (those who manage users), never through a key.
func mayAdminister(a access.Actor) bool {
	return !a.ViaKey() && (a.System || access.Allowed(a, access.Users, access.Update))
}

// Create makes a key for the signed-in user and returns it with its
// secret, which is not kept and cannot be shown again. A key cannot
// create keys: a narrow key would otherwise mint a broad one.
func (s *Service) Create(ctx context.Context, in Input) (Created, error) {
	actor, ok := access.ActorFrom(ctx)
	if !ok || actor.UserID == "" {
		return Created{}, fmt.Errorf("apikey: create without a user: %w", apperr.ErrForbidden)
	}
	if actor.ViaKey() {
		return Created{}, fmt.Errorf("apikey: a key may not create keys: %w", apperr.ErrForbidden)
	}
	now := s.now()
	k, err := in.validate(now)
	if err != nil {
		return Created{}, err
	}
	secret := newSecret()
	k.ID, k.UserID, k.UserName, k.CreatedBy, k.CreatedAt = id.New(), actor.UserID, actor.Name, actor.UserID, now
	k.Prefix = secret[:prefixLen]
	scopes, _ := json.Marshal(k.Scopes)
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO api_keys (id, user_id, name, prefix, secret_hash, scopes, expires_at, created_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $2)`,
			k.ID, k.UserID, k.Name, k.Prefix, hashSecret(secret), string(scopes), db.T(k.ExpiresAt), db.T(now)); err != nil {
			return fmt.Errorf("apikey: insert: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "api_key.created", ActorID: actor.UserID,
			SubjectType: "api_key", SubjectID: k.ID,
			Data: map[string]any{"name": k.Name, "prefix": k.Prefix, "scopes": k.Scopes, "expires_at": in.ExpiresOn}})
		return err
	})
	if err != nil {
		return Created{}, err
	}
	return Created{Key: k, Secret: secret}, nil
}

func (in Input) validate(now time.Time) (Key, error) {
	var v apperr.Validation
	k := Key{Name: strings.TrimSpace(in.Name)}
	switch n := utf8.RuneCountInString(k.Name); {
	case n == 0:
		v.Add("name", "Give the key a name that says what uses it, such as \"Shop sync\".")
	case n > MaxNameLen:
		v.Add("name", fmt.Sprintf("Use at most %d characters.", MaxNameLen))
	}
	for _, sc := range in.Scopes {
		sc = strings.TrimSpace(sc)
		if !access.ValidKeyScope(sc) {
			v.Add("scopes", fmt.Sprintf("%q is not a scope; use object:read or object:write, such as contacts:read.", sc))
			continue
		}
		if !slices.Contains(k.Scopes, sc) {
			k.Scopes = append(k.Scopes, sc)
		}
	}
	if len(in.Scopes) == 0 {
		v.Add("scopes", "Choose at least one scope: what the key may read or write.")
	}
	// Scopes in the order KeyScopes lists them, so lists read the same.
	order := access.KeyScopes()
	slices.SortFunc(k.Scopes, func(a, b string) int { return slices.Index(order, a) - slices.Index(order, b) })
	if e := strings.TrimSpace(in.ExpiresOn); e != "" {
		day, err := time.Parse(time.DateOnly, e)
		switch {
		case err != nil:
			v.Add("expires_on", "Use a date like 2027-01-31.")
		case !day.AddDate(0, 0, 1).After(now):
			v.Add("expires_on", "Choose a date from today on.")
		default:
			k.ExpiresAt = day.AddDate(0, 0, 1)
		}
	}
	return k, v.Err()
}

// List returns keys newest first, never their secrets: the actor's own,
// or every user's when all is set and the actor administers users.
func (s *Service) List(ctx context.Context, all bool) ([]Key, error) {
	actor, ok := access.ActorFrom(ctx)
	if !ok {
		return nil, fmt.Errorf("apikey: list without an actor: %w", apperr.ErrForbidden)
	}
	where, args := `WHERE k.user_id = $1`, []any{actor.UserID}
	if all && mayAdminister(actor) {
		where, args = ``, nil
	} else if actor.UserID == "" {
		return nil, nil
	}
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+keyColumns+keyFrom+where+` ORDER BY k.created_at DESC, k.id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("apikey: list: %w", err)
	}
	defer rows.Close()
	var out []Key
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// ByID returns one key the actor may see (their own, or any for an
// administrator).
func (s *Service) ByID(ctx context.Context, keyID string) (Key, error) {
	actor, ok := access.ActorFrom(ctx)
	if !ok || !id.Valid(keyID) {
		return Key{}, fmt.Errorf("apikey %q: %w", keyID, apperr.ErrNotFound)
	}
	k, err := keyByID(ctx, s.db.R, keyID)
	if err != nil {
		return k, err
	}
	if k.UserID != actor.UserID && !mayAdminister(actor) {
		return Key{}, fmt.Errorf("apikey %s: %w", keyID, apperr.ErrNotFound)
	}
	return k, nil
}

// Revoke stops a key working at once. Revoking a revoked key changes
// nothing and is not an error.
func (s *Service) Revoke(ctx context.Context, keyID string) (Key, error) {
	k, err := s.ByID(ctx, keyID)
	if err != nil {
		return k, err
	}
	if !k.RevokedAt.IsZero() {
		return k, nil
	}
	actor, _ := access.ActorFrom(ctx)
	now := s.now()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $2, revoked_by = $3 WHERE id = $1 AND revoked_at IS NULL`,
			k.ID, db.T(now), db.NullString(actor.UserID))
		if err != nil {
			return fmt.Errorf("apikey: revoke: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "api_key.revoked", ActorID: actor.UserID,
			SubjectType: "api_key", SubjectID: k.ID,
			Data: map[string]any{"name": k.Name, "prefix": k.Prefix, "owner_id": k.UserID}})
		return err
	})
	if err != nil {
		return k, err
	}
	k.RevokedAt = now
	return k, nil
}

// Authenticate returns the key a secret belongs to and the actor it acts
// as: its user's, narrowed to its scopes. A key of a deactivated user is
// refused. The key's last use is noted at most every LastUsedEvery.
func (s *Service) Authenticate(ctx context.Context, secret string) (Key, access.Actor, error) {
	if !wellFormed(secret) {
		return Key{}, access.Actor{}, ErrMalformed
	}
	k, err := scanKey(s.db.R.QueryRowContext(ctx, `SELECT `+keyColumns+keyFrom+` WHERE k.secret_hash = $1`, hashSecret(secret)))
	if errors.Is(err, apperr.ErrNotFound) {
		return k, access.Actor{}, ErrUnknown
	}
	if err != nil {
		return k, access.Actor{}, err
	}
	now := s.now()
	switch k.Status(now) {
	case StatusRevoked:
		return k, access.Actor{}, ErrUnknown
	case StatusExpired:
		return k, access.Actor{}, ErrExpired
	}
	u, err := s.users.ByID(ctx, k.UserID)
	if err != nil {
		return k, access.Actor{}, err
	}
	if !u.DisabledAt.IsZero() {
		return k, access.Actor{}, ErrDisabled
	}
	if now.Sub(k.LastUsedAt) >= LastUsedEvery {
		// The condition keeps concurrent requests from all writing.
		if _, err := s.db.W.ExecContext(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at <= $3)`,
			k.ID, db.T(now), db.T(now.Add(-LastUsedEvery))); err != nil {
			return k, access.Actor{}, fmt.Errorf("apikey: note use: %w", err)
		}
		k.LastUsedAt = now
	}
	a := u.Actor()
	a.KeyScopes = append([]string{}, k.Scopes...)
	return k, a, nil
}

const keyColumns = `k.id, k.user_id, u.name, k.name, k.prefix, k.scopes, k.expires_at, k.last_used_at, k.revoked_at, k.created_at, k.created_by`

const keyFrom = ` FROM api_keys k JOIN users u ON u.id = k.user_id `

func keyByID(ctx context.Context, q db.Querier, keyID string) (Key, error) {
	k, err := scanKey(q.QueryRowContext(ctx, `SELECT `+keyColumns+keyFrom+` WHERE k.id = $1`, keyID))
	if err != nil {
		return k, fmt.Errorf("apikey %s: %w", keyID, err)
	}
	return k, nil
}

func scanKey(row interface{ Scan(...any) error }) (Key, error) {
	var k Key
	var scopes string
	var createdBy sql.NullString
	var expires, used, revoked, created db.Time
	err := row.Scan(&k.ID, &k.UserID, &k.UserName, &k.Name, &k.Prefix, &scopes, &expires, &used, &revoked, &created, &createdBy)
	if errors.Is(err, sql.ErrNoRows) {
		return k, apperr.ErrNotFound
	}
	if err != nil {
		return k, fmt.Errorf("apikey: scan: %w", err)
	}
	k.ExpiresAt, k.LastUsedAt, k.RevokedAt, k.CreatedAt, k.CreatedBy = expires.Time, used.Time, revoked.Time, created.Time, createdBy.String
	if err := json.Unmarshal([]byte(scopes), &k.Scopes); err != nil {
		return k, fmt.Errorf("apikey %s: scopes: %w", k.ID, err)
	}
	return k, nil
}
