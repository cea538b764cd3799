package task

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Statuses a list can filter on.
const (
	StatusOpen = "open"
	StatusDone = "done"
)

// MaxPage is the largest page List returns.
const MaxPage = 200

// Filter selects tasks for List; empty fields do not filter.
type Filter struct {
	AssigneeID string
	// Status is "open", "done" or "" for both.
	Status string
	// DueBefore and DueAfter bound the due date, both inclusive.
	DueBefore string
	DueAfter  string
	ContactID string
	CompanyID string
	DealID    string
	// Cursor is the Next of the page before.
	Cursor string
	// Limit is the page size; 50 when 0.
	Limit int
}

// Page is one page of tasks in the order they were created.
type Page struct {
	Tasks []Task `json:"tasks"`
	// Next is the cursor of the next page; "" on the last.
	Next string `json:"next,omitempty"`
}

// List returns the visible tasks matching f, oldest first, keyset-paged.
func (s *Service) List(ctx context.Context, f Filter) (Page, error) {
	if _, err := access.Check(ctx, Object, access.Read); err != nil {
		return Page{}, err
	}
	var v apperr.Validation
	where := []string{"t.deleted_at IS NULL"}
	var args []any
	arg := func(x any) string { args = append(args, x); return "$" + strconv.Itoa(len(args)) }
	for _, ref := range []struct{ field, col, val string }{
		{"assignee_id", "t.assignee_id", f.AssigneeID}, {"contact_id", "t.contact_id", f.ContactID},
		{"company_id", "t.company_id", f.CompanyID}, {"deal_id", "t.deal_id", f.DealID},
	} {
		if ref.val == "" {
			continue
		}
		if !id.Valid(ref.val) {
			v.Add(ref.field, "Use the id of a record.")
			continue
		}
		where = append(where, ref.col+" = "+arg(ref.val))
	}
	switch f.Status {
	case "":
	case StatusOpen:
		where = append(where, "t.done_at IS NULL")
	case StatusDone:
		where = append(where, "t.done_at IS NOT NULL")
	default:
		v.Add("status", "Use open or done.")
	}
	for _, d := range []struct{ field, op, val string }{{"due_before", "<=", f.DueBefore}, {"due_after", ">=", f.DueAfter}} {
		if d.val == "" {
			continue
		}
		if _, err := time.Parse(db.DateLayout, d.val); err != nil {
			v.Add(d.field, "Enter the date as YYYY-MM-DD.")
			continue
		}
		where = append(where, "t.due_date "+d.op+" "+arg(db.Date(d.val)))
	}
	if f.Cursor != "" {
		if !id.Valid(f.Cursor) {
			v.Add("cursor", "Use the cursor of the page before.")
		} else {
			where = append(where, "t.id > "+arg(f.Cursor))
		}
	}
	limit := f.Limit
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > MaxPage {
		v.Add("limit", fmt.Sprintf("Ask for 1 to %d tasks.", MaxPage))
	}
	if err := v.Err(); err != nil {
		return Page{}, err
	}
	if vis, visArgs := access.Visible(ctx, "t.assignee_id", len(args)); vis != "" {
		where, args = append(where, vis), append(args, visArgs...)
	}
	rows, err := s.db.R.QueryContext(ctx, selectTask+` WHERE `+strings.Join(where, " AND ")+
		` ORDER BY t.id LIMIT `+arg(limit+1), args...)
	if err != nil {
		return Page{}, fmt.Errorf("task: list: %w", err)
	}
	list, err := scanTasks(rows)
	if err != nil {
		return Page{}, err
	}
	p := Page{Tasks: list}
	if len(list) > limit {
		p.Tasks = list[:limit]
		p.Next = list[limit-1].ID
	}
	return p, nil
}

// Board is a user's "My tasks": open tasks grouped by when they are due in
// the user's time zone, and those done in the last week.
type Board struct {
	// Today is the user's date, YYYY-MM-DD.
	Today    string
	Zone     string
	Overdue  []Task
	DueToday []Task
	Upcoming []Task
	// NoDate holds open tasks without a due date.
	NoDate []Task
	Done   []Task
}

// Open counts the open tasks on the board.
func (b Board) Open() int { return len(b.Overdue) + len(b.DueToday) + len(b.Upcoming) + len(b.NoDate) }

// BoardLimit bounds the open tasks "My tasks" shows.
const BoardLimit = 500

// MyTasks returns the actor's board at the service's now.
func (s *Service) MyTasks(ctx context.Context) (Board, error) {
	actor, err := access.Check(ctx, Object, access.Read)
	if err != nil {
		return Board{}, err
	}
	loc, err := ZoneOf(ctx, s.db.R, actor.UserID)
	if err != nil {
		return Board{}, err
	}
	now := s.now()
	b := Board{Today: now.In(loc).Format(db.DateLayout), Zone: loc.String()}
	rows, err := s.db.R.QueryContext(ctx, selectTask+` WHERE t.assignee_id = $1 AND t.deleted_at IS NULL
		AND t.done_at IS NULL ORDER BY t.due_at IS NULL, t.due_at, t.id LIMIT $2`, actor.UserID, BoardLimit)
	if err != nil {
		return b, fmt.Errorf("task: my tasks: %w", err)
	}
	open, err := scanTasks(rows)
	if err != nil {
		return b, err
	}
	for _, t := range open {
		switch {
		case t.DueDate == "":
			b.NoDate = append(b.NoDate, t)
		case t.DueDate < b.Today:
			b.Overdue = append(b.Overdue, t)
		case t.DueDate == b.Today:
			b.DueToday = append(b.DueToday, t)
		default:
			b.Upcoming = append(b.Upcoming, t)
		}
	}
	rows, err = s.db.R.QueryContext(ctx, selectTask+` WHERE t.assignee_id = $1 AND t.deleted_at IS NULL
		AND t.done_at >= $2 ORDER BY t.done_at DESC, t.id LIMIT 20`, actor.UserID, db.T(now.Add(-7*24*time.Hour)))
	if err != nil {
		return b, fmt.Errorf("task: my tasks: %w", err)
	}
	b.Done, err = scanTasks(rows)
	return b, err
}

// ForRecord returns the visible tasks linked to a contact, company or deal
// (kind "contact", "company" or "deal"): open ones by due date, then the
// last done ones, at most 50.
func (s *Service) ForRecord(ctx context.Context, kind, recordID string) ([]Task, error) {
	if _, err := access.Check(ctx, Object, access.Read); err != nil {
		return nil, err
	}
	col := map[string]string{"contact": "t.contact_id", "company": "t.company_id", "deal": "t.deal_id"}[kind]
	if col == "" || !id.Valid(recordID) {
		return nil, fmt.Errorf("task: tasks of %s %q: %w", kind, recordID, apperr.ErrNotFound)
	}
	q := selectTask + ` WHERE ` + col + ` = $1 AND t.deleted_at IS NULL`
	args := []any{recordID}
	if vis, visArgs := access.Visible(ctx, "t.assignee_id", 1); vis != "" {
		q, args = q+" AND "+vis, append(args, visArgs...)
	}
	rows, err := s.db.R.QueryContext(ctx, q+` ORDER BY t.done_at IS NOT NULL, t.due_at IS NULL, t.due_at, t.id LIMIT 50`, args...)
	if err != nil {
		return nil, fmt.Errorf("task: tasks of %s: %w", kind, err)
	}
	return scanTasks(rows)
}

// SetTimeZone sets the actor's time zone, which decides what "today" is on
// their board and when their digest goes out.
func (s *Service) SetTimeZone(ctx context.Context, zone string) error {
	actor, ok := access.ActorFrom(ctx)
	if !ok || actor.UserID == "" {
		return fmt.Errorf("task: time zone: %w", apperr.ErrForbidden)
	}
	zone = strings.TrimSpace(zone)
	if _, err := time.LoadLocation(zone); err != nil || zone == "" || zone == "Local" {
		var v apperr.Validation
		v.Add("time_zone", "Choose a time zone like Europe/Berlin or UTC.")
		return v.Err()
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET time_zone = $2 WHERE id = $1`, actor.UserID, zone)
		return err
	})
}

// TransferAssignee gives the open tasks of user from to user to inside tx
// (a deactivated user's work moves on); it is the user service's transfer
// hook for tasks and returns how many moved.
func (s *Service) TransferAssignee(ctx context.Context, tx *db.Tx, from, to string) (int, error) {
	actor, _ := access.ActorFrom(ctx)
	res, err := tx.ExecContext(ctx, `UPDATE tasks SET assignee_id = $2, version = version + 1, updated_at = $3,
		updated_by = $4 WHERE assignee_id = $1 AND done_at IS NULL AND deleted_at IS NULL`,
		from, db.NullString(to), db.T(db.Now()), db.NullString(actor.UserID))
	if err != nil {
		return 0, fmt.Errorf("task: transfer: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
