package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/user"
)

// signInAs adds a user with role and returns a client signed in as them
// on the same server.
func (rs *recSite) signInAs(t *testing.T, role string) *site {
	t.Helper()
	email := role + "@example.com"
	if _, err := rs.users.Create(rs.ctx, rs.olga.ID, user.NewUser{Email: email, Name: "Mo " + role, Role: role, Password: "a long enough secret"}); err != nil {
		t.Fatal(err)
	}
	s := &site{t: t, db: rs.db, srv: rs.srv, client: newClient()}
	s.post("/login", url.Values{"email": {email}, "password": {"a long enough secret"}}).expect(t, 303, "/")
	return s
}

func (rs *recSite) fieldsOf(t *testing.T, object string) []customfield.Field {
	t.Helper()
	defs, err := rs.fields.List(rs.ctx, object)
	if err != nil {
		t.Fatal(err)
	}
	return defs
}

func TestSettingsFields(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		rs.get("/settings").expect(t, 200, "", `href="/settings/fields"`, `href="/settings/general"`, "United States (US)")
		rs.get("/settings/fields").expect(t, 200, "", "Contact fields", "Company fields", "No contact fields yet",
			`href="/settings/fields/new?object=company"`)
		rs.get("/settings/fields/new?object=company").expect(t, 200, "", "New company field", `name="object" value="company"`, "Multi-select")

		good := []struct {
			name string
			form url.Values
			key  string
		}{
			{"text", url.Values{"object": {"contact"}, "label": {"Favourite drink"}, "type": {"text"}}, "favourite_drink"},
			{"select", url.Values{"object": {"contact"}, "label": {"Plan"}, "key": {"plan"}, "type": {"select"}, "options": {"Free\r\nPro\n\nPro"},
				"required": {"1"}, "filterable": {"1"}}, "plan"},
			{"currency", url.Values{"object": {"company"}, "label": {"Annual revenue (€)"}, "type": {"currency"}, "currency": {"eur"}}, "annual_revenue"},
		}
		for _, g := range good {
			t.Run(g.name, func(t *testing.T) {
				rs.post("/settings/fields", g.form).expect(t, 303, "/settings/fields#"+g.form.Get("object")+"-fields")
			})
		}
		list := rs.get("/settings/fields")
		list.expect(t, 200, "", "Field “Annual revenue (€)” added to companies.", "<code>favourite_drink</code>", "Select · required · filterable · Free, Pro",
			"Currency (EUR)")
		plan := rs.fieldsOf(t, "contact")[1]
		if plan.Key != "plan" || len(plan.Options) != 2 || !plan.Required || !plan.Filterable {
			t.Fatalf("plan field %+v", plan)
		}
		// The new field is on the contact form, required.
		rs.get("/contacts/new").expect(t, 200, "", `Plan <span class="required">(required)</span>`, `<option value="Pro">Pro</option>`)

		invalid := []struct {
			name  string
			form  url.Values
			field string
			msg   string
		}{
			{"no label", url.Values{"object": {"contact"}, "label": {""}, "type": {"text"}}, "label", "Enter a label."},
			{"no options", url.Values{"object": {"contact"}, "label": {"Colour"}, "type": {"select"}}, "options", "Add at least one option."},
			{"bad currency", url.Values{"object": {"company"}, "label": {"Price"}, "type": {"currency"}, "currency": {"EURO"}}, "currency", "Enter a three-letter currency code"},
			{"bad key", url.Values{"object": {"contact"}, "label": {"Odd"}, "key": {"1 Bad Key"}, "type": {"text"}}, "key", "Use lowercase letters"},
			{"taken key", url.Values{"object": {"contact"}, "label": {"Plan again"}, "key": {"plan"}, "type": {"text"}}, "key", "Another contact field already uses this key."},
			{"bad type", url.Values{"object": {"contact"}, "label": {"Odd"}, "type": {"blob"}}, "type", "Choose a field type."},
		}
		for _, c := range invalid {
			t.Run(c.name, func(t *testing.T) {
				r := rs.post("/settings/fields", c.form)
				r.expect(t, 422, "", c.msg, `id="`+c.field+`-error"`)
				if l := c.form.Get("label"); l != "" && !strings.Contains(r.body, `value="`+l+`"`) {
					t.Error("label not kept")
				}
			})
		}
		if n := len(rs.fieldsOf(t, "contact")) + len(rs.fieldsOf(t, "company")); n != 3 {
			t.Errorf("%d fields after invalid posts, want 3", n)
		}

		rs.get("/settings/fields/"+plan.ID).expect(t, 200, "", "Edit contact field", `value="Plan"`, "<code>plan</code>", "Free\nPro</textarea>")
		rs.post("/settings/fields/"+plan.ID, url.Values{"label": {""}, "options": {"Free"}}).expect(t, 422, "", "Enter a label.")
		rs.post("/settings/fields/"+plan.ID, url.Values{"label": {"Plan"}, "options": {""}}).expect(t, 422, "", "Add at least one option.")
		rs.post("/settings/fields/"+plan.ID, url.Values{"label": {"Subscription"}, "options": {"Free\nPro\nEnterprise"}}).
			expect(t, 303, "/settings/fields#contact-fields")
		if f, _ := rs.fields.ByID(rs.ctx, plan.ID); f.Label != "Subscription" || len(f.Options) != 3 || f.Required || f.Filterable {
			t.Errorf("after edit %+v", f)
		}

		rs.get("/settings/fields/"+plan.ID+"/delete").expect(t, 200, "", "Delete the field “Subscription”?", "<code>plan</code>")
		rs.post("/settings/fields/"+plan.ID+"/delete", nil).expect(t, 303, "/settings/fields#contact-fields")
		rs.get("/settings/fields").expect(t, 200, "", "Field “Subscription” deleted.")
		if n := len(rs.fieldsOf(t, "contact")); n != 1 {
			t.Errorf("%d contact fields after delete, want 1", n)
		}
	})
}

func TestSettingsRefusedToMembers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		f, err := rs.fields.Create(rs.ctx, customfield.Field{Object: "contact", Label: "Plan", Type: customfield.Text})
		if err != nil {
			t.Fatal(err)
		}
		member := rs.signInAs(t, "member")
		list := member.get("/settings/fields")
		list.expect(t, 200, "", "Plan", "Only owners and admins can add or change fields.")
		if strings.Contains(list.body, "/settings/fields/new") || strings.Contains(list.body, "/settings/fields/"+f.ID) {
			t.Error("member sees edit links")
		}
		member.get("/settings").expect(t, 200, "", "only owners and admins can change them")
		member.get("/settings/general").expect(t, 200, "", "Only owners and admins can change this.")
		for _, c := range []struct {
			method, path string
			form         url.Values
		}{
			{"GET", "/settings/fields/new", nil},
			{"POST", "/settings/fields", url.Values{"object": {"contact"}, "label": {"Sneaky"}, "type": {"text"}}},
			{"GET", "/settings/fields/" + f.ID, nil},
			{"POST", "/settings/fields/" + f.ID, url.Values{"label": {"Sneaky"}}},
			{"GET", "/settings/fields/" + f.ID + "/delete", nil},
			{"POST", "/settings/fields/" + f.ID + "/delete", nil},
			{"POST", "/settings/general", url.Values{"phone_region": {"DE"}}},
		} {
			member.do(member.client, c.method, c.path, c.form, nil).expect(t, 403, "", "Not allowed")
		}
		defs := rs.fieldsOf(t, "contact")
		if len(defs) != 1 || defs[0].Label != "Plan" {
			t.Errorf("fields changed by a member: %+v", defs)
		}
		if region, _ := setting.Region(rs.ctx, d.R); region != "US" {
			t.Errorf("region changed by a member to %s", region)
		}

		// Viewers may read records but not create them.
		viewer := rs.signInAs(t, "viewer")
		viewer.get("/contacts/new").expect(t, 403, "")
		viewer.post("/contacts", url.Values{"first_name": {"Eve"}}).expect(t, 403, "")
		if rs.countContacts(t) != 0 {
			t.Error("viewer created a contact")
		}
		c, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Ada")})
		if err != nil {
			t.Fatal(err)
		}
		a, err := rs.activities.Create(rs.ctx, activity.Input{Kind: fixture.Ptr("note"), ContactID: &c.ID, Body: fixture.Ptr("Pinned for all"), Pinned: fixture.Ptr(true)})
		if err != nil {
			t.Fatal(err)
		}
		page := viewer.get("/contacts/" + c.ID)
		page.expect(t, 200, "", "Pinned for all")
		for _, hidden := range []string{`id="log-activity"`, "/contacts/" + c.ID + "/edit", "/activities/" + a.ID, "Unpin"} {
			if strings.Contains(page.body, hidden) {
				t.Errorf("viewer sees %s", hidden)
			}
		}
		viewer.post("/contacts/"+c.ID+"/activities", url.Values{"kind": {"note"}, "body": {"x"}}).expect(t, 403, "")
		viewer.post("/activities/"+a.ID+"/pin", url.Values{"pinned": {"0"}}).expect(t, 403, "")
		viewer.post("/contacts/"+c.ID+"/delete", nil).expect(t, 403, "")
		if rs.timelineCount(t, c.ID) != 2 {
			t.Error("viewer changed the timeline")
		}
	})
}

func TestSettingsGeneral(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		rs.get("/settings/general").expect(t, 200, "", "Default phone region", `<option value="US" selected>United States (US)</option>`, "Germany (DE)")
		rs.post("/settings/general", url.Values{"phone_region": {"XX"}}).expect(t, 422, "", "Choose a region from the list.", `aria-invalid="true"`)
		rs.post("/settings/general", url.Values{"phone_region": {""}}).expect(t, 422, "", "Choose a region from the list.")
		rs.post("/settings/general", url.Values{"phone_region": {"de"}}).expect(t, 303, "/settings/general")
		rs.get("/settings/general").expect(t, 200, "", "Default phone region set to Germany.", `<option value="DE" selected>`)
		if region, _ := setting.Region(rs.ctx, d.R); region != "DE" {
			t.Fatalf("region %s, want DE", region)
		}
		// A number typed without a country code is now German.
		cid := recID(t, rs.post("/contacts", url.Values{"first_name": {"Karl"}, "phone": {"030 901820"}}), "/contacts/")
		c, err := rs.contacts.ByID(rs.ctx, cid)
		if err != nil || len(c.Phones) != 1 || c.Phones[0].E164 != "+4930901820" || c.Phones[0].Original != "030 901820" {
			t.Fatalf("phones %+v, %v", c.Phones, err)
		}
		rs.get("/contacts/"+cid).expect(t, 200, "", "&#43;49 30 901820", `title="Typed as 030 901820"`)
	})
}
