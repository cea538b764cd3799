package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// An owner signs in, finds the empty Webhooks page, allows private
// addresses, creates a webhook to a receiver on loopback with the
// keyboard, sees the secret once, sends a test event and reads its
// delivery, at desktop and phone widths, without sideways scrolling.
func TestBrowserWebhooks(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s, _ := webhookSite(t, d)
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.WriteString(w, `{"ok":true}`)
			}))
			defer rc.Close()
			ctx := recBrowser(t, size.width, size.height)
			u := s.srv.URL
			recRun(ctx, t, "sign in",
				chromedp.Navigate(u+"/login"),
				chromedp.SendKeys(chromedp.ID("email"), "olga@example.com"),
				chromedp.SendKeys(chromedp.ID("password"), "a long enough secret"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
				chromedp.Navigate(u+"/settings"),
				chromedp.Click(`//a[@href="/settings/webhooks"]`),
				chromedp.WaitVisible(`//h2[.="No webhooks yet"]`),
			)
			recShot(ctx, t, "webhooks-empty-"+size.name)
			noSidewaysScroll(ctx, t, "empty webhooks")

			recRun(ctx, t, "allow private addresses",
				chromedp.SendKeys(`input[name="allow_private"]`, " "),
				chromedp.Click(`//form[@action="/settings/webhooks/private"]//button`),
				chromedp.WaitVisible(`//*[contains(., "may now reach private")]`),
			)
			if !recEval[bool](ctx, t, `document.querySelector('input[name="allow_private"]').checked`) {
				t.Fatal("the private-address setting is not ticked after saving it")
			}

			recRun(ctx, t, "new webhook",
				chromedp.Click(`//a[.="Create the first webhook"]`),
				chromedp.WaitVisible(chromedp.ID("url")),
				chromedp.SendKeys(chromedp.ID("url"), rc.URL+"/in"),
				chromedp.SendKeys(chromedp.ID("description"), "Shop sync"),
				chromedp.SendKeys(`input[name="event_types"][value="*"]`, " "),
				chromedp.Click(`//button[.="Create webhook"]`),
				chromedp.WaitVisible(chromedp.ID("webhook-secret")),
			)
			recShot(ctx, t, "webhook-created-"+size.name)
			noSidewaysScroll(ctx, t, "webhook")
			if secret := recEval[string](ctx, t, `document.getElementById("webhook-secret").value`); !strings.HasPrefix(secret, "whsec_") {
				t.Errorf("secret field holds %q", secret)
			}

			recRun(ctx, t, "send a test event",
				chromedp.Click(`//button[.="Send a test event"]`),
				chromedp.WaitVisible(`//h1[.="webhook.test"]`),
			)
			deadline := time.Now().Add(10 * time.Second)
			for !recEval[bool](ctx, t, `document.body.textContent.includes("Attempt 1")`) {
				if time.Now().After(deadline) {
					t.Fatal("the test delivery's attempt never showed")
				}
				time.Sleep(200 * time.Millisecond)
				recRun(ctx, t, "reload", chromedp.Reload())
			}
			recShot(ctx, t, "webhook-delivery-"+size.name)
			noSidewaysScroll(ctx, t, "delivery")
			if !recEval[bool](ctx, t, `document.querySelector(".webhook-payload").textContent.includes("This is a test event")`) {
				t.Error("payload not shown")
			}

			recRun(ctx, t, "delivery log",
				chromedp.Click(`//p[@class="crumbs"]/a[contains(., "/in")]`),
				chromedp.WaitVisible(`//table[contains(@class, "delivery-table")]//a[.="webhook.test"]`),
			)
			recShot(ctx, t, "webhook-log-"+size.name)
			noSidewaysScroll(ctx, t, "delivery log")
		})
	}
}
