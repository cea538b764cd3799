package mail_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/mail/mailtest"
)

// delivering returns an outbox that sends to srv through a running queue.
func delivering(t *testing.T, d *db.DB, srv *mailtest.Server) *mail.Outbox {
	t.Helper()
	o := mail.New(d)
	ws := river.NewWorkers()
	river.AddWorker(ws, mail.NewWorker(o))
	q, err := jobs.New(d, jobs.Options{Workers: ws, FetchPollInterval: 50 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.Deliver(mail.Server{URL: srv.URL(), From: "Rapport <rapport@crm.example.com>"}, q); err != nil {
		t.Fatal(err)
	}
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return o
}

// waitStatus waits for message msgID to reach status and returns it.
func waitStatus(t *testing.T, ctx context.Context, o *mail.Outbox, msgID string, status mail.Status, timeout time.Duration) mail.Stored {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m, err := o.ByID(ctx, msgID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Status == status {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message is %s after %s (attempts %d, error %q), want %s", m.Status, timeout, m.Attempts, m.LastError, status)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestSendOverSMTP(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		srv := mailtest.Start(t)
		o := delivering(t, d, srv)
		link := "https://crm.example.com/invite/tok3n"
		msgID := queue(t, ctx, d, o, mail.Message{To: "ann@example.com", ToName: "Ann Example", Kind: "invite",
			Subject: "You are invited to Rapport", Text: "Hello Ann,\n\nOpen " + link + " to join.\n", Secrets: []string{link}})

		got := srv.Wait(t, 1, 15*time.Second)[0]
		h := got.Msg.Header
		for k, want := range map[string]string{
			"From":           `"Rapport" <rapport@crm.example.com>`,
			"To":             `"Ann Example" <ann@example.com>`,
			"Subject":        "You are invited to Rapport",
			"Message-Id":     "<" + msgID + "@crm.example.com>",
			"Auto-Submitted": "auto-generated",
		} {
			if h.Get(k) != want {
				t.Errorf("header %s = %q, want %q", k, h.Get(k), want)
			}
		}
		if !strings.HasPrefix(h.Get("Content-Type"), "text/plain") {
			t.Errorf("Content-Type %q, want text/plain", h.Get("Content-Type"))
		}
		if got.From != "rapport@crm.example.com" || len(got.To) != 1 || got.To[0] != "ann@example.com" {
			t.Errorf("envelope from %q to %v", got.From, got.To)
		}
		if !strings.Contains(got.Body, "Hello Ann,") || !strings.Contains(got.Body, link) {
			t.Errorf("body %q lacks the greeting or the link", got.Body)
		}
		if _, err := h.Date(); err != nil {
			t.Errorf("Date: %v", err)
		}

		m := waitStatus(t, ctx, o, msgID, mail.Sent, 10*time.Second)
		if m.Attempts != 1 || m.SentAt.IsZero() || m.LastError != "" || m.MessageID != "<"+msgID+"@crm.example.com>" {
			t.Errorf("sent message %+v", m)
		}
		if strings.Contains(m.Text, "tok3n") {
			t.Errorf("the stored copy of a sent message keeps its link: %q", m.Text)
		}
	})
}

func TestSendRetriesTemporaryFailure(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		srv := mailtest.Start(t)
		srv.Refuse(451)
		o := delivering(t, d, srv)
		msgID := queue(t, ctx, d, o, mail.Message{To: "bob@example.com", Subject: "Second time lucky", Text: "x"})
		m := waitStatus(t, ctx, o, msgID, mail.Sent, 30*time.Second)
		if m.Attempts != 2 {
			t.Errorf("attempts %d, want 2 (one refused, one sent)", m.Attempts)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Errorf("%d messages arrived, want 1", n)
		}
	})
}

func TestSendPermanentFailure(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		srv := mailtest.Start(t)
		srv.Refuse(550)
		o := delivering(t, d, srv)
		msgID := queue(t, ctx, d, o, mail.Message{To: "nobody@example.com", Subject: "No such user", Text: "x"})
		m := waitStatus(t, ctx, o, msgID, mail.Failed, 15*time.Second)
		if m.Attempts != 1 || !strings.Contains(m.LastError, "550") {
			t.Errorf("failed message: attempts %d, error %q; want 1 attempt and the 550 reply", m.Attempts, m.LastError)
		}
		var state string
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if err := d.R.QueryRowContext(ctx, `SELECT state FROM river_job WHERE kind = 'mail.send'`).Scan(&state); err != nil {
				t.Fatal(err)
			}
			if state == "cancelled" {
				break
			}
		}
		if state != "cancelled" {
			t.Errorf("job state %q, want cancelled: a permanent failure is not retried", state)
		}
	})
}

func TestDeliverRejectsBadServer(t *testing.T) {
	for _, u := range []string{"http://mail.example.com", "smtp://", "smtp://host:port"} {
		if err := mail.New(nil).Deliver(mail.Server{URL: u, From: "rapport@example.com"}, nil); err == nil {
			t.Errorf("Deliver(%q) accepted", u)
		}
	}
	if err := mail.New(nil).Deliver(mail.Server{URL: "smtp://mail.example.com", From: "not an address"}, nil); err == nil {
		t.Error("Deliver accepted a bad sender")
	}
}
