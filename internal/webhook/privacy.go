package webhook

import (
	"context"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/gdpr"
)

// PrivacyPart is what webhooks hold about a contact, for the data export
// and erasure: the deliveries of events about them carry their data to
// other systems (listed in the export: where it went, and when), and other
// deliveries' payloads may quote them.
func PrivacyPart() gdpr.Part {
	return gdpr.Part{Name: "webhook_deliveries", Export: exportDeliveries, Erase: eraseDeliveries,
		Texts: []gdpr.Column{{Table: "webhook_deliveries", Key: "id", Name: "payload", JSON: true}}}
}

type privacyDelivery struct {
	ID          string    `json:"id"`
	EventType   string    `json:"event_type"`
	URL         string    `json:"sent_to"`
	Status      string    `json:"status"`
	CreatedAt   time.Time `json:"created_at"`
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
}

func exportDeliveries(ctx context.Context, q db.Querier, contactID string) (any, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.id, d.event_kind, s.url, d.status, d.created_at, d.delivered_at
		FROM webhook_deliveries d JOIN webhook_subscriptions s ON s.id = d.subscription_id
		WHERE d.contact_id = $1 ORDER BY d.id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("webhook: privacy export: %w", err)
	}
	defer rows.Close()
	out := []privacyDelivery{}
	for rows.Next() {
		var x privacyDelivery
		var created, delivered db.Time
		if err := rows.Scan(&x.ID, &x.EventType, &x.URL, &x.Status, &created, &delivered); err != nil {
			return nil, err
		}
		x.CreatedAt, x.DeliveredAt = created.Time, delivered.Time
		out = append(out, x)
	}
	return out, rows.Err()
}

// eraseDeliveries deletes the deliveries of events about the contact, with
// their attempts; those still waiting are not sent.
func eraseDeliveries(ctx context.Context, tx *db.Tx, contactID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE contact_id = $1`, contactID); err != nil {
		return fmt.Errorf("webhook: erase: %w", err)
	}
	return nil
}
