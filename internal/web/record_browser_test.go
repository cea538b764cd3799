package web_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func recBrowser(t *testing.T, width, height int) context.Context {
	return browsertest.New(t, width, height)
}

func recEval[T any](ctx context.Context, t *testing.T, expr string) T {
	return browsertest.Eval[T](ctx, t, expr)
}

// recShot saves a screenshot when RAPPORT_SCREENSHOTS names a folder, for
// people checking the layout by eye.
func recShot(ctx context.Context, t *testing.T, name string) {
	dir := os.Getenv("RAPPORT_SCREENSHOTS")
	if dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// recSetUp creates the owner account through /setup as a new user does,
// and waits for the signed-in page.
func recSetUp(ctx context.Context, t *testing.T, u, name, email string) {
	t.Helper()
	recRun(ctx, t, "set up",
		chromedp.Navigate(u+"/setup"),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), "a long enough secret"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".user-menu")),
	)
}

func recRun(ctx context.Context, t *testing.T, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("%s: %v", step, err)
	}
}

// A person creates a company and a contact through the forms, picks the
// company from the suggestions, logs a pinned note and a call with the
// keyboard and reads the timeline, at desktop and phone widths.
func TestBrowserRecordPages(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			ctx := recBrowser(t, size.width, size.height)
			u := s.srv.URL
			recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")

			recRun(ctx, t, "create company",
				chromedp.Navigate(u+"/companies/new"),
				chromedp.SendKeys(chromedp.ID("name"), "Analytical Engines"),
				chromedp.SendKeys(chromedp.ID("domain"), "engines.example"),
				chromedp.Click(chromedp.CSS(`form.record-form button[type="submit"]`)),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Company created.")]`),
			)

			recRun(ctx, t, "create contact",
				chromedp.Navigate(u+"/contacts/new"),
				chromedp.SendKeys(chromedp.ID("first_name"), "Ada"),
				chromedp.SendKeys(chromedp.ID("last_name"), "Lovelace"),
				chromedp.SendKeys(chromedp.ID("email-0"), "ada@example.com"),
				chromedp.Click(`//button[normalize-space()="Add email"]`),
				chromedp.SendKeys(`//fieldset[.//legend[.="Emails"]]//li[last()]//input[@name="email"]`, "ada@home.example"),
				chromedp.SendKeys(chromedp.ID("phone-0"), "+44 20 7946 0958"),
				chromedp.SendKeys(chromedp.ID("company-0"), "Analy"),
				chromedp.WaitVisible(chromedp.CSS(`.suggestion[data-company-name="Analytical Engines"]`)),
				chromedp.Click(chromedp.CSS(`.suggestion[data-company-name="Analytical Engines"]`)),
			)
			if id := recEval[string](ctx, t, `document.querySelector("[data-company-id]").value`); len(id) != 36 {
				t.Fatalf("picking a suggestion set company id %q", id)
			}
			recShot(ctx, t, "contact-form-"+size.name)
			recRun(ctx, t, "submit contact",
				chromedp.Click(chromedp.CSS(`form.record-form button[type="submit"]`)),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Contact created.")]`),
				chromedp.WaitVisible(`//p[@class="record-sub"]/a[.="Analytical Engines"]`),
				browsertest.Settled(),
			)
			if n := recEval[int](ctx, t, `document.querySelectorAll('.facts a[href^="mailto:"]').length`); n != 2 {
				t.Errorf("%d emails on the page, want 2", n)
			}

			// A pinned note through htmx: it appears at the top and in the banner.
			recRun(ctx, t, "pinned note",
				chromedp.SendKeys(chromedp.ID("note-body"), "Takes her latte *unsweetened*"),
				chromedp.Click(chromedp.CSS(`#log-note input[name="pinned"]`)),
				chromedp.Click(chromedp.CSS(`#log-note button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`#pinned .pinned-note em`)),
				chromedp.WaitVisible(chromedp.CSS(`#timeline-list > li.entry-note:first-child em`)),
			)
			if v := recEval[string](ctx, t, `document.getElementById("note-body").value`); v != "" {
				t.Errorf("note form not reset: %q", v)
			}
			if recEval[bool](ctx, t, `!!document.querySelector("#timeline .timeline-empty") && getComputedStyle(document.querySelector("#timeline .timeline-empty")).display !== "none"`) {
				t.Error("empty state still shown after the first note")
			}

			// A call with the keyboard: the tab, a bad duration, then a good one.
			recRun(ctx, t, "call tab",
				// The note's answer replaces the whole log section, tabs
				// included: focus a tab only once that swap has settled.
				browsertest.Settled(),
				chromedp.Focus(chromedp.ID("log-tab-note")),
				chromedp.KeyEvent(kb.ArrowRight),
				chromedp.WaitVisible(chromedp.ID("#log-call")),
				chromedp.SetValue(chromedp.ID("call-outcome"), "connected"),
				chromedp.SendKeys(chromedp.ID("call-duration"), "a while"),
				chromedp.Click(chromedp.CSS(`#log-call button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.ID("#call-duration-error")),
			)
			// htmx settles the swap a moment later; then the bad field has focus.
			recRun(ctx, t, "focus on the bad field", chromedp.Poll[chromedp.Void](`document.activeElement.id === "call-duration"`, chromedp.WithPollingTimeout(5*time.Second)))
			recRun(ctx, t, "good call",
				chromedp.SetValue(chromedp.ID("call-duration"), "15"),
				chromedp.Click(chromedp.CSS(`#log-call button[type="submit"]`)),
				chromedp.WaitVisible(`//li[contains(@class,"entry-call")][contains(., "connected · 15 minutes")]`),
			)
			recShot(ctx, t, "contact-"+size.name)
			if shown := recEval[int](ctx, t, `Array.from(document.querySelectorAll("#log-activity .htmx-indicator")).filter(e => getComputedStyle(e).opacity !== "0").length`); shown != 0 {
				t.Errorf("%d \"Saving…\" indicators still shown after saving", shown)
			}
			if w := recEval[bool](ctx, t, `document.documentElement.scrollWidth <= window.innerWidth`); !w {
				t.Error("the contact page scrolls sideways")
			}

			// Older entries load as the timeline scrolls into view.
			rs := recServices(t, d)
			cid := recEval[string](ctx, t, `location.pathname.split("/")[2]`)
			for i := 0; i < 55; i++ {
				if _, err := rs.activities.Create(rs.ctx, activity.Input{Kind: fixture.Ptr("note"), ContactID: &cid, Body: fixture.Ptr("older")}); err != nil {
					t.Fatal(err)
				}
			}
			recRun(ctx, t, "scroll",
				chromedp.Reload(),
				chromedp.WaitVisible(chromedp.ID("#timeline-list")),
				browsertest.Settled(),
				chromedp.ScrollIntoView(chromedp.CSS(".timeline-more")),
				chromedp.WaitVisible(chromedp.CSS(".timeline-end")),
			)
			if n := recEval[int](ctx, t, `document.querySelectorAll("#timeline-list > li.entry").length`); n != 58 {
				t.Errorf("%d entries after scrolling, want all 58", n)
			}

			// The company shows its contact and the contact's note.
			recRun(ctx, t, "company page",
				chromedp.Navigate(u+"/contacts/"+cid),
				browsertest.Settled(),
				chromedp.Click(`//p[@class="record-sub"]/a`),
				chromedp.WaitVisible(`//ul[@class="people-list"]//a[.="Ada Lovelace"]`),
				chromedp.WaitVisible(`//li[contains(@class,"entry-note")]//span[@class="entry-about"]/a[.="Ada Lovelace"]`),
			)
			recShot(ctx, t, "company-"+size.name)
			if w := recEval[bool](ctx, t, `document.documentElement.scrollWidth <= window.innerWidth`); !w {
				t.Error("the company page scrolls sideways")
			}
		})
	}
}
