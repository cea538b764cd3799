package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// A new user signs in, sets up two-factor sign-in on the Security page
// with the key typed from the page (as they would into their app), saves
// the recovery codes, signs out, and signs in again with the password and
// a code, at desktop and phone widths.
func TestBrowserMFAEnrolment(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			fixture.User(t, d, "owner")
			_, u := fixture.User(t, d, "member")
			ctx := recBrowser(t, size.width, size.height)
			base := s.srv.URL
			fitsWidth := func(page string) {
				t.Helper()
				if recEval[bool](ctx, t, `document.documentElement.scrollWidth > window.innerWidth`) {
					t.Errorf("%s: the page is wider than the %d px window", page, size.width)
				}
			}

			signInWithPassword := func() {
				recRun(ctx, t, "sign in",
					chromedp.Navigate(base+"/login"),
					chromedp.SendKeys(chromedp.ID("email"), u.Email),
					chromedp.SendKeys(chromedp.ID("password"), fixture.Password),
					chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				)
			}
			signInWithPassword()
			recRun(ctx, t, "open Security from the account menu",
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
				chromedp.Click(chromedp.CSS(".user-menu summary")),
				chromedp.Click(`//a[.="Account security"]`),
				chromedp.WaitVisible(`//h1[.="Security"]`),
				chromedp.WaitVisible(`//li[contains(@class,"session current")]//span[.="This browser"]`),
			)
			fitsWidth("security")
			recRun(ctx, t, "start enrolment",
				chromedp.Click(`//button[.="Set up two-factor sign-in"]`),
				chromedp.WaitVisible(chromedp.ID("totp-secret")),
				chromedp.WaitVisible(chromedp.CSS("img.qr")),
			)
			// The QR code is an image from this site, which the CSP allows.
			if !recEval[bool](ctx, t, `(() => { const i = document.querySelector("img.qr"); return i.complete && i.naturalWidth > 0 })()`) {
				time.Sleep(500 * time.Millisecond)
				if !recEval[bool](ctx, t, `document.querySelector("img.qr").naturalWidth > 0`) {
					t.Error("the QR code did not load")
				}
			}
			fitsWidth("enrolment")
			recShot(ctx, t, "mfa-enrol-"+size.name)
			secret := strings.ReplaceAll(recEval[string](ctx, t, `document.getElementById("totp-secret").textContent`), " ", "")
			if len(secret) != 32 {
				t.Fatalf("secret on the page %q", secret)
			}
			recRun(ctx, t, "confirm with a code",
				chromedp.SendKeys(chromedp.ID("code"), totpCode(t, secret, 0)),
				chromedp.Click(`//button[.="Turn on two-factor sign-in"]`),
				chromedp.WaitVisible(`//h1[.="Your recovery codes"]`),
			)
			if n := recEval[int](ctx, t, `document.querySelectorAll("#recovery-codes code").length`); n != 10 {
				t.Errorf("%d recovery codes shown, want 10", n)
			}
			if href := recEval[string](ctx, t, `document.querySelector("a[download]").getAttribute("href")`); href != "/account/security/recovery-codes.txt" {
				t.Errorf("download link %q", href)
			}
			fitsWidth("recovery codes")
			recShot(ctx, t, "mfa-codes-"+size.name)
			recRun(ctx, t, "codes saved",
				chromedp.Click(`//button[.="I have saved them"]`),
				chromedp.WaitVisible(`//span[@class="status-on"]`),
				chromedp.WaitVisible(`//p[@id="codes-left"][contains(., "10 recovery codes left.")]`),
			)
			fitsWidth("security, enrolled")
			recShot(ctx, t, "mfa-security-"+size.name)

			recRun(ctx, t, "sign out",
				chromedp.Click(chromedp.CSS(".user-menu summary")),
				chromedp.Click(`//div[@class="user-menu-panel"]//button[.="Sign out"]`),
				chromedp.WaitVisible(`//h1[.="Sign in to Rapport"]`),
			)
			signInWithPassword()
			recRun(ctx, t, "second step", chromedp.WaitVisible(`//h1[.="Two-factor sign-in"]`))
			fitsWidth("second step")
			// The enrolment code's time step is spent: the app's next code.
			recRun(ctx, t, "sign in with a code",
				chromedp.SendKeys(chromedp.ID("code"), totpCode(t, secret, 30*time.Second)),
				chromedp.Click(`//button[.="Verify and sign in"]`),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
			)
			if got := recEval[string](ctx, t, `location.pathname`); got != "/" {
				t.Errorf("after the code the browser is at %s, want /", got)
			}
			if n := auditEntries(t, d, "auth.signed_in", "ok"); n != 2 {
				t.Errorf("%d sign-ins in the audit log, want 2", n)
			}
		})
	}
}
