// Package order holds the product catalogue and the orders contacts place:
// line items (a catalogue product or free text), a date, a status and a
// total computed here, never taken from the client. Orders are the purchase
// history later insight reads, so each one is an event on its contact's
// and company's timelines.
//
// Products live in this package too: they exist to be put on orders and
// on deals, every rule that reads them (price, currency, active) is an
// order rule, and one package spares a cross-package interface for a
// catalogue of a few dozen rows.
package order

import (
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/record"
)

// Objects in the permission model.
const (
	// Products is the catalogue: everyone who works with customers reads
	// it; among the built-in roles only owners and admins change it.
	// Custom roles get what their permissions say.
	Products = "products"
	// Orders are owned records: an order's owner_id (the contact's owner
	// when the order is placed, the deal's owner for a won deal) decides
	// who sees it under the own/team scopes, like contacts and companies.
	Orders = "orders"
)

func init() {
	access.Register(access.Object{Name: Products, Label: "Products"})
	access.Register(access.Object{Name: Orders, Label: "Orders", Owned: true})
}

// Statuses an order goes through; cancelled and refunded are final.
const (
	Pending   = "pending"
	Paid      = "paid"
	Fulfilled = "fulfilled"
	Cancelled = "cancelled"
	Refunded  = "refunded"
)

// Statuses lists the statuses in the order pages show them.
var Statuses = []string{Pending, Paid, Fulfilled, Cancelled, Refunded}

// StatusLabel is a status as pages show it.
func StatusLabel(s string) string {
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// next says which statuses an order may move to from each status.
var next = map[string][]string{
	Pending:   {Paid, Fulfilled, Cancelled},
	Paid:      {Pending, Fulfilled, Cancelled, Refunded},
	Fulfilled: {Paid, Refunded},
	Cancelled: {},
	Refunded:  {},
}

// CanMove reports whether an order in status from may move to to.
func CanMove(from, to string) bool { return from == to || slices.Contains(next[from], to) }

// Order is a purchase by a contact.
type Order struct {
	ID string `json:"id"`
	// Number is what people quote: #1001, #1002, ...
	Number      int64     `json:"number"`
	ContactID   string    `json:"contact_id,omitempty"`
	ContactName string    `json:"contact_name,omitempty"`
	CompanyID   string    `json:"company_id,omitempty"`
	CompanyName string    `json:"company_name,omitempty"`
	DealID      string    `json:"deal_id,omitempty"`
	OwnerID     string    `json:"owner_id,omitempty"`
	OwnerName   string    `json:"owner_name,omitempty"`
	OrderDate   string    `json:"order_date"`
	Status      string    `json:"status"`
	Currency    string    `json:"currency"`
	Total       int64     `json:"total"`
	Notes       string    `json:"notes"`
	Lines       []Line    `json:"lines"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
	CreatedBy   string    `json:"created_by,omitempty"`
	UpdatedBy   string    `json:"updated_by,omitempty"`
}

// Items counts the units on the order.
func (o Order) Items() int64 {
	var n int64
	for _, l := range o.Lines {
		n += l.Quantity
	}
	return n
}

// Line is one item of an order.
type Line struct {
	ID          string `json:"id"`
	ProductID   string `json:"product_id,omitempty"`
	SKU         string `json:"sku,omitempty"`
	Description string `json:"description"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unit_price"`
	LineTotal   int64  `json:"line_total"`
}

// LineInput is one item as given: a product (its name and price are the
// defaults) or free text with a price.
type LineInput struct {
	ProductID   string `json:"product_id,omitempty"`
	Description string `json:"description,omitempty"`
	Quantity    int64  `json:"quantity"`
	// UnitPrice in minor units; nil takes the product's price.
	UnitPrice *int64 `json:"unit_price,omitempty"`
}

// Input creates or changes an order; nil fields stay as they are. Lines,
// when set, replace every line and the total is computed again.
type Input struct {
	ContactID *string      `json:"contact_id,omitempty"`
	CompanyID *string      `json:"company_id,omitempty"`
	OwnerID   *string      `json:"owner_id,omitempty"`
	OrderDate *string      `json:"order_date,omitempty"`
	Status    *string      `json:"status,omitempty"`
	Currency  *string      `json:"currency,omitempty"`
	Notes     *string      `json:"notes,omitempty"`
	Lines     *[]LineInput `json:"lines,omitempty"`
}

// apply copies the set scalar fields of in onto o and checks them; lines
// and references are checked by the service, which reads the database.
func (in Input) apply(o *Order, v *apperr.Validation) {
	if in.ContactID != nil {
		o.ContactID = strings.TrimSpace(*in.ContactID)
	}
	if in.CompanyID != nil {
		o.CompanyID = strings.TrimSpace(*in.CompanyID)
	}
	if in.OwnerID != nil {
		o.OwnerID = strings.TrimSpace(*in.OwnerID)
	}
	if in.OrderDate != nil {
		o.OrderDate = strings.TrimSpace(*in.OrderDate)
	}
	if in.Currency != nil {
		o.Currency = money.Normalise(*in.Currency)
	}
	if in.Notes != nil {
		o.Notes = *in.Notes
	}
	if _, err := time.Parse(time.DateOnly, o.OrderDate); err != nil {
		v.Add("order_date", "Enter the date as YYYY-MM-DD.")
	}
	if !money.Valid(o.Currency) {
		v.Add("currency", "Enter a three-letter ISO 4217 currency code, like EUR.")
	}
	record.Text(v, "notes", &o.Notes, 5000, true)
}

// fields are the values an update event compares.
func (o Order) fields() map[string]any {
	return map[string]any{"contact_id": o.ContactID, "company_id": o.CompanyID, "order_date": o.OrderDate,
		"currency": o.Currency, "total": o.Total, "notes": o.Notes, "owner_id": o.OwnerID}
}

// Product is an entry of the catalogue.
type Product struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	SKU         string    `json:"sku,omitempty"`
	Price       int64     `json:"price"`
	Currency    string    `json:"currency"`
	Active      bool      `json:"active"`
	Description string    `json:"description"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// ProductInput creates or changes a product; nil fields stay as they are.
type ProductInput struct {
	Name        *string `json:"name,omitempty"`
	SKU         *string `json:"sku,omitempty"`
	Price       *int64  `json:"price,omitempty"`
	Currency    *string `json:"currency,omitempty"`
	Active      *bool   `json:"active,omitempty"`
	Description *string `json:"description,omitempty"`
}

func (in ProductInput) apply(p *Product, v *apperr.Validation) {
	if in.Name != nil {
		p.Name = *in.Name
	}
	if in.SKU != nil {
		p.SKU = strings.TrimSpace(*in.SKU)
	}
	if in.Price != nil {
		p.Price = *in.Price
	}
	if in.Currency != nil {
		p.Currency = money.Normalise(*in.Currency)
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	record.Text(v, "name", &p.Name, 200, false)
	if p.Name == "" {
		v.Add("name", "Enter the product's name.")
	}
	record.Text(v, "sku", &p.SKU, 64, false)
	record.Text(v, "description", &p.Description, 2000, true)
	switch {
	case p.Price < 0:
		v.Add("price", "Enter a price of zero or more.")
	case p.Price > MaxAmount:
		v.Add("price", "Enter a smaller price.")
	}
	if !money.Valid(p.Currency) {
		v.Add("currency", "Enter a three-letter ISO 4217 currency code, like EUR.")
	}
}

func (p Product) fields() map[string]any {
	return map[string]any{"name": p.Name, "sku": p.SKU, "price": p.Price, "currency": p.Currency,
		"active": p.Active, "description": p.Description}
}
