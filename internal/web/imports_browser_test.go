package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
)

// impUntil waits for a JavaScript condition, across page loads, failing
// the test with what after 15 s.
func impUntil(ctx context.Context, t *testing.T, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") && (`+cond+`)`))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			loc, _ := chromedp.Run(ctx, chromedp.Location())
			body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("main") ? document.getElementById("main").innerText : ""`))
			t.Fatalf("%s: still not so after 15 s (at %s; last error %v)\n%s", what, loc, err, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A new user imports a Google Contacts export: from the contact list to
// the upload, sees the guessed mapping, runs the import, watches the
// progress bar (polled by htmx) reach the end, reads the counts and
// downloads the rejected row — at desktop and phone widths.
func TestBrowserImportWizard(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 900}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			// The queue starts once the progress bar is on screen, so the
			// page is seen waiting, then polling its way to the end.
			e := newImpEnv(t, d, impOptions{idle: true, batch: 1})
			ctx := browsertest.New(t, size.width, size.height)
			file := filepath.Join(t.TempDir(), "google.csv")
			// A column no field takes, which the user makes a new custom field.
			body := strings.Replace(impGoogle, "Organization Title\r\n", "Organization Title,Tier\r\n", 1)
			body = strings.Replace(body, "Countess\r\n", "Countess,Gold\r\n", 1)
			if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			downloads := t.TempDir()
			type css = chromedp.CSS
			if _, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads}); err != nil {
				t.Fatalf("allow downloads: %v", err)
			}
			recRun(ctx, t, "sign in",
				chromedp.Navigate(e.srv.URL+"/login"),
				chromedp.SendKeys(css("#email"), "olga@example.com"),
				chromedp.SendKeys(css("#password"), "a long enough secret"),
				chromedp.Submit(css("#password")))
			impUntil(ctx, t, "signed in", `location.pathname === "/"`)
			wide := func(step string) {
				t.Helper()
				if w := recEval[int](ctx, t, `document.documentElement.scrollWidth`); w > size.width {
					recShot(ctx, t, "import-"+size.name+"-too-wide")
					t.Errorf("%s: the page is %d px wide in a %d px window", step, w, size.width)
				}
			}

			recRun(ctx, t, "open the upload from the contact list",
				chromedp.Navigate(e.srv.URL+"/contacts"),
				chromedp.Click(css(".list-tools a.list-import")))
			impUntil(ctx, t, "the upload form", `location.pathname === "/imports/new" && !!document.getElementById("file")`)
			wide("upload")
			recShot(ctx, t, "import-"+size.name+"-upload")
			// An empty file first: the message appears in place, beside the field.
			empty := filepath.Join(t.TempDir(), "empty.csv")
			if err := os.WriteFile(empty, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			recRun(ctx, t, "upload an empty file", chromedp.SetUploadFiles(css("#file"), []string{empty}), chromedp.Click(css("[data-upload-submit]")))
			impUntil(ctx, t, "the message about the empty file", `location.pathname === "/imports/new" && (document.getElementById("file-error")||{}).textContent === "The file is empty." && document.activeElement.id === "file-error"`)
			recRun(ctx, t, "upload", chromedp.SetUploadFiles(css("#file"), []string{file}), chromedp.Click(css("[data-upload-submit]")))
			impUntil(ctx, t, "the mapping step", `/^\/imports\/[0-9a-f-]{36}$/.test(location.pathname) && !!document.getElementById("mapping[2]")`)
			for sel, want := range map[string]string{"mapping[0]": "first_name", "mapping[2]": "email", "mapping[4]": "company",
				"encoding": "utf-8", "delimiter": "comma"} {
				if got := recEval[string](ctx, t, `document.getElementById("`+sel+`").value`); got != want {
					t.Errorf("%s = %q, want %q", sel, got, want)
				}
			}
			if got := recEval[string](ctx, t, `document.getElementById("mapping[6]").value`); got != "" {
				t.Errorf("the Tier column is mapped to %q, want left out", got)
			}
			if got := recEval[string](ctx, t, `document.querySelector('#mapping\\[6\\] option[value="new"]').textContent`); got != "New custom field “Tier”" {
				t.Errorf("the new-field choice reads %q", got)
			}
			recRun(ctx, t, "make Tier a new custom field", chromedp.SetValue(css(`select[name="mapping[6]"]`), "new"))
			wide("mapping")
			recShot(ctx, t, "import-"+size.name+"-mapping")

			recRun(ctx, t, "run", chromedp.Click(css(`button[name="action"][value="run"]`)))
			impUntil(ctx, t, "the progress bar", `!!document.getElementById("import-bar") && !!document.querySelector("#import-live[hx-trigger]") && document.getElementById("import-status").textContent.includes("Waiting to start")`)
			if v := recEval[string](ctx, t, `document.getElementById("import-status").getAttribute("aria-live")`); v != "polite" {
				t.Errorf("the progress text is aria-live %q, want polite", v)
			}
			wide("progress")
			recShot(ctx, t, "import-"+size.name+"-progress")
			impStart(t, e.queue)
			impUntil(ctx, t, "the import done", `document.getElementById("import-bar").value === 100 && !document.querySelector("#import-live[hx-trigger]") && document.querySelector(".import-result h2").textContent.trim() === "Imported"`)
			counts := recEval[string](ctx, t, `document.getElementById("import-counts").innerText`)
			for _, want := range []string{"Created\n3", "Skipped\n1", "Rejected\n1"} {
				if !strings.Contains(counts, want) {
					t.Errorf("counts %q lack %q", counts, want)
				}
			}
			wide("result")
			recShot(ctx, t, "import-"+size.name+"-result")
			var custom string
			if err := d.R.QueryRowContext(t.Context(), `SELECT c.custom FROM contacts c JOIN custom_fields f ON f.key = 'tier'
				WHERE c.display_name = 'Ada Lovelace'`).Scan(&custom); err != nil || !strings.Contains(custom, `"tier":"Gold"`) {
				t.Errorf("Ada's custom values = %q, %v; want the new Tier field set to Gold", custom, err)
			}

			recRun(ctx, t, "download the rejected rows", chromedp.Click(css("[data-import-rejected]")))
			var report []byte
			deadline := time.Now().Add(10 * time.Second)
			for {
				b, err := os.ReadFile(filepath.Join(downloads, "google-rejected.csv"))
				if err == nil && len(b) > 0 {
					report = b
					break
				}
				if time.Now().After(deadline) {
					entries, _ := os.ReadDir(downloads)
					t.Fatalf("no report downloaded after 10 s (folder holds %v)", entries)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if s := string(report); !strings.Contains(s, "line,reason") || !strings.Contains(s, "not-an-email") {
				t.Errorf("report = %q", s)
			}
		})
	}
}
