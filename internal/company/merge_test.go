package company_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/user"
)

// mergeEnv is what the merge and duplicates tests work with.
type mergeEnv struct {
	t          *testing.T
	ctx        context.Context
	d          *db.DB
	companies  *company.Service
	contacts   *contact.Service
	activities *activity.Service
	fields     *customfield.Service
}

func newMergeEnv(t *testing.T, d *db.DB) mergeEnv {
	ctx, _ := fixture.User(t, d, "owner")
	users := user.NewService(d)
	contacts, companies := contact.NewService(d, users), company.NewService(d, users)
	return mergeEnv{t: t, ctx: ctx, d: d, companies: companies, contacts: contacts,
		activities: activity.NewService(d, contacts, companies), fields: customfield.NewService(d)}
}

func (e mergeEnv) company(in company.Input) company.Company {
	e.t.Helper()
	c, err := e.companies.Create(e.ctx, in)
	if err != nil {
		e.t.Fatalf("create company %v: %v", in.Name, err)
	}
	return c
}

func (e mergeEnv) contact(name string, companyIDs ...string) contact.Contact {
	e.t.Helper()
	c, err := e.contacts.Create(e.ctx, contact.Input{FirstName: &name, CompanyIDs: &companyIDs})
	if err != nil {
		e.t.Fatalf("create contact %s: %v", name, err)
	}
	return c
}

var str = fixture.Ptr[string]

func TestMergeCompanies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newMergeEnv(t, d)
		if _, err := e.fields.Create(e.ctx, customfield.Field{Object: "company", Label: "Tier", Type: customfield.Text}); err != nil {
			t.Fatal(err)
		}
		keep := e.company(company.Input{Name: str("Acme Inc."), Domain: str("acme.com"), Tags: &[]string{"partner"},
			Custom: map[string]any{"tier": "gold"}})
		gone := e.company(company.Input{Name: str("ACME Ltd"), Domain: str("acme.co.uk"), Industry: str("Manufacturing"),
			Size: str("51-200"), Tags: &[]string{"Partner", "uk"}, Custom: map[string]any{"tier": "silver"}})
		other := e.company(company.Input{Name: str("Globex")})
		onlyGone := e.contact("Ann", gone.ID)
		both := e.contact("Bob", gone.ID, keep.ID)
		elsewhere := e.contact("Cy", other.ID, gone.ID)
		note, err := e.activities.Create(e.ctx, activity.Input{Kind: str("note"), CompanyID: &gone.ID, Body: str("Signed the NDA")})
		if err != nil {
			t.Fatal(err)
		}

		got, err := e.companies.Merge(e.ctx, company.MergeInput{SurvivorID: keep.ID, MergedIDs: []string{gone.ID, gone.ID},
			Choices: map[string]string{"domain": gone.ID, "custom.tier": gone.ID}})
		if err != nil {
			t.Fatalf("merge: %v", err)
		}
		if got.ID != keep.ID || got.Name != "Acme Inc." || got.Domain != "acme.co.uk" || got.Industry != "Manufacturing" ||
			got.Size != "51-200" || got.Custom["tier"] != "silver" {
			t.Errorf("survivor = %+v; want the chosen domain and tier, the survivor's name, the other's industry and size", got)
		}
		if strings.Join(got.Tags, ",") != "partner,uk" {
			t.Errorf("tags = %v, want [partner uk]", got.Tags)
		}
		if got.Contacts != 3 {
			t.Errorf("survivor has %d contacts, want 3", got.Contacts)
		}
		if _, err := e.companies.ByID(e.ctx, gone.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("merged company: err = %v, want not found", err)
		}
		wantCompanies := map[string][]string{onlyGone.ID: {keep.ID}, both.ID: {keep.ID}, elsewhere.ID: {other.ID, keep.ID}}
		for cid, want := range wantCompanies {
			c, err := e.contacts.ByID(e.ctx, cid)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range c.Companies {
				ids = append(ids, r.ID)
			}
			if !slices.Equal(ids, want) {
				t.Errorf("%s's companies = %v, want %v", c.DisplayName, ids, want)
			}
		}

		entries, _, err := e.activities.Timeline(e.ctx, activity.TimelineQuery{CompanyID: keep.ID, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var sawNote, sawAnnCreated bool
		for _, en := range entries {
			sawNote = sawNote || en.Activity != nil && en.Activity.ID == note.ID
			sawAnnCreated = sawAnnCreated || en.EventKind == "contact.created" && en.SubjectID == onlyGone.ID
		}
		if !sawNote || !sawAnnCreated {
			t.Errorf("survivor's timeline: note %v, Ann's created event %v; want both", sawNote, sawAnnCreated)
		}

		evs, err := event.ListForSubject(e.ctx, d.R, "company", keep.ID, 20)
		if err != nil || evs[0].Kind != "company.merged" {
			t.Fatalf("latest survivor event = %+v, %v; want company.merged", evs, err)
		}
		var data struct {
			Merged  []company.Company
			Before  company.Company
			Choices map[string]string
		}
		if err := json.Unmarshal(evs[0].Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Merged) != 1 || data.Merged[0].ID != gone.ID || data.Merged[0].Domain != "acme.co.uk" ||
			data.Merged[0].Industry != "Manufacturing" || data.Merged[0].Custom["tier"] != "silver" ||
			data.Before.Domain != "acme.com" || data.Choices["domain"] != gone.ID {
			t.Errorf("merge event data = %s", evs[0].Data)
		}
		evs, err = event.ListForSubject(e.ctx, d.R, "company", gone.ID, 20)
		if err != nil || evs[0].Kind != "company.merged_into" {
			t.Errorf("latest merged company event = %+v, %v; want company.merged_into", evs, err)
		}

		groups, err := search.Query(e.ctx, d.R, d.Engine, "acme", search.Options{Kinds: []string{"company"}})
		if err != nil || len(groups) != 1 || len(groups[0].Hits) != 1 || groups[0].Hits[0].ID != keep.ID {
			t.Errorf("search for acme = %+v, %v; want the survivor only", groups, err)
		}
		// The old domain is free again.
		e.company(company.Input{Name: str("Acme US"), Domain: str("acme.com")})
	})
}

func TestMergeCompaniesRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newMergeEnv(t, d)
		a := e.company(company.Input{Name: str("Initech")})
		b := e.company(company.Input{Name: str("Initech LLC")})
		outsider := e.company(company.Input{Name: str("Hooli")})
		viewerCtx, _ := fixture.User(t, d, "viewer")
		cases := []struct {
			name  string
			ctx   context.Context
			in    company.MergeInput
			err   error
			field string
		}{
			{"choice outside the merge", e.ctx, company.MergeInput{SurvivorID: a.ID, MergedIDs: []string{b.ID},
				Choices: map[string]string{"name": outsider.ID}}, nil, "choices.name"},
			{"nothing to merge", e.ctx, company.MergeInput{SurvivorID: a.ID, MergedIDs: []string{a.ID}}, nil, "merged_ids"},
			{"unknown survivor", e.ctx, company.MergeInput{SurvivorID: "0190aaaa-0000-7000-8000-000000000000",
				MergedIDs: []string{b.ID}}, apperr.ErrNotFound, ""},
			{"bad merged id", e.ctx, company.MergeInput{SurvivorID: a.ID, MergedIDs: []string{"nope"}}, apperr.ErrNotFound, ""},
			{"viewer", viewerCtx, company.MergeInput{SurvivorID: a.ID, MergedIDs: []string{b.ID}}, apperr.ErrForbidden, ""},
			{"no actor", context.Background(), company.MergeInput{SurvivorID: a.ID, MergedIDs: []string{b.ID}}, apperr.ErrForbidden, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := e.companies.Merge(tc.ctx, tc.in)
				if tc.err != nil && !errors.Is(err, tc.err) {
					t.Errorf("err = %v, want %v", err, tc.err)
				}
				if tc.field != "" {
					if v := apperr.AsValidation(err); v == nil || v.For(tc.field) == "" {
						t.Errorf("err = %v, want a message for %s", err, tc.field)
					}
				}
			})
		}
		for _, cid := range []string{a.ID, b.ID, outsider.ID} {
			if _, err := e.companies.ByID(e.ctx, cid); err != nil {
				t.Errorf("a refused merge removed %s: %v", cid, err)
			}
		}
	})
}
