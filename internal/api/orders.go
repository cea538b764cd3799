package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/rapportcrm/rapport/internal/order"
)

// OrderStatus is an order's status.
type OrderStatus string

// Schema lists the statuses.
func (OrderStatus) Schema(huma.Registry) *huma.Schema {
	return enum("pending, paid, fulfilled, cancelled or refunded; cancelled and refunded are final.", order.Statuses)
}

// Product is an entry of the product catalogue.
type Product struct {
	ID          string    `json:"id" format:"uuid"`
	Name        string    `json:"name" example:"Widget Pro"`
	SKU         string    `json:"sku,omitempty" example:"WP-100" doc:"Unique among live products."`
	Price       int64     `json:"price" example:"125000" doc:"In minor units of currency (125000 = 1,250.00 EUR)."`
	Currency    string    `json:"currency" example:"EUR" doc:"ISO 4217 code."`
	Active      bool      `json:"active" doc:"Inactive products stay on past orders but are not offered on new ones."`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ProductInput creates a product (POST) or changes one (PATCH). A field
// left out stays as it is.
type ProductInput struct {
	Name        *string `json:"name,omitempty" example:"Widget" doc:"Required for a new product."`
	SKU         *string `json:"sku,omitempty" example:"WID-1" doc:"\"\" for none."`
	Price       *int64  `json:"price,omitempty" example:"1250" doc:"In minor units, zero or more. Required for a new product."`
	Currency    *string `json:"currency,omitempty" example:"EUR" doc:"ISO 4217 code. Required for a new product."`
	Active      *bool   `json:"active,omitempty"`
	Description *string `json:"description,omitempty"`
}

func (in ProductInput) service() order.ProductInput {
	return order.ProductInput{Name: in.Name, SKU: in.SKU, Price: in.Price, Currency: in.Currency, Active: in.Active,
		Description: in.Description}
}

func toProduct(p order.Product) Product {
	return Product{ID: p.ID, Name: p.Name, SKU: p.SKU, Price: p.Price, Currency: p.Currency, Active: p.Active,
		Description: p.Description, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// ProductPage is one page of products, by name.
type ProductPage struct {
	Data       []Product `json:"data"`
	NextCursor string    `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
}

// OrderLine is one item of an order.
type OrderLine struct {
	ID          string `json:"id" format:"uuid"`
	ProductID   string `json:"product_id,omitempty" format:"uuid" doc:"Absent for a free-text line."`
	SKU         string `json:"sku,omitempty"`
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unit_price" doc:"Minor units of the order's currency."`
	LineTotal   int64  `json:"line_total" doc:"quantity × unit_price."`
}

// OrderLineInput is one item to put on an order: a product, or free text
// with a price.
type OrderLineInput struct {
	ProductID   string `json:"product_id,omitempty" doc:"A live, active product priced in the order's currency; leave out for a free-text line."`
	Description string `json:"description,omitempty" example:"Setup and training" doc:"Defaults to the product's name; required for a free-text line."`
	Quantity    int64  `json:"quantity" example:"2" doc:"1 or more."`
	UnitPrice   *int64 `json:"unit_price,omitempty" example:"50000" doc:"Minor units; defaults to the product's price; required for a free-text line."`
}

// Order is a purchase by a contact. The total is computed by the server.
type Order struct {
	ID          string      `json:"id" format:"uuid"`
	Number      int64       `json:"number" example:"1042" doc:"The number people quote."`
	ContactID   string      `json:"contact_id,omitempty" format:"uuid" doc:"Absent once the person was erased."`
	ContactName string      `json:"contact_name,omitempty"`
	CompanyID   string      `json:"company_id,omitempty" format:"uuid"`
	CompanyName string      `json:"company_name,omitempty"`
	DealID      string      `json:"deal_id,omitempty" format:"uuid" doc:"The won deal the order came from."`
	OwnerID     string      `json:"owner_id,omitempty" format:"uuid"`
	OwnerName   string      `json:"owner_name,omitempty"`
	OrderDate   string      `json:"order_date" format:"date"`
	Status      OrderStatus `json:"status"`
	Currency    string      `json:"currency" example:"EUR"`
	Total       int64       `json:"total" doc:"Minor units: the sum of the line totals."`
	Notes       string      `json:"notes"`
	Lines       []OrderLine `json:"lines"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// OrderInput places an order (POST) or changes one (PATCH). A field left
// out stays as it is; lines, when sent, replace every line.
type OrderInput struct {
	ContactID *string           `json:"contact_id,omitempty" example:"01890a5d-ac96-774b-bcce-b302099a8057" doc:"Required for a new order."`
	CompanyID *string           `json:"company_id,omitempty" doc:"Defaults to the contact's primary company."`
	OwnerID   *string           `json:"owner_id,omitempty" doc:"Defaults to the contact's owner."`
	OrderDate *string           `json:"order_date,omitempty" example:"2026-03-01" doc:"YYYY-MM-DD; defaults to today."`
	Status    *OrderStatus      `json:"status,omitempty"`
	Currency  *string           `json:"currency,omitempty" example:"EUR" doc:"ISO 4217 code; required for a new order."`
	Notes     *string           `json:"notes,omitempty"`
	Lines     *[]OrderLineInput `json:"lines,omitempty" doc:"At least one line for a new order."`
}

func (in OrderInput) service() order.Input {
	out := order.Input{ContactID: in.ContactID, CompanyID: in.CompanyID, OwnerID: in.OwnerID, OrderDate: in.OrderDate,
		Currency: in.Currency, Notes: in.Notes}
	if in.Status != nil {
		s := string(*in.Status)
		out.Status = &s
	}
	if in.Lines != nil {
		lines := make([]order.LineInput, len(*in.Lines))
		for i, l := range *in.Lines {
			lines[i] = order.LineInput{ProductID: l.ProductID, Description: l.Description, Quantity: l.Quantity,
				UnitPrice: l.UnitPrice}
		}
		out.Lines = &lines
	}
	return out
}

func toOrder(o order.Order) Order {
	out := Order{ID: o.ID, Number: o.Number, ContactID: o.ContactID, ContactName: o.ContactName, CompanyID: o.CompanyID,
		CompanyName: o.CompanyName, DealID: o.DealID, OwnerID: o.OwnerID, OwnerName: o.OwnerName,
		OrderDate: o.OrderDate, Status: OrderStatus(o.Status), Currency: o.Currency, Total: o.Total, Notes: o.Notes,
		Lines: []OrderLine{}, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	for _, l := range o.Lines {
		out.Lines = append(out.Lines, OrderLine{ID: l.ID, ProductID: l.ProductID, SKU: l.SKU, Description: l.Description,
			Quantity: l.Quantity, UnitPrice: l.UnitPrice, LineTotal: l.LineTotal})
	}
	return out
}

// OrderPage is one page of orders, newest first, without their lines.
type OrderPage struct {
	Data       []Order `json:"data"`
	NextCursor string  `json:"next_cursor,omitempty" doc:"Pass as cursor to get the next page; absent on the last page."`
}

// DealProduct is a product on a deal before it is won.
type DealProduct struct {
	ID        string `json:"id" format:"uuid"`
	ProductID string `json:"product_id" format:"uuid"`
	Name      string `json:"name"`
	SKU       string `json:"sku,omitempty"`
	Quantity  int64  `json:"quantity"`
	UnitPrice int64  `json:"unit_price"`
	LineTotal int64  `json:"line_total"`
	Currency  string `json:"currency"`
}

// DealProductInput is one product to put on a deal.
type DealProductInput struct {
	ProductID string `json:"product_id" doc:"An active product priced in the deal's currency."`
	Quantity  int64  `json:"quantity" doc:"1 or more."`
	UnitPrice *int64 `json:"unit_price,omitempty" doc:"Minor units; defaults to the product's price."`
}

// DealProducts are the products on a deal.
type DealProducts struct {
	Data []DealProduct `json:"data"`
}

// DealProductsInput replaces the products on an open deal.
type DealProductsInput struct {
	Products []DealProductInput `json:"products" doc:"Every product the deal should have; [] clears them."`
}

type productListParams struct {
	Cursor   string `query:"cursor" doc:"Opaque cursor from a previous page's next_cursor."`
	Limit    int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	Active   bool   `query:"active" doc:"true leaves out deactivated products."`
	Currency string `query:"currency" doc:"Only products priced in this ISO 4217 currency."`
}
type orderListParams struct {
	Cursor    string `query:"cursor" doc:"Opaque cursor from a previous page's next_cursor."`
	Limit     int    `query:"limit" minimum:"1" maximum:"200" default:"50"`
	ContactID string `query:"contact_id" doc:"Only this contact's orders."`
	CompanyID string `query:"company_id" doc:"Only this company's orders."`
	Status    string `query:"status" doc:"Only orders in this status."`
}
type productIn struct{ Body ProductInput }
type productPatch struct {
	IDPath
	Body ProductInput
}
type productOut struct{ Body Product }
type productCreated struct {
	Location string `header:"Location"`
	Body     Product
}
type productPageOut struct{ Body ProductPage }
type orderIn struct{ Body OrderInput }
type orderPatch struct {
	IDPath
	Body OrderInput
}
type orderOut struct{ Body Order }
type orderCreated struct {
	Location string `header:"Location"`
	Body     Order
}
type orderPageOut struct{ Body OrderPage }
type dealProductsIn struct {
	IDPath
	Body DealProductsInput
}
type dealProductsOut struct{ Body DealProducts }

func (a *API) orderRoutes() {
	tags := []string{"Products"}
	p := Prefix + "/products"
	register(a, huma.Operation{OperationID: "list-products", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List products", Errors: []int{http.StatusUnprocessableEntity}}, a.listProducts)
	register(a, huma.Operation{OperationID: "create-product", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Create a product", Description: "Owners and admins manage the catalogue; every role reads it.",
		DefaultStatus: http.StatusCreated, Errors: []int{http.StatusConflict}}, a.createProduct)
	register(a, huma.Operation{OperationID: "get-product", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get a product", Errors: []int{http.StatusNotFound}}, a.getProduct)
	register(a, huma.Operation{OperationID: "update-product", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change a product", Description: "Send active: false to stop offering it.",
		Errors: []int{http.StatusNotFound, http.StatusConflict}}, a.updateProduct)
	register(a, huma.Operation{OperationID: "delete-product", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete a product", Description: "Past orders keep their lines; deals lose the product.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteProduct)

	tags = []string{"Orders"}
	p = Prefix + "/orders"
	register(a, huma.Operation{OperationID: "list-orders", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List orders", Description: "Newest first, keyset-paginated.",
		Errors: []int{http.StatusUnprocessableEntity}}, a.listOrders)
	register(a, huma.Operation{OperationID: "create-order", Method: http.MethodPost, Path: p, Tags: tags,
		Summary: "Place an order", Description: "The total is the sum of the lines, computed by the server.",
		DefaultStatus: http.StatusCreated}, a.createOrder)
	register(a, huma.Operation{OperationID: "get-order", Method: http.MethodGet, Path: p + "/{id}", Tags: tags,
		Summary: "Get an order with its lines", Errors: []int{http.StatusNotFound}}, a.getOrder)
	register(a, huma.Operation{OperationID: "update-order", Method: http.MethodPatch, Path: p + "/{id}", Tags: tags,
		Summary: "Change an order", Description: "Send status: cancelled to cancel it; lines replace every line.",
		Errors: []int{http.StatusNotFound}}, a.updateOrder)
	register(a, huma.Operation{OperationID: "delete-order", Method: http.MethodDelete, Path: p + "/{id}", Tags: tags,
		Summary: "Delete an order", Description: "For an order entered by mistake; cancel a real one instead.",
		DefaultStatus: http.StatusNoContent, Errors: []int{http.StatusNotFound}}, a.deleteOrder)

	tags = []string{"Deals"}
	p = Prefix + "/deals/{id}/products"
	register(a, huma.Operation{OperationID: "list-deal-products", Method: http.MethodGet, Path: p, Tags: tags,
		Summary: "List a deal's products", Errors: []int{http.StatusNotFound}}, a.dealProducts)
	register(a, huma.Operation{OperationID: "set-deal-products", Method: http.MethodPut, Path: p, Tags: tags,
		Summary: "Replace a deal's products", Description: "When the deal is won they become its order.",
		Errors: []int{http.StatusNotFound}}, a.setDealProducts)
}

func (a *API) listProducts(ctx context.Context, in *productListParams) (*productPageOut, error) {
	page, err := a.o.Orders.Products(ctx, order.ProductRequest{ActiveOnly: in.Active, Currency: in.Currency,
		Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &productPageOut{Body: ProductPage{Data: []Product{}, NextCursor: page.Next}}
	for _, p := range page.Rows {
		out.Body.Data = append(out.Body.Data, toProduct(p))
	}
	return out, nil
}

func (a *API) createProduct(ctx context.Context, in *productIn) (*productCreated, error) {
	p, err := a.o.Orders.CreateProduct(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &productCreated{Location: Prefix + "/products/" + p.ID, Body: toProduct(p)}, nil
}

func (a *API) getProduct(ctx context.Context, in *IDPath) (*productOut, error) {
	p, err := a.o.Orders.Product(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &productOut{Body: toProduct(p)}, nil
}

func (a *API) updateProduct(ctx context.Context, in *productPatch) (*productOut, error) {
	p, err := a.o.Orders.UpdateProduct(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &productOut{Body: toProduct(p)}, nil
}

func (a *API) deleteProduct(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Orders.DeleteProduct(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func (a *API) listOrders(ctx context.Context, in *orderListParams) (*orderPageOut, error) {
	page, err := a.o.Orders.List(ctx, order.ListRequest{ContactID: in.ContactID, CompanyID: in.CompanyID,
		Status: in.Status, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	out := &orderPageOut{Body: OrderPage{Data: []Order{}, NextCursor: page.Next}}
	for _, o := range page.Rows {
		out.Body.Data = append(out.Body.Data, toOrder(o))
	}
	return out, nil
}

func (a *API) createOrder(ctx context.Context, in *orderIn) (*orderCreated, error) {
	o, err := a.o.Orders.Create(ctx, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &orderCreated{Location: Prefix + "/orders/" + o.ID, Body: toOrder(o)}, nil
}

func (a *API) getOrder(ctx context.Context, in *IDPath) (*orderOut, error) {
	o, err := a.o.Orders.ByID(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &orderOut{Body: toOrder(o)}, nil
}

func (a *API) updateOrder(ctx context.Context, in *orderPatch) (*orderOut, error) {
	o, err := a.o.Orders.Update(ctx, in.ID, in.Body.service())
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return &orderOut{Body: toOrder(o)}, nil
}

func (a *API) deleteOrder(ctx context.Context, in *IDPath) (*Deleted, error) {
	if err := a.o.Orders.Delete(ctx, in.ID); err != nil {
		return nil, a.fail(ctx, err)
	}
	return &Deleted{}, nil
}

func toDealProducts(list []order.DealProduct) *dealProductsOut {
	out := &dealProductsOut{Body: DealProducts{Data: []DealProduct{}}}
	for _, x := range list {
		out.Body.Data = append(out.Body.Data, DealProduct{ID: x.ID, ProductID: x.ProductID, Name: x.Name, SKU: x.SKU,
			Quantity: x.Quantity, UnitPrice: x.UnitPrice, LineTotal: x.LineTotal, Currency: x.Currency})
	}
	return out
}

func (a *API) dealProducts(ctx context.Context, in *IDPath) (*dealProductsOut, error) {
	list, err := a.o.Orders.DealProducts(ctx, in.ID)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return toDealProducts(list), nil
}

func (a *API) setDealProducts(ctx context.Context, in *dealProductsIn) (*dealProductsOut, error) {
	items := make([]order.DealProductInput, len(in.Body.Products))
	for i, x := range in.Body.Products {
		items[i] = order.DealProductInput{ProductID: x.ProductID, Quantity: x.Quantity, UnitPrice: x.UnitPrice}
	}
	list, err := a.o.Orders.SetDealProducts(ctx, in.ID, items)
	if err != nil {
		return nil, a.fail(ctx, err)
	}
	return toDealProducts(list), nil
}
