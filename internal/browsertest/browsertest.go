// Package browsertest starts the headless Chromium that browser tests drive
// (Debian's /usr/bin/chromium, or RAPPORT_TEST_CHROMIUM). Without one a
// test is skipped, except under CI=true, where that is a failure.
package browsertest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Timeout bounds every test's browser steps, so a broken page fails
// instead of hanging. It covers a whole walk through several pages, and
// CI runs it under -race beside other packages on two cores, where the
// longest walks (a record page's tabs, an order from the contact page)
// took just over a minute.
const Timeout = 3 * time.Minute

// New starts Chromium with a width × height viewport and returns a context
// to run steps in; everything is stopped when the test ends.
func New(t testing.TB, width, height int) context.Context {
	t.Helper()
	path := os.Getenv("RAPPORT_TEST_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium not found at %s; browser tests must run in CI", path)
		}
		t.Skipf("Chromium not found at %s", path)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(width, height),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	// The viewport is emulated: a headless window cannot be made narrower
	// than Chromium's minimum, a phone's 375 px is.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(int64(width), int64(height))); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, Timeout)
	t.Cleanup(cancel)
	return tctx
}

// Eval evaluates a JavaScript expression in the page, failing the test
// when it cannot.
func Eval[T any](ctx context.Context, t testing.TB, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// settledJS is true once the page has loaded, every panel that loads itself
// after the page (hx-trigger="load") has been swapped in and htmx has no
// request, swap or settle under way.
const settledJS = `document.readyState === "complete" &&
	!document.querySelector('[hx-trigger="load"], .htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')`

// Settled waits until the page stops changing under the pointer: a record
// page loads its side panels after the page, and a click aimed before they
// arrive lands where the layout was, not where it is.
func Settled() chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](settledJS, chromedp.WithPollingTimeout(time.Minute))
}
