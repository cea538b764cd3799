package api

import (
	"context"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/notify"
)

func (e *env) task(t *testing.T, c *client, body map[string]any) Task {
	t.Helper()
	var tk Task
	c.post(t, "/api/v1/tasks", body).expect(t, 201).decode(t, &tk)
	return tk
}

func TestTasks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, viewer, member := e.owned(), e.user("viewer"), e.user("member")
		ada := e.contact(t, map[string]any{"first_name": "Ada", "last_name": "Lovelace"})
		acme := e.company(t, map[string]any{"name": "Acme"})
		call := e.task(t, o, map[string]any{"title": "Call Ada", "due_date": "2026-01-31", "due_time": "09:30",
			"time_zone": "Europe/Berlin", "contact_id": ada.ID, "recurrence": map[string]any{"frequency": "monthly"}})
		e.task(t, o, map[string]any{"title": "Visit Acme", "due_date": "2026-02-10", "company_id": acme.ID})
		e.task(t, o, map[string]any{"title": "Someday"})
		theirs := e.task(t, member, map[string]any{"title": "Member's own"})
		missing, col, p := id.New(), "/api/v1/tasks", "/api/v1/tasks/"

		run(t, []scenario{
			{name: "create", c: o, method: "POST", path: col, status: 201, body: map[string]any{
				"title": "Send offer", "notes": "v2", "due_date": "2026-03-02", "priority": "high",
				"remind_at": "2026-03-02T08:00", "time_zone": "UTC", "company_id": acme.ID},
				check: func(t *testing.T, r result) {
					var tk Task
					r.decode(t, &tk)
					if r.header.Get("Location") != p+tk.ID || tk.AssigneeID != e.owner.ID || tk.CompanyName != "Acme" ||
						tk.Priority != "high" || tk.RemindAt == nil || tk.RemindAt.Format("15:04") != "08:00" || tk.Version != 1 {
						t.Errorf("created %+v", tk)
					}
				}},
			{name: "get", c: viewer, method: "GET", path: p + call.ID, status: 200, check: func(t *testing.T, r result) {
				var tk Task
				if r.decode(t, &tk); tk.ContactName != "Ada Lovelace" || tk.Recurrence.Frequency != "monthly" || tk.DueAt == nil {
					t.Errorf("got %+v", tk)
				}
			}},
			{name: "patch", c: o, method: "PATCH", path: p + call.ID, status: 200, body: map[string]any{"title": "Call Ada Lovelace", "version": 1},
				check: func(t *testing.T, r result) {
					var tk Task
					if r.decode(t, &tk); tk.Title != "Call Ada Lovelace" || tk.Version != 2 || tk.DueDate != "2026-01-31" {
						t.Errorf("after patch %+v", tk)
					}
				}},
			{name: "patch with an old version", c: o, method: "PATCH", path: p + call.ID, status: 409, body: map[string]any{"title": "Lost", "version": 1}},
			{name: "complete makes the next occurrence", c: o, method: "POST", path: p + call.ID + "/complete", status: 200,
				check: func(t *testing.T, r result) {
					var c TaskCompleted
					if r.decode(t, &c); !c.Task.Done || c.Next == nil || c.Next.DueDate != "2026-02-28" || c.Next.ContactID != ada.ID {
						t.Errorf("completed %+v", c)
					}
				}},
			{name: "complete again changes nothing", c: o, method: "POST", path: p + call.ID + "/complete", status: 200,
				check: func(t *testing.T, r result) {
					var c TaskCompleted
					if r.decode(t, &c); !c.Task.Done || c.Next != nil {
						t.Errorf("second completion %+v", c)
					}
				}},
			{name: "reopen", c: o, method: "POST", path: p + call.ID + "/reopen", status: 200, check: func(t *testing.T, r result) {
				var tk Task
				if r.decode(t, &tk); tk.Done || tk.DoneAt != nil {
					t.Errorf("reopened %+v", tk)
				}
			}},
			{name: "list mine, open, paged", c: o, method: "GET", path: col + "?assignee_id=me&status=open&limit=2", status: 200,
				check: func(t *testing.T, r result) {
					var page TaskPage
					if r.decode(t, &page); len(page.Data) != 2 || page.NextCursor == "" {
						t.Fatalf("page 1 %+v", page)
					}
					var page2 TaskPage
					o.get(t, col+"?assignee_id=me&status=open&limit=2&cursor="+page.NextCursor).expect(t, 200).decode(t, &page2)
					var page3 TaskPage
					if page2.NextCursor != "" {
						o.get(t, col+"?assignee_id=me&status=open&limit=2&cursor="+page2.NextCursor).expect(t, 200).decode(t, &page3)
					}
					if n := len(page.Data) + len(page2.Data) + len(page3.Data); n != 5 || page3.NextCursor != "" {
						t.Errorf("%d open tasks of the owner over the pages, want 5", n)
					}
				}},
			{name: "list by due dates", c: o, method: "GET", path: col + "?due_after=2026-02-01&due_before=2026-02-28", status: 200,
				check: func(t *testing.T, r result) {
					var page TaskPage
					if r.decode(t, &page); len(page.Data) != 2 {
						t.Errorf("due in February: %+v", page.Data)
					}
				}},
			{name: "list by contact", c: o, method: "GET", path: col + "?contact_id=" + ada.ID, status: 200,
				check: func(t *testing.T, r result) {
					var page TaskPage
					if r.decode(t, &page); len(page.Data) != 2 {
						t.Errorf("tasks of Ada: %d, want 2 (the task and its next occurrence)", len(page.Data))
					}
				}},
			{name: "member sees only their own", c: member, method: "GET", path: col, status: 200,
				check: func(t *testing.T, r result) {
					var page TaskPage
					if r.decode(t, &page); len(page.Data) != 1 || page.Data[0].ID != theirs.ID {
						t.Errorf("member's list %+v", page.Data)
					}
				}},

			{name: "no title", c: o, method: "POST", path: col, status: 422, fields: []string{"title"}, body: map[string]any{"notes": "x"}},
			{name: "bad date and time", c: o, method: "POST", path: col, status: 422, fields: []string{"due_date", "due_time", "priority"},
				body: map[string]any{"title": "X", "due_date": "31/01/2026", "due_time": "9.30", "priority": "asap"}},
			{name: "recurrence that never fires", c: o, method: "POST", path: col, status: 422, fields: []string{"recurrence.until"},
				body: map[string]any{"title": "X", "due_date": "2026-03-01", "recurrence": map[string]any{"frequency": "yearly", "until": "2026-12-31"}}},
			{name: "recurrence without a date", c: o, method: "POST", path: col, status: 422, fields: []string{"recurrence.frequency"},
				body: map[string]any{"title": "X", "recurrence": map[string]any{"frequency": "daily"}}},
			{name: "bad reminder and zone", c: o, method: "POST", path: col, status: 422, fields: []string{"remind_at", "time_zone"},
				body: map[string]any{"title": "X", "remind_at": "soon", "time_zone": "Atlantis/Capital"}},
			{name: "unknown links", c: o, method: "POST", path: col, status: 422, fields: []string{"contact_id", "deal_id"},
				body: map[string]any{"title": "X", "contact_id": missing, "deal_id": "deal-1"}},
			{name: "unknown property", c: o, method: "PATCH", path: p + call.ID, status: 422, fields: []string{"due"}, body: map[string]any{"due": "x"}},
			{name: "bad filters", c: o, method: "GET", path: col + "?status=late&due_before=tomorrow&contact_id=ada", status: 422,
				fields: []string{"status", "due_before", "contact_id"}},
			{name: "limit too large", c: o, method: "GET", path: col + "?limit=5000", status: 422, fields: []string{"limit"}},

			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "get malformed id", c: o, method: "GET", path: p + "call", status: 404},
			{name: "member may not see the owner's task", c: member, method: "GET", path: p + call.ID, status: 404},
			{name: "complete missing", c: o, method: "POST", path: p + missing + "/complete", status: 404},
			{name: "viewer may not create", c: viewer, method: "POST", path: col, status: 403, body: map[string]any{"title": "V"}},
			{name: "viewer may not complete", c: viewer, method: "POST", path: p + call.ID + "/complete", status: 403},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},

			{name: "delete", c: o, method: "DELETE", path: p + call.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + call.ID, status: 404},
		})
	})
}

func TestNotificationsAPI(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, member := e.owned(), e.user("member")
		var ids []string
		for i, title := range []string{"First", "Second", "Third"} {
			nid := id.New()
			ids = append(ids, nid)
			err := d.WithTx(context.Background(), func(tx *db.Tx) error {
				_, err := notify.Add(context.Background(), tx, notify.Notification{ID: nid, UserID: e.owner.ID,
					Kind: "task.reminder", Title: title, Link: "/tasks"}, "test:"+string(rune('a'+i)))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		col := "/api/v1/notifications"
		run(t, []scenario{
			{name: "list newest first", c: o, method: "GET", path: col + "?limit=2", status: 200, check: func(t *testing.T, r result) {
				var page NotificationPage
				if r.decode(t, &page); len(page.Data) != 2 || page.Data[0].Title != "Third" || page.Unread != 3 || page.NextCursor == "" {
					t.Errorf("page %+v", page)
				}
			}},
			{name: "another user's are not listed", c: member, method: "GET", path: col, status: 200, check: func(t *testing.T, r result) {
				var page NotificationPage
				if r.decode(t, &page); len(page.Data) != 0 || page.Unread != 0 {
					t.Errorf("member sees %+v", page)
				}
			}},
			{name: "another user may not mark it", c: member, method: "POST", path: col + "/" + ids[0] + "/read", status: 404},
			{name: "mark one read", c: o, method: "POST", path: col + "/" + ids[0] + "/read", status: 200, check: func(t *testing.T, r result) {
				var n Notification
				if r.decode(t, &n); !n.Read || n.ReadAt == nil || n.Title != "First" {
					t.Errorf("marked %+v", n)
				}
			}},
			{name: "mark missing", c: o, method: "POST", path: col + "/" + id.New() + "/read", status: 404},
			{name: "bad cursor", c: o, method: "GET", path: col + "?cursor=zzz", status: 404},
			{name: "mark all read", c: o, method: "POST", path: col + "/read-all", status: 200, check: func(t *testing.T, r result) {
				var m MarkedRead
				if r.decode(t, &m); m.Marked != 2 {
					t.Errorf("marked %d, want 2", m.Marked)
				}
			}},
			{name: "none unread left", c: o, method: "GET", path: col, status: 200, check: func(t *testing.T, r result) {
				var page NotificationPage
				if r.decode(t, &page); page.Unread != 0 || len(page.Data) != 3 {
					t.Errorf("page %+v", page)
				}
			}},
			{name: "no session", c: e.anonymous(), method: "GET", path: col, status: 401},
		})
	})
}
