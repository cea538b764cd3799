package order

import (
	"context"
	"fmt"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// PrivacyPart is what orders hold about a person, for their data export
// and their erasure.
//
// Export: every order the person placed, with its lines.
//
// Erase: an order is also an accounting record the business must keep
// (tax law outlives a right to erasure, Art. 17(3)(b) GDPR), so erasure
// keeps each order's number, date, status, currency, lines and total, and
// detaches the person: contact_id becomes NULL and the free-text notes,
// which may speak of them, are emptied. The company stays linked (it is
// not a person). The timeline events of those orders go with the person's
// other events, which the erasure itself handles.
func (s *Service) PrivacyPart() gdpr.Part {
	return gdpr.Part{Name: "orders", Export: exportOrders, Erase: eraseOrders}
}

func exportOrders(ctx context.Context, q db.Querier, contactID string) (any, error) {
	rows, err := q.QueryContext(ctx, `SELECT o.id FROM orders o WHERE o.contact_id = $1 AND o.deleted_at IS NULL
		ORDER BY o.id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("order: export: %w", err)
	}
	var ids []string
	for rows.Next() {
		var x string
		if err := rows.Scan(&x); err != nil {
			rows.Close()
			return nil, err
		}
		ids = append(ids, x)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []Order{}
	for _, x := range ids {
		o, err := orderByID(ctx, q, x)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, nil
}

func eraseOrders(ctx context.Context, tx *db.Tx, contactID string) error {
	if _, err := tx.ExecContext(ctx, `UPDATE orders SET contact_id = NULL, notes = '' WHERE contact_id = $1`, contactID); err != nil {
		return fmt.Errorf("order: erase: %w", err)
	}
	return nil
}
