package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/order"
)

// Orders: the list, an order's page, an order recorded by hand for a
// contact, the orders panel of the contact page and the products panel of
// a deal. Totals are computed by the order service, never read from forms.

// orderRoutes registers the order, product and forecast pages.
func (s *Server) orderRoutes(page func(pattern string, h http.HandlerFunc)) {
	if s.orders == nil {
		return
	}
	page("GET /orders", s.requireUser(s.orderList))
	page("GET /orders/new", s.requireUser(s.orderNew))
	page("POST /orders", s.requireUser(s.orderCreate))
	page("GET /orders/{id}", s.requireUser(s.orderShow))
	page("POST /orders/{id}/status", s.requireUser(s.orderStatus))
	page("GET /contacts/{id}/orders", s.requireUser(s.contactOrders))
	page("GET /companies/{id}/orders", s.requireUser(s.companyOrders))
	page("GET /deals/{id}/products", s.requireUser(s.dealProducts))
	page("POST /deals/{id}/products", s.requireUser(s.dealProductsSave))
	s.productRoutes(page)
	s.forecastRoutes(page)
}

func init() {
	registerSentence("order.placed", func(t eventText) string {
		what := fmt.Sprintf("order #%s — %s, %s", t.num("number"), count(int(t.int("items")), "item", "items"),
			money.Format(t.int("total"), t.Str("currency")))
		if deal := t.Str("deal"); deal != "" {
			return fmt.Sprintf("%s won %s: %s", t.Actor, deal, what)
		}
		return t.Actor + " recorded " + what
	})
	registerSentence("order.updated", func(t eventText) string {
		return fmt.Sprintf("%s changed order #%s (now %s)", t.Actor, t.num("number"), money.Format(t.int("total"), t.Str("currency")))
	})
	registerSentence("order.status_changed", func(t eventText) string {
		return fmt.Sprintf("%s marked order #%s %s", t.Actor, t.num("number"), t.Str("after"))
	})
	registerSentence("order.cancelled", func(t eventText) string {
		return fmt.Sprintf("%s cancelled order #%s (%s)", t.Actor, t.num("number"), money.Format(t.int("total"), t.Str("currency")))
	})
	registerSentence("order.deleted", func(t eventText) string {
		return fmt.Sprintf("%s deleted order #%s", t.Actor, t.num("number"))
	})
	registerSentence("deal.products_changed", func(t eventText) string {
		return fmt.Sprintf("%s changed the products on %s (%s)", t.Actor, t.This, money.Format(t.int("total"), t.Str("currency")))
	})
}

// int returns the number stored under key in the event's data, or 0.
func (t eventText) int(key string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(string(t.Data[key])), 10, 64)
	return n
}

func (t eventText) num(key string) string { return strconv.FormatInt(t.int(key), 10) }

// orderRow is an order as lists show it.
type orderRow struct {
	order.Order
	TotalText string
}

func rowOf(o order.Order) orderRow {
	return orderRow{Order: o, TotalText: money.Format(o.Total, o.Currency)}
}

type ordersView struct {
	page
	Orders   []orderRow
	Status   string
	Statuses []string
	Next     string
}

func (s *Server) orderList(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, err := s.orders.List(r.Context(), order.ListRequest{Status: q.Get("status"), ContactID: q.Get("contact_id"),
		CompanyID: q.Get("company_id"), Cursor: q.Get("cursor")})
	if v := apperr.AsValidation(err); v != nil {
		p, err = s.orders.List(r.Context(), order.ListRequest{})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := ordersView{page: s.page(r, "Orders"), Status: q.Get("status"), Statuses: order.Statuses}
	for _, o := range p.Rows {
		v.Orders = append(v.Orders, rowOf(o))
	}
	if p.Next != "" {
		v.Next = "/orders?cursor=" + p.Next
		if v.Status != "" {
			v.Next += "&status=" + url.QueryEscape(v.Status)
		}
		for _, k := range []string{"contact_id", "company_id"} {
			if x := q.Get(k); x != "" {
				v.Next += "&" + k + "=" + url.QueryEscape(x)
			}
		}
	}
	s.render(w, r, http.StatusOK, "orders", v)
}

type lineView struct {
	order.Line
	UnitText, TotalText string
}

type orderView struct {
	page
	Order     order.Order
	Lines     []lineView
	TotalText string
	Next      []string
	CanUpdate bool
	Errors    *apperr.Validation
}

func (s *Server) orderShow(w http.ResponseWriter, r *http.Request) {
	s.showOrder(w, r, http.StatusOK, r.PathValue("id"), nil)
}

func (s *Server) showOrder(w http.ResponseWriter, r *http.Request, status int, orderID string, verr *apperr.Validation) {
	o, err := s.orders.ByID(r.Context(), orderID)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := orderView{page: s.page(r, fmt.Sprintf("Order #%d", o.Number)), Order: o, TotalText: money.Format(o.Total, o.Currency),
		CanUpdate: allowed(r, order.Orders, access.Update), Errors: verr}
	for _, l := range o.Lines {
		v.Lines = append(v.Lines, lineView{Line: l, UnitText: money.Format(l.UnitPrice, o.Currency),
			TotalText: money.Format(l.LineTotal, o.Currency)})
	}
	for _, st := range order.Statuses {
		if st != o.Status && order.CanMove(o.Status, st) {
			v.Next = append(v.Next, st)
		}
	}
	s.render(w, r, status, "order", v)
}

func (s *Server) orderStatus(w http.ResponseWriter, r *http.Request) {
	st := r.PostFormValue("status")
	o, err := s.orders.Update(r.Context(), r.PathValue("id"), order.Input{Status: &st})
	if v := apperr.AsValidation(err); v != nil {
		s.showOrder(w, r, invalidStatus(v), r.PathValue("id"), v)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/orders/"+o.ID, fmt.Sprintf("Order #%d is now %s.", o.Number, o.Status))
}

// formLine is one row of the order form as typed, with its messages.
type formLine struct {
	Product, Description, Quantity, Price string
	Errors                                map[string]string
}

type orderFormView struct {
	page
	ContactID, ContactName string
	Currency, OrderDate    string
	Notes                  string
	Lines                  []formLine
	Products               []productRow
	Errors                 *apperr.Validation
}

// orderForm fills the form's product choices and pads the lines to at
// least three rows.
func (s *Server) orderForm(r *http.Request, f *orderFormView) error {
	p, err := s.orders.Products(r.Context(), order.ProductRequest{ActiveOnly: true, Limit: 200})
	if err != nil {
		return err
	}
	for _, x := range p.Rows {
		f.Products = append(f.Products, productRow{Product: x, PriceText: money.Format(x.Price, x.Currency)})
	}
	if f.Currency == "" {
		f.Currency = "EUR"
		if len(p.Rows) > 0 {
			f.Currency = p.Rows[0].Currency
		}
	}
	for len(f.Lines) < 3 {
		f.Lines = append(f.Lines, formLine{Quantity: "1"})
	}
	f.page = s.page(r, "New order")
	return nil
}

func (s *Server) orderNew(w http.ResponseWriter, r *http.Request) {
	if _, err := access.Check(r.Context(), order.Orders, access.Create); err != nil {
		s.fail(w, r, err)
		return
	}
	f := orderFormView{ContactID: r.URL.Query().Get("contact_id"), OrderDate: db.Now().Format(db.DateLayout)}
	if f.ContactID != "" {
		c, err := s.contacts.ByID(r.Context(), f.ContactID)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f.ContactName = c.DisplayName
	}
	if err := s.orderForm(r, &f); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "order_form", f)
}

// postedOrder reads the order form. Rows left blank are skipped; rowOf
// maps each line sent to the service back to its row, so messages land
// beside the right inputs.
func postedOrder(r *http.Request) (orderFormView, order.Input, []int, *apperr.Validation) {
	_ = r.ParseForm()
	f := orderFormView{ContactID: r.PostFormValue("contact_id"), ContactName: r.PostFormValue("contact_name"),
		Currency: money.Normalise(r.PostFormValue("currency")), OrderDate: r.PostFormValue("order_date"),
		Notes: r.PostFormValue("notes")}
	pf := r.PostForm
	v := &apperr.Validation{}
	var lines []order.LineInput
	var rows []int
	cur := f.Currency
	if !money.Valid(cur) {
		cur = "EUR"
	}
	for i := range pf["quantity"] {
		at := func(k string) string {
			if i < len(pf[k]) {
				return strings.TrimSpace(pf[k][i])
			}
			return ""
		}
		fl := formLine{Product: at("product"), Description: at("description"), Quantity: at("quantity"), Price: at("price"),
			Errors: map[string]string{}}
		f.Lines = append(f.Lines, fl)
		if fl.Product == "" && fl.Description == "" && fl.Price == "" {
			continue
		}
		li := order.LineInput{ProductID: fl.Product, Description: fl.Description}
		field := fmt.Sprintf("lines[%d].", len(lines))
		if q, msg := order.ParseQuantity(fl.Quantity); msg != "" {
			v.Add(field+"quantity", msg)
		} else {
			li.Quantity = q
		}
		if fl.Price != "" {
			p, msg := money.Parse(fl.Price, cur)
			if msg != "" {
				v.Add(field+"unit_price", msg)
			}
			li.UnitPrice = &p
		}
		lines = append(lines, li)
		rows = append(rows, i)
	}
	in := order.Input{ContactID: &f.ContactID, Currency: &f.Currency, OrderDate: &f.OrderDate, Notes: &f.Notes, Lines: &lines}
	return f, in, rows, v
}

func (s *Server) orderCreate(w http.ResponseWriter, r *http.Request) {
	f, in, rows, v := postedOrder(r)
	if len(v.Fields) > 0 {
		// A quantity or price that is not a number: still let the service
		// name everything else, but make sure it saves nothing.
		bad := int64(-1)
		for i := range *in.Lines {
			if v.For(fmt.Sprintf("lines[%d].quantity", i)) != "" {
				(*in.Lines)[i].Quantity = 0
			}
			if v.For(fmt.Sprintf("lines[%d].unit_price", i)) != "" {
				(*in.Lines)[i].UnitPrice = &bad
			}
		}
	}
	o, err := s.orders.Create(r.Context(), in)
	if err == nil {
		s.redirect(w, r, "/orders/"+o.ID, fmt.Sprintf("Order #%d recorded: %s.", o.Number, money.Format(o.Total, o.Currency)))
		return
	}
	sv, other := formError(err)
	if other != nil {
		s.fail(w, r, other)
		return
	}
	v.Merge(sv)
	// Line messages move beside their rows; the rest stay on the form.
	shown := &apperr.Validation{Conflict: v.Conflict}
	for _, fe := range v.Fields {
		var i int
		var name string
		if n, _ := fmt.Sscanf(fe.Field, "lines[%d].%s", &i, &name); n == 2 && i < len(rows) {
			f.Lines[rows[i]].Errors[name] = fe.Message
			shown.Add(fmt.Sprintf("line %d %s", rows[i]+1, name), fmt.Sprintf("Line %d: %s", rows[i]+1, fe.Message))
			continue
		}
		shown.Add(fe.Field, fe.Message)
	}
	f.Errors = shown
	if err := s.orderForm(r, &f); err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, invalidStatus(shown), "order_form", f)
}

// ordersPanelView is the orders panel of a contact's or company's page.
type ordersPanelView struct {
	Orders []orderRow
	// AllURL lists every order of the record; NewURL records one (only a
	// contact places orders, so it is empty on a company).
	AllURL, NewURL string
}

func (s *Server) contactOrders(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.contacts.ByID(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.orders.List(r.Context(), order.ListRequest{ContactID: id, Limit: 10})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := ordersPanelView{AllURL: "/orders?contact_id=" + id}
	if allowed(r, order.Orders, access.Create) {
		v.NewURL = "/orders/new?contact_id=" + id
	}
	for _, o := range p.Rows {
		v.Orders = append(v.Orders, rowOf(o))
	}
	s.fragment(w, r, http.StatusOK, "orders-panel", v)
}

func (s *Server) companyOrders(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if _, err := s.companies.ByID(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := s.orders.List(r.Context(), order.ListRequest{CompanyID: id, Limit: 10})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := ordersPanelView{AllURL: "/orders?company_id=" + id}
	for _, o := range p.Rows {
		v.Orders = append(v.Orders, rowOf(o))
	}
	s.fragment(w, r, http.StatusOK, "orders-panel", v)
}

// dealProductsView is the products panel of a deal's page: a small
// editable table; saving replaces the deal's products.
type dealProductsView struct {
	DealID    string
	Currency  string
	Rows      []formLine
	Products  []productRow
	TotalText string
	CanEdit   bool
	Saved     bool
	Errors    *apperr.Validation
	// Order is the order the deal placed when it was won; the products
	// are then that order's and no longer edited here.
	Order *dealOrderLink
}

type dealOrderLink struct {
	ID, Status, TotalText string
	Number                int64
}

func (s *Server) dealProductsPanel(r *http.Request, dealID string, rows []formLine, verr *apperr.Validation) (dealProductsView, error) {
	list, err := s.orders.DealProducts(r.Context(), dealID)
	if err != nil {
		return dealProductsView{}, err
	}
	var cur string
	if err := s.db.R.QueryRowContext(r.Context(), `SELECT currency FROM deals WHERE id = $1`, dealID).Scan(&cur); err != nil {
		return dealProductsView{}, err
	}
	v := dealProductsView{DealID: dealID, Currency: cur, CanEdit: allowed(r, "deals", access.Update), Errors: verr, Rows: rows}
	var total int64
	for _, x := range list {
		total += x.LineTotal
		if rows == nil {
			v.Rows = append(v.Rows, formLine{Product: x.ProductID, Quantity: strconv.FormatInt(x.Quantity, 10),
				Price: money.FormatPlain(x.UnitPrice, cur), Description: x.Name})
		}
	}
	v.TotalText = money.Format(total, cur)
	switch o, err := s.orders.DealOrder(r.Context(), dealID); {
	case err == nil:
		v.Order = &dealOrderLink{ID: o.ID, Number: o.Number, Status: o.Status, TotalText: money.Format(o.Total, o.Currency)}
		v.CanEdit = false
	case errors.Is(err, apperr.ErrNotFound), errors.Is(err, apperr.ErrForbidden):
		// No order, or one this user may not see.
	default:
		return v, err
	}
	if rows == nil && v.CanEdit {
		// A blank row to add a product on.
		v.Rows = append(v.Rows, formLine{Quantity: "1"})
	}
	p, err := s.orders.Products(r.Context(), order.ProductRequest{ActiveOnly: true, Currency: cur, Limit: 200})
	if err != nil {
		return v, err
	}
	for _, x := range p.Rows {
		v.Products = append(v.Products, productRow{Product: x, PriceText: money.Format(x.Price, x.Currency)})
	}
	return v, nil
}

func (s *Server) dealProducts(w http.ResponseWriter, r *http.Request) {
	v, err := s.dealProductsPanel(r, r.PathValue("id"), nil, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.fragment(w, r, http.StatusOK, "deal-products", v)
}

func (s *Server) dealProductsSave(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	dealID := r.PathValue("id")
	pf := r.PostForm
	var rows []formLine
	var in []order.DealProductInput
	var index []int
	v := &apperr.Validation{}
	for i := range pf["product"] {
		at := func(k string) string {
			if i < len(pf[k]) {
				return strings.TrimSpace(pf[k][i])
			}
			return ""
		}
		fl := formLine{Product: at("product"), Quantity: at("quantity"), Price: at("price"), Errors: map[string]string{}}
		rows = append(rows, fl)
		if fl.Product == "" {
			continue
		}
		x := order.DealProductInput{ProductID: fl.Product}
		q, msg := order.ParseQuantity(fl.Quantity)
		if msg != "" {
			fl.Errors["quantity"] = msg
			v.Add(fmt.Sprintf("row %d quantity", i+1), fmt.Sprintf("Row %d: %s", i+1, msg))
		}
		x.Quantity = q
		if fl.Price != "" {
			p, msg := money.Parse(fl.Price, pf.Get("currency"))
			if msg != "" {
				fl.Errors["price"] = msg
				v.Add(fmt.Sprintf("row %d price", i+1), fmt.Sprintf("Row %d: %s", i+1, msg))
			}
			x.UnitPrice = &p
		}
		in = append(in, x)
		index = append(index, i)
	}
	var err error
	if len(v.Fields) == 0 {
		_, err = s.orders.SetDealProducts(r.Context(), dealID, in)
		if sv := apperr.AsValidation(err); sv != nil {
			for _, fe := range sv.Fields {
				var i int
				var name string
				if n, _ := fmt.Sscanf(fe.Field, "products[%d].%s", &i, &name); n == 2 && i < len(index) {
					if name == "unit_price" {
						name = "price"
					}
					rows[index[i]].Errors[name] = fe.Message
					v.Add(fmt.Sprintf("row %d %s", index[i]+1, name), fmt.Sprintf("Row %d: %s", index[i]+1, fe.Message))
					continue
				}
				v.Add(fe.Field, fe.Message)
			}
			err = nil
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if len(v.Fields) > 0 {
		status = http.StatusUnprocessableEntity
	} else {
		rows, v = nil, nil
	}
	view, err := s.dealProductsPanel(r, dealID, rows, v)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view.Saved = v == nil
	if !htmx(r) && v == nil {
		// Without htmx (or before it has bound the form) the save is a
		// plain POST: say so on the deal's page.
		s.sessions.Put(r.Context(), "flash", "Products saved.")
		http.Redirect(w, r, "/deals/"+dealID, http.StatusSeeOther)
		return
	}
	s.fragment(w, r, status, "deal-products", view)
}
