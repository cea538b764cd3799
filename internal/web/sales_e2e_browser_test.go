package web_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/config"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/deal"
	"github.com/rapportcrm/rapport/internal/order"
	"github.com/rapportcrm/rapport/internal/user"
	"github.com/rapportcrm/rapport/internal/view"
	"github.com/rapportcrm/rapport/internal/web"
)

// salesSite serves the web app with the sales services wired as the
// application wires them: a won deal places its order (deals.OnWon).
func salesSite(t *testing.T, d *db.DB) *httptest.Server {
	t.Helper()
	cfg := config.Default()
	cfg.BaseURL = "http://127.0.0.1:8080"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	users := user.NewService(d)
	contacts := contact.NewService(d, users)
	companies := company.NewService(d, users)
	deals := deal.NewService(d, users, contacts, companies)
	orders := order.NewService(d, users)
	deals.OnWon = orders.PlaceForWonDeal
	s, err := web.New(web.Options{Config: cfg, DB: d, Users: users, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Contacts: contacts, Companies: companies, Activities: activity.NewService(d, contacts, companies),
		Fields: customfield.NewService(d), Views: view.NewService(d), Deals: deals, Orders: orders})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	return srv
}

// The whole sales flow of a new user, through the UI only: sign up,
// create a pipeline, a contact and a product, add a deal for the contact
// from the contact's page, move it across two stages on the board (a
// mouse drag at desktop width, the card's Move menu with the keyboard on a
// phone), put the product on the deal, mark it won, find the order on the
// deal, on the contact's timeline and in the contact's orders panel, then
// add a task on the deal and complete it from "My tasks". No page scrolls
// sideways at either width.
func TestBrowserSalesFlow(t *testing.T) {
	for _, size := range []struct {
		name          string
		width, height int
		drag          bool
	}{{"desktop", 1280, 900, true}, {"phone", 375, 740, false}} {
		t.Run(size.name, func(t *testing.T) {
			d := dbtest.Open(t, db.SQLite)
			srv := salesSite(t, d)
			ctx := recBrowser(t, size.width, size.height)
			u := srv.URL
			fits := func(page string) {
				t.Helper()
				if !recEval[bool](ctx, t, `document.documentElement.scrollWidth <= window.innerWidth`) {
					t.Errorf("%s scrolls sideways at %d px: %s", page, size.width, recEval[string](ctx, t,
						`Array.from(document.querySelectorAll("body *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 6).map(e => e.tagName + "." + e.className + ":" + Math.round(e.getBoundingClientRect().right)).join(" ")`))
				}
			}
			recSetUp(ctx, t, u, "Olga Owner", "olga@example.com")

			recRun(ctx, t, "create a pipeline in Settings",
				chromedp.Navigate(u+"/settings/pipelines"),
				chromedp.SendKeys(chromedp.ID("pipeline-name"), "Enterprise"),
				chromedp.SetValue(chromedp.ID("pipeline-stages"), "Discovery, 10\nDemo, 40\nProposal, 70"),
				chromedp.Click(chromedp.CSS(`.pipeline-new button[type="submit"]`)),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Pipeline Enterprise created.")]`),
			)
			fits("Settings → Pipelines")

			recRun(ctx, t, "create a contact",
				chromedp.Navigate(u+"/contacts/new"),
				chromedp.SendKeys(chromedp.ID("first_name"), "Grace"),
				chromedp.SendKeys(chromedp.ID("last_name"), "Hopper"),
				chromedp.Click(`//button[contains(., "Create contact")]`),
				chromedp.WaitVisible(`//h1[@id="record-name"][contains(., "Grace Hopper")]`),
			)
			contactURL := recEval[string](ctx, t, `location.pathname`)

			recRun(ctx, t, "add a product in Settings → Products",
				chromedp.Navigate(u+"/settings/products"),
				chromedp.WaitVisible(`//h2[contains(., "No products yet")]`),
				chromedp.Click(`//a[contains(., "Add the first product")]`),
				chromedp.WaitVisible(chromedp.ID("price")),
				chromedp.SendKeys(chromedp.ID("name"), "Support plan"),
				chromedp.SendKeys(chromedp.ID("price"), "1,200"),
				chromedp.Click(`//button[contains(., "Add product")]`),
				chromedp.WaitVisible(`//*[contains(@class,"flash")][contains(., "Product Support plan added.")]`),
			)
			fits("Settings → Products")

			recRun(ctx, t, "add a deal from the contact's page",
				chromedp.Navigate(u+contactURL),
				chromedp.WaitVisible(`//section[contains(@class,"record-deals")]//a[.="New deal"]`),
				browsertest.Settled(),
				chromedp.Click(`//section[contains(@class,"record-deals")]//a[.="New deal"]`),
				chromedp.WaitVisible(chromedp.ID("stage_id")),
				chromedp.WaitVisible(`//ul[@data-contact-list]//span[.="Grace Hopper"]`),
			)
			stage := func(name string) string {
				return recEval[string](ctx, t, fmt.Sprintf(`Array.from(document.querySelectorAll("optgroup[label=Enterprise] option")).find(o => o.textContent.startsWith(%q)).value`, name))
			}
			discovery, demo, proposal := stage("Discovery"), stage("Demo"), stage("Proposal")
			recRun(ctx, t, "create the deal",
				chromedp.SendKeys(chromedp.ID("name"), "Hopper support"),
				chromedp.SetValue(chromedp.ID("stage_id"), discovery),
				chromedp.SendKeys(chromedp.ID("amount"), "2,400"),
				chromedp.Click(chromedp.CSS(`form.record-form button[type="submit"]`)),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Deal created.")]`),
				chromedp.WaitVisible(`//section[contains(@class,"people")]//a[.="Grace Hopper"]`),
			)
			dealURL := recEval[string](ctx, t, `location.pathname`)

			recRun(ctx, t, "open the board from the deal",
				chromedp.Click(`//p[@class="crumbs"]/a[.="Deals"]`),
				chromedp.WaitVisible(`//section[contains(@class,"board-col")]//h2[contains(., "Discovery")]`),
				chromedp.WaitVisible(chromedp.CSS(`.board-cards[data-stage-id="`+discovery+`"] .deal-card`)),
				chromedp.WaitVisible(`//ul[contains(@class,"sales-tabs")]//a[@aria-current="page"][.="Board"]`),
			)
			fits("the board")
			recShot(ctx, t, "sales-board-"+size.name)
			card := `.deal-card[data-deal-id]`
			for _, to := range []struct{ id, name string }{{demo, "Demo"}, {proposal, "Proposal"}} {
				if size.drag {
					drag(ctx, t, card+" .deal-card-amount", `.board-cards[data-stage-id="`+to.id+`"]`)
				} else {
					recRun(ctx, t, "open the move menu",
						chromedp.Focus(chromedp.CSS(card+" [data-move-open]")),
						chromedp.KeyEvent(kb.Enter),
						chromedp.WaitVisible(chromedp.CSS("[data-move-menu]")),
					)
					for recEval[string](ctx, t, `document.activeElement.getAttribute("data-move-to") || ""`) != to.id {
						if recEval[string](ctx, t, `document.activeElement.getAttribute("data-move-to") || ""`) == "" {
							t.Fatal("the move menu did not take the focus")
						}
						recRun(ctx, t, "arrow down", chromedp.KeyEvent(kb.ArrowDown))
					}
					recRun(ctx, t, "choose "+to.name, chromedp.KeyEvent(kb.Enter))
				}
				recRun(ctx, t, "the card is in "+to.name,
					chromedp.Poll[chromedp.Void](`document.querySelector('.board-cards[data-stage-id="`+to.id+`"] .deal-card') !== null &&
						document.querySelector('[data-column="`+to.id+`"] [data-col-count]').textContent === "1 deal"`,
						chromedp.WithPollingTimeout(10*time.Second)),
					chromedp.WaitVisible(`//p[@data-board-status][contains(., "moved to `+to.name+`")]`),
				)
			}

			recRun(ctx, t, "put the product on the deal",
				chromedp.Navigate(u+dealURL),
				chromedp.WaitVisible(`//p[@class="record-sub"][contains(., "Open in Proposal")]`),
				chromedp.WaitVisible(chromedp.CSS(`#deal-products select[name="product"]`)),
				browsertest.Settled(),
			)
			product := recEval[string](ctx, t, `Array.from(document.querySelectorAll('#deal-products select[name="product"] option')).find(o => o.textContent.startsWith("Support plan")).value`)
			recRun(ctx, t, "save the products",
				chromedp.SetValue(chromedp.CSS(`#deal-products select[name="product"]`), product),
				chromedp.SetValue(chromedp.CSS(`#deal-products input[name="quantity"]`), "2"),
				chromedp.Click(`//section[@id="deal-products"]//button[.="Save products"]`),
				// The total comes from the server: the products are saved
				// (in place with htmx, or after a plain POST and redirect).
				chromedp.WaitVisible(`//section[@id="deal-products"]//td[@data-deal-products-total][contains(., "2,400.00")]`),
			)
			fits("the deal page")

			recRun(ctx, t, "mark it won",
				chromedp.Click(chromedp.CSS(".deal-won")),
				chromedp.WaitVisible(`//div[contains(@class,"flash")][contains(., "Marked won.")]`),
				chromedp.WaitVisible(`//span[@data-deal-status][.="Won"]`),
			)
			recRun(ctx, t, "the won deal shows its order",
				chromedp.WaitVisible(`//section[@id="deal-products"]//a[@data-deal-order][contains(., "Order #1001")]`),
			)
			recShot(ctx, t, "sales-won-deal-"+size.name)
			fits("the won deal")
			stays := recEval[[]string](ctx, t, `Array.from(document.querySelectorAll(".stage-history .stage-name")).map(e => e.textContent)`)
			if fmt.Sprint(stays) != "[Discovery Demo Proposal]" {
				t.Errorf("stage history %v, want Discovery, Demo, Proposal", stays)
			}

			recRun(ctx, t, "the order on the contact's page",
				chromedp.Navigate(u+contactURL),
				chromedp.WaitVisible(`//section[@id="orders-panel"]//a[.="#1001"]`),
			)
			timeline := recEval[string](ctx, t, `document.getElementById("timeline-list").textContent`)
			if want := "Olga Owner won Hopper support: order #1001 — 2 items, €2,400.00"; !strings.Contains(timeline, want) {
				t.Errorf("the contact's timeline lacks %q: %s", want, timeline)
			}
			if got := recEval[string](ctx, t, `document.querySelector("#orders-panel li").textContent`); !strings.Contains(got, "€2,400.00") {
				t.Errorf("orders panel row %q lacks the total", got)
			}
			fits("the contact page")
			recShot(ctx, t, "sales-contact-"+size.name)

			// The other sales pages: reached through the tabs, Deals stays
			// the current section, and they fit the width.
			recRun(ctx, t, "back to the board", chromedp.Navigate(u+"/deals"), chromedp.WaitVisible(chromedp.CSS(".sales-tabs")))
			for _, tab := range []struct{ name, path, wait string }{
				{"Orders", "/orders", `//a[.="#1001"]`},
				{"Forecast", "/deals/forecast", `//h1[.="Forecast"]`},
				{"Products", "/settings/products", `//td[contains(., "Support plan")]`},
				{"Board", "/deals", `//section[contains(@class,"board-col")]`},
			} {
				recRun(ctx, t, "the "+tab.name+" tab",
					chromedp.Click(`//ul[contains(@class,"sales-tabs")]//a[.="`+tab.name+`"]`),
					chromedp.WaitVisible(`//ul[contains(@class,"sales-tabs")]//a[@aria-current="page"][.="`+tab.name+`"]`),
					chromedp.WaitVisible(tab.wait),
				)
				if got := recEval[string](ctx, t, `location.pathname`); got != tab.path {
					t.Errorf("the %s tab led to %s", tab.name, got)
				}
				if tab.path != "/settings/products" && !recEval[bool](ctx, t, `!!document.querySelector('#nav a[href="/deals"][aria-current="page"]')`) {
					t.Errorf("Deals is not the current section on %s", tab.path)
				}
				fits(tab.path)
			}

			recRun(ctx, t, "add a task on the deal",
				chromedp.Navigate(u+dealURL),
				chromedp.WaitVisible(`//section[@id="tasks-panel"]//a[.="Add a task"]`),
				browsertest.Settled(),
				chromedp.Click(`//section[@id="tasks-panel"]//a[.="Add a task"]`),
				chromedp.WaitVisible(chromedp.ID("task-title")),
				chromedp.WaitVisible(`//p[@id="task-deal-hint"][.="Hopper support"]`),
				chromedp.SendKeys(chromedp.ID("task-title"), "Schedule the kick-off"),
				chromedp.SetValue(chromedp.ID("task-due"), time.Now().Format("2006-01-02")),
				chromedp.Click(chromedp.CSS(`#task-form button[type="submit"]`)),
				chromedp.WaitVisible(`//section[@id="tasks-panel"]//a[.="Schedule the kick-off"]`),
			)
			recRun(ctx, t, "complete it from My tasks",
				chromedp.Navigate(u+"/tasks"),
				chromedp.WaitVisible(`//section[@data-group="today"]//li[.//a[.="Schedule the kick-off"]][.//a[.="Hopper support"]]`),
			)
			fits("My tasks")
			recRun(ctx, t, "one click",
				chromedp.Click(`//li[.//a[.="Schedule the kick-off"]]//button[@data-task-toggle]`),
				chromedp.WaitVisible(`//section[@data-group="done"]//a[.="Schedule the kick-off"]`),
			)
			if n := recEval[int](ctx, t, `document.querySelectorAll('[data-group="today"] [data-task]').length`); n != 0 {
				t.Errorf("%d tasks left under Today", n)
			}
			var done int
			d.R.QueryRow(`SELECT COUNT(*) FROM tasks WHERE done_at IS NOT NULL AND deal_id IS NOT NULL`).Scan(&done)
			if done != 1 {
				t.Errorf("%d completed tasks on the deal in the database, want 1", done)
			}
			recShot(ctx, t, "sales-tasks-"+size.name)
		})
	}
}
