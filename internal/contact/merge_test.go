package contact_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/search"
)

func TestDuplicatesAndMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		acme, err := e.companies.Create(e.ctx, company.Input{Name: p("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Ann"), LastName: p("Lee"),
			Emails: &[]contact.Email{{Address: "ann@acme.example"}}, Phones: &[]contact.PhoneInput{{Number: "+1 415 555 2671"}},
			CompanyIDs: &[]string{acme.ID}, Tags: &[]string{"a"}})
		if err != nil {
			t.Fatal(err)
		}
		b, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Ann"), LastName: p("Lee"), JobTitle: p("CTO"),
			Emails: &[]contact.Email{{Address: "ann.lee@home.example"}}, CompanyIDs: &[]string{acme.ID}, Tags: &[]string{"b"}})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Annie"), Phones: &[]contact.PhoneInput{{Number: "(415) 555-2671"}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Unrelated")}); err != nil {
			t.Fatal(err)
		}
		groups, err := e.contacts.Duplicates(e.ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 1 || len(groups[0].Contacts) != 3 {
			t.Fatalf("duplicate groups = %+v, want one group of Ann, Ann and Annie", groups)
		}
		if !slices.Contains(groups[0].Reasons, contact.ReasonPhone) || !slices.Contains(groups[0].Reasons, contact.ReasonNameCompany) {
			t.Errorf("reasons = %v", groups[0].Reasons)
		}

		_, err = e.contacts.Merge(e.ctx, contact.MergeInput{SurvivorID: a.ID, MergedIDs: []string{b.ID},
			Choices: map[string]string{"first_name": "00000000-0000-7000-8000-000000000000"}})
		if v := apperr.AsValidation(err); v == nil || v.For("choices.first_name") == "" {
			t.Errorf("choice outside the merge: err = %v", err)
		}
		m, err := e.contacts.Merge(e.ctx, contact.MergeInput{SurvivorID: a.ID, MergedIDs: []string{b.ID, c.ID},
			Choices: map[string]string{"first_name": c.ID}})
		if err != nil {
			t.Fatalf("merge: %v", err)
		}
		if m.FirstName != "Annie" || m.JobTitle != "CTO" || len(m.Emails) != 2 || len(m.Phones) != 1 {
			t.Errorf("merged = %q %q emails %v phones %v", m.FirstName, m.JobTitle, m.Emails, m.Phones)
		}
		got, err := e.contacts.ByID(e.ctx, a.ID)
		if err != nil || !slices.Equal(got.Tags, []string{"a", "b"}) || got.Emails[0].Address != "ann@acme.example" {
			t.Errorf("survivor = %+v, %v", got, err)
		}
		for _, gone := range []string{b.ID, c.ID} {
			if _, err := e.contacts.ByID(e.ctx, gone); !errors.Is(err, apperr.ErrNotFound) {
				t.Errorf("merged contact %s still readable: %v", gone, err)
			}
		}
		// The merged contacts' events are now on the survivor's timeline,
		// and the merge event keeps their full data.
		var moved int
		if err := d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE contact_id = $1 AND subject_id = $2`, a.ID, b.ID).Scan(&moved); err != nil || moved == 0 {
			t.Errorf("events of the merged contact on the survivor: %d, %v", moved, err)
		}
		evs, err := event.ListForSubject(e.ctx, d.R, "contact", a.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		var data struct{ Merged []contact.Contact }
		for _, ev := range evs {
			if ev.Kind == "contact.merged" {
				if err := json.Unmarshal(ev.Data, &data); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(data.Merged) != 2 || data.Merged[0].Emails[0].Address != "ann.lee@home.example" && data.Merged[1].Emails[0].Address != "ann.lee@home.example" {
			t.Errorf("merge event keeps %+v", data.Merged)
		}
		if groups, _ := e.contacts.Duplicates(e.ctx, 10); len(groups) != 0 {
			t.Errorf("duplicates after the merge: %+v", groups)
		}
	})
}

func TestCompanyMergeReindexesItsContacts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		e.companies.OnMerge(e.contacts.ReindexCompany)
		keep, err := e.companies.Create(e.ctx, company.Input{Name: p("Initech")})
		if err != nil {
			t.Fatal(err)
		}
		gone, err := e.companies.Create(e.ctx, company.Input{Name: p("Initrode")})
		if err != nil {
			t.Fatal(err)
		}
		c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: p("Peter"), CompanyIDs: &[]string{gone.ID}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.companies.Merge(e.ctx, company.MergeInput{SurvivorID: keep.ID, MergedIDs: []string{gone.ID}}); err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]int{"peter initech": 1, "peter initrode": 0} {
			groups, err := search.Query(e.ctx, d.R, d.Engine, q, search.Options{Kinds: []string{"contact"}})
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for _, g := range groups {
				for _, h := range g.Hits {
					if h.ID == c.ID {
						n++
					}
				}
			}
			if n != want {
				t.Errorf("search %q finds the contact %d times, want %d", q, n, want)
			}
		}
	})
}
