package audit

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/rapportcrm/rapport/internal/db"
)

// AboutSubjects returns, oldest first, the entries about any of the given
// people (contacts): those sealed with their key and those whose object is
// one of them. Sealed details are opened while the key exists; after an
// erasure they come back Erased. A person's data export reads it.
func AboutSubjects(ctx context.Context, q db.Querier, subjectIDs []string) ([]Entry, error) {
	if len(subjectIDs) == 0 {
		return []Entry{}, nil
	}
	ph := make([]string, len(subjectIDs))
	args := make([]any, len(subjectIDs))
	for i, s := range subjectIDs {
		ph[i], args[i] = fmt.Sprintf("$%d", i+1), s
	}
	in := strings.Join(ph, ", ")
	rows, err := q.QueryContext(ctx, `SELECT id, occurred_at, actor_id, actor_name, action, outcome, object_type,
		object_id, address, user_agent, key_id, details FROM audit_log
		WHERE key_id IN (`+in+`) OR (object_type = 'contact' AND object_id IN (`+in+`)) ORDER BY id`, args...)
	if err != nil {
		return nil, fmt.Errorf("audit: about: %w", err)
	}
	defer rows.Close()
	out := []Entry{}
	for rows.Next() {
		var e Entry
		var at db.Time
		var actor, key sql.NullString
		var details string
		if err := rows.Scan(&e.ID, &at, &actor, &e.ActorName, &e.Action, &e.Outcome, &e.ObjectType, &e.ObjectID,
			&e.Address, &e.UserAgent, &key, &details); err != nil {
			return nil, fmt.Errorf("audit: about: %w", err)
		}
		e.OccurredAt, e.ActorID, e.KeyID = at.Time, actor.String, key.String
		e.Details = json.RawMessage(details)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	keys := map[string][]byte{}
	for i, e := range out {
		raw := string(e.Details.(json.RawMessage))
		if !strings.HasPrefix(raw, sealedPrefix) {
			continue
		}
		key, ok := keys[e.KeyID]
		if !ok {
			err := q.QueryRowContext(ctx, `SELECT secret FROM audit_keys WHERE subject_id = $1`, e.KeyID).Scan(&key)
			if err != nil && err != sql.ErrNoRows {
				return nil, fmt.Errorf("audit: key: %w", err)
			}
			keys[e.KeyID] = key
		}
		if key == nil {
			out[i].Details, out[i].Erased = nil, true
			continue
		}
		plain, err := open(key, raw)
		if err != nil {
			return nil, err
		}
		out[i].Details = json.RawMessage(plain)
	}
	return out, nil
}
