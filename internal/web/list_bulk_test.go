package web_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
)

func (e *listEnv) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.R.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *listEnv) tagged(name string) int {
	return e.count(`SELECT COUNT(*) FROM contact_tags ct JOIN tags t ON t.id = ct.tag_id
		JOIN contacts c ON c.id = ct.contact_id WHERE t.name_lower = $1 AND c.deleted_at IS NULL`, name)
}

func TestListBulkSelection(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		id := e.seats(t)
		// Creating tagged contacts records tagged events of its own; count
		// only what the bulk actions record.
		var mark string
		if err := d.R.QueryRow(`SELECT id FROM events ORDER BY id DESC LIMIT 1`).Scan(&mark); err != nil {
			t.Fatal(err)
		}
		back := "/contacts?sort=name"
		steps := []struct {
			name  string
			form  url.Values
			flash string
		}{
			{"tag two", url.Values{"scope": {"selected"}, "id": {id["Ada"], id["Cy"]}, "action": {"tag"}, "bulk_tag": {"Gold"}},
				"Tagged 2 contacts with “Gold”."},
			{"tag again", url.Values{"scope": {"selected"}, "id": {id["Ada"], id["Bob"], id["Cy"]}, "action": {"tag"}, "bulk_tag": {"gold"}},
				"Tagged 1 contact with “gold”. 2 needed no change."},
			{"untag the page", url.Values{"scope": {"page"}, "id": {id["Ada"]}, "page_id": {id["Ada"], id["Bob"], id["Cy"], id["Dee"]},
				"action": {"untag"}, "bulk_tag": {"GOLD"}}, "Removed the tag “GOLD” from 3 contacts. 1 needed no change."},
			{"change owner", url.Values{"scope": {"selected"}, "id": {id["Bob"]}, "action": {"owner"}, "bulk_owner": {e.olga.ID}},
				"Changed the owner of 1 contact to Olga Owner."},
		}
		for _, s := range steps {
			s.form.Set("back", back)
			e.post("/contacts/bulk", s.form).expect(t, 303, back)
			e.get(back).expect(t, 200, "", s.flash)
		}
		per := map[string]int{}
		rows, _ := d.R.Query(`SELECT subject_id FROM events WHERE kind = 'contact.tagged' AND id > $1`, mark)
		for rows.Next() {
			var s string
			rows.Scan(&s)
			per[s]++
		}
		rows.Close()
		// Tagging twice records one event per contact.
		for _, n := range []string{"Ada", "Bob", "Cy"} {
			if per[id[n]] != 1 {
				t.Errorf("%s has %d tagged events, want 1", n, per[id[n]])
			}
		}
		if e.tagged("gold") != 0 || e.count(`SELECT COUNT(*) FROM contacts WHERE owner_id = $1`, e.olga.ID) != 1 {
			t.Errorf("after the steps: %d gold, %d owned by Olga; want 0 and 1", e.tagged("gold"), e.count(`SELECT COUNT(*) FROM contacts WHERE owner_id = $1`, e.olga.ID))
		}

		// Delete asks first.
		del := url.Values{"scope": {"selected"}, "id": {id["Ada"], id["Dee"]}, "action": {"delete"}, "back": {back}}
		e.post("/contacts/bulk", del).expect(t, 200, "", "Delete 2 contacts?", `name="confirm" value="1"`, `value="`+id["Dee"]+`"`)
		if n := e.count(`SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL`); n != 4 {
			t.Fatalf("%d live contacts before confirming, want 4", n)
		}
		del.Set("confirm", "1")
		e.post("/contacts/bulk", del).expect(t, 303, back)
		r := e.get(back)
		r.expect(t, 200, "", "Deleted 2 contacts.")
		if got := listRowNames(r.body); !listSame(got, "Bob", "Cy") {
			t.Errorf("after delete: %q, want Bob, Cy", got)
		}

		many := make([]string, 201)
		for i := range many {
			many[i] = fmt.Sprintf("0190a0a0-0000-7000-8000-%012d", i)
		}
		bad := []struct {
			name string
			form url.Values
			msg  string
		}{
			{"nothing selected", url.Values{"scope": {"selected"}, "action": {"tag"}, "bulk_tag": {"x"}}, "Select at least one contact"},
			{"no tag", url.Values{"scope": {"selected"}, "id": {id["Bob"]}, "action": {"tag"}, "bulk_tag": {" "}}, "Enter a tag."},
			{"unknown owner", url.Values{"scope": {"selected"}, "id": {id["Bob"]}, "action": {"owner"}, "bulk_owner": {"nobody"}}, "Choose an owner from the list of users."},
			{"unknown action", url.Values{"scope": {"selected"}, "id": {id["Bob"]}, "action": {"explode"}}, "Choose tag, remove tag, change owner or delete."},
			{"too many", url.Values{"scope": {"selected"}, "id": many, "action": {"tag"}, "bulk_tag": {"x"}}, "Select at most 200"},
			{"bad filter", url.Values{"scope": {"all"}, "filter": {"{oops"}, "action": {"tag"}, "bulk_tag": {"x"}}, "The filter could not be read"},
			{"invalid filter", url.Values{"scope": {"all"}, "filter": {listJSON(t, lwhere(lcond("cf.seats", query.GT, "x")))}, "action": {"tag"}, "bulk_tag": {"x"}}, "Enter a number"},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				e.post("/contacts/bulk", c.form).expect(t, 422, "", c.msg, "Back to the list")
			})
		}
		// Only this list is a place to go back to.
		e.post("/contacts/bulk", url.Values{"scope": {"selected"}, "id": {id["Bob"]}, "action": {"tag"}, "bulk_tag": {"x"},
			"back": {"https://evil.example/contacts"}}).expect(t, 303, "/contacts")

		// A viewer gets no checkboxes, and the service refuses anyway.
		viewer, _ := e.signIn("viewer")
		page := viewer.get("/contacts")
		page.expect(t, 200, "", "Bob")
		if strings.Contains(page.body, `name="id"`) || strings.Contains(page.body, `action="/contacts/bulk"`) {
			t.Error("a viewer is offered bulk actions")
		}
		if strings.Contains(page.body, `href="/contacts/new"`) {
			t.Error("a viewer is offered to add a contact")
		}
		viewer.post("/contacts/bulk", url.Values{"scope": {"selected"}, "id": {id["Bob"]}, "action": {"delete"}, "confirm": {"1"}}).expect(t, 403, "")
		viewer.post("/contacts/bulk", url.Values{"scope": {"all"}, "action": {"tag"}, "bulk_tag": {"v"}, "confirm": {"1"}}).expect(t, 403, "")
		if n := e.count(`SELECT COUNT(*) FROM contacts WHERE deleted_at IS NULL`); n != 2 {
			t.Errorf("%d live contacts after a viewer's attempts, want 2", n)
		}
	})
}

var listProgressLink = regexp.MustCompile(`^/bulk/([0-9a-f-]{36})$`)

// Everything a filter matches is changed by a job; the page follows it.
func TestListBulkEverything(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		for i := range 60 {
			e.person(contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("B%02d", i)), Tags: &[]string{"batch"}})
		}
		e.person(contact.Input{FirstName: fixture.Ptr("Outside")})
		form := url.Values{"scope": {"all"}, "filter": {listJSON(t, lwhere(lcond("tag", query.HasTag, "batch")))},
			"action": {"tag"}, "bulk_tag": {"vip"}, "back": {"/contacts"}}
		e.post("/contacts/bulk", form).expect(t, 200, "", "Tag all contacts matching the filter (60 now) with “vip”?", "runs in the background")
		form.Set("confirm", "1")
		r := e.post("/contacts/bulk", form)
		r.expect(t, 303, "")
		m := listProgressLink.FindStringSubmatch(r.header.Get("Location"))
		if m == nil {
			t.Fatalf("bulk start led to %q, want /bulk/<id>", r.header.Get("Location"))
		}
		path := m[0]
		deadline := time.Now().Add(30 * time.Second)
		var frag response
		for {
			frag = e.hx(path)
			frag.expect(t, 200, "", `<progress max="60"`)
			if strings.Contains(frag.body, "60 of 60") && strings.Contains(frag.body, "Back to the list") {
				break
			}
			if !strings.Contains(frag.body, `hx-trigger="every 1s"`) {
				t.Fatalf("a running job's progress does not poll: %s", frag.body)
			}
			if time.Now().After(deadline) {
				t.Fatalf("job not done after 30 s: %s", frag.body)
			}
			time.Sleep(100 * time.Millisecond)
		}
		if strings.Contains(frag.body, "hx-trigger") || strings.Contains(frag.body, "<html") {
			t.Errorf("finished progress still polls or is a whole page: %s", frag.body)
		}
		done := e.get(path)
		done.expect(t, 200, "", "Tagged 60 contacts with “vip”.", `href="/contacts?filter=`)
		if done.header.Get("Refresh") != "" {
			t.Error("a finished job's page still refreshes itself")
		}
		if n := e.tagged("vip"); n != 60 {
			t.Errorf("%d contacts tagged vip, want 60", n)
		}
		// Someone else cannot follow it.
		member, _ := e.signIn("member")
		member.get(path).expect(t, 404, "")
		e.get("/bulk/not-an-id").expect(t, 404, "")

		// A job still running: the fragment polls, the page refreshes itself.
		running := "0190a0a0-0000-7000-8000-00000000bbbb"
		if _, err := d.W.Exec(`INSERT INTO bulk_operations (id, object, action, params, status, total, done, created_by, created_at)
			VALUES ($1, 'company', 'delete', '{"filter":{}}', 'running', 10, 3, $2, $3)`, running, e.olga.ID, db.T(time.Now())); err != nil {
			t.Fatal(err)
		}
		e.hx("/bulk/"+running).expect(t, 200, "", `hx-trigger="every 1s"`, `<progress max="10" value="3"`, "3 of 10")
		if p := e.get("/bulk/" + running); p.header.Get("Refresh") == "" || !strings.Contains(p.body, "Delete 10 companies") {
			t.Errorf("running job page: Refresh %q; body %.300s", p.header.Get("Refresh"), p.body)
		}

		// Companies work the same way.
		if _, err := e.companies.Create(e.ctx, company.Input{Name: fixture.Ptr("Acme")}); err != nil {
			t.Fatal(err)
		}
		r = e.post("/companies/bulk", url.Values{"scope": {"all"}, "action": {"delete"}, "confirm": {"1"}})
		r.expect(t, 303, "")
		for p := r.header.Get("Location"); !strings.Contains(e.hx(p).body, "1 of 1"); {
			if time.Now().After(deadline) {
				t.Fatal("company job not done")
			}
			time.Sleep(100 * time.Millisecond)
		}
		e.get("/companies").expect(t, 200, "", "No companies yet")
	})
}
