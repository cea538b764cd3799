package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// An owner invites a colleague from Settings → Users and copies the link
// shown once; the colleague opens it in their own browser, chooses a name
// and a password and lands signed in. Then the owner deactivates them,
// through the confirmation, at desktop and phone widths.
func TestBrowserInviteAndDeactivate(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			us := newUserSite(t, d)
			u := us.srv.URL
			owner := browsertest.New(t, size.width, size.height)
			recRun(owner, t, "sign in",
				chromedp.Navigate(u+"/login"),
				chromedp.SendKeys(chromedp.ID("email"), "olga@example.com"),
				chromedp.SendKeys(chromedp.ID("password"), "a long enough secret"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
			)
			recRun(owner, t, "invite",
				chromedp.Navigate(u+"/settings"),
				chromedp.Click(`//a[@href="/settings/users"]`),
				chromedp.WaitVisible(`//h3[contains(., "You are the only user so far")]`),
				chromedp.SendKeys(chromedp.ID("email"), "nina@example.com"),
				chromedp.SetValue(chromedp.ID("role"), "manager"),
				chromedp.Click(`//button[contains(., "Send invitation")]`),
				chromedp.WaitVisible(chromedp.ID("invite-link")),
				chromedp.Click(chromedp.CSS("[data-copy]")),
				chromedp.WaitVisible(`//button[@data-copy][contains(., "Copied") or contains(., "Ctrl+C")]`),
			)
			recShot(owner, t, "users-invited-"+size.name)
			link := recEval[string](owner, t, `document.getElementById("invite-link").value`)
			if !strings.HasPrefix(link, usersBaseURL+"/invite/") {
				t.Fatalf("link %q", link)
			}
			if sel := recEval[string](owner, t, `window.getSelection().toString() || document.getElementById("invite-link").value.substring(document.getElementById("invite-link").selectionStart, document.getElementById("invite-link").selectionEnd)`); sel != link {
				t.Errorf("the link is not selected for copying: %q", sel)
			}

			nina := browsertest.New(t, size.width, size.height)
			recRun(nina, t, "accept",
				chromedp.Navigate(u+strings.TrimPrefix(link, usersBaseURL)),
				chromedp.WaitVisible(`//h1[contains(., "Join Rapport")]`),
				chromedp.SendKeys(chromedp.ID("name"), "Nina New"),
				chromedp.SendKeys(chromedp.ID("password"), "short"),
				chromedp.Click(`//button[contains(., "Create my account")]`),
				chromedp.WaitVisible(`//p[@id="password-error"][contains(., "at least 10")]`),
			)
			recShot(nina, t, "invite-accept-"+size.name)
			recRun(nina, t, "accept again",
				chromedp.SendKeys(chromedp.ID("password"), "a long enough secret"),
				chromedp.Click(`//button[contains(., "Create my account")]`),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Welcome to Rapport, Nina New.")]`),
			)

			recRun(owner, t, "deactivate",
				chromedp.Navigate(u+"/settings/users"),
				chromedp.Click(`//a[contains(., "Nina New")]`),
				chromedp.WaitVisible(`//h1[contains(., "Nina New")]`),
				chromedp.Click(`//a[contains(., "Deactivate Nina New")]`),
				chromedp.WaitVisible(`//h1[contains(., "Deactivate Nina New?")]`),
				chromedp.Click(`//button[contains(., "Deactivate Nina New")]`),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "signed out everywhere")]`),
			)
			recShot(owner, t, "user-deactivated-"+size.name)
			recRun(nina, t, "signed out",
				chromedp.Navigate(u+"/contacts"),
				chromedp.WaitVisible(`//h1[contains(., "Sign in")]`),
			)
			recRun(owner, t, "outbox",
				chromedp.Navigate(u+"/settings/outbox"),
				chromedp.WaitVisible(`//a[contains(., "Olga Owner invited you to Rapport")]`),
			)
			recShot(owner, t, "outbox-"+size.name)
		})
	}
}
