package notify_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/notify"
)

func TestNotifications(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, me := fixture.User(t, d, "owner")
		otherCtx, other := fixture.User(t, d, "member")
		add := func(userID, title, key string) bool {
			var added bool
			err := d.WithTx(context.Background(), func(tx *db.Tx) error {
				var err error
				added, err = notify.Add(context.Background(), tx, notify.Notification{UserID: userID, Kind: "test",
					Title: title, Link: "/tasks"}, key)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return added
		}
		if !add(me.ID, "One", "k1") || !add(me.ID, "Two", "k2") || !add(other.ID, "Theirs", "k3") {
			t.Fatal("a new effect key was not added")
		}
		if add(me.ID, "One again", "k1") {
			t.Error("the same effect key notified twice")
		}
		svc := notify.New(d)
		page, err := svc.List(ctx, "", 1)
		if err != nil || len(page.Notifications) != 1 || page.Notifications[0].Title != "Two" || page.Older == "" || page.Unread != 2 {
			t.Fatalf("page 1 = %+v, %v", page, err)
		}
		page2, err := svc.List(ctx, page.Older, 1)
		if err != nil || len(page2.Notifications) != 1 || page2.Notifications[0].Title != "One" || page2.Older != "" {
			t.Errorf("page 2 = %+v, %v", page2, err)
		}
		if _, err := svc.MarkRead(otherCtx, page.Notifications[0].ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("marking another user's notification: %v, want not found", err)
		}
		n, err := svc.MarkRead(ctx, page.Notifications[0].ID)
		if err != nil || !n.Read() {
			t.Errorf("mark read: %+v, %v", n, err)
		}
		if c, _ := svc.Unread(ctx); c != 1 {
			t.Errorf("unread after one read = %d, want 1", c)
		}
		if c, err := svc.MarkAllRead(ctx); err != nil || c != 1 {
			t.Errorf("mark all read = %d, %v", c, err)
		}
		if c, _ := svc.Unread(otherCtx); c != 1 {
			t.Errorf("the other user's unread = %d, want 1 (untouched)", c)
		}
		if _, err := svc.Unread(context.Background()); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("no actor: %v", err)
		}
	})
}
