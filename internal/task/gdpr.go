package task

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// PrivacyPart is what tasks hold about a contact, for the data export and
// erasure: the tasks linked to them are about them, and other tasks' titles
// and notes may name them.
func PrivacyPart() gdpr.Part {
	return gdpr.Part{Name: "tasks", Export: exportTasks, Erase: eraseTasks,
		Texts: []gdpr.Column{{Table: "tasks", Key: "id", Name: "title"}, {Table: "tasks", Key: "id", Name: "notes"}}}
}

type privacyTask struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Notes   string `json:"notes"`
	DueDate string `json:"due_date,omitempty"`
	Done    bool   `json:"done"`
}

func exportTasks(ctx context.Context, q db.Querier, contactID string) (any, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, title, notes, due_date, done_at IS NOT NULL FROM tasks
		WHERE contact_id = $1 AND deleted_at IS NULL ORDER BY id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("task: privacy export: %w", err)
	}
	defer rows.Close()
	out := []privacyTask{}
	for rows.Next() {
		var t privacyTask
		var due db.Date
		if err := rows.Scan(&t.ID, &t.Title, &t.Notes, &due, &t.Done); err != nil {
			return nil, err
		}
		t.DueDate = string(due)
		out = append(out, t)
	}
	return out, rows.Err()
}

// eraseTasks deletes the tasks linked to the contact; later occurrences of
// a deleted one lose their link back to it.
func eraseTasks(ctx context.Context, tx *db.Tx, contactID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET previous_id = NULL WHERE previous_id IN
		(SELECT id FROM tasks WHERE contact_id = $1)`, contactID); err != nil {
		return fmt.Errorf("task: erase: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM tasks WHERE contact_id = $1`, contactID); err != nil {
		return fmt.Errorf("task: erase: %w", err)
	}
	return nil
}
