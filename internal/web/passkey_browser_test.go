package web_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http/httptest"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// newLocalhostSite starts the site with its base URL at
// http://localhost:<port>, the address the browser opens: passkeys are
// bound to the site's domain name, and browsers refuse them for an IP
// address.
func newLocalhostSite(t *testing.T, d *db.DB) string {
	t.Helper()
	srv := httptest.NewUnstartedServer(nil)
	_, port, err := net.SplitHostPort(srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.BaseURL = "http://localhost:" + port
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: users,
		Logger:   slog.New(slog.NewTextHandler(io.Discard, nil)),
		Contacts: contacts, Companies: companies, Activities: activity.NewService(d, contacts, companies),
		Fields: customfield.NewService(d), Views: view.NewService(d), Audit: audit.NewService(d)})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = s.Handler()
	srv.Start()
	t.Cleanup(srv.Close)
	return cfg.BaseURL
}

// virtualAuthenticator gives the browser a platform authenticator that
// keeps passkeys and verifies its user, through the DevTools WebAuthn domain.
func virtualAuthenticator(ctx context.Context, t *testing.T) webauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		}})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// withoutConditionalUI makes the pages opened from now on find no
// conditional mediation (passkeys offered in the email field's
// suggestions): the virtual authenticator answers such a request at once,
// as no person would, and the buttons are what is tested first. It returns
// a function that offers it again.
func withoutConditionalUI(ctx context.Context, t *testing.T) func() {
	t.Helper()
	res, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `if (window.PublicKeyCredential) { PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false); }`})
	if err != nil {
		t.Fatal(err)
	}
	return func() {
		if _, err := chromedp.Call(ctx, page.RemoveScriptToEvaluateOnNewDocument,
			page.RemoveScriptToEvaluateOnNewDocumentParams{Identifier: res.Identifier}); err != nil {
			t.Fatal(err)
		}
	}
}

// A member adds a passkey on the Security page, saves the recovery codes
// that come with it, signs out and signs in with the passkey alone; then
// with the password and the passkey as the second step; then, with the
// browser suggesting the passkey in the email field, at once. At desktop
// and phone widths.
func TestBrowserPasskey(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			base := newLocalhostSite(t, d)
			fixture.User(t, d, "owner")
			_, u := fixture.User(t, d, "member")
			ctx := recBrowser(t, size.width, size.height)
			authID := virtualAuthenticator(ctx, t)
			conditionalUI := withoutConditionalUI(ctx, t)
			fitsWidth := func(page string) {
				t.Helper()
				if recEval[bool](ctx, t, `document.documentElement.scrollWidth > window.innerWidth`) {
					t.Errorf("%s: the page is wider than the %d px window", page, size.width)
				}
			}
			signOut := func() {
				t.Helper()
				recRun(ctx, t, "sign out",
					chromedp.Click(chromedp.CSS(".user-menu summary")),
					chromedp.Click(`//div[@class="user-menu-panel"]//button[.="Sign out"]`),
					chromedp.WaitVisible(`//h1[.="Sign in to Rapport"]`),
				)
			}

			recRun(ctx, t, "sign in with the password",
				chromedp.Navigate(base+"/login"),
				chromedp.SendKeys(chromedp.ID("email"), u.Email),
				chromedp.SendKeys(chromedp.ID("password"), fixture.Password),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
			)
			recRun(ctx, t, "open Security",
				chromedp.Navigate(base+"/account/security"),
				chromedp.WaitVisible(`//h2[.="Passkeys"]`),
				chromedp.WaitVisible(chromedp.ID("passkeys-none")),
			)
			fitsWidth("security")
			recRun(ctx, t, "add a passkey",
				chromedp.SendKeys(chromedp.ID("passkey-new-name"), "Test laptop"),
				chromedp.Click(`//button[.="Add a passkey"]`),
				chromedp.WaitVisible(`//h1[.="Your recovery codes"]`),
			)
			fitsWidth("recovery codes")
			recRun(ctx, t, "codes saved",
				chromedp.Click(`//button[.="I have saved them"]`),
				chromedp.WaitVisible(`//strong[@class="passkey-name"][.="Test laptop"]`),
				chromedp.WaitVisible(`//p[@id="codes-left"][contains(., "10 recovery codes left.")]`),
			)
			fitsWidth("security with a passkey")
			recShot(ctx, t, "passkey-security-"+size.name)
			creds, err := chromedp.Call(ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: authID})
			if err != nil {
				t.Fatal(err)
			}
			if len(creds.Credentials) != 1 || !creds.Credentials[0].IsResidentCredential || creds.Credentials[0].RpID != "localhost" {
				t.Fatalf("authenticator holds %+v, want one discoverable credential for localhost", creds.Credentials)
			}

			signOut()
			fitsWidth("sign-in")
			recShot(ctx, t, "passkey-login-"+size.name)
			// A person who cancels, or fails the fingerprint: told so, and
			// still signed out.
			verified := func(on bool) {
				t.Helper()
				if _, err := chromedp.Call(ctx, webauthn.SetUserVerified,
					webauthn.SetUserVerifiedParams{AuthenticatorID: authID, IsUserVerified: on}); err != nil {
					t.Fatal(err)
				}
			}
			verified(false)
			recRun(ctx, t, "passkey refused on the device",
				chromedp.Click(`//button[.="Sign in with a passkey"]`),
				chromedp.WaitVisible(`//p[@data-passkey-message][contains(., "cancelled or took too long")]`),
			)
			verified(true)
			// A browser without WebAuthn.
			recEval[bool](ctx, t, `delete window.PublicKeyCredential`)
			recRun(ctx, t, "no WebAuthn",
				chromedp.Click(`//button[.="Sign in with a passkey"]`),
				chromedp.WaitVisible(`//p[@data-passkey-message][contains(., "This browser cannot use passkeys here")]`),
				chromedp.Navigate(base+"/login"),
				chromedp.WaitVisible(`//button[.="Sign in with a passkey"]`),
			)
			recRun(ctx, t, "sign in with the passkey alone",
				chromedp.Click(`//button[.="Sign in with a passkey"]`),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
			)
			if got := recEval[string](ctx, t, `location.pathname`); got != "/" {
				t.Errorf("after the passkey the browser is at %s, want /", got)
			}

			signOut()
			recRun(ctx, t, "password, then the passkey",
				chromedp.SendKeys(chromedp.ID("email"), u.Email),
				chromedp.SendKeys(chromedp.ID("password"), fixture.Password),
				chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(`//h1[.="Two-factor sign-in"]`),
				chromedp.WaitVisible(`//button[.="Use a passkey"]`),
			)
			fitsWidth("second step")
			recShot(ctx, t, "passkey-second-step-"+size.name)
			recRun(ctx, t, "second step with the passkey",
				chromedp.Click(`//button[.="Use a passkey"]`),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
			)

			// The browser's own suggestion: the virtual authenticator picks
			// the passkey as soon as the sign-in page asks.
			conditionalUI()
			recRun(ctx, t, "sign out, signed in by the suggested passkey",
				chromedp.Navigate(base+"/account/security"),
				chromedp.Click(chromedp.CSS(".user-menu summary")),
				chromedp.Click(`//div[@class="user-menu-panel"]//button[.="Sign out"]`),
				chromedp.WaitVisible(`//h1[contains(., "Good to see you")]`),
			)

			var methods []string
			rows, err := d.R.Query(`SELECT method FROM user_sessions WHERE user_id = $1 ORDER BY created_at`, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var m string
				rows.Scan(&m)
				methods = append(methods, m)
			}
			rows.Close()
			if len(methods) != 1 || methods[0] != user.MethodPasskey {
				t.Errorf("session methods %v, want [passkey] (the others signed out)", methods)
			}
			if n := auditEntries(t, d, "auth.signed_in", "ok"); n != 4 {
				t.Errorf("%d sign-ins in the audit log, want 4", n)
			}
		})
	}
}
