package user

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

// userColumns selects a user with its role; use with userFrom.
const userColumns = `u.id, u.email, u.name, u.role, u.created_at, u.updated_at, u.disabled_at, ` + roleColumns

const userFrom = ` FROM users u JOIN roles r ON r.name = u.role`

const roleColumns = `r.name, r.label, r.rank, r.description, r.scope, r.permissions, r.builtin`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var created, updated, disabled db.Time
	var perms string
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.Role, &created, &updated, &disabled,
		&u.Access.Name, &u.Access.Label, &u.Access.Rank, &u.Access.Description, &u.Access.Scope, &perms, &u.Access.Builtin}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, apperr.ErrNotFound
		}
		return u, err
	}
	u.CreatedAt, u.UpdatedAt, u.DisabledAt = created.Time, updated.Time, disabled.Time
	if err := decodePerms(&u.Access, perms); err != nil {
		return u, err
	}
	return u, nil
}

// decodePerms fills in r.Perms for a custom role from its JSON column.
func decodePerms(r *Role, perms string) error {
	if r.Builtin {
		r.Perms = nil
		return nil
	}
	r.Perms = access.Perms{}
	if err := json.Unmarshal([]byte(perms), &r.Perms); err != nil {
		return fmt.Errorf("role %s: permissions: %w", r.Name, err)
	}
	return nil
}

func insertUser(ctx context.Context, q db.Querier, u User, hash, actorID string) error {
	var actor any
	if actorID != "" {
		actor = actorID
	}
	_, err := q.ExecContext(ctx, `INSERT INTO users (id, email, name, password_hash, role, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $7)`,
		u.ID, u.Email, u.Name, hash, u.Role, db.T(u.CreatedAt), actor)
	return err
}

func userByEmail(ctx context.Context, q db.Querier, email string) (User, string, error) {
	var hash string
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+`, u.password_hash`+userFrom+` WHERE u.email = $1`, email), &hash)
	if err != nil {
		return u, "", fmt.Errorf("user by email: %w", err)
	}
	return u, hash, nil
}

func userByID(ctx context.Context, q db.Querier, id string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+` WHERE u.id = $1`, id))
	if err != nil {
		return u, fmt.Errorf("user %s: %w", id, err)
	}
	return u, nil
}

func countUsers(ctx context.Context, q db.Querier) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT count(*) FROM users`).Scan(&n)
	return n, err
}

func listUsers(ctx context.Context, q db.Querier) ([]User, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+userFrom+` ORDER BY u.name, u.email`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rows.Err()
}

func listRoles(ctx context.Context, q db.Querier) ([]Role, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+roleColumns+` FROM roles r ORDER BY r.rank DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Role
	for rows.Next() {
		r, err := scanRole(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func apperrIsNotFound(err error) bool { return errors.Is(err, apperr.ErrNotFound) }

func scanRole(row interface{ Scan(...any) error }) (Role, error) {
	var r Role
	var perms string
	if err := row.Scan(&r.Name, &r.Label, &r.Rank, &r.Description, &r.Scope, &perms, &r.Builtin); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return r, apperr.ErrNotFound
		}
		return r, err
	}
	return r, decodePerms(&r, perms)
}
