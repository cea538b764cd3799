package webhook

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// DispatchEvery is how often the leader runs the dispatcher.
const DispatchEvery = 2 * time.Second

// DispatchArgs is the job that turns new events into deliveries.
type DispatchArgs struct{}

// Kind implements river.JobArgs.
func (DispatchArgs) Kind() string { return "webhook.dispatch" }

// DispatchJob is the periodic dispatcher; only the elected leader inserts
// it. every 0 means DispatchEvery.
func DispatchJob(every time.Duration) *river.PeriodicJob {
	if every <= 0 {
		every = DispatchEvery
	}
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return DispatchArgs{}, nil },
		&river.PeriodicJobOpts{RunOnStart: true})
}

// DispatchWorker runs the dispatcher.
type DispatchWorker struct {
	river.WorkerDefaults[DispatchArgs]
	s *Service
}

// NewDispatchWorker returns the worker to register with the job queue.
func NewDispatchWorker(s *Service) *DispatchWorker { return &DispatchWorker{s: s} }

// Work dispatches every event recorded so far. Running it twice does no
// harm: the cursor moves in the transaction that writes the deliveries.
func (w *DispatchWorker) Work(ctx context.Context, _ *river.Job[DispatchArgs]) error {
	if _, err := w.s.Dispatch(ctx); err != nil {
		return err
	}
	_, err := w.s.Prune(ctx)
	return err
}

// Retention is how long finished deliveries (succeeded or dead) and their
// attempts are kept in the log.
const Retention = 30 * 24 * time.Hour

// Prune deletes up to 1,000 finished deliveries older than Retention, with
// their attempts, and returns how many it deleted. The dispatcher calls it
// on every run, so the log shrinks a little at a time.
func (s *Service) Prune(ctx context.Context) (int, error) {
	var n int64
	err := s.db.WithTx(ctx, func(tx *db.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_deliveries WHERE id IN (SELECT id FROM webhook_deliveries
			WHERE status IN ('succeeded', 'dead') AND created_at < $1 ORDER BY id LIMIT 1000)`, db.T(s.now().Add(-Retention)))
		if err != nil {
			return fmt.Errorf("webhook: prune: %w", err)
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

type storedEvent struct {
	id, kind, actor, subjectType, subjectID, contact, company, deal, data string
	at                                                                    time.Time
}

// Dispatch turns the events after the cursor into deliveries, a batch per
// transaction, and returns how many deliveries it made.
//
// Event ids are time-ordered but a transaction can commit after a later
// one: on SQLite there is one writer, so when the dispatcher holds it every
// event is committed and in id order. On PostgreSQL the dispatcher stays
// Settle behind the start of the oldest transaction that has written
// (backend_xid set), and behind the present: an event's id and time are
// taken inside its transaction, after that transaction started, and a
// transaction that has not written yet inserts its event within
// microseconds of taking its time, far less than Settle. So no event can
// still appear behind the cursor. Read-only transactions (a backup, a
// report) do not hold the dispatcher back.
func (s *Service) Dispatch(ctx context.Context) (int, error) {
	total := 0
	for {
		n, more, err := s.dispatchBatch(ctx)
		total += n
		if err != nil || !more {
			return total, err
		}
	}
}

func (s *Service) dispatchBatch(ctx context.Context) (made int, more bool, err error) {
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		lock := ""
		if tx.Engine == db.Postgres {
			lock = " FOR UPDATE"
		}
		var cursor string
		if err := tx.QueryRowContext(ctx, `SELECT event_id FROM webhook_cursor WHERE name = 'dispatch'`+lock).Scan(&cursor); err != nil {
			return fmt.Errorf("webhook: cursor: %w", err)
		}
		if cursor == "" {
			return nil // no subscription was ever made
		}
		evs, err := s.newEvents(ctx, tx, cursor)
		if err != nil || len(evs) == 0 {
			return err
		}
		more = len(evs) == s.batch
		subs, err := listSubs(ctx, tx, true)
		if err != nil {
			return err
		}
		var ds []Delivery
		now := s.now()
		for _, e := range evs {
			if e.isCopy() {
				continue
			}
			var body json.RawMessage
			for _, sub := range subs {
				if !sub.Matches(e.kind) || e.at.Before(sub.CreatedAt) {
					continue
				}
				if body == nil {
					if body, err = eventPayload(e); err != nil {
						return err
					}
				}
				ds = append(ds, Delivery{ID: id.New(), SubscriptionID: sub.ID, EventID: e.id, EventKind: e.kind,
					ContactID: e.person(), Payload: body, Status: Pending, CreatedAt: now})
			}
		}
		ids, err := insertDeliveries(ctx, tx, ds)
		if err != nil {
			return err
		}
		if err := s.enqueueFirst(ctx, tx, ids); err != nil {
			return err
		}
		made = len(ids)
		_, err = tx.ExecContext(ctx, `UPDATE webhook_cursor SET event_id = $1 WHERE name = 'dispatch'`, evs[len(evs)-1].id)
		return err
	})
	return made, more, err
}

func (s *Service) newEvents(ctx context.Context, tx *db.Tx, cursor string) ([]storedEvent, error) {
	query := `SELECT id, occurred_at, kind, actor_id, subject_type, subject_id, contact_id, company_id, deal_id, data
		FROM events WHERE id > $1 AND id <= $2`
	args := []any{cursor, idBound(time.Now().Add(idSkew))}
	if tx.Engine == db.Postgres {
		var oldest db.Time
		if err := tx.QueryRowContext(ctx, `SELECT min(xact_start) FROM pg_stat_activity
			WHERE backend_xid IS NOT NULL AND datname = current_database() AND pid <> pg_backend_pid()`).Scan(&oldest); err != nil {
			return nil, fmt.Errorf("webhook: oldest transaction: %w", err)
		}
		horizon := time.Now()
		if !oldest.IsZero() && oldest.Time.Before(horizon) {
			horizon = oldest.Time
		}
		args = append(args, db.T(horizon.Add(-s.settle)))
		query += ` AND occurred_at < $3`
	}
	args = append(args, s.batch)
	query += ` ORDER BY id LIMIT $` + strconv.Itoa(len(args))
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("webhook: new events: %w", err)
	}
	defer rows.Close()
	var out []storedEvent
	for rows.Next() {
		var e storedEvent
		var at db.Time
		var actor, contact, company, deal sql.NullString
		if err := rows.Scan(&e.id, &at, &e.kind, &actor, &e.subjectType, &e.subjectID, &contact, &company, &deal, &e.data); err != nil {
			return nil, err
		}
		e.at, e.actor, e.contact, e.company, e.deal = at.Time, actor.String, contact.String, company.String, deal.String
		out = append(out, e)
	}
	return out, rows.Err()
}

// isCopy reports whether e repeats another event on one more person's
// timeline (a deal's events are copied to each of its contacts, marked
// with copy_of): subscribers hear of the original only.
func (e storedEvent) isCopy() bool {
	var d struct {
		CopyOf string `json:"copy_of"`
	}
	return json.Unmarshal([]byte(e.data), &d) == nil && d.CopyOf != ""
}

// person is the contact the event is about, "" when none.
func (e storedEvent) person() string {
	if e.contact == "" && e.subjectType == "contact" {
		return e.subjectID
	}
	return e.contact
}

// idSkew is how far ahead of this process's clock another process's event
// ids may be.
const idSkew = 2 * time.Second

// idBound is the greatest UUIDv7 of time t. Event ids are UUIDv7 taken
// when the event is recorded, but data made up for a demonstration can
// carry ids of other times: one from the future would carry the cursor
// past every event recorded until then, so the dispatcher leaves ids
// beyond the present for later.
func idBound(t time.Time) string {
	ms := t.UnixMilli()
	return fmt.Sprintf("%08x-%04x-ffff-ffff-ffffffffffff", ms>>16, ms&0xffff)
}

func eventPayload(e storedEvent) (json.RawMessage, error) {
	data := json.RawMessage(e.data)
	if !json.Valid(data) {
		data = json.RawMessage(`{}`)
	}
	return encodePayload(e.kind, e.at, EventData{ID: e.id, SubjectType: e.subjectType, SubjectID: e.subjectID,
		ContactID: e.contact, CompanyID: e.company, DealID: e.deal, ActorID: e.actor, Data: data})
}

func encodePayload(kind string, at time.Time, data EventData) (json.RawMessage, error) {
	b, err := json.Marshal(Payload{Type: kind, Timestamp: at.UTC(), Data: data})
	if err != nil {
		return nil, fmt.Errorf("webhook: encode payload: %w", err)
	}
	return b, nil
}

// insertDeliveries writes ds, skipping any that exist (same subscription,
// event and resend number), and returns the ids written.
func insertDeliveries(ctx context.Context, tx *db.Tx, ds []Delivery) ([]string, error) {
	var ids []string
	const per = 400
	for start := 0; start < len(ds); start += per {
		chunk := ds[start:min(start+per, len(ds))]
		var b strings.Builder
		b.WriteString(`INSERT INTO webhook_deliveries (id, subscription_id, event_id, resend, event_kind, contact_id, payload,
			status, attempts, created_at) VALUES `)
		args := make([]any, 0, len(chunk)*8)
		for i, d := range chunk {
			if i > 0 {
				b.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&b, "($%d, $%d, $%d, $%d, $%d, $%d, $%d, 'pending', 0, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7, n+8)
			args = append(args, d.ID, d.SubscriptionID, d.EventID, d.Resend, d.EventKind, db.NullString(d.ContactID),
				string(d.Payload), db.T(d.CreatedAt))
		}
		b.WriteString(` ON CONFLICT (subscription_id, event_id, resend) DO NOTHING RETURNING id`)
		rows, err := tx.QueryContext(ctx, b.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("webhook: insert deliveries: %w", err)
		}
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
	}
	return ids, nil
}
