package app_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// browser starts headless Chromium at the given window size.
func browser(t *testing.T, width, height int) context.Context {
	return browsertest.New(t, width, height)
}

func text(ctx context.Context, t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("read %s: %v", sel, err)
	}
	return s
}

func location(ctx context.Context, t *testing.T) string {
	t.Helper()
	u, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A new user's first minutes: open a fresh Rapport, land on setup, make a
// mistake, create the owner, sign out, sign in and find the shell. Then
// the same on a 375 px phone, where the menu must open and work.
func TestBrowserFirstRun(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			s := startServer(t, "--db", dbFlag(dbtest.Source(t, db.SQLite)))
			ctx := browser(t, size.width, size.height)

			err := chromedp.Do(ctx,
				chromedp.Navigate(s.URL),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/setup"]`)),
			)
			if err != nil {
				t.Fatal(err)
			}
			if u := location(ctx, t); !strings.HasSuffix(u, "/setup") {
				t.Fatalf("landed on %s, want /setup", u)
			}

			// A too-short password is explained beside the field and the rest is kept.
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#name"), "Olga Owner"),
				chromedp.SendKeys(chromedp.CSS("#email"), "olga@example.com"),
				chromedp.SendKeys(chromedp.CSS("#password"), "short"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#password-error")),
			)
			if err != nil {
				t.Fatal(err)
			}
			if msg := text(ctx, t, "#password-error"); !strings.Contains(msg, "at least 10 characters") {
				t.Errorf("password error %q", msg)
			}
			kept, _ := chromedp.Run(ctx, chromedp.Value(chromedp.CSS("#email")))
			if kept != "olga@example.com" {
				t.Errorf("email field holds %q after the error, want it kept", kept)
			}

			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#password"), "a long enough secret"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(".flash")),
			)
			if err != nil {
				t.Fatal(err)
			}
			if h := text(ctx, t, "h1"); !strings.Contains(h, "Olga Owner") {
				t.Errorf("home heading %q", h)
			}

			// Keyboard: the first Tab reaches the skip link.
			chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab))
			focused, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.activeElement.textContent`))
			if !strings.Contains(focused, "Skip to content") {
				t.Errorf("first Tab focuses %q, want the skip link", focused)
			}

			// Tab on, so the skip link folds away again.
			chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab))

			if size.name == "phone" {
				// The navigation is folded away until the menu button opens it.
				navVisible, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`getComputedStyle(document.getElementById("nav")).display !== "none"`))
				if navVisible {
					t.Error("navigation visible on a phone before opening the menu")
				}
				err = chromedp.Do(ctx,
					chromedp.Click(chromedp.CSS("[data-menu-toggle]")),
					chromedp.WaitVisible(chromedp.CSS(`#nav a[href="/deals"]`)),
					chromedp.Click(chromedp.CSS(`#nav a[href="/deals"]`)),
					chromedp.WaitVisible(chromedp.CSS(`.board`)),
				)
				if err != nil {
					t.Fatalf("phone menu: %v", err)
				}
				if h := text(ctx, t, "h1"); h != "Deals" {
					t.Errorf("after choosing Deals in the menu the heading is %q", h)
				}
				overflow, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth`))
				if overflow {
					t.Error("the page is wider than a 375 px screen")
				}
			} else {
				err = chromedp.Do(ctx,
					chromedp.Click(chromedp.CSS(`#nav a[href="/contacts"]`)),
					chromedp.WaitVisible(chromedp.CSS(`#nav a[aria-current="page"]`)),
				)
				if err != nil {
					t.Fatal(err)
				}
				if cur := text(ctx, t, `#nav a[aria-current="page"]`); !strings.Contains(cur, "Contacts") {
					t.Errorf("current nav item %q", cur)
				}
			}

			// Sign out through the account menu, then sign back in.
			err = chromedp.Do(ctx,
				chromedp.Click(chromedp.CSS(".user-menu summary")),
				chromedp.WaitVisible(chromedp.CSS(`.user-menu form button`)),
				chromedp.Click(chromedp.CSS(`.user-menu form button`)),
				chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)),
				chromedp.SendKeys(chromedp.CSS("#email"), "olga@example.com"),
				chromedp.SendKeys(chromedp.CSS("#password"), "wrong password"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`.form-summary`)),
			)
			if err != nil {
				t.Fatalf("sign out and fail to sign in: %v", err)
			}
			if msg := text(ctx, t, ".form-summary"); msg != "Email or password is incorrect." {
				t.Errorf("wrong password message %q", msg)
			}
			err = chromedp.Do(ctx,
				chromedp.SendKeys(chromedp.CSS("#password"), "a long enough secret"),
				chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS(`.user-menu`)),
			)
			if err != nil {
				t.Fatalf("sign in: %v", err)
			}
			if h := text(ctx, t, "h1"); !strings.Contains(h, "Good to see you") {
				t.Errorf("after sign-in the heading is %q", h)
			}
			htmxLoaded, _ := chromedp.Run(ctx, chromedp.Evaluate[bool](`typeof htmx === "object"`))
			if !htmxLoaded {
				t.Error("htmx did not load (CSP or path problem)")
			}
		})
	}
}
