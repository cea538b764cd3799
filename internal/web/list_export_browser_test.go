package web_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

// A person filters the contact list, opens Export and takes the CSV: the
// file holds the filtered rows with the list's columns — at desktop and
// phone widths.
func TestBrowserListExport(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newListEnv(t, d)
	for i := range 12 {
		stage := "lead"
		if i%3 == 0 {
			stage = "customer"
		}
		e.person(contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("P%02d", i)), Stage: fixture.Ptr(stage),
			Emails: &[]contact.Email{{Address: fmt.Sprintf("p%02d@example.com", i)}}})
	}
	for _, width := range []int{1280, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx := listBrowser(t, width)
			type css = chromedp.CSS
			listMust(t, chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/login"),
				chromedp.SendKeys(css("#email"), "olga@example.com"), chromedp.SendKeys(css("#password"), "a long enough secret"),
				chromedp.Submit(css("#password"))))
			listUntil(ctx, t, "signed in", `location.pathname === "/" && document.readyState === "complete"`)
			listMust(t, chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/contacts?lifecycle_stage=customer&sort=name&cols=name%2Cemail")))
			listUntil(ctx, t, "the filtered list", `document.querySelectorAll(".list-name").length === 4`)
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(".list-export > summary"))))
			listUntil(ctx, t, "the Export menu", `document.querySelector(".list-export").open && !!document.querySelector('.list-export a[href^="/contacts/export.csv"]')`)
			if w := listJS[int](ctx, t, `document.documentElement.scrollWidth`); w > width {
				t.Errorf("the page is %d px wide in a %d px window", w, width)
			}
			if os.Getenv("LISTSHOTS") != "" {
				if b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
					os.WriteFile(fmt.Sprintf("/tmp/listshots/export-%d.png", width), b, 0o644)
				}
			}
			// The link is what the browser downloads, with this session.
			got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
				`fetch(document.querySelector('.list-export a[href^="/contacts/export.csv"]').href).then(r => r.text())`, chromedp.EvalAwaitPromise))
			listMust(t, err)
			want := "Name,Email\r\nP00,p00@example.com\r\nP03,p03@example.com\r\nP06,p06@example.com\r\nP09,p09@example.com\r\n"
			if got != want {
				t.Errorf("the CSV link gave %q, want %q", got, want)
			}
		})
	}
}
