package task_test

import (
	"reflect"
	"testing"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
)

// TestPrivacy: a person's data export lists the tasks about them, and
// erasing them deletes those tasks (an occurrence included) while other
// tasks stay.
func TestPrivacy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		users := user.NewService(d)
		contacts := contact.NewService(d, users)
		svc := task.NewService(d, users)
		privacy := gdpr.New(d, contacts)
		privacy.Register(task.PrivacyPart())
		ada, err := contacts.Create(ctx, contact.Input{FirstName: p("Ada"), LastName: p("Lovelace")})
		if err != nil {
			t.Fatal(err)
		}
		call, _ := svc.Create(ctx, task.Input{Title: p("Birthday call"), DueDate: p("2026-12-10"), ContactID: p(ada.ID),
			Recurrence: &task.Rule{Frequency: task.Yearly}})
		if _, next, err := svc.Complete(ctx, call.ID); err != nil || next == nil {
			t.Fatalf("complete: %v, %v", next, err)
		}
		other, _ := svc.Create(ctx, task.Input{Title: p("Order paper")})
		ex, err := privacy.Export(ctx, ada.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v := reflect.ValueOf(ex.Other["tasks"]); v.Kind() != reflect.Slice || v.Len() != 2 {
			t.Errorf("export lists tasks %#v, want the 2 about Ada", ex.Other["tasks"])
		}
		if _, err := privacy.Erase(ctx, ada.ID, gdpr.Reasons[0].Key); err != nil {
			t.Fatal(err)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM tasks`); n != 1 {
			t.Errorf("%d tasks after erasure, want 1", n)
		}
		if _, err := svc.ByID(ctx, other.ID); err != nil {
			t.Errorf("the unrelated task: %v", err)
		}
	})
}
