package user

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

const userColumns = `id, email, name, role, created_at, updated_at, disabled_at`

func scanUser(row interface{ Scan(...any) error }, extra ...any) (User, error) {
	var u User
	var created, updated, disabled db.Time
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.Role, &created, &updated, &disabled}, extra...)
	if err := row.Scan(dest...); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return u, apperr.ErrNotFound
		}
		return u, err
	}
	u.CreatedAt, u.UpdatedAt, u.DisabledAt = created.Time, updated.Time, disabled.Time
	return u, nil
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
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+`, password_hash FROM users WHERE email = $1`, email), &hash)
	if err != nil {
		return u, "", fmt.Errorf("user by email: %w", err)
	}
	return u, hash, nil
}

func userByID(ctx context.Context, q db.Querier, id string) (User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users WHERE id = $1`, id))
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
	rows, err := q.QueryContext(ctx, `SELECT `+userColumns+` FROM users ORDER BY name, email`)
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
	rows, err := q.QueryContext(ctx, `SELECT name, label, rank, description FROM roles ORDER BY rank DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Role
	for rows.Next() {
		var r Role
		if err := rows.Scan(&r.Name, &r.Label, &r.Rank, &r.Description); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func apperrIsNotFound(err error) bool { return errors.Is(err, apperr.ErrNotFound) }
