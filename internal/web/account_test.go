package web_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

var (
	secretRe   = regexp.MustCompile(`data-secret="([A-Z2-7]+)"`)
	recoveryRe = regexp.MustCompile(`<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>`)
	sessionRe  = regexp.MustCompile(`action="/account/sessions/([0-9a-f-]{36})/revoke"`)
)

// totpCode is the authenticator code of secret at now + offset.
func totpCode(t *testing.T, secret string, offset time.Duration) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, time.Now().Add(offset))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enrolMFA sets up two-factor sign-in for the signed-in client of s
// through the Security pages and returns the secret and recovery codes.
func enrolMFA(t *testing.T, s *site) (string, []string) {
	t.Helper()
	s.post("/account/security/mfa/start", url.Values{}).expect(t, 303, "/account/security/mfa")
	page := s.get("/account/security/mfa")
	page.expect(t, 200, "", `src="/account/security/mfa/qr.png"`, "Type this key into the app")
	m := secretRe.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no secret on the enrolment page: %.800s", page.body)
	}
	s.post("/account/security/mfa", url.Values{"code": {totpCode(t, m[1], 0)}}).expect(t, 303, "/account/security/recovery-codes")
	codes := s.get("/account/security/recovery-codes")
	codes.expect(t, 200, "", "Your recovery codes", "Download as text", "shown only now")
	var out []string
	for _, c := range recoveryRe.FindAllStringSubmatch(codes.body, -1) {
		out = append(out, c[1])
	}
	if len(out) != 10 {
		t.Fatalf("%d recovery codes on the page, want 10", len(out))
	}
	return m[1], out
}

// auditEntries counts audit entries of action with outcome.
func auditEntries(t *testing.T, d *db.DB, action, outcome string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRowContext(context.Background(), `SELECT count(*) FROM audit_log WHERE action = $1 AND outcome = $2`,
		action, outcome).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

var olgaLogin = url.Values{"email": {"olga@example.com"}, "password": {"a long enough secret"}}

func TestMFAEnrolAndSignIn(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/").expect(t, 200, "", `href="/account/security"`)
		s.get("/account/security").expect(t, 200, "", "Two-factor sign-in", "Off.", "Active sessions", "This browser", "Change password")
		// Nothing to draw before enrolment starts.
		s.get("/account/security/mfa/qr.png").expect(t, 404, "")
		s.get("/account/security/mfa").expect(t, 200, "", "Start setting up")

		s.post("/account/security/mfa/start", url.Values{}).expect(t, 303, "/account/security/mfa")
		page := s.get("/account/security/mfa")
		secret := secretRe.FindStringSubmatch(page.body)[1]
		qr := s.get("/account/security/mfa/qr.png")
		qr.expect(t, 200, "")
		if qr.header.Get("Content-Type") != "image/png" || !strings.HasPrefix(qr.body, "\x89PNG") {
			t.Errorf("QR code: %s, %q", qr.header.Get("Content-Type"), qr.body[:min(8, len(qr.body))])
		}
		// A wrong code re-renders the form with the message and the input.
		s.post("/account/security/mfa", url.Values{"code": {"12345"}}).
			expect(t, 422, "", "The code has 6 digits.", `value="12345"`, `aria-invalid="true"`, "data-secret=\""+secret)
		// Keep the code itself: by the time it is replayed below, the clock
		// may have moved into the next time step.
		enrolCode := totpCode(t, secret, 0)
		s.post("/account/security/mfa", url.Values{"code": {enrolCode}}).expect(t, 303, "/account/security/recovery-codes")
		codesPage := s.get("/account/security/recovery-codes")
		codes := recoveryRe.FindAllStringSubmatch(codesPage.body, -1)
		if len(codes) != 10 {
			t.Fatalf("%d recovery codes", len(codes))
		}
		txt := s.get("/account/security/recovery-codes.txt")
		txt.expect(t, 200, "", codes[0][1], codes[9][1])
		if cd := txt.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") {
			t.Errorf("Content-Disposition %q", cd)
		}
		// Shown once: after "saved" they are gone.
		s.post("/account/security/recovery-codes/done", url.Values{}).expect(t, 303, "/account/security")
		s.get("/account/security/recovery-codes").expect(t, 303, "/account/security")
		s.get("/account/security/recovery-codes.txt").expect(t, 404, "")
		s.get("/account/security").expect(t, 200, "", "On</span> since", "10 recovery codes left.")

		// Signing in now takes a code.
		s.post("/logout", nil).expect(t, 303, "/login")
		s.get("/login/mfa").expect(t, 303, "/login")
		s.post("/login", withNext(olgaLogin, "/contacts")).expect(t, 303, "/login/mfa")
		s.get("/").expect(t, 303, "/login")
		s.get("/login/mfa").expect(t, 200, "", "Two-factor sign-in", `autocomplete="one-time-code"`)
		s.post("/login/mfa", url.Values{"code": {""}}).expect(t, 422, "", "Enter the code")
		// The code that confirmed enrolment is spent; the next one works.
		s.post("/login/mfa", url.Values{"code": {enrolCode}}).expect(t, 401, "", "That code was already used.")
		next := totpCode(t, secret, 30*time.Second)
		s.post("/login/mfa", url.Values{"code": {next}}).expect(t, 303, "/contacts")
		s.get("/").expect(t, 200, "", "Good to see you")
		if n := auditEntries(t, d, "auth.signed_in", "ok"); n != 2 {
			t.Errorf("%d auth.signed_in entries, want 2 (setup, then with the code)", n)
		}

		// The same code again, in another sign-in: refused as a replay.
		s.post("/logout", nil)
		s.post("/login", olgaLogin).expect(t, 303, "/login/mfa")
		s.post("/login/mfa", url.Values{"code": {next}}).expect(t, 401, "", "That code was already used.")

		// A recovery code works once; its reuse is refused and recorded.
		s.post("/login/mfa", url.Values{"code": {strings.ToUpper(codes[0][1])}}).expect(t, 303, "/")
		s.get("/").expect(t, 200, "", "You signed in with a recovery code")
		s.get("/account/security").expect(t, 200, "", "9 recovery codes left.")
		s.post("/logout", nil)
		s.post("/login", olgaLogin).expect(t, 303, "/login/mfa")
		s.post("/login/mfa", url.Values{"code": {codes[0][1]}}).expect(t, 401, "", "That recovery code was already used")
		if n := auditEntries(t, d, "auth.recovery_code_reused", "denied"); n != 1 {
			t.Errorf("%d auth.recovery_code_reused entries in audit_log, want 1", n)
		}
		if n := auditEntries(t, d, "auth.mfa_failed", "failed"); n != 2 {
			t.Errorf("%d auth.mfa_failed entries, want 2 (the two replays)", n)
		}
		s.post("/login/mfa", url.Values{"code": {codes[1][1]}}).expect(t, 303, "/")

		// Turning it off needs the password; then a password is enough again.
		s.post("/account/security/mfa/disable", url.Values{"disable_password": {"wrong one"}}).
			expect(t, 422, "", "That password is not right.", `id="disable_password-error"`)
		s.post("/account/security/mfa/disable", url.Values{"disable_password": {"a long enough secret"}}).expect(t, 303, "/account/security")
		s.post("/logout", nil)
		s.post("/login", olgaLogin).expect(t, 303, "/")
	})
}

func withNext(v url.Values, next string) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = vs
	}
	out.Set("next", next)
	return out
}

func TestMFAWrongCodesThrottled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		secret, _ := enrolMFA(t, s)
		s.post("/logout", nil)
		s.post("/login", olgaLogin).expect(t, 303, "/login/mfa")
		wrong := "000000"
		for _, c := range []string{"000000", "111111", "222222"} {
			if c != totpCode(t, secret, -30*time.Second) && c != totpCode(t, secret, 0) && c != totpCode(t, secret, 30*time.Second) {
				wrong = c
				break
			}
		}
		for i := 0; i < 5; i++ {
			s.post("/login/mfa", url.Values{"code": {wrong}}).expect(t, 401, "", "That code is not right.")
		}
		// Locked now, even with the right code.
		r := s.post("/login/mfa", url.Values{"code": {totpCode(t, secret, 30*time.Second)}})
		r.expect(t, 429, "", "Too many wrong codes. Try again in 15 minutes.")
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After header")
		}
		s.get("/").expect(t, 303, "/login")
		if n := auditEntries(t, d, "auth.mfa_failed", "failed"); n != 5 {
			t.Errorf("%d failed second steps in audit_log, want 5", n)
		}
		if n := auditEntries(t, d, "auth.mfa_failed", "denied"); n != 1 {
			t.Errorf("%d throttled second steps in audit_log, want 1", n)
		}
		// Starting over with the password does not reset the count.
		s.post("/login", olgaLogin).expect(t, 303, "/login/mfa")
		s.post("/login/mfa", url.Values{"code": {totpCode(t, secret, 30*time.Second)}}).expect(t, 429, "")
	})
}

func TestFailedSignInRecorded(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.post("/logout", nil)
		s.post("/login", url.Values{"email": {"olga@example.com"}, "password": {"not it at all"}}).expect(t, 401, "")
		if n := auditEntries(t, d, "auth.sign_in_failed", "failed"); n != 1 {
			t.Errorf("%d auth.sign_in_failed entries, want 1", n)
		}
	})
}

func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		other := newClient()
		s.do(other, "POST", "/login", olgaLogin, nil).expect(t, 303, "/")
		s.do(other, "GET", "/", nil, nil).expect(t, 200, "", "Good to see you")
		sec := s.get("/account/security")
		if n := len(sessionRe.FindAllString(sec.body, -1)); n != 2 {
			t.Errorf("%d sessions listed, want 2", n)
		}

		for _, c := range []struct {
			form       url.Values
			status     int
			field, msg string
		}{
			{url.Values{"current_password": {"wrong password"}, "new_password": {"a brand new secret"}, "confirm_password": {"a brand new secret"}},
				422, "current_password", "That password is not right."},
			{url.Values{"current_password": {"a long enough secret"}, "new_password": {"short"}, "confirm_password": {"short"}},
				422, "new_password", "Use at least 10 characters."},
			{url.Values{"current_password": {"a long enough secret"}, "new_password": {"a brand new secret"}, "confirm_password": {"a brand new secrets"}},
				422, "confirm_password", "The two new passwords are not the same."},
		} {
			r := s.post("/account/security/password", c.form)
			r.expect(t, c.status, "", c.msg, `id="`+c.field+`-error"`)
			if strings.Contains(r.body, "a brand new secret") {
				t.Error("a password was written back into the page")
			}
		}
		s.do(other, "GET", "/", nil, nil).expect(t, 200, "")

		s.post("/account/security/password", url.Values{"current_password": {"a long enough secret"},
			"new_password": {"a brand new secret"}, "confirm_password": {"a brand new secret"}}).expect(t, 303, "/account/security")
		s.get("/").expect(t, 200, "", "Password changed. Every other session was signed out.")
		// The other browser is signed out, and told so at the login page.
		s.do(other, "GET", "/contacts", nil, nil).expect(t, 303, "/login?next=%2Fcontacts")
		s.do(other, "GET", "/login", nil, nil).expect(t, 200, "", "You were signed out.")
		s.do(other, "POST", "/login", olgaLogin, nil).expect(t, 401, "")
		s.do(other, "POST", "/login", url.Values{"email": {"olga@example.com"}, "password": {"a brand new secret"}}, nil).expect(t, 303, "/")
	})
}

func TestRevokeSession(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		phone, tablet := newClient(), newClient()
		s.do(phone, "POST", "/login", olgaLogin, map[string]string{"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1"}).
			expect(t, 303, "/")
		s.do(tablet, "POST", "/login", olgaLogin, nil).expect(t, 303, "/")

		// The phone's page lists three sessions, its own marked.
		page := s.do(phone, "GET", "/account/security", nil, nil)
		page.expect(t, 200, "", "Safari on iOS", "This browser", "Sign out all other sessions")
		ids := sessionRe.FindAllStringSubmatch(s.get("/account/security").body, -1)
		if len(ids) != 3 {
			t.Fatalf("%d sessions, want 3", len(ids))
		}
		// The first listed on Olga's desktop is the most recent: the tablet.
		tabletID := ids[0][1]
		s.post("/account/sessions/"+tabletID+"/revoke", url.Values{}).expect(t, 303, "/account/security")
		s.do(tablet, "GET", "/", nil, nil).expect(t, 303, "/login")
		s.do(phone, "GET", "/", nil, nil).expect(t, 200, "")
		s.post("/account/sessions/"+tabletID+"/revoke", url.Values{}).expect(t, 404, "")
		s.post("/account/sessions/not-an-id/revoke", url.Values{}).expect(t, 404, "")
		// Someone else's session cannot be ended.
		ctx, _ := fixture.User(t, d, "admin")
		_ = ctx
		admin := newClient()
		s.do(admin, "POST", "/login", url.Values{"email": {"admin2@example.com"}, "password": {fixture.Password}}, nil).expect(t, 303, "/")
		adminIDs := sessionRe.FindAllStringSubmatch(s.do(admin, "GET", "/account/security", nil, nil).body, -1)
		s.post("/account/sessions/"+adminIDs[0][1]+"/revoke", url.Values{}).expect(t, 404, "")
		s.do(admin, "GET", "/", nil, nil).expect(t, 200, "")

		// Signing out everywhere else.
		s.post("/account/sessions/revoke-others", url.Values{}).expect(t, 303, "/account/security")
		s.get("/").expect(t, 200, "", "Signed out 1 other session.")
		s.do(phone, "GET", "/", nil, nil).expect(t, 303, "/login")
		if n := auditEntries(t, d, "user.session_revoked", "ok"); n != 2 {
			t.Errorf("%d user.session_revoked entries, want 2", n)
		}
		// Ending the current session from the list signs this browser out.
		own := sessionRe.FindStringSubmatch(s.get("/account/security").body)[1]
		s.post("/account/sessions/"+own+"/revoke", url.Values{}).expect(t, 303, "/login")
		s.get("/").expect(t, 303, "/login")
	})
}

func TestRequireMFA(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		s.get("/settings").expect(t, 200, "", `href="/settings/security"`)
		s.get("/settings/security").expect(t, 200, "", "Require two-factor sign-in for everyone", "Two-factor sign-in is on for 0 of 1 active user.")
		// The owner must have it first.
		s.post("/settings/security", url.Values{"require_mfa": {"on"}}).
			expect(t, 422, "", "Set up two-factor sign-in for your own account first", `id="require_mfa-error"`, "checked")
		enrolMFA(t, s)
		s.post("/settings/security", url.Values{"require_mfa": {"on"}}).expect(t, 303, "/settings/security")
		if n := auditEntries(t, d, "setting.changed", "ok"); n != 1 {
			t.Errorf("%d setting.changed entries, want 1", n)
		}

		fixture.User(t, d, "member")
		m := newClient()
		s.do(m, "POST", "/login", url.Values{"email": {"member2@example.com"}, "password": {fixture.Password}}, nil).expect(t, 303, "/")
		s.do(m, "GET", "/", nil, nil).expect(t, 303, "/account/security/mfa")
		s.do(m, "GET", "/contacts", nil, nil).expect(t, 303, "/account/security/mfa")
		s.do(m, "GET", "/account/security", nil, nil).expect(t, 303, "/account/security/mfa")
		s.do(m, "POST", "/settings/security", url.Values{}, nil).expect(t, 303, "/account/security/mfa")
		hx := s.do(m, "GET", "/contacts", nil, map[string]string{"HX-Request": "true"})
		hx.expect(t, 403, "")
		if hx.header.Get("HX-Redirect") != "/account/security/mfa" {
			t.Errorf("HX-Redirect %q", hx.header.Get("HX-Redirect"))
		}
		api := s.do(m, "GET", "/api/v1/contacts", nil, nil)
		api.expect(t, 403, "", `"status":403`, "Two-factor sign-in is required")
		if ct := api.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("API Content-Type %q", ct)
		}
		s.do(m, "GET", "/account/security/mfa", nil, nil).expect(t, 200, "", "Your organisation requires two-factor sign-in", "Start setting up")

		// Once enrolled, the member goes where they like.
		member := &site{t: t, db: d, srv: s.srv, client: m}
		enrolMFA(t, member)
		member.post("/account/security/recovery-codes/done", url.Values{}).expect(t, 303, "/account/security")
		member.get("/contacts").expect(t, 200, "")
		// A member may look at the rule, not change it.
		member.get("/settings/security").expect(t, 200, "", "Required for everyone", "Only owners and admins")
		member.post("/settings/security", url.Values{}).expect(t, 403, "")
		// Signing out is always possible.
		member.post("/logout", nil).expect(t, 303, "/login")
	})
}

func TestSecurityPasswordsThrottled(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		s := signedIn(t, d)
		enrolMFA(t, s)
		wrong := url.Values{"disable_password": {"guess guess"}}
		for i := 0; i < 5; i++ {
			s.post("/account/security/mfa/disable", wrong).expect(t, 422, "", "That password is not right.")
		}
		// Every form that asks for the password is locked now, even with the right one.
		r := s.post("/account/security/password", url.Values{"current_password": {"a long enough secret"},
			"new_password": {"a brand new secret"}, "confirm_password": {"a brand new secret"}})
		r.expect(t, 429, "", "Too many wrong passwords. Try again in 15 minutes.", `id="current_password-error"`)
		if r.header.Get("Retry-After") == "" {
			t.Error("no Retry-After header")
		}
		s.post("/account/security/mfa/disable", url.Values{"disable_password": {"a long enough secret"}}).expect(t, 429, "")
		s.get("/account/security").expect(t, 200, "", "On</span> since")
	})
}
