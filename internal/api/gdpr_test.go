package api

import (
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func TestPrivacy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, viewer, member, manager := e.owned(), e.user("viewer"), e.user("member"), e.user("manager")
		ada := e.contact(t, map[string]any{"first_name": "Ada", "last_name": "Quill", "owner_id": e.owner.ID,
			"emails": []map[string]any{{"address": "ada@quill.example"}}, "phones": []map[string]any{{"number": "+44 20 7946 0958"}}})
		bob := e.contact(t, map[string]any{"first_name": "Bob"})
		c := "/api/v1/contacts/"
		missing := id.New()
		future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)

		run(t, []scenario{
			{name: "no consent recorded", c: o, method: "GET", path: c + ada.ID + "/consent", status: 200,
				check: func(t *testing.T, r result) {
					var x Consent
					r.decode(t, &x)
					if len(x.Current) != 3 || x.Current[0].Known || x.Current[0].Granted || len(x.History) != 0 {
						t.Errorf("consent %+v", x)
					}
				}},
			{name: "grant email marketing", c: o, method: "POST", path: c + ada.ID + "/consent", status: 201,
				body: map[string]any{"channel": "email_marketing", "granted": true, "source": "form", "detail": "Pricing page"},
				check: func(t *testing.T, r result) {
					var x ConsentChange
					if r.decode(t, &x); !x.Granted || x.Source != "form" || x.Channel != "email_marketing" || x.RecordedBy != e.owner.ID {
						t.Errorf("recorded %+v", x)
					}
				}},
			{name: "the source defaults to api", c: o, method: "POST", path: c + ada.ID + "/consent", status: 201,
				body: map[string]any{"channel": "sms", "granted": false}, check: func(t *testing.T, r result) {
					var x ConsentChange
					if r.decode(t, &x); x.Source != "api" || x.Granted {
						t.Errorf("recorded %+v", x)
					}
				}},
			{name: "nothing sent", c: o, method: "POST", path: c + ada.ID + "/consent", status: 422,
				body: map[string]any{}, fields: []string{"channel", "granted"}},
			{name: "unknown channel", c: o, method: "POST", path: c + ada.ID + "/consent", status: 422,
				body: map[string]any{"channel": "fax", "granted": true}, fields: []string{"channel"}},
			{name: "consent from the future", c: o, method: "POST", path: c + ada.ID + "/consent", status: 422,
				body: map[string]any{"channel": "phone", "granted": true, "occurred_at": future}, fields: []string{"occurred_at"}},
			{name: "consent now", c: viewer, method: "GET", path: c + ada.ID + "/consent", status: 200,
				check: func(t *testing.T, r result) {
					var x Consent
					r.decode(t, &x)
					if len(x.History) != 2 || !x.Current[0].Granted || x.Current[2].Granted || !x.Current[2].Known {
						t.Errorf("consent %+v", x)
					}
				}},
			{name: "viewer may not record consent", c: viewer, method: "POST", path: c + ada.ID + "/consent", status: 403,
				body: map[string]any{"channel": "sms", "granted": true}},
			{name: "member cannot see the contact", c: member, method: "GET", path: c + ada.ID + "/consent", status: 404},

			{name: "export", c: o, method: "GET", path: c + ada.ID + "/export", status: 200, check: func(t *testing.T, r result) {
				var x PersonalData
				r.decode(t, &x)
				if x.Person.ID != ada.ID || len(x.Person.Emails) != 1 || len(x.ConsentHistory) != 2 || len(x.Timeline) < 3 ||
					len(x.AuditLog) < 3 || !strings.Contains(r.header.Get("Content-Disposition"), "attachment") {
					t.Errorf("export %s", r.body)
				}
				if !strings.Contains(string(r.body), "contact.consent_changed") || !strings.Contains(string(r.body), "Pricing page") {
					t.Errorf("export lacks the consent history: %s", r.body)
				}
			}},
			{name: "member has no export right", c: member, method: "GET", path: c + bob.ID + "/export", status: 403},
			{name: "manager: outside the scope", c: manager, method: "GET", path: c + ada.ID + "/export", status: 404},
			{name: "manager: an unowned contact", c: manager, method: "GET", path: c + bob.ID + "/export", status: 200},
			{name: "export a missing contact", c: o, method: "GET", path: c + missing + "/export", status: 404},
			{name: "export a malformed id", c: o, method: "GET", path: c + "x/export", status: 404},
			{name: "export without a session", c: e.anonymous(), method: "GET", path: c + ada.ID + "/export", status: 401},

			{name: "erase without a reason", c: o, method: "POST", path: c + ada.ID + "/erase", status: 422,
				body: map[string]any{}, fields: []string{"reason"}},
			{name: "erase for no known reason", c: o, method: "POST", path: c + ada.ID + "/erase", status: 422,
				body: map[string]any{"reason": "whim"}, fields: []string{"reason"}},
			{name: "viewer may not erase", c: viewer, method: "POST", path: c + ada.ID + "/erase", status: 403,
				body: map[string]any{"reason": "request"}},
			{name: "member: outside the scope", c: member, method: "POST", path: c + ada.ID + "/erase", status: 404,
				body: map[string]any{"reason": "request"}},
			{name: "erase", c: o, method: "POST", path: c + ada.ID + "/erase", status: 200,
				body: map[string]any{"reason": "request"}, check: func(t *testing.T, r result) {
					var x Erasure
					if r.decode(t, &x); x.ContactID != ada.ID || x.Reason != "request" || x.Events == 0 || len(x.MergedRecords) != 0 {
						t.Errorf("erasure %+v", x)
					}
					if strings.Contains(string(r.body), "Quill") || strings.Contains(string(r.body), "quill.example") {
						t.Errorf("the erasure record names the person: %s", r.body)
					}
				}},
			{name: "gone", c: o, method: "GET", path: c + ada.ID, status: 404},
			{name: "no export of the erased", c: o, method: "GET", path: c + ada.ID + "/export", status: 404},
			{name: "no consent of the erased", c: o, method: "GET", path: c + ada.ID + "/consent", status: 404},
			{name: "erase twice", c: o, method: "POST", path: c + ada.ID + "/erase", status: 404,
				body: map[string]any{"reason": "request"}},
			{name: "others stay", c: o, method: "GET", path: c + bob.ID, status: 200},
		})
	})
}
