package web_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/passkeytest"
)

// The passkey tests' site is configured for http://localhost:8080; the
// software authenticator puts that origin into its answers, as a browser
// at that address would.
const passkeyBase = "http://localhost:8080"

// postJSON posts body as JSON with the site's client.
func (s *site) postJSON(path string, body []byte) response {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := s.client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{res.StatusCode, res.Header, string(b)}
}

// redirectOf returns the "redirect" of a JSON answer.
func redirectOf(t *testing.T, r response) string {
	t.Helper()
	var v struct{ Redirect string }
	if err := json.Unmarshal([]byte(r.body), &v); err != nil {
		t.Fatalf("answer %d %q: %v", r.status, r.body, err)
	}
	return v.Redirect
}

// addPasskeyHTTP adds a passkey through the JSON endpoints and returns
// where the browser is sent and the credential.
func addPasskeyHTTP(t *testing.T, s *site, a *passkeytest.Authenticator, name string) (string, *passkeytest.Credential) {
	t.Helper()
	begin := s.postJSON("/account/passkeys/register/begin", []byte(`{"name":"`+name+`"}`))
	begin.expect(t, 200, "", `"publicKey"`, `"rp":{"name":"Rapport","id":"localhost"}`)
	resp, cred, err := a.Create([]byte(begin.body))
	if err != nil {
		t.Fatal(err)
	}
	finish := s.postJSON("/account/passkeys/register/finish", resp)
	finish.expect(t, 200, "")
	return redirectOf(t, finish), cred
}

// passkeySignInHTTP signs in with cred through begin (passwordless or
// the second step) and finish, and returns the finish answer.
func passkeySignInHTTP(t *testing.T, s *site, a *passkeytest.Authenticator, begin string, cred *passkeytest.Credential) response {
	t.Helper()
	b := s.postJSON(begin, []byte(`{"next":"/contacts"}`))
	b.expect(t, 200, "", `"challenge"`)
	resp, err := a.Get([]byte(b.body), cred)
	if err != nil {
		t.Fatal(err)
	}
	return s.postJSON("/login/passkey/finish", resp)
}

var passkeyIDRe = regexp.MustCompile(`action="/account/passkeys/([0-9a-f-]{36})/rename"`)

func TestPasskeyPagesAndSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, passkeyBase)
		s.post("/setup", owner).expect(t, 303, "/")
		a := &passkeytest.Authenticator{Origin: passkeyBase}

		s.get("/account/security").expect(t, 200, "", "Passkeys", "You have no passkeys yet.", "Add a passkey", "data-passkey-register",
			"js/passkeys.js")
		// Without JavaScript the form posts here: a page says what is missing.
		s.post("/account/passkeys/register/begin", url.Values{"name": {"Laptop"}}).expect(t, 400, "", "Passkeys need JavaScript")
		s.postJSON("/account/passkeys/register/begin", []byte(`{"name":"`+string(bytes.Repeat([]byte("x"), 61))+`"}`)).
			expect(t, 422, "", `"field":"name"`, "Keep the name to 60 characters.")
		// Finishing what was never begun.
		s.postJSON("/account/passkeys/register/finish", []byte(`{}`)).expect(t, 400, "", "had expired")

		// The first passkey is the first second factor: recovery codes come with it.
		to, cred := addPasskeyHTTP(t, s, a, "Work laptop")
		if to != "/account/security/recovery-codes" {
			t.Errorf("after the first passkey the browser goes to %q", to)
		}
		s.get(to).expect(t, 200, "", "Your recovery codes")
		s.post("/account/security/recovery-codes/done", url.Values{}).expect(t, 303, "/account/security")
		page := s.get("/account/security")
		page.expect(t, 200, "", "Work laptop", "not used to sign in yet", "On</span> with your passkey.", "10 recovery codes left.")
		m := passkeyIDRe.FindStringSubmatch(page.body)
		if m == nil {
			t.Fatal("no rename form on the Security page")
		}
		pid := m[1]
		to, _ = addPasskeyHTTP(t, s, &passkeytest.Authenticator{Origin: passkeyBase}, "Phone")
		if to != "/account/security#passkeys-heading" {
			t.Errorf("after a second passkey the browser goes to %q", to)
		}
		s.post("/account/passkeys/"+pid+"/rename", url.Values{"name": {string(bytes.Repeat([]byte("y"), 61))}}).
			expect(t, 422, "", "Keep the name to 60 characters.", `id="passkey-name-`+pid+`-error"`)
		s.post("/account/passkeys/"+pid+"/rename", url.Values{"name": {"Old laptop"}}).expect(t, 303, "/account/security#passkeys-heading")
		s.get("/account/security").expect(t, 200, "", "Old laptop", "Phone", "Passkey renamed.")
		s.post("/account/passkeys/00000000-0000-7000-8000-000000000000/rename", url.Values{"name": {"x"}}).expect(t, 404, "")

		// Signing out, then in with the passkey alone.
		s.post("/logout", nil).expect(t, 303, "/login")
		s.get("/login").expect(t, 200, "", "Sign in with a passkey", `autocomplete="username webauthn"`, `data-begin="/login/passkey/begin"`)
		s.postJSON("/account/passkeys/register/begin", []byte(`{}`)).expect(t, 401, "", "Sign in again")
		fin := passkeySignInHTTP(t, s, a, "/login/passkey/begin", cred)
		fin.expect(t, 200, "")
		if to := redirectOf(t, fin); to != "/contacts" {
			t.Errorf("after a passkey sign-in the browser goes to %q, want /contacts", to)
		}
		s.get("/").expect(t, 200, "", "Good to see you")
		var method string
		d.R.QueryRow(`SELECT method FROM user_sessions ORDER BY created_at DESC LIMIT 1`).Scan(&method)
		if method != "passkey" {
			t.Errorf("session method %q, want passkey", method)
		}
		s.get("/account/security").expect(t, 200, "", "last used")
		// The answer is single-use: posting it again finds nothing waiting.
		s.post("/logout", nil)

		// With the password, the passkey is the second step.
		s.post("/login", olgaLogin).expect(t, 303, "/login/mfa")
		s.get("/login/mfa").expect(t, 200, "", "Use a passkey", "Recovery code", `data-begin="/login/mfa/passkey/begin"`)
		s.post("/login/mfa", url.Values{"code": {""}}).expect(t, 422, "", "Enter one of your recovery codes")
		fin = passkeySignInHTTP(t, s, a, "/login/mfa/passkey/begin", cred)
		fin.expect(t, 200, "")
		if to := redirectOf(t, fin); to != "/" {
			t.Errorf("after the second step the browser goes to %q, want /", to)
		}
		s.get("/").expect(t, 200, "", "Good to see you")
		if n := auditEntries(t, d, "auth.signed_in", "ok"); n != 3 {
			t.Errorf("%d sign-ins in the audit log, want 3", n)
		}

		// Removing takes the password once the sign-in is not fresh; here
		// it is, so none is asked for.
		s.post("/account/passkeys/"+pid+"/remove", url.Values{}).expect(t, 303, "/account/security#passkeys-heading")
		s.get("/account/security").expect(t, 200, "", "Passkey removed.")
		if n := auditEntries(t, d, "user.passkey_removed", "ok"); n != 1 {
			t.Errorf("%d passkey removals in the audit log, want 1", n)
		}
	})
}

func TestPasskeySignInRefused(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, passkeyBase)
		s.post("/setup", owner).expect(t, 303, "/")
		a := &passkeytest.Authenticator{Origin: passkeyBase}
		_, cred := addPasskeyHTTP(t, s, a, "Laptop")
		_, member := fixture.User(t, d, "member")
		s.post("/logout", nil)

		// A passkey this site never registered.
		stranger := *cred
		stranger.ID = []byte("not a credential of this site")
		passkeySignInHTTP(t, s, a, "/login/passkey/begin", &stranger).expect(t, 401, "", "The passkey was not accepted.")
		// A copied key whose counter went backwards.
		passkeySignInHTTP(t, s, a, "/login/passkey/begin", cred).expect(t, 200, "")
		s.post("/logout", nil)
		cred.SignCount = 0
		passkeySignInHTTP(t, s, a, "/login/passkey/begin", cred).expect(t, 401, "", "looks like a copy")
		s.get("/").expect(t, 303, "/login")
		if n := auditEntries(t, d, "auth.passkey_failed", "failed"); n != 2 {
			t.Errorf("%d failed passkey sign-ins in the audit log, want 2", n)
		}
		// Finishing twice: the request was spent.
		b := s.postJSON("/login/passkey/begin", []byte(`{}`))
		cred.SignCount = 100
		resp, _ := a.Get([]byte(b.body), cred)
		s.postJSON("/login/passkey/finish", resp).expect(t, 200, "")
		s.postJSON("/login/passkey/finish", resp).expect(t, 400, "", "had expired")
		s.post("/logout", nil)

		// A member without passkeys signs in with the password alone; the
		// passkey step exists only after a right password.
		s.post("/login", url.Values{"email": {member.Email}, "password": {fixture.Password}}).expect(t, 303, "/")
		s.post("/logout", nil)
		s.postJSON("/login/mfa/passkey/begin", []byte(`{}`)).expect(t, 401, "", "waited too long")
	})
}

// Where everyone must have two-factor sign-in, a passkey is enough, and
// one can be added from the enrolment page the others are sent to.
func TestPasskeySatisfiesRequiredMFA(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := newSite(t, d, passkeyBase)
		s.post("/setup", owner).expect(t, 303, "/")
		addPasskeyHTTP(t, s, &passkeytest.Authenticator{Origin: passkeyBase}, "Owner's laptop")
		s.post("/settings/security", url.Values{"require_mfa": {"on"}}).expect(t, 303, "/settings/security")
		s.get("/settings/security").expect(t, 200, "", "Two-factor sign-in is on for 1 of 1 active user.")

		_, u := fixture.User(t, d, "member")
		m := &site{t: t, db: d, srv: s.srv, client: newClient()}
		m.post("/login", url.Values{"email": {u.Email}, "password": {fixture.Password}}).expect(t, 303, "/")
		m.get("/contacts").expect(t, 303, "/account/security/mfa")
		m.get("/account/security/mfa").expect(t, 200, "", "Start setting up", "Use a passkey instead", "data-passkey-register")
		to, _ := addPasskeyHTTP(t, m, &passkeytest.Authenticator{Origin: passkeyBase}, "Member's phone")
		if to != "/account/security/recovery-codes" {
			t.Errorf("after the passkey the member goes to %q", to)
		}
		m.post("/account/security/recovery-codes/done", url.Values{}).expect(t, 303, "/account/security")
		m.get("/contacts").expect(t, 200, "")
		// The authenticator app can still be added beside the passkey.
		m.get("/account/security/mfa").expect(t, 200, "", "Start setting up")
	})
}

// At an IP address browsers refuse passkeys: the pages say so and offer
// nothing that would fail.
func TestPasskeysUnavailableAtIPAddress(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/account/security").expect(t, 200, "", "Passkeys are not available at this address")
		if body := s.get("/account/security").body; bytes.Contains([]byte(body), []byte("data-passkey-register")) {
			t.Error("the add form is offered where passkeys cannot work")
		}
		s.postJSON("/account/passkeys/register/begin", []byte(`{"name":"x"}`)).expect(t, 503, "", "not available")
		s.post("/logout", nil)
		if body := s.get("/login").body; bytes.Contains([]byte(body), []byte("Sign in with a passkey")) {
			t.Error("the sign-in page offers passkeys where they cannot work")
		}
		s.postJSON("/login/passkey/begin", []byte(`{}`)).expect(t, 503, "")
	})
}
