package web_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// signedInAs returns a client of s signed in as a new user with role.
func signedInAs(t *testing.T, s *site, role string) *http.Client {
	t.Helper()
	_, u := fixture.User(t, s.db, role)
	c := newClient()
	s.do(c, "GET", "/login", nil, nil)
	r := s.do(c, "POST", "/login", url.Values{"email": {u.Email}, "password": {fixture.Password}}, nil)
	if r.status != 303 {
		t.Fatalf("sign in as %s: %d %.300s", role, r.status, r.body)
	}
	return c
}

func TestContactPrivacyPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		ada, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Ada"), LastName: fixture.Ptr("Lovelace"),
			Emails: &[]contact.Email{{Address: "ada@lovelace.example"}}, OwnerID: &rs.olga.ID})
		if err != nil {
			t.Fatal(err)
		}
		base := "/contacts/" + ada.ID
		hx := map[string]string{"HX-Request": "true"}

		rs.get(base).expect(t, 200, "", `hx-get="`+base+`/privacy"`, `href="`+base+`/privacy"`)
		rs.get(base+"/privacy").expect(t, 200, "", "Consent and privacy: Ada Lovelace", "Not recorded", "Email marketing",
			"Export this person", base+"/export.json", "Erase this person")
		panel := rs.do(rs.client, "GET", base+"/privacy", nil, hx)
		panel.expect(t, 200, "", `id="privacy-panel"`, "Change consent")
		if strings.Contains(panel.body, "<html") {
			t.Error("the htmx panel came with the whole page")
		}

		form := url.Values{"channel": {"email_marketing"}, "granted": {"yes"}, "source": {"form"},
			"detail": {"Stand at the fair"}, "return": {base}}
		rs.post(base+"/consent", form).expect(t, 303, base)
		rs.get(base+"/privacy").expect(t, 200, "", "Given", "Web form", "Stand at the fair", "Consent history (1)")

		bad := url.Values{"channel": {"fax"}, "source": {"form"}, "detail": {"kept <as typed>"}}
		r := rs.do(rs.client, "POST", base+"/consent", bad, hx)
		r.expect(t, 422, "", "Choose email marketing, phone or SMS.", "Say whether consent is given or withdrawn.",
			`value="kept &lt;as typed&gt;"`, `aria-invalid="true"`)
		r = rs.do(rs.client, "POST", base+"/consent", url.Values{"channel": {"sms"}, "granted": {"no"},
			"source": {"phone"}, "occurred_at": {"yesterday"}}, hx)
		r.expect(t, 422, "", "Enter the date and time consent was given")
		r = rs.do(rs.client, "POST", base+"/consent", url.Values{"channel": {"sms"}, "granted": {"no"},
			"source": {"phone"}, "occurred_at": {"2024-05-31T14:30"}}, hx)
		r.expect(t, 200, "", "Consent recorded.", "Withdrawn", "Said on the phone", "Consent history (2)")

		rs.get(base+"/timeline").expect(t, 200, "", "recorded consent to email marketing (web form)",
			"withdrew consent to text messages (sms) (said on the phone)")

		x := rs.get(base + "/export.json")
		x.expect(t, 200, "", "ada@lovelace.example", "Stand at the fair", "contact.consent_changed")
		var doc map[string]any
		if err := json.Unmarshal([]byte(x.body), &doc); err != nil || x.header.Get("Content-Type") != "application/json; charset=utf-8" ||
			!strings.HasPrefix(x.header.Get("Content-Disposition"), "attachment") || strings.Contains(x.header.Get("Content-Disposition"), "Lovelace") {
			t.Errorf("JSON export: %v %v", err, x.header)
		}
		h := rs.get(base + "/export.html")
		h.expect(t, 200, "", "Personal data of Ada Lovelace", "Stand at the fair")
		if h.header.Get("Content-Security-Policy") != gdpr.HTMLPolicy || h.header.Get("Content-Disposition") != "" {
			t.Errorf("HTML export headers %v", h.header)
		}
		if dl := rs.get(base + "/export.html?download=1"); !strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") {
			t.Errorf("HTML download headers %v", dl.header)
		}

		// Others: a member has no export right and does not see Olga's
		// contact; a viewer may not erase.
		member, viewer := signedInAs(t, rs.site, "member"), signedInAs(t, rs.site, "viewer")
		rs.do(member, "GET", base+"/export.json", nil, nil).expect(t, 403, "")
		rs.do(member, "GET", base+"/privacy", nil, nil).expect(t, 404, "")
		rs.do(member, "POST", base+"/erase", url.Values{"reason": {"request"}, "confirm_name": {"Ada Lovelace"}}, nil).expect(t, 404, "")
		rs.do(viewer, "GET", base+"/erase", nil, nil).expect(t, 403, "")
		rs.do(viewer, "POST", base+"/erase", url.Values{"reason": {"request"}, "confirm_name": {"Ada Lovelace"}}, nil).expect(t, 403, "")
		vp := rs.do(viewer, "GET", base+"/privacy", nil, nil)
		vp.expect(t, 200, "", "Given")
		if strings.Contains(vp.body, "Change consent") || strings.Contains(vp.body, "Erase this person") {
			t.Error("a viewer is offered changes")
		}

		rs.get(base+"/erase").expect(t, 200, "", "Erase Ada Lovelace", "This cannot be undone", "Type <strong>Ada Lovelace</strong>")
		rs.post(base+"/erase", url.Values{"reason": {"request"}, "confirm_name": {"Ada"}}).
			expect(t, 422, "", "Type the person&#39;s name exactly as shown to confirm.", `value="Ada"`)
		rs.post(base+"/erase", url.Values{"reason": {"whim"}, "confirm_name": {"ada  lovelace"}}).
			expect(t, 422, "", "Choose why the person is erased.")
		if _, err := rs.contacts.ByID(rs.ctx, ada.ID); err != nil {
			t.Fatalf("refused erasures removed the contact: %v", err)
		}
		rs.post(base+"/erase", url.Values{"reason": {"request"}, "confirm_name": {" Ada Lovelace "}}).expect(t, 303, "/contacts")
		list := rs.get("/contacts")
		list.expect(t, 200, "", "The person was erased.")
		if strings.Contains(list.body, "Lovelace") {
			t.Error("the contact list still names the erased person")
		}
		rs.get(base).expect(t, 404, "")
		rs.get(base+"/export.json").expect(t, 404, "")
	})
}
