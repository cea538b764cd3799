package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/setting"
	"github.com/rapportcrm/rapport/internal/user"
)

// withKey returns a client sending secret as a bearer key (and the test
// session cookie, which the key must win over).
func (e *env) withKey(secret string) *client {
	return &client{e: e, header: map[string]string{"Authorization": "Bearer " + secret}}
}

// newKey creates an API key through the API as c.
func (e *env) newKey(t *testing.T, c *client, name string, scopes ...string) NewAPIKey {
	t.Helper()
	var k NewAPIKey
	c.post(t, "/api/v1/api-keys", map[string]any{"name": name, "scopes": scopes}).expect(t, 201).decode(t, &k)
	return k
}

// setSetting stores a setting before the API first reads it.
func setSetting(t *testing.T, d *db.DB, key, value string) {
	t.Helper()
	if err := d.WithTx(context.Background(), func(tx *db.Tx) error { return setting.Set(context.Background(), tx, key, value) }); err != nil {
		t.Fatal(err)
	}
}

func TestAPIKeyAuthentication(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		owner := e.owned()
		member := e.user("member")
		r := owner.post(t, "/api/v1/api-keys", map[string]any{"name": "Shop", "scopes": []string{"contacts:read", "contacts:write"}}).expect(t, 201)
		var k NewAPIKey
		r.decode(t, &k)
		if !strings.HasPrefix(k.Secret, "rk_live_") || k.Status != "active" || r.header.Get("Location") != "/api/v1/api-keys/"+k.ID {
			t.Fatalf("created %+v, Location %q", k, r.header.Get("Location"))
		}
		list := owner.get(t, "/api/v1/api-keys").expect(t, 200)
		if strings.Contains(string(list.body), k.Secret[16:]) || !strings.Contains(string(list.body), k.Prefix) {
			t.Errorf("the list shows the secret or not the prefix: %s", list.body)
		}
		// A key cannot mint keys, even for its own user.
		e.withKey(k.Secret).post(t, "/api/v1/api-keys", map[string]any{"name": "More", "scopes": []string{"contacts:read"}}).expect(t, 403)

		revoked := e.newKey(t, owner, "Old", "contacts:read")
		owner.post(t, "/api/v1/api-keys/"+revoked.ID+"/revoke", nil).expect(t, 200)
		expired := e.newKey(t, owner, "Trial", "contacts:read")
		if _, err := d.W.Exec(`UPDATE api_keys SET expires_at = $2 WHERE id = $1`, expired.ID, db.T(time.Now().Add(-time.Hour))); err != nil {
			t.Fatal(err)
		}
		lc := e.user("member")
		leaver, _ := user.NewService(d).ByID(context.Background(), lc.token)
		leaverKey := e.newKey(t, lc, "Leaver's script", "contacts:read")
		if _, err := user.NewService(d).Deactivate(e.ctx, leaver.ID); err != nil {
			t.Fatal(err)
		}
		memberKey := e.newKey(t, member, "Member read-only", "contacts:read")

		unknown := "rk_live_" + strings.Repeat("a", 52)
		cases := []struct {
			name   string
			auth   string
			path   string
			status int
			detail string
		}{
			{"no credentials", "", "/api/v1/contacts", 401, "Sign in first"},
			{"basic scheme", "Basic YWxhZGRpbjpvcGVuc2VzYW1l", "/api/v1/contacts", 401, "Authorization: Bearer"},
			{"malformed", "Bearer rk_live_short", "/api/v1/contacts", 401, "malformed"},
			{"empty bearer", "Bearer ", "/api/v1/contacts", 401, "malformed"},
			{"unknown", "Bearer " + unknown, "/api/v1/contacts", 401, "unknown or revoked"},
			{"revoked", "Bearer " + revoked.Secret, "/api/v1/contacts", 401, "unknown or revoked"},
			{"expired", "Bearer " + expired.Secret, "/api/v1/contacts", 401, "expired"},
			{"deactivated user", "Bearer " + leaverKey.Secret, "/api/v1/contacts", 401, "deactivated"},
			{"valid", "Bearer " + k.Secret, "/api/v1/contacts", 200, ""},
			{"lower-case scheme", "bearer " + k.Secret, "/api/v1/contacts", 200, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				c := &client{e: e, header: map[string]string{}}
				if tc.auth != "" {
					c.header["Authorization"] = tc.auth
				}
				r := c.do(t, "GET", tc.path, nil).expect(t, tc.status)
				if tc.status == 401 {
					if p := r.problem(t); !strings.Contains(p.Detail, tc.detail) {
						t.Errorf("detail %q, want it to say %q", p.Detail, tc.detail)
					}
					if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("WWW-Authenticate %q", r.header.Get("WWW-Authenticate"))
					}
				}
			})
		}
		// The bearer key wins over a session: the owner's session with the
		// member's read-only key cannot write.
		c := &client{e: e, token: e.owner.ID, header: map[string]string{"Authorization": "Bearer " + memberKey.Secret}}
		p := c.post(t, "/api/v1/contacts", map[string]any{"first_name": "Ann"}).expect(t, 403).problem(t)
		if !strings.Contains(p.Detail, "contacts:write") {
			t.Errorf("detail %q does not name the missing scope", p.Detail)
		}
		// The key's last use shows in the list.
		var keys APIKeyList
		owner.get(t, "/api/v1/api-keys").expect(t, 200).decode(t, &keys)
		for _, x := range keys.Data {
			if x.ID == k.ID && x.LastUsedAt == nil {
				t.Errorf("key used but last_used_at empty: %+v", x)
			}
		}
		// Owners see every user's keys with all=true; members only theirs.
		var all, mine APIKeyList
		owner.get(t, "/api/v1/api-keys?all=true").expect(t, 200).decode(t, &all)
		member.get(t, "/api/v1/api-keys?all=true").expect(t, 200).decode(t, &mine)
		if len(all.Data) != 5 || len(mine.Data) != 1 || mine.Data[0].ID != memberKey.ID {
			t.Errorf("owner sees %d keys (want 5), member %d (want 1)", len(all.Data), len(mine.Data))
		}
		// Notifications have no role rule of their own; a key needs a tasks scope.
		np := e.withKey(memberKey.Secret).get(t, "/api/v1/notifications").expect(t, 403).problem(t)
		if !strings.Contains(np.Detail, "tasks:read") {
			t.Errorf("notifications with contacts:read only: %q", np.Detail)
		}
		e.withKey(e.newKey(t, member, "Tasks", "tasks:read").Secret).get(t, "/api/v1/notifications").expect(t, 200)
		member.get(t, "/api/v1/notifications").expect(t, 200)
		member.post(t, "/api/v1/api-keys/"+k.ID+"/revoke", nil).expect(t, 404)
		owner.post(t, "/api/v1/api-keys", map[string]any{"name": "", "scopes": []string{"contacts:delete"}, "expires_on": "yesterday"}).
			expect(t, 422, "name", "scopes", "expires_on")
	})
}

// TestAPIKeyScopes goes through the real API as each role with keys of
// several scopes: a call passes only when both the role and a scope allow
// it; a scope refusal names the scope, a role refusal says so.
func TestAPIKeyScopes(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		// What each role may do, written out by hand: r read, w write.
		roles := map[string]map[string]string{
			"owner":  {"contacts": "rw", "companies": "rw", "audit": "r"},
			"member": {"contacts": "rw", "companies": "rw", "audit": ""},
			"viewer": {"contacts": "r", "companies": "r", "audit": ""},
		}
		scopeSets := [][]string{
			{"contacts:read"},
			{"contacts:read", "contacts:write"},
			{"companies:read", "audit:read"},
			{"contacts:write", "companies:write"},
		}
		calls := []struct {
			object, need, method, path string
			body                       any
			ok                         int
		}{
			{"contacts", "r", "GET", "/api/v1/contacts", nil, 200},
			{"contacts", "w", "POST", "/api/v1/contacts", map[string]any{"first_name": "Scoped"}, 201},
			{"companies", "r", "GET", "/api/v1/companies", nil, 200},
			{"companies", "w", "POST", "/api/v1/companies", map[string]any{"name": "Scoped Ltd"}, 201},
			{"audit", "r", "GET", "/api/v1/audit", nil, 200},
		}
		for role, may := range roles {
			c := e.owned()
			if role != "owner" {
				c = e.user(role)
			}
			for _, scopes := range scopeSets {
				k := e.newKey(t, c, "k", scopes...)
				kc := e.withKey(k.Secret)
				for _, call := range calls {
					scope := call.object + ":read"
					if call.need == "w" {
						scope = call.object + ":write"
					}
					name := fmt.Sprintf("%s/%s/%s %s", role, strings.Join(scopes, "+"), call.method, call.path)
					t.Run(name, func(t *testing.T) {
						roleOK := strings.Contains(may[call.object], call.need)
						scopeOK := false
						for _, s := range scopes {
							scopeOK = scopeOK || s == scope
						}
						r := kc.do(t, call.method, call.path, call.body)
						switch {
						case roleOK && scopeOK:
							r.expect(t, call.ok)
						case !roleOK:
							p := r.expect(t, 403).problem(t)
							if strings.Contains(p.Detail, "scope") {
								t.Errorf("role refusal reads as a scope refusal: %q", p.Detail)
							}
						default:
							p := r.expect(t, 403).problem(t)
							if !strings.Contains(p.Detail, scope) {
								t.Errorf("detail %q does not name the missing scope %s", p.Detail, scope)
							}
						}
					})
				}
			}
		}
	})
}

func TestIdempotency(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		k := e.newKey(t, e.owned(), "Shop", "contacts:read", "contacts:write", "companies:write")
		other := e.newKey(t, e.owned(), "Other", "contacts:write")
		with := func(secret, idem string) *client {
			c := e.withKey(secret)
			c.header[IdempotencyHeader] = idem
			return c
		}
		ann := map[string]any{"first_name": "Ann", "emails": []map[string]any{{"address": "ann@example.com"}}}
		var first Contact
		steps := []struct {
			name     string
			c        *client
			method   string
			path     string
			body     any
			status   int
			replayed bool
			created  int // contacts expected afterwards
			fields   []string
			check    func(t *testing.T, r result)
		}{
			{name: "first request", c: with(k.Secret, "order-1"), method: "POST", path: "/api/v1/contacts", body: ann, status: 201, created: 1,
				check: func(t *testing.T, r result) { r.decode(t, &first) }},
			{name: "retry replays", c: with(k.Secret, "order-1"), method: "POST", path: "/api/v1/contacts", body: ann, status: 201, replayed: true, created: 1,
				check: func(t *testing.T, r result) {
					var c Contact
					r.decode(t, &c)
					if c.ID != first.ID || r.header.Get("Location") != "/api/v1/contacts/"+first.ID {
						t.Errorf("replayed %s at %q, want %s", c.ID, r.header.Get("Location"), first.ID)
					}
				}},
			{name: "quoted key is the same key", c: with(k.Secret, `"order-1"`), method: "POST", path: "/api/v1/contacts", body: ann, status: 201, replayed: true, created: 1},
			{name: "different body", c: with(k.Secret, "order-1"), method: "POST", path: "/api/v1/contacts", body: map[string]any{"first_name": "Bob"},
				status: 422, created: 1, fields: []string{IdempotencyHeader}},
			{name: "different endpoint", c: with(k.Secret, "order-1"), method: "POST", path: "/api/v1/companies", body: ann,
				status: 422, created: 1, fields: []string{IdempotencyHeader}},
			{name: "GET ignores the header", c: with(k.Secret, "order-1"), method: "GET", path: "/api/v1/contacts/" + "$first", status: 200, created: 1},
			{name: "another key's namespace", c: with(other.Secret, "order-1"), method: "POST", path: "/api/v1/contacts", body: map[string]any{"first_name": "Bob"},
				status: 201, created: 2},
			{name: "session caller", c: func() *client { c := e.owned(); c.header = map[string]string{IdempotencyHeader: "s-1"}; return c }(),
				method: "POST", path: "/api/v1/contacts", body: map[string]any{"first_name": "Cy"}, status: 201, created: 3},
			{name: "session retry", c: func() *client { c := e.owned(); c.header = map[string]string{IdempotencyHeader: "s-1"}; return c }(),
				method: "POST", path: "/api/v1/contacts", body: map[string]any{"first_name": "Cy"}, status: 201, replayed: true, created: 3},
			{name: "key too long", c: with(k.Secret, strings.Repeat("x", 256)), method: "POST", path: "/api/v1/contacts", body: ann, status: 400, created: 3,
				fields: []string{IdempotencyHeader}},
			{name: "a refusal is replayed too", c: with(k.Secret, "bad-1"), method: "POST", path: "/api/v1/contacts", body: map[string]any{"first_name": ""},
				status: 422, created: 3},
			{name: "refusal retry", c: with(k.Secret, "bad-1"), method: "POST", path: "/api/v1/contacts", body: map[string]any{"first_name": ""},
				status: 422, replayed: true, created: 3},
		}
		for _, s := range steps {
			t.Run(s.name, func(t *testing.T) {
				path := strings.Replace(s.path, "$first", first.ID, 1)
				r := s.c.do(t, s.method, path, s.body).expect(t, s.status, s.fields...)
				if got := r.header.Get(ReplayedHeader) == "true"; got != s.replayed {
					t.Errorf("replayed = %v, want %v", got, s.replayed)
				}
				if s.check != nil {
					s.check(t, r)
				}
				if n := countContacts(t, e); n != s.created {
					t.Errorf("%d contacts, want %d", n, s.created)
				}
			})
		}

		t.Run("in flight", func(t *testing.T) {
			// What a request still running leaves: the key taken, no answer yet.
			raw, _ := json.Marshal(ann)
			sum := sha256.Sum256(raw)
			if _, err := d.W.Exec(`INSERT INTO idempotency_keys (scope, key, request, body_hash, created_at, locked_until) VALUES ($1, 'busy', 'POST /api/v1/contacts', $2, $3, $4)`,
				"key:"+k.ID, hex.EncodeToString(sum[:]), db.T(db.Now()), db.T(db.Now().Add(time.Minute))); err != nil {
				t.Fatal(err)
			}
			c := with(k.Secret, "busy")
			r := c.do(t, "POST", "/api/v1/contacts", ann).expect(t, 409)
			if p := r.problem(t); !strings.Contains(p.Detail, "still being processed") {
				t.Errorf("detail %q", p.Detail)
			}
		})

		t.Run("concurrent retries", func(t *testing.T) {
			before := countContacts(t, e)
			statuses := make(chan int, 8)
			for range 8 {
				go func() {
					r, _ := with(k.Secret, "burst").send(t, "POST", "/api/v1/contacts", map[string]any{"first_name": "Burst"})
					statuses <- r.status
				}()
			}
			counts := map[int]int{}
			for range 8 {
				counts[<-statuses]++
			}
			if counts[201]+counts[409] != 8 || counts[201] == 0 {
				t.Errorf("statuses %v, want only 201 (first and replays) and 409 (while the first ran)", counts)
			}
			if n := countContacts(t, e); n != before+1 {
				t.Errorf("%d contacts made by 8 concurrent tries with one key, want 1", n-before)
			}
		})

		t.Run("erasure deletes stored answers about the person", func(t *testing.T) {
			mentions := func() int {
				var n int
				d.R.QueryRow(`SELECT count(*) FROM idempotency_keys WHERE key = 'order-1' AND scope = $1`, "key:"+k.ID).Scan(&n)
				return n
			}
			if mentions() != 1 {
				t.Fatal("no stored answer to begin with")
			}
			e.owned().post(t, "/api/v1/contacts/"+first.ID+"/erase", map[string]any{"reason": "request"}).expect(t, 200)
			if n := mentions(); n != 0 {
				t.Errorf("%d stored answers quoting the erased contact remain", n)
			}
			// Re-create the record the next step ages.
			with(k.Secret, "order-1").do(t, "POST", "/api/v1/contacts", map[string]any{"first_name": "Eve"}).expect(t, 201)
		})

		t.Run("usable again after 24 hours", func(t *testing.T) {
			before := countContacts(t, e)
			if _, err := d.W.Exec(`UPDATE idempotency_keys SET created_at = $1 WHERE key = 'order-1'`, db.T(db.Now().Add(-25*time.Hour))); err != nil {
				t.Fatal(err)
			}
			r := with(k.Secret, "order-1").do(t, "POST", "/api/v1/contacts", map[string]any{"first_name": "Dee"}).expect(t, 201)
			if r.header.Get(ReplayedHeader) != "" {
				t.Error("a day-old key replayed its answer")
			}
			if n := countContacts(t, e); n != before+1 {
				t.Errorf("%d new contacts, want 1", n-before)
			}
		})
	})
}

func TestIdempotencyCleanup(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
		for i, created := range []time.Time{now.Add(-25 * time.Hour), now.Add(-23 * time.Hour)} {
			if _, err := d.W.ExecContext(ctx, `INSERT INTO idempotency_keys (scope, key, request, body_hash, status, created_at) VALUES ('user:x', $1, 'POST /x', 'h', 201, $2)`,
				string(rune('a'+i)), db.T(created)); err != nil {
				t.Fatal(err)
			}
		}
		n, err := CleanupIdempotency(ctx, d, now)
		if err != nil || n != 1 {
			t.Errorf("cleanup = %d, %v; want the 1 answer older than a day", n, err)
		}
		var left string
		d.R.QueryRowContext(ctx, `SELECT key FROM idempotency_keys`).Scan(&left)
		if left != "b" {
			t.Errorf("kept %q, want the answer of 23 hours ago", left)
		}
	})
}
