package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

var secretRE = regexp.MustCompile(`rk_live_[a-z2-7]{52}`)

// callAPI calls GET /api/v1/contacts with a bearer key.
func callAPI(t *testing.T, s *site, secret string) response {
	t.Helper()
	return s.do(http.DefaultClient, "GET", "/api/v1/contacts", nil, map[string]string{"Authorization": "Bearer " + secret})
}

func TestAPIKeyPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/settings").expect(t, 200, "", `href="/settings/api-keys"`)
		s.get("/settings/api-keys").expect(t, 200, "", "No API keys yet", `value="contacts:read"`, `value="contacts:write"`)

		// Refused: every bad field named beside it, the input kept.
		s.post("/settings/api-keys", url.Values{"name": {"  "}, "scope": {"contacts:read"}, "expires_on": {"2001-01-01"}}).
			expect(t, 422, "", `id="key-name-error"`, `id="expires-error"`, `value="contacts:read" checked`)

		r := s.post("/settings/api-keys", url.Values{"name": {"Shop sync"}, "scope": {"contacts:read", "companies:read"}})
		r.expect(t, 200, "", "Copy your new key", "Shop sync", "contacts:read", "companies:read")
		secret := secretRE.FindString(r.body)
		if secret == "" {
			t.Fatalf("no secret on the page: %.600s", r.body)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control %q on the page with the secret", r.header.Get("Cache-Control"))
		}
		// Shown once: the list afterwards has the prefix, not the secret.
		list := s.get("/settings/api-keys")
		list.expect(t, 200, "", secret[:16]+"…", "Never")
		if strings.Contains(list.body, secret) {
			t.Error("the list shows the secret again")
		}
		callAPI(t, s, secret).expect(t, 200, "")
		s.get("/settings/api-keys").expect(t, 200, "", "<time") // last used now shown

		// A member sees only their own keys and cannot revoke the owner's.
		member := signedInAs(t, s, "member")
		m := s.do(member, "GET", "/settings/api-keys", nil, nil)
		m.expect(t, 200, "", "Your keys", "No API keys yet")
		if strings.Contains(m.body, "<h3>Shop sync") {
			t.Error("a member sees the owner's key")
		}
		keyID := regexp.MustCompile(`/settings/api-keys/([0-9a-f-]{36})/revoke`).FindStringSubmatch(list.body)
		if keyID == nil {
			t.Fatalf("no revoke link: %.600s", list.body)
		}
		s.do(member, "POST", "/settings/api-keys/"+keyID[1]+"/revoke", url.Values{}, nil).expect(t, 404, "")
		callAPI(t, s, secret).expect(t, 200, "")

		// The member's key is listed for the owner (an admin sees all), who
		// revokes it after confirming.
		mr := s.do(member, "POST", "/settings/api-keys", url.Values{"name": {"Member script"}, "scope": {"contacts:read"}}, nil)
		memberSecret := secretRE.FindString(mr.body)
		all := s.get("/settings/api-keys")
		all.expect(t, 200, "", "Everyone’s keys", "Member script", "Shop sync")
		memberKey := regexp.MustCompile(`id="key-([0-9a-f-]{36})"[^<]*>\s*<div class="key-main">\s*<h3>Member script`).FindStringSubmatch(all.body)
		if memberKey == nil {
			t.Fatalf("member's key not found in the owner's list")
		}
		s.get("/settings/api-keys/"+memberKey[1]+"/revoke").expect(t, 200, "", "Revoke the API key “Member script”?")
		// Nothing changes on GET.
		callAPI(t, s, memberSecret).expect(t, 200, "")
		s.post("/settings/api-keys/"+memberKey[1]+"/revoke", url.Values{}).expect(t, 303, "/settings/api-keys")
		callAPI(t, s, memberSecret).expect(t, 401, "", "unknown or revoked")
		s.get("/settings/api-keys").expect(t, 200, "", "revoked: anything using it is refused", `<span class="badge">revoked</span>`)
	})
}
