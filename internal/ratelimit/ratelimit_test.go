package ratelimit_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/ratelimit"
)

func TestTake(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		l := ratelimit.New(d)
		l.SetNow(func() time.Time { return now })
		p := ratelimit.Policy{Name: "default", Quota: 6, Window: time.Minute} // one every 10 s

		type step struct {
			advance       time.Duration
			allowed       bool
			remaining     int
			policy, limit string
			retryAfter    string
		}
		steps := []step{
			{0, true, 5, `"default";q=6;w=60`, `"default";r=5;t=10`, ""},
			{0, true, 4, `"default";q=6;w=60`, `"default";r=4;t=20`, ""},
			{0, true, 3, "", `"default";r=3;t=30`, ""},
			{0, true, 2, "", `"default";r=2;t=40`, ""},
			{0, true, 1, "", `"default";r=1;t=50`, ""},
			{0, true, 0, "", `"default";r=0;t=60`, ""},
			{0, false, 0, "", `"default";r=0;t=60`, "10"},
			{4 * time.Second, false, 0, "", `"default";r=0;t=56`, "6"},
			{6 * time.Second, true, 0, "", `"default";r=0;t=60`, ""}, // one token back after 10 s
			{60 * time.Second, true, 5, "", `"default";r=5;t=10`, ""},
		}
		for i, s := range steps {
			now = now.Add(s.advance)
			r, err := l.Take(ctx, "key:a", p)
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			r.SetHeaders(h)
			if r.Allowed != s.allowed || r.Remaining != s.remaining || h.Get("RateLimit") != s.limit ||
				(s.policy != "" && h.Get("RateLimit-Policy") != s.policy) || h.Get("Retry-After") != s.retryAfter {
				t.Errorf("step %d: allowed %v remaining %d headers %v; want %+v", i, r.Allowed, r.Remaining, h, s)
			}
		}
		// Another bucket is untouched.
		if r, _ := l.Take(ctx, "key:b", p); !r.Allowed || r.Remaining != 5 {
			t.Errorf("other bucket: %+v", r)
		}
	})
}

// TestShared takes from one bucket through two database handles at once,
// as two processes would: exactly the quota gets through.
func TestShared(t *testing.T) {
	for _, e := range dbtest.Engines() {
		t.Run(string(e), func(t *testing.T) {
			src := dbtest.Source(t, e)
			first := dbtest.OpenUnmigrated(t, src)
			if _, err := first.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			second := dbtest.OpenUnmigrated(t, src)
			limiters := []*ratelimit.Limiter{ratelimit.New(first), ratelimit.New(second)}
			p := ratelimit.Policy{Name: "default", Quota: 10, Window: time.Hour}
			var allowed atomic.Int32
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Go(func() {
					r, err := limiters[i%2].Take(context.Background(), "key:shared", p)
					if err != nil {
						t.Error(err)
						return
					}
					if r.Allowed {
						allowed.Add(1)
					}
				})
			}
			wg.Wait()
			if got := allowed.Load(); got != 10 {
				t.Errorf("%d of 30 requests allowed through two handles, want the quota of 10", got)
			}
		})
	}
}

func TestHugeQuota(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		r, err := ratelimit.New(d).Take(context.Background(), "k", ratelimit.Policy{Name: "x", Quota: 1_000_000_000, Window: time.Minute})
		if err != nil || !r.Allowed || r.Remaining < 1_000_000 {
			t.Errorf("a quota above one per microsecond: %+v, %v", r, err)
		}
	})
}

func TestHandler(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		h := ratelimit.New(d).Handler(ratelimit.Policy{Name: "form", Quota: 2, Window: time.Minute},
			func(r *http.Request) string { return "form:" + r.RemoteAddr },
			func(w http.ResponseWriter, r *http.Request) { http.Error(w, "slow down", http.StatusTooManyRequests) },
			http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
		var got []int
		for range 3 {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/f/contact", nil))
			got = append(got, rec.Code)
			if rec.Header().Get("RateLimit") == "" {
				t.Error("no RateLimit header")
			}
		}
		if got[0] != 200 || got[1] != 200 || got[2] != 429 {
			t.Errorf("statuses %v, want 200 200 429", got)
		}
	})
}

func TestCleanup(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		if _, err := d.W.ExecContext(ctx, `INSERT INTO rate_limits (key, tat, allowed) VALUES ('full', $1, 1), ('busy', $2, 1)`,
			now.Add(-time.Second).UnixMicro(), now.Add(time.Second).UnixMicro()); err != nil {
			t.Fatal(err)
		}
		n, err := ratelimit.Cleanup(ctx, d, now)
		if err != nil || n != 1 {
			t.Errorf("cleanup = %d, %v; want the 1 full bucket", n, err)
		}
		var left string
		d.R.QueryRowContext(ctx, `SELECT key FROM rate_limits`).Scan(&left)
		if left != "busy" {
			t.Errorf("kept %q, want the bucket still draining", left)
		}
	})
}
