package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/user"
)

func TestRateLimits(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		setSetting(t, d, SettingKeyRate, "5")
		setSetting(t, d, SettingAddressRate, "3")
		e := newEnv(t, d)
		k := e.newKey(t, e.owned(), "Busy script", "contacts:read")
		other := e.newKey(t, e.owned(), "Quiet script", "contacts:read")
		kc, oc, anon := e.withKey(k.Secret), e.withKey(other.Secret), e.anonymous()

		steps := []struct {
			name   string
			c      *client
			status int
			limit  string // RateLimit header
			policy string // RateLimit-Policy header
			retry  bool
		}{
			{"key 1st", kc, 200, `"key";r=4;t=12`, `"key";q=5;w=60`, false},
			{"key 2nd", kc, 200, `"key";r=3;t=24`, `"key";q=5;w=60`, false},
			{"key 3rd", kc, 200, `"key";r=2;t=36`, `"key";q=5;w=60`, false},
			{"key 4th", kc, 200, `"key";r=1;t=48`, `"key";q=5;w=60`, false},
			{"key 5th", kc, 200, `"key";r=0;t=60`, `"key";q=5;w=60`, false},
			{"key 6th refused", kc, 429, `"key";r=0;t=60`, `"key";q=5;w=60`, true},
			{"another key has its own bucket", oc, 200, `"key";r=4;t=12`, `"key";q=5;w=60`, false},
			{"anonymous 1st", anon, 401, `"address";r=2;t=20`, `"address";q=3;w=60`, false},
			{"anonymous 2nd", anon, 401, `"address";r=1;t=40`, `"address";q=3;w=60`, false},
			{"anonymous 3rd", anon, 401, `"address";r=0;t=60`, `"address";q=3;w=60`, false},
			{"anonymous 4th refused", anon, 429, `"address";r=0;t=60`, `"address";q=3;w=60`, true},
			{"a wrong key counts against the address", e.withKey("rk_live_nope"), 429, `"address";r=0;t=60`, `"address";q=3;w=60`, true},
			{"a session is not limited", e.owned(), 200, "", "", false},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				r := s.c.do(t, "GET", "/api/v1/contacts", nil).expect(t, s.status)
				// t counts down by whole seconds; allow one second of slack.
				if got := r.header.Get("RateLimit"); !sameLimit(got, s.limit) {
					t.Errorf("RateLimit %q, want %q", got, s.limit)
				}
				if got := r.header.Get("RateLimit-Policy"); got != s.policy {
					t.Errorf("RateLimit-Policy %q, want %q", got, s.policy)
				}
				ra, err := strconv.Atoi(r.header.Get("Retry-After"))
				if s.retry && (err != nil || ra < 1 || ra > 60) {
					t.Errorf("Retry-After %q, want 1 to 60 seconds", r.header.Get("Retry-After"))
				}
				if !s.retry && r.header.Get("Retry-After") != "" {
					t.Errorf("Retry-After %q on an allowed request", r.header.Get("Retry-After"))
				}
			})
		}
	})
}

// sameLimit compares RateLimit values, t within a second.
func sameLimit(got, want string) bool {
	parse := func(s string) (name string, r, t int, ok bool) {
		name, rest, _ := strings.Cut(s, ";")
		_, err := fmt.Sscanf(rest, "r=%d;t=%d", &r, &t)
		return name, r, t, err == nil
	}
	if got == want {
		return true
	}
	gn, gr, gt, ok1 := parse(got)
	wn, wr, wt, ok2 := parse(want)
	return ok1 && ok2 && gn == wn && gr == wr && gt >= wt-1 && gt <= wt
}

// TestRateLimitShared runs two API instances, as two processes would,
// each with its own connections to one database: a key's requests spread
// over both share one bucket.
func TestRateLimitShared(t *testing.T) {
	for _, eng := range dbtest.Engines() {
		t.Run(string(eng), func(t *testing.T) {
			src := dbtest.Source(t, eng)
			first := dbtest.OpenUnmigrated(t, src)
			if _, err := first.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			setSetting(t, first, SettingKeyRate, "6")
			e := newEnv(t, first)
			k := e.newKey(t, e.owned(), "Spread", "contacts:read")
			second := dbtest.OpenUnmigrated(t, src)
			users := user.NewService(second)
			api2 := New(Options{DB: second, Contacts: contact.NewService(second, users), Companies: company.NewService(second, users)})
			srv2 := httptest.NewServer(api2)
			t.Cleanup(srv2.Close)
			servers := []string{e.srv.URL, srv2.URL}
			var codes []int
			for i := range 8 {
				req, _ := http.NewRequest("GET", servers[i%2]+"/api/v1/contacts", nil)
				req.Header.Set("Authorization", "Bearer "+k.Secret)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				codes = append(codes, res.StatusCode)
			}
			want := []int{200, 200, 200, 200, 200, 200, 429, 429}
			if fmt.Sprint(codes) != fmt.Sprint(want) {
				t.Errorf("statuses over two instances %v, want %v (one quota of 6)", codes, want)
			}
		})
	}
}
