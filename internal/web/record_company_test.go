package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
)

func (rs *recSite) countCompanies(t *testing.T) int {
	t.Helper()
	n, _, err := rs.companies.Count(rs.ctx, query.Group{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCompanyPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		for _, f := range []customfield.Field{
			{Object: "company", Label: "Employees", Type: customfield.Number},
			{Object: "company", Label: "Tier", Type: customfield.Select, Options: []string{"Gold", "Silver"}},
			{Object: "company", Label: "Support phone", Type: customfield.Phone},
			{Object: "company", Label: "Billing email", Type: customfield.Email},
		} {
			if _, err := rs.fields.Create(rs.ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		rs.get("/companies/new").expect(t, 200, "", "New company", `name="domain"`, `name="custom.tier"`, `type="tel"`, `type="email"`, "1-10 people")
		good := url.Values{"name": {"Analytical Engines"}, "domain": {"https://www.Engines.example/about"}, "industry": {"Computing"},
			"size": {"11-50"}, "owner_id": {rs.olga.ID}, "tags": {"Partner"}, "address.city": {"London"},
			"custom.employees": {"42"}, "custom.tier": {"gold"}, "custom.support_phone": {"+49 30 901820"}, "custom.billing_email": {"bills@engines.example"}}
		mid := recID(t, rs.post("/companies", good), "/companies/")
		rs.get("/companies/"+mid).expect(t, 200, "", "Company created.", "Analytical Engines", `href="https://engines.example"`,
			"Computing", "11-50 people", "Partner", "London", "Gold", `href="tel:&#43;4930901820"`, `href="mailto:bills@engines.example"`,
			"created this company", "Nobody here yet")

		invalid := []struct{ name, field, value, msg string }{
			{"bad domain", "domain", "not a domain", "Enter a web domain like example.com."},
			{"bad size", "size", "huge", "Choose one of: 1-10"},
			{"no name", "name", " ", "Enter the company&#39;s name."},
			{"custom number", "custom.employees", "many", "Enter a number"},
			{"custom phone", "custom.support_phone", "12", "Enter a phone number with its country code"},
			{"custom email", "custom.billing_email", "bills@", "Enter an email address like name@example.com."},
			{"unknown owner", "owner_id", id.New(), "There is no user with this id."},
		}
		for _, c := range invalid {
			t.Run(c.name, func(t *testing.T) {
				before := rs.countCompanies(t)
				form := recWith(good, c.field, c.value, "domain", "other.example")
				if c.field == "domain" {
					form.Set("domain", c.value)
				}
				r := rs.post("/companies", form)
				r.expect(t, 422, "", c.msg, "Nothing was saved")
				if c.field != "owner_id" && c.field != "size" && !strings.Contains(r.body, `value="`+recEscape(c.value)+`"`) {
					t.Errorf("typed %q not kept", c.value)
				}
				if rs.countCompanies(t) != before {
					t.Error("invalid company saved")
				}
			})
		}

		// The same domain again is a conflict, shown beside the domain.
		r := rs.post("/companies", recWith(good, "name", "Copycat", "domain", "engines.example"))
		r.expect(t, 409, "", "Another company already has this domain.", `id="domain-error"`, `value="Copycat"`)

		rs.get("/companies/"+mid+"/edit").expect(t, 200, "", `value="Analytical Engines"`, `value="engines.example"`, `<option value="Gold" selected>`, `value="42"`)
		upd := recWith(good, "name", "Difference Engines", "size", "", "custom.tier", "")
		rs.post("/companies/"+mid, upd).expect(t, 303, "/companies/"+mid)
		rs.get("/companies/"+mid).expect(t, 200, "", "Changes saved.", "Difference Engines",
			"changed 3 fields", "Name from &#34;Analytical Engines&#34; to &#34;Difference Engines&#34;")
		m, _ := rs.companies.ByID(rs.ctx, mid)
		if m.Name != "Difference Engines" || m.Size != "" || m.Custom["tier"] != nil {
			t.Errorf("after update %+v", m)
		}

		rs.post("/companies/"+mid+"/delete", nil).expect(t, 303, "/companies")
		rs.get("/companies/"+mid).expect(t, 404, "")
	})
}

func TestContactCompanies(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		mk := func(name string) company.Company {
			m, err := rs.companies.Create(rs.ctx, company.Input{Name: &name})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		acme, globex := mk("Acme"), mk("Globex")
		mk("Twin")
		mk("twin")

		// Suggestions while typing, escaped, by prefix.
		sug := rs.get("/suggest/companies?company_name=gl")
		sug.expect(t, 200, "", `data-company-id="`+globex.ID+`"`, `data-company-name="Globex"`)
		if strings.Contains(sug.body, "Acme") || strings.Contains(sug.body, "<html") {
			t.Errorf("suggestions %q", sug.body)
		}
		rs.get("/suggest/companies?company_name=zzz").expect(t, 200, "", "No company starts with “zzz”.")

		// One picked by id, one typed by name (no JavaScript): both linked, the first primary.
		cid := recID(t, rs.post("/contacts", url.Values{"first_name": {"Wile"}, "company_id": {globex.ID, ""}, "company_name": {"Globex", "acme"}}), "/contacts/")
		c, _ := rs.contacts.ByID(rs.ctx, cid)
		if len(c.Companies) != 2 || c.Companies[0].ID != globex.ID || c.Companies[1].ID != acme.ID {
			t.Fatalf("companies %+v", c.Companies)
		}
		rs.get("/contacts/"+cid).expect(t, 200, "", `<p class="record-sub"><a href="/companies/`+globex.ID+`">Globex</a>`, `<a href="/companies/`+acme.ID+`">Acme</a>`)
		rs.get("/companies/"+globex.ID).expect(t, 200, "", `<a href="/contacts/`+cid+`">Wile</a>`, "People")

		for _, c := range []struct{ name, typed, msg string }{
			{"unknown", "Initech", "There is no company called &#34;Initech&#34;"},
			{"ambiguous", "TWIN", "Several companies are called &#34;TWIN&#34;"},
		} {
			t.Run(c.name, func(t *testing.T) {
				before := rs.countContacts(t)
				r := rs.post("/contacts", url.Values{"first_name": {"Road"}, "company_id": {globex.ID, ""}, "company_name": {"Globex", c.typed}})
				r.expect(t, 422, "", c.msg, `id="company-1-error"`, `value="`+c.typed+`"`, `value="`+globex.ID+`"`)
				if rs.countContacts(t) != before {
					t.Error("saved")
				}
			})
		}
		rs.post("/contacts", url.Values{"first_name": {"Road"}, "company_id": {id.New()}, "company_name": {"Ghost"}}).
			expect(t, 422, "", "There is no company with this id.")
	})
}

func TestTagSuggestions(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	rs := recordSite(t, d)
	rs.contact(t, contact.Input{FirstName: fixture.Ptr("Ada"), Tags: &[]string{"VIP", "Vegan", "Newsletter", "<i>x</i>"}})
	r := rs.get("/suggest/tags?tags=" + url.QueryEscape("VIP, v"))
	r.expect(t, 200, "", `data-tag="Vegan"`)
	if strings.Contains(r.body, `data-tag="VIP"`) || strings.Contains(r.body, "Newsletter") {
		t.Errorf("suggestions %q", r.body)
	}
	r = rs.get("/suggest/tags?tags=" + url.QueryEscape("<"))
	r.expect(t, 200, "", "&lt;i&gt;x&lt;/i&gt;")
	if strings.Contains(r.body, "<i>") {
		t.Error("tag rendered as HTML")
	}
}
