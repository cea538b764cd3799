package web_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/rapportcrm/rapport/internal/browsertest"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
)

// A person adds a product from the empty catalogue, records an order for a
// contact from the contact's page with a product line and a free-text line
// added with "Add a line", sees it on the contact's timeline, and reads the
// forecast chart — at desktop and phone widths.
func TestBrowserProductsOrdersForecast(t *testing.T) {
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
			recRun(ctx, t, "add a product from the empty state",
				chromedp.Navigate(u+"/settings/products"),
				chromedp.WaitVisible(`//h2[contains(., "No products yet")]`),
			)
			recRun(ctx, t, "open the form",
				chromedp.Click(`//a[contains(., "Add the first product")]`),
				chromedp.WaitVisible(chromedp.ID("price")),
			)
			recRun(ctx, t, "a price that is not a number",
				chromedp.SendKeys(chromedp.ID("name"), "Widget"),
				chromedp.SendKeys(chromedp.ID("price"), "twelve"),
				chromedp.Click(`//button[contains(., "Add product")]`),
				chromedp.WaitVisible(`//p[@id="price-error"][contains(., "Enter a number")]`),
			)
			recRun(ctx, t, "a good price",
				chromedp.SetValue(chromedp.ID("price"), "12.50"),
				chromedp.Click(`//button[contains(., "Add product")]`),
				chromedp.WaitVisible(`//*[contains(@class,"flash")][contains(., "Product Widget added.")]`),
				chromedp.WaitVisible(`//td[contains(., "€12.50")]`),
			)
			recShot(ctx, t, "products-"+size.name)
			if w := recEval[int](ctx, t, `document.documentElement.scrollWidth`); w > size.width {
				t.Errorf("products page is %d px wide at %d", w, size.width)
			}

			rs := recServices(t, d)
			grace, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Grace"), LastName: fixture.Ptr("Hopper")})
			if err != nil {
				t.Fatal(err)
			}
			var widgetID string
			d.R.QueryRow(`SELECT id FROM products`).Scan(&widgetID)
			row := func(n int, field string) string {
				return fmt.Sprintf(`tbody[data-lines] tr:nth-child(%d) [name="%s"]`, n, field)
			}
			recRun(ctx, t, "record an order from the contact page",
				chromedp.Navigate(u+"/contacts/"+grace.ID),
				chromedp.WaitVisible(`//section[@id="orders-panel"]//a[contains(., "Record an order")]`),
				browsertest.Settled(),
				chromedp.Click(`//section[@id="orders-panel"]//a[contains(., "Record an order")]`),
				chromedp.WaitVisible(`//h1[contains(., "New order for Grace Hopper")]`),
				chromedp.SetValue(chromedp.CSS(row(1, "product")), widgetID),
				chromedp.SetValue(chromedp.CSS(row(1, "quantity")), "3"),
				chromedp.Click(chromedp.CSS(`[data-add-line]`)),
				chromedp.WaitVisible(chromedp.CSS(row(4, "description"))),
				chromedp.SendKeys(chromedp.CSS(row(4, "description")), "Installation"),
				chromedp.SendKeys(chromedp.CSS(row(4, "price")), "100"),
			)
			if n := recEval[int](ctx, t, `document.querySelectorAll("tbody[data-lines] tr").length`); n != 4 {
				t.Errorf("%d line rows after Add a line, want 4", n)
			}
			recRun(ctx, t, "save the order",
				chromedp.Click(`//button[contains(., "Record order")]`),
				chromedp.WaitVisible(`//*[contains(@class,"flash")][contains(., "Order #1001 recorded: €137.50.")]`),
				chromedp.WaitVisible(`//td[@id="order-total"][contains(., "€137.50")]`),
			)
			recShot(ctx, t, "order-"+size.name)
			if w := recEval[int](ctx, t, `document.documentElement.scrollWidth`); w > size.width {
				t.Errorf("order page is %d px wide at %d", w, size.width)
			}
			recRun(ctx, t, "the order is on the contact's timeline",
				chromedp.Navigate(u+"/contacts/"+grace.ID),
				chromedp.WaitVisible(`//*[contains(., "Olga Owner recorded order #1001 — 4 items, €137.50")]`),
				chromedp.WaitVisible(`//section[@id="orders-panel"]//a[contains(., "#1001")]`),
			)

			now := db.T(db.Now())
			pid, sid := id.New(), id.New()
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO pipelines (id, name, created_at, updated_at) VALUES ($1, 'New business', $2, $2)`, []any{pid, now}},
				{`INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at)
					VALUES ($1, $2, 'Proposal', 0, 25, $3, $3)`, []any{sid, pid, now}},
				{`INSERT INTO deals (id, name, pipeline_id, stage_id, amount, currency, close_date, stage_entered_at, created_at, updated_at)
					VALUES ($1, 'Big', $2, $3, 400000, 'EUR', $4, $5, $5, $5)`, []any{id.New(), pid, sid, db.Date(db.Now().Format(db.DateLayout)), now}},
			} {
				if _, err := d.W.Exec(q.sql, q.args...); err != nil {
					t.Fatal(err)
				}
			}
			recRun(ctx, t, "read the forecast",
				chromedp.Navigate(u+"/deals/forecast"),
				chromedp.WaitVisible(`//td[contains(., "€4,000.00")]`),
				chromedp.Poll[chromedp.Void](`(() => { const c = document.querySelector("canvas[data-forecast-chart]");
					return !!(c && window.Chart && window.Chart.getChart(c)); })()`, chromedp.WithPollingTimeout(10*time.Second)),
			)
			recShot(ctx, t, "forecast-"+size.name)
			series := recEval[string](ctx, t, `window.Chart.getChart(document.querySelector("canvas[data-forecast-chart]")).data.datasets.map(d => d.label + "=" + d.data[0]).join(",")`)
			if series != "Open=4000,Weighted=1000,Won=0,Lost=0" {
				t.Errorf("chart series of this month: %s", series)
			}
			if w := recEval[int](ctx, t, `document.documentElement.scrollWidth`); w > size.width {
				t.Errorf("forecast page is %d px wide at %d", w, size.width)
			}
			if strings.Contains(recEval[string](ctx, t, `document.documentElement.outerHTML`), "<script>") {
				t.Error("inline script")
			}
		})
	}
}
