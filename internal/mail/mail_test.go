package mail_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/mail"
)

func queue(t *testing.T, ctx context.Context, d *db.DB, o *mail.Outbox, m mail.Message) string {
	t.Helper()
	var msgID string
	err := d.WithTx(ctx, func(tx *db.Tx) (err error) {
		msgID, err = o.Queue(ctx, tx, m)
		return err
	})
	if err != nil {
		t.Fatalf("queue: %v", err)
	}
	return msgID
}

func TestKeptWithoutMailServer(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		o := mail.New(d)
		link := "https://crm.example.com/invite/s3cret"
		msgID := queue(t, ctx, d, o, mail.Message{To: "ann@example.com", ToName: "Ann", Kind: "invite",
			Subject: "You are invited", Text: "Open " + link + " to join.", Secrets: []string{link}})
		m, err := o.ByID(ctx, msgID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status != mail.Kept || m.CreatedBy != owner.ID || m.To != "ann@example.com" || m.Kind != "invite" || m.Attempts != 0 {
			t.Errorf("kept message %+v", m)
		}
		if !strings.Contains(m.Text, link) {
			t.Errorf("a kept message keeps its link until it is used: %q", m.Text)
		}
		// Once the link is dead, the stored copy loses it.
		if err := d.WithTx(ctx, func(tx *db.Tx) error { return mail.Redact(ctx, tx, msgID) }); err != nil {
			t.Fatal(err)
		}
		m, _ = o.ByID(ctx, msgID)
		if strings.Contains(m.Text, "s3cret") || !strings.Contains(m.Text, "[link removed]") {
			t.Errorf("redacted text %q", m.Text)
		}
	})
}

func TestQueueValidates(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		o := mail.New(d)
		for _, c := range []struct {
			name  string
			m     mail.Message
			field string
		}{
			{"no recipient", mail.Message{Subject: "Hi", Text: "x"}, "to"},
			{"named recipient", mail.Message{To: "Ann <ann@example.com>", Subject: "Hi", Text: "x"}, "to"},
			{"header injection", mail.Message{To: "ann@example.com", Subject: "Hi\r\nBcc: eve@example.com", Text: "x"}, "subject"},
			{"no body", mail.Message{To: "ann@example.com", Subject: "Hi"}, "text"},
		} {
			t.Run(c.name, func(t *testing.T) {
				err := d.WithTx(ctx, func(tx *db.Tx) error { _, err := o.Queue(ctx, tx, c.m); return err })
				if v := apperr.AsValidation(err); v == nil || v.For(c.field) == "" {
					t.Errorf("Queue = %v, want a message for %s", err, c.field)
				}
			})
		}
	})
}

func TestOutboxListNewestFirstPaginated(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		o := mail.New(d)
		total := mail.PageSize + 5
		err := d.WithTx(ctx, func(tx *db.Tx) error {
			for i := range total {
				if _, err := o.Queue(ctx, tx, mail.Message{To: fmt.Sprintf("p%02d@example.com", i), Subject: fmt.Sprintf("Message %02d", i), Text: "x"}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		first, err := o.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(first.Messages) != mail.PageSize || first.Older == "" {
			t.Fatalf("first page: %d messages, older %q; want %d and a cursor", len(first.Messages), first.Older, mail.PageSize)
		}
		if got, want := first.Messages[0].Subject, fmt.Sprintf("Message %02d", total-1); got != want {
			t.Errorf("newest first: got %q, want %q", got, want)
		}
		second, err := o.List(ctx, first.Older)
		if err != nil {
			t.Fatal(err)
		}
		if len(second.Messages) != 5 || second.Older != "" || second.Messages[4].Subject != "Message 00" {
			t.Errorf("second page: %d messages, older %q", len(second.Messages), second.Older)
		}
		if _, err := o.List(ctx, "not-a-cursor"); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("bad cursor: %v, want not found", err)
		}
	})
}

func TestOutboxOnlyForOwnersAndAdmins(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ownerCtx, _ := fixture.User(t, d, "owner")
		o := mail.New(d)
		msgID := queue(t, ownerCtx, d, o, mail.Message{To: "ann@example.com", Subject: "Hi", Text: "x"})
		for _, role := range []string{"admin", "manager", "member", "viewer"} {
			ctx, _ := fixture.User(t, d, role)
			_, listErr := o.List(ctx, "")
			_, oneErr := o.ByID(ctx, msgID)
			allowed := role == "admin"
			if (listErr == nil) != allowed || (oneErr == nil) != allowed {
				t.Errorf("%s: list %v, one %v; allowed = %v", role, listErr, oneErr, allowed)
			}
			if !allowed && (!errors.Is(listErr, apperr.ErrForbidden) || !errors.Is(oneErr, apperr.ErrForbidden)) {
				t.Errorf("%s: want forbidden, got %v / %v", role, listErr, oneErr)
			}
		}
	})
}
