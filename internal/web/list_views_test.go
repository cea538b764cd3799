package web_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/query"
)

func listJSON(t *testing.T, f query.Group) string {
	t.Helper()
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// listViewID returns the view id in a list address.
func listViewID(t *testing.T, location string) string {
	t.Helper()
	u, err := url.Parse(location)
	if err != nil || u.Query().Get("view") == "" {
		t.Fatalf("no view in %q", location)
	}
	return u.Query().Get("view")
}

func TestListSavedViews(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.seats(t)
		vip := listJSON(t, lwhere(lcond("tag", query.HasTag, "vip")))
		form := url.Values{"object": {"contact"}, "view_name": {"VIPs"}, "filter": {vip}, "sort": {"-cf.seats"}, "cols": {"name,cf.seats"}}

		r := e.post("/views", form)
		r.expect(t, 303, "")
		loc := r.header.Get("Location")
		id := listViewID(t, loc)
		if !strings.HasPrefix(loc, "/contacts?cols=name%2Ccf.seats&filter=") || !strings.Contains(loc, "sort=-cf.seats") {
			t.Errorf("saved view leads to %q", loc)
		}
		page := e.get(loc)
		page.expect(t, 200, "", "Saved the view “VIPs”.", `aria-current="true">VIPs</a>`, "Update this view", "Delete this view")
		if got := listRowNames(page.body); !listSame(got, "Ada", "Bob") {
			t.Errorf("view rows %q, want Ada, Bob", got)
		}
		// Opening a view by its id leads to its whole state.
		e.get("/contacts?view="+id).expect(t, 303, loc)
		e.get("/companies?view="+id).expect(t, 404, "")
		e.get("/contacts?view=0190a0a0-0000-7000-8000-000000000000").expect(t, 404, "")

		// Rename and update it: a new sort, shared now.
		upd := url.Values{"object": {"contact"}, "view_id": {id}, "view_name": {"Very important"}, "filter": {vip},
			"sort": {"name"}, "cols": {"name,email"}, "shared": {"1"}}
		r = e.post("/views", upd)
		r.expect(t, 303, "")
		if listViewID(t, r.header.Get("Location")) != id {
			t.Errorf("update made a new view: %q", r.header.Get("Location"))
		}
		e.get(r.header.Get("Location")).expect(t, 200, "", "Updated the view “Very important”.", "shared", `data-label="Email"`)

		bad := []struct {
			name string
			form url.Values
			msg  string
		}{
			{"no name", url.Values{"object": {"contact"}, "view_name": {"  "}}, "Give the view a name."},
			{"bad filter", url.Values{"object": {"contact"}, "view_name": {"Broken"}, "filter": {listJSON(t, lwhere(lcond("cf.seats", query.GT, "many")))}}, "Enter a number"},
			{"unknown field", url.Values{"object": {"contact"}, "view_name": {"Broken"}, "filter": {listJSON(t, lwhere(lcond("shoe", query.Is, "9")))}}, "There is no field"},
		}
		for _, c := range bad {
			t.Run(c.name, func(t *testing.T) {
				e.post("/views", c.form).expect(t, 422, "", c.msg, "The view was not saved.")
			})
		}

		// Another user sees shared views, not private ones, and cannot
		// change or delete someone else's.
		r = e.post("/views", url.Values{"object": {"contact"}, "view_name": {"Olga only"}, "sort": {"name"}})
		private := listViewID(t, r.header.Get("Location"))
		member, _ := e.signIn("member")
		list := member.get("/contacts")
		list.expect(t, 200, "", "Very important", "by someone else")
		if strings.Contains(list.body, "Olga only") {
			t.Error("another user's private view is listed")
		}
		member.get("/contacts?view="+private).expect(t, 404, "")
		member.get("/contacts?view="+id).expect(t, 303, "")
		member.post("/views/"+private+"/delete", nil).expect(t, 404, "")
		member.post("/views/"+id+"/delete", nil).expect(t, 404, "")
		member.post("/views", url.Values{"object": {"contact"}, "view_id": {id}, "view_name": {"Mine now"}}).expect(t, 404, "")
		e.get("/contacts?view="+id).expect(t, 303, "")

		// The owner deletes it.
		e.post("/views/"+id+"/delete", nil).expect(t, 303, "/contacts")
		e.get("/contacts").expect(t, 200, "", "Deleted the view “Very important”.")
		e.get("/contacts?view="+id).expect(t, 404, "")
		e.post("/views/"+id+"/delete", nil).expect(t, 404, "")
	})
}
