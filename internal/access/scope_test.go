package access_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/search"
	"github.com/rapportcrm/rapport/internal/user"
)

// TestVisibilityScopes gives contacts to a member in a manager's team, to
// a member outside it and to nobody, and checks what each role finds in
// lists, counts, record pages, search and a company's timeline.
func TestVisibilityScopes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		users := user.NewService(d)
		contacts := contact.NewService(d, users)
		companies := company.NewService(d, users)
		acts := activity.NewService(d, contacts, companies)
		octx, _ := fixture.User(t, d, "owner")
		_, mgr := fixture.User(t, d, "manager")
		_, inTeam := fixture.User(t, d, "member")
		_, outside := fixture.User(t, d, "member")
		_, viewer := fixture.User(t, d, "viewer")
		if _, err := users.CreateTeam(octx, "North", []string{mgr.ID, inTeam.ID}); err != nil {
			t.Fatal(err)
		}
		acme, err := companies.Create(octx, company.Input{Name: fixture.Ptr("Zyxwv Acme")})
		if err != nil {
			t.Fatal(err)
		}
		mk := func(name, owner string) contact.Contact {
			t.Helper()
			in := contact.Input{FirstName: fixture.Ptr(name), LastName: fixture.Ptr("Zyxwv"), CompanyIDs: &[]string{acme.ID}}
			if owner != "" {
				in.OwnerID = &owner
			}
			c, err := contacts.Create(octx, in)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		team := mk("Teamowned", inTeam.ID)
		other := mk("Otherowned", outside.ID)
		nobody := mk("Unowned", "")
		mgrs := mk("Managerowned", mgr.ID)

		cases := []struct {
			who  user.User
			sees []string
		}{
			{mgr, []string{team.ID, nobody.ID, mgrs.ID}},
			{inTeam, []string{team.ID, nobody.ID}},
			{outside, []string{other.ID, nobody.ID}},
			{viewer, []string{team.ID, other.ID, nobody.ID, mgrs.ID}},
		}
		for _, tc := range cases {
			ctx := fixture.As(tc.who)
			page, err := contacts.List(ctx, query.Request{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range page.Rows {
				got = append(got, r.ID)
			}
			if !sameSet(got, tc.sees) {
				t.Errorf("%s lists %d contacts %v, want %v", tc.who.Role, len(got), got, tc.sees)
			}
			if n, _, err := contacts.Count(ctx, query.Group{}, 0); err != nil || n != len(tc.sees) {
				t.Errorf("%s counts %d (%v), want %d", tc.who.Role, n, err, len(tc.sees))
			}
			for _, c := range []contact.Contact{team, other, nobody, mgrs} {
				_, err := contacts.ByID(ctx, c.ID)
				visible := slices.Contains(tc.sees, c.ID)
				if visible && err != nil {
					t.Errorf("%s opens %s: %v", tc.who.Role, c.FirstName, err)
				}
				if !visible && (!errors.Is(err, apperr.ErrNotFound) || !errors.Is(err, access.ErrOutOfScope)) {
					t.Errorf("%s opens %s: err = %v, want a not-found out of scope", tc.who.Role, c.FirstName, err)
				}
				if !visible {
					if _, err := contacts.Update(ctx, c.ID, contact.Input{JobTitle: fixture.Ptr("x")}); !errors.Is(err, apperr.ErrNotFound) {
						t.Errorf("%s updates hidden %s: err = %v, want not found", tc.who.Role, c.FirstName, err)
					}
				}
			}
			actor := tc.who.Actor()
			groups, err := search.Query(ctx, d.R, d.Engine, "zyxwv", search.Options{Kinds: []string{search.KindContact}, Limit: 50, Reader: &actor})
			if err != nil {
				t.Fatal(err)
			}
			got = nil
			for _, g := range groups {
				for _, h := range g.Hits {
					got = append(got, h.ID)
				}
			}
			if !sameSet(got, tc.sees) {
				t.Errorf("%s searching finds %v, want %v", tc.who.Role, got, tc.sees)
			}
			entries, _, err := acts.Timeline(ctx, activity.TimelineQuery{CompanyID: acme.ID, Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.ContactID != "" && !slices.Contains(tc.sees, e.ContactID) {
					t.Errorf("%s sees %s of a hidden contact on the company timeline", tc.who.Role, e.EventKind)
				}
			}
		}
	})
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
