package webhook

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// TestRestartDeliversExactlyOnce stops the job queue while deliveries are
// pending (some sent, some not, one awaiting a retry), starts a new queue
// as a restarted process would, and checks every delivery arrives, each
// exactly once (plus the one retry that was due).
func TestRestartDeliversExactlyOnce(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, _ := fixture.User(t, d, "owner")
		clock := time.Now().Add(-time.Hour).UTC()
		s := New(Options{DB: d, Settle: 20 * time.Millisecond, Now: func() time.Time { return clock }})
		allowPrivate(t, ctx, s, true)
		rc := newReceiver(t, func(n int, w http.ResponseWriter, _ *http.Request) {
			time.Sleep(20 * time.Millisecond)
			if n == 3 {
				w.WriteHeader(502) // one failure: its retry is due at once (clock set back)
				return
			}
			w.WriteHeader(200)
		})
		sub, err := s.Create(ctx, Input{URL: rc.URL, EventTypes: []string{"contact.*"}})
		if err != nil {
			t.Fatal(err)
		}
		first := newQueue(t, d, s, false)
		s.UseQueue(first)
		const events = 60
		kinds := make([]string, events)
		for i := range kinds {
			kinds[i] = "contact.updated"
		}
		recordEvents(t, d, kinds...)
		if n, err := dispatch(t, s, ctx); err != nil || n != events {
			t.Fatalf("dispatch: %d, %v; want %d", n, err, events)
		}
		if err := first.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		waitFor(t, 10*time.Second, "a few deliveries", func() bool { return len(rc.requests()) >= 5 })
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := first.Stop(stopCtx); err != nil {
			t.Fatal(err)
		}
		cancel()
		sentBefore := len(rc.requests())
		if sentBefore >= events {
			t.Fatalf("all %d delivered before the stop; the test needs some pending", sentBefore)
		}
		second := newQueue(t, d, s, true)
		s.UseQueue(second)
		waitFor(t, 30*time.Second, "all delivered", func() bool {
			var left int
			d.R.QueryRow(`SELECT count(*) FROM webhook_deliveries WHERE subscription_id = $1 AND status <> 'succeeded'`, sub.ID).Scan(&left)
			return left == 0
		})
		time.Sleep(300 * time.Millisecond)
		byID := map[string]int{}
		for _, r := range rc.requests() {
			byID[r.header.Get("webhook-id")]++
		}
		if len(byID) != events {
			t.Errorf("%d distinct deliveries arrived, want %d", len(byID), events)
		}
		twice := 0
		for id, n := range byID {
			switch {
			case n == 2:
				twice++
			case n != 1:
				t.Errorf("delivery %s arrived %d times", id, n)
			}
		}
		if twice != 1 {
			t.Errorf("%d deliveries arrived twice, want exactly 1 (the one answered 502, then retried)", twice)
		}
		t.Logf("%d of %d sent before the restart", sentBefore, events)
	})
}
