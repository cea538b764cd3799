package order_test

import (
	"context"
	"errors"
	"testing"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/dbtest"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/fixture"
	"github.com/rapportcrm/rapport/internal/gdpr"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/order"
	"github.com/rapportcrm/rapport/internal/user"
)

var p = fixture.Ptr[string]

func i64(n int64) *int64 { return &n }

type env struct {
	d        *db.DB
	ctx      context.Context
	owner    user.User
	svc      *order.Service
	contacts *contact.Service
	comps    *company.Service
}

func newEnv(t *testing.T, d *db.DB) *env {
	t.Helper()
	ctx, owner := fixture.User(t, d, "owner")
	users := user.NewService(d)
	return &env{d: d, ctx: ctx, owner: owner, svc: order.NewService(d, users),
		contacts: contact.NewService(d, users), comps: company.NewService(d, users)}
}

func (e *env) contact(t *testing.T, name, ownerID, companyID string) contact.Contact {
	t.Helper()
	in := contact.Input{FirstName: p(name)}
	if ownerID != "" {
		in.OwnerID = p(ownerID)
	}
	if companyID != "" {
		in.CompanyIDs = &[]string{companyID}
	}
	c, err := e.contacts.Create(e.ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (e *env) product(t *testing.T, name, sku string, price int64, cur string) order.Product {
	t.Helper()
	pr, err := e.svc.CreateProduct(e.ctx, order.ProductInput{Name: p(name), SKU: p(sku), Price: &price, Currency: p(cur)})
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

func TestProducts(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		widget := e.product(t, "Widget", "W-1", 1250, "EUR")
		if !widget.Active || widget.Price != 1250 {
			t.Errorf("created %+v", widget)
		}
		_, err := e.svc.CreateProduct(e.ctx, order.ProductInput{Name: p("Other"), SKU: p("W-1"), Price: i64(1), Currency: p("EUR")})
		if !errors.Is(err, apperr.ErrConflict) || apperr.AsValidation(err).For("sku") == "" {
			t.Errorf("duplicate sku: %v", err)
		}
		tests := []struct {
			in    order.ProductInput
			field string
		}{
			{order.ProductInput{Name: p(""), Price: i64(1), Currency: p("EUR")}, "name"},
			{order.ProductInput{Name: p("X"), Price: i64(-5), Currency: p("EUR")}, "price"},
			{order.ProductInput{Name: p("X"), Price: i64(1), Currency: p("EUX")}, "currency"},
			{order.ProductInput{Name: p("X"), Price: i64(1), Currency: p("")}, "currency"},
		}
		for _, tt := range tests {
			_, err := e.svc.CreateProduct(e.ctx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%s: err = %v", tt.field, err)
			}
		}
		off, err := e.svc.UpdateProduct(e.ctx, widget.ID, order.ProductInput{Active: fixture.Ptr(false)})
		if err != nil || off.Active || off.SKU != "W-1" {
			t.Fatalf("deactivate: %+v, %v", off, err)
		}
		evs, _ := event.ListForSubject(e.ctx, d.R, "product", widget.ID, 10)
		if len(evs) != 2 || evs[0].Kind != "product.deactivated" || evs[1].Kind != "product.created" {
			t.Errorf("events = %+v", evs)
		}
		e.product(t, "Anvil", "", 500, "USD")
		page, err := e.svc.Products(e.ctx, order.ProductRequest{Limit: 1})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].Name != "Anvil" || page.Next == "" {
			t.Fatalf("page 1 = %+v, %v", page, err)
		}
		page, err = e.svc.Products(e.ctx, order.ProductRequest{Limit: 1, Cursor: page.Next})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].Name != "Widget" || page.Next != "" {
			t.Fatalf("page 2 = %+v, %v", page, err)
		}
		active, _ := e.svc.Products(e.ctx, order.ProductRequest{ActiveOnly: true})
		if len(active.Rows) != 1 || active.Rows[0].Name != "Anvil" {
			t.Errorf("active only = %+v", active.Rows)
		}
		if err := e.svc.DeleteProduct(e.ctx, widget.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Product(e.ctx, widget.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("deleted product: %v", err)
		}
		e.product(t, "Widget again", "W-1", 1, "EUR") // the SKU of a deleted product is free
	})
}

func TestOrders(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acme, err := e.comps.Create(e.ctx, company.Input{Name: p("Acme")})
		if err != nil {
			t.Fatal(err)
		}
		grace := e.contact(t, "Grace", e.owner.ID, acme.ID)
		widget := e.product(t, "Widget", "W-1", 1250, "EUR")
		dollar := e.product(t, "Dollar thing", "", 100, "USD")

		o, err := e.svc.Create(e.ctx, order.Input{ContactID: p(grace.ID), Currency: p("eur"), OrderDate: p("2026-03-01"),
			Lines: &[]order.LineInput{{ProductID: widget.ID, Quantity: 3}, {Description: "Installation", Quantity: 1, UnitPrice: i64(9999)}}})
		if err != nil {
			t.Fatal(err)
		}
		if o.Total != 3*1250+9999 || o.Number != 1001 || o.CompanyID != acme.ID || o.OwnerID != e.owner.ID ||
			o.Lines[0].Description != "Widget" || o.Lines[0].LineTotal != 3750 || o.Status != order.Pending || o.Currency != "EUR" {
			t.Errorf("created %+v", o)
		}
		got, err := e.svc.ByID(e.ctx, o.ID)
		if err != nil || got.Total != o.Total || len(got.Lines) != 2 || got.ContactName != "Grace" || got.CompanyName != "Acme" {
			t.Errorf("read back %+v, %v", got, err)
		}

		bad := []struct {
			name  string
			in    order.Input
			field string
		}{
			{"no contact", order.Input{Currency: p("EUR"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1, UnitPrice: i64(1)}}}, "contact_id"},
			{"unknown contact", order.Input{ContactID: p(id.New()), Currency: p("EUR"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1, UnitPrice: i64(1)}}}, "contact_id"},
			{"unknown currency", order.Input{ContactID: p(grace.ID), Currency: p("ABC"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1, UnitPrice: i64(1)}}}, "currency"},
			{"bad date", order.Input{ContactID: p(grace.ID), Currency: p("EUR"), OrderDate: p("01/03/2026"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1, UnitPrice: i64(1)}}}, "order_date"},
			{"no lines", order.Input{ContactID: p(grace.ID), Currency: p("EUR")}, "lines"},
			{"negative price", order.Input{ContactID: p(grace.ID), Currency: p("EUR"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1, UnitPrice: i64(-1)}}}, "lines[0].unit_price"},
			{"zero quantity", order.Input{ContactID: p(grace.ID), Currency: p("EUR"), Lines: &[]order.LineInput{{ProductID: widget.ID, Quantity: 0}}}, "lines[0].quantity"},
			{"mixed currencies", order.Input{ContactID: p(grace.ID), Currency: p("EUR"), Lines: &[]order.LineInput{{ProductID: widget.ID, Quantity: 1}, {ProductID: dollar.ID, Quantity: 1}}}, "lines[1].product_id"},
			{"free text without price", order.Input{ContactID: p(grace.ID), Currency: p("EUR"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1}}}, "lines[0].unit_price"},
			{"bad status", order.Input{ContactID: p(grace.ID), Currency: p("EUR"), Status: p("shipped"), Lines: &[]order.LineInput{{Description: "x", Quantity: 1, UnitPrice: i64(1)}}}, "status"},
		}
		for _, tt := range bad {
			_, err := e.svc.Create(e.ctx, tt.in)
			if v := apperr.AsValidation(err); v == nil || v.For(tt.field) == "" {
				t.Errorf("%s: err = %v, want a message for %s", tt.name, err, tt.field)
			}
		}
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n)
		if n != 1 {
			t.Errorf("%d orders after bad input, want 1 (nothing half-saved)", n)
		}

		// Status moves and their events.
		if _, err := e.svc.Update(e.ctx, o.ID, order.Input{Status: p(order.Paid)}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Cancel(e.ctx, o.ID); err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.Update(e.ctx, o.ID, order.Input{Status: p(order.Paid)})
		if v := apperr.AsValidation(err); v == nil || v.For("status") == "" {
			t.Errorf("a cancelled order became paid: %v", err)
		}
		evs, _ := event.ListForSubject(e.ctx, d.R, "order", o.ID, 10)
		kinds := []string{}
		for _, ev := range evs {
			kinds = append(kinds, ev.Kind)
		}
		if len(kinds) != 3 || kinds[0] != "order.cancelled" || kinds[1] != "order.status_changed" || kinds[2] != "order.placed" {
			t.Errorf("events = %v", kinds)
		}
		var onContact, onCompany int
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE contact_id = $1 AND kind LIKE 'order.%'`, grace.ID).Scan(&onContact)
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE company_id = $1 AND kind LIKE 'order.%'`, acme.ID).Scan(&onCompany)
		if onContact != 3 || onCompany != 3 {
			t.Errorf("order events on the contact's timeline %d, the company's %d; want 3 and 3", onContact, onCompany)
		}

		// Replacing the lines computes the total again.
		o2, err := e.svc.Create(e.ctx, order.Input{ContactID: p(grace.ID), Currency: p("USD"),
			Lines: &[]order.LineInput{{ProductID: dollar.ID, Quantity: 2}}})
		if err != nil || o2.Total != 200 || o2.Number != 1002 {
			t.Fatalf("second order %+v, %v", o2, err)
		}
		o2, err = e.svc.Update(e.ctx, o2.ID, order.Input{Lines: &[]order.LineInput{{ProductID: dollar.ID, Quantity: 5, UnitPrice: i64(90)}}})
		if err != nil || o2.Total != 450 || len(o2.Lines) != 1 {
			t.Fatalf("new lines %+v, %v", o2, err)
		}
		_, err = e.svc.Update(e.ctx, o2.ID, order.Input{Currency: p("EUR")})
		if v := apperr.AsValidation(err); v == nil || v.For("currency") == "" {
			t.Errorf("currency changed under USD lines: %v", err)
		}

		page, err := e.svc.List(e.ctx, order.ListRequest{Limit: 1})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != o2.ID || page.Next == "" {
			t.Fatalf("page 1 %+v, %v", page, err)
		}
		page, err = e.svc.List(e.ctx, order.ListRequest{Limit: 1, Cursor: page.Next})
		if err != nil || len(page.Rows) != 1 || page.Rows[0].ID != o.ID || page.Next != "" {
			t.Fatalf("page 2 %+v, %v", page, err)
		}
		if err := e.svc.Delete(e.ctx, o2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.ByID(e.ctx, o2.ID); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("deleted order: %v", err)
		}
	})
}

// TestPermissions tries products and orders as each built-in role.
func TestPermissions(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		widget := e.product(t, "Widget", "", 100, "EUR")
		roles := map[string]context.Context{}
		users := map[string]user.User{}
		for _, r := range []string{"admin", "manager", "member", "viewer"} {
			roles[r], users[r] = fixture.User(t, d, r)
		}
		// Products: everyone reads, owners and admins write.
		for r, ctx := range roles {
			_, rerr := e.svc.Product(ctx, widget.ID)
			_, cerr := e.svc.CreateProduct(ctx, order.ProductInput{Name: p("By " + r), Price: i64(1), Currency: p("EUR")})
			if rerr != nil {
				t.Errorf("%s may not read products: %v", r, rerr)
			}
			if wantWrite := r == "admin"; (cerr == nil) != wantWrite {
				t.Errorf("%s creating a product: %v (want allowed %v)", r, cerr, wantWrite)
			}
			if r != "admin" && !errors.Is(cerr, apperr.ErrForbidden) {
				t.Errorf("%s: %v, want forbidden", r, cerr)
			}
		}
		// A custom role given the catalogue may change it.
		clerk := access.WithActor(context.Background(), access.Actor{UserID: users["member"].ID, Name: "Clerk", Role: "clerk",
			Scope: access.ScopeAll, Perms: access.Perms{order.Products: {access.Read, access.Create}}})
		if _, err := e.svc.CreateProduct(clerk, order.ProductInput{Name: p("By clerk"), Price: i64(1), Currency: p("EUR")}); err != nil {
			t.Errorf("custom role with products create: %v", err)
		}
		if _, err := e.svc.UpdateProduct(clerk, widget.ID, order.ProductInput{Price: i64(2)}); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("custom role without products update: %v", err)
		}
		// Orders: members see their own (the owner of the order), viewers read.
		ownersContact := e.contact(t, "Owned by owner", e.owner.ID, "")
		memberContact := e.contact(t, "Owned by member", users["member"].ID, "")
		lines := &[]order.LineInput{{ProductID: widget.ID, Quantity: 1}}
		ownersOrder, err := e.svc.Create(e.ctx, order.Input{ContactID: p(ownersContact.ID), Currency: p("EUR"), Lines: lines})
		if err != nil {
			t.Fatal(err)
		}
		mctx := roles["member"]
		_, err = e.svc.Create(mctx, order.Input{ContactID: p(ownersContact.ID), Currency: p("EUR"), Lines: lines})
		if v := apperr.AsValidation(err); v == nil || v.For("contact_id") == "" {
			t.Errorf("member ordered for a contact they cannot see: %v", err)
		}
		mine, err := e.svc.Create(mctx, order.Input{ContactID: p(memberContact.ID), Currency: p("EUR"), Lines: lines})
		if err != nil || mine.OwnerID != users["member"].ID {
			t.Fatalf("member's order %+v, %v", mine, err)
		}
		if _, err := e.svc.ByID(mctx, ownersOrder.ID); !errors.Is(err, access.ErrOutOfScope) {
			t.Errorf("member read the owner's order: %v", err)
		}
		page, _ := e.svc.List(mctx, order.ListRequest{})
		if len(page.Rows) != 1 || page.Rows[0].ID != mine.ID {
			t.Errorf("member's list = %+v", page.Rows)
		}
		all, _ := e.svc.List(roles["viewer"], order.ListRequest{})
		if len(all.Rows) != 2 {
			t.Errorf("viewer sees %d orders, want 2", len(all.Rows))
		}
		if _, err := e.svc.Cancel(roles["viewer"], mine.ID); !errors.Is(err, apperr.ErrForbidden) {
			t.Errorf("viewer cancelled: %v", err)
		}
		// A manager sees the team's orders; the member is in no team of theirs.
		if _, err := e.svc.Cancel(roles["manager"], mine.ID); !errors.Is(err, access.ErrOutOfScope) {
			t.Errorf("manager outside the team cancelled: %v", err)
		}
		if _, err := e.svc.Cancel(roles["admin"], mine.ID); err != nil {
			t.Errorf("admin cancel: %v", err)
		}
	})
}

// deal inserts a pipeline, a stage and a deal with plain SQL, as the deal
// tables' own service is another package's.
func deal(t *testing.T, d *db.DB, currency, ownerID, companyID string, contactIDs ...string) string {
	t.Helper()
	now := db.T(db.Now())
	pid, sid, did := id.New(), id.New(), id.New()
	exec := func(q string, args ...any) {
		if _, err := d.W.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(`INSERT INTO pipelines (id, name, created_at, updated_at) VALUES ($1, 'Sales', $2, $2)`, pid, now)
	exec(`INSERT INTO pipeline_stages (id, pipeline_id, name, position, probability, created_at, updated_at)
		VALUES ($1, $2, 'Won', 0, 100, $3, $3)`, sid, pid, now)
	exec(`INSERT INTO deals (id, name, pipeline_id, stage_id, amount, currency, stage_entered_at, owner_id, company_id,
		created_at, updated_at) VALUES ($1, 'Big deal', $2, $3, 0, $4, $5, $6, $7, $5, $5)`,
		did, pid, sid, currency, now, db.NullString(ownerID), db.NullString(companyID))
	for i, c := range contactIDs {
		exec(`INSERT INTO deal_contacts (deal_id, contact_id, position) VALUES ($1, $2, $3)`, did, c, i)
	}
	return did
}

func TestWonDeal(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		acme, _ := e.comps.Create(e.ctx, company.Input{Name: p("Acme")})
		first := e.contact(t, "First", "", "")
		second := e.contact(t, "Second", "", "")
		widget := e.product(t, "Widget", "W-1", 1250, "EUR")
		gadget := e.product(t, "Gadget", "", 300, "EUR")
		dollar := e.product(t, "Dollar", "", 300, "USD")
		dealID := deal(t, d, "EUR", e.owner.ID, acme.ID, first.ID, second.ID)
		empty := deal(t, d, "EUR", "", "", first.ID)

		_, err := e.svc.SetDealProducts(e.ctx, dealID, []order.DealProductInput{{ProductID: widget.ID, Quantity: 2},
			{ProductID: dollar.ID, Quantity: 1}})
		if v := apperr.AsValidation(err); v == nil || v.For("products[1].product_id") == "" {
			t.Errorf("a USD product on a EUR deal: %v", err)
		}
		_, err = e.svc.SetDealProducts(e.ctx, dealID, []order.DealProductInput{{ProductID: widget.ID, Quantity: -2}})
		if v := apperr.AsValidation(err); v == nil || v.For("products[0].quantity") == "" {
			t.Errorf("negative quantity: %v", err)
		}
		list, err := e.svc.SetDealProducts(e.ctx, dealID, []order.DealProductInput{{ProductID: widget.ID, Quantity: 2},
			{ProductID: gadget.ID, Quantity: 3, UnitPrice: i64(250)}})
		if err != nil || len(list) != 2 || list[1].LineTotal != 750 {
			t.Fatalf("deal products %+v, %v", list, err)
		}

		win := func(dealID string) {
			t.Helper()
			err := d.WithTx(e.ctx, func(tx *db.Tx) error {
				if _, err := tx.Exec(`UPDATE deals SET status = 'won', closed_at = $2 WHERE id = $1`, dealID, db.T(db.Now())); err != nil {
					return err
				}
				return e.svc.PlaceForWonDeal(e.ctx, tx, dealID)
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		win(dealID)
		win(dealID) // won again: still one order
		win(empty)  // no products: no order
		page, err := e.svc.List(e.ctx, order.ListRequest{})
		if err != nil || len(page.Rows) != 1 {
			t.Fatalf("orders after winning = %+v, %v", page.Rows, err)
		}
		o, _ := e.svc.ByID(e.ctx, page.Rows[0].ID)
		if o.DealID != dealID || o.ContactID != first.ID || o.CompanyID != acme.ID || o.Total != 2*1250+750 ||
			o.Currency != "EUR" || len(o.Lines) != 2 || o.Lines[0].Description != "Widget" || o.OwnerID != e.owner.ID {
			t.Errorf("order from the deal: %+v", o)
		}
		var onTimeline int
		d.R.QueryRow(`SELECT COUNT(*) FROM events WHERE kind = 'order.placed' AND contact_id = $1 AND deal_id = $2`,
			first.ID, dealID).Scan(&onTimeline)
		if onTimeline != 1 {
			t.Errorf("order.placed on the contact's and deal's timelines: %d", onTimeline)
		}
		// The won deal names its order; a deal without one has none.
		if got, err := e.svc.DealOrder(e.ctx, dealID); err != nil || got.ID != o.ID || got.Number != o.Number {
			t.Errorf("DealOrder = %+v, %v; want order %s", got, err, o.ID)
		}
		if _, err := e.svc.DealOrder(e.ctx, empty); !errors.Is(err, apperr.ErrNotFound) {
			t.Errorf("DealOrder of a deal won without products: %v", err)
		}
		_, err = e.svc.SetDealProducts(e.ctx, dealID, nil)
		if v := apperr.AsValidation(err); v == nil || v.For("products") == "" {
			t.Errorf("products of a won deal changed: %v", err)
		}
		// A rolled-back win leaves no order.
		other := deal(t, d, "EUR", "", "", second.ID)
		if _, err := e.svc.SetDealProducts(e.ctx, other, []order.DealProductInput{{ProductID: gadget.ID, Quantity: 1}}); err != nil {
			t.Fatal(err)
		}
		_ = d.WithTx(e.ctx, func(tx *db.Tx) error {
			if err := e.svc.PlaceForWonDeal(e.ctx, tx, other); err != nil {
				return err
			}
			return errors.New("the deal's save failed")
		})
		var n int
		d.R.QueryRow(`SELECT COUNT(*) FROM orders WHERE deal_id = $1`, other).Scan(&n)
		if n != 0 {
			t.Errorf("rolled-back win left %d orders", n)
		}
	})
}

func TestPrivacy(t *testing.T) {
	dbtest.Run(t, func(t *testing.T, d *db.DB) {
		e := newEnv(t, d)
		grace := e.contact(t, "Grace", "", "")
		o, err := e.svc.Create(e.ctx, order.Input{ContactID: p(grace.ID), Currency: p("EUR"), Notes: p("Grace wants gift wrap"),
			Lines: &[]order.LineInput{{Description: "Service", Quantity: 2, UnitPrice: i64(500)}}})
		if err != nil {
			t.Fatal(err)
		}
		privacy := gdpr.New(d, e.contacts)
		privacy.Register(e.svc.PrivacyPart())
		exp, err := e.svc.PrivacyPart().Export(e.ctx, d.R, grace.ID)
		if orders, ok := exp.([]order.Order); err != nil || !ok || len(orders) != 1 || orders[0].Total != 1000 {
			t.Fatalf("export %+v, %v", exp, err)
		}
		if _, err := privacy.Erase(e.ctx, grace.ID, "request"); err != nil {
			t.Fatal(err)
		}
		kept, err := e.svc.ByID(e.ctx, o.ID)
		if err != nil || kept.ContactID != "" || kept.Notes != "" || kept.Total != 1000 || len(kept.Lines) != 1 {
			t.Errorf("after erasure: %+v, %v", kept, err)
		}
	})
}
