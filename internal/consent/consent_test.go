package consent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

var yes, no = true, false

func TestConsentHistoryAndAllows(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		contacts := contact.NewService(d, user.NewService(d))
		svc := consent.NewService(d, contacts)
		ada, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Ada")})
		if err != nil {
			t.Fatal(err)
		}
		allows := func(channel string) bool {
			t.Helper()
			ok, err := consent.Allows(ctx, d.R, ada.ID, channel)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if allows(consent.EmailMarketing) || allows(consent.Phone) || allows(consent.SMS) {
			t.Fatal("nothing recorded must mean no")
		}
		week := time.Now().Add(-7 * 24 * time.Hour)
		steps := []struct {
			in   consent.Input
			want map[string]bool
		}{
			{consent.Input{Channel: consent.EmailMarketing, Granted: &yes, Source: "form", Detail: "Newsletter"},
				map[string]bool{consent.EmailMarketing: true}},
			{consent.Input{Channel: consent.SMS, Granted: &yes, Source: "import"},
				map[string]bool{consent.EmailMarketing: true, consent.SMS: true}},
			{consent.Input{Channel: consent.EmailMarketing, Granted: &no, Source: "unsubscribe"},
				map[string]bool{consent.SMS: true}},
			// An older grant learnt later does not undo the newer withdrawal.
			{consent.Input{Channel: consent.EmailMarketing, Granted: &yes, Source: "import", OccurredAt: &week},
				map[string]bool{consent.SMS: true}},
			{consent.Input{Channel: consent.Phone, Granted: &no, Source: "phone", Detail: "Do not call"},
				map[string]bool{consent.SMS: true}},
		}
		for i, s := range steps {
			c, err := svc.Record(ctx, ada.ID, s.in)
			if err != nil {
				t.Fatalf("step %d: %v", i, err)
			}
			if c.RecordedBy != owner.ID || c.ContactID != ada.ID || c.RecordedAt.IsZero() {
				t.Errorf("step %d recorded %+v", i, c)
			}
			for _, ch := range consent.Channels {
				if got := allows(ch.Key); got != s.want[ch.Key] {
					t.Errorf("step %d: Allows(%s) = %v, want %v", i, ch.Key, got, s.want[ch.Key])
				}
			}
		}
		h, err := svc.History(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != len(steps) || h[len(h)-1].OccurredAt.After(h[0].OccurredAt) || h[0].RecordedByName != owner.Name {
			t.Errorf("history %+v", h)
		}
		cur, err := svc.Current(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(cur) != 3 || cur[0].Channel != consent.EmailMarketing || cur[0].Granted || !cur[0].Known ||
			cur[0].Last.Source != "unsubscribe" || !cur[2].Granted || cur[1].Last.Detail != "Do not call" {
			t.Errorf("current %+v", cur)
		}
		// Each change is on the contact's timeline (and so audited).
		var n int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM events WHERE kind = 'contact.consent_changed'
			AND contact_id = $1`, ada.ID).Scan(&n); err != nil || n != len(steps) {
			t.Errorf("%d consent events (%v), want %d", n, err, len(steps))
		}
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE action = 'contact.consent_changed'
			AND key_id = $1`, ada.ID).Scan(&n); err != nil || n != len(steps) {
			t.Errorf("%d sealed audit entries (%v), want %d", n, err, len(steps))
		}
	})
}

func TestConsentChecks(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		viewerCtx, _ := fixture.User(t, d, "viewer")
		memberCtx, _ := fixture.User(t, d, "member")
		contacts := contact.NewService(d, user.NewService(d))
		svc := consent.NewService(d, contacts)
		ada, err := contacts.Create(ctx, contact.Input{FirstName: fixture.Ptr("Ada"), OwnerID: &owner.ID})
		if err != nil {
			t.Fatal(err)
		}
		future := time.Now().Add(time.Hour)
		for _, tt := range []struct {
			name   string
			in     consent.Input
			fields []string
		}{
			{"nothing", consent.Input{}, []string{"channel", "granted", "source"}},
			{"unknown channel and source", consent.Input{Channel: "fax", Granted: &yes, Source: "rumour"}, []string{"channel", "source"}},
			{"in the future", consent.Input{Channel: consent.SMS, Granted: &yes, Source: "manual", OccurredAt: &future}, []string{"occurred_at"}},
			{"long detail", consent.Input{Channel: consent.SMS, Granted: &yes, Source: "manual", Detail: strings.Repeat("x", 600)},
				[]string{"detail"}},
		} {
			_, err := svc.Record(ctx, ada.ID, tt.in)
			v := apperr.AsValidation(err)
			for _, f := range tt.fields {
				if v.For(f) == "" {
					t.Errorf("%s: no message for %s (err %v)", tt.name, f, err)
				}
			}
		}
		ok := consent.Input{Channel: consent.SMS, Granted: &yes, Source: "manual"}
		if _, err := svc.Record(viewerCtx, ada.ID, ok); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("viewer records consent: %v, want forbidden", err)
		}
		if _, err := svc.Record(memberCtx, ada.ID, ok); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("member records consent on a contact outside their scope: %v, want not found", err)
		}
		if _, err := svc.History(memberCtx, ada.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("member reads the history of a contact outside their scope: %v, want not found", err)
		}
		if _, err := svc.Current(viewerCtx, ada.ID); err != nil {
			t.Errorf("viewer reads consent: %v", err)
		}
		if _, err := svc.Record(ctx, "not-an-id", ok); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("malformed id: %v", err)
		}
		if h, _ := svc.History(ctx, ada.ID); len(h) != 0 {
			t.Errorf("refused changes were recorded: %+v", h)
		}
	})
}
