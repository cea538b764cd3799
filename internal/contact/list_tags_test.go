package contact_test

import (
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/query"
)

// TestListTags checks the tags of list rows, which PostgreSQL reads in the
// page's query and SQLite with a second one: same names, same order
// (case ignored), an empty list for a record without tags.
func TestListTags(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		want := map[string][]string{
			"Ada":   {"analytics", "vip", "Zulu", "Émigré"}, // by lower-case name, byte order
			"Grace": {"<b>bold</b>", `quote "x"`},
			"Linus": {},
		}
		for name, tags := range want {
			if _, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p(name), Tags: &tags}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.companies.Create(e.ctx, company.Input{Name: p(name + " Ltd"), Tags: &tags}); err != nil {
				t.Fatal(err)
			}
		}
		people, err := e.contacts.List(e.ctx, query.Request{Sort: query.Sort{Field: "name"}})
		if err != nil {
			t.Fatal(err)
		}
		orgs, err := e.companies.List(e.ctx, query.Request{Sort: query.Sort{Field: "name"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(people.Rows) != 3 || len(orgs.Rows) != 3 {
			t.Fatalf("%d contacts and %d companies listed, want 3 of each", len(people.Rows), len(orgs.Rows))
		}
		for i, r := range people.Rows {
			if w := want[r.FirstName]; r.Tags == nil || !slices.Equal(r.Tags, w) {
				t.Errorf("contact %s: tags %#v, want %#v", r.FirstName, r.Tags, w)
			}
			o := orgs.Rows[i]
			if w := want[r.FirstName]; o.Tags == nil || !slices.Equal(o.Tags, w) {
				t.Errorf("company %s: tags %#v, want %#v", o.Name, o.Tags, w)
			}
		}
	})
}
