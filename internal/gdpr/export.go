package gdpr

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/activity"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
)

// Export is everything Rapport holds about one person.
type Export struct {
	GeneratedAt time.Time `json:"generated_at"`
	GeneratedBy string    `json:"generated_by"`
	// Person is the contact record: names, emails, phones, companies,
	// address, tags and the raw custom values.
	Person contact.Contact `json:"person"`
	// CustomFields are the custom values with their labels.
	CustomFields []CustomValue `json:"custom_fields"`
	// MergedRecords are duplicate records of the person that were merged
	// into this one; their data is part of the timeline's merge events.
	MergedRecords []string `json:"merged_records"`
	// Activities are the notes, calls, meetings and emails logged on them.
	Activities []activity.Activity `json:"activities"`
	// Timeline is every event recorded about them, oldest first.
	Timeline []TimelineEvent `json:"timeline"`
	// ConsentNow is the current consent per channel, ConsentHistory every
	// grant and withdrawal, newest first.
	ConsentNow     []consent.State  `json:"consent_current"`
	ConsentHistory []consent.Change `json:"consent_history"`
	// AuditLog is every audit entry about them, oldest first.
	AuditLog []AuditEntry `json:"audit_log"`
	// Other holds the registered parts' data by part name.
	Other map[string]any `json:"other,omitempty"`
}

// CustomValue is one custom field's value.
type CustomValue struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value any    `json:"value"`
}

// TimelineEvent is one recorded event.
type TimelineEvent struct {
	ID          string          `json:"id"`
	At          time.Time       `json:"at"`
	Kind        string          `json:"kind"`
	Actor       string          `json:"actor,omitempty"`
	SubjectType string          `json:"subject_type"`
	SubjectID   string          `json:"subject_id"`
	Data        json.RawMessage `json:"data"`
}

// AuditEntry is one audit-log line about the person.
type AuditEntry struct {
	ID      string          `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor,omitempty"`
	Action  string          `json:"action"`
	Outcome string          `json:"outcome"`
	Object  string          `json:"object"`
	Details json.RawMessage `json:"details,omitempty"`
}

// Export gathers everything about the contact. It needs the export right
// on contacts and a contact the actor may see; the export itself is
// recorded in the audit log (without any of the data).
func (s *Service) Export(ctx context.Context, contactID string) (Export, error) {
	if err := s.check(ctx, access.Export, "contact.exported", contactID); err != nil {
		return Export{}, err
	}
	c, err := s.contacts.ByID(ctx, contactID)
	if err != nil {
		return Export{}, err
	}
	actor, _ := access.ActorFrom(ctx)
	x := Export{GeneratedAt: db.Now(), GeneratedBy: actor.Name, Person: c}
	q := s.db.R
	if x.MergedRecords, err = mergedInto(ctx, q, c.ID); err != nil {
		return x, err
	}
	ids := append([]string{c.ID}, x.MergedRecords...)
	if x.CustomFields, err = customValues(ctx, q, c.Custom); err != nil {
		return x, err
	}
	if x.Activities, err = activities(ctx, q, c.ID); err != nil {
		return x, err
	}
	if x.Timeline, err = timeline(ctx, q, ids); err != nil {
		return x, err
	}
	if x.ConsentHistory, err = consent.ListFor(ctx, q, c.ID); err != nil {
		return x, err
	}
	x.ConsentNow = consent.CurrentOf(x.ConsentHistory)
	if x.AuditLog, err = auditLog(ctx, q, ids); err != nil {
		return x, err
	}
	for _, p := range s.parts {
		if p.Export == nil {
			continue
		}
		v, err := p.Export(ctx, q, c.ID)
		if err != nil {
			return x, fmt.Errorf("gdpr: export %s: %w", p.Name, err)
		}
		if v == nil {
			continue
		}
		if x.Other == nil {
			x.Other = map[string]any{}
		}
		x.Other[p.Name] = v
	}
	if err := audit.Record(ctx, s.db.W, audit.Entry{Action: "contact.exported", ObjectType: "contact",
		ObjectID: c.ID}); err != nil {
		return x, err
	}
	return x, nil
}

// JSON is the export as indented JSON.
func (x Export) JSON() ([]byte, error) {
	return json.MarshalIndent(x, "", "  ")
}

// mergedInto returns the duplicate records merged into contactID, also
// those merged into a record that was later merged into it: a merge moves
// the merged record's events, its own merge events included.
func mergedInto(ctx context.Context, q db.Querier, contactID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT data FROM events WHERE contact_id = $1 AND kind = 'contact.merged'`, contactID)
	if err != nil {
		return nil, fmt.Errorf("gdpr: merges: %w", err)
	}
	var candidates []string
	for rows.Next() {
		var data string
		if err := rows.Scan(&data); err != nil {
			rows.Close()
			return nil, err
		}
		var m struct {
			Merged []struct {
				ID string `json:"id"`
			} `json:"merged"`
		}
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			rows.Close()
			return nil, fmt.Errorf("gdpr: merge event: %w", err)
		}
		for _, x := range m.Merged {
			if x.ID != "" && x.ID != contactID {
				candidates = append(candidates, x.ID)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := []string{}
	for _, cid := range candidates {
		// Only records the merge deleted: one restored since is a person
		// of its own.
		var n int
		if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE id = $1 AND deleted_at IS NOT NULL`,
			cid).Scan(&n); err != nil {
			return nil, fmt.Errorf("gdpr: merged record: %w", err)
		}
		if n > 0 && !contains(out, cid) {
			out = append(out, cid)
		}
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func customValues(ctx context.Context, q db.Querier, values customfield.Values) ([]CustomValue, error) {
	defs, err := customfield.ListFor(ctx, q, customfield.ObjectContact)
	if err != nil {
		return nil, err
	}
	out := []CustomValue{}
	for _, d := range defs {
		if v, ok := values[d.Key]; ok {
			out = append(out, CustomValue{Key: d.Key, Label: d.Label, Value: v})
		}
	}
	return out, nil
}

// activities reads every activity on the contact, also those deleted
// from the timeline but still stored.
func activities(ctx context.Context, q db.Querier, contactID string) ([]activity.Activity, error) {
	rows, err := q.QueryContext(ctx, `SELECT a.id, a.kind, a.company_id, a.subject, a.body, a.pinned,
		a.occurred_at, a.ends_at, a.outcome, a.duration_seconds, a.direction, a.attendees, a.created_by,
		COALESCE(u.name, ''), a.created_at, a.updated_at
		FROM activities a LEFT JOIN users u ON u.id = a.created_by WHERE a.contact_id = $1
		ORDER BY a.occurred_at, a.id`, contactID)
	if err != nil {
		return nil, fmt.Errorf("gdpr: activities: %w", err)
	}
	defer rows.Close()
	out := []activity.Activity{}
	for rows.Next() {
		a := activity.Activity{ContactID: contactID}
		var company, createdBy sql.NullString
		var at, ends, created, updated db.Time
		var duration sql.NullInt64
		var attendees string
		if err := rows.Scan(&a.ID, &a.Kind, &company, &a.Subject, &a.Body, &a.Pinned, &at, &ends, &a.Outcome,
			&duration, &a.Direction, &attendees, &createdBy, &a.Author, &created, &updated); err != nil {
			return nil, fmt.Errorf("gdpr: activities: %w", err)
		}
		a.CompanyID, a.CreatedBy = company.String, createdBy.String
		a.OccurredAt, a.EndsAt, a.CreatedAt, a.UpdatedAt = at.Time, ends.Time, created.Time, updated.Time
		a.Duration = int(duration.Int64)
		if err := json.Unmarshal([]byte(attendees), &a.Attendees); err != nil {
			return nil, fmt.Errorf("gdpr: attendees: %w", err)
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// personEvents is the condition that selects, in the events table named
// by alias ("e." or ""), the events of the given contacts: on their
// timeline or about them.
func personEvents(alias string, ids []string) (string, []any) {
	in, args := db.InList(ids, 0)
	return `(` + alias + `contact_id IN (` + in + `) OR (` + alias + `subject_type = 'contact' AND ` +
		alias + `subject_id IN (` + in + `)))`, args
}

func timeline(ctx context.Context, q db.Querier, ids []string) ([]TimelineEvent, error) {
	cond, args := personEvents("e.", ids)
	rows, err := q.QueryContext(ctx, `SELECT e.id, e.occurred_at, e.kind, COALESCE(u.name, ''), e.subject_type,
		e.subject_id, e.data FROM events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE `+cond+`
		ORDER BY e.occurred_at, e.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("gdpr: timeline: %w", err)
	}
	defer rows.Close()
	out := []TimelineEvent{}
	for rows.Next() {
		var e TimelineEvent
		var at db.Time
		var data string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Actor, &e.SubjectType, &e.SubjectID, &data); err != nil {
			return nil, fmt.Errorf("gdpr: timeline: %w", err)
		}
		e.At, e.Data = at.Time, json.RawMessage(data)
		out = append(out, e)
	}
	return out, rows.Err()
}

func auditLog(ctx context.Context, q db.Querier, ids []string) ([]AuditEntry, error) {
	entries, err := audit.AboutSubjects(ctx, q, ids)
	if err != nil {
		return nil, err
	}
	out := make([]AuditEntry, len(entries))
	for i, e := range entries {
		a := AuditEntry{ID: e.ID, At: e.OccurredAt, Actor: e.ActorName, Action: e.Action, Outcome: e.Outcome,
			Object: strings.Trim(e.ObjectType+" "+e.ObjectID, " ")}
		if raw, ok := e.Details.(json.RawMessage); ok && string(raw) != "{}" && string(raw) != "null" {
			a.Details = raw
		}
		out[i] = a
	}
	return out, nil
}
