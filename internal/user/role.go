package user

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
)

// RoleInput is a custom role as an admin writes it.
type RoleInput struct {
	Label       string
	Description string
	Scope       access.Scope
	Perms       access.Perms
}

var roleNameStrip = regexp.MustCompile(`[^a-z0-9]+`)

// roleName turns a label into the role's stable name: "Sales rep" → "sales_rep".
func roleName(label string) string {
	return strings.Trim(roleNameStrip.ReplaceAllString(strings.ToLower(label), "_"), "_")
}

func (in *RoleInput) validate() error {
	var v apperr.Validation
	in.Label = strings.TrimSpace(in.Label)
	in.Description = strings.TrimSpace(in.Description)
	switch {
	case in.Label == "":
		v.Add("label", "Enter a name for the role.")
	case utf8.RuneCountInString(in.Label) > 60:
		v.Add("label", "A role's name has at most 60 characters.")
	case roleName(in.Label) == "":
		v.Add("label", "Use at least one letter or digit in the role's name.")
	}
	if utf8.RuneCountInString(in.Description) > 300 {
		v.Add("description", "A description has at most 300 characters.")
	}
	if !in.Scope.Valid() {
		v.Add("scope", "Choose which records the role sees: own, team's or all.")
	}
	known := map[string]bool{}
	for _, o := range access.Objects() {
		known[o.Name] = true
	}
	clean := access.Perms{}
	for obj, actions := range in.Perms {
		if !known[obj] {
			v.Add("permissions."+obj, fmt.Sprintf("There is no object %q to give permissions on.", obj))
			continue
		}
		var acts []access.Action
		for _, a := range actions {
			if !slices.Contains(access.Actions, a) {
				v.Add("permissions."+obj, fmt.Sprintf("There is no action %q.", a))
				continue
			}
			if !slices.Contains(acts, a) {
				acts = append(acts, a)
			}
		}
		if len(acts) > 0 && !slices.Contains(acts, access.Read) {
			v.Add("permissions."+obj, "A role that changes or exports records must also be able to read them.")
		}
		if len(acts) > 0 {
			slices.SortFunc(acts, func(a, b access.Action) int {
				return slices.Index(access.Actions, a) - slices.Index(access.Actions, b)
			})
			clean[obj] = acts
		}
	}
	in.Perms = clean
	return v.Err()
}

// Role returns one role by name, or an error wrapping apperr.ErrNotFound.
func (s *Service) Role(ctx context.Context, name string) (Role, error) {
	r, err := scanRole(s.db.R.QueryRowContext(ctx, `SELECT `+roleColumns+` FROM roles r WHERE r.name = $1`, name))
	if err != nil {
		return r, fmt.Errorf("role %q: %w", name, err)
	}
	return r, nil
}

// CreateRole adds a custom role.
func (s *Service) CreateRole(ctx context.Context, in RoleInput) (Role, error) {
	actor, err := access.Check(ctx, access.Users, access.Create)
	if err != nil {
		return Role{}, err
	}
	if err := in.validate(); err != nil {
		return Role{}, err
	}
	r := Role{Name: roleName(in.Label), Label: in.Label, Description: in.Description, Scope: in.Scope, Perms: in.Perms}
	perms, _ := json.Marshal(r.Perms)
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		var low int
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MIN(rank), 0) FROM roles`).Scan(&low); err != nil {
			return err
		}
		r.Rank = min(low, 0) - 1
		_, err := tx.ExecContext(ctx, `INSERT INTO roles (name, label, rank, description, scope, permissions, builtin, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			r.Name, r.Label, r.Rank, r.Description, string(r.Scope), string(perms), false, db.T(db.Now()))
		if db.IsUniqueViolation(err) {
			v := &apperr.Validation{Conflict: true}
			v.Add("label", "A role with this name already exists.")
			return v
		}
		if err != nil {
			return fmt.Errorf("user: create role: %w", err)
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "role.created", ActorID: actor.UserID, SubjectType: "role",
			SubjectID: RoleSubjectID(r.Name), Data: roleData(r)})
		return err
	})
	return r, err
}

// roleSpace is the namespace of the name-based UUIDs of roles.
var roleSpace = uuid.MustParse("6f1c7c4e-3a52-4d0e-9a51-0e2b8d7c1f00")

// RoleSubjectID is the subject id of a role's events. Roles are keyed by
// name, event subjects by UUID: this is a UUID made from the name, the same
// on every engine and every time.
func RoleSubjectID(name string) string { return uuid.NewSHA1(roleSpace, []byte(name)).String() }

func roleData(r Role) map[string]any {
	return map[string]any{"name": r.Name, "label": r.Label, "scope": r.Scope, "permissions": r.Perms}
}

// UpdateRole changes a custom role; built-in roles cannot be changed.
func (s *Service) UpdateRole(ctx context.Context, name string, in RoleInput) (Role, error) {
	actor, err := access.Check(ctx, access.Users, access.Update)
	if err != nil {
		return Role{}, err
	}
	old, err := s.Role(ctx, name)
	if err != nil {
		return old, err
	}
	if old.Builtin {
		return old, fmt.Errorf("user: role %s is built in: %w", name, apperr.ErrForbidden)
	}
	if err := in.validate(); err != nil {
		return old, err
	}
	r := old
	r.Label, r.Description, r.Scope, r.Perms = in.Label, in.Description, in.Scope, in.Perms
	perms, _ := json.Marshal(r.Perms)
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE roles SET label = $1, description = $2, scope = $3, permissions = $4 WHERE name = $5`,
			r.Label, r.Description, string(r.Scope), string(perms), r.Name)
		if err != nil {
			return fmt.Errorf("user: update role: %w", err)
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "role.updated", ActorID: actor.UserID, SubjectType: "role",
			SubjectID: RoleSubjectID(r.Name), Data: map[string]any{"before": roleData(old), "after": roleData(r)}})
		return err
	})
	return r, err
}

// DeleteRole removes a custom role that nobody holds.
func (s *Service) DeleteRole(ctx context.Context, name string) error {
	actor, err := access.Check(ctx, access.Users, access.Delete)
	if err != nil {
		return err
	}
	r, err := s.Role(ctx, name)
	if err != nil {
		return err
	}
	if r.Builtin {
		return fmt.Errorf("user: role %s is built in: %w", name, apperr.ErrForbidden)
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM users WHERE role = $1`, name).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			v := &apperr.Validation{Conflict: true}
			v.Add("role", fmt.Sprintf("%d %s this role; give them another role first.", n, plural(n, "user holds", "users hold")))
			return v
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE name = $1`, name); err != nil {
			return fmt.Errorf("user: delete role: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "role.deleted", ActorID: actor.UserID, SubjectType: "role",
			SubjectID: RoleSubjectID(r.Name), Data: roleData(r)})
		return err
	})
}

// SetRole gives a user another role. Only owners grant or take away the
// owner role, and the last active owner keeps it.
func (s *Service) SetRole(ctx context.Context, userID, role string) (User, error) {
	actor, err := access.Check(ctx, access.Users, access.Update)
	if err != nil {
		return User{}, err
	}
	u, err := s.ByID(ctx, userID)
	if err != nil {
		return u, err
	}
	if u.Role == role {
		return u, nil
	}
	r, err := s.Role(ctx, role)
	if err != nil {
		v := &apperr.Validation{}
		v.Add("role", "Choose one of the roles.")
		return u, v
	}
	if (u.Role == RoleOwner || role == RoleOwner) && !actor.System && actor.Role != RoleOwner {
		return u, fmt.Errorf("user: only an owner grants or takes away the owner role: %w", apperr.ErrForbidden)
	}
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
				v := &apperr.Validation{Conflict: true}
				v.Add("role", "This is the last owner; make someone else an owner first.")
				return v
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, updated_at = $2, updated_by = $3 WHERE id = $4`,
			role, db.T(db.Now()), db.NullString(actor.UserID), u.ID); err != nil {
			return fmt.Errorf("user: set role: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "user.role_changed", ActorID: actor.UserID, SubjectType: "user",
			SubjectID: u.ID, Data: map[string]string{"email": u.Email, "before": u.Role, "after": role}})
		return err
	})
	if err != nil {
		return u, err
	}
	u.Role, u.Access = role, r
	return u, nil
}

// lockOwners serialises changes that could leave no owner; SQLite's
// immediate transactions already do.
func lockOwners(ctx context.Context, tx *db.Tx) error {
	if tx.Engine != db.Postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT id FROM users WHERE role = 'owner' FOR UPDATE`)
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
