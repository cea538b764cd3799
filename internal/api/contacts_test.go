package api

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

// scenario is one request and what must come back.
type scenario struct {
	name   string
	c      *client
	method string
	path   string
	body   any
	status int
	fields []string // fields the problem must name
	check  func(t *testing.T, r result)
}

func run(t *testing.T, cases []scenario) {
	t.Helper()
	for _, sc := range cases {
		t.Run(sc.name, func(t *testing.T) {
			r := sc.c.do(t, sc.method, sc.path, sc.body).expect(t, sc.status, sc.fields...)
			if sc.check != nil {
				sc.check(t, r)
			}
		})
	}
}

// defineFields adds the custom fields the scenarios use to object.
func (e *env) defineFields(object string) {
	e.t.Helper()
	for _, f := range []customfield.Field{
		{Key: "plan", Label: "Plan", Type: customfield.Select, Options: []string{"free", "pro", "team"}, Filterable: true},
		{Key: "seats", Label: "Seats", Type: customfield.Number},
		{Key: "site", Label: "Site", Type: customfield.URL},
		{Key: "renewal", Label: "Renewal", Type: customfield.Date},
	} {
		f.Object = object
		if _, err := e.fields.Create(e.ctx, f); err != nil {
			e.t.Fatalf("define %s: %v", f.Key, err)
		}
	}
}

func (e *env) contact(t *testing.T, body map[string]any) Contact {
	t.Helper()
	var c Contact
	e.owned().post(t, "/api/v1/contacts", body).expect(t, 201).decode(t, &c)
	return c
}

const script = `<script>alert("x")</script> & <b>bold</b>`

func TestContacts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.defineFields("contact")
		o, viewer := e.owned(), e.user("viewer")
		ada := e.contact(t, map[string]any{"first_name": "Ada", "last_name": "Lovelace",
			"emails":          []any{map[string]any{"address": "Ada@Example.com", "label": "work"}},
			"lifecycle_stage": "customer", "tags": []string{"vip"}, "custom": map[string]any{"plan": "pro"}})
		bob := e.contact(t, map[string]any{"first_name": "Bob", "emails": []any{map[string]any{"address": "bob@example.com"}}})
		missing, col, p := id.New(), "/api/v1/contacts", "/api/v1/contacts/"

		var created Contact
		run(t, []scenario{
			{name: "create", c: o, method: "POST", path: col, status: 201, body: map[string]any{
				"first_name": "Grace", "last_name": "Hopper", "job_title": "Rear Admiral",
				"emails":  []any{map[string]any{"address": "grace@navy.example"}},
				"phones":  []any{map[string]any{"number": "+44 20 7946 0958", "label": "office"}},
				"address": map[string]any{"city": "Arlington", "country": "USA"}, "birthday": "1906-12-09",
				"lifecycle_stage": "opportunity", "owner_id": e.owner.ID, "tags": []string{"navy"},
				"custom": map[string]any{"plan": "team", "seats": 12, "site": "navy.example", "renewal": "2030-01-31"}},
				check: func(t *testing.T, r result) {
					r.decode(t, &created)
					if loc := r.header.Get("Location"); loc != p+created.ID {
						t.Errorf("Location %q, want %q", loc, p+created.ID)
					}
					if created.DisplayName != "Grace Hopper" || created.Phones[0].E164 != "+442079460958" ||
						created.Custom["site"] != "https://navy.example" || created.Custom["seats"] != 12.0 ||
						created.OwnerName != e.owner.Name || created.Address.City != "Arlington" {
						t.Errorf("created %+v", created)
					}
				}},
			{name: "get", c: viewer, method: "GET", path: p + ada.ID, status: 200, check: func(t *testing.T, r result) {
				var c Contact
				r.decode(t, &c)
				if c.Emails[0].Address != "Ada@Example.com" || c.Stage != "customer" || c.Tags[0] != "vip" {
					t.Errorf("got %+v", c)
				}
			}},
			{name: "patch changes only what is sent", c: o, method: "PATCH", path: p + ada.ID, status: 200,
				body: map[string]any{"job_title": "Analyst", "custom": map[string]any{"seats": "3"}},
				check: func(t *testing.T, r result) {
					var c Contact
					r.decode(t, &c)
					if c.JobTitle != "Analyst" || c.FirstName != "Ada" || len(c.Emails) != 1 ||
						c.Custom["plan"] != "pro" || c.Custom["seats"] != 3.0 || c.Tags[0] != "vip" {
						t.Errorf("after patch %+v", c)
					}
				}},
			{name: "patch clears a custom value", c: o, method: "PATCH", path: p + ada.ID, status: 200,
				body: map[string]any{"custom": map[string]any{"seats": nil}}, check: func(t *testing.T, r result) {
					var c Contact
					if r.decode(t, &c); c.Custom["seats"] != nil || c.Custom["plan"] != "pro" {
						t.Errorf("custom after clearing seats: %v", c.Custom)
					}
				}},
			{name: "HTML is stored verbatim and sent as an inert JSON string", c: o, method: "POST", path: col, status: 201,
				body: map[string]any{"first_name": script, "job_title": script, "address": map[string]any{"street": script}},
				check: func(t *testing.T, r result) {
					var c Contact
					r.decode(t, &c)
					if c.FirstName != script || c.JobTitle != script || c.Address.Street != script {
						t.Errorf("text changed: %q / %q / %q", c.FirstName, c.JobTitle, c.Address.Street)
					}
					if strings.Contains(string(r.body), "<script>") || r.header.Get("Content-Type") != "application/json" {
						t.Errorf("markup sent raw (%s): %s", r.header.Get("Content-Type"), r.body)
					}
				}},

			// Invalid: 422 naming each field; nothing saved.
			{name: "invalid email", c: o, method: "POST", path: col, status: 422, fields: []string{"emails[1]"},
				body: map[string]any{"first_name": "X", "emails": []any{map[string]any{"address": "x@example.com"}, map[string]any{"address": "bob@"}}}},
			{name: "invalid phone", c: o, method: "POST", path: col, status: 422, fields: []string{"phones[0]"},
				body: map[string]any{"first_name": "X", "phones": []any{map[string]any{"number": "call me maybe"}}}},
			{name: "invalid URL", c: o, method: "POST", path: col, status: 422, fields: []string{"custom.site"},
				body: map[string]any{"first_name": "X", "custom": map[string]any{"site": "ftp://nowhere"}}},
			{name: "invalid date", c: o, method: "POST", path: col, status: 422, fields: []string{"birthday", "custom.renewal"},
				body: map[string]any{"first_name": "X", "birthday": "1990-02-30", "custom": map[string]any{"renewal": "soon"}}},
			{name: "invalid number", c: o, method: "POST", path: col, status: 422, fields: []string{"custom.seats"},
				body: map[string]any{"first_name": "X", "custom": map[string]any{"seats": "a dozen"}}},
			{name: "invalid select option", c: o, method: "POST", path: col, status: 422, fields: []string{"custom.plan"},
				body: map[string]any{"first_name": "X", "custom": map[string]any{"plan": "gold"}}},
			// The schema is checked before the service runs.
			{name: "invalid enum", c: o, method: "POST", path: col, status: 422, fields: []string{"lifecycle_stage", "phones[0].label"},
				body: map[string]any{"first_name": "X", "lifecycle_stage": "boss", "phones": []any{map[string]any{"number": "1", "label": 7}}}},
			{name: "unknown custom field", c: o, method: "POST", path: col, status: 422, fields: []string{"custom.colour"},
				body: map[string]any{"first_name": "X", "custom": map[string]any{"colour": "red"}}},
			{name: "every bad field at once", c: o, method: "PATCH", path: p + bob.ID, status: 422,
				fields: []string{"emails[0]", "custom.plan", "custom.seats", "owner_id"},
				body:   map[string]any{"emails": []any{map[string]any{"address": "nope"}}, "owner_id": missing, "custom": map[string]any{"plan": "gold", "seats": "x"}}},
			{name: "no name", c: o, method: "POST", path: col, status: 422, fields: []string{"first_name"}, body: map[string]any{"job_title": "CEO"}},
			{name: "unknown property", c: o, method: "POST", path: col, status: 422, fields: []string{"emali", "address.town"},
				body: map[string]any{"first_name": "X", "emali": "x@example.com", "address": map[string]any{"town": "Leeds"}},
				check: func(t *testing.T, r result) {
					if msg := r.problem(t).message("emali"); !strings.Contains(msg, `"emali"`) {
						t.Errorf("message %q does not name the property", msg)
					}
				}},
			{name: "wrong JSON types", c: o, method: "POST", path: col, status: 422, fields: []string{"first_name", "tags", "emails[0].address"},
				body: `{"first_name": 5, "tags": "vip", "emails": [{"address": true}]}`},
			{name: "unknown company", c: o, method: "POST", path: col, status: 422, fields: []string{"company_ids[0]"},
				body: map[string]any{"first_name": "X", "company_ids": []string{missing}}},
			{name: "bad JSON", c: o, method: "POST", path: col, status: 400, fields: []string{"body"}, body: `{"first_name": "X",`},
			{name: "empty body", c: o, method: "POST", path: col, status: 400, body: ``},

			// Conflicts: 409 with the same errors list.
			{name: "duplicate primary email", c: o, method: "POST", path: col, status: 409, fields: []string{"emails[0]"},
				body: map[string]any{"first_name": "Ada", "emails": []any{map[string]any{"address": "ADA@example.COM"}}},
				check: func(t *testing.T, r result) {
					if typ := r.problem(t).Type; typ != TypeConflict {
						t.Errorf("type %q, want %q", typ, TypeConflict)
					}
				}},
			{name: "patch to a taken email", c: o, method: "PATCH", path: p + bob.ID, status: 409, fields: []string{"emails[1]"},
				body: map[string]any{"emails": []any{map[string]any{"address": "bob@example.com"}, map[string]any{"address": "ada@example.com"}}}},

			// Not found: a random id and a malformed one.
			{name: "get missing", c: o, method: "GET", path: p + missing, status: 404},
			{name: "get malformed id", c: o, method: "GET", path: p + "not-an-id", status: 404},
			{name: "patch missing", c: o, method: "PATCH", path: p + missing, status: 404, body: map[string]any{"first_name": "X"}},
			{name: "delete malformed id", c: o, method: "DELETE", path: p + "42", status: 404},
			{name: "merge into missing", c: o, method: "POST", path: p + missing + "/merge", status: 404, body: map[string]any{"merged_ids": []string{bob.ID}}},

			// Who may do what.
			{name: "viewer may not create", c: viewer, method: "POST", path: col, status: 403, body: map[string]any{"first_name": "V"}},
			{name: "viewer may not change", c: viewer, method: "PATCH", path: p + ada.ID, status: 403, body: map[string]any{"first_name": "V"}},
			{name: "viewer may not delete", c: viewer, method: "DELETE", path: p + ada.ID, status: 403},
			{name: "viewer may list", c: viewer, method: "GET", path: col, status: 200},
			{name: "no session: list", c: e.anonymous(), method: "GET", path: col, status: 401},
			{name: "no session: create", c: e.anonymous(), method: "POST", path: col, status: 401, body: map[string]any{"first_name": "A"}},
			{name: "no session: get", c: e.anonymous(), method: "GET", path: p + ada.ID, status: 401},

			{name: "delete", c: o, method: "DELETE", path: p + bob.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: p + bob.ID, status: 404},
			{name: "a deleted contact's email is free", c: o, method: "POST", path: col, status: 201,
				body: map[string]any{"first_name": "Bobby", "emails": []any{map[string]any{"address": "bob@example.com"}}}},
		})
		// Ada, Grace, the HTML one and Bobby: no invalid request saved anything.
		if n := countContacts(t, e); n != 4 {
			t.Errorf("%d contacts after the scenarios, want 4", n)
		}
	})
}

// countContacts counts live contacts through the API.
func countContacts(t *testing.T, e *env) int {
	t.Helper()
	var page ContactPage
	e.owned().get(t, "/api/v1/contacts?limit=200").expect(t, 200).decode(t, &page)
	return len(page.Data)
}

func TestContactList(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		e.defineFields("contact")
		o := e.owned()
		e.contact(t, map[string]any{"first_name": "Ada", "lifecycle_stage": "customer", "tags": []string{"vip"}, "custom": map[string]any{"plan": "pro"}})
		e.contact(t, map[string]any{"first_name": "Bea", "lifecycle_stage": "customer", "custom": map[string]any{"plan": "free"}})
		e.contact(t, map[string]any{"first_name": "Cy", "lifecycle_stage": "lead", "tags": []string{"vip"}})
		names := func(want ...string) func(*testing.T, result) {
			return func(t *testing.T, r result) {
				var page ContactPage
				r.decode(t, &page)
				var got []string
				for _, x := range page.Data {
					got = append(got, x.FirstName)
				}
				if strings.Join(got, ",") != strings.Join(want, ",") {
					t.Errorf("got %v, want %v", got, want)
				}
			}
		}
		p := "/api/v1/contacts?"
		filter := func(f string) string { return p + url.Values{"filter": {f}, "sort": {"name"}}.Encode() }
		run(t, []scenario{
			{name: "all, newest change first", c: o, method: "GET", path: p, status: 200, check: names("Cy", "Bea", "Ada")},
			{name: "sorted by name", c: o, method: "GET", path: p + "sort=name", status: 200, check: names("Ada", "Bea", "Cy")},
			{name: "shorthand", c: o, method: "GET", path: p + "sort=name&lifecycle_stage=customer", status: 200, check: names("Ada", "Bea")},
			{name: "shorthands combine", c: o, method: "GET", path: p + "sort=name&lifecycle_stage=customer&tag=vip", status: 200, check: names("Ada")},
			{name: "custom field shorthand", c: o, method: "GET", path: p + "cf.plan=free", status: 200, check: names("Bea")},
			{name: "repeated shorthand means any", c: o, method: "GET", path: p + "sort=name&cf.plan=free&cf.plan=pro", status: 200, check: names("Ada", "Bea")},
			{name: "JSON filter", c: o, method: "GET", status: 200, check: names("Ada", "Cy"),
				path: filter(`{"match":"any","conditions":[{"field":"cf.plan","op":"is","value":"pro"},{"field":"lifecycle_stage","op":"is","value":"lead"}]}`)},
			{name: "filter and shorthand", c: o, method: "GET", status: 200, check: names("Cy"),
				path: filter(`{"conditions":[{"field":"tag","op":"has_tag","value":"vip"}]}`) + "&lifecycle_stage=lead"},

			{name: "filter on a missing field", c: o, method: "GET", status: 422, fields: []string{"filter.conditions[0].field"},
				path: filter(`{"conditions":[{"field":"colour","op":"is","value":"red"}]}`)},
			{name: "any-filter errors keep their path", c: o, method: "GET", status: 422, fields: []string{"filter.conditions[0].op"},
				path: filter(`{"match":"any","conditions":[{"field":"name","op":"gt","value":"x"}]}`) + "&tag=vip"},
			{name: "shorthand on a missing field", c: o, method: "GET", path: p + "colour=red", status: 422, fields: []string{"colour"}},
			{name: "bad shorthand value", c: o, method: "GET", path: p + "lifecycle_stage=boss", status: 422, fields: []string{"lifecycle_stage"}},
			{name: "filter is not JSON", c: o, method: "GET", path: p + "filter=%7Bnope", status: 422, fields: []string{"filter"}},
			{name: "sort on a missing field", c: o, method: "GET", path: p + "sort=-colour", status: 422, fields: []string{"sort"}},
			{name: "limit too big", c: o, method: "GET", path: p + "limit=201", status: 422, fields: []string{"limit"}},
			{name: "limit not a number", c: o, method: "GET", path: p + "limit=ten", status: 422, fields: []string{"limit"}},
			{name: "broken cursor", c: o, method: "GET", path: p + "cursor=garbage", status: 422, fields: []string{"cursor"}},
		})
	})
}

func TestContactMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o := e.owned()
		ada := e.contact(t, map[string]any{"first_name": "Ada", "emails": []any{map[string]any{"address": "ada@example.com"}}})
		dup := e.contact(t, map[string]any{"first_name": "Augusta", "last_name": "King", "job_title": "Countess",
			"emails": []any{map[string]any{"address": "augusta@example.com"}}})
		p := "/api/v1/contacts/" + ada.ID + "/merge"
		run(t, []scenario{
			{name: "nothing to merge", c: o, method: "POST", path: p, status: 422, fields: []string{"merged_ids"}, body: map[string]any{"merged_ids": []string{}}},
			{name: "merged contact missing", c: o, method: "POST", path: p, status: 422, fields: []string{"merged_ids[1]"},
				body: map[string]any{"merged_ids": []string{dup.ID, id.New()}}},
			{name: "choice of a stranger", c: o, method: "POST", path: p, status: 422, fields: []string{"choices.first_name"},
				body: map[string]any{"merged_ids": []string{dup.ID}, "choices": map[string]string{"first_name": id.New()}}},
			{name: "viewer may not merge", c: e.user("viewer"), method: "POST", path: p, status: 403, body: map[string]any{"merged_ids": []string{dup.ID}}},
			{name: "merge", c: o, method: "POST", path: p, status: 200,
				body: map[string]any{"merged_ids": []string{dup.ID}, "choices": map[string]string{"last_name": dup.ID}},
				check: func(t *testing.T, r result) {
					var c Contact
					r.decode(t, &c)
					if c.ID != ada.ID || c.DisplayName != "Ada King" || c.JobTitle != "Countess" || len(c.Emails) != 2 {
						t.Errorf("merged %+v", c)
					}
				}},
			{name: "the merged contact is gone", c: o, method: "GET", path: "/api/v1/contacts/" + dup.ID, status: 404},
		})
	})
}
