package task

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/record"
)

// Enqueuer inserts a job inside a transaction; *jobs.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Service is the one way tasks are read and changed.
type Service struct {
	db    *db.DB
	users record.Users
	// queue schedules reminders; without one (shell commands) none fire.
	queue Enqueuer
	// outbox sends reminder and digest emails when it delivers.
	outbox  *mail.Outbox
	baseURL string
	// now is the clock; tests move it.
	now func() time.Time
}

// NewService returns a Service on d; users checks assignees.
func NewService(d *db.DB, users record.Users) *Service {
	return &Service{db: d, users: users, now: db.Now}
}

// UseQueue makes the service schedule reminders as jobs on q.
func (s *Service) UseQueue(q Enqueuer) { s.queue = q }

// UseMail has reminders and digests emailed through o when it delivers;
// baseURL starts the links in them.
func (s *Service) UseMail(o *mail.Outbox, baseURL string) { s.outbox, s.baseURL = o, baseURL }

// SetClock replaces the clock (tests).
func (s *Service) SetClock(now func() time.Time) { s.now = now }

// ByID returns a live task the actor may see.
func (s *Service) ByID(ctx context.Context, taskID string) (Task, error) {
	if _, err := access.Check(ctx, Object, access.Read); err != nil {
		return Task{}, err
	}
	return s.load(ctx, s.db.R, taskID)
}

func (s *Service) load(ctx context.Context, q db.Querier, taskID string) (Task, error) {
	if !id.Valid(taskID) {
		return Task{}, fmt.Errorf("task %q: %w", taskID, apperr.ErrNotFound)
	}
	t, err := byID(ctx, q, taskID)
	if err != nil {
		return t, err
	}
	if err := access.CheckOwner(ctx, q, t.AssigneeID, "task "+t.ID); err != nil {
		return Task{}, err
	}
	return t, nil
}

// Create adds a task. Without an assignee it goes to the actor; without a
// time zone it takes the assignee's.
func (s *Service) Create(ctx context.Context, in Input) (Task, error) {
	actor, err := access.Check(ctx, Object, access.Create)
	if err != nil {
		return Task{}, err
	}
	t := Task{}
	if in.AssigneeID == nil && actor.UserID != "" {
		in.AssigneeID = &actor.UserID
	}
	if in.TimeZone == nil && in.AssigneeID != nil && id.Valid(*in.AssigneeID) {
		loc, err := ZoneOf(ctx, s.db.R, *in.AssigneeID)
		if err != nil {
			return t, err
		}
		zone := loc.String()
		in.TimeZone = &zone
	}
	if err := s.prepare(ctx, &t, in); err != nil {
		return t, err
	}
	t.anchor = t.DueDate
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		return s.createTx(ctx, tx, actor, &t, map[string]any{"title": t.Title, "due_date": t.DueDate})
	})
	if err != nil {
		return t, fmt.Errorf("task: create: %w", err)
	}
	return t, nil
}

func (s *Service) createTx(ctx context.Context, tx *db.Tx, actor access.Actor, t *Task, data map[string]any) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	t.ID, t.Version, t.CreatedAt, t.UpdatedAt, t.CreatedBy, t.UpdatedBy = id.New(), 1, now, now, actor.UserID, actor.UserID
	if err := insert(ctx, tx, *t); err != nil {
		return err
	}
	if err := s.schedule(ctx, tx, *t); err != nil {
		return err
	}
	return s.emit(ctx, tx, actor, *t, "created", data)
}

// Update changes the fields set in in. With in.Version set, a task changed
// by someone else meanwhile is not overwritten (apperr.ErrConflict).
func (s *Service) Update(ctx context.Context, taskID string, in Input) (Task, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Task{}, err
	}
	old, err := s.load(ctx, s.db.R, taskID)
	if err != nil {
		return old, err
	}
	if in.Version != nil && *in.Version != old.Version {
		return old, fmt.Errorf("task %s: changed by someone else meanwhile (now version %d): %w",
			old.ID, old.Version, apperr.ErrConflict)
	}
	t := old
	if err := s.prepare(ctx, &t, in); err != nil {
		return t, err
	}
	if t.DueDate != old.DueDate || t.Recurrence != old.Recurrence {
		t.anchor = t.DueDate
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		t.UpdatedAt, t.UpdatedBy = s.now().UTC().Truncate(time.Microsecond), actor.UserID
		if err := update(ctx, tx, t, old.Version); err != nil {
			return err
		}
		t.Version = old.Version + 1
		if !t.RemindAt.Equal(old.RemindAt) {
			if err := s.schedule(ctx, tx, t); err != nil {
				return err
			}
		}
		changes := record.Diff(old.fields(), t.fields())
		if len(changes) == 0 {
			return nil
		}
		return s.emit(ctx, tx, actor, t, "updated", map[string]any{"title": t.Title, "changes": changes})
	})
	if err != nil {
		return t, fmt.Errorf("task: update: %w", err)
	}
	return t, nil
}

// prepare applies in to t and validates everything: the task's own fields,
// then that the assignee is an active user and the linked records exist
// and are visible to the actor.
func (s *Service) prepare(ctx context.Context, t *Task, in Input) error {
	var v apperr.Validation
	in.apply(t, &v)
	if t.AssigneeID != "" && v.For("assignee_id") == "" {
		u, err := s.users.ByID(ctx, t.AssigneeID)
		switch {
		case errors.Is(err, apperr.ErrNotFound):
			v.Add("assignee_id", "There is no user with this id.")
		case err != nil:
			return err
		case !u.DisabledAt.IsZero():
			v.Add("assignee_id", u.Name+" is deactivated; choose an active user.")
		default:
			t.AssigneeName = u.Name
		}
	}
	links := []struct {
		field, table, nameCol, what string
		id, name                    *string
	}{
		{"contact_id", "contacts", "display_name", "contact", &t.ContactID, &t.ContactName},
		{"company_id", "companies", "name", "company", &t.CompanyID, &t.CompanyName},
		{"deal_id", "deals", "name", "deal", &t.DealID, &t.DealName},
	}
	for _, l := range links {
		if *l.id == "" {
			*l.name = ""
			continue
		}
		if v.For(l.field) != "" {
			continue
		}
		name, err := s.linkVisible(ctx, l.table, l.nameCol, *l.id)
		if errors.Is(err, apperr.ErrNotFound) {
			v.Add(l.field, "There is no such "+l.what+".")
			continue
		}
		if err != nil {
			return err
		}
		*l.name = name
	}
	return v.Err()
}

// linkVisible returns the name of a linked record the actor may see.
func (s *Service) linkVisible(ctx context.Context, table, nameCol, recordID string) (string, error) {
	var name string
	var owner *string
	err := s.db.R.QueryRowContext(ctx, `SELECT `+nameCol+`, owner_id FROM `+table+` WHERE id = $1 AND deleted_at IS NULL`,
		recordID).Scan(&name, &owner)
	if err != nil {
		return "", notFound(err)
	}
	o := ""
	if owner != nil {
		o = *owner
	}
	if err := access.CheckOwner(ctx, s.db.R, o, table+" "+recordID); err != nil {
		return "", err
	}
	return name, nil
}

// Delete moves a task to the trash; its reminder no longer fires.
func (s *Service) Delete(ctx context.Context, taskID string) error {
	actor, err := access.Check(ctx, Object, access.Delete)
	if err != nil {
		return err
	}
	t, err := s.load(ctx, s.db.R, taskID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := softDelete(ctx, tx, t.ID, actor.UserID, t.Version); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, t, "deleted", map[string]any{"title": t.Title})
	})
}

// Complete marks a task done. A repeating task gets its next occurrence in
// the same transaction, returned as next (nil when the rule has ended or
// the occurrence exists already). Completing a done task changes nothing.
func (s *Service) Complete(ctx context.Context, taskID string) (t Task, next *Task, err error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Task{}, nil, err
	}
	old, err := s.load(ctx, s.db.R, taskID)
	if err != nil || old.Done() {
		return old, nil, err
	}
	t = old
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		now := s.now().UTC().Truncate(time.Microsecond)
		t.DoneAt, t.DoneBy, t.UpdatedAt, t.UpdatedBy = now, actor.UserID, now, actor.UserID
		if err := update(ctx, tx, t, old.Version); err != nil {
			return err
		}
		t.Version = old.Version + 1
		data := map[string]any{"title": t.Title}
		if next, err = s.nextOccurrence(ctx, tx, actor, t); err != nil {
			return err
		}
		if next != nil {
			data["next_due_date"] = next.DueDate
		}
		return s.emit(ctx, tx, actor, t, "completed", data)
	})
	if errors.Is(err, apperr.ErrConflict) {
		// Completed by someone else (or a double click) meanwhile: done is
		// done; any other change is a real conflict.
		if now, lerr := s.load(ctx, s.db.R, taskID); lerr == nil && now.Done() {
			return now, nil, nil
		}
	}
	if err != nil {
		return old, nil, fmt.Errorf("task: complete: %w", err)
	}
	return t, next, nil
}

// nextOccurrence creates the occurrence after t, if its rule goes on and
// it was not made already (by an earlier completion of t).
func (s *Service) nextOccurrence(ctx context.Context, tx *db.Tx, actor access.Actor, t Task) (*Task, error) {
	if !t.Recurrence.Repeats() {
		return nil, nil
	}
	anchor := t.anchor
	if anchor == "" {
		anchor = t.DueDate
	}
	due, ok := NextDue(t.Recurrence, anchor, t.DueDate)
	if !ok {
		return nil, nil
	}
	if existing, err := nextOf(ctx, tx, t.ID); err != nil || existing != "" {
		return nil, err
	}
	n := t
	n.DueDate, n.anchor, n.PreviousID = due.Format(db.DateLayout), anchor, t.ID
	n.DoneAt, n.DoneBy = time.Time{}, ""
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	n.DueAt = dueInstant(n.DueDate, n.DueTime, loc)
	if !t.RemindAt.IsZero() && !t.DueAt.IsZero() {
		n.RemindAt = n.DueAt.Add(t.RemindAt.Sub(t.DueAt))
	}
	if err := s.createTx(ctx, tx, actor, &n, map[string]any{"title": n.Title, "due_date": n.DueDate,
		"previous_id": t.ID}); err != nil {
		return nil, err
	}
	return &n, nil
}

// Reopen marks a done task as not done; its reminder, if still ahead, is
// scheduled again.
func (s *Service) Reopen(ctx context.Context, taskID string) (Task, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Task{}, err
	}
	old, err := s.load(ctx, s.db.R, taskID)
	if err != nil || !old.Done() {
		return old, err
	}
	t := old
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		t.DoneAt, t.DoneBy = time.Time{}, ""
		t.UpdatedAt, t.UpdatedBy = s.now().UTC().Truncate(time.Microsecond), actor.UserID
		if err := update(ctx, tx, t, old.Version); err != nil {
			return err
		}
		t.Version = old.Version + 1
		if err := s.schedule(ctx, tx, t); err != nil {
			return err
		}
		return s.emit(ctx, tx, actor, t, "reopened", map[string]any{"title": t.Title})
	})
	if err != nil {
		return old, fmt.Errorf("task: reopen: %w", err)
	}
	return t, nil
}

func (s *Service) emit(ctx context.Context, tx *db.Tx, actor access.Actor, t Task, verb string, data map[string]any) error {
	_, err := event.Record(ctx, tx, event.Event{Kind: "task." + verb, ActorID: actor.UserID, SubjectType: "task",
		SubjectID: t.ID, ContactID: t.ContactID, CompanyID: t.CompanyID, DealID: t.DealID, Data: data})
	return err
}

func notFound(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.ErrNotFound
	}
	return err
}
