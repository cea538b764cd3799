package gdpr_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/search"
)

// TestErasureLeavesNoTrace erases a realistic person and then greps every
// text column of every table for their names, emails and phone numbers
// (as typed and in E.164): none may be found, while their colleague and
// their company survive intact.
func TestErasureLeavesNoTrace(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		zeb := realisticPerson(t, e)
		// The grep finds the person before: it can fail.
		if found := traces(t, d, zeb.traces); len(found) < len(zeb.traces) {
			t.Fatalf("before the erasure only %d traces were found:\n%s", len(found), strings.Join(found, "\n"))
		}
		var detached []string
		e.gdpr.Register(gdpr.Part{Name: "orders", Erase: func(ctx context.Context, tx *db.Tx, contactID string) error {
			detached = append(detached, contactID)
			return nil
		}})

		er, err := e.gdpr.Erase(e.ctx, zeb.contact.ID, "request")
		if err != nil {
			t.Fatal(err)
		}
		if er.Activities != 3 || er.Events == 0 || er.Redacted < 6 || len(er.MergedRecords) != 1 ||
			er.MergedRecords[0] != zeb.duplicate.ID {
			t.Errorf("erasure = %+v; want 3 activities, events, at least 6 redacted rows, the duplicate", er)
		}
		if len(detached) != 2 {
			t.Errorf("the registered part erased %v, want the person and the duplicate", detached)
		}
		if found := traces(t, d, zeb.traces); len(found) > 0 {
			t.Errorf("after the erasure the person is still in the database:\n%s", strings.Join(found, "\n"))
		}

		for _, q := range []string{
			`SELECT COUNT(*) FROM contacts WHERE id IN ($1, $2)`,
			`SELECT COUNT(*) FROM contact_emails WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM contact_phones WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM contact_companies WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM contact_tags WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM activities WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM consent_changes WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM events WHERE contact_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM search_docs WHERE ref_id IN ($1, $2)`,
			`SELECT COUNT(*) FROM audit_keys WHERE subject_id IN ($1, $2)`,
		} {
			if n := count(t, d, q, zeb.contact.ID, zeb.duplicate.ID); n != 0 {
				t.Errorf("%s = %d, want 0", q, n)
			}
		}
		// The audit log keeps its entries, their details unreadable.
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE key_id = $1`, zeb.contact.ID); n < 10 {
			t.Errorf("%d sealed audit entries remain, want the whole history", n)
		}
		// The erasure is recorded, without the person.
		var data string
		if err := d.R.QueryRowContext(e.ctx, `SELECT details FROM audit_log WHERE action = 'contact.erased'
			AND object_id = $1 AND outcome = 'ok'`, zeb.contact.ID).Scan(&data); err != nil {
			t.Fatalf("the erasure is not in the audit log: %v", err)
		}
		if !strings.Contains(data, `"reason": "request"`) && !strings.Contains(data, `"reason":"request"`) {
			t.Errorf("erasure entry %s lacks the reason", data)
		}

		// The colleague and the company survive intact.
		sancho, err := e.contacts.ByID(e.ctx, zeb.other.ID)
		if err != nil {
			t.Fatal(err)
		}
		if sancho.DisplayName != "Sancho Panza" || sancho.PrimaryEmail() != "sancho@rocinante.example" ||
			sancho.PrimaryPhone() != "+442079460001" || sancho.PrimaryCompany().ID != zeb.company.ID {
			t.Errorf("the colleague changed: %+v", sancho)
		}
		if got := jsonOf(t, sancho.Custom); !strings.Contains(got, gdpr.Redacted) {
			t.Errorf("the colleague's custom values %s should read %s", got, gdpr.Redacted)
		}
		co, err := e.companies.ByID(e.ctx, zeb.company.ID)
		if err != nil || co.Name != "Rocinante Windmills Ltd" {
			t.Fatalf("company after erasure: %+v, %v", co, err)
		}
		entries, _, err := e.activities.Timeline(e.ctx, activity.TimelineQuery{CompanyID: co.ID, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var kept, redacted, meeting bool
		for _, en := range entries {
			if en.ContactID == zeb.contact.ID {
				t.Errorf("the company timeline still shows the person: %+v", en)
			}
			if a := en.Activity; a != nil {
				kept = kept || a.ID == zeb.otherNote.ID && a.Body == "Renewal due in May."
				redacted = redacted || a.Body == "Met [erased] ([erased], [erased]) at the fair."
				if a.Kind == activity.Meeting {
					meeting = a.Body == "Sancho and [erased] planned the route.\nCall [erased] first." &&
						len(a.Attendees) == 2 && a.Attendees[0] == "Sancho Panza" && a.Attendees[1] == gdpr.Redacted
				}
			}
		}
		if !kept || !redacted || !meeting {
			t.Errorf("company timeline: kept note %v, redacted note %v, colleague's meeting %v", kept, redacted, meeting)
		}
		hits, err := search.Query(e.ctx, d.R, d.Engine, "Quixote", search.Options{})
		if err != nil || len(hits) != 0 {
			t.Errorf("search for the erased person: %+v, %v", hits, err)
		}
		if hits, err = search.Query(e.ctx, d.R, d.Engine, "Sancho", search.Options{}); err != nil || len(hits) == 0 {
			t.Errorf("search for the colleague: %+v, %v", hits, err)
		}

		// Gone is gone: a second erasure and an export find nothing.
		if _, err := e.gdpr.Erase(e.ctx, zeb.contact.ID, "request"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("erasing again: %v, want not found", err)
		}
		if _, err := e.gdpr.Export(e.ctx, zeb.contact.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("export after erasure: %v, want not found", err)
		}
		if ok, err := consent.Allows(e.ctx, d.R, zeb.contact.ID, consent.SMS); ok || err != nil {
			t.Errorf("consent after erasure: %v, %v", ok, err)
		}
	})
}

func TestErasureChecks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := setup(t, d)
		zeb := realisticPerson(t, e)
		memberCtx, member := fixture.User(t, d, "member")
		viewerCtx, _ := fixture.User(t, d, "viewer")
		if _, err := e.gdpr.Erase(e.ctx, zeb.contact.ID, "because"); apperr.AsValidation(err).For("reason") == "" {
			t.Errorf("unknown reason: %v", err)
		}
		if _, err := e.gdpr.Erase(viewerCtx, zeb.contact.ID, "request"); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("viewer erases: %v, want forbidden", err)
		}
		// A member may delete, but only what they see: an owned contact
		// of someone else is not found.
		if _, err := e.contacts.Update(e.ctx, zeb.contact.ID, contactOwner(e.owner.ID)); err != nil {
			t.Fatal(err)
		}
		if _, err := e.gdpr.Erase(memberCtx, zeb.contact.ID, "request"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("member erases someone else's contact: %v, want not found", err)
		}
		if _, err := e.gdpr.Erase(e.ctx, "not-an-id", "request"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("malformed id: %v", err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM contacts WHERE id = $1`, zeb.contact.ID); n != 1 {
			t.Fatalf("refused erasures removed the contact")
		}
		if n := count(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = 'contact.erased' AND outcome = 'denied'
			AND object_id = $1`, zeb.contact.ID); n != 1 {
			t.Errorf("%d refused erasures recorded, want the viewer's", n)
		}
		// A member's own contact is theirs to erase.
		own, err := e.contacts.Create(memberCtx, contactNamed("Own", member.ID))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.gdpr.Erase(memberCtx, own.ID, "no_longer_needed"); err != nil {
			t.Errorf("member erases own contact: %v", err)
		}
	})
}
