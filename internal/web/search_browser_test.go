package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

func searchBrowser(t *testing.T, width, height int) context.Context {
	return browsertest.New(t, width, height)
}

func searchEval[T any](ctx context.Context, t *testing.T, expr string) T {
	return browsertest.Eval[T](ctx, t, expr)
}

// A person finds a contact from anywhere with the keyboard, at desktop and
// phone widths, then merges two duplicates on the comparison page.
func TestBrowserPaletteAndMerge(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			s := newSite(t, d, "http://127.0.0.1:8080")
			ctx := searchBrowser(t, size.width, size.height)
			err := chromedp.Do(ctx,
				chromedp.Navigate(s.srv.URL+"/setup"),
				chromedp.SendKeys(chromedp.CSS("#name"), "Olga Owner"),
				chromedp.SendKeys(chromedp.CSS("#email"), "olga@example.com"),
				chromedp.SendKeys(chromedp.CSS("#password"), "a long enough secret"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".user-menu")),
			)
			if err != nil {
				t.Fatalf("set up: %v", err)
			}
			rs := newSearchData(t, d)
			ada := rs.contact(contact.Input{FirstName: searchStr("Ada"), LastName: searchStr("Lovelace"),
				Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958"}}})
			byron := rs.contact(contact.Input{FirstName: searchStr("Ada"), LastName: searchStr("Byron"), JobTitle: searchStr("Countess"),
				Phones: &[]contact.PhoneInput{{Number: "+44 20 7946 0958"}}})

			// "/" opens the palette; typing shows results with the first active.
			err = chromedp.Do(ctx,
				chromedp.Evaluate[chromedp.Void](`document.querySelector(".brand").focus()`),
				chromedp.KeyEvent("/"),
				chromedp.WaitVisible(chromedp.CSS("#palette-input")),
				// A synthetic "/" arrives as a separate char event that a real
				// keyboard's cancelled keydown would not send.
				chromedp.Evaluate[chromedp.Void](`document.getElementById("palette-input").value = ""`),
				chromedp.KeyEvent("ada"),
				chromedp.WaitVisible(chromedp.CSS("#palette-option-1")),
			)
			if err != nil {
				t.Fatalf("open palette with /: %v", err)
			}
			if v := searchEval[string](ctx, t, `document.activeElement.id`); v != "palette-input" {
				t.Errorf("focus on %q after opening, want the search input", v)
			}
			if v := searchEval[string](ctx, t, `document.getElementById("palette-input").getAttribute("aria-activedescendant")`); v != "palette-option-0" {
				t.Errorf("active option %q, want palette-option-0", v)
			}
			if v := searchEval[string](ctx, t, `document.querySelector("#palette-option-0 mark").textContent`); v != "Ada" {
				t.Errorf("highlighted %q, want Ada", v)
			}
			chromedp.Do(ctx, chromedp.KeyEvent(kb.ArrowDown))
			if v := searchEval[string](ctx, t, `document.getElementById("palette-input").getAttribute("aria-activedescendant")`); v != "palette-option-1" {
				t.Errorf("after ↓ active option %q, want palette-option-1", v)
			}
			// Tab stays in the dialog.
			for range 4 {
				chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab))
				if in := searchEval[bool](ctx, t, `document.getElementById("palette").contains(document.activeElement)`); !in {
					t.Fatal("Tab left the open palette")
				}
			}
			if size.width < 400 {
				if w := searchEval[float64](ctx, t, `document.querySelector(".palette-panel").getBoundingClientRect().width`); w > float64(size.width) {
					t.Errorf("palette is %.0f px wide on a %d px screen", w, size.width)
				}
			}
			// Escape closes and gives focus back.
			chromedp.Do(ctx, chromedp.KeyEvent(kb.Escape))
			if open := searchEval[bool](ctx, t, `document.getElementById("palette").open`); open {
				t.Fatal("Escape left the palette open")
			}
			if v := searchEval[string](ctx, t, `document.activeElement.className`); v != "brand" {
				t.Errorf("focus went to %q after closing, want back to the brand link", v)
			}

			// Ctrl+K opens it again with the last query selected; a new query and
			// Enter open the contact.
			err = chromedp.Do(ctx,
				chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl)),
				chromedp.WaitVisible(chromedp.CSS("#palette-input")),
				chromedp.KeyEvent(" lov"),
				chromedp.WaitNotPresent(chromedp.CSS("#palette-option-1")),
				chromedp.WaitVisible(chromedp.CSS("#palette-option-0")),
				chromedp.KeyEvent(kb.Enter),
				chromedp.WaitNotPresent(chromedp.CSS("#palette[open]")),
			)
			if err != nil {
				t.Fatalf("Ctrl+K and Enter: %v", err)
			}
			time.Sleep(300 * time.Millisecond)
			if u := searchEval[string](ctx, t, `location.pathname`); u != "/contacts/"+ada.ID {
				t.Errorf("Enter went to %s, want /contacts/%s", u, ada.ID)
			}

			// "/" typed into a text field is text; no results says so.
			err = chromedp.Do(ctx,
				chromedp.Navigate(s.srv.URL+"/search"),
				chromedp.WaitVisible(chromedp.CSS("#search-q")),
				chromedp.Click(chromedp.CSS("#search-q")),
				chromedp.KeyEvent("a/b"),
			)
			if err != nil {
				t.Fatal(err)
			}
			if open := searchEval[bool](ctx, t, `document.getElementById("palette").open`); open {
				t.Error("typing / in a text field opened the palette")
			}
			err = chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS("[data-palette-open]")),
				chromedp.WaitVisible(chromedp.CSS("#palette-input")),
				chromedp.Evaluate[chromedp.Void](`document.getElementById("palette-input").select()`),
				chromedp.KeyEvent("zebra"),
				chromedp.WaitVisible(chromedp.CSS("#palette-results .search-empty")),
			)
			if err != nil {
				t.Fatalf("search button and no results: %v", err)
			}
			if v := searchEval[string](ctx, t, `document.getElementById("palette-status").textContent`); !strings.Contains(v, "No contacts or companies match") {
				t.Errorf("live region says %q", v)
			}

			// Merge the two Adas: pick Byron's last name and keep Lovelace's record.
			err = chromedp.Do(ctx,
				chromedp.Navigate(s.srv.URL+"/contacts/duplicates"),
				chromedp.WaitVisible(chromedp.CSS(".dup-merge")),
			)
			if err != nil {
				t.Fatalf("duplicates page: %v", err)
			}
			if wide := searchEval[bool](ctx, t, `document.documentElement.scrollWidth > window.innerWidth`); wide {
				t.Errorf("the duplicates page is wider than the %d px screen", size.width)
			}
			err = chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(".dup-merge")),
				chromedp.WaitVisible(chromedp.CSS(".merge-table")),
			)
			if err != nil {
				t.Fatalf("duplicates to merge page: %v", err)
			}
			if wide := searchEval[bool](ctx, t, `document.documentElement.scrollWidth > window.innerWidth`); wide {
				t.Errorf("the merge page is wider than the %d px screen", size.width)
			}
			// Choosing Byron as the one to keep moves untouched fields to his values.
			chromedp.Do(ctx, chromedp.Click(chromedp.CSS(`input[name="survivor"][value="`+byron.ID+`"]`)))
			if ok := searchEval[bool](ctx, t, `document.querySelector('input[name="choice.last_name"][value="`+byron.ID+`"]').checked`); !ok {
				t.Error("choosing the survivor did not move the last name choice to it")
			}
			err = chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(`input[name="survivor"][value="`+ada.ID+`"]`)),
				chromedp.Click(chromedp.CSS(`input[name="choice.last_name"][value="`+byron.ID+`"]`)),
				chromedp.Click(chromedp.CSS(".merge-submit")),
				chromedp.WaitNotPresent(chromedp.CSS(".merge-table")),
			)
			if err != nil {
				t.Fatalf("merge: %v", err)
			}
			got, err := rs.contacts.ByID(rs.ctx, ada.ID)
			if err != nil || got.DisplayName != "Ada Byron" || got.JobTitle != "Countess" {
				t.Errorf("survivor = %q %q, %v; want Ada Byron, Countess", got.DisplayName, got.JobTitle, err)
			}
			if _, err := rs.contacts.ByID(rs.ctx, byron.ID); err == nil {
				t.Error("the merged contact still exists")
			}
		})
	}
}
