package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
)

// dealsObject is the permission object of deals (internal/deal registers
// it); the products on a deal are part of the deal.
const dealsObject = "deals"

// DealProduct is a product on a deal before it is won.
type DealProduct struct {
	ID          string `json:"id"`
	ProductID   string `json:"product_id"`
	Name        string `json:"name"`
	SKU         string `json:"sku,omitempty"`
	Quantity    int64  `json:"quantity"`
	UnitPrice   int64  `json:"unit_price"`
	LineTotal   int64  `json:"line_total"`
	Currency    string `json:"currency"`
	Description string `json:"-"`
}

// DealProductInput is one product to put on a deal.
type DealProductInput struct {
	ProductID string `json:"product_id"`
	Quantity  int64  `json:"quantity"`
	// UnitPrice in minor units; nil takes the product's price.
	UnitPrice *int64 `json:"unit_price,omitempty"`
}

// dealRow is what orders read of a deal, by their own SQL: the forecast
// and orders are read models over the deal tables, not callers of the
// deal service.
type dealRow struct {
	ID, Name, Currency, Status, OwnerID, CompanyID string
}

func readDeal(ctx context.Context, q db.Querier, dealID string) (dealRow, error) {
	if !id.Valid(dealID) {
		return dealRow{}, fmt.Errorf("deal %q: %w", dealID, apperr.ErrNotFound)
	}
	var d dealRow
	var owner, company sql.NullString
	err := q.QueryRowContext(ctx, `SELECT id, name, currency, status, owner_id, company_id FROM deals
		WHERE id = $1 AND deleted_at IS NULL`, dealID).Scan(&d.ID, &d.Name, &d.Currency, &d.Status, &owner, &company)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("deal %s: %w", dealID, apperr.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("order: read deal: %w", err)
	}
	d.OwnerID, d.CompanyID = owner.String, company.String
	return d, nil
}

// visibleDeal reads a deal the actor may see for action.
func (s *Service) visibleDeal(ctx context.Context, dealID string, action access.Action) (dealRow, error) {
	if _, err := access.Check(ctx, dealsObject, action); err != nil {
		return dealRow{}, err
	}
	d, err := readDeal(ctx, s.db.R, dealID)
	if err != nil {
		return d, err
	}
	return d, access.CheckOwner(ctx, s.db.R, d.OwnerID, "deal "+d.ID)
}

// DealProducts returns the products on a deal.
func (s *Service) DealProducts(ctx context.Context, dealID string) ([]DealProduct, error) {
	d, err := s.visibleDeal(ctx, dealID, access.Read)
	if err != nil {
		return nil, err
	}
	return dealProducts(ctx, s.db.R, d)
}

func dealProducts(ctx context.Context, q db.Querier, d dealRow) ([]DealProduct, error) {
	rows, err := q.QueryContext(ctx, `SELECT dp.id, dp.product_id, p.name, COALESCE(p.sku, ''), dp.quantity,
		dp.unit_price, p.description FROM deal_products dp JOIN products p ON p.id = dp.product_id
		WHERE dp.deal_id = $1 ORDER BY dp.position`, d.ID)
	if err != nil {
		return nil, fmt.Errorf("order: deal products: %w", err)
	}
	defer rows.Close()
	out := []DealProduct{}
	for rows.Next() {
		var x DealProduct
		if err := rows.Scan(&x.ID, &x.ProductID, &x.Name, &x.SKU, &x.Quantity, &x.UnitPrice, &x.Description); err != nil {
			return nil, fmt.Errorf("order: deal products: %w", err)
		}
		x.LineTotal, x.Currency = x.Quantity*x.UnitPrice, d.Currency
		out = append(out, x)
	}
	return out, rows.Err()
}

// SetDealProducts replaces the products on an open deal. Every product
// must be active and priced in the deal's currency.
func (s *Service) SetDealProducts(ctx context.Context, dealID string, in []DealProductInput) ([]DealProduct, error) {
	d, err := s.visibleDeal(ctx, dealID, access.Update)
	if err != nil {
		return nil, err
	}
	actor, _ := access.ActorFrom(ctx)
	var v apperr.Validation
	if d.Status != "open" {
		v.Add("products", "This deal is closed; its products can no longer change.")
	}
	if len(in) > MaxLines {
		v.Add("products", fmt.Sprintf("Use at most %d products.", MaxLines))
	}
	lines := make([]LineInput, len(in))
	for i, x := range in {
		lines[i] = LineInput{ProductID: x.ProductID, Quantity: x.Quantity, UnitPrice: x.UnitPrice}
		if x.ProductID == "" {
			v.Add(fmt.Sprintf("products[%d].product_id", i), "Choose a product from the catalogue.")
		}
	}
	o := Order{Currency: d.Currency}
	if len(in) > 0 && v.Err() == nil {
		var lv apperr.Validation
		if err := s.lines(ctx, &o, lines, &lv); err != nil {
			return nil, err
		}
		for _, f := range lv.Fields {
			v.Add("products"+f.Field[len("lines"):], f.Message)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM deal_products WHERE deal_id = $1`, d.ID); err != nil {
			return fmt.Errorf("order: deal products: %w", err)
		}
		now := db.T(db.Now())
		for i, l := range o.Lines {
			if _, err := tx.ExecContext(ctx, `INSERT INTO deal_products (id, deal_id, product_id, position, quantity,
				unit_price, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
				id.New(), d.ID, l.ProductID, i, l.Quantity, l.UnitPrice, now); err != nil {
				return fmt.Errorf("order: deal products: %w", err)
			}
		}
		return recordDealProducts(ctx, tx, actor, d, o)
	})
	if err != nil {
		return nil, err
	}
	return dealProducts(ctx, s.db.R, d)
}

// recordDealProducts records deal.products_changed on the deal's timeline.
func recordDealProducts(ctx context.Context, tx *db.Tx, actor access.Actor, d dealRow, o Order) error {
	items := make([]map[string]any, len(o.Lines))
	for i, l := range o.Lines {
		items[i] = map[string]any{"product_id": l.ProductID, "name": l.Description, "quantity": l.Quantity,
			"unit_price": l.UnitPrice}
	}
	_, err := event.Record(ctx, tx, event.Event{Kind: "deal.products_changed", ActorID: actor.UserID,
		SubjectType: "deal", SubjectID: d.ID, DealID: d.ID, CompanyID: d.CompanyID,
		Data: map[string]any{"name": d.Name, "products": items, "total": o.Total, "currency": d.Currency}})
	return err
}

// PlaceForWonDeal turns the products on a won deal into an order, inside
// the deal's own transaction tx: linked to the deal, its first contact and
// its company, owned by the deal's owner, in the deal's currency. A deal
// without products places nothing, and a deal gets at most one order (won,
// reopened and won again, it keeps the first). A deal without contacts
// still gets its order, linked to the company: the sale happened.
//
// The permission to win the deal covers the order that follows from it.
func (s *Service) PlaceForWonDeal(ctx context.Context, tx *db.Tx, dealID string) error {
	d, err := readDeal(ctx, tx, dealID)
	if err != nil {
		return err
	}
	var existing int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders WHERE deal_id = $1`, d.ID).Scan(&existing); err != nil {
		return fmt.Errorf("order: won deal: %w", err)
	}
	if existing > 0 {
		return nil
	}
	products, err := dealProducts(ctx, tx, d)
	if err != nil || len(products) == 0 {
		return err
	}
	o := Order{DealID: d.ID, CompanyID: d.CompanyID, OwnerID: d.OwnerID, Status: Pending, Currency: d.Currency,
		OrderDate: db.Now().Format(db.DateLayout)}
	var contactID sql.NullString
	err = tx.QueryRowContext(ctx, `SELECT dc.contact_id FROM deal_contacts dc JOIN contacts c ON c.id = dc.contact_id
		WHERE dc.deal_id = $1 AND c.deleted_at IS NULL ORDER BY dc.position LIMIT 1`, d.ID).Scan(&contactID)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("order: won deal: %w", err)
	}
	o.ContactID = contactID.String
	if o.CompanyID == "" && o.ContactID != "" {
		var company sql.NullString
		if err := tx.QueryRowContext(ctx, `SELECT company_id FROM contacts WHERE id = $1`, o.ContactID).Scan(&company); err != nil {
			return fmt.Errorf("order: won deal: %w", err)
		}
		o.CompanyID = company.String
	}
	for _, p := range products {
		o.Lines = append(o.Lines, Line{ProductID: p.ProductID, SKU: p.SKU, Description: p.Name, Quantity: p.Quantity,
			UnitPrice: p.UnitPrice, LineTotal: p.LineTotal})
		o.Total += p.LineTotal
	}
	actor, _ := access.ActorFrom(ctx)
	return s.placeTx(ctx, tx, actor, &o, &d)
}

// DealOrder returns the order a won deal placed, if the actor may see it;
// apperr.ErrNotFound when the deal has none (not won, won without
// products, or its order deleted).
func (s *Service) DealOrder(ctx context.Context, dealID string) (Order, error) {
	if _, err := access.Check(ctx, Orders, access.Read); err != nil {
		return Order{}, err
	}
	var orderID string
	err := s.db.R.QueryRowContext(ctx, `SELECT id FROM orders WHERE deal_id = $1 AND deleted_at IS NULL`, dealID).Scan(&orderID)
	if errors.Is(err, sql.ErrNoRows) {
		return Order{}, fmt.Errorf("order of deal %q: %w", dealID, apperr.ErrNotFound)
	}
	if err != nil {
		return Order{}, fmt.Errorf("order of deal: %w", err)
	}
	return s.load(ctx, s.db.R, orderID)
}
