package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/app"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/demo"
)

// The acceptance test of issue 4: a new owner sets Rapport up and works with
// contacts only through the pages, with clicks and keys, on a desktop and
// on a 375 px phone, each on a fresh `rapport serve`.
func TestBrowserContactsWalkthrough(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
	}{{"desktop", 1280, 800}, {"phone", 375, 740}} {
		t.Run(size.name, func(t *testing.T) {
			s := startServer(t, "--db", dbFlag(dbtest.Source(t, db.SQLite)))
			w := &walker{t: t, ctx: browser(t, size.width, size.height), phone: size.width < 400}

			// A fresh Rapport opens on setup; the owner account is the first thing.
			w.do("open Rapport", chromedp.Navigate(s.URL))
			w.until("the setup page", `location.pathname === "/setup"`)
			w.do("create the owner",
				walkType("#name", "Olga Owner"),
				walkType("#email", "olga@example.com"),
				walkType("#password", "a long enough secret"),
				walkClick(`button[type="submit"]`))
			w.until("signed in", `!!document.querySelector(".user-menu")`)

			// Settings → Custom fields: a filterable select "Plan".
			w.menu("/settings")
			w.click("Custom fields", `a[href="/settings/fields"]`, `location.pathname === "/settings/fields"`)
			w.click("Add a contact field", `a[href="/settings/fields/new?object=contact"]`, `!!document.querySelector("form[data-field-form]")`)
			w.do("describe the field",
				walkType("#label", "Plan"),
				walkType("#type", "Select"),
				chromedp.WaitVisible(walkCSS("#options")),
				walkType("#options", "Free"+kb.Enter+"Pro"),
				walkClick(`input[name="filterable"]`))
			if key := w.value("#key"); key != "plan" {
				t.Errorf("the key filled in from the label is %q, want plan", key)
			}
			w.click("Add field", `form[data-field-form] button[type="submit"]`, `location.pathname === "/settings/fields"`)
			w.flash("Field “Plan” added to contacts.")
			w.sees("#contact-fields .field-item", "Plan", "filterable", "Free, Pro")

			// A company, then people at it.
			w.menu("/companies")
			w.click("New company", `a[href="/companies/new"]`, `!!document.querySelector("#domain")`)
			w.do("describe Acme", walkType("#name", "Acme Ltd"), walkType("#domain", "https://acme.example/"))
			w.click("Create company", `form.record-form button[type="submit"]`, `/^\/companies\/[0-9a-f-]{36}$/.test(location.pathname)`)
			w.flash("Company created.")
			acme := walkEval[string](w, `location.pathname.split("/")[2]`)
			w.sees(".record-facts", "Web acme.example")

			ada := w.newContact(walkPerson{"Ada", "Lovelace", "ada@acme.example", "+44 20 7946 0958", "Mathematician", "Pro"})
			w.sees(".record-facts", "ada@acme.example", "+44 20 7946 0958")
			if plan := walkEval[string](w, `[...document.querySelectorAll(".record-side dt")].find(d => d.textContent === "Plan").nextElementSibling.textContent`); plan != "Pro" {
				t.Errorf("Ada's Plan reads %q, want Pro", plan)
			}

			// A pinned note shows in the banner at the top of the page.
			w.do("write a pinned note",
				walkType("#note-body", "Prefers **email** to calls"),
				walkClick(`#log-note input[name="pinned"]`),
				walkClick(`#log-note button[type="submit"]`))
			w.until("the note in the pinned banner", `document.querySelector("#pinned .pinned-note").textContent.includes("Prefers email to calls")`)
			if !walkEval[bool](w, `document.getElementById("pinned").getBoundingClientRect().top < document.getElementById("timeline").getBoundingClientRect().top`) {
				t.Error("the pinned banner is not above the timeline")
			}

			// A call goes to the top of the timeline.
			w.do("log a call",
				walkClick("#log-tab-call"),
				chromedp.WaitVisible(walkCSS("#call-outcome")),
				walkType("#call-outcome", "connected"),
				walkType("#call-duration", "12"),
				walkType("#call-body", "Agreed to a trial"))
			if v := w.value("#call-outcome"); v != "connected" {
				t.Fatalf("typing in the outcome chose %q", v)
			}
			w.do("save the call", walkClick(`#log-call button[type="submit"]`))
			w.until("the call at the top of the timeline", `document.querySelector("#timeline-list > li.entry").matches(".entry-call") && document.querySelector("#timeline-list > li.entry").textContent.includes("connected · 12 minutes")`)

			script := `<script>alert("owned")</script>`
			grace := w.newContact(walkPerson{"Grace", "Hopper", "grace@acme.example", "", script, "Free"})
			if got := w.text(".record-sub"); got != script+" at Acme Ltd" {
				t.Errorf("a <script> job title reads %q, want it as typed", got)
			}
			if n := walkEval[int](w, `document.querySelectorAll("main script").length`); n != 0 {
				t.Errorf("the job title made %d script elements", n)
			}

			dup := w.newContact(walkPerson{"Ada", "Lovelace", "lovelace@analytical.example", "", "Countess of Lovelace", "Pro"})
			w.do("a note on the duplicate", walkType("#note-body", "Met at the Babbage lecture"), walkClick(`#log-note button[type="submit"]`))
			w.until("the duplicate's note", `document.querySelector("#timeline-list > li.entry-note").textContent.includes("Met at the Babbage lecture")`)

			// Ctrl+K finds Grace from anywhere; ↓ and Enter open her page.
			w.do("Ctrl+K", chromedp.KeyEvent("k", chromedp.KeyModifiers(chromedp.ModifierCtrl)), chromedp.WaitVisible(walkCSS("#palette-input")), chromedp.KeyEvent("grac"))
			w.until("Grace found", `document.getElementById("palette-listbox").getAttribute("aria-label") === "Results for grac" && document.querySelectorAll("#palette-results [role=option]").length === 1 && document.getElementById("palette-option-0").textContent.includes("Grace Hopper")`)
			w.do("↓ and Enter", chromedp.KeyEvent(kb.ArrowDown), chromedp.KeyEvent(kb.Enter))
			w.until("Grace's page", `location.pathname === "/contacts/`+grace+`" && document.querySelector("h1").textContent === "Grace Hopper"`)

			if w.phone {
				// "/" opens the palette too; ↓ moves to the company among the hits.
				w.do("/", walkClick("h1"), chromedp.KeyEvent("/"), chromedp.WaitVisible(walkCSS("#palette-input")),
					// A synthetic "/" also arrives as a character a real keyboard's cancelled keydown would not type.
					chromedp.KeyEvent(kb.Backspace), chromedp.KeyEvent("acme"))
				w.until("hits for acme", `document.getElementById("palette-listbox").getAttribute("aria-label") === "Results for acme" && !!document.querySelector('#palette-results a[role=option][href^="/companies/"]')`)
				for range 6 {
					if walkEval[bool](w, `document.querySelector('[role=option][aria-selected=true]').getAttribute("href") === "/companies/`+acme+`"`) {
						break
					}
					w.do("↓", chromedp.KeyEvent(kb.ArrowDown))
				}
				w.do("Enter", chromedp.KeyEvent(kb.Enter))
				w.until("Acme's page", `location.pathname === "/companies/`+acme+`"`)
				w.sees(".people-list", "Ada Lovelace", "Grace Hopper")
			}

			// Filter the list to Plan is Pro with the builder, and save it as a view.
			w.menu("/contacts")
			w.until("three contacts", `document.querySelectorAll(".list-name").length === 3 && document.getElementById("list-count").textContent === "3 contacts"`)
			w.do("add a condition", walkClick(".list-filter > summary"), walkClick(`button[value="add:filter"]`))
			w.until("a condition", `!!document.querySelector('select[name="filter.conditions[0].field"]')`)
			w.pick(`select[name="filter.conditions[0].field"]`, "Plan")
			w.until("Plan's options", `!!document.querySelector('select[name="filter.conditions[0].value"] option[value="Pro"]')`)
			if op := w.text(`select[name="filter.conditions[0].op"] option:checked`); op != "is" {
				t.Errorf("the comparison offered first is %q, want is", op)
			}
			w.do("choose Pro", walkType(`select[name="filter.conditions[0].value"]`, "Pro"))
			w.do("apply the filter", walkClick(`.fb-actions button[value="apply"]`))
			onlyAdas := `location.search.includes("filter") && [...document.querySelectorAll(".list-name")].map(a => a.textContent).join() === "Ada Lovelace,Ada Lovelace" && document.getElementById("list-count").textContent === "2 contacts"`
			w.until("only the Adas", onlyAdas)
			w.do("save the view", walkClick(".list-views > summary"), walkType("#view-name", "Pro customers"),
				walkClick(`.lv-save button[type="submit"]:not([name])`))
			w.until("the saved view", `document.querySelector("h1").textContent.includes("Pro customers")`)
			w.flash("Saved the view “Pro customers”.")
			w.until("still only the Adas", onlyAdas)

			w.do("reload /contacts", chromedp.Navigate(s.URL+"/contacts"))
			w.until("all contacts again", `document.querySelectorAll(".list-name").length === 3`)
			w.do("open the view", walkClick(".list-views > summary"), chromedp.Click(`//ul[@class="lv-list"]//a[.="Pro customers"]`))
			w.until("the view's filter", onlyAdas+` && document.querySelector(".list-views > summary").textContent.includes("Pro customers")`)
			if f, v := w.value(`select[name="filter.conditions[0].field"]`), w.value(`select[name="filter.conditions[0].value"]`); f != "cf.plan" || v != "Pro" {
				t.Errorf("the view's filter builder holds %q = %q, want cf.plan = Pro", f, v)
			}
			if n := w.text(".list-filter > summary .badge"); n != "1" {
				t.Errorf("the filter badge reads %q, want 1", n)
			}

			// The two Adas at Acme are a duplicate pair; merge them into the first.
			w.do("duplicates", chromedp.Navigate(s.URL+"/contacts/duplicates"))
			w.until("the pair", `document.querySelectorAll(".dup-group").length === 1 && [...document.querySelectorAll(".dup-record h2")].map(h => h.textContent).join() === "Ada Lovelace,Ada Lovelace"`)
			w.click("Merge…", ".dup-merge", `!!document.querySelector(".merge-table")`)
			w.do("choose", walkClick(`input[name="survivor"][value="`+ada+`"]`),
				walkClick(`input[name="choice.job_title"][value="`+dup+`"]`))
			w.click("merge", ".merge-submit", `location.pathname === "/contacts/`+ada+`"`)
			w.flash("Merged 2 contacts into Ada Lovelace.")
			if got := w.text(".record-sub"); got != "Countess of Lovelace at Acme Ltd" {
				t.Errorf("after the merge the job title line reads %q, want the duplicate's title", got)
			}
			w.sees(".record-side .facts", "ada@acme.example", "lovelace@analytical.example")
			w.sees("#timeline-list", "Met at the Babbage lecture", "connected · 12 minutes")
			w.sees("#pinned", "Prefers email to calls")
			w.do("the merged contact", chromedp.Navigate(s.URL+"/contacts/"+dup))
			w.until("not found", `document.querySelector("h1").textContent === "Page not found" && document.querySelector(".status-code").textContent === "404"`)
		})
	}
}

// The acceptance test of issue 5: `rapport serve --demo` on an empty
// database gives a filled Rapport to sign in to and look around.
func TestBrowserServeDemo(t *testing.T) {
	s, out := startDemoServer(t, "--demo", "--db", dbFlag(dbtest.Source(t, db.SQLite)))
	w := &walker{t: t, ctx: browser(t, 1280, 800)}
	_, signIn, ok := strings.Cut(out, "Sign in as ")
	email, password, _ := strings.Cut(strings.TrimSpace(signIn), " with the password ")
	if !ok || email != demo.OwnerEmail || password != demo.OwnerPassword || !strings.Contains(out, "Created 2000 contacts") {
		t.Fatalf("serve --demo printed %q; want the data created and the sign-in %s / %s", out, demo.OwnerEmail, demo.OwnerPassword)
	}

	w.do("open Rapport", chromedp.Navigate(s.URL))
	w.until("the sign-in page", `location.pathname === "/login"`)
	w.do("sign in", walkType("#email", email), walkType("#password", password),
		walkClick(`button[type="submit"]`))
	w.until("signed in", `!!document.querySelector(".user-menu")`)

	w.menu("/contacts")
	w.until("a full first page", `document.querySelectorAll(".list-table tbody tr").length === 50 && document.getElementById("list-count").textContent === "2,000 contacts"`)
	if !walkEval[bool](w, `!!document.querySelector('.list-pager a[rel="next"]')`) {
		t.Error("no link to the next page of 2,000 contacts")
	}
	companies := walkEval[[]string](w, `[...new Set([...document.querySelectorAll('.list-table tbody a[href^="/companies/"]')].map(a => a.getAttribute("href")))].slice(0, 5)`)

	// The first contact's page has a history of activities.
	name := w.text(".list-name")
	w.click("the first contact", ".list-name", `location.pathname.startsWith("/contacts/") && document.querySelector("h1").textContent === `+walkJS(name))
	kinds := walkEval[[]string](w, `[...document.querySelectorAll("#timeline-list > li.entry-activity .entry-kind")].map(k => k.textContent)`)
	if len(kinds) == 0 {
		t.Fatalf("%s has no activities on the timeline", name)
	}
	for _, k := range kinds {
		if k != "Note" && k != "Call" && k != "Meeting" && k != "Email" {
			t.Errorf("timeline entry of kind %q, want notes, calls, meetings and emails", k)
		}
	}
	w.olderEntries(name)

	// Demo contacts have less than a page each; their companies gather
	// every contact's history, so some have older entries to scroll to.
	scrolled := false
	for _, c := range companies {
		w.do("back to the list", chromedp.NavigateBack())
		w.until("the list", `document.querySelectorAll(".list-table tbody tr").length === 50`)
		w.click("a company", `.list-table tbody a[href="`+c+`"]`, `location.pathname === `+walkJS(c)+` && !!document.getElementById("timeline-list")`)
		if scrolled = w.olderEntries(w.text("h1")); scrolled {
			break
		}
	}
	if !scrolled {
		t.Errorf("none of the companies %v has more than a page of timeline to scroll to", companies)
	}
}

// walker drives one browser tab through a walkthrough; a failing step
// fails the test with the step's name and the page it was on.
type walker struct {
	t     *testing.T
	ctx   context.Context
	phone bool
}

type walkCSS = chromedp.CSS

func walkType(sel, keys string) chromedp.Action[chromedp.Void] {
	return chromedp.SendKeys(walkCSS(sel), keys)
}
func walkClick(sel string) chromedp.Action[chromedp.Void] { return chromedp.Click(walkCSS(sel)) }

func walkJS(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func walkEval[T any](w *walker, expr string) T {
	w.t.Helper()
	v, err := chromedp.Run(w.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		w.t.Fatalf("evaluate %s: %v (at %s)", expr, err, w.where())
	}
	return v
}

func (w *walker) where() string {
	u, _ := chromedp.Run(w.ctx, chromedp.Location())
	return u
}

func (w *walker) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	w.t.Helper()
	if err := chromedp.Do(w.ctx, actions...); err != nil {
		w.t.Fatalf("%s: %v (at %s)", step, err, w.where())
	}
}

// until waits up to 10 s, across page loads, for a JavaScript condition to
// hold on a loaded page with htmx at rest (a condition that throws is
// false); then, on a phone, the page must not scroll sideways.
func (w *walker) until(step, cond string) {
	w.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := chromedp.Run(w.ctx, chromedp.Evaluate[bool](`document.readyState === "complete" && !document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling") && !!(`+cond+`)`))
		if err == nil && ok {
			w.fits(step)
			return
		}
		if time.Now().After(deadline) || w.ctx.Err() != nil {
			w.t.Fatalf("%s: still not so after 10 s: %s (at %s; %v)", step, cond, w.where(), err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// click clicks the element and waits for what it leads to.
func (w *walker) click(step, sel, then string) {
	w.t.Helper()
	w.do(step, walkClick(sel))
	w.until(step, then)
}

func (w *walker) text(sel string) string {
	w.t.Helper()
	return strings.TrimSpace(walkEval[string](w, `document.querySelector(`+walkJS(sel)+`).textContent`))
}

func (w *walker) value(sel string) string {
	w.t.Helper()
	return walkEval[string](w, `document.querySelector(`+walkJS(sel)+`).value`)
}

// sees fails the test unless the element's text holds every one of want.
func (w *walker) sees(sel string, want ...string) {
	w.t.Helper()
	got := w.text(sel)
	for _, s := range want {
		if !strings.Contains(got, s) {
			w.t.Errorf("%s reads %q, want %q in it", sel, got, s)
		}
	}
}

func (w *walker) flash(want string) {
	w.t.Helper()
	if got := w.text(".flash"); got != want {
		w.t.Errorf("the message reads %q, want %q", got, want)
	}
}

// pick chooses the option with the label in a select, as choosing from its
// open list does (headless Chromium cannot show that list to click in).
func (w *walker) pick(sel, label string) {
	w.t.Helper()
	if !walkEval[bool](w, `(function (s, o) {
		if (!o) return false;
		s.focus(), s.value = o.value, s.dispatchEvent(new Event("input", {bubbles: true})), s.dispatchEvent(new Event("change", {bubbles: true}));
		return true;
	})(document.querySelector(`+walkJS(sel)+`), [...document.querySelector(`+walkJS(sel)+`).options].find(o => o.textContent.trim() === `+walkJS(label)+`))`) {
		w.t.Fatalf("%s offers no option %q (at %s)", sel, label, w.where())
	}
}

// menu follows a link of the main navigation, opening the menu on a phone.
func (w *walker) menu(path string) {
	w.t.Helper()
	link := walkCSS(`#nav a[href="` + path + `"]`)
	if w.phone {
		w.do("open the menu", walkClick("[data-menu-toggle]"), chromedp.WaitVisible(link))
	}
	w.do("go to "+path, chromedp.Click(link))
	w.until("go to "+path, `location.pathname === `+walkJS(path))
}

func (w *walker) fits(step string) {
	w.t.Helper()
	if w.phone && !walkEval[bool](w, `document.documentElement.scrollWidth <= window.innerWidth`) {
		w.t.Errorf("%s: the page is %d px wide on a %d px screen", step, walkEval[int](w, `document.documentElement.scrollWidth`), walkEval[int](w, `window.innerWidth`))
	}
}

type walkPerson struct{ first, last, email, phone, title, plan string }

// newContact fills the new contact form from the contact list, picking
// Acme Ltd from the company suggestions, and returns the new contact's id.
func (w *walker) newContact(p walkPerson) string {
	w.t.Helper()
	w.menu("/contacts")
	w.click("New contact", `a[href="/contacts/new"]`, `!!document.querySelector("#first_name")`)
	steps := []chromedp.Action[chromedp.Void]{
		walkType("#first_name", p.first),
		walkType("#last_name", p.last),
		walkType("#email-0", p.email),
		walkType("#job_title", p.title),
		walkType("#company-0", "Acm"),
		chromedp.WaitVisible(walkCSS(`.suggestion[data-company-name="Acme Ltd"]`)),
		walkClick(`.suggestion[data-company-name="Acme Ltd"]`),
		walkType("#custom-plan", p.plan),
	}
	if p.phone != "" {
		steps = append(steps, walkType("#phone-0", p.phone))
	}
	w.do("fill in "+p.first+" "+p.last, steps...)
	if v, id := w.value("#custom-plan"), w.value("[data-company-id]"); v != p.plan || len(id) != 36 {
		w.t.Fatalf("typing %q in Plan chose %q; picking Acme set the company id %q", p.plan, v, id)
	}
	w.click("Create contact", `form.record-form button[type="submit"]`, `/^\/contacts\/[0-9a-f-]{36}$/.test(location.pathname)`)
	w.flash("Contact created.")
	if got := w.text("h1"); got != p.first+" "+p.last {
		w.t.Errorf("the new contact's heading is %q", got)
	}
	return walkEval[string](w, `location.pathname.split("/")[2]`)
}

// olderEntries scrolls down a timeline until it has loaded everything and
// checks the order; it reports whether there was more than the first page.
func (w *walker) olderEntries(record string) bool {
	w.t.Helper()
	entries := `document.querySelectorAll("#timeline-list > li.entry").length`
	first := walkEval[int](w, entries)
	n := first
	for ; walkEval[bool](w, `!!document.querySelector(".timeline-more")`); n = walkEval[int](w, entries) {
		w.do("scroll down the timeline of "+record, chromedp.ScrollIntoView(walkCSS(".timeline-more")))
		w.until("older entries of "+record, entries+" > "+walkJS(n))
	}
	ordered := walkEval[bool](w, `(function () {
		var ts = [...document.querySelectorAll("#timeline-list > li.entry > .entry-head time")].map(t => Date.parse(t.getAttribute("datetime")));
		return new Set([...document.querySelectorAll("#timeline-list > li.entry")].map(e => e.id)).size === ts.length && ts.every((t, i) => i === 0 || ts[i-1] >= t);
	})()`)
	if !ordered || !walkEval[bool](w, `!!document.querySelector(".timeline-end")`) {
		w.t.Errorf("the timeline of %s is out of order, repeats entries or has no end after scrolling", record)
	}
	return n > first
}

// startDemoServer runs `rapport serve` like startServer, for a command that
// prints more (the demo data and its sign-in) before the address.
func startDemoServer(t *testing.T, args ...string) (*server, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var code int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = app.Main(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "json"}, args...), app.Env{
			Stdin: strings.NewReader(""), Stdout: pw, Stderr: io.Discard,
			Getenv: func(string) string { return "" },
		})
		pw.Close()
	}()
	r := bufio.NewReader(pr)
	var out strings.Builder
	for {
		line, err := r.ReadString('\n')
		if u, ok := strings.CutPrefix(line, "Rapport is running at "); ok {
			go io.Copy(io.Discard, r)
			s := &server{URL: strings.TrimSpace(u)}
			var once sync.Once
			s.stop = func() int {
				once.Do(func() { cancel(); wg.Wait() })
				return code
			}
			t.Cleanup(func() { s.stop() })
			return s, out.String()
		}
		out.WriteString(line)
		if err != nil {
			cancel()
			wg.Wait()
			t.Fatalf("serve printed %q (%v), exit %d", out.String(), err, code)
		}
	}
}
