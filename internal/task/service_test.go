package task_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
)

var p = fixture.Ptr[string]

func count(t *testing.T, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTaskValidation(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		svc := task.NewService(d, user.NewService(d))
		tests := []struct {
			name  string
			in    task.Input
			field string
		}{
			{"no title", task.Input{Title: p("  ")}, "title"},
			{"date in a wrong format", task.Input{Title: p("Call"), DueDate: p("31.03.2026")}, "due_date"},
			{"impossible date", task.Input{Title: p("Call"), DueDate: p("2026-02-30")}, "due_date"},
			{"bad time", task.Input{Title: p("Call"), DueDate: p("2026-03-01"), DueTime: p("25:00")}, "due_time"},
			{"time without a date", task.Input{Title: p("Call"), DueTime: p("09:00")}, "due_time"},
			{"unknown priority", task.Input{Title: p("Call"), Priority: p("urgent")}, "priority"},
			{"unknown time zone", task.Input{Title: p("Call"), TimeZone: p("Mars/Olympus")}, "time_zone"},
			{"bad reminder", task.Input{Title: p("Call"), RemindAt: p("tomorrow")}, "remind_at"},
			{"unknown contact", task.Input{Title: p("Call"), ContactID: p("0190f0f0-0000-7000-8000-000000000000")}, "contact_id"},
			{"contact not an id", task.Input{Title: p("Call"), ContactID: p("bob")}, "contact_id"},
			{"unknown deal", task.Input{Title: p("Call"), DealID: p("0190f0f0-0000-7000-8000-000000000000")}, "deal_id"},
			{"unknown assignee", task.Input{Title: p("Call"), AssigneeID: p("0190f0f0-0000-7000-8000-000000000000")}, "assignee_id"},
			{"recurrence that never fires", task.Input{Title: p("Call"), DueDate: p("2026-03-01"),
				Recurrence: &task.Rule{Frequency: task.Monthly, Until: "2026-03-15"}}, "recurrence.until"},
			{"recurrence with interval 0 of -1", task.Input{Title: p("Call"), DueDate: p("2026-03-01"),
				Recurrence: &task.Rule{Frequency: task.Weekly, Interval: -1}}, "recurrence.interval"},
		}
		for _, tt := range tests {
			_, err := svc.Create(ctx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%s: err = %v, want a message on %s", tt.name, err, tt.field)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM tasks`); n != 0 {
			t.Errorf("bad input saved %d tasks", n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM events WHERE kind LIKE 'task.%'`); n != 0 {
			t.Errorf("bad input recorded %d events", n)
		}
	})
}

func TestTaskLifecycle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		users := user.NewService(d)
		svc := task.NewService(d, users)
		c, err := contact.NewService(d, users).Create(ctx, contact.Input{FirstName: p("Ada"), LastName: p("Lovelace")})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := svc.Create(ctx, task.Input{Title: p("Call Ada back"), Notes: p("About the offer"),
			DueDate: p("2026-01-31"), DueTime: p("09:30"), TimeZone: p("Europe/Berlin"), Priority: p("high"),
			ContactID: p(c.ID), Recurrence: &task.Rule{Frequency: task.Monthly}})
		if err != nil {
			t.Fatal(err)
		}
		if tk.AssigneeID != owner.ID || tk.ContactName != "Ada Lovelace" || tk.Version != 1 {
			t.Errorf("created %+v", tk)
		}
		if want := time.Date(2026, 1, 31, 8, 30, 0, 0, time.UTC); !tk.DueAt.Equal(want) {
			t.Errorf("due at %s, want %s (09:30 in Berlin)", tk.DueAt, want)
		}
		// A stale version loses and is told.
		if _, err := svc.Update(ctx, tk.ID, task.Input{Title: p("Call Ada"), Version: fixture.Ptr(7)}); !errors.Is(err, apperr.ErrConflict) {
			t.Errorf("stale update: %v, want a conflict", err)
		}
		tk, err = svc.Update(ctx, tk.ID, task.Input{Title: p("Call Ada"), Version: fixture.Ptr(1)})
		if err != nil || tk.Title != "Call Ada" || tk.Version != 2 || tk.DueDate != "2026-01-31" {
			t.Fatalf("update: %+v, %v", tk, err)
		}

		done, next, err := svc.Complete(ctx, tk.ID)
		if err != nil || !done.Done() || next == nil {
			t.Fatalf("complete: %+v, next %v, %v", done, next, err)
		}
		if next.DueDate != "2026-02-28" || next.DueTime != "09:30" || next.ContactID != c.ID || next.PreviousID != tk.ID {
			t.Errorf("next occurrence %+v, want 2026-02-28 09:30 for the same contact", next)
		}
		// Reopening and completing again does not make a second occurrence.
		if _, err := svc.Reopen(ctx, tk.ID); err != nil {
			t.Fatal(err)
		}
		if _, again, err := svc.Complete(ctx, tk.ID); err != nil || again != nil {
			t.Errorf("second completion made %+v, %v", again, err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM tasks WHERE previous_id = $1`, tk.ID); n != 1 {
			t.Errorf("%d next occurrences, want 1", n)
		}
		// The occurrence after the short month goes back to the 31st.
		_, third, err := svc.Complete(ctx, next.ID)
		if err != nil || third == nil || third.DueDate != "2026-03-31" {
			t.Errorf("third occurrence %+v, %v; want 2026-03-31", third, err)
		}

		// The linked contact's timeline shows every step.
		kinds := map[string]int{}
		rows, err := d.R.QueryContext(ctx, `SELECT kind FROM events WHERE contact_id = $1 AND kind LIKE 'task.%'`, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var k string
			rows.Scan(&k)
			kinds[k]++
		}
		rows.Close()
		want := map[string]int{"task.created": 3, "task.updated": 1, "task.completed": 3, "task.reopened": 1}
		for k, n := range want {
			if kinds[k] != n {
				t.Errorf("contact timeline has %d %s, want %d (all: %v)", kinds[k], k, n, kinds)
			}
		}

		list, err := svc.ForRecord(ctx, "contact", c.ID)
		if err != nil || len(list) != 3 || list[0].ID != third.ID {
			t.Errorf("tasks of the contact: %d, %v; want 3, the open one first", len(list), err)
		}
		if err := svc.Delete(ctx, third.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.ByID(ctx, third.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("deleted task: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM events WHERE kind = 'task.deleted' AND contact_id = $1`, c.ID); n != 1 {
			t.Errorf("%d deleted events", n)
		}
	})
}

func TestMyTasksAndList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		_, other := fixture.User(t, d, "member")
		svc := task.NewService(d, user.NewService(d))
		// 23:30 UTC on 10 March is already 11 March in Tokyo.
		svc.SetClock(func() time.Time { return time.Date(2026, 3, 10, 23, 30, 0, 0, time.UTC) })
		if err := svc.SetTimeZone(ctx, "Asia/Tokyo"); err != nil {
			t.Fatal(err)
		}
		if err := svc.SetTimeZone(ctx, "Nowhere/Land"); apperr.AsValidation(err) == nil {
			t.Errorf("bad zone: %v", err)
		}
		mk := func(title, due string, assignee string) task.Task {
			in := task.Input{Title: p(title)}
			if due != "" {
				in.DueDate = p(due)
			}
			if assignee != "" {
				in.AssigneeID = p(assignee)
			}
			tk, err := svc.Create(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}
		mk("late", "2026-03-10", "")
		mk("today", "2026-03-11", "")
		mk("soon", "2026-03-12", "")
		mk("someday", "", "")
		mk("theirs", "2026-03-11", other.ID)
		doneTask := mk("done", "2026-03-11", "")
		if _, _, err := svc.Complete(ctx, doneTask.ID); err != nil {
			t.Fatal(err)
		}
		b, err := svc.MyTasks(ctx)
		if err != nil {
			t.Fatal(err)
		}
		titles := func(ts []task.Task) (out []string) {
			for _, x := range ts {
				out = append(out, x.Title)
			}
			return out
		}
		if b.Today != "2026-03-11" || len(b.Overdue) != 1 || len(b.DueToday) != 1 || b.DueToday[0].Title != "today" ||
			len(b.Upcoming) != 1 || len(b.NoDate) != 1 || len(b.Done) != 1 {
			t.Errorf("board on %s: overdue %v today %v upcoming %v nodate %v done %v", b.Today, titles(b.Overdue),
				titles(b.DueToday), titles(b.Upcoming), titles(b.NoDate), titles(b.Done))
		}

		page, err := svc.List(ctx, task.Filter{AssigneeID: owner.ID, Status: "open", Limit: 2})
		if err != nil || len(page.Tasks) != 2 || page.Next == "" {
			t.Fatalf("page 1: %d, next %q, %v", len(page.Tasks), page.Next, err)
		}
		page2, err := svc.List(ctx, task.Filter{AssigneeID: owner.ID, Status: "open", Limit: 2, Cursor: page.Next})
		if err != nil || len(page2.Tasks) != 2 || page2.Next != "" || page2.Tasks[0].ID <= page.Tasks[1].ID {
			t.Errorf("page 2: %d, next %q, %v", len(page2.Tasks), page2.Next, err)
		}
		due, err := svc.List(ctx, task.Filter{DueAfter: "2026-03-11", DueBefore: "2026-03-11"})
		if err != nil || len(due.Tasks) != 3 {
			t.Errorf("due on the 11th: %v, %v", titles(due.Tasks), err)
		}
		_, err = svc.List(ctx, task.Filter{DueBefore: "11/03/2026", Status: "maybe"})
		if v := apperr.AsValidation(err); v == nil || v.For("due_before") == "" || v.For("status") == "" {
			t.Errorf("bad filter: %v", err)
		}
	})
}

// TestCompleteTwiceAtOnce: two completions racing (a double click, two
// people) both succeed and make one next occurrence.
func TestCompleteTwiceAtOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		svc := task.NewService(d, user.NewService(d))
		tk, err := svc.Create(ctx, task.Input{Title: p("Water the plants"), DueDate: p("2026-05-01"),
			Recurrence: &task.Rule{Frequency: task.Weekly}})
		if err != nil {
			t.Fatal(err)
		}
		errs := make(chan error, 2)
		for range 2 {
			go func() {
				_, _, err := svc.Complete(ctx, tk.ID)
				errs <- err
			}()
		}
		for range 2 {
			if err := <-errs; err != nil {
				t.Errorf("completion: %v", err)
			}
		}
		if n := count(t, d, `SELECT COUNT(*) FROM tasks WHERE previous_id = $1`, tk.ID); n != 1 {
			t.Errorf("%d next occurrences, want 1", n)
		}
	})
}
