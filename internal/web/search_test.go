package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// searchData gives web tests the services and a context acting as an admin,
// so they can set up data the signed-in owner then looks at.
type searchData struct {
	t         *testing.T
	ctx       context.Context
	contacts  *contact.Service
	companies *company.Service
	fields    *customfield.Service
}

func newSearchData(t *testing.T, d *db.DB) searchData {
	ctx, _ := fixture.User(t, d, "admin")
	users := user.NewService(d)
	return searchData{t: t, ctx: ctx, contacts: contact.NewService(d, users), companies: company.NewService(d, users),
		fields: customfield.NewService(d)}
}

func (rs searchData) contact(in contact.Input) contact.Contact {
	rs.t.Helper()
	c, err := rs.contacts.Create(rs.ctx, in)
	if err != nil {
		rs.t.Fatalf("create contact: %v", err)
	}
	return c
}

func (rs searchData) company(name, domain string) company.Company {
	rs.t.Helper()
	c, err := rs.companies.Create(rs.ctx, company.Input{Name: &name, Domain: &domain})
	if err != nil {
		rs.t.Fatalf("create company %s: %v", name, err)
	}
	return c
}

var searchStr = fixture.Ptr[string]

func TestSearch(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		rs := newSearchData(t, d)
		acme := rs.company("Acme Ltd", "acme.example")
		ada := rs.contact(contact.Input{FirstName: searchStr("Ada"), LastName: searchStr("Lovelace"),
			Emails: &[]contact.Email{{Address: "countess@analytical.example"}},
			Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958"}}, CompanyIDs: &[]string{acme.ID}})
		evil := rs.contact(contact.Input{FirstName: searchStr("<script>alert(1)</script>"), LastName: searchStr("Evil")})

		cases := []struct {
			name     string
			q        string
			contains []string
			lacks    []string
		}{
			{"prefix", "lov", []string{"/contacts/" + ada.ID, "Ada <mark>Lov</mark>elace", "Contacts"}, []string{"/companies/"}},
			{"two prefixes", "ad lo", []string{"<mark>Ad</mark>a <mark>Lo</mark>velace"}, nil},
			{"email part", "analytical", []string{"/contacts/" + ada.ID, "countess@analytical.example"}, nil},
			{"phone", "+44 20 7946", []string{"/contacts/" + ada.ID}, nil},
			{"national phone", "020 7946", []string{"/contacts/" + ada.ID}, nil},
			{"domain", "acme.example", []string{"/companies/" + acme.ID, "Companies", "<mark>Acme</mark> Ltd"}, nil},
			{"both kinds", "acme", []string{"/companies/" + acme.ID, "/contacts/" + ada.ID, "Contacts", "Companies"}, nil},
			{"empty", "", []string{"Type a name, email address, phone number or web domain."}, []string{"/contacts/"}},
			{"blank", "   ", []string{"Type a name, email address"}, nil},
			{"no match", "zebra", []string{"No contacts or companies match “zebra”."}, nil},
			{"quote and star", `"*`, []string{"No contacts or companies match “&#34;*”."}, nil},
			{"operators", `ada OR NOT -lovelace:* NEAR(`, []string{"No contacts or companies match"}, nil},
			{"script query", "<script>alert(1)</script>", []string{"&lt;script&gt;alert(1)&lt;/script&gt;"}, []string{"<script>alert"}},
			{"script title", "evil", []string{"/contacts/" + evil.ID, "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Evil</mark>"},
				[]string{"<script>alert"}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				path := "/search?" + url.Values{"q": {tc.q}}.Encode()
				page := s.get(path)
				page.expect(t, 200, "", append([]string{"<!doctype html>", `name="q"`}, tc.contains...)...)
				palette := s.do(s.client, "GET", path, nil, map[string]string{"HX-Request": "true", "HX-Target": "palette-results"})
				palette.expect(t, 200, "", tc.contains...)
				if strings.Contains(palette.body, "<html") || strings.Contains(palette.body, `id="main"`) {
					t.Errorf("palette answer is a whole page: %.200s", palette.body)
				}
				for _, r := range []response{page, palette} {
					for _, l := range tc.lacks {
						if strings.Contains(r.body, l) {
							t.Errorf("body has %q: %.600s", l, r.body)
						}
					}
				}
				if strings.Contains(palette.body, "/contacts/") && !strings.Contains(palette.body, `role="option"`) {
					t.Errorf("palette hits are not listbox options: %.400s", palette.body)
				}
			})
		}

		// The palette shows at most five hits per kind; the page more.
		for i := range 7 {
			rs.contact(contact.Input{FirstName: searchStr("Zed"), LastName: searchStr(strings.Repeat("x", i+1))})
		}
		palette := s.do(s.client, "GET", "/search?q=zed", nil, map[string]string{"HX-Request": "true", "HX-Target": "palette-results"})
		if n := strings.Count(palette.body, `role="option"`); n != 5 {
			t.Errorf("palette shows %d hits, want 5", n)
		}
		if n := strings.Count(s.get("/search?q=zed").body, `class="search-hit"`); n != 7 {
			t.Errorf("search page shows %d hits, want 7", n)
		}

		// The top bar links to the search page; the palette is on every page.
		home := s.get("/")
		home.expect(t, 200, "", `href="/search"`, `data-palette-open`, `<dialog id="palette"`, `hx-get="/search"`, `hx-sync="this:replace"`)
	})
}

func TestSearchNeedsSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		anon := newClient()
		s.do(anon, "GET", "/search?q=ada", nil, nil).expect(t, 303, "/login?next=%2Fsearch%3Fq%3Dada")
		r := s.do(anon, "GET", "/search?q=ada", nil, map[string]string{"HX-Request": "true", "HX-Target": "palette-results"})
		r.expect(t, 401, "")
		if got := r.header.Get("HX-Redirect"); got != "/login?next=%2Fsearch%3Fq%3Dada" {
			t.Errorf("HX-Redirect = %q", got)
		}
		s.do(anon, "GET", "/login", nil, nil).expect(t, 200, "")
		if strings.Contains(s.do(anon, "GET", "/login", nil, nil).body, `id="palette"`) {
			t.Error("the sign-in page has the search palette")
		}
	})
}
