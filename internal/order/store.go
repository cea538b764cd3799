package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

func sortName(name string) string { return strings.ToLower(name) }

// orderColumns reads an order with the names of its contact, company and
// owner.
const orderColumns = `o.id, o.number, o.contact_id, COALESCE(c.display_name, ''), o.company_id, COALESCE(m.name, ''),
	o.deal_id, o.owner_id, COALESCE(u.name, ''), o.order_date, o.status, o.currency, o.total, o.notes,
	o.created_at, o.updated_at, o.created_by, o.updated_by`

const orderFrom = ` FROM orders o LEFT JOIN contacts c ON c.id = o.contact_id
	LEFT JOIN companies m ON m.id = o.company_id LEFT JOIN users u ON u.id = o.owner_id`

func scanOrder(row interface{ Scan(...any) error }) (Order, error) {
	var o Order
	var contactID, companyID, dealID, ownerID, createdBy, updatedBy sql.NullString
	var date db.Date
	var created, updated db.Time
	err := row.Scan(&o.ID, &o.Number, &contactID, &o.ContactName, &companyID, &o.CompanyName, &dealID, &ownerID,
		&o.OwnerName, &date, &o.Status, &o.Currency, &o.Total, &o.Notes, &created, &updated, &createdBy, &updatedBy)
	o.ContactID, o.CompanyID, o.DealID, o.OwnerID = contactID.String, companyID.String, dealID.String, ownerID.String
	o.CreatedBy, o.UpdatedBy = createdBy.String, updatedBy.String
	o.OrderDate, o.CreatedAt, o.UpdatedAt = string(date), created.Time, updated.Time
	return o, err
}

func orderByID(ctx context.Context, q db.Querier, orderID string) (Order, error) {
	o, err := scanOrder(q.QueryRowContext(ctx, `SELECT `+orderColumns+orderFrom+`
		WHERE o.id = $1 AND o.deleted_at IS NULL`, orderID))
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("order %s: %w", orderID, apperr.ErrNotFound)
	}
	if err != nil {
		return o, fmt.Errorf("order: read %s: %w", orderID, err)
	}
	o.Lines, err = linesOf(ctx, q, o.ID)
	return o, err
}

func linesOf(ctx context.Context, q db.Querier, orderID string) ([]Line, error) {
	rows, err := q.QueryContext(ctx, `SELECT l.id, l.product_id, COALESCE(p.sku, ''), l.description, l.quantity,
		l.unit_price, l.line_total FROM order_lines l LEFT JOIN products p ON p.id = l.product_id
		WHERE l.order_id = $1 ORDER BY l.position`, orderID)
	if err != nil {
		return nil, fmt.Errorf("order: lines: %w", err)
	}
	defer rows.Close()
	out := []Line{}
	for rows.Next() {
		var l Line
		var product sql.NullString
		if err := rows.Scan(&l.ID, &product, &l.SKU, &l.Description, &l.Quantity, &l.UnitPrice, &l.LineTotal); err != nil {
			return nil, fmt.Errorf("order: lines: %w", err)
		}
		l.ProductID = product.String
		out = append(out, l)
	}
	return out, rows.Err()
}

func insertOrder(ctx context.Context, tx *db.Tx, o Order) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO orders (id, number, contact_id, company_id, deal_id, owner_id,
		order_date, status, currency, total, notes, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		o.ID, o.Number, db.NullString(o.ContactID), db.NullString(o.CompanyID), db.NullString(o.DealID),
		db.NullString(o.OwnerID), db.Date(o.OrderDate), o.Status, o.Currency, o.Total, o.Notes,
		db.T(o.CreatedAt), db.T(o.UpdatedAt), db.NullString(o.CreatedBy), db.NullString(o.UpdatedBy))
	if err != nil {
		return fmt.Errorf("order: insert: %w", err)
	}
	return nil
}

func updateOrder(ctx context.Context, tx *db.Tx, o Order) error {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET contact_id = $2, company_id = $3, owner_id = $4,
		order_date = $5, status = $6, currency = $7, total = $8, notes = $9, updated_at = $10, updated_by = $11
		WHERE id = $1 AND deleted_at IS NULL`,
		o.ID, db.NullString(o.ContactID), db.NullString(o.CompanyID), db.NullString(o.OwnerID), db.Date(o.OrderDate),
		o.Status, o.Currency, o.Total, o.Notes, db.T(o.UpdatedAt), db.NullString(o.UpdatedBy))
	if err != nil {
		return fmt.Errorf("order: update: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("order %s: %w", o.ID, apperr.ErrNotFound)
	}
	return nil
}

// insertLines writes lines of orderID, giving each its id.
func insertLines(ctx context.Context, tx *db.Tx, orderID string, lines []Line) error {
	for i := range lines {
		lines[i].ID = id.New()
		l := lines[i]
		if _, err := tx.ExecContext(ctx, `INSERT INTO order_lines (id, order_id, position, product_id, description,
			quantity, unit_price, line_total) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
			l.ID, orderID, i, db.NullString(l.ProductID), l.Description, l.Quantity, l.UnitPrice, l.LineTotal); err != nil {
			return fmt.Errorf("order: insert line: %w", err)
		}
	}
	return nil
}
