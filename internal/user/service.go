package user

import (
	"context"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/revision"
)

// Service is the use cases of users: setup, creation, sign-in checks.
type Service struct {
	db *db.DB
	// users keeps the user list while no user changes (revision).
	users revision.Cache[[]User]
	// signedIn keeps each session's user while nothing it depends on
	// changes (revision).
	signedIn signedInCache
	// dummyHash is checked against when the email is unknown, so that an
	// unknown email costs as much time as a wrong password.
	dummyHash string
	// life holds what invitations, deactivation and record transfer need.
	life lifecycle
}

// NewService returns the user service over d.
func NewService(d *db.DB) *Service {
	h, _ := HashPassword("timing equaliser for unknown emails")
	return &Service{db: d, dummyHash: h}
}

// Setup creates the first user, the owner. It fails with ErrSetupDone once
// any user exists, even when two requests race.
func (s *Service) Setup(ctx context.Context, in NewUser) (User, error) {
	in.Role = RoleOwner
	return s.create(ctx, "", in, true)
}

// Create adds a user on behalf of actorID (empty for the shell).
func (s *Service) Create(ctx context.Context, actorID string, in NewUser) (User, error) {
	return s.create(ctx, actorID, in, false)
}

func (s *Service) create(ctx context.Context, actorID string, in NewUser, firstOnly bool) (User, error) {
	roles, err := s.Roles(ctx)
	if err != nil {
		return User{}, err
	}
	known := make(map[string]bool, len(roles))
	var role Role
	for _, r := range roles {
		known[r.Name] = true
		if r.Name == in.Role {
			role = r
		}
	}
	if err := in.validate(known); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := db.Now()
	u := User{ID: id.New(), Email: in.Email, Name: in.Name, Role: in.Role, CreatedAt: now, UpdatedAt: now, Access: role}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if firstOnly {
			if tx.Engine == db.Postgres {
				// SQLite's immediate transactions already serialise writers.
				if _, err := tx.ExecContext(ctx, `LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE`); err != nil {
					return err
				}
			}
			n, err := countUsers(ctx, tx)
			if err != nil {
				return err
			}
			if n > 0 {
				return ErrSetupDone
			}
		}
		if err := insertUser(ctx, tx, u, hash, actorID); err != nil {
			if db.IsUniqueViolation(err) {
				v := &apperr.Validation{}
				v.Add("email", "A user with this email already exists.")
				return v
			}
			return fmt.Errorf("user: insert: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "user.created", ActorID: actorID,
			SubjectType: "user", SubjectID: u.ID, Data: map[string]string{"email": u.Email, "role": u.Role}})
		return err
	})
	if err != nil {
		return User{}, err
	}
	return u, nil
}

// Authenticate returns the user with this email and password, or
// ErrBadCredentials for an unknown email, a wrong password or a disabled user.
func (s *Service) Authenticate(ctx context.Context, email, password string) (User, error) {
	u, hash, err := userByEmail(ctx, s.db.R, NormaliseEmail(email))
	if err != nil {
		if apperrIsNotFound(err) {
			CheckPassword(s.dummyHash, password)
			return User{}, ErrBadCredentials
		}
		return User{}, err
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return User{}, err
	}
	if !ok || !u.DisabledAt.IsZero() {
		return User{}, ErrBadCredentials
	}
	return u, nil
}

// ByID returns one user, or an error wrapping apperr.ErrNotFound.
func (s *Service) ByID(ctx context.Context, userID string) (User, error) {
	if !id.Valid(userID) {
		return User{}, fmt.Errorf("user %q: %w", userID, apperr.ErrNotFound)
	}
	return userByID(ctx, s.db.R, userID)
}

// Count returns how many users exist.
func (s *Service) Count(ctx context.Context) (int, error) { return countUsers(ctx, s.db.R) }

// List returns every user by name.
func (s *Service) List(ctx context.Context) ([]User, error) {
	// Read again only when a user changed (revision).
	list, err := s.users.Get(ctx, s.db.R, revision.Definitions, func() ([]User, error) { return listUsers(ctx, s.db.R) })
	return slices.Clone(list), err
}

// Roles returns the roles, highest rank first.
func (s *Service) Roles(ctx context.Context) ([]Role, error) { return listRoles(ctx, s.db.R) }
