package contact_test

import (
	"fmt"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/query"
)

func TestListFiltersOnCustomFields(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		defs := []customfield.Field{
			{Object: "contact", Label: "Plan", Type: customfield.Select, Options: []string{"Free", "Pro"}, Filterable: true},
			{Object: "contact", Label: "Seats", Type: customfield.Number, Filterable: true},
			{Object: "contact", Label: "Renewal", Type: customfield.Date},
			{Object: "contact", Label: "Active", Type: customfield.Bool},
			{Object: "contact", Label: "Channels", Type: customfield.MultiSelect, Options: []string{"Email", "Phone"}},
			{Object: "contact", Label: "Spend", Type: customfield.Currency, Currency: "EUR"},
		}
		for _, f := range defs {
			if _, err := e.fields.Create(e.ctx, f); err != nil {
				t.Fatalf("create field %s: %v", f.Label, err)
			}
		}
		for i := range 12 {
			custom := map[string]any{"seats": float64(i), "active": i%2 == 0, "spend": fmt.Sprintf("%d.50", i)}
			if i%3 == 0 {
				custom["plan"] = "Pro"
				custom["channels"] = []any{"Phone"}
				custom["renewal"] = fmt.Sprintf("2026-%02d-01", i+1)
			}
			if _, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p(fmt.Sprintf("Person %02d", i)),
				Custom: custom}); err != nil {
				t.Fatal(err)
			}
		}
		tests := []struct {
			cond query.Condition
			want int
		}{
			{query.Condition{Field: "cf.plan", Op: "is", Value: "Pro"}, 4},
			{query.Condition{Field: "cf.plan", Op: "empty"}, 8},
			{query.Condition{Field: "cf.seats", Op: "gt", Value: "8"}, 3},
			{query.Condition{Field: "cf.seats", Op: "between", Values: []string{"2", "4"}}, 3},
			{query.Condition{Field: "cf.renewal", Op: "lt", Value: "2026-05-01"}, 2},
			{query.Condition{Field: "cf.active", Op: "is", Value: "true"}, 6},
			{query.Condition{Field: "cf.channels", Op: "contains", Value: "Phone"}, 4},
			{query.Condition{Field: "cf.spend", Op: "gt", Value: "1000"}, 2},
			{query.Condition{Field: "name", Op: "starts_with", Value: "person 1"}, 2},
		}
		for _, tt := range tests {
			f := query.Group{Conditions: []query.Condition{tt.cond}}
			page, err := e.contacts.List(e.ctx, query.Request{Filter: f, Sort: query.Sort{Field: "cf.seats"}})
			if err != nil {
				t.Errorf("%+v: %v", tt.cond, err)
				continue
			}
			n, exact, err := e.contacts.Count(e.ctx, f, contact.CountCap)
			if len(page.Rows) != tt.want || n != tt.want || !exact || err != nil {
				t.Errorf("%+v: %d rows, count %d (exact %v, %v); want %d", tt.cond, len(page.Rows), n, exact, err, tt.want)
			}
		}
		// Paging a list whose filter pins the sort value (it orders by id).
		pro := query.Group{Conditions: []query.Condition{{Field: "cf.plan", Op: "is", Value: "Pro"}}}
		seen := map[string]bool{}
		var cursor string
		var pages []string
		for {
			page, err := e.contacts.List(e.ctx, query.Request{Filter: pro, Sort: query.Sort{Field: "cf.plan", Desc: true}, Limit: 1, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page.Rows {
				if seen[r.ID] {
					t.Fatalf("%s twice", r.DisplayName)
				}
				seen[r.ID] = true
			}
			pages = append(pages, cursor)
			if page.Cursors.Next == "" {
				if page.Cursors.Prev != "" {
					back, err := e.contacts.List(e.ctx, query.Request{Filter: pro, Sort: query.Sort{Field: "cf.plan", Desc: true}, Limit: 1, Cursor: page.Cursors.Prev})
					if err != nil || len(back.Rows) != 1 || seen[back.Rows[0].ID] != true || back.Rows[0].ID == page.Rows[0].ID {
						t.Errorf("previous page = %+v, %v", back.Rows, err)
					}
				}
				break
			}
			cursor = page.Cursors.Next
		}
		if len(seen) != 4 {
			t.Errorf("paged %d Pro contacts one by one, want 4", len(seen))
		}
		_, err := e.contacts.List(e.ctx, query.Request{Filter: query.Group{Conditions: []query.Condition{{Field: "cf.missing", Op: "is", Value: "x"}}}})
		if apperr.AsValidation(err) == nil {
			t.Errorf("filter on a missing field: err = %v, want a validation error", err)
		}
		n, exact, err := e.contacts.Count(e.ctx, query.Group{}, 5)
		if n != 5 || exact || err != nil {
			t.Errorf("capped count = %d exact %v %v; want 5, false", n, exact, err)
		}
	})
}

// A deleted company leaves the contact list: its name is neither shown in
// the company column nor matched by a filter on it.
func TestListHidesDeletedCompany(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		acme, err := e.companies.Create(e.ctx, company.Input{Name: p("Acme Ltd")})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Ada"), CompanyIDs: &[]string{acme.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.companies.Delete(e.ctx, acme.ID); err != nil {
			t.Fatal(err)
		}
		page, err := e.contacts.List(e.ctx, query.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) != 1 || page.Rows[0].ID != c.ID {
			t.Fatalf("rows = %+v, want the one contact", page.Rows)
		}
		if got := page.Rows[0].CompanyName; got != "" {
			t.Errorf("company name = %q after the company was deleted, want empty", got)
		}
		f := query.Group{Conditions: []query.Condition{{Field: "company", Op: query.Is, Value: "Acme Ltd"}}}
		page, err = e.contacts.List(e.ctx, query.Request{Filter: f})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Rows) != 0 {
			t.Errorf("filter company is Acme Ltd matched %d contacts of the deleted company, want 0", len(page.Rows))
		}
	})
}
