package gdpr_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

func TestExport(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		zeb := realisticPerson(t, e)
		e.gdpr.Register(gdpr.Part{Name: "orders", Export: func(_ context.Context, _ db.Querier, contactID string) (any, error) {
			return []map[string]any{{"contact_id": contactID, "total": 4200}}, nil
		}})
		x, err := e.gdpr.Export(e.ctx, zeb.contact.ID)
		if err != nil {
			t.Fatal(err)
		}
		b, err := x.JSON()
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(b, &doc); err != nil {
			t.Fatalf("export is not JSON: %v", err)
		}
		for _, key := range []string{"person", "custom_fields", "merged_records", "activities", "timeline",
			"consent_current", "consent_history", "audit_log", "other"} {
			if len(doc[key]) < 3 {
				t.Errorf("export has no %s: %s", key, doc[key])
			}
		}
		all := string(b)
		for _, want := range []string{
			`"first_name": "Zebediah"`, "zeb.quixote@rocinante.example", "zq.private@mail.example", "zq.duplicate@dup.example",
			"+442079460958", "+1 (415) 555-0132", "Rocinante Windmills Ltd", `"windmills"`, "7 Dulcinea Lane",
			`"label": "Nickname"`, "Zeb the Bold", "prefers calls before noon", "Call with Zebediah",
			`"kind": "contact.updated"`, `"kind": "contact.merged"`, `"kind": "contact.consent_changed"`,
			`"kind": "activity.created"`, "Chief windmill officer", `"source": "unsubscribe"`, `"total": 4200`,
		} {
			if !strings.Contains(all, want) {
				t.Errorf("export lacks %s", want)
			}
		}
		if len(x.Activities) != 3 || len(x.ConsentHistory) != 3 || len(x.MergedRecords) != 1 {
			t.Errorf("export: %d activities, %d consent changes, merged %v", len(x.Activities), len(x.ConsentHistory), x.MergedRecords)
		}
		var sms consent.State
		for _, s := range x.ConsentNow {
			if s.Channel == consent.SMS {
				sms = s
			}
		}
		if !sms.Granted || x.ConsentNow[0].Granted || !x.ConsentNow[0].Known {
			t.Errorf("current consent %+v", x.ConsentNow)
		}
		// The audit entries about him are read with their sealed details.
		var opened, merged bool
		for _, a := range x.AuditLog {
			opened = opened || strings.Contains(string(a.Details), "Zebediah")
			merged = merged || a.Action == "contact.merged_into" // the duplicate's own history
		}
		if len(x.AuditLog) < 10 || !opened || !merged {
			t.Errorf("audit log in the export: %d entries, details opened %v, duplicate's entries %v", len(x.AuditLog), opened, merged)
		}

		page, err := x.HTML()
		if err != nil {
			t.Fatal(err)
		}
		html := string(page)
		for _, want := range []string{"Personal data of Zebediah Quixote", "zq.private@mail.example", "Text messages (SMS)",
			"Unsubscribe link", "&lt;script&gt;alert(", "Chief windmill officer", "Audit log", "4200"} {
			if !strings.Contains(html, want) {
				t.Errorf("HTML export lacks %q", want)
			}
		}
		if strings.Contains(html, "<script") || strings.Contains(html, "<link") || strings.Contains(html, "src=") {
			t.Error("HTML export runs or loads something")
		}
		// The style is allowed by its hash, so the page needs nothing else.
		start, end := strings.Index(html, "<style>")+len("<style>"), strings.Index(html, "</style>")
		sum := sha256.Sum256([]byte(html[start:end]))
		if !strings.Contains(gdpr.HTMLPolicy, base64.StdEncoding.EncodeToString(sum[:])) {
			t.Errorf("the policy %q does not allow the page's style", gdpr.HTMLPolicy)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'contact.exported' AND object_id = $1
			AND outcome = 'ok'`, zeb.contact.ID); n != 1 {
			t.Errorf("%d export entries in the audit log, want 1", n)
		}
	})
}

func TestExportChecks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		zeb := realisticPerson(t, e)
		if _, err := e.contacts.Update(e.ctx, zeb.contact.ID, contactOwner(e.owner.ID)); err != nil {
			t.Fatal(err)
		}
		memberCtx, _ := fixture.User(t, d, "member")
		managerCtx, _ := fixture.User(t, d, "manager")
		// Members have no export right; a manager has, but sees only
		// their teams' records and unowned ones.
		if _, err := e.gdpr.Export(memberCtx, zeb.contact.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("member exports: %v, want forbidden", err)
		}
		if _, err := e.gdpr.Export(managerCtx, zeb.contact.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("manager exports a contact outside their scope: %v, want not found", err)
		}
		if _, err := e.gdpr.Export(managerCtx, zeb.other.ID); err != nil {
			t.Errorf("manager exports an unowned contact: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'contact.exported' AND outcome = 'denied'`); n != 1 {
			t.Errorf("%d refused exports recorded, want the member's", n)
		}
	})
}
