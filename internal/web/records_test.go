package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/query"
	"github.com/rapportcrm/rapport/internal/user"
)

// records is a signed-in site plus the services, acting as its owner Olga,
// to set up records and to check what the pages saved.
type recSite struct {
	*site
	ctx        context.Context
	olga       user.User
	users      *user.Service
	contacts   *contact.Service
	companies  *company.Service
	activities *activity.Service
	fields     *customfield.Service
}

func recordSite(t *testing.T, d *db.DB) *recSite {
	t.Helper()
	s := signedIn(t, d)
	rs := recServices(t, d)
	rs.site = s
	return rs
}

// recServices returns the services acting as the owner, who must exist.
func recServices(t *testing.T, d *db.DB) *recSite {
	t.Helper()
	users := user.NewService(d)
	list, err := users.List(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("users: %v, %v", list, err)
	}
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	return &recSite{ctx: fixture.As(list[0]), olga: list[0], users: users, contacts: contacts,
		companies: companies, activities: activity.NewService(d, contacts, companies), fields: customfield.NewService(d)}
}

// contactFields defines the custom fields the contact scenarios use.
func (rs *recSite) contactFields(t *testing.T) {
	t.Helper()
	for _, f := range []customfield.Field{
		{Object: "contact", Label: "Plan", Type: customfield.Select, Options: []string{"Free", "Pro"}},
		{Object: "contact", Label: "Seats", Type: customfield.Number},
		{Object: "contact", Label: "Renewal", Type: customfield.Date},
		{Object: "contact", Label: "Website", Type: customfield.URL},
		{Object: "contact", Label: "Budget", Type: customfield.Currency, Currency: "EUR"},
		{Object: "contact", Label: "Colours", Type: customfield.MultiSelect, Options: []string{"Red", "Blue"}},
		{Object: "contact", Label: "Newsletter", Type: customfield.Bool},
		{Object: "contact", Label: "Bio", Type: customfield.LongText},
	} {
		if _, err := rs.fields.Create(rs.ctx, f); err != nil {
			t.Fatalf("field %s: %v", f.Label, err)
		}
	}
}

func (rs *recSite) countContacts(t *testing.T) int {
	t.Helper()
	n, _, err := rs.contacts.Count(rs.ctx, query.Group{}, 0)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// idFrom reads the record id from a redirect to its page.
func recID(t *testing.T, r response, prefix string) string {
	t.Helper()
	loc := r.header.Get("Location")
	if r.status != 303 || !strings.HasPrefix(loc, prefix) {
		t.Fatalf("status %d Location %q, want 303 to %s...; body %.300s", r.status, loc, prefix, r.body)
	}
	return strings.TrimPrefix(loc, prefix)
}

// with returns a copy of base with the given fields replaced.
func recWith(base url.Values, kv ...string) url.Values {
	out := url.Values{}
	for k, v := range base {
		out[k] = append([]string(nil), v...)
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out.Set(kv[i], kv[i+1])
	}
	return out
}

func recContact(owner string) url.Values {
	return url.Values{
		"first_name": {"Ada"}, "last_name": {"Lovelace"},
		"email": {"ada@example.com", "ada.l@example.org", ""}, "email_label": {"work", "home", ""},
		"phone": {"+44 20 7946 0958", ""}, "phone_label": {"office", ""},
		"job_title": {"Analyst"}, "birthday": {"1815-12-10"}, "source": {"Referral"},
		"lifecycle_stage": {"customer"}, "owner_id": {owner}, "tags": {"VIP, Math"},
		"address.street": {"12 St James's Square"}, "address.city": {"London"}, "address.country": {"UK"},
		"custom.plan": {"Pro"}, "custom.seats": {"12"}, "custom.renewal": {"2030-01-31"},
		"custom.website": {"ada.example.com"}, "custom.budget": {"1250.50"}, "custom.colours": {"Red", "Blue"},
		"custom.newsletter": {"yes"}, "custom.bio": {"First programmer.\nPoet of science."},
	}
}

func TestContactCreate(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		rs.contactFields(t)
		rs.get("/contacts/new").expect(t, 200, "", "New contact", `name="first_name"`, `name="custom.plan"`,
			`name="custom.colours"`, `<textarea id="custom-bio"`, `type="date"`, "EUR", `value="`+rs.olga.ID+`" selected`)

		good := recContact(rs.olga.ID)
		cid := recID(t, rs.post("/contacts", good), "/contacts/")
		page := rs.get("/contacts/" + cid)
		page.expect(t, 200, "", "Contact created.", "Ada Lovelace", `href="mailto:ada@example.com"`,
			`href="tel:&#43;442079460958"`, "&#43;44 20 7946 0958", "Customer", "Olga Owner", "VIP", "Math",
			"ada.l@example.org", "London", "Pro", "€1,250.50", "Red, Blue", "https://ada.example.com",
			"31 Jan 2030", "10 Dec 1815", "First programmer.", "created this contact", "No activity yet — log a call or write a note")
		c, err := rs.contacts.ByID(rs.ctx, cid)
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Emails) != 2 || c.Emails[1].Label != "home" || c.Phones[0].Original != "+44 20 7946 0958" ||
			c.Custom["seats"] != float64(12) || c.Custom["newsletter"] != true || c.OwnerID != rs.olga.ID {
			t.Errorf("saved %+v", c)
		}

		invalid := []struct {
			name, field, value, msg string
		}{
			{"bad email", "email", "ada@", `"ada@" is not an email address`},
			{"bad phone", "phone", "12", `"12" is not a phone number`},
			{"bad phone with its country code", "phone", "+972 52 123 4567", `"+972 52 123 4567" is not a phone number in use for its country code; check the digits.`},
			{"bad birthday", "birthday", "10/12/1815", "Enter the birthday as YYYY-MM-DD."},
			{"future birthday", "birthday", "2999-01-01", "The birthday cannot be in the future."},
			{"custom number", "custom.seats", "a dozen", "Enter a number"},
			{"custom select", "custom.plan", "Gold", "Choose one of: Free, Pro."},
			{"custom date", "custom.renewal", "31.01.2030", "Enter a date as YYYY-MM-DD."},
			{"custom url", "custom.website", "not a url", "Enter a web address"},
			{"custom currency", "custom.budget", "1.234", "Use at most 2 decimal places for EUR."},
			{"unknown owner", "owner_id", id.New(), "There is no user with this id."},
			{"malformed owner", "owner_id", "nobody", "Choose an owner from the list of users."},
			{"no name", "first_name", "", "Enter a first or last name."},
		}
		for _, c := range invalid {
			t.Run(c.name, func(t *testing.T) {
				before := rs.countContacts(t)
				form := recWith(good, c.field, c.value, "email", "other@example.com")
				if c.field == "email" {
					form.Set("email", c.value)
				}
				if c.field == "first_name" {
					form.Set("last_name", "")
				}
				r := rs.post("/contacts", form)
				r.expect(t, 422, "", recEscape(c.msg), "Nothing was saved", `aria-invalid="true"`)
				if c.field != "owner_id" && !strings.Contains(r.body, `value="`+recEscape(c.value)+`"`) &&
					!strings.Contains(r.body, ">"+recEscape(c.value)+"<") {
					t.Errorf("typed value %q not kept in the form", c.value)
				}
				if !strings.Contains(r.body, `value="Lovelace"`) && c.field != "first_name" {
					t.Error("other input not kept")
				}
				if n := rs.countContacts(t); n != before {
					t.Errorf("%d contacts after invalid post, want %d", n, before)
				}
			})
		}
	})
}

// htmlEscape escapes like html/template does for the values used here.
func recEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;", "+", "&#43;").Replace(s)
}

func TestContactUpdateAndDelete(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		rs.contactFields(t)
		cid := recID(t, rs.post("/contacts", recContact(rs.olga.ID)), "/contacts/")
		edit := rs.get("/contacts/" + cid + "/edit")
		edit.expect(t, 200, "", "Edit contact", `value="Ada"`, `value="ada@example.com"`, `value="&#43;44 20 7946 0958"`,
			"Stored as &#43;44 20 7946 0958", `value="Math, VIP"`, `value="1250.50"`, `value="Red" checked`,
			`<option value="yes" selected>`, `<option value="Pro" selected>`)

		form := recContact(rs.olga.ID)
		form.Set("last_name", "King")
		form["email"] = []string{"ada.l@example.org", "ada@example.com"}
		form["email_label"] = []string{"home", "work"}
		form.Set("owner_id", "")
		form.Set("tags", "VIP")
		form.Set("custom.plan", "")
		delete(form, "custom.colours")
		rs.post("/contacts/"+cid, form).expect(t, 303, "/contacts/"+cid)
		page := rs.get("/contacts/" + cid)
		page.expect(t, 200, "", "Changes saved.", "Ada King", `href="mailto:ada.l@example.org"`,
			`changed 4 fields`, `Last name from &#34;Lovelace&#34; to &#34;King&#34;`,
			"Owner changed from Olga Owner to nobody", "removed the tag Math")
		c, _ := rs.contacts.ByID(rs.ctx, cid)
		if c.PrimaryEmail() != "ada.l@example.org" || c.OwnerID != "" || len(c.Tags) != 1 || c.Custom["plan"] != nil || c.Custom["colours"] != nil {
			t.Errorf("after update: %+v", c)
		}

		// An invalid update changes nothing and keeps the input.
		bad := recWith(form, "last_name", "Byron", "birthday", "tomorrow")
		rs.post("/contacts/"+cid, bad).expect(t, 422, "", "Enter the birthday as YYYY-MM-DD.", `value="Byron"`, `value="tomorrow"`)
		if c, _ := rs.contacts.ByID(rs.ctx, cid); c.LastName != "King" {
			t.Errorf("last name %q after an invalid update", c.LastName)
		}

		rs.post("/contacts/"+cid+"/delete", nil).expect(t, 303, "/contacts")
		rs.get("/contacts/"+cid).expect(t, 404, "", "Page not found")
	})
}

func TestContactDuplicateEmail(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		first := recID(t, rs.post("/contacts", url.Values{"first_name": {"Grace"}, "email": {"grace@example.com"}}), "/contacts/")
		second := recID(t, rs.post("/contacts", url.Values{"first_name": {"Grace"}, "last_name": {"Two"}, "email": {"g2@example.com"}}), "/contacts/")
		before := rs.countContacts(t)
		r := rs.post("/contacts", url.Values{"first_name": {"Copy"}, "email": {"x@example.com", "GRACE@example.com"}})
		r.expect(t, 409, "", "GRACE@example.com belongs to another contact.", `id="email-1-error"`, `value="Copy"`)
		if rs.countContacts(t) != before {
			t.Error("duplicate saved")
		}
		rs.post("/contacts/"+second, url.Values{"first_name": {"Grace"}, "email": {"grace@example.com"}}).
			expect(t, 409, "", "grace@example.com belongs to another contact.", `id="email-0-error"`)
		if c, _ := rs.contacts.ByID(rs.ctx, second); c.PrimaryEmail() != "g2@example.com" {
			t.Errorf("email changed to %q", c.PrimaryEmail())
		}
		// Saving a contact with its own email is fine.
		rs.post("/contacts/"+first, url.Values{"first_name": {"Grace"}, "last_name": {"Hopper"}, "email": {"grace@example.com"}}).
			expect(t, 303, "/contacts/"+first)
	})
}

func TestRecordNotFound(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		for _, rid := range []string{id.New(), "not-an-id", "1%27%20OR%201=1"} {
			for _, c := range []struct{ method, path string }{
				{"GET", "/contacts/%s"}, {"GET", "/contacts/%s/edit"}, {"POST", "/contacts/%s"},
				{"POST", "/contacts/%s/delete"}, {"GET", "/contacts/%s/timeline"}, {"POST", "/contacts/%s/activities"},
				{"GET", "/companies/%s"}, {"GET", "/companies/%s/edit"}, {"POST", "/companies/%s"},
				{"POST", "/companies/%s/delete"}, {"GET", "/companies/%s/timeline"}, {"POST", "/companies/%s/activities"},
				{"GET", "/activities/%s/edit"}, {"POST", "/activities/%s"}, {"POST", "/activities/%s/delete"},
				{"POST", "/activities/%s/pin"}, {"GET", "/settings/fields/%s"}, {"POST", "/settings/fields/%s"},
				{"GET", "/settings/fields/%s/delete"}, {"POST", "/settings/fields/%s/delete"},
			} {
				path := strings.Replace(c.path, "%s", rid, 1)
				var form url.Values
				if c.method == "POST" {
					form = url.Values{"first_name": {"X"}, "name": {"X"}, "kind": {"note"}, "body": {"x"}, "label": {"X"}}
				}
				rs.do(rs.client, c.method, path, form, nil).expect(t, 404, "", "Page not found")
				rs.do(rs.client, c.method, path, form, map[string]string{"HX-Request": "true"}).expect(t, 404, "")
			}
		}
		if rs.countContacts(t) != 0 {
			t.Error("a not-found post created a contact")
		}
	})
}

func TestRecordPagesNeedSignIn(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	rs := recordSite(t, d)
	cid := recID(t, rs.post("/contacts", url.Values{"first_name": {"Ada"}}), "/contacts/")
	anon := newClient()
	for _, p := range []string{"/contacts/new", "/contacts/" + cid, "/companies/new", "/settings", "/settings/fields"} {
		rs.do(anon, "GET", p, nil, nil).expect(t, 303, "/login?next="+url.QueryEscape(p))
	}
	rs.do(anon, "POST", "/contacts", url.Values{"first_name": {"Eve"}}, nil).expect(t, 303, "")
	rs.do(anon, "POST", "/contacts/"+cid+"/delete", nil, nil).expect(t, 303, "")
	if rs.countContacts(t) != 1 {
		t.Error("an anonymous post changed contacts")
	}
}

func TestRecordEscapesInput(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		evil := `<script>alert(1)</script>`
		mid := recID(t, rs.post("/companies", url.Values{"name": {evil + " Ltd"}, "industry": {`"><img src=x onerror=alert(1)>`}}), "/companies/")
		cid := recID(t, rs.post("/contacts", url.Values{"first_name": {evil}, "job_title": {evil},
			"company_id": {mid}, "tags": {"<b>bold</b>"}}), "/contacts/")
		for _, p := range []string{"/contacts/" + cid, "/contacts/" + cid + "/edit", "/companies/" + mid, "/companies/" + mid + "/edit"} {
			r := rs.get(p)
			r.expect(t, 200, "", "&lt;script&gt;alert(1)&lt;/script&gt;")
			if strings.Contains(r.body, "<script>alert") || strings.Contains(r.body, "<img src=x") || strings.Contains(r.body, "<b>bold") {
				t.Errorf("%s renders input as HTML", p)
			}
		}
	})
}
