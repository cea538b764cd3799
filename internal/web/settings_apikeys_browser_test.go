package web_test

import (
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// An owner creates an API key in Settings, copies the secret with the
// Copy button, calls the API with what the clipboard holds, revokes the
// key after confirming, and sees the same call refused; at desktop and
// phone widths.
func TestBrowserAPIKeys(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			ctx := recBrowser(t, size.width, size.height)
			u := s.srv.URL
			// Let the page read the clipboard, so the test sees what Copy put there.
			for _, name := range []string{"clipboard-read", "clipboard-write"} {
				if _, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{Origin: u,
					Permission: &browser.PermissionDescriptor{Name: name}, Setting: "granted"}); err != nil {
					t.Fatalf("grant %s: %v", name, err)
				}
			}
			recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")
			recRun(ctx, t, "open the page",
				chromedp.Navigate(u+"/settings"),
				chromedp.Click(`//a[@href="/settings/api-keys"]`),
				chromedp.WaitVisible(`//h2[.="No API keys yet"]`),
			)
			noSidewaysScroll(ctx, t, "API keys")
			recRun(ctx, t, "create a key",
				chromedp.SendKeys(chromedp.ID("key-name"), "Shop sync"),
				chromedp.Click(`input[name="scope"][value="contacts:read"]`),
				chromedp.Click(`//button[.="Create key"]`),
				chromedp.WaitVisible(`[data-key-secret]`),
			)
			recShot(ctx, t, "apikeys-created-"+size.name)
			noSidewaysScroll(ctx, t, "API keys with a new secret")
			shown := recEval[string](ctx, t, `document.querySelector("[data-secret]").value`)
			recRun(ctx, t, "copy",
				chromedp.Click(`button[data-copy]`),
				chromedp.WaitVisible(`//button[@data-copy and .="Copied"]`),
			)
			copied, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("read the clipboard: %v", err)
			}
			if copied != shown || len(copied) != 60 {
				t.Fatalf("clipboard %q, page shows %q", copied, shown)
			}
			call := `fetch("/api/v1/contacts", {credentials: "omit", headers: {Authorization: "Bearer ` + copied + `"}}).then(r => r.status)`
			if status, err := chromedp.Run(ctx, chromedp.Evaluate[int](call, chromedp.EvalAwaitPromise)); err != nil || status != 200 {
				t.Fatalf("API call with the copied key: %d, %v", status, err)
			}
			recRun(ctx, t, "revoke",
				chromedp.Navigate(u+"/settings/api-keys"),
				chromedp.WaitVisible(`//h3[contains(., "Shop sync")]`),
				chromedp.Click(`//a[contains(., "Revoke")]`),
				chromedp.WaitVisible(`//h1[contains(., "Revoke the API key")]`),
				chromedp.Click(`//button[.="Revoke key"]`),
				chromedp.WaitVisible(`//*[contains(., "anything using it is refused")]`),
			)
			recShot(ctx, t, "apikeys-revoked-"+size.name)
			if status, err := chromedp.Run(ctx, chromedp.Evaluate[int](call, chromedp.EvalAwaitPromise)); err != nil || status != 401 {
				t.Errorf("API call with the revoked key: %d, %v; want 401", status, err)
			}
			if recEval[bool](ctx, t, `!!document.querySelector("[data-secret]")`) || recEval[bool](ctx, t, `document.body.innerText.includes("`+copied+`")`) {
				t.Error("the secret is still on the page")
			}
		})
	}
}
