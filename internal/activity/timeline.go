package activity

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Timeline filters: the activity kinds plus System for everything the
// system recorded (created, changed, tagged, merged, ...).
const System = "system"

// Entry is one line of a timeline: an activity or a recorded event.
type Entry struct {
	ID        string
	At        time.Time
	Activity  *Activity
	EventKind string
	EventData json.RawMessage
	ActorName string
	SubjectID string
	// ContactID tells a company timeline whose event it is.
	ContactID string
}

// Kind is the entry's activity kind or System.
func (e Entry) Kind() string {
	if e.Activity != nil {
		return e.Activity.Kind
	}
	return System
}

// TimelineQuery asks for one page of a contact's or company's timeline.
type TimelineQuery struct {
	ContactID string
	CompanyID string
	// Kinds limits the page to these kinds (note, call, meeting, email,
	// system); empty means all.
	Kinds []string
	// After is the cursor of the last entry already shown.
	After string
	Limit int
}

// Timeline returns a page of entries, newest first, and the cursor of the
// next page ("" at the end). A company's timeline includes what happened
// with its contacts.
func (s *Service) Timeline(ctx context.Context, q TimelineQuery) ([]Entry, string, error) {
	if _, err := access.Check(ctx, access.Activities, access.Read); err != nil {
		return nil, "", err
	}
	var col, target string
	switch {
	case q.ContactID != "":
		if _, err := s.contacts.ByID(ctx, q.ContactID); err != nil {
			return nil, "", err
		}
		col, target = "contact_id", q.ContactID
	case q.CompanyID != "":
		if _, err := s.companies.ByID(ctx, q.CompanyID); err != nil {
			return nil, "", err
		}
		col, target = "company_id", q.CompanyID
	default:
		return nil, "", fmt.Errorf("activity: timeline of nothing: %w", apperr.ErrNotFound)
	}
	if q.Limit <= 0 || q.Limit > 200 {
		q.Limit = 50
	}
	var v apperr.Validation
	for _, k := range q.Kinds {
		if k != System && !slices.ContainsFunc(Kinds, func(x struct{ Key, Label string }) bool { return x.Key == k }) {
			v.Add("kind", "Filter by note, call, meeting, email or system.")
		}
	}
	at, lastID, ok := decodeCursor(q.After)
	if !ok {
		v.Add("after", "This page link is broken; reload the timeline.")
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	want := func(k string) bool { return len(q.Kinds) == 0 || slices.Contains(q.Kinds, k) }
	entries := []Entry{}
	var activityKinds []string
	for _, k := range Kinds {
		if want(k.Key) {
			activityKinds = append(activityKinds, k.Key)
		}
	}
	if len(activityKinds) > 0 {
		got, err := s.timelineActivities(ctx, col, target, activityKinds, at, lastID, q.Limit+1)
		if err != nil {
			return nil, "", err
		}
		entries = append(entries, got...)
	}
	if want(System) {
		got, err := s.timelineEvents(ctx, col, target, at, lastID, q.Limit+1)
		if err != nil {
			return nil, "", err
		}
		entries = append(entries, got...)
	}
	slices.SortFunc(entries, func(a, b Entry) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	next := ""
	if len(entries) > q.Limit {
		entries = entries[:q.Limit]
		last := entries[len(entries)-1]
		next = encodeCursor(last.At, last.ID)
	}
	return entries, next, nil
}

func (s *Service) timelineActivities(ctx context.Context, col, target string, kinds []string, at time.Time, lastID string, limit int) ([]Entry, error) {
	args := []any{target}
	where := `a.` + col + ` = $1 AND a.deleted_at IS NULL`
	if !at.IsZero() {
		args = append(args, db.T(at), lastID)
		where += ` AND (a.occurred_at, a.id) < ($2, $3)`
	}
	var ph []string
	for _, k := range kinds {
		args = append(args, k)
		ph = append(ph, fmt.Sprintf("$%d", len(args)))
	}
	where += ` AND a.kind IN (` + strings.Join(ph, ", ") + `)`
	where, args = hideContacts(ctx, col, "a.contact_id", where, args)
	args = append(args, limit)
	rows, err := s.db.R.QueryContext(ctx, `SELECT `+columns+from+` WHERE `+where+`
		ORDER BY a.occurred_at DESC, a.id DESC LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("activity: timeline: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		a, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, Entry{ID: a.ID, At: a.OccurredAt, Activity: &a, ActorName: a.Author, ContactID: a.ContactID})
	}
	return out, rows.Err()
}

func (s *Service) timelineEvents(ctx context.Context, col, target string, at time.Time, lastID string, limit int) ([]Entry, error) {
	args := []any{target}
	where := `e.` + col + ` = $1 AND e.kind NOT LIKE 'activity.%'`
	if !at.IsZero() {
		args = append(args, db.T(at), lastID)
		where += ` AND (e.occurred_at, e.id) < ($2, $3)`
	}
	where, args = hideContacts(ctx, col, "e.contact_id", where, args)
	args = append(args, limit)
	rows, err := s.db.R.QueryContext(ctx, `SELECT e.id, e.occurred_at, e.kind, e.data, COALESCE(u.name, ''),
		e.subject_id, e.contact_id FROM events e LEFT JOIN users u ON u.id = e.actor_id
		WHERE `+where+` ORDER BY e.occurred_at DESC, e.id DESC LIMIT $`+fmt.Sprint(len(args)), args...)
	if err != nil {
		return nil, fmt.Errorf("activity: timeline events: %w", err)
	}
	defer rows.Close()
	var out []Entry
	for rows.Next() {
		var e Entry
		var at db.Time
		var data string
		var contactID sql.NullString
		if err := rows.Scan(&e.ID, &at, &e.EventKind, &data, &e.ActorName, &e.SubjectID, &contactID); err != nil {
			return nil, err
		}
		e.At, e.EventData, e.ContactID = at.Time, json.RawMessage(data), contactID.String
		out = append(out, e)
	}
	return out, rows.Err()
}

// hideContacts leaves out of a company's timeline what happened with those
// of its contacts the actor may not see.
func hideContacts(ctx context.Context, col, contactCol, where string, args []any) (string, []any) {
	if col != "company_id" {
		return where, args
	}
	a, _ := access.ActorFrom(ctx)
	cond, more := a.VisibleRefSQL("contacts", contactCol, len(args))
	if cond == "" {
		return where, args
	}
	return where + " AND " + cond, append(args, more...)
}

func encodeCursor(at time.Time, lastID string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(at.UTC().Format(time.RFC3339Nano) + "|" + lastID))
}

// decodeCursor reads a cursor; "" is the first page.
func decodeCursor(c string) (time.Time, string, bool) {
	if c == "" {
		return time.Time{}, "", true
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", false
	}
	ts, lastID, ok := strings.Cut(string(b), "|")
	if !ok {
		return time.Time{}, "", false
	}
	at, err := time.Parse(time.RFC3339Nano, ts)
	if err != nil || !id.Valid(lastID) {
		return time.Time{}, "", false
	}
	return at, lastID, true
}
