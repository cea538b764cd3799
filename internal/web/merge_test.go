package web_test

import (
	"encoding/json"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// mergeSignInAs signs a fresh client of s in as a new user with role.
func mergeSignInAs(t *testing.T, s *site, role string) *site {
	t.Helper()
	_, u := fixture.User(t, s.db, role)
	as := &site{t: t, db: s.db, srv: s.srv, client: newClient()}
	as.post("/login", url.Values{"email": {u.Email}, "password": {fixture.Password}}).expect(t, 303, "/")
	return as
}

func TestContactDuplicatesAndMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/contacts/duplicates").expect(t, 200, "", "No likely duplicates found")

		rs := newSearchData(t, d)
		if _, err := rs.fields.Create(rs.ctx, customfield.Field{Object: "contact", Label: "Tier", Type: customfield.Text}); err != nil {
			t.Fatal(err)
		}
		acme := rs.company("Acme Ltd", "acme.example")
		keep := rs.contact(contact.Input{FirstName: searchStr("Ada"), LastName: searchStr("Lovelace"), JobTitle: searchStr("Analyst"),
			Emails: &[]contact.Email{{Address: "ada@one.example"}}, Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958"}},
			Custom: map[string]any{"tier": "gold"}})
		gone := rs.contact(contact.Input{FirstName: searchStr("Ada"), LastName: searchStr("Byron"), JobTitle: searchStr("Countess"),
			Emails: &[]contact.Email{{Address: "ada@two.example"}}, Phones: &[]contact.PhoneInput{{Number: "+442079460958"}},
			Tags: &[]string{"vip"}, Custom: map[string]any{"tier": "silver"}})
		grace1 := rs.contact(contact.Input{FirstName: searchStr("Grace"), LastName: searchStr("Hopper"), CompanyIDs: &[]string{acme.ID}})
		grace2 := rs.contact(contact.Input{FirstName: searchStr("grace"), LastName: searchStr("HOPPER"), CompanyIDs: &[]string{acme.ID}})
		rs.contact(contact.Input{FirstName: searchStr("Grace"), LastName: searchStr("Hopper")}) // no company: not a duplicate

		dups := s.get("/contacts/duplicates")
		dups.expect(t, 200, "", "Duplicate contacts", "same phone number", "same name at the same company",
			"Ada Lovelace", "Ada Byron", "ada@two.example", "Countess", "Acme Ltd", "Merge…",
			"/contacts/merge?ids="+keep.ID+"&amp;ids="+gone.ID, "/contacts/merge?ids="+grace1.ID+"&amp;ids="+grace2.ID)

		form := s.get("/contacts/merge?ids=" + keep.ID + "&ids=" + gone.ID)
		form.expect(t, 200, "", "Merge 2 contacts", `name="choice.last_name"`, `name="choice.job_title"`,
			`name="choice.custom.tier"`, "Tier", "combined", "Emails", `name="ids" value="`+gone.ID+`"`,
			`name="survivor" value="`+keep.ID+`" data-record="`+keep.ID+`" checked`)
		if strings.Contains(form.body, `name="choice.first_name"`) {
			t.Error("first name is the same on both but offered as a choice")
		}

		acts := activity.NewService(d, rs.contacts, rs.companies)
		note, err := acts.Create(rs.ctx, activity.Input{Kind: searchStr("note"), ContactID: &gone.ID, Body: searchStr("Prefers tea")})
		if err != nil {
			t.Fatal(err)
		}
		post := url.Values{"ids": {keep.ID, gone.ID}, "survivor": {keep.ID}, "choice.last_name": {gone.ID},
			"choice.job_title": {gone.ID}, "choice.custom.tier": {keep.ID}}
		s.post("/contacts/merge", post).expect(t, 303, "/contacts/"+keep.ID)
		s.get("/search").expect(t, 200, "", "Merged 2 contacts into Ada Byron.")

		got, err := rs.contacts.ByID(rs.ctx, keep.ID)
		if err != nil {
			t.Fatal(err)
		}
		var emails []string
		for _, e := range got.Emails {
			emails = append(emails, e.Address)
		}
		if !slices.Equal(emails, []string{"ada@one.example", "ada@two.example"}) || got.LastName != "Byron" ||
			got.JobTitle != "Countess" || got.Custom["tier"] != "gold" || !slices.Equal(got.Tags, []string{"vip"}) {
			t.Errorf("survivor = %q %q %q emails %v tier %v tags %v", got.FirstName, got.LastName, got.JobTitle,
				emails, got.Custom["tier"], got.Tags)
		}
		if _, err := rs.contacts.ByID(rs.ctx, gone.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("merged contact: err = %v, want not found", err)
		}
		s.get("/contacts/merge?ids="+keep.ID+"&ids="+gone.ID).expect(t, 404, "")
		s.get("/contacts/"+gone.ID).expect(t, 404, "")

		entries, _, err := acts.Timeline(rs.ctx, activity.TimelineQuery{ContactID: keep.ID, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var sawNote, sawCreated bool
		for _, e := range entries {
			sawNote = sawNote || e.Activity != nil && e.Activity.ID == note.ID
			sawCreated = sawCreated || e.EventKind == "contact.created" && e.SubjectID == gone.ID
		}
		if !sawNote || !sawCreated {
			t.Errorf("survivor's timeline: merged contact's note %v, its created event %v; want both", sawNote, sawCreated)
		}
		evs, err := event.ListForSubject(rs.ctx, d.R, "contact", keep.ID, 10)
		if err != nil || len(evs) == 0 || evs[0].Kind != "contact.merged" {
			t.Fatalf("survivor's latest event = %+v, %v; want contact.merged", evs, err)
		}
		var data struct{ Merged []contact.Contact }
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Merged) != 1 || data.Merged[0].ID != gone.ID || data.Merged[0].JobTitle != "Countess" ||
			data.Merged[0].PrimaryEmail() != "ada@two.example" || data.Merged[0].Custom["tier"] != "silver" {
			t.Errorf("merge event data = %s", evs[0].Data)
		}

		// Refused merges change nothing.
		outsider := url.Values{"ids": {grace1.ID, grace2.ID}, "survivor": {grace1.ID}, "choice.first_name": {keep.ID}}
		s.post("/contacts/merge", outsider).expect(t, 422, "", "Choose one of the contacts being merged.", "Merge 2 contacts")
		bad := []struct {
			name   string
			form   url.Values
			status int
			msg    string
		}{
			{"survivor outside", url.Values{"ids": {grace1.ID, grace2.ID}, "survivor": {keep.ID}}, 422, "Choose which contact to keep."},
			{"one contact", url.Values{"ids": {grace1.ID}, "survivor": {grace1.ID}}, 422, "Choose at least two contacts to merge."},
			{"unknown contact", url.Values{"ids": {grace1.ID, "0190aaaa-0000-7000-8000-000000000000"}, "survivor": {grace1.ID}}, 404, ""},
		}
		for _, tc := range bad {
			s.post("/contacts/merge", tc.form).expect(t, tc.status, "", tc.msg)
		}
		s.get("/contacts/merge?ids="+grace1.ID).expect(t, 422, "", "Choose at least two contacts to merge.")
		viewer := mergeSignInAs(t, s, "viewer")
		viewer.get("/contacts/duplicates").expect(t, 200, "", "same name at the same company")
		viewer.post("/contacts/merge", url.Values{"ids": {grace1.ID, grace2.ID}, "survivor": {grace1.ID}}).expect(t, 403, "")
		for _, id := range []string{grace1.ID, grace2.ID} {
			if _, err := rs.contacts.ByID(rs.ctx, id); err != nil {
				t.Errorf("a refused merge removed %s: %v", id, err)
			}
		}
		s.get("/contacts/duplicates").expect(t, 200, "", "same name at the same company")
		if strings.Contains(s.get("/contacts/duplicates").body, "same phone number") {
			t.Error("the merged pair is still listed as duplicates")
		}
	})
}

func TestCompanyDuplicatesAndMerge(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/companies/duplicates").expect(t, 200, "", "No likely duplicates found")
		rs := newSearchData(t, d)
		keep := rs.company("Acme Inc.", "acme.com")
		gone := rs.company("ACME, Ltd", "acme.co.uk")
		rs.company("Globex", "")
		bob := rs.contact(contact.Input{FirstName: searchStr("Bob"), CompanyIDs: &[]string{gone.ID}})

		s.get("/companies/duplicates").expect(t, 200, "", "Duplicate companies", "same name", "Acme Inc.", "ACME, Ltd",
			"acme.co.uk", "/companies/merge?ids="+keep.ID+"&amp;ids="+gone.ID)
		s.get("/companies/merge?ids="+keep.ID+"&ids="+gone.ID).expect(t, 200, "", "Merge 2 companies",
			`name="choice.name"`, `name="choice.domain"`, "Contacts", "1 contact")

		s.post("/companies/merge", url.Values{"ids": {keep.ID, gone.ID}, "survivor": {keep.ID}, "choice.domain": {gone.ID},
			"choice.name": {"0190aaaa-0000-7000-8000-000000000000"}}).expect(t, 422, "", "Choose one of the companies being merged.")
		s.post("/companies/merge", url.Values{"ids": {keep.ID, gone.ID}, "survivor": {keep.ID}, "choice.domain": {gone.ID},
			"choice.name": {keep.ID}}).expect(t, 303, "/companies/"+keep.ID)
		s.get("/search").expect(t, 200, "", "Merged 2 companies into Acme Inc.")

		got, err := rs.companies.ByID(rs.ctx, keep.ID)
		if err != nil || got.Domain != "acme.co.uk" || got.Contacts != 1 {
			t.Errorf("survivor = %+v, %v; want domain acme.co.uk and 1 contact", got, err)
		}
		if c, err := rs.contacts.ByID(rs.ctx, bob.ID); err != nil || c.PrimaryCompany().ID != keep.ID {
			t.Errorf("Bob's company = %+v, %v; want the survivor", c.PrimaryCompany(), err)
		}
		s.get("/companies/merge?ids="+keep.ID+"&ids="+gone.ID).expect(t, 404, "")
		s.get("/companies/duplicates").expect(t, 200, "", "No likely duplicates found")
	})
}
