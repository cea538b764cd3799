package api

import (
	"encoding/csv"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// TestExportContacts exports through the API; every exchange is checked
// against the OpenAPI document.
func TestExportContacts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		if _, err := e.fields.Create(e.ctx, customfield.Field{Object: "contact", Key: "plan", Label: "Plan",
			Type: customfield.Select, Options: []string{"Free", "Pro"}}); err != nil {
			t.Fatal(err)
		}
		for _, in := range []contact.Input{
			{FirstName: fixture.Ptr("Ada"), Stage: fixture.Ptr("customer"), Custom: map[string]any{"plan": "Pro"},
				Emails: &[]contact.Email{{Address: "ada@example.com"}, {Address: "ada@home.example"}}},
			{FirstName: fixture.Ptr("@Bob"), Stage: fixture.Ptr("customer")},
			{FirstName: fixture.Ptr("Cy"), Stage: fixture.Ptr("lead")},
		} {
			if _, err := e.contacts.Create(e.ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		o := e.owned()
		q := url.Values{"lifecycle_stage": {"customer"}, "sort": {"name"}, "columns": {"name,email,cf.plan"}}
		r := o.get(t, "/api/v1/contacts/export?"+q.Encode()).expect(t, 200)
		if ct := r.header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
			t.Errorf("Content-Type %q", ct)
		}
		if !strings.HasPrefix(r.header.Get("Content-Disposition"), `attachment; filename="contacts-`) {
			t.Errorf("Content-Disposition %q", r.header.Get("Content-Disposition"))
		}
		recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := "Name,Email,Plan|'@Bob,,|Ada,\"ada@example.com, ada@home.example\",Pro"
		var got []string
		for _, rec := range recs {
			var b strings.Builder
			w := csv.NewWriter(&b)
			w.Write(rec)
			w.Flush()
			got = append(got, strings.TrimSuffix(b.String(), "\n"))
		}
		if strings.Join(got, "|") != want {
			t.Errorf("csv %q\nwant %q", strings.Join(got, "|"), want)
		}
		r = o.get(t, "/api/v1/contacts/export?format=vcard&version=4.0&bom=1").expect(t, 200)
		if r.header.Get("Content-Type") != "text/vcard; charset=utf-8" || strings.Count(string(r.body), "BEGIN:VCARD") != 3 ||
			!strings.Contains(string(r.body), "VERSION:4.0") {
			t.Errorf("vcard %v: %s", r.header, r.body)
		}
		o.get(t, "/api/v1/companies/export").expect(t, 200)
		// Bad requests name what is wrong.
		o.get(t, "/api/v1/contacts/export?columns=name,secret").expect(t, 422, "columns")
		o.get(t, "/api/v1/contacts/export?lifecycle_stage=nope").expect(t, 422, "lifecycle_stage")
		o.get(t, "/api/v1/contacts/export?nope=1").expect(t, 422, "nope")
		o.get(t, "/api/v1/companies/export?format=vcard").expect(t, 422, "format")
		// A member has no export right: 403, and the attempt is audited.
		e.user("member").get(t, "/api/v1/contacts/export").expect(t, 403)
		var denied int
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'access.denied' AND object_id = 'GET /api/v1/contacts/export'`).Scan(&denied)
		if denied != 1 {
			t.Errorf("%d refusals audited, want 1", denied)
		}
		var exported int
		d.R.QueryRow(`SELECT COUNT(*) FROM audit_log WHERE action = 'contact.exported'`).Scan(&exported)
		if exported != 2 {
			t.Errorf("%d exports audited, want 2", exported)
		}
	})
}
