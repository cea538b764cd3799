package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/memo"
)

func TestSessionStore(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := auth.NewSessionStore(d)
		if err := s.CommitCtx(ctx, "tok", []byte("one"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if err := s.CommitCtx(ctx, "tok", []byte("two"), time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		b, found, err := s.FindCtx(ctx, "tok")
		if err != nil || !found || string(b) != "two" {
			t.Errorf("Find = %q, %v, %v; want the second commit", b, found, err)
		}
		s.CommitCtx(ctx, "old", []byte("x"), time.Now().Add(-time.Second))
		if _, found, _ := s.FindCtx(ctx, "old"); found {
			t.Error("an expired session was found")
		}
		n, _, err := auth.Cleanup(ctx, d)
		if err != nil || n != 1 {
			t.Errorf("Cleanup removed %d sessions (%v), want 1", n, err)
		}
		s.DeleteCtx(ctx, "tok")
		if _, found, _ := s.FindCtx(ctx, "tok"); found {
			t.Error("a deleted session was found")
		}
	})
}

func TestThrottle(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
		th := auth.NewThrottle(d, 3, 15*time.Minute)
		th.Now = func() time.Time { return now }
		for i := 0; i < 3; i++ {
			if wait, _ := th.Blocked(ctx, "k"); wait != 0 {
				t.Fatalf("blocked after %d failures, limit is 3", i)
			}
			if err := th.Fail(ctx, "k"); err != nil {
				t.Fatal(err)
			}
		}
		wait, err := th.Blocked(ctx, "k")
		if err != nil || wait != 15*time.Minute {
			t.Errorf("Blocked = %v, %v; want 15m", wait, err)
		}
		if wait, _ := th.Blocked(ctx, "other"); wait != 0 {
			t.Error("another key is blocked")
		}
		now = now.Add(16 * time.Minute)
		if wait, _ := th.Blocked(ctx, "k"); wait != 0 {
			t.Errorf("still blocked after the window: %v", wait)
		}
		th.Fail(ctx, "k")
		if wait, _ := th.Blocked(ctx, "k"); wait != 0 {
			t.Error("a failure in a new window counted the old ones")
		}
		th.Fail(ctx, "k")
		th.Fail(ctx, "k")
		th.Reset(ctx, "k")
		if wait, _ := th.Blocked(ctx, "k"); wait != 0 {
			t.Error("blocked after Reset")
		}
	})
}

func TestCleanupEndsIdleBrowsers(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx, u := fixture.User(t, d, "owner")
		now := db.Now()
		for _, row := range []struct {
			id   string
			seen time.Time
		}{{id.New(), now.Add(-auth.IdleTimeout - time.Minute)}, {id.New(), now.Add(-time.Minute)}} {
			if _, err := d.W.ExecContext(ctx, `INSERT INTO user_sessions (id, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $3)`,
				row.id, u.ID, db.T(row.seen)); err != nil {
				t.Fatal(err)
			}
		}
		if n, _, err := auth.Cleanup(ctx, d); err != nil || n != 1 {
			t.Errorf("Cleanup ended %d sessions (%v), want the idle one", n, err)
		}
		var left int
		if err := d.R.QueryRowContext(ctx, `SELECT COUNT(*) FROM user_sessions`).Scan(&left); err != nil || left != 1 {
			t.Errorf("%d browsers left (%v), want the recent one", left, err)
		}
	})
}

// TestSessionRefreshSkipped: a read-only request (memo) that changes
// nothing writes the session again only once its expiry is RefreshEvery
// behind; changed data, or a request without a memo, always writes.
func TestSessionRefreshSkipped(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := auth.NewSessionStore(d)
		var codec scs.GobCodec
		deadline := time.Now().Add(24 * time.Hour).UTC()
		data, err := codec.Encode(deadline, map[string]any{"a": "1", "b": "2", "c": 3, "d": true})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now().Add(time.Hour).UTC().Truncate(time.Second)
		if err := s.CommitCtx(context.Background(), "tok", data, start); err != nil {
			t.Fatal(err)
		}
		stored := func() time.Time {
			var e db.Time
			if err := d.R.QueryRowContext(context.Background(), `SELECT expiry FROM sessions WHERE token = $1`, "tok").Scan(&e); err != nil {
				t.Fatal(err)
			}
			return e.Time
		}
		request := func(ctx context.Context, b []byte, expiry time.Time) {
			if _, found, err := s.FindCtx(ctx, "tok"); err != nil || !found {
				t.Fatalf("Find: %v, %v", found, err)
			}
			if err := s.CommitCtx(ctx, "tok", b, expiry); err != nil {
				t.Fatal(err)
			}
		}
		// The same values, encoded again (gob's map order may differ).
		again, _ := codec.Encode(deadline, map[string]any{"d": true, "c": 3, "b": "2", "a": "1"})
		request(memo.With(context.Background()), again, start.Add(10*time.Second))
		if got := stored(); !got.Equal(start) {
			t.Errorf("expiry %v after an unchanged request 10 s later, want it kept at %v", got, start)
		}
		later := start.Add(auth.RefreshEvery + time.Second)
		request(memo.With(context.Background()), again, later)
		if got := stored(); !got.Equal(later) {
			t.Errorf("expiry %v after a request past RefreshEvery, want %v", got, later)
		}
		changed, _ := codec.Encode(deadline, map[string]any{"a": "1", "b": "2", "c": 3, "d": false})
		request(memo.With(context.Background()), changed, later.Add(time.Second))
		if got := stored(); !got.Equal(later.Add(time.Second)) {
			t.Errorf("expiry %v after changed data, want %v", got, later.Add(time.Second))
		}
		request(context.Background(), changed, later.Add(2*time.Second))
		if got := stored(); !got.Equal(later.Add(2 * time.Second)) {
			t.Errorf("expiry %v after a request without a memo (a write), want %v", got, later.Add(2*time.Second))
		}
	})
}
