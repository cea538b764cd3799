package web_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
)

func listBrowser(t *testing.T, width int) context.Context { return browsertest.New(t, width, 900) }

// until waits for a JavaScript condition, across page loads, failing the
// test with what after 10 s.
func listUntil(ctx context.Context, t *testing.T, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// htmx must be done too: requesting, swapping and settling.
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") && (`+cond+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			if b, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil && os.Getenv("LISTSHOTS") != "" {
				os.WriteFile("/tmp/listshots/fail-"+strings.ReplaceAll(what, " ", "-")+".png", b, 0o644)
			}
			t.Fatalf("%s: still not so after 10 s (at %s; last error %v)", what, loc, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func listJS[T any](ctx context.Context, t *testing.T, expr string) T {
	return browsertest.Eval[T](ctx, t, expr)
}

// A person sorts the list by a header, builds a filter on a custom field
// (the builder offers the comparisons of the chosen field), applies it
// without a page load, goes back with the browser, and selects everything
// matching — at desktop and phone widths.
func TestBrowserListPage(t *testing.T) {
	d := dbtest.Open(t, db.SQLite)
	e := newListEnv(t, d)
	if _, err := e.fields.Create(e.ctx, customfield.Field{Object: "contact", Label: "Seats", Key: "seats", Type: customfield.Number}); err != nil {
		t.Fatal(err)
	}
	for i := range 60 {
		e.person(contact.Input{FirstName: fixture.Ptr(fmt.Sprintf("P%02d", i)), Custom: map[string]any{"seats": i}})
	}
	for _, width := range []int{1280, 375} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			ctx := listBrowser(t, width)
			type css = chromedp.CSS
			if err := chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/login"),
				chromedp.SendKeys(css("#email"), "olga@example.com"), chromedp.SendKeys(css("#password"), "a long enough secret"),
				chromedp.Submit(css("#password"))); err != nil {
				t.Fatal(err)
			}
			listUntil(ctx, t, "signed in", `location.pathname === "/" && document.readyState === "complete"`)
			listMust(t, chromedp.Do(ctx, chromedp.Navigate(e.srv.URL+"/contacts?cols=name%2Ccf.seats")))
			listUntil(ctx, t, "the count arrives", `(document.getElementById("list-count")||{}).textContent === "60 contacts"`)
			if w := listJS[int](ctx, t, `document.documentElement.scrollWidth`); w > width {
				t.Errorf("the page is %d px wide in a %d px window", w, width)
			}

			// Sort by the Seats header, twice for descending.
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(`th a[href*="sort=cf.seats"]`))))
			listUntil(ctx, t, "sorted by seats", `location.search.includes("sort=cf.seats") && document.querySelector(".list-name").textContent === "P00"`)
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(`th[aria-sort="ascending"] a`))))
			listUntil(ctx, t, "sorted descending", `location.search.includes("sort=-cf.seats") && document.querySelector(".list-name").textContent === "P59"`)

			// Build "Seats is greater than 55" in the filter builder.
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(".list-filter > summary")), chromedp.Click(css(`button[value="add:filter"]`))))
			listUntil(ctx, t, "a condition row", `!!document.querySelector('select[name="filter.conditions[0].field"]')`)
			listJS[bool](ctx, t, `(function(){var s=document.querySelector('select[name="filter.conditions[0].field"]'); s.value="cf.seats"; s.dispatchEvent(new Event("change",{bubbles:true})); return true})()`)
			listUntil(ctx, t, "comparisons for a number", `!document.querySelector(".htmx-request") && !!document.querySelector('select[name="filter.conditions[0].op"] option[value="gt"]') && !document.querySelector('option[value="contains"]')`)
			listJS[bool](ctx, t, `(function(){var s=document.querySelector('select[name="filter.conditions[0].op"]'); s.value="gt"; s.dispatchEvent(new Event("change",{bubbles:true})); return true})()`)
			listUntil(ctx, t, "a number input", `!document.querySelector(".htmx-request") && document.querySelector('select[name="filter.conditions[0].op"] option[value="gt"]').defaultSelected && !!document.querySelector('input[type="number"][name="filter.conditions[0].value"]')`)
			listMust(t, chromedp.Do(ctx, chromedp.SendKeys(css(`input[name="filter.conditions[0].value"]`), "55"),
				chromedp.Click(css(`.fb-actions button[value="apply"]`))))
			listUntil(ctx, t, "the filter applied", `location.search.includes("filter=") && document.querySelectorAll(".list-name").length === 4`)
			listUntil(ctx, t, "the filter's count", `document.getElementById("list-count").textContent === "4 contacts"`)

			// A bad value is explained beside the condition, without a page load.
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(".list-filter > summary"))))
			listJS[bool](ctx, t, `(function(){var s=document.querySelector('input[name="filter.conditions[0].value"]'); s.type="text"; s.value="lots"; return true})()`)
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(`.fb-actions button[value="apply"]`))))
			listUntil(ctx, t, "the message beside the condition", `(document.getElementById("filter.conditions[0]-error")||{}).textContent === "Enter a number, such as 42 or 3.5."`)
			if listJS[int](ctx, t, `document.querySelectorAll(".list-name").length`) != 0 {
				t.Error("rows shown beside an invalid filter")
			}
			listJS[bool](ctx, t, `history.back(), true`)
			listUntil(ctx, t, "back to the filtered list", `location.search.includes("filter=") && document.querySelectorAll(".list-name").length === 4`)

			// The back button returns to the unfiltered list.
			listJS[bool](ctx, t, `history.back(), true`)
			listUntil(ctx, t, "back to the whole list", `!location.search.includes("filter=") && document.querySelectorAll(".list-name").length === 50`)

			// Select the page, then everything matching.
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(`[data-select-page]`))))
			listUntil(ctx, t, "every row selected", `[...document.querySelectorAll("[data-row-check]")].every(c => c.checked) && !document.querySelector("[data-select-all-banner]").hidden`)
			listMust(t, chromedp.Do(ctx, chromedp.Click(css(`[data-choose-all]`))))
			if !listJS[bool](ctx, t, `document.querySelector("[data-scope-all]").checked`) {
				t.Error("choosing everything did not select the 'all' scope")
			}
			label := listJS[string](ctx, t, `document.querySelector("[data-all-label]").textContent`)
			if !strings.Contains(label, "60 contacts") {
				t.Errorf("the 'all' choice reads %q, want it to name 60 contacts", label)
			}
		})
	}
}

func listMust(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
