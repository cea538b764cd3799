package audit

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Service reads the audit log for admins. It has no method that changes
// or removes an entry, by design.
type Service struct {
	db *db.DB
}

// NewService returns the audit log reader over d.
func NewService(d *db.DB) *Service { return &Service{db: d} }

// Filter narrows the log. Zero fields do not filter.
type Filter struct {
	ActorID string
	// Action is an exact action ("contact.updated") or, ending in a dot, a
	// prefix ("contact.").
	Action     string
	ObjectType string
	ObjectID   string
	Outcome    string
	// From and To bound the time, To exclusive.
	From, To time.Time
}

func (f Filter) validate() error {
	var v apperr.Validation
	if f.ActorID != "" && !id.Valid(f.ActorID) {
		v.Add("actor", "Choose a user from the list.")
	}
	if len(f.Action) > 100 {
		v.Add("action", "An action has at most 100 characters.")
	}
	switch f.Outcome {
	case "", OK, Denied, Failed:
	default:
		v.Add("outcome", "Choose ok, denied or failed.")
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		v.Add("to", "The end must be after the start.")
	}
	return v.Err()
}

// where compiles f to a condition with bound arguments.
func (f Filter) where() (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "?", "$"+strconv.Itoa(len(args))))
	}
	if f.ActorID != "" {
		add("a.actor_id = ?", f.ActorID)
	}
	if strings.HasSuffix(f.Action, ".") {
		// A prefix match as a range, so the (action, id) index serves it.
		add("a.action >= ?", f.Action)
		add("a.action < ?", f.Action[:len(f.Action)-1]+"/")
	} else if f.Action != "" {
		add("a.action = ?", f.Action)
	}
	if f.ObjectType != "" {
		add("a.object_type = ?", f.ObjectType)
	}
	if f.ObjectID != "" {
		add("a.object_id = ?", f.ObjectID)
	}
	if f.Outcome != "" {
		add("a.outcome = ?", f.Outcome)
	}
	if !f.From.IsZero() {
		add("a.occurred_at >= ?", db.T(f.From))
	}
	if !f.To.IsZero() {
		add("a.occurred_at < ?", db.T(f.To))
	}
	if len(conds) == 0 {
		return "1 = 1", nil
	}
	return strings.Join(conds, " AND "), args
}

// Page is one page of the log, newest first.
type Page struct {
	Entries []Entry
	// Next is the cursor of the next (older) page; "" at the end.
	Next string
}

// MaxLimit is the most entries on one page.
const MaxLimit = 200

const selectEntries = `SELECT a.id, a.occurred_at, a.actor_id, a.actor_name, a.action, a.outcome, a.object_type,
	a.object_id, a.address, a.user_agent, a.key_id, a.details, k.secret
	FROM audit_log a LEFT JOIN audit_keys k ON k.subject_id = a.key_id`

// List returns a page of entries matching f, newest first, after the
// cursor after ("" for the first page).
func (s *Service) List(ctx context.Context, f Filter, after string, limit int) (Page, error) {
	if _, err := access.Check(ctx, access.Audit, access.Read); err != nil {
		return Page{}, err
	}
	if err := f.validate(); err != nil {
		return Page{}, err
	}
	if limit <= 0 || limit > MaxLimit {
		limit = 50
	}
	where, args := f.where()
	if after != "" {
		b, err := base64.RawURLEncoding.DecodeString(after)
		if err != nil || !id.Valid(string(b)) {
			v := &apperr.Validation{}
			v.Add("after", "This page link is broken; start from the first page.")
			return Page{}, v
		}
		args = append(args, string(b))
		where += " AND a.id < $" + strconv.Itoa(len(args))
	}
	args = append(args, limit+1)
	rows, err := s.db.R.QueryContext(ctx, selectEntries+` WHERE `+where+` ORDER BY a.id DESC LIMIT $`+strconv.Itoa(len(args)), args...)
	if err != nil {
		return Page{}, fmt.Errorf("audit: list: %w", err)
	}
	defer rows.Close()
	var p Page
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return Page{}, err
		}
		p.Entries = append(p.Entries, e)
	}
	if err := rows.Err(); err != nil {
		return Page{}, fmt.Errorf("audit: list: %w", err)
	}
	if len(p.Entries) > limit {
		p.Entries = p.Entries[:limit]
		p.Next = base64.RawURLEncoding.EncodeToString([]byte(p.Entries[limit-1].ID))
	}
	return p, nil
}

func scanEntry(rows *sql.Rows) (Entry, error) {
	var e Entry
	var at db.Time
	var actor, keyID sql.NullString
	var details string
	var secret []byte
	if err := rows.Scan(&e.ID, &at, &actor, &e.ActorName, &e.Action, &e.Outcome, &e.ObjectType, &e.ObjectID,
		&e.Address, &e.UserAgent, &keyID, &details, &secret); err != nil {
		return e, fmt.Errorf("audit: read: %w", err)
	}
	e.OccurredAt, e.ActorID, e.KeyID = at.Time, actor.String, keyID.String
	raw := []byte(details)
	if e.KeyID != "" {
		if secret == nil {
			e.Erased = true
			return e, nil
		}
		var err error
		if raw, err = open(secret, details); err != nil {
			return e, err
		}
	}
	var d any
	if err := json.Unmarshal(raw, &d); err != nil {
		return e, fmt.Errorf("audit: entry %s details: %w", e.ID, err)
	}
	e.Details = d
	return e, nil
}

// ExportColumns are the CSV export's header.
var ExportColumns = []string{"id", "time", "actor_id", "actor", "action", "outcome", "object_type", "object_id",
	"address", "user_agent", "details"}

// Export writes every entry matching f as CSV to w, oldest first, and
// records the export itself. It streams: the log can be any size.
func (s *Service) Export(ctx context.Context, f Filter, w io.Writer) (int, error) {
	if _, err := access.Check(ctx, access.Audit, access.Export); err != nil {
		return 0, err
	}
	if err := f.validate(); err != nil {
		return 0, err
	}
	where, args := f.where()
	rows, err := s.db.R.QueryContext(ctx, selectEntries+` WHERE `+where+` ORDER BY a.id`, args...)
	if err != nil {
		return 0, fmt.Errorf("audit: export: %w", err)
	}
	defer rows.Close()
	cw := csv.NewWriter(w)
	cw.Write(ExportColumns)
	n := 0
	for rows.Next() {
		e, err := scanEntry(rows)
		if err != nil {
			return n, err
		}
		details := "(erased)"
		if !e.Erased {
			b, _ := json.Marshal(e.Details)
			details = string(b)
		}
		rec := []string{e.ID, e.OccurredAt.UTC().Format(time.RFC3339Nano), e.ActorID, e.ActorName, e.Action, e.Outcome,
			e.ObjectType, e.ObjectID, e.Address, e.UserAgent, details}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		cw.Write(rec)
		n++
		if n%1000 == 0 {
			cw.Flush()
			if err := cw.Error(); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("audit: export: %w", err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, err
	}
	return n, Record(ctx, s.db.W, Entry{Action: "audit.exported", ObjectType: "audit",
		Details: map[string]any{"rows": n, "filter": f}})
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Refused records an attempt the actor in ctx was not allowed: a role
// without the right (err wraps apperr.ErrForbidden) or a record outside
// their scope (access.ErrOutOfScope). Other errors are not recorded. It
// reports whether it recorded one; a failure to record is returned.
func Refused(ctx context.Context, q db.Querier, err error, method, path string) (bool, error) {
	if !errors.Is(err, apperr.ErrForbidden) && !errors.Is(err, access.ErrOutOfScope) {
		return false, nil
	}
	reason := "forbidden"
	if errors.Is(err, access.ErrOutOfScope) {
		reason = "outside scope"
	}
	return true, Record(ctx, q, Entry{Action: "access.denied", Outcome: Denied, ObjectType: "route", ObjectID: method + " " + path,
		Details: map[string]string{"reason": reason, "error": err.Error()}})
}
