package task_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/mail/mailtest"
	"github.com/rapportcrm/rapport/internal/notify"
	"github.com/rapportcrm/rapport/internal/task"
	"github.com/rapportcrm/rapport/internal/user"
)

// newQueue returns a started job queue working reminders and mail for svc
// and outbox, as one run of `rapport serve` would.
func newQueue(t *testing.T, d *db.DB, svc *task.Service, outbox *mail.Outbox) *jobs.Queue {
	t.Helper()
	ws := river.NewWorkers()
	river.AddWorker(ws, task.NewReminderWorker(svc))
	river.AddWorker(ws, task.NewDigestWorker(svc))
	river.AddWorker(ws, mail.NewWorker(outbox))
	q, err := jobs.New(d, jobs.Options{Workers: ws, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		JobTimeout: 5 * time.Second, RescueAfter: 10 * time.Second, FetchPollInterval: 100 * time.Millisecond})
	if err != nil {
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
	return q
}

func stop(t *testing.T, q *jobs.Queue) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestRemindersSurviveRestart stops the job queue before the reminders are
// due, starts a new one (a restart), and checks every reminder notifies
// exactly once, by the time set last; moved, done and deleted tasks never
// notify at their old time.
func TestRemindersSurviveRestart(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		smtp := mailtest.Start(t)
		svc := task.NewService(d, user.NewService(d))
		outbox := mail.New(d)
		svc.UseMail(outbox, "http://rapport.test")
		first := newQueue(t, d, svc, outbox)
		svc.UseQueue(first)
		if err := outbox.Deliver(mail.Server{URL: smtp.URL(), From: "Rapport <rapport@rapport.test>"}, first); err != nil {
			t.Fatal(err)
		}
		at := func(d time.Duration) *string {
			s := time.Now().Add(d).UTC().Format(time.RFC3339)
			return &s
		}
		plain, err := svc.Create(ctx, task.Input{Title: p("Send the offer"), DueDate: p("2026-03-01"), RemindAt: at(3 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		moved, err := svc.Create(ctx, task.Input{Title: p("Moved reminder"), RemindAt: at(2 * time.Second)})
		if err != nil {
			t.Fatal(err)
		}
		if moved, err = svc.Update(ctx, moved.ID, task.Input{RemindAt: at(4 * time.Second)}); err != nil {
			t.Fatal(err)
		}
		done, _ := svc.Create(ctx, task.Input{Title: p("Done before"), RemindAt: at(2 * time.Second)})
		if _, _, err := svc.Complete(ctx, done.ID); err != nil {
			t.Fatal(err)
		}
		gone, _ := svc.Create(ctx, task.Input{Title: p("Deleted before"), RemindAt: at(2 * time.Second)})
		if err := svc.Delete(ctx, gone.ID); err != nil {
			t.Fatal(err)
		}
		// The process stops before any reminder is due ...
		stop(t, first)
		if n := count(t, d, `SELECT COUNT(*) FROM notifications`); n != 0 {
			t.Fatalf("%d notifications before the reminder time", n)
		}
		// ... and a new one starts.
		second := newQueue(t, d, svc, outbox)
		svc.UseQueue(second)
		if err := outbox.Deliver(mail.Server{URL: smtp.URL(), From: "Rapport <rapport@rapport.test>"}, second); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 20*time.Second, "two reminders", func() bool {
			return count(t, d, `SELECT COUNT(*) FROM notifications`) >= 2
		})
		time.Sleep(1500 * time.Millisecond) // time for a double to show up
		rows, err := d.R.QueryContext(ctx, `SELECT title, user_id, effect_key FROM notifications ORDER BY title`)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for rows.Next() {
			var title, userID, key string
			rows.Scan(&title, &userID, &key)
			if userID != owner.ID {
				t.Errorf("notification %q for %s, want the assignee", title, userID)
			}
			got = append(got, title+" @ "+key[strings.LastIndex(key, ":")-5:])
		}
		rows.Close()
		if len(got) != 2 || !strings.HasPrefix(got[0], "Moved reminder") || !strings.HasPrefix(got[1], "Send the offer") {
			t.Errorf("notifications %v, want one for the moved reminder and one for the offer", got)
		}
		if key := "task.reminder:" + moved.ID + ":" + moved.RemindAt.Format(time.RFC3339); count(t, d,
			`SELECT COUNT(*) FROM notifications WHERE effect_key = $1`, key) != 1 {
			t.Errorf("the moved reminder did not fire at its new time %s", moved.RemindAt)
		}
		msgs := smtp.Wait(t, 2, 15*time.Second)
		time.Sleep(500 * time.Millisecond)
		if msgs = smtp.Messages(); len(msgs) != 2 {
			t.Errorf("%d reminder emails, want 2", len(msgs))
		}
		for _, m := range msgs {
			if len(m.To) != 1 || m.To[0] != owner.Email || !strings.Contains(m.Raw, "Subject: Reminder:") {
				t.Errorf("email to %v: %.200s", m.To, m.Raw)
			}
		}
		// The bell counts them until they are read.
		bell := notify.New(d)
		if n, err := bell.Unread(ctx); err != nil || n != 2 {
			t.Errorf("unread = %d, %v; want 2", n, err)
		}
		_ = plain
	})
}

// TestDigestOncePerDay runs the digest from three processes at once and
// again later the same day: each user with due tasks gets one digest.
func TestDigestOncePerDay(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) { digestOncePerDay(t, e) })
	}
}

func digestOncePerDay(t *testing.T, e db.Engine) {
	{
		src := dbtest.Source(t, e)
		d := dbtest.OpenUnmigrated(t, src)
		if _, err := d.Migrate(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, owner := fixture.User(t, d, "owner")
		_, idle := fixture.User(t, d, "member")
		smtp := mailtest.Start(t)
		svc := task.NewService(d, user.NewService(d))
		for _, in := range []task.Input{
			{Title: p("Overdue call"), DueDate: p("2026-03-09")},
			{Title: p("Today's call"), DueDate: p("2026-03-10"), DueTime: p("15:00")},
			{Title: p("Next week"), DueDate: p("2026-03-17")},
		} {
			if _, err := svc.Create(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		morning := time.Date(2026, 3, 10, 8, 0, 0, 0, time.UTC)
		early := time.Date(2026, 3, 10, 5, 0, 0, 0, time.UTC)

		// Three processes, each with its own database handle and outbox.
		var wg sync.WaitGroup
		sent := make([]int, 3)
		errs := make([]error, 3)
		var procs []*task.Service
		for range 3 {
			pd, err := db.Open(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { pd.Close() })
			ps := task.NewService(pd, user.NewService(pd))
			o := mail.New(pd)
			q, err := jobs.New(pd, jobs.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := o.Deliver(mail.Server{URL: smtp.URL(), From: "rapport@rapport.test"}, q); err != nil {
				t.Fatal(err)
			}
			ps.UseMail(o, "http://rapport.test")
			procs = append(procs, ps)
			if n, err := ps.SendDigests(ctx, early); err != nil || n != 0 {
				t.Errorf("before 07:00: %d digests, %v", n, err)
			}
		}
		for i, ps := range procs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				sent[i], errs[i] = ps.SendDigests(ctx, morning)
			}()
		}
		wg.Wait()
		total := 0
		for i := range 3 {
			if errs[i] != nil {
				t.Errorf("process %d: %v", i, errs[i])
			}
			total += sent[i]
		}
		if n, _ := procs[0].SendDigests(ctx, morning.Add(5*time.Hour)); total != 1 || n != 0 {
			t.Errorf("digests sent %v then %d, want 1 in all", sent, n)
		}
		if n := count(t, d, `SELECT COUNT(*) FROM task_digests WHERE user_id = $1`, idle.ID); n != 0 {
			t.Errorf("a user without due tasks got %d digests", n)
		}
		var to, text string
		if err := d.R.QueryRowContext(ctx, `SELECT to_addr, text_body FROM mail_outbox WHERE kind = 'task.digest'`).Scan(&to, &text); err != nil {
			t.Fatal(err)
		}
		if to != owner.Email || !strings.Contains(text, "Overdue:\n- Overdue call (due 2026-03-09)") ||
			!strings.Contains(text, "Today:\n- Today's call at 15:00") || strings.Contains(text, "Next week") {
			t.Errorf("digest to %s:\n%s", to, text)
		}
		// The next day brings the next digest.
		if n, err := procs[1].SendDigests(ctx, morning.Add(24*time.Hour)); err != nil || n != 1 {
			t.Errorf("next day: %d, %v", n, err)
		}
		// A worker sends the queued mail through the loopback server, once each.
		o := mail.New(d)
		insertOnly, err := jobs.New(d, jobs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := o.Deliver(mail.Server{URL: smtp.URL(), From: "rapport@rapport.test"}, insertOnly); err != nil {
			t.Fatal(err)
		}
		newQueue(t, d, svc, o)
		smtp.Wait(t, 2, 15*time.Second)
		time.Sleep(300 * time.Millisecond)
		if n := len(smtp.Messages()); n != 2 {
			t.Errorf("%d digest emails arrived, want 2", n)
		}
	}
}
