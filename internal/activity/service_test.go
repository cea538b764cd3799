package activity_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

var p = fixture.Ptr[string]

func TestTimeline(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		users := user.NewService(d)
		contacts, companies := contact.NewService(d, users), company.NewService(d, users)
		svc := activity.NewService(d, contacts, companies)
		acme, err := companies.Create(ctx, company.Input{Name: p("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		c, err := contacts.Create(ctx, contact.Input{FirstName: p("Rita"), CompanyIDs: &[]string{acme.ID}})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Date(2025, 1, 1, 9, 0, 0, 0, time.UTC)
		for i := range 60 {
			kind := []string{activity.Note, activity.Call, activity.Meeting, activity.Email}[i%4]
			at := start.Add(time.Duration(i) * time.Hour)
			in := activity.Input{Kind: &kind, ContactID: &c.ID, Body: p(fmt.Sprintf("entry %d", i)), OccurredAt: &at}
			if kind == activity.Call {
				in.Outcome, in.Duration = p("connected"), fixture.Ptr(300)
			}
			if _, err := svc.Create(ctx, in); err != nil {
				t.Fatalf("activity %d: %v", i, err)
			}
		}
		pin := true
		note, err := svc.Create(ctx, activity.Input{Kind: p(activity.Note), ContactID: &c.ID,
			Body: p("Takes her latte **unsweetened** now"), Pinned: &pin})
		if err != nil {
			t.Fatal(err)
		}
		pinned, err := svc.Pinned(ctx, c.ID, "")
		if err != nil || len(pinned) != 1 || pinned[0].ID != note.ID {
			t.Errorf("pinned = %v, %v", pinned, err)
		}

		// Walk the whole timeline: 61 activities and the created event.
		seen := map[string]bool{}
		var after string
		var last time.Time
		for page := 0; ; page++ {
			entries, next, err := svc.Timeline(ctx, activity.TimelineQuery{ContactID: c.ID, After: after, Limit: 25})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if seen[e.ID] {
					t.Fatalf("entry %s twice", e.ID)
				}
				if !last.IsZero() && e.At.After(last) {
					t.Fatalf("entry at %v after %v: not newest first", e.At, last)
				}
				seen[e.ID], last = true, e.At
			}
			if next == "" {
				break
			}
			after = next
		}
		if len(seen) != 62 {
			t.Errorf("timeline has %d entries, want 62", len(seen))
		}
		calls, _, err := svc.Timeline(ctx, activity.TimelineQuery{ContactID: c.ID, Kinds: []string{activity.Call}, Limit: 100})
		if err != nil || len(calls) != 15 {
			t.Errorf("calls = %d, %v; want 15", len(calls), err)
		}
		system, _, err := svc.Timeline(ctx, activity.TimelineQuery{ContactID: c.ID, Kinds: []string{activity.System}})
		if err != nil || len(system) != 1 || system[0].EventKind != "contact.created" {
			t.Errorf("system entries = %+v, %v", system, err)
		}
		// The company's timeline includes what happened with its contact.
		ofCompany, _, err := svc.Timeline(ctx, activity.TimelineQuery{CompanyID: acme.ID, Limit: 200})
		if err != nil || len(ofCompany) != 63 {
			t.Errorf("company timeline = %d entries, %v; want 63 (its own created event too)", len(ofCompany), err)
		}
		if _, _, err := svc.Timeline(ctx, activity.TimelineQuery{ContactID: c.ID, After: "garbage"}); apperr.AsValidation(err) == nil {
			t.Errorf("bad cursor: %v", err)
		}
	})
}

func TestBadActivities(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		users := user.NewService(d)
		contacts, companies := contact.NewService(d, users), company.NewService(d, users)
		svc := activity.NewService(d, contacts, companies)
		c, err := contacts.Create(ctx, contact.Input{FirstName: p("Rita")})
		if err != nil {
			t.Fatal(err)
		}
		end := time.Now().Add(-2 * time.Hour)
		tests := []struct {
			in    activity.Input
			field string
		}{
			{activity.Input{Kind: p("fax"), ContactID: &c.ID, Body: p("x")}, "kind"},
			{activity.Input{Kind: p("note"), ContactID: &c.ID, Body: p(strings.Repeat("x", 1<<20))}, "body"},
			{activity.Input{Kind: p("note"), ContactID: &c.ID, Body: p("  ")}, "body"},
			{activity.Input{Kind: p("call"), ContactID: &c.ID, Outcome: p("exploded")}, "outcome"},
			{activity.Input{Kind: p("call"), ContactID: &c.ID, Duration: fixture.Ptr(-5)}, "duration_seconds"},
			{activity.Input{Kind: p("meeting"), ContactID: &c.ID, EndsAt: &end}, "ends_at"},
			{activity.Input{Kind: p("note"), Body: p("x")}, "contact_id"},
			{activity.Input{Kind: p("note"), ContactID: p("0190f0f0-0000-7000-8000-000000000000"), Body: p("x")}, "contact_id"},
		}
		for _, tt := range tests {
			_, err := svc.Create(ctx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%s: err = %v, want a message on %s", tt.field, err, tt.field)
			}
		}
		var n int
		if err := d.R.QueryRow(`SELECT COUNT(*) FROM activities`).Scan(&n); err != nil || n != 0 {
			t.Errorf("%d activities saved from bad input", n)
		}
		viewer, _ := fixture.User(t, d, "viewer")
		if _, err := svc.Create(viewer, activity.Input{Kind: p("note"), ContactID: &c.ID, Body: p("x")}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("viewer logged a note: %v", err)
		}
	})
}

// A company's pinned notes are its own: notes pinned on its people, however
// many and however recent, do not push them out of the banner.
func TestPinnedOfCompanyKeepsItsOwnNotes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		users := user.NewService(d)
		contacts, companies := contact.NewService(d, users), company.NewService(d, users)
		svc := activity.NewService(d, contacts, companies)
		acme, err := companies.Create(ctx, company.Input{Name: p("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		c, err := contacts.Create(ctx, contact.Input{FirstName: p("Rita"), CompanyIDs: &[]string{acme.ID}})
		if err != nil {
			t.Fatal(err)
		}
		pin := true
		old := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
		own, err := svc.Create(ctx, activity.Input{Kind: p(activity.Note), CompanyID: &acme.ID,
			Body: p("Invoices go to the Leeds office"), Pinned: &pin, OccurredAt: &old})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 25 {
			at := old.Add(time.Duration(i+1) * time.Hour)
			if _, err := svc.Create(ctx, activity.Input{Kind: p(activity.Note), ContactID: &c.ID,
				Body: p(fmt.Sprintf("note %d", i)), Pinned: &pin, OccurredAt: &at}); err != nil {
				t.Fatal(err)
			}
		}
		pinned, err := svc.Pinned(ctx, "", acme.ID)
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, a := range pinned {
			found = found || a.ID == own.ID
		}
		if !found {
			t.Errorf("Pinned(company) = %d notes without the company's own pinned note", len(pinned))
		}
	})
}

// A forged timeline cursor whose id is not a UUID is a validation error on
// both engines, not a database error (PostgreSQL cannot cast it to uuid).
func TestTimelineRejectsCursorWithBadID(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		users := user.NewService(d)
		contacts, companies := contact.NewService(d, users), company.NewService(d, users)
		svc := activity.NewService(d, contacts, companies)
		c, err := contacts.Create(ctx, contact.Input{FirstName: p("Rita")})
		if err != nil {
			t.Fatal(err)
		}
		after := base64.RawURLEncoding.EncodeToString([]byte("2025-01-01T09:00:00Z|" + strings.Repeat("z", 36)))
		_, _, err = svc.Timeline(ctx, activity.TimelineQuery{ContactID: c.ID, After: after})
		if apperr.AsValidation(err) == nil {
			t.Errorf("Timeline with a cursor id of 36 z's: err = %v, want a validation error", err)
		}
	})
}
