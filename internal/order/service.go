package order

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/money"
	"github.com/rapportcrm/rapport/internal/record"
)

// Service is the one way products and orders are read and changed.
type Service struct {
	db    *db.DB
	users record.Users
}

// NewService returns a Service on d; users checks owners.
func NewService(d *db.DB, users record.Users) *Service { return &Service{db: d, users: users} }

// ByID returns a live order with its lines, if the actor may see it.
func (s *Service) ByID(ctx context.Context, orderID string) (Order, error) {
	if _, err := access.Check(ctx, Orders, access.Read); err != nil {
		return Order{}, err
	}
	return s.load(ctx, s.db.R, orderID)
}

func (s *Service) load(ctx context.Context, q db.Querier, orderID string) (Order, error) {
	if !id.Valid(orderID) {
		return Order{}, fmt.Errorf("order %q: %w", orderID, apperr.ErrNotFound)
	}
	o, err := orderByID(ctx, q, orderID)
	if err != nil {
		return o, err
	}
	if err := access.CheckOwner(ctx, q, o.OwnerID, "order "+o.ID); err != nil {
		return Order{}, err
	}
	return o, nil
}

// Create places an order by hand (or through the API): the lines' total
// is computed here. The owner defaults to the contact's owner and the
// company to the contact's primary company.
func (s *Service) Create(ctx context.Context, in Input) (Order, error) {
	actor, err := access.Check(ctx, Orders, access.Create)
	if err != nil {
		return Order{}, err
	}
	o := Order{Status: Pending, OrderDate: db.Now().Format(db.DateLayout)}
	if in.Lines == nil {
		in.Lines = &[]LineInput{}
	}
	if err := s.prepare(ctx, &o, in, true); err != nil {
		return o, err
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error { return s.placeTx(ctx, tx, actor, &o, nil) })
	if err != nil {
		return o, fmt.Errorf("order: create: %w", err)
	}
	return o, nil
}

// placeTx numbers and writes the prepared order o with its lines and the
// order.placed event; deal names the won deal it came from, if any.
func (s *Service) placeTx(ctx context.Context, tx *db.Tx, actor access.Actor, o *Order, deal *dealRow) error {
	now := db.Now()
	o.ID, o.CreatedAt, o.UpdatedAt, o.CreatedBy, o.UpdatedBy = id.New(), now, now, actor.UserID, actor.UserID
	if err := tx.QueryRowContext(ctx, `UPDATE order_numbers SET last = last + 1 WHERE id = 1 RETURNING last`).
		Scan(&o.Number); err != nil {
		return fmt.Errorf("order: number: %w", err)
	}
	if err := insertOrder(ctx, tx, *o); err != nil {
		return err
	}
	if err := insertLines(ctx, tx, o.ID, o.Lines); err != nil {
		return err
	}
	data := map[string]any{"number": o.Number, "items": o.Items(), "lines": len(o.Lines), "total": o.Total,
		"currency": o.Currency, "status": o.Status}
	if deal != nil {
		data["deal"] = deal.Name
	}
	return o.emit(ctx, tx, actor.UserID, "placed", data)
}

func (o Order) emit(ctx context.Context, tx *db.Tx, actorID, verb string, data any) error {
	_, err := event.Record(ctx, tx, event.Event{Kind: "order." + verb, ActorID: actorID, SubjectType: "order",
		SubjectID: o.ID, ContactID: o.ContactID, CompanyID: o.CompanyID, DealID: o.DealID, Data: data})
	return err
}

// Update changes the fields set in in. A status change is its own event
// (order.status_changed, or order.cancelled); other changes are one
// order.updated listing them.
func (s *Service) Update(ctx context.Context, orderID string, in Input) (Order, error) {
	actor, err := access.Check(ctx, Orders, access.Update)
	if err != nil {
		return Order{}, err
	}
	old, err := s.load(ctx, s.db.R, orderID)
	if err != nil {
		return old, err
	}
	o := old
	if err := s.prepare(ctx, &o, in, false); err != nil {
		return o, err
	}
	o.UpdatedAt, o.UpdatedBy = db.Now(), actor.UserID
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := updateOrder(ctx, tx, o); err != nil {
			return err
		}
		if in.Lines != nil {
			if _, err := tx.ExecContext(ctx, `DELETE FROM order_lines WHERE order_id = $1`, o.ID); err != nil {
				return fmt.Errorf("order: lines: %w", err)
			}
			if err := insertLines(ctx, tx, o.ID, o.Lines); err != nil {
				return err
			}
		}
		if changes := record.Diff(old.fields(), o.fields()); len(changes) > 0 || in.Lines != nil {
			data := map[string]any{"number": o.Number, "changes": changes, "total": o.Total, "currency": o.Currency,
				"items": o.Items()}
			if err := o.emit(ctx, tx, actor.UserID, "updated", data); err != nil {
				return err
			}
		}
		if old.Status == o.Status {
			return nil
		}
		verb := "status_changed"
		if o.Status == Cancelled {
			verb = "cancelled"
		}
		return o.emit(ctx, tx, actor.UserID, verb, map[string]any{"number": o.Number, "before": old.Status,
			"after": o.Status, "total": o.Total, "currency": o.Currency})
	})
	if err != nil {
		return o, fmt.Errorf("order: update: %w", err)
	}
	return o, nil
}

// Cancel marks an order cancelled; a cancelled order stays in the history.
func (s *Service) Cancel(ctx context.Context, orderID string) (Order, error) {
	st := Cancelled
	return s.Update(ctx, orderID, Input{Status: &st})
}

// Delete moves an order to the trash (an order entered by mistake; a real
// order that fell through is cancelled instead).
func (s *Service) Delete(ctx context.Context, orderID string) error {
	actor, err := access.Check(ctx, Orders, access.Delete)
	if err != nil {
		return err
	}
	o, err := s.load(ctx, s.db.R, orderID)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		// The deal link goes too, so the deal could become an order again.
		if _, err := tx.ExecContext(ctx, `UPDATE orders SET deleted_at = $2, updated_at = $2, updated_by = $3,
			deal_id = NULL WHERE id = $1 AND deleted_at IS NULL`, o.ID, db.T(db.Now()), db.NullString(actor.UserID)); err != nil {
			return fmt.Errorf("order: delete: %w", err)
		}
		return o.emit(ctx, tx, actor.UserID, "deleted", map[string]any{"number": o.Number})
	})
}

// prepare applies in to o and checks everything, computing the lines and
// the total when in sets lines.
func (s *Service) prepare(ctx context.Context, o *Order, in Input, creating bool) error {
	var v apperr.Validation
	oldStatus, oldCurrency, oldContact := o.Status, o.Currency, o.ContactID
	in.apply(o, &v)
	if o.ContactID == "" && (creating || in.ContactID != nil) {
		v.Add("contact_id", "Choose the contact who placed the order.")
	}
	if in.Status != nil {
		st := strings.TrimSpace(*in.Status)
		switch {
		case next[st] == nil:
			v.Add("status", "Choose one of: "+strings.Join(Statuses, ", ")+".")
		case !creating && !CanMove(oldStatus, st):
			v.Add("status", fmt.Sprintf("A %s order cannot become %s.", oldStatus, st))
		default:
			o.Status = st
		}
	}
	if v.For("contact_id") == "" && (creating || o.ContactID != oldContact) {
		c, err := s.contact(ctx, o.ContactID)
		if err != nil {
			return err
		}
		if c == nil {
			v.Add("contact_id", "Choose a contact from the list.")
		} else {
			o.ContactName = c.name
			if in.CompanyID == nil && creating {
				o.CompanyID = c.companyID
			}
			if in.OwnerID == nil && creating {
				o.OwnerID = c.ownerID
			}
		}
	}
	if o.CompanyID != "" {
		name, err := s.companyName(ctx, o.CompanyID)
		if err != nil {
			return err
		}
		if name == "" {
			v.Add("company_id", "Choose a company from the list.")
		}
		o.CompanyName = name
	} else {
		o.CompanyName = ""
	}
	name, err := record.CheckOwner(ctx, s.users, &v, o.OwnerID)
	if err != nil {
		return err
	}
	o.OwnerName = name
	switch {
	case in.Lines != nil:
		if err := s.lines(ctx, o, *in.Lines, &v); err != nil {
			return err
		}
	case o.Currency != oldCurrency && len(o.Lines) > 0:
		v.Add("currency", "Send the lines with the new currency: their prices are in "+oldCurrency+".")
	}
	return v.Err()
}

// lines checks the line inputs against the catalogue and the order's
// currency and sets o's lines and total.
func (s *Service) lines(ctx context.Context, o *Order, in []LineInput, v *apperr.Validation) error {
	if len(in) == 0 {
		v.Add("lines", "Add at least one line.")
		return nil
	}
	if len(in) > MaxLines {
		v.Add("lines", fmt.Sprintf("Use at most %d lines.", MaxLines))
		return nil
	}
	o.Lines, o.Total = make([]Line, len(in)), 0
	for i, li := range in {
		f := fmt.Sprintf("lines[%d].", i)
		l := Line{ProductID: strings.TrimSpace(li.ProductID), Description: li.Description, Quantity: li.Quantity}
		if l.ProductID != "" {
			p, err := productByID(ctx, s.db.R, l.ProductID)
			switch {
			case errors.Is(err, apperr.ErrNotFound):
				v.Add(f+"product_id", "Choose a product from the catalogue.")
			case err != nil:
				return err
			case !p.Active:
				v.Add(f+"product_id", p.Name+" is no longer sold.")
			case p.Currency != o.Currency && money.Valid(o.Currency):
				v.Add(f+"product_id", fmt.Sprintf("%s is priced in %s; this order is in %s.", p.Name, p.Currency, o.Currency))
			default:
				l.SKU = p.SKU
				if strings.TrimSpace(l.Description) == "" {
					l.Description = p.Name
				}
				if li.UnitPrice == nil {
					l.UnitPrice = p.Price
				}
			}
		}
		if li.UnitPrice != nil {
			l.UnitPrice = *li.UnitPrice
		} else if l.ProductID == "" {
			v.Add(f+"unit_price", "Enter a price for a line without a product.")
		}
		record.Text(v, f+"description", &l.Description, 500, false)
		if l.Description == "" && l.ProductID == "" {
			v.Add(f+"description", "Describe the item, or choose a product.")
		}
		switch {
		case l.Quantity < 1:
			v.Add(f+"quantity", "Enter a quantity of 1 or more.")
		case l.Quantity > MaxQuantity:
			v.Add(f+"quantity", "Enter a smaller quantity.")
		}
		switch {
		case l.UnitPrice < 0:
			v.Add(f+"unit_price", "Enter a price of zero or more.")
		case l.UnitPrice > MaxAmount:
			v.Add(f+"unit_price", "Enter a smaller price.")
		}
		l.LineTotal = l.Quantity * l.UnitPrice
		if v.For(f+"quantity") == "" && v.For(f+"unit_price") == "" && l.LineTotal > MaxAmount {
			v.Add(f+"quantity", "This line's total is too large.")
		}
		o.Lines[i] = l
		o.Total += l.LineTotal
	}
	return nil
}

type contactRef struct{ name, ownerID, companyID string }

// contact returns the live contact contactID if the actor may see it, nil
// otherwise.
func (s *Service) contact(ctx context.Context, contactID string) (*contactRef, error) {
	if !id.Valid(contactID) {
		return nil, nil
	}
	var c contactRef
	var owner, company sql.NullString
	err := s.db.R.QueryRowContext(ctx, `SELECT display_name, owner_id, company_id FROM contacts
		WHERE id = $1 AND deleted_at IS NULL`, contactID).Scan(&c.name, &owner, &company)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("order: read contact: %w", err)
	}
	c.ownerID, c.companyID = owner.String, company.String
	if a, ok := access.ActorFrom(ctx); ok {
		if seen, err := access.Sees(ctx, s.db.R, a, c.ownerID); err != nil || !seen {
			return nil, err
		}
	}
	return &c, nil
}

func (s *Service) companyName(ctx context.Context, companyID string) (string, error) {
	if !id.Valid(companyID) {
		return "", nil
	}
	var name string
	err := s.db.R.QueryRowContext(ctx, `SELECT name FROM companies WHERE id = $1 AND deleted_at IS NULL`, companyID).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return name, err
}

// TransferOwner moves the live orders owned by from to to, inside the
// user service's transfer transaction; it returns how many moved.
func (s *Service) TransferOwner(ctx context.Context, tx *db.Tx, from, to string) (int, error) {
	res, err := tx.ExecContext(ctx, `UPDATE orders SET owner_id = $2, updated_at = $3 WHERE owner_id = $1 AND deleted_at IS NULL`,
		from, db.NullString(to), db.T(db.Now()))
	if err != nil {
		return 0, fmt.Errorf("order: transfer: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}
