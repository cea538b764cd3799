package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/notify"
)

var taskIDPattern = regexp.MustCompile(`id="task-([0-9a-f-]{36})"`)

func TestTaskPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/tasks").expect(t, 200, "", "My tasks", "Nothing to do", `id="quick-title"`, `hx-get="/notifications/bell"`)

		// Bad input: the messages stand beside the fields and the input is kept.
		r := s.post("/tasks", url.Values{"quick": {"1"}, "title": {""}, "due_date": {"31.12.2026"}})
		r.expect(t, 422, "", "The task was not added", `id="quick-title-error"`, `id="quick-due-error"`, `value="31.12.2026"`)
		r = s.post("/tasks", url.Values{"title": {"Yearly call"}, "due_date": {"2026-03-01"}, "frequency": {"yearly"},
			"until": {"2026-12-31"}, "interval": {"1"}, "notes": {"keep me"}})
		r.expect(t, 422, "", "Nothing was saved", `id="task-until-error"`, "keep me", `value="Yearly call"`)
		var n int
		d.R.QueryRowContext(context.Background(), `SELECT COUNT(*) FROM tasks`).Scan(&n)
		if n != 0 {
			t.Fatalf("bad input saved %d tasks", n)
		}

		board := s.get("/tasks")
		today := regexp.MustCompile(`data-today="([0-9-]{10})"`).FindStringSubmatch(board.body)
		if today == nil {
			t.Fatalf("board has no date: %.500s", board.body)
		}
		s.post("/tasks", url.Values{"quick": {"1"}, "title": {"Call <Ada>"}, "due_date": {today[1]}}).expect(t, 303, "/tasks")
		s.post("/tasks", url.Values{"quick": {"1"}, "title": {"Old promise"}, "due_date": {"2020-01-01"}}).expect(t, 303, "/tasks")
		board = s.get("/tasks")
		board.expect(t, 200, "", "Added the task", "Overdue", "Today", "Call &lt;Ada&gt;")
		if strings.Contains(board.body, "Call <Ada>") {
			t.Error("a task title rendered as HTML")
		}
		if strings.Index(board.body, "Old promise") > strings.Index(board.body, "Call &lt;Ada&gt;") {
			t.Error("overdue is not listed before today")
		}
		ids := taskIDPattern.FindAllStringSubmatch(board.body, -1)
		if len(ids) != 2 {
			t.Fatalf("%d tasks on the board, want 2", len(ids))
		}
		// Completing from the board (htmx) answers with the board only.
		frag := s.do(s.client, "POST", "/tasks/"+ids[1][1]+"/complete", url.Values{}, map[string]string{"HX-Request": "true", "HX-Target": "task-board"})
		frag.expect(t, 200, "", `id="task-board"`, "Done recently", "Completed “Call &lt;Ada&gt;”")
		if strings.Contains(frag.body, "<html") {
			t.Error("htmx completion answered with the whole page")
		}
		// The plain form works without JavaScript too.
		s.post("/tasks/"+ids[1][1]+"/reopen", url.Values{}).expect(t, 303, "/tasks")
		s.get("/tasks/"+ids[1][1]).expect(t, 200, "", `name="version" value="3"`, "Mark done")
		// A stale edit is refused and said so.
		s.post("/tasks/"+ids[1][1], url.Values{"title": {"Renamed"}, "version": {"1"}}).expect(t, 422, "", "Someone else changed this task")
		s.post("/tasks/"+ids[1][1], url.Values{"title": {"Renamed"}, "version": {"3"}, "priority": {"high"}}).expect(t, 303, "/tasks")
		s.get("/tasks").expect(t, 200, "", "Renamed", "High")
		s.post("/tasks/"+ids[0][1]+"/delete", url.Values{}).expect(t, 303, "/tasks")
		if b := s.get("/tasks").body; !strings.Contains(b, "Deleted the task “Old promise”") || strings.Contains(b, `id="task-`+ids[0][1]) {
			t.Error("deleted task still on the board")
		}

		// The bell and the notifications page.
		var userID string
		d.R.QueryRowContext(context.Background(), `SELECT id FROM users`).Scan(&userID)
		d.WithTx(context.Background(), func(tx *db.Tx) error {
			_, err := notify.Add(context.Background(), tx, notify.Notification{UserID: userID, Kind: "task.reminder",
				Title: "Renamed", Link: "/tasks/" + ids[1][1]}, "k1")
			return err
		})
		s.get("/notifications/bell").expect(t, 200, "", "data-bell-count>1<", `hx-trigger="every 30s"`)
		page := s.get("/notifications")
		page.expect(t, 200, "", "1 unread", "Mark all read", "Renamed")
		s.post("/notifications/read-all", url.Values{}).expect(t, 303, "/notifications")
		if b := s.get("/notifications/bell").body; strings.Contains(b, "data-bell-count") {
			t.Errorf("bell still counts after mark all read: %s", b)
		}
		s.get("/tasks/not-an-id").expect(t, 404, "")

		// The browser's time zone becomes the user's; an unknown one is said so.
		s.post("/tasks/timezone", url.Values{"time_zone": {"Pacific/Kiritimati"}}).expect(t, 303, "/tasks")
		s.get("/tasks").expect(t, 200, "", `data-zone="Pacific/Kiritimati"`)
		s.post("/tasks/timezone", url.Values{"time_zone": {"Mars/Base"}}).expect(t, 303, "/tasks")
		s.get("/tasks").expect(t, 200, "", "does not know your browser&#39;s time zone", `data-zone="Pacific/Kiritimati"`)
		s.post("/tasks/timezone", url.Values{"time_zone": {"UTC"}}).expect(t, 303, "/tasks")

		// A task linked to a contact is on the contact's timeline.
		c := s.post("/contacts", url.Values{"first_name": {"Ada"}, "last_name": {"Lovelace"}})
		contactID := strings.TrimPrefix(c.header.Get("Location"), "/contacts/")
		if len(contactID) != 36 {
			t.Fatalf("contact not created: %d %s", c.status, c.header.Get("Location"))
		}
		// The form opened from the contact's tasks panel names the contact.
		s.get("/tasks/new?contact_id="+contactID+"&return=/contacts/"+contactID).expect(t, 200, "", `value="`+contactID+`"`,
			`<p class="hint" id="task-contact-hint" data-link-name="contact">Ada Lovelace</p>`)
		s.post("/tasks", url.Values{"title": {"Birthday call"}, "due_date": {"2026-12-10"}, "contact_id": {contactID},
			"frequency": {"yearly"}, "return": {"/contacts/" + contactID}}).expect(t, 303, "/contacts/"+contactID)
		s.get("/contacts/"+contactID).expect(t, 200, "", "added the task “Birthday call”, due 2026-12-10",
			`hx-get="/tasks/of/contact/`+contactID+`"`)
		s.do(s.client, "GET", "/tasks/of/contact/"+contactID, nil, map[string]string{"HX-Request": "true"}).
			expect(t, 200, "", "Birthday call", "(1 open)", "Due 2026-12-10", `name="return" value="/contacts/`+contactID+`"`,
				`<a href="/tasks/new?contact_id=`+contactID+`&amp;return=%2Fcontacts%2F`+contactID+`">Add a task</a>`)
		s.do(s.client, "GET", "/tasks/of/order/"+contactID, nil, map[string]string{"HX-Request": "true"}).expect(t, 404, "")
		// A deal's tasks panel is there for deals only.
		s.do(s.client, "GET", "/tasks/of/deal/"+contactID, nil, map[string]string{"HX-Request": "true"}).expect(t, 404, "")
	})
}
