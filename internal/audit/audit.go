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
	if e.Action == "" {
		return errors.New("audit: an entry needs an action")
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
			return fmt.Errorf("audit: encode %s details: %w", e.Action, err)
		}
		details = string(b)
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
	_, err := q.ExecContext(ctx, `INSERT INTO audit_log (id, occurred_at, actor_id, actor_name, action, outcome,
		object_type, object_id, address, user_agent, key_id, details)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		e.ID, db.T(e.OccurredAt), db.NullString(e.ActorID), e.ActorName, e.Action, e.Outcome, e.ObjectType, e.ObjectID,
		truncate(e.Address, 100), truncate(e.UserAgent, 300), db.NullString(e.KeyID), details)
	if err != nil {
		return fmt.Errorf("audit: record %s: %w", e.Action, err)
	}
	return nil
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
