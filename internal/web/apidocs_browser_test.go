package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// cspWatch records, in window.cspViolations, every Content-Security-Policy
// violation of the pages loaded after it.
func cspWatch(ctx context.Context, t *testing.T) {
	t.Helper()
	_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{
		Source: `window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.cspViolations.push(e.violatedDirective + " " + (e.blockedURI || "inline"));
});`})
	if err != nil {
		t.Fatal(err)
	}
}

// A signed-in person opens the API reference from Settings, reads the
// operations (at desktop and phone widths, nothing wider than the screen,
// no CSP violation), and tries out "Create a contact" with its example
// body: the contact is created as them, through their session.
func TestBrowserAPIDocs(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			if r := s.do(newClient(), "GET", "/api/docs", nil, nil); r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/login") {
				t.Errorf("/api/docs without a session: %d %s, want a redirect to sign in", r.status, r.header.Get("Location"))
			}
			ctx := recBrowser(t, size.width, size.height)
			cspWatch(ctx, t)
			u := s.srv.URL
			recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")
			recRun(ctx, t, "open the API reference from Settings",
				chromedp.Navigate(u+"/settings"),
				chromedp.Click(`//a[contains(., "API reference")]`),
				chromedp.WaitVisible(`//h1[contains(., "API reference")]`),
				chromedp.WaitVisible(`#operations-Contacts-create-contact`),
				chromedp.WaitVisible(`#operations-Contacts-bulk-contacts`),
				chromedp.WaitVisible(`#operations-Deals-create-deal`),
			)
			if n := recEval[int](ctx, t, `document.querySelectorAll(".opblock").length`); n < 40 {
				t.Errorf("the reference shows %d operations", n)
			}
			recRun(ctx, t, "open Create a contact and try it out",
				chromedp.Click(`#operations-Contacts-create-contact .opblock-summary-control`),
				chromedp.WaitVisible(`#operations-Contacts-create-contact .try-out__btn`),
				chromedp.Click(`#operations-Contacts-create-contact .try-out__btn`),
				chromedp.WaitVisible(`#operations-Contacts-create-contact textarea.body-param__text`),
			)
			body := recEval[string](ctx, t, `document.querySelector("#operations-Contacts-create-contact textarea.body-param__text").value`)
			if !strings.Contains(body, `"first_name": "Ada"`) {
				t.Errorf("the example body is %s", body)
			}
			recShot(ctx, t, "apidocs-"+size.name)
			if w := recEval[int](ctx, t, `document.documentElement.scrollWidth`); w > size.width {
				t.Errorf("the API reference is %d px wide at %d", w, size.width)
			}
			recRun(ctx, t, "execute",
				chromedp.Click(`#operations-Contacts-create-contact button.execute`),
				chromedp.WaitVisible(`#operations-Contacts-create-contact .live-responses-table tbody .response-col_status`),
			)
			if st := recEval[string](ctx, t, `document.querySelector("#operations-Contacts-create-contact .live-responses-table tbody .response-col_status").textContent`); !strings.Contains(st, "201") {
				t.Errorf("try it out answered %q, want 201", st)
			}
			var who string
			if err := d.R.QueryRow(`SELECT u.name FROM contacts c JOIN users u ON u.id = c.created_by WHERE c.first_name = 'Ada'`).Scan(&who); err != nil || who != "Olga Owner" {
				t.Errorf("the tried-out contact: created by %q (%v), want Olga Owner", who, err)
			}
			if w := recEval[int](ctx, t, `document.documentElement.scrollWidth`); w > size.width {
				t.Errorf("with an answer shown the API reference is %d px wide at %d", w, size.width)
			}
			if v := recEval[[]string](ctx, t, `window.cspViolations`); len(v) > 0 {
				t.Errorf("CSP violations: %v", v)
			}
		})
	}
}
