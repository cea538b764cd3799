package auth_test

import (
	"context"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/auth"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
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
