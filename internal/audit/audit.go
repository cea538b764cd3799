// Package audit keeps the audit log: who did what, when and from where.
// Every domain event is audited as it is recorded (event.Record calls
// Record in the same transaction); sign-ins, exports and refused attempts
// are recorded directly.
//
// The log is append-only. Nothing in the code updates or deletes an entry
// and database triggers refuse it on both engines. Details that concern a
// person (a contact) are sealed with that person's own key; erasing the
// person deletes the key (Shred), so the entry stays, readable as "who did
// what when", while the personal data in it is gone for good.
package audit

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Outcomes of an audited action.
const (
	OK     = "ok"
	Denied = "denied"
	Failed = "failed"
)

// Entry is one line of the audit log.
type Entry struct {
	ID         string
	OccurredAt time.Time
	// ActorID is the user who acted; empty for Rapport itself or an
	// anonymous visitor.
	ActorID   string
	ActorName string
	// Action is "<object>.<verb>", e.g. "contact.updated", "auth.signed_in".
	Action     string
	Outcome    string
	ObjectType string
	ObjectID   string
	Address    string
	UserAgent  string
	// KeyID names the person whose key seals Details; "" leaves them plain.
	KeyID string
	// Details is any JSON-encodable detail: before/after values, counts, a
	// reason. Read back, it is the decoded JSON, or nil when Erased.
	Details any
	// Erased is set on entries read back whose person has been erased.
	Erased bool
}

const sealedPrefix = "sealed:"

// Record appends e to the log through q (a transaction, to commit it with
// the change it describes, or the database for stand-alone entries).
// The actor, address and user agent default to those of the actor in ctx.
func Record(ctx context.Context, q db.Querier, e Entry) error {
	e, details, err := prepare(ctx, e)
	if err != nil {
		return err
	}
	if e.KeyID != "" {
		key, err := subjectKey(ctx, q, e.KeyID)
		if err != nil {
			return err
		}
		if details, err = seal(key, details); err != nil {
			return err
		}
	}
	_, err = q.ExecContext(ctx, `INSERT INTO audit_log (`+strings.Join(logColumns, ", ")+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, logRow(e, details)...)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
}

var logColumns = []string{"id", "occurred_at", "actor_id", "actor_name", "action", "outcome",
	"object_type", "object_id", "address", "user_agent", "key_id", "details"}

func logRow(e Entry, details string) []any {
	return []any{e.ID, db.T(e.OccurredAt), db.NullString(e.ActorID), e.ActorName, e.Action, e.Outcome, e.ObjectType,
		e.ObjectID, truncate(e.Address, 100), truncate(e.UserAgent, 300), db.NullString(e.KeyID), details}
}

// prepare fills e's defaults (from the actor in ctx) and encodes its
// details, not yet sealed.
func prepare(ctx context.Context, e Entry) (Entry, string, error) {
	if e.Action == "" {
		return e, "", errors.New("audit: an entry needs an action")
	}
	if e.ID == "" {
		e.ID = id.New()
	}
	if e.OccurredAt.IsZero() {
		e.OccurredAt = db.Now()
	}
	if e.Outcome == "" {
		e.Outcome = OK
	}
	if a, ok := access.ActorFrom(ctx); ok {
		if e.ActorID == "" && e.ActorName == "" {
			e.ActorID = a.UserID
		}
		if e.ActorName == "" && (e.ActorID == a.UserID) {
			e.ActorName = a.Name
		}
		if e.Address == "" {
			e.Address = a.Address
		}
		if e.UserAgent == "" {
			e.UserAgent = a.UserAgent
		}
	}
	details := "{}"
	if e.Details != nil {
		b, err := json.Marshal(e.Details)
		if err != nil {
			return e, "", fmt.Errorf("audit: encode %s details: %w", e.Action, err)
		}
		details = string(b)
	}
	return e, details, nil
}

// RecordBatch appends many entries inside tx with a few statements, as an
// import writes them: the same entries Record would write one by one.
func RecordBatch(ctx context.Context, tx *db.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	var ids []string
	for _, e := range entries {
		if e.KeyID != "" {
			ids = append(ids, e.KeyID)
		}
	}
	keys, err := subjectKeys(ctx, tx, tx.Engine, ids)
	if err != nil {
		return err
	}
	rows := make([][]any, 0, len(entries))
	for _, e := range entries {
		e, details, err := prepare(ctx, e)
		if err != nil {
			return err
		}
		if e.KeyID != "" {
			if details, err = seal(keys[e.KeyID], details); err != nil {
				return err
			}
		}
		rows = append(rows, logRow(e, details))
	}
	if err := db.Insert(ctx, tx, "audit_log", logColumns, rows); err != nil {
		return fmt.Errorf("audit: record batch: %w", err)
	}
	return nil
}

// subjectKeys returns the sealing keys of ids, creating those missing.
func subjectKeys(ctx context.Context, q db.Querier, engine db.Engine, ids []string) (map[string][]byte, error) {
	keys := map[string][]byte{}
	read := func(ids []string) error {
		for from := 0; from < len(ids); from += 500 {
			chunk := ids[from:min(from+500, len(ids))]
			args := make([]any, len(chunk))
			for i, sid := range chunk {
				args[i] = sid
			}
			rows, err := q.QueryContext(ctx, `SELECT subject_id, secret FROM audit_keys WHERE subject_id IN (`+
				engine.Params(len(chunk))+`)`, args...)
			if err != nil {
				return fmt.Errorf("audit: keys: %w", err)
			}
			for rows.Next() {
				var sid string
				var key []byte
				if err := rows.Scan(&sid, &key); err != nil {
					rows.Close()
					return err
				}
				keys[sid] = key
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return nil
	}
	if err := read(unique(ids)); err != nil {
		return nil, err
	}
	var missing []string
	for _, sid := range unique(ids) {
		if keys[sid] == nil {
			missing = append(missing, sid)
		}
	}
	now := db.T(db.Now())
	for from := 0; from < len(missing); from += 200 {
		chunk := missing[from:min(from+200, len(missing))]
		values := make([]string, len(chunk))
		args := make([]any, 0, 3*len(chunk))
		for i, sid := range chunk {
			key := make([]byte, 32)
			rand.Read(key)
			args = append(args, sid, key, now)
			values[i] = "(" + engine.Params(3) + ")"
			if engine == db.Postgres {
				values[i] = fmt.Sprintf("($%d, $%d, $%d)", 3*i+1, 3*i+2, 3*i+3)
			}
		}
		if _, err := q.ExecContext(ctx, `INSERT INTO audit_keys (subject_id, secret, created_at) VALUES `+
			strings.Join(values, ", ")+` ON CONFLICT (subject_id) DO NOTHING`, args...); err != nil {
			return nil, fmt.Errorf("audit: new keys: %w", err)
		}
	}
	// Read back what was written: a key another transaction created first wins.
	return keys, read(missing)
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, x := range ids {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// subjectKey returns the sealing key of subjectID, creating it on first use.
func subjectKey(ctx context.Context, q db.Querier, subjectID string) ([]byte, error) {
	var key []byte
	err := q.QueryRowContext(ctx, `SELECT secret FROM audit_keys WHERE subject_id = $1`, subjectID).Scan(&key)
	if err == nil {
		return key, nil
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("audit: key: %w", err)
	}
	key = make([]byte, 32)
	rand.Read(key)
	if _, err := q.ExecContext(ctx, `INSERT INTO audit_keys (subject_id, secret, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (subject_id) DO NOTHING`, subjectID, key, db.T(db.Now())); err != nil {
		return nil, fmt.Errorf("audit: new key: %w", err)
	}
	if err := q.QueryRowContext(ctx, `SELECT secret FROM audit_keys WHERE subject_id = $1`, subjectID).Scan(&key); err != nil {
		return nil, fmt.Errorf("audit: key: %w", err)
	}
	return key, nil
}

// Shred deletes subjectID's key: every detail sealed with it becomes
// unreadable for good. Erasing a person calls it in the erasure's
// transaction.
func Shred(ctx context.Context, q db.Querier, subjectID string) error {
	if _, err := q.ExecContext(ctx, `DELETE FROM audit_keys WHERE subject_id = $1`, subjectID); err != nil {
		return fmt.Errorf("audit: shred: %w", err)
	}
	return nil
}

func seal(key []byte, plain string) (string, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	rand.Read(nonce)
	out := gcm.Seal(nonce, nonce, []byte(plain), nil)
	return sealedPrefix + base64.RawStdEncoding.EncodeToString(out), nil
}

func open(key []byte, sealed string) ([]byte, error) {
	gcm, err := newGCM(key)
	if err != nil {
		return nil, err
	}
	b, err := base64.RawStdEncoding.DecodeString(strings.TrimPrefix(sealed, sealedPrefix))
	if err != nil || len(b) < gcm.NonceSize() {
		return nil, errors.New("audit: sealed details are damaged")
	}
	return gcm.Open(nil, b[:gcm.NonceSize()], b[gcm.NonceSize():], nil)
}

func newGCM(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("audit: key: %w", err)
	}
	return cipher.NewGCM(block)
}
