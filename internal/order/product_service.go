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
	"github.com/rapportcrm/rapport/internal/record"
)

// checkCatalogue lets the actor change the catalogue: the permission, and
// for built-in roles below admin nothing but reading (the catalogue sets
// prices for everyone, so it is an admin's tool).
func checkCatalogue(ctx context.Context, action access.Action) (access.Actor, error) {
	a, err := access.Check(ctx, Products, action)
	if err != nil || action == access.Read || a.System || a.Perms != nil {
		return a, err
	}
	if a.Role != "owner" && a.Role != "admin" {
		return a, fmt.Errorf("access: %s may not %s products: %w", a.Role, action, apperr.ErrForbidden)
	}
	return a, nil
}

// Product returns a live product.
func (s *Service) Product(ctx context.Context, productID string) (Product, error) {
	if _, err := checkCatalogue(ctx, access.Read); err != nil {
		return Product{}, err
	}
	return productByID(ctx, s.db.R, productID)
}

// CreateProduct adds a product to the catalogue; it is active unless the
// input says otherwise.
func (s *Service) CreateProduct(ctx context.Context, in ProductInput) (Product, error) {
	actor, err := checkCatalogue(ctx, access.Create)
	if err != nil {
		return Product{}, err
	}
	p := Product{Active: true}
	if in.Price == nil {
		v := &apperr.Validation{}
		v.Add("price", "Enter the price.")
		if err := s.prepareProduct(ctx, &p, in); err != nil {
			v.Merge(err)
		}
		return p, v
	}
	if err := s.prepareProduct(ctx, &p, in); err != nil {
		return p, err
	}
	now := db.Now()
	p.ID, p.CreatedAt, p.UpdatedAt = id.New(), now, now
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := insertProduct(ctx, tx, p, actor.UserID); err != nil {
			return err
		}
		return productEvent(ctx, tx, actor, p, "created", map[string]any{"name": p.Name, "sku": p.SKU,
			"price": p.Price, "currency": p.Currency})
	})
	if err != nil {
		return p, fmt.Errorf("order: create product: %w", err)
	}
	return p, nil
}

// UpdateProduct changes the fields set in in. Orders already placed keep
// the prices and names they were placed with.
func (s *Service) UpdateProduct(ctx context.Context, productID string, in ProductInput) (Product, error) {
	actor, err := checkCatalogue(ctx, access.Update)
	if err != nil {
		return Product{}, err
	}
	old, err := productByID(ctx, s.db.R, productID)
	if err != nil {
		return old, err
	}
	p := old
	if err := s.prepareProduct(ctx, &p, in); err != nil {
		return p, err
	}
	p.UpdatedAt = db.Now()
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := updateProduct(ctx, tx, p, actor.UserID); err != nil {
			return err
		}
		verb := "updated"
		switch {
		case old.Active && !p.Active:
			verb = "deactivated"
		case !old.Active && p.Active:
			verb = "activated"
		}
		changes := record.Diff(old.fields(), p.fields())
		if len(changes) == 0 {
			return nil
		}
		return productEvent(ctx, tx, actor, p, verb, map[string]any{"name": p.Name, "changes": changes})
	})
	if err != nil {
		return p, fmt.Errorf("order: update product: %w", err)
	}
	return p, nil
}

// DeleteProduct moves a product to the trash. Order lines keep their
// copy of its name and price; deals lose it from their product list.
func (s *Service) DeleteProduct(ctx context.Context, productID string) error {
	actor, err := checkCatalogue(ctx, access.Delete)
	if err != nil {
		return err
	}
	p, err := productByID(ctx, s.db.R, productID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE products SET deleted_at = $2, updated_at = $2, updated_by = $3
			WHERE id = $1 AND deleted_at IS NULL`, p.ID, db.T(db.Now()), db.NullString(actor.UserID)); err != nil {
			return fmt.Errorf("order: delete product: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM deal_products WHERE product_id = $1`, p.ID); err != nil {
			return fmt.Errorf("order: delete product: %w", err)
		}
		return productEvent(ctx, tx, actor, p, "deleted", map[string]any{"name": p.Name})
	})
}

func (s *Service) prepareProduct(ctx context.Context, p *Product, in ProductInput) error {
	var v apperr.Validation
	in.apply(p, &v)
	if p.SKU != "" && v.For("sku") == "" {
		var other string
		err := s.db.R.QueryRowContext(ctx, `SELECT id FROM products WHERE sku = $1 AND deleted_at IS NULL`, p.SKU).Scan(&other)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("order: check sku: %w", err)
		}
		if other != "" && other != p.ID {
			v.Add("sku", "Another product already has this SKU.")
			v.Conflict = true
		}
	}
	return v.Err()
}

func productEvent(ctx context.Context, tx *db.Tx, actor access.Actor, p Product, verb string, data any) error {
	_, err := event.Record(ctx, tx, event.Event{Kind: "product." + verb, ActorID: actor.UserID,
		SubjectType: "product", SubjectID: p.ID, Data: data})
	return err
}

const productColumns = `id, name, COALESCE(sku, ''), price, currency, active, description, created_at, updated_at`

func scanProduct(row interface{ Scan(...any) error }) (Product, error) {
	var p Product
	var created, updated db.Time
	err := row.Scan(&p.ID, &p.Name, &p.SKU, &p.Price, &p.Currency, &p.Active, &p.Description, &created, &updated)
	p.CreatedAt, p.UpdatedAt = created.Time, updated.Time
	return p, err
}

func productByID(ctx context.Context, q db.Querier, productID string) (Product, error) {
	if !id.Valid(productID) {
		return Product{}, fmt.Errorf("product %q: %w", productID, apperr.ErrNotFound)
	}
	p, err := scanProduct(q.QueryRowContext(ctx, `SELECT `+productColumns+` FROM products
		WHERE id = $1 AND deleted_at IS NULL`, productID))
	if errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("product %s: %w", productID, apperr.ErrNotFound)
	}
	if err != nil {
		return p, fmt.Errorf("order: read product %s: %w", productID, err)
	}
	return p, nil
}

func insertProduct(ctx context.Context, tx *db.Tx, p Product, actorID string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO products (id, name, sort_name, sku, price, currency, active,
		description, created_at, updated_at, created_by, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)`,
		p.ID, p.Name, sortName(p.Name), db.NullString(p.SKU), p.Price, p.Currency, p.Active, p.Description,
		db.T(p.CreatedAt), db.T(p.UpdatedAt), db.NullString(actorID))
	return skuTaken(err)
}

func updateProduct(ctx context.Context, tx *db.Tx, p Product, actorID string) error {
	res, err := tx.ExecContext(ctx, `UPDATE products SET name = $2, sort_name = $3, sku = $4, price = $5,
		currency = $6, active = $7, description = $8, updated_at = $9, updated_by = $10
		WHERE id = $1 AND deleted_at IS NULL`,
		p.ID, p.Name, sortName(p.Name), db.NullString(p.SKU), p.Price, p.Currency, p.Active, p.Description,
		db.T(p.UpdatedAt), db.NullString(actorID))
	if err != nil {
		return skuTaken(err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return fmt.Errorf("product %s: %w", p.ID, apperr.ErrNotFound)
	}
	return nil
}

// skuTaken turns a race on the unique SKU index into the service's message.
func skuTaken(err error) error {
	if db.IsUniqueViolation(err) {
		v := &apperr.Validation{Conflict: true}
		v.Add("sku", "Another product already has this SKU.")
		return v
	}
	return err
}
