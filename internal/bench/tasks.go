package bench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/task"
)

// myTasks measures "My tasks" (a user's open tasks grouped by due date,
// and the last week's done ones) for a user with 1 % of the tasks, among
// one task per five contacts (200,000 at the default size), against the
// plain SQL of the same two queries.
func (e *env) myTasks() error {
	actor, _ := access.ActorFrom(e.ctx)
	total := max(e.o.Contacts/5, 1000)
	mine := max(total/100, 20)
	if err := e.loadTasks(actor.UserID, total, mine); err != nil {
		return err
	}
	svc := task.NewService(e.d, e.users)
	var open int
	page := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		b, err := svc.MyTasks(ctx)
		open = b.Open()
		return err
	})
	weekAgo := db.T(db.Now().Add(-7 * 24 * time.Hour))
	base := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		if _, err := e.plainRows(ctx, `SELECT t.id, t.title, t.due_date, t.due_time, t.priority, t.contact_id, c.display_name
			FROM tasks t LEFT JOIN contacts c ON c.id = t.contact_id
			WHERE t.assignee_id = $1 AND t.deleted_at IS NULL AND t.done_at IS NULL
			ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT $2`, actor.UserID, task.BoardLimit); err != nil {
			return err
		}
		_, err := e.plainRows(ctx, `SELECT t.id, t.title, t.done_at FROM tasks t WHERE t.assignee_id = $1
			AND t.deleted_at IS NULL AND t.done_at >= $2 ORDER BY t.done_at DESC, t.id LIMIT 20`, actor.UserID, weekAgo)
		return err
	})
	e.add(Result{Samples: page.N, BaseSamples: base.N,
		Operation: fmt.Sprintf("my tasks, %d of %d tasks (service)", mine, total), Baseline: "plain SQL, same rows",
		Unit: "ms p95", Value: ms(page.P95), Base: ms(base.P95),
		Detail: fmt.Sprintf("p50 %.2f / %.2f ms; %d open on the board", ms(page.P50), ms(base.P50), open)})
	return nil
}

// loadTasks inserts total tasks, mine of them assigned to userID and the
// rest spread over the other users; due dates fall within two months
// either side of today, a quarter are done, a third link a contact.
func (e *env) loadTasks(userID string, total, mine int) error {
	var others, contacts []string
	rows, err := e.d.R.QueryContext(e.ctx, `SELECT id FROM users WHERE id <> $1`, userID)
	if err != nil {
		return err
	}
	for rows.Next() {
		var u string
		rows.Scan(&u)
		others = append(others, u)
	}
	rows.Close()
	if len(others) == 0 {
		others = []string{userID}
	}
	rows, err = e.d.R.QueryContext(e.ctx, `SELECT id FROM contacts WHERE deleted_at IS NULL ORDER BY id LIMIT 1000`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var c string
		rows.Scan(&c)
		contacts = append(contacts, c)
	}
	rows.Close()
	rnd := rand.New(rand.NewPCG(8, 8))
	now := db.Now()
	cols := []string{"id", "title", "notes", "due_date", "time_zone", "due_at", "priority", "assignee_id", "contact_id",
		"done_at", "version", "created_at", "updated_at"}
	fmt.Fprintf(e.o.Log, "%s: building %d tasks\n", e.d.Engine, total)
	for start := 0; start < total; start += 5000 {
		var batch [][]any
		for i := start; i < min(start+5000, total); i++ {
			assignee := others[rnd.IntN(len(others))]
			if i%(total/mine) == 0 {
				assignee = userID
			}
			day := now.AddDate(0, 0, rnd.IntN(121)-60)
			due := time.Date(day.Year(), day.Month(), day.Day(), 23, 59, 0, 0, time.UTC)
			var contact any
			if len(contacts) > 0 && i%3 == 0 {
				contact = contacts[rnd.IntN(len(contacts))]
			}
			var done db.Time
			if i%4 == 0 {
				done = db.T(now.Add(-time.Duration(rnd.IntN(30*24)) * time.Hour))
			}
			batch = append(batch, []any{id.New(), fmt.Sprintf("Follow up %d", i), "", db.Date(due.Format(db.DateLayout)),
				"UTC", db.T(due), task.Priorities[i%3], assignee, contact, done, 1, db.T(now), db.T(now)})
		}
		if err := e.d.WithTx(e.ctx, func(tx *db.Tx) error { return db.Insert(e.ctx, tx, "tasks", cols, batch) }); err != nil {
			return fmt.Errorf("bench: tasks: %w", err)
		}
	}
	// Fresh statistics, as the data set's own load gets (both engines).
	_, err = e.d.W.ExecContext(e.ctx, `ANALYZE tasks`)
	return err
}
