package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/mail"
)

// TestSignatureVector checks Sign against the example of the Standard
// Webhooks specification's reference libraries.
func TestSignatureVector(t *testing.T) {
	ts := time.Unix(1614265330, 0)
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", ts, []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("signature = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", got)
	if err := verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232314}`), ts); err != nil {
		t.Errorf("verifier rejects the specification's example: %v", err)
	}
	if err := verify("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", h, []byte(`{"test": 2432232315}`), ts); err == nil {
		t.Error("verifier accepts a tampered body")
	}
	s := NewSecret()
	if key, err := secretKey(s); err != nil || len(key) != 32 || !strings.HasPrefix(s, "whsec_") {
		t.Errorf("NewSecret() = %q (key %d bytes, %v)", s, len(key), err)
	}
}

// TestDeliverSigned delivers events to a loopback receiver through the job
// queue: only the kinds subscribed to arrive, each once, signed so that an
// independent verifier accepts it and rejects it with the body changed.
func TestDeliverSigned(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond})
		q := newQueue(t, d, s, true)
		s.UseQueue(q)
		allowPrivate(t, ctx, s, true)
		rc := newReceiver(t, nil)
		sub, err := s.Create(ctx, Input{URL: rc.URL + "/hook", EventTypes: []string{"contact.*", "deal.won"}})
		if err != nil {
			t.Fatal(err)
		}
		other := newReceiver(t, nil)
		if _, err := s.Create(ctx, Input{URL: other.URL, EventTypes: []string{"company.created"}}); err != nil {
			t.Fatal(err)
		}
		evIDs := recordEvents(t, d, "contact.created", "company.created", "contact.updated", "deal.lost", "deal.won")
		n, err := dispatch(t, s, ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != 4 {
			t.Errorf("dispatch made %d deliveries, want 4 (3 to the first receiver, 1 to the second)", n)
		}
		if n, _ := dispatch(t, s, ctx); n != 0 {
			t.Errorf("second dispatch made %d deliveries, want 0", n)
		}
		waitFor(t, 10*time.Second, "3 requests", func() bool { return len(rc.requests()) >= 3 })
		time.Sleep(200 * time.Millisecond)
		got := rc.requests()
		if len(got) != 3 {
			t.Fatalf("receiver got %d requests, want 3", len(got))
		}
		want := map[string]string{evIDs[0]: "contact.created", evIDs[2]: "contact.updated", evIDs[4]: "deal.won"}
		seen := map[string]bool{}
		for _, r := range got {
			if err := verify(sub.Secret, r.header, r.body, time.Now()); err != nil {
				t.Errorf("signature rejected: %v", err)
			}
			tampered := append([]byte(nil), r.body...)
			tampered[len(tampered)-2] ^= 1
			if err := verify(sub.Secret, r.header, tampered, time.Now()); err == nil {
				t.Error("the verifier accepts a tampered body")
			}
			if err := verify(NewSecret(), r.header, r.body, time.Now()); err == nil {
				t.Error("the verifier accepts another secret")
			}
			var p struct {
				Type      string `json:"type"`
				Timestamp string `json:"timestamp"`
				Data      struct {
					ID          string         `json:"id"`
					SubjectType string         `json:"subject_type"`
					Data        map[string]any `json:"data"`
				} `json:"data"`
			}
			if err := json.Unmarshal(r.body, &p); err != nil {
				t.Fatalf("body %s: %v", r.body, err)
			}
			if want[p.Data.ID] != p.Type {
				t.Errorf("got type %q for event %s, want %q", p.Type, p.Data.ID, want[p.Data.ID])
			}
			if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
				t.Errorf("timestamp %q is not RFC 3339", p.Timestamp)
			}
			if p.Data.Data["name"] != "Ada Lovelace" {
				t.Errorf("payload data = %v, want the event's data", p.Data.Data)
			}
			if seen[p.Data.ID] {
				t.Errorf("event %s delivered twice", p.Data.ID)
			}
			seen[p.Data.ID] = true
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		}
		waitFor(t, 5*time.Second, "deliveries recorded", func() bool {
			for _, x := range deliveriesOf(t, d, sub.ID) {
				if x.Status != Succeeded {
					return false
				}
			}
			return true
		})
		for _, x := range deliveriesOf(t, d, sub.ID) {
			if x.Attempts != 1 || x.LastStatus != 200 || x.DeliveredAt.IsZero() {
				t.Errorf("delivery %s: attempts %d, last status %d, delivered %v; want 1, 200, set", x.ID, x.Attempts, x.LastStatus, x.DeliveredAt)
			}
			_, as, err := s.Delivery(ctx, x.ID)
			if err != nil || len(as) != 1 || as[0].StatusCode != 200 {
				t.Errorf("attempts of %s = %+v, %v; want one with 200", x.ID, as, err)
			}
		}
		waitFor(t, 5*time.Second, "second receiver", func() bool { return len(other.requests()) == 1 })
		var elsewhere, inQueue int
		d.R.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver' AND queue <> $1`, Queue).Scan(&elsewhere)
		d.R.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'webhook.deliver' AND queue = $1`, Queue).Scan(&inQueue)
		if elsewhere != 0 || inQueue != 4 {
			t.Errorf("%d delivery jobs in the %s queue and %d elsewhere; want 4 and 0", inQueue, Queue, elsewhere)
		}
	})
}

// TestRetryThenSuccess: the receiver answers 500, then 200. The first
// failure schedules a retry 5–6 s later (read from next_attempt_at); with
// the clock set back the queue runs it at once and the delivery succeeds
// on the second attempt with both attempts logged.
func TestRetryThenSuccess(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		clock := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Microsecond)
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Now: func() time.Time { return clock }})
		allowPrivate(t, ctx, s, true)
		rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 1 {
				w.WriteHeader(500)
				w.Write([]byte("database is down"))
				return
			}
			w.WriteHeader(204)
		})
		sub, err := s.Create(ctx, Input{URL: rc.URL, EventTypes: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		q := newQueue(t, d, s, false)
		s.UseQueue(q)
		recordEvents(t, d, "contact.created")
		if _, err := dispatch(t, s, ctx); err != nil {
			t.Fatal(err)
		}
		ds := deliveriesOf(t, d, sub.ID)
		var first Delivery
		for _, x := range ds {
			if x.EventKind == "contact.created" {
				first = x
			}
		}
		if first.ID == "" {
			t.Fatalf("no delivery of contact.created among %d", len(ds))
		}
		// The first attempt by hand, to read the schedule before the retry runs.
		if err := s.attempt(ctx, DeliverArgs{DeliveryID: first.ID, Attempt: 1}, nil); err != nil {
			t.Fatal(err)
		}
		after, _, _ := s.Delivery(ctx, first.ID)
		if after.Status != Failed || after.Attempts != 1 || after.LastStatus != 500 {
			t.Fatalf("after a 500: status %s, attempts %d, last %d; want failed, 1, 500", after.Status, after.Attempts, after.LastStatus)
		}
		if wait := after.NextAttemptAt.Sub(clock); wait < 5*time.Second || wait > 6*time.Second {
			t.Errorf("next attempt in %s, want 5–6 s", wait)
		}
		if err := q.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "success on retry", func() bool {
			x, _, _ := s.Delivery(ctx, first.ID)
			return x.Status == Succeeded
		})
		x, as, _ := s.Delivery(ctx, first.ID)
		if x.Attempts != 2 || len(as) != 2 || as[0].StatusCode != 500 || as[0].Response != "database is down" || as[1].StatusCode != 204 {
			t.Errorf("delivery %+v, attempts %+v; want 500 (with its body) then 204", x, as)
		}
		var mine int
		for _, r := range rc.requests() {
			if r.header.Get("webhook-id") == first.ID {
				mine++
			}
		}
		if mine != 2 {
			t.Errorf("receiver got %d requests with webhook-id %s, want 2", mine, first.ID)
		}
		sub, _ = s.ByID(ctx, sub.ID)
		if !sub.FailingSince.IsZero() {
			t.Errorf("failing since %v after a success, want cleared", sub.FailingSince)
		}
	})
}

// TestBackoffSchedule fails every attempt, moving the clock to each
// next_attempt_at: the waits follow Schedule with 0–20 % jitter, the
// attempts span more than 24 hours, and the delivery ends dead.
func TestBackoffSchedule(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		clock := time.Now().UTC().Truncate(time.Microsecond)
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Now: func() time.Time { return clock }})
		allowPrivate(t, ctx, s, true)
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) })
		sub, err := s.Create(ctx, Input{URL: rc.URL, EventTypes: []string{"contact.created"}})
		if err != nil {
			t.Fatal(err)
		}
		recordEvents(t, d, "contact.created")
		if _, err := dispatch(t, s, ctx); err != nil {
			t.Fatal(err)
		}
		del := deliveriesOf(t, d, sub.ID)[0]
		start := clock
		for n := 1; n <= MaxAttempts; n++ {
			if err := s.attempt(ctx, DeliverArgs{DeliveryID: del.ID, Attempt: n}, nil); err != nil {
				t.Fatal(err)
			}
			x, _, _ := s.Delivery(ctx, del.ID)
			if n == MaxAttempts {
				if x.Status != Dead || !x.NextAttemptAt.IsZero() {
					t.Errorf("after attempt %d: status %s, next %v; want dead, none", n, x.Status, x.NextAttemptAt)
				}
				break
			}
			base := Schedule[n-1]
			wait := x.NextAttemptAt.Sub(clock)
			if x.Status != Failed || wait < base || wait > base+base/5+time.Microsecond {
				t.Errorf("after attempt %d: status %s, wait %s; want failed, %s to %s", n, x.Status, wait, base, base+base/5)
			}
			// A job for this attempt run again does nothing.
			if err := s.attempt(ctx, DeliverArgs{DeliveryID: del.ID, Attempt: n}, nil); err != nil {
				t.Fatal(err)
			}
			clock = x.NextAttemptAt
		}
		if span := clock.Sub(start); span < 24*time.Hour {
			t.Errorf("attempts span %s, want at least 24 h", span)
		}
		if got := len(rc.requests()); got != MaxAttempts {
			t.Errorf("receiver got %d requests, want %d", got, MaxAttempts)
		}
		_, as, _ := s.Delivery(ctx, del.ID)
		if len(as) != MaxAttempts {
			t.Errorf("%d attempts logged, want %d", len(as), MaxAttempts)
		}
	})
}

// TestTimeoutAndRedirect: a receiver that hangs past the time-out and one
// that redirects both count as failures, say why in the log and get a
// retry; the redirect's target is never called.
func TestTimeoutAndRedirect(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Timeout: 300 * time.Millisecond})
		allowPrivate(t, ctx, s, true)
		release := make(chan struct{})
		hang := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-release:
			case <-r.Context().Done():
			}
		})
		defer close(release)
		target := newReceiver(t, nil)
		redirect := newReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, target.URL+"/elsewhere", http.StatusFound)
		})
		cases := []struct {
			url, wantErr string
			wantCode     int
		}{
			{hang.URL, "time-out", 0},
			{redirect.URL, "redirect", 302},
		}
		for _, c := range cases {
			sub, err := s.Create(ctx, Input{URL: c.url, EventTypes: []string{"task.created"}})
			if err != nil {
				t.Fatal(err)
			}
			recordEvents(t, d, "task.created")
			if _, err := dispatch(t, s, ctx); err != nil {
				t.Fatal(err)
			}
			var del Delivery
			for _, x := range deliveriesOf(t, d, sub.ID) {
				del = x
			}
			start := time.Now()
			if err := s.attempt(ctx, DeliverArgs{DeliveryID: del.ID, Attempt: 1}, nil); err != nil {
				t.Fatal(err)
			}
			if took := time.Since(start); took > 3*time.Second {
				t.Errorf("%s: attempt took %s, want about the 300 ms time-out", c.wantErr, took)
			}
			x, as, _ := s.Delivery(ctx, del.ID)
			if x.Status != Failed || len(as) != 1 || !strings.Contains(as[0].Error, c.wantErr) || as[0].StatusCode != c.wantCode {
				t.Errorf("%s: status %s, attempts %+v; want failed with %q, code %d", c.wantErr, x.Status, as, c.wantErr, c.wantCode)
			}
			if x.NextAttemptAt.IsZero() {
				t.Errorf("%s: no retry scheduled", c.wantErr)
			}
		}
		if n := len(target.requests()); n != 0 {
			t.Errorf("the redirect's target got %d requests, want 0", n)
		}
	})
}

// TestDisableAfterSustainedFailure: a subscription whose deliveries have
// all failed for 24 hours is disabled at the next failure, with the event
// webhook.disabled and an email to its creator in the outbox; one failing
// for less is left enabled, and later deliveries to a disabled one are
// not sent.
func TestDisableAfterSustainedFailure(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, owner := fixture.User(t, d, "owner")
		clock := time.Now().UTC().Truncate(time.Microsecond)
		outbox := mail.New(d)
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Outbox: outbox, BaseURL: "http://rapport.test", Now: func() time.Time { return clock }})
		allowPrivate(t, ctx, s, true)
		rc := newReceiver(t, func(_ int, w http.ResponseWriter, _ *http.Request) { w.WriteHeader(500) })
		sub, err := s.Create(ctx, Input{URL: rc.URL, Description: "Shop sync", EventTypes: []string{"contact.created"}})
		if err != nil {
			t.Fatal(err)
		}
		recordEvents(t, d, "contact.created", "contact.created")
		if _, err := dispatch(t, s, ctx); err != nil {
			t.Fatal(err)
		}
		ds := deliveriesOf(t, d, sub.ID)
		if err := s.attempt(ctx, DeliverArgs{DeliveryID: ds[0].ID, Attempt: 1}, nil); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ByID(ctx, sub.ID)
		if !got.Enabled || !got.FailingSince.Equal(clock) {
			t.Fatalf("after one failure: enabled %v, failing since %v; want enabled, %v", got.Enabled, got.FailingSince, clock)
		}
		clock = clock.Add(23 * time.Hour)
		if err := s.attempt(ctx, DeliverArgs{DeliveryID: ds[0].ID, Attempt: 2}, nil); err != nil {
			t.Fatal(err)
		}
		if got, _ = s.ByID(ctx, sub.ID); !got.Enabled {
			t.Fatal("disabled after 23 h of failure, want enabled until 24 h")
		}
		clock = clock.Add(61 * time.Minute)
		if err := s.attempt(ctx, DeliverArgs{DeliveryID: ds[1].ID, Attempt: 1}, nil); err != nil {
			t.Fatal(err)
		}
		got, _ = s.ByID(ctx, sub.ID)
		if got.Enabled || !strings.Contains(got.DisabledReason, "every delivery failed") {
			t.Fatalf("after 24 h 1 min of failure: enabled %v, reason %q; want disabled with a reason", got.Enabled, got.DisabledReason)
		}
		var events int
		d.R.QueryRow(`SELECT count(*) FROM events WHERE kind = 'webhook.disabled' AND subject_id = $1`, sub.ID).Scan(&events)
		if events != 1 {
			t.Errorf("%d webhook.disabled events, want 1", events)
		}
		page, err := outbox.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		var found bool
		for _, m := range page.Messages {
			if m.Kind == "webhook.disabled" && m.To == owner.Email && strings.Contains(m.Subject, rc.URL) {
				found = true
			}
		}
		if !found {
			t.Errorf("no webhook.disabled email to %s in the outbox (%d messages)", owner.Email, len(page.Messages))
		}
		// The pending retry of the first delivery is not sent any more.
		before := len(rc.requests())
		if err := s.attempt(ctx, DeliverArgs{DeliveryID: ds[0].ID, Attempt: 3}, nil); err != nil {
			t.Fatal(err)
		}
		if len(rc.requests()) != before {
			t.Error("a delivery was sent to a disabled webhook")
		}
		if x, _, _ := s.Delivery(ctx, ds[0].ID); x.Status != Dead {
			t.Errorf("delivery to a disabled webhook: status %s, want dead", x.Status)
		}
		// Enabling it again clears the failure record.
		if got, err = s.SetEnabled(ctx, sub.ID, true); err != nil || !got.Enabled || !got.FailingSince.IsZero() || got.DisabledReason != "" {
			t.Errorf("enable: %+v, %v", got, err)
		}
	})
}

// TestResendAndTest: a resend is a new delivery of the same event with the
// same payload and a new webhook-id, the old one unchanged; a test event
// goes to a subscription whatever its kinds.
func TestResendAndTest(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond})
		allowPrivate(t, ctx, s, true)
		rc := newReceiver(t, nil)
		sub, err := s.Create(ctx, Input{URL: rc.URL, EventTypes: []string{"contact.created"}})
		if err != nil {
			t.Fatal(err)
		}
		q := newQueue(t, d, s, true)
		s.UseQueue(q)
		recordEvents(t, d, "contact.created")
		dispatch(t, s, ctx)
		waitFor(t, 10*time.Second, "first delivery", func() bool { return len(rc.requests()) == 1 })
		old := deliveriesOf(t, d, sub.ID)[0]
		waitFor(t, 5*time.Second, "first delivery recorded", func() bool {
			x, _, _ := s.Delivery(ctx, old.ID)
			old = x
			return x.Status == Succeeded
		})
		nd, err := s.Resend(ctx, old.ID)
		if err != nil {
			t.Fatal(err)
		}
		if nd.ID == old.ID || nd.EventID != old.EventID || string(nd.Payload) != string(old.Payload) || nd.Resend != 1 {
			t.Errorf("resend = %+v; want a new id, the same event and payload, resend 1", nd)
		}
		waitFor(t, 10*time.Second, "resend", func() bool { return len(rc.requests()) == 2 })
		reqs := rc.requests()
		if reqs[1].header.Get("webhook-id") != nd.ID || string(reqs[1].body) != string(old.Payload) {
			t.Errorf("resend arrived with id %s and body %s", reqs[1].header.Get("webhook-id"), reqs[1].body)
		}
		again, _, _ := s.Delivery(ctx, old.ID)
		if again.Attempts != old.Attempts || again.Status != old.Status || !again.DeliveredAt.Equal(old.DeliveredAt) {
			t.Errorf("the old delivery changed: %+v, was %+v", again, old)
		}
		if _, err := s.SendTest(ctx, sub.ID); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "test event", func() bool { return len(rc.requests()) == 3 })
		var p Payload
		json.Unmarshal(rc.requests()[2].body, &p)
		if p.Type != TestKind {
			t.Errorf("test event type %q, want %q", p.Type, TestKind)
		}
		if err := verify(sub.Secret, rc.requests()[2].header, rc.requests()[2].body, time.Now()); err != nil {
			t.Errorf("test event signature: %v", err)
		}
		page, err := s.Deliveries(ctx, sub.ID, false, "", 2)
		if err != nil || len(page.Deliveries) != 2 || page.Next == "" {
			t.Fatalf("first page: %d deliveries, next %q, %v; want 2 and a next page", len(page.Deliveries), page.Next, err)
		}
		page2, err := s.Deliveries(ctx, sub.ID, false, page.Next, 2)
		if err != nil || len(page2.Deliveries) != 1 || page2.Next != "" || page2.Deliveries[0].ID != old.ID {
			t.Errorf("second page: %+v, %v; want the oldest delivery only", page2, err)
		}
		failed, _ := s.Deliveries(ctx, sub.ID, true, "", 50)
		if len(failed.Deliveries) != 0 {
			t.Errorf("failed filter shows %d deliveries, want 0", len(failed.Deliveries))
		}
		// Finished deliveries go after Retention; a young one stays.
		waitFor(t, 5*time.Second, "all finished", func() bool {
			for _, x := range deliveriesOf(t, d, sub.ID) {
				if x.Status != Succeeded {
					return false
				}
			}
			return true
		})
		if _, err := d.W.Exec(`UPDATE webhook_deliveries SET created_at = $1 WHERE id = $2`,
			db.T(time.Now().Add(-Retention-time.Hour)), old.ID); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Prune(ctx); err != nil || n != 1 {
			t.Errorf("prune deleted %d, %v; want 1", n, err)
		}
		if _, _, err := s.Delivery(ctx, old.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("pruned delivery: %v, want not found", err)
		}
		if left := deliveriesOf(t, d, sub.ID); len(left) != 2 {
			t.Errorf("%d deliveries left, want 2", len(left))
		}
	})
}

// TestRights: only those who administer may manage webhooks or allow
// private addresses.
func TestRights(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		s := New(Options{DB: d, Settle: 20 * time.Millisecond})
		allowPrivate(t, ctx, s, true)
		sub, err := s.Create(ctx, Input{URL: "http://127.0.0.1:9/x", EventTypes: []string{"*"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range []string{"manager", "member", "viewer"} {
			rctx, _ := fixture.User(t, d, role)
			if _, err := s.Create(rctx, Input{URL: "https://example.com", EventTypes: []string{"*"}}); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s creates: %v, want forbidden", role, err)
			}
			if err := s.Delete(rctx, sub.ID); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s deletes: %v, want forbidden", role, err)
			}
			if err := s.SetAllowPrivate(rctx, false); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s changes the private-address setting: %v, want forbidden", role, err)
			}
			if _, err := s.Resend(rctx, sub.ID); !errors.Is(err, apperr.ErrForbidden) {
				t.Errorf("%s resends: %v, want forbidden", role, err)
			}
		}
		actx, _ := fixture.User(t, d, "admin")
		if _, err := s.RotateSecret(actx, sub.ID); err != nil {
			t.Errorf("admin rotates the secret: %v", err)
		}
	})
}
