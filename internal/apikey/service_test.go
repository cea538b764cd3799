package apikey_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apikey"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
)

// clock is a settable time for the service.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestKeys(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		ownerCtx, owner := fixture.User(t, d, "owner")
		memberCtx, member := fixture.User(t, d, "member")
		c := &clock{t: time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)}
		svc := apikey.NewService(d, nil)
		svc.SetNow(c.now)

		created, err := svc.Create(memberCtx, apikey.Input{Name: "  Shop sync ", Scopes: []string{"contacts:write", "contacts:read", "contacts:read"},
			ExpiresOn: "2026-03-20"})
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(created.Secret, apikey.SecretPrefix) || len(created.Secret) != len(apikey.SecretPrefix)+52 {
			t.Errorf("secret %q", created.Secret)
		}
		if created.Name != "Shop sync" || !slices.Equal(created.Scopes, []string{"contacts:read", "contacts:write"}) ||
			created.Prefix != created.Secret[:16] || created.UserID != member.ID {
			t.Errorf("created = %+v", created.Key)
		}
		if want := time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC); !created.ExpiresAt.Equal(want) {
			t.Errorf("expires at %v, want %v (through the 20th)", created.ExpiresAt, want)
		}

		// Only the hash is stored: the secret appears in no column.
		var stored, hash string
		if err := d.R.QueryRowContext(context.Background(), `SELECT prefix || '|' || name || '|' || scopes, secret_hash FROM api_keys WHERE id = $1`, created.ID).Scan(&stored, &hash); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(stored+hash, created.Secret[16:]) || len(hash) != 64 {
			t.Errorf("stored %q / %q shows the secret %q", stored, hash, created.Secret)
		}

		// Authenticate: the key acts as its user, narrowed to its scopes.
		k, actor, err := svc.Authenticate(context.Background(), created.Secret)
		if err != nil || k.ID != created.ID || actor.UserID != member.ID || actor.Role != "member" ||
			!slices.Equal(actor.KeyScopes, []string{"contacts:read", "contacts:write"}) {
			t.Fatalf("authenticate = %+v %+v, %v", k, actor, err)
		}
		if !access.Allowed(actor, access.Contacts, access.Update) || access.Allowed(actor, access.Companies, access.Read) {
			t.Errorf("scopes do not narrow the member: %+v", actor)
		}

		// last_used_at is written at most once a minute.
		lastUsed := func() time.Time {
			t.Helper()
			var lu db.Time
			if err := d.R.QueryRowContext(context.Background(), `SELECT last_used_at FROM api_keys WHERE id = $1`, created.ID).Scan(&lu); err != nil {
				t.Fatal(err)
			}
			return lu.Time
		}
		first := c.t
		if got := lastUsed(); !got.Equal(first) {
			t.Errorf("last used %v, want %v", got, first)
		}
		c.t = first.Add(30 * time.Second)
		svc.Authenticate(context.Background(), created.Secret)
		if got := lastUsed(); !got.Equal(first) {
			t.Errorf("after 30 s last used %v, want it unchanged at %v", got, first)
		}
		c.t = first.Add(61 * time.Second)
		svc.Authenticate(context.Background(), created.Secret)
		if got := lastUsed(); !got.Equal(c.t) {
			t.Errorf("after 61 s last used %v, want %v", got, c.t)
		}

		// Bad secrets.
		for _, tt := range []struct {
			name, secret string
			want         error
		}{
			{"empty", "", apikey.ErrMalformed},
			{"wrong prefix", "sk_live_" + created.Secret[8:], apikey.ErrMalformed},
			{"truncated", created.Secret[:40], apikey.ErrMalformed},
			{"upper case", strings.ToUpper(created.Secret), apikey.ErrMalformed},
			{"unknown", apikey.SecretPrefix + strings.Repeat("a", 52), apikey.ErrUnknown},
		} {
			if _, _, err := svc.Authenticate(context.Background(), tt.secret); !errors.Is(err, tt.want) {
				t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
			}
		}

		// Expiry: the key works through the 20th, not on the 21st.
		c.t = time.Date(2026, 3, 20, 23, 59, 0, 0, time.UTC)
		if _, _, err := svc.Authenticate(context.Background(), created.Secret); err != nil {
			t.Errorf("on its last day: %v", err)
		}
		c.t = time.Date(2026, 3, 21, 0, 0, 0, 0, time.UTC)
		if _, _, err := svc.Authenticate(context.Background(), created.Secret); !errors.Is(err, apikey.ErrExpired) {
			t.Errorf("after expiry: %v", err)
		}
		c.t = first

		// Validation names each bad field.
		for _, tt := range []struct {
			in    apikey.Input
			field string
		}{
			{apikey.Input{Name: " ", Scopes: []string{"contacts:read"}}, "name"},
			{apikey.Input{Name: strings.Repeat("x", 101), Scopes: []string{"contacts:read"}}, "name"},
			{apikey.Input{Name: "x"}, "scopes"},
			{apikey.Input{Name: "x", Scopes: []string{"contacts:admin"}}, "scopes"},
			{apikey.Input{Name: "x", Scopes: []string{"contacts:read"}, ExpiresOn: "31/12/2026"}, "expires_on"},
			{apikey.Input{Name: "x", Scopes: []string{"contacts:read"}, ExpiresOn: "2026-03-09"}, "expires_on"},
		} {
			_, err := svc.Create(memberCtx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%+v: err = %v, want a message for %s", tt.in, err, tt.field)
			}
		}

		// A key cannot create keys.
		keyCtx := access.WithActor(context.Background(), actor)
		if _, err := svc.Create(keyCtx, apikey.Input{Name: "x", Scopes: []string{"contacts:read"}}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("key creating a key: %v", err)
		}

		// Lists: own keys; an admin sees all with all=true, a member only
		// their own even when asking for all.
		ownerKey, err := svc.Create(ownerCtx, apikey.Input{Name: "Reporting", Scopes: []string{"companies:read"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := names(t, svc, memberCtx, true); !slices.Equal(got, []string{"Shop sync"}) {
			t.Errorf("member's list = %v", got)
		}
		if got := names(t, svc, ownerCtx, false); !slices.Equal(got, []string{"Reporting"}) {
			t.Errorf("owner's own list = %v", got)
		}
		if got := names(t, svc, ownerCtx, true); !slices.Equal(got, []string{"Reporting", "Shop sync"}) {
			t.Errorf("owner's list of all = %v", got)
		}

		// A member cannot revoke another's key (it is not found to them).
		if _, err := svc.Revoke(memberCtx, ownerKey.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("member revoking the owner's key: %v", err)
		}
		// The owner revokes the member's key; it stops working and reads as
		// unknown, like a key that never existed.
		rk, err := svc.Revoke(ownerCtx, created.ID)
		if err != nil || rk.Status(c.t) != apikey.StatusRevoked {
			t.Fatalf("revoke = %+v, %v", rk, err)
		}
		if _, _, err := svc.Authenticate(context.Background(), created.Secret); !errors.Is(err, apikey.ErrUnknown) {
			t.Errorf("revoked key: %v", err)
		}
		if _, err := svc.Revoke(memberCtx, created.ID); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
		var events int
		d.R.QueryRowContext(context.Background(), `SELECT count(*) FROM events WHERE subject_id = $1 AND kind = 'api_key.revoked'`, created.ID).Scan(&events)
		if events != 1 {
			t.Errorf("%d revoke events, want 1", events)
		}

		// A deactivated user's key is refused.
		_, still := fixture.User(t, d, "member")
		stillKey, err := svc.Create(fixture.As(still), apikey.Input{Name: "Old laptop", Scopes: []string{"contacts:read"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := user.NewService(d).Deactivate(ownerCtx, still.ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.Authenticate(context.Background(), stillKey.Secret); !errors.Is(err, apikey.ErrDisabled) {
			t.Errorf("deactivated user's key: %v", err)
		}
		_ = owner
	})
}

func names(t *testing.T, svc *apikey.Service, ctx context.Context, all bool) []string {
	t.Helper()
	keys, err := svc.List(ctx, all)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		out = append(out, k.Name)
	}
	slices.Sort(out)
	return out
}
