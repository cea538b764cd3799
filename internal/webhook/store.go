package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
)

const subColumns = `id, url, description, event_types, secret, enabled, disabled_reason, failing_since,
	created_by, created_at, updated_at`

func scanSub(row interface{ Scan(...any) error }) (Subscription, error) {
	var s Subscription
	var types string
	var failing, created, updated db.Time
	var by sql.NullString
	err := row.Scan(&s.ID, &s.URL, &s.Description, &types, &s.Secret, &s.Enabled, &s.DisabledReason, &failing,
		&by, &created, &updated)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal([]byte(types), &s.EventTypes); err != nil {
		return s, fmt.Errorf("webhook: event types of %s: %w", s.ID, err)
	}
	s.FailingSince, s.CreatedAt, s.UpdatedAt, s.CreatedBy = failing.Time, created.Time, updated.Time, by.String
	return s, nil
}

func subByID(ctx context.Context, q db.Querier, subID string) (Subscription, error) {
	s, err := scanSub(q.QueryRowContext(ctx, `SELECT `+subColumns+` FROM webhook_subscriptions WHERE id = $1`, subID))
	if errors.Is(err, sql.ErrNoRows) {
		return s, fmt.Errorf("webhook: subscription %s: %w", subID, apperr.ErrNotFound)
	}
	if err != nil {
		return s, fmt.Errorf("webhook: subscription %s: %w", subID, err)
	}
	return s, nil
}

func listSubs(ctx context.Context, q db.Querier, onlyEnabled bool) ([]Subscription, error) {
	query := `SELECT ` + subColumns + ` FROM webhook_subscriptions`
	if onlyEnabled {
		query += ` WHERE enabled`
	}
	rows, err := q.QueryContext(ctx, query+` ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("webhook: list subscriptions: %w", err)
	}
	defer rows.Close()
	var out []Subscription
	for rows.Next() {
		s, err := scanSub(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func insertSub(ctx context.Context, tx *db.Tx, s Subscription) error {
	types, _ := json.Marshal(s.EventTypes)
	_, err := tx.ExecContext(ctx, `INSERT INTO webhook_subscriptions (id, url, description, event_types, secret, enabled,
		disabled_reason, created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, '', $7, $8, $8)`,
		s.ID, s.URL, s.Description, string(types), s.Secret, s.Enabled, db.NullString(s.CreatedBy), db.T(s.CreatedAt))
	if err != nil {
		return fmt.Errorf("webhook: insert subscription: %w", err)
	}
	return nil
}

func updateSub(ctx context.Context, tx *db.Tx, s Subscription) error {
	types, _ := json.Marshal(s.EventTypes)
	var failing any
	if !s.FailingSince.IsZero() {
		failing = db.T(s.FailingSince)
	}
	_, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET url = $2, description = $3, event_types = $4,
		secret = $5, enabled = $6, disabled_reason = $7, failing_since = $8, updated_at = $9 WHERE id = $1`,
		s.ID, s.URL, s.Description, string(types), s.Secret, s.Enabled, s.DisabledReason, failing, db.T(s.UpdatedAt))
	if err != nil {
		return fmt.Errorf("webhook: update subscription: %w", err)
	}
	return nil
}

const deliveryColumns = `id, subscription_id, event_id, resend, event_kind, contact_id, payload, status, attempts, next_attempt_at,
	last_status, last_error, created_at, delivered_at`

func scanDelivery(row interface{ Scan(...any) error }) (Delivery, error) {
	var d Delivery
	var payload string
	var next, created, delivered db.Time
	var last sql.NullInt64
	var contact sql.NullString
	err := row.Scan(&d.ID, &d.SubscriptionID, &d.EventID, &d.Resend, &d.EventKind, &contact, &payload, &d.Status, &d.Attempts,
		&next, &last, &d.LastError, &created, &delivered)
	if err != nil {
		return d, err
	}
	d.Payload = json.RawMessage(payload)
	d.NextAttemptAt, d.CreatedAt, d.DeliveredAt = next.Time, created.Time, delivered.Time
	d.LastStatus, d.ContactID = int(last.Int64), contact.String
	return d, nil
}

func deliveryByID(ctx context.Context, q db.Querier, deliveryID string) (Delivery, error) {
	d, err := scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries WHERE id = $1`, deliveryID))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("webhook: delivery %s: %w", deliveryID, apperr.ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("webhook: delivery %s: %w", deliveryID, err)
	}
	return d, nil
}

// insertDelivery writes d unless a delivery of the same event and resend
// number exists for the subscription, and reports whether it wrote it.
func insertDelivery(ctx context.Context, tx *db.Tx, d Delivery) (bool, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (id, subscription_id, event_id, resend, event_kind,
		contact_id, payload, status, attempts, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', 0, $8)
		ON CONFLICT (subscription_id, event_id, resend) DO NOTHING`,
		d.ID, d.SubscriptionID, d.EventID, d.Resend, d.EventKind, db.NullString(d.ContactID), string(d.Payload), db.T(d.CreatedAt))
	if err != nil {
		return false, fmt.Errorf("webhook: insert delivery: %w", err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

func attemptsOf(ctx context.Context, q db.Querier, deliveryID string) ([]Attempt, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, delivery_id, attempt, at, status_code, duration_ms, response, error
		FROM webhook_attempts WHERE delivery_id = $1 ORDER BY attempt`, deliveryID)
	if err != nil {
		return nil, fmt.Errorf("webhook: attempts: %w", err)
	}
	defer rows.Close()
	var out []Attempt
	for rows.Next() {
		var a Attempt
		var at db.Time
		var code sql.NullInt64
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.Attempt, &at, &code, &a.DurationMS, &a.Response, &a.Error); err != nil {
			return nil, err
		}
		a.At, a.StatusCode = at.Time, int(code.Int64)
		out = append(out, a)
	}
	return out, rows.Err()
}

// DeliveryPage is one page of a subscription's delivery log, newest first.
type DeliveryPage struct {
	Deliveries []Delivery
	// Next is the cursor of the following (older) page, "" at the end.
	Next string
}

func listDeliveries(ctx context.Context, q db.Querier, subID string, onlyFailed bool, before string, limit int) (DeliveryPage, error) {
	query := `SELECT ` + deliveryColumns + ` FROM webhook_deliveries WHERE subscription_id = $1`
	args := []any{subID}
	if onlyFailed {
		query += ` AND status IN ('failed', 'dead')`
	}
	if before != "" {
		args = append(args, before)
		query += fmt.Sprintf(` AND id < $%d`, len(args))
	}
	args = append(args, limit+1)
	query += fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args))
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return DeliveryPage{}, fmt.Errorf("webhook: list deliveries: %w", err)
	}
	defer rows.Close()
	var p DeliveryPage
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return p, err
		}
		p.Deliveries = append(p.Deliveries, d)
	}
	if len(p.Deliveries) > limit {
		p.Deliveries = p.Deliveries[:limit]
		p.Next = p.Deliveries[limit-1].ID
	}
	return p, rows.Err()
}
