package api

import (
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func TestActivities(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, viewer := e.owned(), e.user("viewer")
		acme := e.company(t, map[string]any{"name": "Acme"})
		ada := e.contact(t, map[string]any{"first_name": "Ada", "company_ids": []string{acme.ID}})
		var note Activity
		o.post(t, "/api/v1/activities", map[string]any{"kind": "note", "contact_id": ada.ID, "body": "Likes tea", "pinned": true}).
			expect(t, 201).decode(t, &note)
		missing, col, p := id.New(), "/api/v1/activities", "/api/v1/activities/"

		run(t, []scenario{
			{name: "log a call", c: o, method: "POST", path: col, status: 201, body: map[string]any{"kind": "call",
				"contact_id": ada.ID, "subject": "Renewal", "outcome": "connected", "duration_seconds": 300,
				"direction": "outbound", "occurred_at": "2024-05-31T14:30:00Z"},
				check: func(t *testing.T, r result) {
					var a Activity
					r.decode(t, &a)
					if r.header.Get("Location") != p+a.ID || a.CompanyID != acme.ID || a.Duration != 300 || a.Author != e.owner.Name {
						t.Errorf("logged %+v", a)
					}
				}},
			{name: "log a meeting on a company", c: o, method: "POST", path: col, status: 201, body: map[string]any{"kind": "meeting",
				"company_id": acme.ID, "subject": "Kick-off", "occurred_at": "2024-06-01T09:00:00+02:00",
				"ends_at": "2024-06-01T10:00:00+02:00", "attendees": []string{"Ada", "Olga"}}},
			{name: "HTML in a note is stored verbatim", c: o, method: "POST", path: col, status: 201,
				body: map[string]any{"kind": "note", "contact_id": ada.ID, "body": script}, check: func(t *testing.T, r result) {
					var a Activity
					if r.decode(t, &a); a.Body != script || strings.Contains(string(r.body), "<script") {
						t.Errorf("body %q; raw %s", a.Body, r.body)
					}
				}},
			{name: "get", c: viewer, method: "GET", path: p + note.ID, status: 200, check: func(t *testing.T, r result) {
				var a Activity
				if r.decode(t, &a); a.Body != "Likes tea" || !a.Pinned || a.Kind != "note" {
					t.Errorf("got %+v", a)
				}
			}},
			{name: "unpin", c: o, method: "PATCH", path: p + note.ID, status: 200, body: map[string]any{"pinned": false},
				check: func(t *testing.T, r result) {
					var a Activity
					if r.decode(t, &a); a.Pinned || a.Body != "Likes tea" {
						t.Errorf("after patch %+v", a)
					}
				}},

			{name: "a 1 MB note", c: o, method: "POST", path: col, status: 422, fields: []string{"body"},
				body: map[string]any{"kind": "note", "contact_id": ada.ID, "body": strings.Repeat("x", 1<<20)}},
			{name: "an empty note", c: o, method: "POST", path: col, status: 422, fields: []string{"body"},
				body: map[string]any{"kind": "note", "contact_id": ada.ID}},
			{name: "no kind and no record", c: o, method: "POST", path: col, status: 422, fields: []string{"kind", "contact_id"},
				body: map[string]any{"body": "x"}},
			{name: "unknown kind", c: o, method: "POST", path: col, status: 422, fields: []string{"kind"},
				body: map[string]any{"kind": "fax", "contact_id": ada.ID}},
			{name: "unknown contact", c: o, method: "POST", path: col, status: 422, fields: []string{"contact_id"},
				body: map[string]any{"kind": "note", "contact_id": missing, "body": "x"}},
			{name: "bad call values", c: o, method: "POST", path: col, status: 422, fields: []string{"outcome", "duration_seconds"},
				body: map[string]any{"kind": "call", "contact_id": ada.ID, "outcome": "great", "duration_seconds": -5}},
			{name: "bad date", c: o, method: "POST", path: col, status: 422, fields: []string{"occurred_at"},
				body: map[string]any{"kind": "note", "contact_id": ada.ID, "body": "x", "occurred_at": "yesterday"}},
			{name: "duration not a whole number", c: o, method: "POST", path: col, status: 422, fields: []string{"duration_seconds"},
				body: `{"kind": "call", "contact_id": "` + ada.ID + `", "duration_seconds": "long"}`},

			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "get malformed id", c: o, method: "GET", path: p + "x", status: 404},
			{name: "patch missing", c: o, method: "PATCH", path: p + missing, status: 404, body: map[string]any{"body": "x"}},
			{name: "viewer may not log", c: viewer, method: "POST", path: col, status: 403, body: map[string]any{"kind": "note", "contact_id": ada.ID, "body": "x"}},
			{name: "no session", c: e.anonymous(), method: "GET", path: p + note.ID, status: 401},

			{name: "delete", c: o, method: "DELETE", path: p + note.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + note.ID, status: 404},
		})
	})
}

func TestTimeline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.owned()
		acme := e.company(t, map[string]any{"name": "Acme"})
		ada := e.contact(t, map[string]any{"first_name": "Ada", "company_ids": []string{acme.ID}})
		for _, body := range []string{"first", "second", "third"} {
			o.post(t, "/api/v1/activities", map[string]any{"kind": "note", "contact_id": ada.ID, "body": body}).expect(t, 201)
		}
		o.patch(t, "/api/v1/contacts/"+ada.ID, map[string]any{"job_title": "Analyst"}).expect(t, 200)
		cp, mp := "/api/v1/contacts/"+ada.ID+"/timeline", "/api/v1/companies/"+acme.ID+"/timeline"

		kinds := func(r result) (out []string) {
			var page TimelinePage
			r.decode(t, &page)
			for _, x := range page.Data {
				k := string(x.Kind)
				switch {
				case x.Activity != nil:
					k += ":" + x.Activity.Body
				case x.Event != nil:
					k += ":" + x.Event.Type
				}
				out = append(out, k)
			}
			return out
		}
		want := func(w ...string) func(*testing.T, result) {
			return func(t *testing.T, r result) {
				if got := kinds(r); strings.Join(got, ",") != strings.Join(w, ",") {
					t.Errorf("got %v, want %v", got, w)
				}
			}
		}
		run(t, []scenario{
			{name: "newest first", c: o, method: "GET", path: cp, status: 200,
				check: want("system:contact.updated", "note:third", "note:second", "note:first", "system:contact.created")},
			{name: "notes only", c: o, method: "GET", path: cp + "?kind=note", status: 200, check: want("note:third", "note:second", "note:first")},
			{name: "several kinds", c: o, method: "GET", path: cp + "?kind=system&kind=call", status: 200,
				check: want("system:contact.updated", "system:contact.created")},
			{name: "the company sees its contact's notes", c: o, method: "GET", path: mp + "?kind=note", status: 200,
				check: want("note:third", "note:second", "note:first")},
			{name: "unknown kind", c: o, method: "GET", path: cp + "?kind=fax", status: 422, fields: []string{"kind"}},
			{name: "broken cursor", c: o, method: "GET", path: cp + "?cursor=nope", status: 422, fields: []string{"cursor"}},
			{name: "limit too big", c: o, method: "GET", path: cp + "?limit=500", status: 422, fields: []string{"limit"}},
			{name: "missing contact", c: o, method: "GET", path: "/api/v1/contacts/" + id.New() + "/timeline", status: 404},
			{name: "malformed company id", c: o, method: "GET", path: "/api/v1/companies/acme/timeline", status: 404},
			{name: "no session", c: e.anonymous(), method: "GET", path: cp, status: 401},
		})

		// Page through with limit=2: every entry once, in order.
		var all []string
		path := cp + "?limit=2"
		for pages := 0; path != ""; pages++ {
			if pages > 5 {
				t.Fatal("timeline never ends")
			}
			r := o.get(t, path).expect(t, 200)
			all = append(all, kinds(r)...)
			var page TimelinePage
			r.decode(t, &page)
			path = ""
			if page.NextCursor != "" {
				path = cp + "?limit=2&cursor=" + page.NextCursor
			}
		}
		if len(all) != 5 || all[0] != "system:contact.updated" || all[4] != "system:contact.created" {
			t.Errorf("paged timeline %v", all)
		}
	})
}
