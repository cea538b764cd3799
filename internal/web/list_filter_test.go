package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
)

// seats makes the custom number field "Seats" and contacts with its values.
func (e *listEnv) seats(t *testing.T) map[string]string {
	t.Helper()
	if _, err := e.fields.Create(e.ctx, customfield.Field{Object: "contact", Label: "Seats", Key: "seats",
		Type: customfield.Number, Filterable: true}); err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for _, p := range []struct {
		name, stage, email, birthday string
		seats                        any
		tags                         []string
	}{
		{"Ada", "customer", "ada@example.com", "1990-03-01", 20, []string{"vip"}},
		{"Bob", "lead", "", "", 5, []string{"vip", "old"}},
		{"Cy", "lead", "cy@example.org", "2001-12-24", 1, nil},
		{"Dee", "opportunity", "dee@example.com", "", nil, []string{"old"}},
	} {
		in := contact.Input{FirstName: fixture.Ptr(p.name), Stage: fixture.Ptr(p.stage), Tags: &p.tags,
			Birthday: fixture.Ptr(p.birthday), Custom: map[string]any{"seats": p.seats}}
		if p.email != "" {
			in.Emails = &[]contact.Email{{Address: p.email}}
		}
		ids[p.name] = e.person(in).ID
	}
	return ids
}

func TestListSortByCustomField(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.seats(t)
		r := e.get("/contacts?cols=name%2Ccf.seats&sort=cf.seats")
		r.expect(t, 200, "", `aria-sort="ascending"><a href="/contacts?cols=name%2Ccf.seats&amp;sort=-cf.seats"`, `data-label="Seats">20</td>`)
		if got := listRowNames(r.body); !listSame(got, "Cy", "Bob", "Ada", "Dee") {
			t.Errorf("ascending by seats: %q, want Cy, Bob, Ada, then Dee without seats", got)
		}
		r = e.get("/contacts?cols=name%2Ccf.seats&sort=-cf.seats")
		r.expect(t, 200, "", `aria-sort="descending"`)
		if got := listRowNames(r.body); !listSame(got, "Ada", "Bob", "Cy", "Dee") {
			t.Errorf("descending by seats: %q, want Ada, Bob, Cy, then Dee", got)
		}
		if got := listRowNames(e.get("/contacts?sort=name").body); !listSame(got, "Ada", "Bob", "Cy", "Dee") {
			t.Errorf("by name: %q", got)
		}
	})
}

func TestListFilterThroughURL(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.seats(t)
		cases := []struct {
			name string
			f    query.Group
			want []string
		}{
			{"text contains", lwhere(lcond("email", query.Contains, "EXAMPLE.COM")), []string{"Ada", "Dee"}},
			{"text starts with", lwhere(lcond("name", query.StartsWith, "d")), []string{"Dee"}},
			{"text is not", lwhere(lcond("first_name", query.IsNot, "ada")), []string{"Bob", "Cy", "Dee"}},
			{"text empty", lwhere(lcond("email", query.Empty)), []string{"Bob"}},
			{"text not empty", lwhere(lcond("email", query.NotEmpty)), []string{"Ada", "Cy", "Dee"}},
			{"select is", lwhere(lcond("lifecycle_stage", query.Is, "lead")), []string{"Bob", "Cy"}},
			{"select is any of", lwhere(lcond("lifecycle_stage", query.Is, "lead", "customer")), []string{"Ada", "Bob", "Cy"}},
			{"number greater", lwhere(lcond("cf.seats", query.GT, "4")), []string{"Ada", "Bob"}},
			{"number less", lwhere(lcond("cf.seats", query.LT, "5")), []string{"Cy"}},
			{"number between", lwhere(lcond("cf.seats", query.Between, "5", "20")), []string{"Ada", "Bob"}},
			{"number empty", lwhere(lcond("cf.seats", query.Empty)), []string{"Dee"}},
			{"date between", lwhere(lcond("birthday", query.Between, "1990-01-01", "2000-12-31")), []string{"Ada"}},
			{"date after", lwhere(lcond("birthday", query.GT, "2000-01-01")), []string{"Cy"}},
			{"timestamp in the last days", lwhere(lcond("created_at", query.LastDays, "7")), []string{"Ada", "Bob", "Cy", "Dee"}},
			{"has tag", lwhere(lcond("tag", query.HasTag, "VIP")), []string{"Ada", "Bob"}},
			{"does not have tag", lwhere(lcond("tag", query.NotHasTag, "vip")), []string{"Cy", "Dee"}},
			{"no tags", lwhere(lcond("tag", query.Empty)), []string{"Cy"}},
			{"any of", query.Group{Match: query.Any, Conditions: []query.Condition{lcond("name", query.Is, "ada"), lcond("tag", query.HasTag, "old")}}, []string{"Ada", "Bob", "Dee"}},
			{"nested group", query.Group{Conditions: []query.Condition{lcond("tag", query.HasTag, "old")},
				Groups: []query.Group{{Match: query.Any, Conditions: []query.Condition{lcond("cf.seats", query.GT, "3"), lcond("email", query.NotEmpty)}}}},
				[]string{"Bob", "Dee"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.get(listFilterURL("/contacts", c.f, "sort", "name"))
				r.expect(t, 200, "")
				if got := listRowNames(r.body); !listSame(got, c.want...) {
					t.Errorf("rows %q, want %q", got, c.want)
				}
			})
		}
		// A filter nobody matches says so, with a way out.
		r := e.get(listFilterURL("/contacts", lwhere(lcond("name", query.Is, "Zed")), "sort", "name"))
		r.expect(t, 200, "", "No contacts match this filter", "Clear filter", `href="/contacts?sort=name"`)

		// The builder form is a GET; applying it redirects to the filter's
		// address, dropping rows without a field.
		form := url.Values{"fb": {"apply"}, "sort": {"name"},
			"filter.match":                         {"all"},
			"filter.conditions[0].field":           {"cf.seats"},
			"filter.conditions[0].op":              {"between"},
			"filter.conditions[0].value":           {"2", "30"},
			"filter.conditions[1].field":           {""},
			"filter.groups[0].match":               {"any"},
			"filter.groups[0].conditions[0].field": {"tag"},
			"filter.groups[0].conditions[0].op":    {"has_tag"},
			"filter.groups[0].conditions[0].value": {"old"},
		}
		r = e.get("/contacts?" + form.Encode())
		want := listFilterURL("/contacts", query.Group{Conditions: []query.Condition{lcond("cf.seats", query.Between, "2", "30")},
			Groups: []query.Group{{Match: query.Any, Conditions: []query.Condition{lcond("tag", query.HasTag, "old")}}}}, "sort", "name")
		r.expect(t, 303, want)
		if got := listRowNames(e.get(want).body); !listSame(got, "Bob") {
			t.Errorf("builder filter rows %q, want Bob", got)
		}
		// Builder buttons change the draft without applying it.
		form.Set("fb", "add:filter.groups[0]")
		r = e.get("/contacts?" + form.Encode())
		r.expect(t, 200, "", `name="filter.groups[0].conditions[1].field"`, `name="filter.groups[0].conditions[0].value" value="old"`)
		form.Set("fb", "remove:filter.groups[0]")
		r = e.get("/contacts?" + form.Encode())
		if strings.Contains(r.body, `name="filter.groups[0].match"`) {
			t.Error("the group was not removed from the draft")
		}
		// Changing a condition's field picks an operator that suits it.
		form.Set("fb", "refresh")
		form.Set("filter.conditions[0].field", "email")
		r = e.get("/contacts?" + form.Encode())
		r.expect(t, 200, "", `<option value="is" selected>is</option>`, `<option value="contains">contains</option>`)
	})
}

func TestListInvalidFilter(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newListEnv(t, d)
		e.seats(t)
		cases := []struct {
			name string
			path string
			want []string
		}{
			{"bad number", listFilterURL("/contacts", lwhere(lcond("name", query.Is, "Ada"), lcond("cf.seats", query.GT, "lots"))),
				[]string{"Seats: Enter a number, such as 42 or 3.5.", `id="filter.conditions[1]-error"`, `value="lots"`}},
			{"unknown field", listFilterURL("/contacts", lwhere(lcond("shoe_size", query.Is, "9"))),
				[]string{`There is no field &#34;shoe_size&#34; to filter on.`, `id="filter.conditions[0]-error"`}},
			{"operator of another type", listFilterURL("/contacts", lwhere(lcond("cf.seats", query.Contains, "1"))),
				[]string{"Seats:", `id="filter.conditions[0]-error"`}},
			{"bad date", listFilterURL("/contacts", lwhere(lcond("birthday", query.Between, "1990-01-01", "soon"))),
				[]string{"Birthday: Enter a date as YYYY-MM-DD"}},
			{"bad days", listFilterURL("/contacts", lwhere(lcond("created_at", query.LastDays, "-3"))),
				[]string{"Enter a whole number of days"}},
			{"nested bad value", listFilterURL("/contacts", query.Group{Groups: []query.Group{{Conditions: []query.Condition{lcond("lifecycle_stage", query.Is, "boss")}}}}),
				[]string{`id="filter.groups[0].conditions[0]-error"`, "Lifecycle stage:"}},
			{"not JSON", "/contacts?filter=%7Bnope", []string{"The filter could not be read"}},
			{"unknown sort", "/contacts?sort=shoe_size", []string{"Sort: There is no field"}},
			{"bad cursor", "/contacts?cursor=garbage", []string{"This page link is not valid"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				r := e.get(c.path)
				r.expect(t, 422, "", append(c.want, "This list cannot be shown as asked", `role="alert"`)...)
				if n := len(listRowNames(r.body)); n != 0 {
					t.Errorf("%d rows shown beside an invalid filter", n)
				}
				// The count of a bad filter is not a server error either.
				if c := e.hx(strings.Replace(c.path, "/contacts?", "/contacts/count?", 1)); c.status >= 500 {
					t.Errorf("count: status %d", c.status)
				}
			})
		}
	})
}
