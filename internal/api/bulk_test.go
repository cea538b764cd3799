package api

import (
	"fmt"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// bulkOut decodes a bulk answer and checks that there is one result per
// item, in order.
func bulkOut(t *testing.T, r result, n int) ContactBulkOutput {
	t.Helper()
	var out ContactBulkOutput
	r.decode(t, &out)
	if len(out.Results) != n {
		t.Fatalf("%d results for %d items: %s", len(out.Results), n, r.body)
	}
	for i, res := range out.Results {
		if res.Index != i {
			t.Errorf("result %d has index %d", i, res.Index)
		}
	}
	return out
}

// wantStatuses checks each item's status, and that failed items carry a
// problem naming the given field (when not "").
func wantStatuses(t *testing.T, out ContactBulkOutput, want []int, fields ...string) {
	t.Helper()
	for i, res := range out.Results {
		if res.Status != want[i] {
			t.Errorf("item %d: status %d, want %d (problem %+v)", i, res.Status, want[i], res.Problem)
			continue
		}
		if res.Status >= 400 {
			if res.Problem == nil || res.Problem.Status != res.Status || res.Problem.Detail == "" || res.ID != "" {
				t.Errorf("item %d: failed without a matching problem, or with an id: %+v", i, res)
			} else if i < len(fields) && fields[i] != "" && res.Problem.message(fields[i]) == "" {
				t.Errorf("item %d: problem does not name %q: %+v", i, fields[i], res.Problem)
			}
		} else if !id.Valid(res.ID) || res.Problem != nil {
			t.Errorf("item %d: succeeded without an id, or with a problem: %+v", i, res)
		}
	}
}

func TestBulkContacts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, member, viewer := e.owned(), e.user("member"), e.user("viewer")
		p := "/api/v1/contacts/batch"
		ada := e.contact(t, map[string]any{"first_name": "Ada", "emails": []any{map[string]any{"address": "ada@example.com"}}})
		grace := e.contact(t, map[string]any{"first_name": "Grace", "owner_id": e.owner.ID})
		email := func(a string) []any { return []any{map[string]any{"address": a}} }

		t.Run("mixed valid and invalid items", func(t *testing.T) {
			// Items that break the item schema are meant: the request as a
			// whole does not match the document, the answer must.
			r, req := o.send(t, "POST", p, map[string]any{"items": []any{
				map[string]any{"op": "create", "data": map[string]any{"first_name": "Alan", "emails": email("alan@example.com"), "tags": []string{"bulk"}}},
				map[string]any{"op": "create", "data": map[string]any{"first_name": "Bad", "emails": email("bob@")}},
				map[string]any{"op": "update", "id": ada.ID, "data": map[string]any{"job_title": "Analyst"}},
				map[string]any{"op": "create", "data": map[string]any{"first_name": 7}},
				map[string]any{"op": "create", "data": map[string]any{"first_name": "Typo", "frist_name": "x"}},
				map[string]any{"op": "delete", "data": map[string]any{}},
				map[string]any{"op": "update", "data": map[string]any{"first_name": "No id"}},
				map[string]any{"op": "create", "data": map[string]any{"last_name": "Hopper", "birthday": "2999-01-01"}},
				map[string]any{"op": "create", "data": map[string]any{}},
			}})
			checkResponse(t, req, r.expect(t, 200))
			out := bulkOut(t, r, 9)
			wantStatuses(t, out, []int{201, 422, 200, 422, 422, 422, 422, 422, 422},
				"", "emails[0]", "", "first_name", "frist_name", "op", "id", "birthday", "first_name")
			if out.Created != 1 || out.Updated != 1 || out.Failed != 7 {
				t.Errorf("counts %d/%d/%d, want 1 created, 1 updated, 7 failed", out.Created, out.Updated, out.Failed)
			}
			var c Contact
			o.get(t, "/api/v1/contacts/"+out.Results[0].ID).expect(t, 200).decode(t, &c)
			if c.FirstName != "Alan" || len(c.Tags) != 1 || c.Tags[0] != "bulk" || len(c.Emails) != 1 {
				t.Errorf("created contact %+v", c)
			}
			o.get(t, "/api/v1/contacts/"+ada.ID).expect(t, 200).decode(t, &c)
			if c.JobTitle != "Analyst" || c.FirstName != "Ada" {
				t.Errorf("updated contact %+v", c)
			}
		})

		run(t, []scenario{
			{name: "duplicate emails inside the batch and with a stored contact", c: o, method: "POST", path: p, status: 200,
				body: map[string]any{"items": []any{
					map[string]any{"op": "create", "data": map[string]any{"first_name": "One", "emails": email("twin@example.com")}},
					map[string]any{"op": "create", "data": map[string]any{"first_name": "Two", "emails": email("TWIN@example.com")}},
					map[string]any{"op": "create", "data": map[string]any{"first_name": "Three", "emails": email("ada@example.com")}},
					map[string]any{"op": "update", "id": grace.ID, "data": map[string]any{"emails": email("twin@example.com")}},
				}},
				check: func(t *testing.T, r result) {
					out := bulkOut(t, r, 4)
					wantStatuses(t, out, []int{201, 409, 409, 409}, "", "emails[0]", "emails[0]", "emails[0]")
					if n := countRows(t, d, "contacts WHERE first_name IN ('Two', 'Three')"); n != 0 {
						t.Errorf("%d refused contacts were written", n)
					}
				}},
			{name: "an item is all or nothing: a bad custom value leaves the update unwritten", c: o, method: "POST", path: p, status: 200,
				body: map[string]any{"items": []any{
					map[string]any{"op": "update", "id": grace.ID, "data": map[string]any{"job_title": "Admiral", "owner_id": id.New()}},
				}},
				check: func(t *testing.T, r result) {
					wantStatuses(t, bulkOut(t, r, 1), []int{422}, "owner_id")
					var c Contact
					o.get(t, "/api/v1/contacts/"+grace.ID).expect(t, 200).decode(t, &c)
					if c.JobTitle != "" {
						t.Errorf("half an item was written: job title %q", c.JobTitle)
					}
				}},
			{name: "updates of records the caller may not see, or that do not exist, are 404 each", c: member, method: "POST", path: p, status: 200,
				body: map[string]any{"items": []any{
					map[string]any{"op": "update", "id": grace.ID, "data": map[string]any{"job_title": "Spy"}},
					map[string]any{"op": "update", "id": id.New(), "data": map[string]any{"job_title": "Ghost"}},
					map[string]any{"op": "update", "id": "not-an-id", "data": map[string]any{"job_title": "Ghost"}},
					map[string]any{"op": "create", "data": map[string]any{"first_name": "Mine"}},
				}},
				check: func(t *testing.T, r result) {
					wantStatuses(t, bulkOut(t, r, 4), []int{404, 404, 404, 201})
					var c Contact
					o.get(t, "/api/v1/contacts/"+grace.ID).expect(t, 200).decode(t, &c)
					if c.JobTitle == "Spy" {
						t.Error("a member changed a contact they may not see")
					}
				}},
			{name: "a viewer may not create", c: viewer, method: "POST", path: p, status: 403,
				body: map[string]any{"items": []any{map[string]any{"op": "create", "data": map[string]any{"first_name": "No"}}}}},
			{name: "empty list", c: o, method: "POST", path: p, status: 422, fields: []string{"items"},
				body: map[string]any{"items": []any{}}},
			{name: "no list", c: o, method: "POST", path: p, status: 422, fields: []string{"items"},
				body: map[string]any{}},
			{name: "1,001 items", c: o, method: "POST", path: p, status: 422, fields: []string{"items"},
				body: map[string]any{"items": bulkItems(1001, "toomany")},
				check: func(t *testing.T, r result) {
					if p := r.problem(t); p.Detail != "A bulk call takes at most 1000 items; this one has 1001. Split it into several calls." {
						t.Errorf("detail %q", p.Detail)
					}
					if n := countRows(t, d, "contacts WHERE last_name = 'toomany'"); n != 0 {
						t.Errorf("%d contacts of a refused call were written", n)
					}
				}},
			{name: "1,000 items", c: o, method: "POST", path: p, status: 200,
				body: map[string]any{"items": bulkItems(1000, "thousand")},
				check: func(t *testing.T, r result) {
					out := bulkOut(t, r, 1000)
					if out.Created != 1000 || out.Failed != 0 {
						t.Errorf("created %d, failed %d", out.Created, out.Failed)
					}
					if n := countRows(t, d, "contacts WHERE last_name = 'thousand'"); n != 1000 {
						t.Errorf("%d contacts written", n)
					}
				}},
		})
		// Each written item has the event a single call writes.
		if n := countRows(t, d, "events e JOIN contacts c ON c.id = e.contact_id WHERE e.kind = 'contact.created' AND c.last_name = 'thousand'"); n != 1000 {
			t.Errorf("%d created events for 1,000 created contacts", n)
		}
		if n := countRows(t, d, fmt.Sprintf("events WHERE kind = 'contact.updated' AND contact_id = '%s'", ada.ID)); n != 1 {
			t.Errorf("%d updated events for the changed contact", n)
		}
	})
}

// bulkItems makes n create items with distinct emails.
func bulkItems(n int, last string) []any {
	items := make([]any, n)
	for i := range items {
		items[i] = map[string]any{"op": "create", "data": map[string]any{"first_name": fmt.Sprintf("P%d", i), "last_name": last,
			"emails": []any{map[string]any{"address": fmt.Sprintf("%s%d@example.com", last, i)}}}}
	}
	return items
}
