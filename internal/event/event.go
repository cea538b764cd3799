// Package event writes domain events to the events table. Every domain
// records its events inside the same transaction as the change, so the
// timeline, automation, webhooks and insight never miss one and never see
// one for a change that was rolled back.
package event

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Event is one thing that happened to a record.
type Event struct {
	ID string
	// Kind is "<domain>.<verb>", e.g. "contact.created".
	Kind string
	// ActorID is the user who caused it; empty for the system.
	ActorID     string
	SubjectType string
	SubjectID   string
	// ContactID and CompanyID put the event on a customer's timeline;
	// either may be empty.
	ContactID string
	CompanyID string
	// DealID puts the event on a deal's timeline as well; may be empty.
	DealID     string
	OccurredAt time.Time
	// Data is any JSON-encodable detail (before/after values, ...).
	Data any
}

// Record writes e inside tx and returns it with its ID and time filled in.
func Record(ctx context.Context, tx *db.Tx, e Event) (Event, error) {
	if e.Kind == "" || e.SubjectType == "" || e.SubjectID == "" {
		return e, errors.New("event: kind, subject type and subject id are required")
	}
	if e.ID == "" {
		e.ID = id.New()
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = db.Now()
	}
	data := []byte("{}")
	if e.Data != nil {
		var err error
		if data, err = json.Marshal(e.Data); err != nil {
			return e, fmt.Errorf("event: encode %s data: %w", e.Kind, err)
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO events
		(id, occurred_at, kind, actor_id, subject_type, subject_id, contact_id, company_id, deal_id, data)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ID, db.T(e.OccurredAt), e.Kind, db.NullString(e.ActorID), e.SubjectType, e.SubjectID,
		db.NullString(e.ContactID), db.NullString(e.CompanyID), db.NullString(e.DealID), string(data))
	if err != nil {
		return e, fmt.Errorf("event: record %s: %w", e.Kind, err)
	}
	return e, audit.Record(ctx, tx, auditEntry(e, data))
}

// RecordBatch writes many events inside tx with a few statements, as an
// import does: the same rows Record would write one by one. With summary
// nil each event gets its own audit entry, as with Record; otherwise the
// batch is audited as that one entry, its details listing the subjects
// the events are about (ids only: the personal data stays in the events,
// where erasure finds it).
func RecordBatch(ctx context.Context, tx *db.Tx, events []Event, summary *audit.Entry) error {
	rows := make([][]any, 0, len(events))
	entries := make([]audit.Entry, 0, len(events))
	now := db.Now()
	for _, e := range events {
		if e.Kind == "" || e.SubjectType == "" || e.SubjectID == "" {
			return errors.New("event: kind, subject type and subject id are required")
		}
		if e.ID == "" {
			e.ID = id.New()
		}
		if e.OccurredAt.IsZero() {
			e.OccurredAt = now
		}
		data := []byte("{}")
		if e.Data != nil {
			var err error
			if data, err = json.Marshal(e.Data); err != nil {
				return fmt.Errorf("event: encode %s data: %w", e.Kind, err)
			}
		}
		rows = append(rows, []any{e.ID, db.T(e.OccurredAt), e.Kind, db.NullString(e.ActorID), e.SubjectType, e.SubjectID,
			db.NullString(e.ContactID), db.NullString(e.CompanyID), db.NullString(e.DealID), string(data)})
		if summary == nil {
			entries = append(entries, auditEntry(e, data))
		}
	}
	if err := db.Insert(ctx, tx, "events", []string{"id", "occurred_at", "kind", "actor_id", "subject_type", "subject_id",
		"contact_id", "company_id", "deal_id", "data"}, rows); err != nil {
		return fmt.Errorf("event: record batch: %w", err)
	}
	if summary == nil {
		return audit.RecordBatch(ctx, tx, entries)
	}
	subjects := map[string][]string{}
	seen := make(map[string]bool, len(events))
	for _, e := range events {
		if k := e.SubjectType + "/" + e.SubjectID; !seen[k] {
			seen[k] = true
			subjects[e.SubjectType] = append(subjects[e.SubjectType], e.SubjectID)
		}
	}
	entry := *summary
	entry.Details = map[string]any{"events": len(events), "subjects": subjects, "summary": summary.Details}
	return audit.Record(ctx, tx, entry)
}

// auditEntry is the audit log's copy of e. What happened on a person's
// timeline is sealed with that person's key, so erasing them later leaves
// the entry but not their data.
func auditEntry(e Event, data []byte) audit.Entry {
	a := audit.Entry{ID: e.ID, OccurredAt: e.OccurredAt, ActorID: e.ActorID, Action: e.Kind,
		ObjectType: e.SubjectType, ObjectID: e.SubjectID, Details: json.RawMessage(data)}
	switch {
	case e.ContactID != "":
		a.KeyID = e.ContactID
	case e.SubjectType == "contact":
		a.KeyID = e.SubjectID
	}
	if a.ActorID == "" {
		a.ActorName = "Rapport"
	}
	return a
}

// Stored is an event as read back, with its data still encoded.
type Stored struct {
	ID          string
	Kind        string
	ActorID     string
	SubjectType string
	SubjectID   string
	OccurredAt  time.Time
	Data        json.RawMessage
}

// ListForSubject returns a subject's events, newest first, at most limit.
func ListForSubject(ctx context.Context, q db.Querier, subjectType, subjectID string, limit int) ([]Stored, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, kind, actor_id, subject_type, subject_id, occurred_at, data
		FROM events WHERE subject_type = $1 AND subject_id = $2 ORDER BY id DESC LIMIT $3`,
		subjectType, subjectID, limit)
	if err != nil {
		return nil, fmt.Errorf("event: list: %w", err)
	}
	defer rows.Close()
	var out []Stored
	for rows.Next() {
		var s Stored
		var at db.Time
		var data string
		var actor sql.NullString
		if err := rows.Scan(&s.ID, &s.Kind, &actor, &s.SubjectType, &s.SubjectID, &at, &data); err != nil {
			return nil, err
		}
		s.ActorID = actor.String
		s.OccurredAt = at.Time
		s.Data = json.RawMessage(data)
		out = append(out, s)
	}
	return out, rows.Err()
}
