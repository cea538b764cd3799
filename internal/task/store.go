package task

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

// selectTask reads tasks with the names of what they link to.
const selectTask = `SELECT t.id, t.title, t.notes, t.due_date, t.due_time, t.time_zone, t.due_at, t.priority,
	t.assignee_id, u.name, t.contact_id, c.display_name, t.company_id, co.name, t.deal_id, dl.name,
	t.recurrence, t.recur_interval, t.recur_until, t.recur_anchor, t.previous_id, t.remind_at,
	t.done_at, t.done_by, t.version, t.created_at, t.updated_at, t.created_by, t.updated_by
	FROM tasks t
	LEFT JOIN users u ON u.id = t.assignee_id
	LEFT JOIN contacts c ON c.id = t.contact_id
	LEFT JOIN companies co ON co.id = t.company_id
	LEFT JOIN deals dl ON dl.id = t.deal_id`

type scanner interface{ Scan(...any) error }

func scanTask(row scanner) (Task, error) {
	var t Task
	var due, until, anchor db.Date
	var dueTime, assignee, assigneeName, contact, contactName, company, companyName, deal, dealName,
		previous, doneBy, createdBy, updatedBy sql.NullString
	var dueAt, remindAt, doneAt, created, updated db.Time
	err := row.Scan(&t.ID, &t.Title, &t.Notes, &due, &dueTime, &t.TimeZone, &dueAt, &t.Priority,
		&assignee, &assigneeName, &contact, &contactName, &company, &companyName, &deal, &dealName,
		&t.Recurrence.Frequency, &t.Recurrence.Interval, &until, &anchor, &previous, &remindAt,
		&doneAt, &doneBy, &t.Version, &created, &updated, &createdBy, &updatedBy)
	if errors.Is(err, sql.ErrNoRows) {
		return t, apperr.ErrNotFound
	}
	if err != nil {
		return t, err
	}
	t.DueDate, t.DueTime, t.DueAt = string(due), dueTime.String, dueAt.Time
	t.AssigneeID, t.AssigneeName = assignee.String, assigneeName.String
	t.ContactID, t.ContactName = contact.String, contactName.String
	t.CompanyID, t.CompanyName = company.String, companyName.String
	t.DealID, t.DealName = deal.String, dealName.String
	t.Recurrence.Until, t.anchor, t.PreviousID = string(until), string(anchor), previous.String
	if !t.Recurrence.Repeats() {
		t.Recurrence.Interval = 0
	}
	t.RemindAt, t.DoneAt, t.DoneBy = remindAt.Time, doneAt.Time, doneBy.String
	t.CreatedAt, t.UpdatedAt, t.CreatedBy, t.UpdatedBy = created.Time, updated.Time, createdBy.String, updatedBy.String
	return t, nil
}

func byID(ctx context.Context, q db.Querier, taskID string) (Task, error) {
	t, err := scanTask(q.QueryRowContext(ctx, selectTask+` WHERE t.id = $1 AND t.deleted_at IS NULL`, taskID))
	if err != nil {
		return t, fmt.Errorf("task %s: %w", taskID, err)
	}
	return t, nil
}

func scanTasks(rows *sql.Rows) ([]Task, error) {
	defer rows.Close()
	out := []Task{}
	for rows.Next() {
		t, err := scanTask(rows)
		if err != nil {
			return nil, fmt.Errorf("task: list: %w", err)
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("task: list: %w", err)
	}
	return out, nil
}

func nullDate(s string) any { return db.Date(s) }

func insert(ctx context.Context, tx *db.Tx, t Task) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO tasks (id, title, notes, due_date, due_time, time_zone, due_at, priority,
		assignee_id, contact_id, company_id, deal_id, recurrence, recur_interval, recur_until, recur_anchor,
		previous_id, remind_at, done_at, done_by, version, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
		$22, $23, $24, $25)`,
		t.ID, t.Title, t.Notes, nullDate(t.DueDate), db.NullString(t.DueTime), t.TimeZone, db.T(t.DueAt), t.Priority,
		db.NullString(t.AssigneeID), db.NullString(t.ContactID), db.NullString(t.CompanyID), db.NullString(t.DealID),
		t.Recurrence.Frequency, max(t.Recurrence.Interval, 1), nullDate(t.Recurrence.Until), nullDate(t.anchor),
		db.NullString(t.PreviousID), db.T(t.RemindAt), db.T(t.DoneAt), db.NullString(t.DoneBy), t.Version,
		db.T(t.CreatedAt), db.T(t.UpdatedAt), db.NullString(t.CreatedBy), db.NullString(t.UpdatedBy))
	if err != nil {
		return fmt.Errorf("task: insert: %w", err)
	}
	return nil
}

// update writes t if its stored version is still oldVersion, and bumps the
// version; apperr.ErrConflict when someone else changed it meanwhile.
func update(ctx context.Context, tx *db.Tx, t Task, oldVersion int) error {
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET title = $2, notes = $3, due_date = $4, due_time = $5,
		time_zone = $6, due_at = $7, priority = $8, assignee_id = $9, contact_id = $10, company_id = $11,
		deal_id = $12, recurrence = $13, recur_interval = $14, recur_until = $15, recur_anchor = $16,
		remind_at = $17, done_at = $18, done_by = $19, version = version + 1, updated_at = $20, updated_by = $21
		WHERE id = $1 AND version = $22 AND deleted_at IS NULL`,
		t.ID, t.Title, t.Notes, nullDate(t.DueDate), db.NullString(t.DueTime), t.TimeZone, db.T(t.DueAt), t.Priority,
		db.NullString(t.AssigneeID), db.NullString(t.ContactID), db.NullString(t.CompanyID), db.NullString(t.DealID),
		t.Recurrence.Frequency, max(t.Recurrence.Interval, 1), nullDate(t.Recurrence.Until), nullDate(t.anchor),
		db.T(t.RemindAt), db.T(t.DoneAt), db.NullString(t.DoneBy), db.T(t.UpdatedAt), db.NullString(t.UpdatedBy),
		oldVersion)
	if err != nil {
		return fmt.Errorf("task: update: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("task %s changed meanwhile (version %d is old): %w", t.ID, oldVersion, apperr.ErrConflict)
	}
	return nil
}

func softDelete(ctx context.Context, tx *db.Tx, taskID, by string, version int) error {
	now := db.T(db.Now())
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET deleted_at = $2, updated_at = $2, updated_by = $3,
		version = version + 1 WHERE id = $1 AND version = $4 AND deleted_at IS NULL`, taskID, now, db.NullString(by), version)
	if err != nil {
		return fmt.Errorf("task: delete: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("task %s changed meanwhile: %w", taskID, apperr.ErrConflict)
	}
	return nil
}

// nextOf returns the ID of the occurrence made after previousID, or "".
func nextOf(ctx context.Context, q db.Querier, previousID string) (string, error) {
	var next string
	err := q.QueryRowContext(ctx, `SELECT id FROM tasks WHERE previous_id = $1`, previousID).Scan(&next)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("task: next occurrence: %w", err)
	}
	return next, nil
}

// ZoneOf returns the IANA time zone of userID ("UTC" when unset or unknown).
func ZoneOf(ctx context.Context, q db.Querier, userID string) (*time.Location, error) {
	if userID == "" {
		return time.UTC, nil
	}
	var zone string
	err := q.QueryRowContext(ctx, `SELECT time_zone FROM users WHERE id = $1`, userID).Scan(&zone)
	if errors.Is(err, sql.ErrNoRows) {
		return time.UTC, nil
	}
	if err != nil {
		return nil, fmt.Errorf("task: time zone of %s: %w", userID, err)
	}
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}
