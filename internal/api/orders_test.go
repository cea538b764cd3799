package api

import (
	"fmt"
	"testing"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/id"
)

func (e *env) count(t *testing.T, table string) int {
	t.Helper()
	var n int
	if err := e.d.R.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestProductsAndOrders(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, member, viewer := e.owned(), e.user("member"), e.user("viewer")
		var widget, dollar Product
		o.post(t, "/api/v1/products", map[string]any{"name": "Widget", "sku": "W-1", "price": 1250, "currency": "EUR"}).
			expect(t, 201).decode(t, &widget)
		o.post(t, "/api/v1/products", map[string]any{"name": "Dollar", "price": 100, "currency": "USD"}).
			expect(t, 201).decode(t, &dollar)
		grace := e.contact(t, map[string]any{"first_name": "Grace"})
		missing := id.New()
		okLines := []map[string]any{{"product_id": widget.ID, "quantity": 3}, {"description": "Setup", "quantity": 1, "unit_price": 5000}}
		var placed Order

		run(t, []scenario{
			{name: "member may not create a product", c: member, method: "POST", path: "/api/v1/products", status: 403,
				body: map[string]any{"name": "M", "price": 1, "currency": "EUR"}},
			{name: "viewer reads products", c: viewer, method: "GET", path: "/api/v1/products", status: 200,
				check: func(t *testing.T, r result) {
					var p ProductPage
					if r.decode(t, &p); len(p.Data) != 2 || p.Data[0].Name != "Dollar" {
						t.Errorf("got %+v", p)
					}
				}},
			{name: "negative price", c: o, method: "POST", path: "/api/v1/products", status: 422, fields: []string{"price"},
				body: map[string]any{"name": "X", "price": -1, "currency": "EUR"}},
			{name: "non-numeric price", c: o, method: "POST", path: "/api/v1/products", status: 422, fields: []string{"price"},
				body: map[string]any{"name": "X", "price": "12,50", "currency": "EUR"}},
			{name: "unknown currency", c: o, method: "POST", path: "/api/v1/products", status: 422, fields: []string{"currency"},
				body: map[string]any{"name": "X", "price": 1, "currency": "EUX"}},
			{name: "missing price", c: o, method: "POST", path: "/api/v1/products", status: 422, fields: []string{"price"},
				body: map[string]any{"name": "X", "currency": "EUR"}},
			{name: "duplicate sku", c: o, method: "POST", path: "/api/v1/products", status: 409, fields: []string{"sku"},
				body: map[string]any{"name": "X", "sku": "W-1", "price": 1, "currency": "EUR"}},
			{name: "deactivate", c: o, method: "PATCH", path: "/api/v1/products/" + dollar.ID, status: 200,
				body: map[string]any{"active": false}, check: func(t *testing.T, r result) {
					var p Product
					if r.decode(t, &p); p.Active || p.Price != 100 {
						t.Errorf("got %+v", p)
					}
				}},

			{name: "place an order", c: o, method: "POST", path: "/api/v1/orders", status: 201,
				body: map[string]any{"contact_id": grace.ID, "currency": "EUR", "order_date": "2026-03-01", "lines": okLines},
				check: func(t *testing.T, r result) {
					r.decode(t, &placed)
					if placed.Total != 3*1250+5000 || len(placed.Lines) != 2 || placed.Lines[0].Description != "Widget" ||
						placed.Status != "pending" || r.header.Get("Location") != "/api/v1/orders/"+placed.ID {
						t.Errorf("placed %+v", placed)
					}
				}},
			{name: "a total sent by the client is not a field", c: o, method: "POST", path: "/api/v1/orders", status: 422,
				fields: []string{"total"}, body: map[string]any{"contact_id": grace.ID, "currency": "EUR", "total": 1, "lines": okLines}},
			{name: "bad order input names every field", c: o, method: "POST", path: "/api/v1/orders", status: 422,
				fields: []string{"currency", "order_date", "lines[0].quantity", "lines[1].unit_price"},
				body: map[string]any{"contact_id": grace.ID, "currency": "XYZ", "order_date": "1/3/2026",
					"lines": []map[string]any{{"product_id": widget.ID, "quantity": 0}, {"description": "x", "quantity": 1, "unit_price": -5}}}},
			{name: "mixed currencies", c: o, method: "POST", path: "/api/v1/orders", status: 422, fields: []string{"lines[0].product_id"},
				body: map[string]any{"contact_id": grace.ID, "currency": "USD", "lines": []map[string]any{{"product_id": widget.ID, "quantity": 1}}}},
			{name: "inactive product", c: o, method: "POST", path: "/api/v1/orders", status: 422, fields: []string{"lines[0].product_id"},
				body: map[string]any{"contact_id": grace.ID, "currency": "USD", "lines": []map[string]any{{"product_id": dollar.ID, "quantity": 1}}}},
			{name: "non-numeric quantity", c: o, method: "POST", path: "/api/v1/orders", status: 422, fields: []string{"lines[0].quantity"},
				body: map[string]any{"contact_id": grace.ID, "currency": "EUR", "lines": []map[string]any{{"product_id": widget.ID, "quantity": "three"}}}},
			{name: "missing contact", c: o, method: "POST", path: "/api/v1/orders", status: 422, fields: []string{"contact_id"},
				body: map[string]any{"currency": "EUR", "lines": okLines}},
			{name: "bad status", c: o, method: "POST", path: "/api/v1/orders", status: 422, fields: []string{"status"},
				body: map[string]any{"contact_id": grace.ID, "currency": "EUR", "status": "shipped", "lines": okLines}},
			{name: "nothing half-saved", c: o, method: "GET", path: "/api/v1/orders", status: 200, check: func(t *testing.T, r result) {
				var p OrderPage
				if r.decode(t, &p); len(p.Data) != 1 || e.count(t, "order_lines") != 2 {
					t.Errorf("%d orders, %d lines after bad input", len(p.Data), e.count(t, "order_lines"))
				}
			}},
			{name: "member sees no order of the owner's contact", c: member, method: "GET", path: "/api/v1/orders", status: 200,
				check: func(t *testing.T, r result) {
					var p OrderPage
					if r.decode(t, &p); len(p.Data) != 1 {
						// Grace has no owner, so her order (owner: nobody) is visible to everyone.
						t.Errorf("member sees %d orders", len(p.Data))
					}
				}},
			{name: "viewer may not place", c: viewer, method: "POST", path: "/api/v1/orders", status: 403,
				body: map[string]any{"contact_id": grace.ID, "currency": "EUR", "lines": okLines}},
			{name: "get missing", c: o, method: "GET", path: "/api/v1/orders/" + missing, status: 404},
			{name: "get malformed", c: o, method: "GET", path: "/api/v1/orders/1042", status: 404},
			{name: "no session", c: e.anonymous(), method: "GET", path: "/api/v1/orders", status: 401},
		})
		run(t, []scenario{
			{name: "pay", c: o, method: "PATCH", path: "/api/v1/orders/" + placed.ID, status: 200, body: map[string]any{"status": "paid"}},
			{name: "new lines recompute the total", c: o, method: "PATCH", path: "/api/v1/orders/" + placed.ID, status: 200,
				body: map[string]any{"lines": []map[string]any{{"product_id": widget.ID, "quantity": 1, "unit_price": 1000}}},
				check: func(t *testing.T, r result) {
					var x Order
					if r.decode(t, &x); x.Total != 1000 || len(x.Lines) != 1 || x.Status != "paid" {
						t.Errorf("got %+v", x)
					}
				}},
			{name: "cancel", c: o, method: "PATCH", path: "/api/v1/orders/" + placed.ID, status: 200, body: map[string]any{"status": "cancelled"}},
			{name: "cancelled is final", c: o, method: "PATCH", path: "/api/v1/orders/" + placed.ID, status: 422,
				fields: []string{"status"}, body: map[string]any{"status": "paid"}},
			{name: "filter by status", c: o, method: "GET", path: "/api/v1/orders?status=cancelled&contact_id=" + grace.ID, status: 200,
				check: func(t *testing.T, r result) {
					var p OrderPage
					if r.decode(t, &p); len(p.Data) != 1 || p.Data[0].Status != "cancelled" {
						t.Errorf("got %+v", p)
					}
				}},
			{name: "delete", c: o, method: "DELETE", path: "/api/v1/orders/" + placed.ID, status: 204},
			{name: "deleted is gone", c: o, method: "GET", path: "/api/v1/orders/" + placed.ID, status: 404},
		})
	})
}

// seedDeal inserts a pipeline, stage and deal with plain SQL (the deal
// service is another package's) and returns the deal's and pipeline's ids.
func seedDeal(t *testing.T, d *db.DB, currency string, amount int64, closeDate string) (string, string) {
	t.Helper()
	now := db.T(db.Now())
	pid, sid, did := id.New(), id.New(), id.New()
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO pipelines (id, name, created_at, updated_at) VALUES ($1, 'Sales', $2, $2)`, []any{pid, now}},
		{`INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at)
			VALUES ($1, $2, 'Proposal', 0, 40, $3, $3)`, []any{sid, pid, now}},
		{`INSERT INTO deals (id, name, pipeline_id, stage_id, amount, currency, close_date, stage_entered_at, created_at,
			updated_at) VALUES ($1, 'Deal', $2, $3, $4, $5, $6, $7, $7, $7)`, []any{did, pid, sid, amount, currency, db.Date(closeDate), now}},
	} {
		if _, err := d.W.Exec(q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	return did, pid
}

func TestDealProductsAndForecast(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		o, viewer := e.owned(), e.user("viewer")
		var widget Product
		o.post(t, "/api/v1/products", map[string]any{"name": "Widget", "price": 1250, "currency": "EUR"}).expect(t, 201).decode(t, &widget)
		dealID, pipelineID := seedDeal(t, d, "EUR", 10000, "2026-05-15")
		products := "/api/v1/deals/" + dealID + "/products"
		run(t, []scenario{
			{name: "set products", c: o, method: "PUT", path: products, status: 200,
				body: map[string]any{"products": []map[string]any{{"product_id": widget.ID, "quantity": 2}}},
				check: func(t *testing.T, r result) {
					var p DealProducts
					if r.decode(t, &p); len(p.Data) != 1 || p.Data[0].LineTotal != 2500 || p.Data[0].Currency != "EUR" {
						t.Errorf("got %+v", p)
					}
				}},
			{name: "negative quantity", c: o, method: "PUT", path: products, status: 422, fields: []string{"products[0].quantity"},
				body: map[string]any{"products": []map[string]any{{"product_id": widget.ID, "quantity": -1}}}},
			{name: "viewer reads", c: viewer, method: "GET", path: products, status: 200, check: func(t *testing.T, r result) {
				var p DealProducts
				if r.decode(t, &p); len(p.Data) != 1 {
					t.Errorf("got %+v (the bad PUT must not have changed them)", p)
				}
			}},
			{name: "viewer may not set", c: viewer, method: "PUT", path: products, status: 403, body: map[string]any{"products": []any{}}},
			{name: "unknown deal", c: o, method: "GET", path: "/api/v1/deals/" + id.New() + "/products", status: 404},

			{name: "forecast", c: viewer, method: "GET", path: fmt.Sprintf("/api/v1/forecast?pipeline_id=%s&from=2026-01&months=6", pipelineID),
				status: 200, check: func(t *testing.T, r result) {
					var f Forecast
					r.decode(t, &f)
					if len(f.Months) != 6 || len(f.Totals) != 1 || f.Totals[0].Month != "2026-05" || f.Totals[0].Open != 10000 ||
						f.Totals[0].Weighted != 4000 {
						t.Errorf("got %+v", f)
					}
				}},
			{name: "forecast bad month", c: o, method: "GET", path: "/api/v1/forecast?pipeline_id=" + pipelineID + "&from=May", status: 422, fields: []string{"from"}},
			{name: "forecast unknown pipeline", c: o, method: "GET", path: "/api/v1/forecast?pipeline_id=" + id.New(), status: 422, fields: []string{"pipeline_id"}},
			{name: "funnel", c: o, method: "GET", path: "/api/v1/forecast/funnel?pipeline_id=" + pipelineID + "&from=2026-01-01&to=2026-12-31",
				status: 200, check: func(t *testing.T, r result) {
					var f Funnel
					if r.decode(t, &f); len(f.Stages) != 1 || f.Stages[0].Name != "Proposal" || f.Stages[0].MedianDays != nil {
						t.Errorf("got %+v", f)
					}
				}},
			{name: "funnel bad dates", c: o, method: "GET", path: "/api/v1/forecast/funnel?pipeline_id=" + pipelineID + "&from=2026-13-01&to=x",
				status: 422, fields: []string{"from", "to"}},
		})
	})
}
