// Package notify keeps the in-app notifications behind the bell: a user's
// reminders and other things Rapport wants them to see. Notifications are
// written by jobs with an effect key that is unique, so a job that runs
// again after a crash or on another process never notifies twice.
package notify

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Notification is one message to one user.
type Notification struct {
	ID     string `json:"id"`
	UserID string `json:"user_id"`
	// Kind says what it is about, e.g. "task.reminder".
	Kind  string `json:"kind"`
	Title string `json:"title"`
	Body  string `json:"body,omitempty"`
	// Link is a path in the app ("/tasks/...") the notification opens.
	Link      string    `json:"link,omitempty"`
	ReadAt    time.Time `json:"read_at,omitzero"`
	CreatedAt time.Time `json:"created_at"`
}

// Read reports whether the user has read n.
func (n Notification) Read() bool { return !n.ReadAt.IsZero() }

// Add writes n inside tx unless a notification with effectKey exists
// already, and reports whether it wrote it.
func Add(ctx context.Context, tx *db.Tx, n Notification, effectKey string) (bool, error) {
	if n.UserID == "" || n.Title == "" || n.Kind == "" || effectKey == "" {
		return false, errors.New("notify: user, kind, title and effect key are required")
	}
	if n.ID == "" {
		n.ID = id.New()
	}
	if n.CreatedAt.IsZero() {
		n.CreatedAt = db.Now()
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO notifications (id, user_id, kind, title, body, link, effect_key, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (effect_key) DO NOTHING`,
		n.ID, n.UserID, n.Kind, n.Title, n.Body, n.Link, effectKey, db.T(n.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("notify: add: %w", err)
	}
	added, err := res.RowsAffected()
	return added == 1, err
}

// Service reads and marks the actor's own notifications.
type Service struct{ db *db.DB }

// New returns the notifications of d.
func New(d *db.DB) *Service { return &Service{db: d} }

// PageSize is how many notifications List returns at most.
const PageSize = 50

// Page is one page of notifications, newest first.
type Page struct {
	Notifications []Notification `json:"notifications"`
	// Older is the cursor of the next, older page; "" on the last page.
	Older string `json:"older,omitempty"`
	// Unread counts all the user's unread notifications.
	Unread int `json:"unread"`
}

func self(ctx context.Context) (string, error) {
	a, ok := access.ActorFrom(ctx)
	if !ok || a.UserID == "" {
		return "", fmt.Errorf("notify: notifications belong to a signed-in user: %w", apperr.ErrForbidden)
	}
	return a.UserID, nil
}

// List returns the actor's notifications older than the cursor before ("" for
// the newest), at most limit (PageSize when 0 or more).
func (s *Service) List(ctx context.Context, before string, limit int) (Page, error) {
	userID, err := self(ctx)
	if err != nil {
		return Page{}, err
	}
	if limit <= 0 || limit > PageSize {
		limit = PageSize
	}
	q := `SELECT id, user_id, kind, title, body, link, read_at, created_at FROM notifications WHERE user_id = $1`
	args := []any{userID, limit + 1}
	if before != "" {
		if !id.Valid(before) {
			return Page{}, fmt.Errorf("notify: cursor %q: %w", before, apperr.ErrNotFound)
		}
		q += ` AND id < $3`
		args = append(args, before)
	}
	rows, err := s.db.R.QueryContext(ctx, q+` ORDER BY id DESC LIMIT $2`, args...)
	if err != nil {
		return Page{}, fmt.Errorf("notify: list: %w", err)
	}
	defer rows.Close()
	p := Page{Notifications: []Notification{}}
	for rows.Next() {
		var n Notification
		var read, created db.Time
		if err := rows.Scan(&n.ID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &read, &created); err != nil {
			return Page{}, fmt.Errorf("notify: list: %w", err)
		}
		n.ReadAt, n.CreatedAt = read.Time, created.Time
		p.Notifications = append(p.Notifications, n)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("notify: list: %w", err)
	}
	if len(p.Notifications) > limit {
		p.Notifications = p.Notifications[:limit]
		p.Older = p.Notifications[limit-1].ID
	}
	p.Unread, err = s.unread(ctx, userID)
	return p, err
}

// Unread counts the actor's unread notifications.
func (s *Service) Unread(ctx context.Context) (int, error) {
	userID, err := self(ctx)
	if err != nil {
		return 0, err
	}
	return s.unread(ctx, userID)
}

func (s *Service) unread(ctx context.Context, userID string) (int, error) {
	var n int
	err := s.db.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL`,
		userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("notify: unread: %w", err)
	}
	return n, nil
}

// MarkRead marks one of the actor's notifications read; another user's is
// not found.
func (s *Service) MarkRead(ctx context.Context, notificationID string) (Notification, error) {
	userID, err := self(ctx)
	if err != nil {
		return Notification{}, err
	}
	if !id.Valid(notificationID) {
		return Notification{}, fmt.Errorf("notification %q: %w", notificationID, apperr.ErrNotFound)
	}
	var n Notification
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $3 WHERE id = $1 AND user_id = $2
			AND read_at IS NULL`, notificationID, userID, db.T(db.Now())); err != nil {
			return err
		}
		var read, created db.Time
		err := tx.QueryRowContext(ctx, `SELECT id, user_id, kind, title, body, link, read_at, created_at
			FROM notifications WHERE id = $1 AND user_id = $2`, notificationID, userID).
			Scan(&n.ID, &n.UserID, &n.Kind, &n.Title, &n.Body, &n.Link, &read, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("notification %s: %w", notificationID, apperr.ErrNotFound)
		}
		n.ReadAt, n.CreatedAt = read.Time, created.Time
		return err
	})
	return n, err
}

// MarkAllRead marks every unread notification of the actor read and
// returns how many there were.
func (s *Service) MarkAllRead(ctx context.Context) (int, error) {
	userID, err := self(ctx)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE notifications SET read_at = $2 WHERE user_id = $1 AND read_at IS NULL`,
			userID, db.T(db.Now()))
		if err != nil {
			return fmt.Errorf("notify: mark all read: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
