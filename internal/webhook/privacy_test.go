package webhook

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/user"
)

// TestPrivacy: a person's data export lists the deliveries of events about
// them; erasing them deletes those deliveries and redacts their name in a
// delivery about someone else.
func TestPrivacy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		users := user.NewService(d)
		contacts := contact.NewService(d, users)
		privacy := gdpr.New(d, contacts)
		privacy.Register(PrivacyPart())
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Resolver: fakeResolver{"hooks.example.com": {"93.184.215.14"}}})
		sub, err := s.Create(ctx, Input{URL: "https://hooks.example.com/in", EventTypes: []string{"contact.*", "note.*"}})
		if err != nil {
			t.Fatal(err)
		}
		first, last := "Augusta", "Byron-Lovelace"
		ada, err := contacts.Create(ctx, contact.Input{FirstName: &first, LastName: &last})
		if err != nil {
			t.Fatal(err)
		}
		// Someone else's event quoting her.
		err = d.WithTx(context.Background(), func(tx *db.Tx) error {
			_, err := event.Record(context.Background(), tx, event.Event{Kind: "note.added", SubjectType: "contact",
				SubjectID: id.New(), Data: map[string]any{"text": "Met Augusta Byron-Lovelace at the fair"}})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := dispatch(t, s, ctx); err != nil || n < 2 {
			t.Fatalf("dispatch: %d, %v", n, err)
		}
		ex, err := privacy.Export(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v := reflect.ValueOf(ex.Other["webhook_deliveries"]); v.Kind() != reflect.Slice || v.Len() != 1 {
			t.Errorf("export lists deliveries %#v, want the 1 about her", ex.Other["webhook_deliveries"])
		}
		if _, err := privacy.Erase(ctx, ada.ID, gdpr.Reasons[0].Key); err != nil {
			t.Fatal(err)
		}
		left := deliveriesOf(t, d, sub.ID)
		for _, x := range left {
			if x.ContactID == ada.ID {
				t.Errorf("delivery %s about her survived the erasure", x.ID)
			}
			if strings.Contains(string(x.Payload), "Byron-Lovelace") {
				t.Errorf("delivery %s still quotes her: %s", x.ID, x.Payload)
			}
		}
		var quoted bool
		for _, x := range left {
			if x.EventKind == "note.added" {
				quoted = strings.Contains(string(x.Payload), gdpr.Redacted)
			}
		}
		if !quoted {
			t.Error("the other delivery does not show the redaction")
		}
	})
}
