package bench

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// timeline reads what a contact page shows: the record, its pinned notes
// and the first page of a 500-entry timeline.
func (e *env) timeline() error {
	svc := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		if _, err := e.contacts.ByID(ctx, e.deepID); err != nil {
			return err
		}
		if _, err := e.activities.Pinned(ctx, e.deepID, ""); err != nil {
			return err
		}
		_, _, err := e.activities.Timeline(ctx, activity.TimelineQuery{ContactID: e.deepID, Limit: 50})
		return err
	})
	base := run(e.ctx, e.single(), func(ctx context.Context, _, _ int) error {
		if _, err := e.plainRows(ctx, `SELECT * FROM contacts WHERE id = $1`, e.deepID); err != nil {
			return err
		}
		_, err := e.plainRows(ctx, `SELECT * FROM activities WHERE contact_id = $1 AND deleted_at IS NULL
			ORDER BY occurred_at DESC, id DESC LIMIT 51`, e.deepID)
		return err
	})
	e.add(Result{Samples: svc.N, BaseSamples: base.N, Operation: "contact record + 500-entry timeline, first page (service)", Baseline: "plain SQL for the same rows",
		Unit: "ms p95", Value: ms(svc.P95), Base: ms(base.P95), Target: "p95 under 30 ms",
		Met: svc.P95.Milliseconds() < 30, Detail: fmt.Sprintf("p50 %.2f / %.2f ms", ms(svc.P50), ms(base.P50))})
	return nil
}

// createContacts creates contacts from 8 clients through the service
// (validation, emails, search index, event) against one-row transactions
// of plain SQL.
func (e *env) createContacts() error {
	var n atomic.Int64
	l := Limits{Clients: 8, Duration: e.o.Duration, MaxOps: e.o.MaxOps}
	svc := run(e.ctx, l, func(ctx context.Context, _, _ int) error {
		i := n.Add(1)
		_, err := e.contacts.Create(ctx, contact.Input{FirstName: ptr("Bench"), LastName: ptr(fmt.Sprint(i)),
			Emails: &[]contact.Email{{Address: fmt.Sprintf("bench.%d@create.example", i)}}})
		return err
	})
	base := run(e.ctx, l, func(ctx context.Context, _, _ int) error { return e.plainInsert(ctx, int(n.Add(1))) })
	e.add(Result{Samples: svc.N, BaseSamples: base.N, Operation: "create a contact, 8 clients (service)", Baseline: "one-row INSERT transactions",
		Unit: "ops/s", Value: svc.PerSecond(), Base: base.PerSecond(), HigherIsBetter: true,
		Detail: fmt.Sprintf("p95 %.1f / %.1f ms, errors %d", ms(svc.P95), ms(base.P95), svc.Errors)})
	return nil
}

// plainInsert is the baseline of contact creation: one row, one transaction.
func (e *env) plainInsert(ctx context.Context, i int) error {
	return e.d.WithTx(ctx, func(tx *db.Tx) error {
		now := db.T(db.Now())
		_, err := tx.ExecContext(ctx, `INSERT INTO contacts (id, first_name, display_name, sort_name, email, created_at, updated_at)
			VALUES ($1, $2, $2, $2, $3, $4, $4)`, id.New(), fmt.Sprint("plain ", i), fmt.Sprintf("plain.%d@create.example", i), now)
		return err
	})
}
