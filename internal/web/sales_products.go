package web

import (
	"net/http"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/order"
)

// Settings → Products: the catalogue orders and deals pick from. Everyone
// reads it; the order service lets owners and admins (and custom roles
// given the right) change it, so the buttons follow canEditCatalogue.

// productRoutes registers the catalogue pages.
func (s *Server) productRoutes(page func(pattern string, h http.HandlerFunc)) {
	page("GET /settings/products", s.requireUser(s.productList))
	page("GET /settings/products/new", s.requireUser(s.productNew))
	page("POST /settings/products", s.requireUser(s.productCreate))
	page("GET /settings/products/{id}", s.requireUser(s.productEdit))
	page("POST /settings/products/{id}", s.requireUser(s.productUpdate))
	page("POST /settings/products/{id}/active", s.requireUser(s.productActive))
}

// canEditCatalogue mirrors the order service's catalogue rule, to leave
// out buttons it would refuse.
func canEditCatalogue(r *http.Request) bool {
	a, _ := access.ActorFrom(r.Context())
	if !access.Allowed(a, order.Products, access.Update) {
		return false
	}
	return a.System || a.Perms != nil || a.Role == "owner" || a.Role == "admin"
}

type productRow struct {
	order.Product
	PriceText string
}

type productsView struct {
	page
	Products []productRow
	Next     string
	CanEdit  bool
}

func (s *Server) productList(w http.ResponseWriter, r *http.Request) {
	p, err := s.orders.Products(r.Context(), order.ProductRequest{Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := productsView{page: s.page(r, "Products"), Next: p.Next, CanEdit: canEditCatalogue(r)}
	for _, x := range p.Rows {
		v.Products = append(v.Products, productRow{Product: x, PriceText: money.Format(x.Price, x.Currency)})
	}
	s.render(w, r, http.StatusOK, "products", v)
}

type productFormView struct {
	page
	ID, Name, SKU, Price, Currency, Description string
	Active                                      bool
	Errors                                      *apperr.Validation
}

func (s *Server) productNew(w http.ResponseWriter, r *http.Request) {
	if !canEditCatalogue(r) {
		s.forbidden(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "product_form", productFormView{page: s.page(r, "New product"), Currency: "EUR", Active: true})
}

func (s *Server) productEdit(w http.ResponseWriter, r *http.Request) {
	p, err := s.orders.Product(r.Context(), r.PathValue("id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !canEditCatalogue(r) {
		s.forbidden(w, r)
		return
	}
	s.render(w, r, http.StatusOK, "product_form", productFormView{page: s.page(r, "Edit "+p.Name), ID: p.ID, Name: p.Name,
		SKU: p.SKU, Price: money.FormatPlain(p.Price, p.Currency), Currency: p.Currency, Description: p.Description, Active: p.Active})
}

// postedProduct reads the form. A price that is not a number gets its own
// message and goes to the service as -1, which the service refuses, so
// nothing is saved and the other fields are still checked.
func postedProduct(r *http.Request) (productFormView, order.ProductInput, *apperr.Validation) {
	f := productFormView{Name: r.PostFormValue("name"), SKU: r.PostFormValue("sku"), Price: r.PostFormValue("price"),
		Currency: money.Normalise(r.PostFormValue("currency")), Description: r.PostFormValue("description"),
		Active: r.PostFormValue("active") != ""}
	in := order.ProductInput{Name: &f.Name, SKU: &f.SKU, Currency: &f.Currency, Description: &f.Description, Active: &f.Active}
	v := &apperr.Validation{}
	cur := f.Currency
	if !money.Valid(cur) {
		cur = "EUR" // the currency's own message comes from the service
	}
	price, msg := money.Parse(f.Price, cur)
	if msg != "" {
		v.Add("price", msg)
		price = -1
	}
	in.Price = &price
	return f, in, v
}

func (s *Server) productCreate(w http.ResponseWriter, r *http.Request) {
	f, in, v := postedProduct(r)
	if _, err := s.orders.CreateProduct(r.Context(), in); err != nil {
		s.productInvalid(w, r, f, "New product", v, err)
		return
	}
	s.redirect(w, r, "/settings/products", "Product "+f.Name+" added.")
}

func (s *Server) productUpdate(w http.ResponseWriter, r *http.Request) {
	f, in, v := postedProduct(r)
	f.ID = r.PathValue("id")
	if _, err := s.orders.UpdateProduct(r.Context(), f.ID, in); err != nil {
		s.productInvalid(w, r, f, "Edit product", v, err)
		return
	}
	s.redirect(w, r, "/settings/products", "Product "+f.Name+" saved.")
}

// productInvalid re-renders the form with the form's own messages (v)
// first and the service's after them.
func (s *Server) productInvalid(w http.ResponseWriter, r *http.Request, f productFormView, title string, v *apperr.Validation, err error) {
	fv, other := formError(err)
	if other != nil {
		s.fail(w, r, other)
		return
	}
	v.Merge(fv)
	f.page, f.Errors = s.page(r, title), v
	s.render(w, r, invalidStatus(v), "product_form", f)
}

func (s *Server) productActive(w http.ResponseWriter, r *http.Request) {
	active := r.PostFormValue("active") == "true"
	p, err := s.orders.UpdateProduct(r.Context(), r.PathValue("id"), order.ProductInput{Active: &active})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	msg := p.Name + " is no longer offered on new orders."
	if active {
		msg = p.Name + " is offered again."
	}
	s.redirect(w, r, "/settings/products", msg)
}
