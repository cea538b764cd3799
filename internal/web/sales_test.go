package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/order"
)

func count(t *testing.T, d *db.DB, table string) int {
	t.Helper()
	var n int
	if err := d.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProductAndOrderPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		rs.get("/settings/products").expect(t, 200, "", "No products yet", "Add the first product")
		rs.get("/settings").expect(t, 200, "", `href="/settings/products"`)

		bad := url.Values{"name": {"Widget"}, "price": {"twelve"}, "currency": {"EUX"}, "active": {"1"}}
		rs.post("/settings/products", bad).expect(t, 422, "", "Enter a number, like 1250.00.", "Enter a three-letter ISO 4217",
			`value="twelve"`, `value="Widget"`)
		neg := url.Values{"name": {"Widget"}, "price": {"-3"}, "currency": {"EUR"}, "active": {"1"}}
		rs.post("/settings/products", neg).expect(t, 422, "", "Enter an amount of zero or more.")
		if n := count(t, d, "products"); n != 0 {
			t.Fatalf("%d products after bad input", n)
		}
		rs.post("/settings/products", url.Values{"name": {"Widget"}, "sku": {"W-1"}, "price": {"12.50"}, "currency": {"eur"},
			"active": {"1"}}).expect(t, 303, "/settings/products")
		rs.get("/settings/products").expect(t, 200, "", "Product Widget added.", "Widget", "W-1", "€12.50", "Deactivate")

		acme, err := rs.companies.Create(rs.ctx, company.Input{Name: fixture.Ptr("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		grace, err := rs.contacts.Create(rs.ctx, contact.Input{FirstName: fixture.Ptr("Grace"), CompanyIDs: &[]string{acme.ID}})
		if err != nil {
			t.Fatal(err)
		}
		var widgetID string
		d.R.QueryRow(`SELECT id FROM products`).Scan(&widgetID)

		rs.get("/orders").expect(t, 200, "", "No orders yet")
		rs.get("/orders/new?contact_id="+grace.ID).expect(t, 200, "", "New order for Grace", "Widget · €12.50", "Add a line")
		lines := url.Values{"contact_id": {grace.ID}, "contact_name": {"Grace"}, "currency": {"EUR"}, "order_date": {"2026-03-01"},
			"product": {widgetID, "", ""}, "description": {"", "Installation", ""}, "quantity": {"3", "x", "1"}, "price": {"", "1,000", ""}}
		rs.post("/orders", lines).expect(t, 422, "", "Line 2: Enter a whole number, like 3.", `value="Installation"`, `value="x"`)
		lines.Set("quantity", "")
		lines["quantity"] = []string{"3", "1", "1"}
		lines["price"] = []string{"", "-1", ""}
		rs.post("/orders", lines).expect(t, 422, "", "Line 2: Enter an amount of zero or more.")
		if n := count(t, d, "orders"); n != 0 {
			t.Fatalf("%d orders after bad input", n)
		}
		lines["price"] = []string{"", "1,000", ""}
		oid := recID(t, rs.post("/orders", lines), "/orders/")
		rs.get("/orders/"+oid).expect(t, 200, "", "Order #1001 recorded: €1,037.50.", "Installation", "€1,000.00", "€37.50",
			`id="order-total">€1,037.50`, "Pending", `<option value="paid">Paid</option>`)
		rs.post("/orders/"+oid+"/status", url.Values{"status": {"cancelled"}}).expect(t, 303, "/orders/"+oid)
		rs.get("/orders/"+oid).expect(t, 200, "", "Order #1001 is now cancelled.", `id="order-status">Cancelled`)
		rs.post("/orders/"+oid+"/status", url.Values{"status": {"paid"}}).expect(t, 422, "", "A cancelled order cannot become paid.")
		rs.get("/orders").expect(t, 200, "", "#1001", "Grace", "€1,037.50")
		rs.get("/contacts/"+grace.ID+"/orders").expect(t, 200, "", `id="orders-panel"`, "#1001", "Record an order")
		rs.get("/contacts/"+grace.ID).expect(t, 200, "", `hx-get="/contacts/`+grace.ID+`/orders"`,
			"Olga Owner recorded order #1001 — 4 items, €1,037.50", "Olga Owner cancelled order #1001")
		rs.get("/orders/"+id.New()).expect(t, 404, "")
	})
}

func TestDealProductsAndForecastPages(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		rs := recordSite(t, d)
		// A fresh install's Sales pipeline has nothing to forecast yet.
		rs.get("/deals/forecast").expect(t, 200, "", "Nothing to forecast")
		rs.post("/settings/products", url.Values{"name": {"Widget"}, "price": {"100"}, "currency": {"EUR"}, "active": {"1"}}).expect(t, 303, "")
		var widgetID string
		d.R.QueryRow(`SELECT id FROM products`).Scan(&widgetID)
		now := db.T(db.Now())
		pid, sid, did := id.New(), id.New(), id.New()
		for _, q := range []struct {
			sql  string
			args []any
		}{
			{`INSERT INTO pipelines (id, name, created_at, updated_at) VALUES ($1, 'New business', $2, $2)`, []any{pid, now}},
			{`INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at)
				VALUES ($1, $2, 'Proposal', 0, 25, $3, $3)`, []any{sid, pid, now}},
			{`INSERT INTO deals (id, name, pipeline_id, stage_id, amount, currency, close_date, stage_entered_at, owner_id,
				created_at, updated_at) VALUES ($1, 'Big', $2, $3, 400000, 'EUR', $4, $5, $6, $5, $5)`,
				[]any{did, pid, sid, db.Date(db.Now().Format(db.DateLayout)), now, rs.olga.ID}},
		} {
			if _, err := d.W.Exec(q.sql, q.args...); err != nil {
				t.Fatal(err)
			}
		}
		path := "/deals/" + did + "/products"
		rs.get(path).expect(t, 200, "", `id="deal-products"`, "Widget · €100.00", `hx-post="`+path+`"`)
		hx := map[string]string{"HX-Request": "true"}
		r := rs.do(rs.client, "POST", path, url.Values{"currency": {"EUR"}, "product": {widgetID}, "quantity": {"0"}, "price": {""}}, hx)
		r.expect(t, 422, "", "Row 1: Enter a quantity of 1 or more.")
		r = rs.do(rs.client, "POST", path, url.Values{"currency": {"EUR"}, "product": {widgetID}, "quantity": {"3"}, "price": {"90"}}, hx)
		r.expect(t, 200, "", "Saved.", "€270.00", `value="90.00"`)
		if n := count(t, d, "deal_products"); n != 1 {
			t.Errorf("%d deal products", n)
		}

		// Without htmx the save is a plain POST back to the deal's page.
		rs.post(path, url.Values{"currency": {"EUR"}, "product": {widgetID}, "quantity": {"3"}, "price": {"90"}}).
			expect(t, 303, "/deals/"+did)
		rs.get("/deals/"+did).expect(t, 200, "", "Products saved.")

		// Won, the deal's products became its order: the panel links it
		// and no longer edits the products.
		if err := d.WithTx(rs.ctx, func(tx *db.Tx) error {
			return order.NewService(d, rs.users).PlaceForWonDeal(rs.ctx, tx, did)
		}); err != nil {
			t.Fatal(err)
		}
		won := rs.get(path)
		won.expect(t, 200, "", "Won: these products became", `data-deal-order>Order #1001</a> · €270.00`, "Pending")
		if strings.Contains(won.body, "Save products") {
			t.Error("a won deal's products can still be edited after they became its order")
		}
		// The deal page has its tasks panel; it lists the deal's tasks.
		rs.get("/deals/"+did).expect(t, 200, "", `hx-get="/tasks/of/deal/`+did+`"`)
		rs.do(rs.client, "GET", "/tasks/of/deal/"+did, nil, hx).expect(t, 200, "", "No tasks yet",
			`<a href="/tasks/new?deal_id=`+did+`&amp;return=%2Fdeals%2F`+did+`">Add a task</a>`)
		rs.get("/tasks/new?deal_id="+did).expect(t, 200, "", `<p class="hint" id="task-deal-hint">Big</p>`)

		// Sales pages share the tabs and keep Deals the active section.
		for _, p := range []struct{ path, tab string }{{"/deals", "Board"}, {"/deals/forecast", "Forecast"}, {"/orders", "Orders"}} {
			rs.get(p.path).expect(t, 200, "", `<ul class="sales-tabs">`, `aria-current="page">`+p.tab+`</a>`,
				`<a href="/deals" aria-current="page">`)
		}

		page := rs.get("/deals/forecast")
		page.expect(t, 200, "", "New business", "€4,000.00", "€1,000.00", `data-forecast-chart="{`, "chart.umd.min.js", "js/forecast.js",
			"Conversion funnel", "Proposal", "25 %")
		if strings.Contains(page.body, "<script>") {
			t.Error("inline script on the forecast page")
		}
		rs.get("/deals/forecast?pipeline="+pid+"&from=2026-13").expect(t, 422, "", "Enter the month as YYYY-MM.")
	})
}
