// Package mail is Rapport's outgoing mail. A message is queued in the
// outbox inside the transaction of the change that sends it, so it exists
// exactly when the change committed. Without a mail server (--smtp) the
// message stays in the outbox, where owners and admins read it; with one,
// a durable job sends it, retries what fails for a while and records the
// result on the message.
package mail

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Status is where a message stands.
type Status string

// Statuses of a message.
const (
	// Kept: no mail server is configured; the message stays in the outbox.
	Kept Status = "kept"
	// Queued: waiting to be sent (or to be tried again after a failure).
	Queued Status = "queued"
	// Sent: the mail server accepted the message.
	Sent Status = "sent"
	// Failed: the mail server refused the message for good, or every
	// attempt failed.
	Failed Status = "failed"
)

// Label is the status as pages show it.
func (s Status) Label() string {
	switch s {
	case Kept:
		return "Kept (no mail server)"
	case Queued:
		return "Waiting to be sent"
	case Sent:
		return "Sent"
	case Failed:
		return "Failed"
	}
	return string(s)
}

// Message is an email to queue.
type Message struct {
	To     string
	ToName string
	// Kind says what the message is for ("invite", ...), for the outbox page.
	Kind    string
	Subject string
	Text    string
	// HTML is an optional HTML alternative to Text.
	HTML string
	// Secrets are parts of the bodies (a single-use link) that the stored
	// copy loses once the message is sent or Redact is called.
	Secrets []string
}

// Stored is a message as the outbox holds it.
type Stored struct {
	ID        string
	CreatedAt time.Time
	CreatedBy string
	Kind      string
	To        string
	ToName    string
	Subject   string
	Text      string
	HTML      string
	Status    Status
	Attempts  int
	LastError string
	MessageID string
	SentAt    time.Time
	UpdatedAt time.Time
}

// Enqueuer inserts a job inside a transaction; *jobs.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error
}

// Outbox queues, lists and (once Deliver is called) sends mail.
type Outbox struct {
	db *db.DB
	// queue and sender are set by Deliver; without them mail is kept.
	queue  Enqueuer
	sender *sender
}

// New returns the outbox of d. It keeps every message until Deliver gives
// it a mail server.
func New(d *db.DB) *Outbox { return &Outbox{db: d} }

// Delivering reports whether queued mail is sent (a mail server is set).
func (o *Outbox) Delivering() bool { return o.sender != nil && o.queue != nil }

// validate checks m and returns the recipient address, normalised.
func (m *Message) validate() error {
	var v apperr.Validation
	m.To = strings.TrimSpace(m.To)
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != m.To {
		v.Add("to", "Enter the recipient's email address like name@example.com.")
	}
	m.Subject = strings.TrimSpace(m.Subject)
	if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") {
		v.Add("subject", "A message needs a subject on one line.")
	}
	if strings.ContainsAny(m.ToName, "\r\n") {
		v.Add("to_name", "A name is on one line.")
	}
	if m.Text == "" {
		v.Add("text", "A message needs a text body.")
	}
	return v.Err()
}

func redact(s string, secrets []string) string {
	for _, x := range secrets {
		if x != "" {
			s = strings.ReplaceAll(s, x, "[link removed]")
		}
	}
	return s
}

// Queue adds m to the outbox inside tx and returns its ID. When the outbox
// delivers, a job to send it is enqueued in the same transaction; otherwise
// the message is kept. The sender is the actor in ctx, if any.
func (o *Outbox) Queue(ctx context.Context, tx *db.Tx, m Message) (string, error) {
	if err := m.validate(); err != nil {
		return "", err
	}
	actor, _ := access.ActorFrom(ctx)
	now := db.Now()
	msgID := id.New()
	status := Kept
	if o.Delivering() {
		status = Queued
	}
	var redText, redHTML any
	if len(m.Secrets) > 0 {
		redText = redact(m.Text, m.Secrets)
		redHTML = redact(m.HTML, m.Secrets)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO mail_outbox (id, created_at, created_by, kind, to_addr, to_name, subject,
		text_body, html_body, redacted_text, redacted_html, status, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $2)`,
		msgID, db.T(now), db.NullString(actor.UserID), m.Kind, m.To, m.ToName, m.Subject, m.Text, m.HTML,
		redText, redHTML, string(status))
	if err != nil {
		return "", fmt.Errorf("mail: queue: %w", err)
	}
	if status == Queued {
		if err := o.queue.Enqueue(ctx, tx, SendArgs{MessageID: msgID}, nil); err != nil {
			return "", fmt.Errorf("mail: queue: %w", err)
		}
	}
	return msgID, nil
}

// Redact removes the secrets from the stored copy of message msgID inside
// tx, for when the link in it no longer works (used or withdrawn). A
// message without secrets, or already redacted, is left as it is.
func Redact(ctx context.Context, tx *db.Tx, msgID string) error {
	if msgID == "" {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET text_body = COALESCE(redacted_text, text_body),
		html_body = COALESCE(redacted_html, html_body), redacted_text = NULL, redacted_html = NULL
		WHERE id = $1 AND redacted_text IS NOT NULL`, msgID)
	if err != nil {
		return fmt.Errorf("mail: redact: %w", err)
	}
	return nil
}

// Redact is the package's Redact, so that *Outbox serves as a whole mailer.
func (o *Outbox) Redact(ctx context.Context, tx *db.Tx, msgID string) error {
	return Redact(ctx, tx, msgID)
}

const storedColumns = `id, created_at, created_by, kind, to_addr, to_name, subject, text_body, html_body,
	status, attempts, last_error, message_id, sent_at, updated_at`

func scanStored(row interface{ Scan(...any) error }) (Stored, error) {
	var m Stored
	var created, sent, updated db.Time
	var by sql.NullString
	var status string
	err := row.Scan(&m.ID, &created, &by, &m.Kind, &m.To, &m.ToName, &m.Subject, &m.Text, &m.HTML,
		&status, &m.Attempts, &m.LastError, &m.MessageID, &sent, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return m, apperr.ErrNotFound
	}
	if err != nil {
		return m, err
	}
	m.CreatedAt, m.SentAt, m.UpdatedAt = created.Time, sent.Time, updated.Time
	m.CreatedBy, m.Status = by.String, Status(status)
	return m, nil
}

func load(ctx context.Context, q db.Querier, msgID string) (Stored, error) {
	m, err := scanStored(q.QueryRowContext(ctx, `SELECT `+storedColumns+` FROM mail_outbox WHERE id = $1`, msgID))
	if err != nil {
		return m, fmt.Errorf("mail %s: %w", msgID, err)
	}
	return m, nil
}

// checkRead lets owners and admins read the outbox: messages can carry
// sign-in links, so reading them is administering the installation, the
// right to change settings.
func checkRead(ctx context.Context) error {
	_, err := access.Check(ctx, access.Settings, access.Update)
	return err
}

// ByID returns one message, or an error wrapping apperr.ErrNotFound.
func (o *Outbox) ByID(ctx context.Context, msgID string) (Stored, error) {
	if err := checkRead(ctx); err != nil {
		return Stored{}, err
	}
	if !id.Valid(msgID) {
		return Stored{}, fmt.Errorf("mail %q: %w", msgID, apperr.ErrNotFound)
	}
	return load(ctx, o.db.R, msgID)
}

// PageSize is how many messages List returns at most.
const PageSize = 50

// Page is one page of the outbox, newest first.
type Page struct {
	Messages []Stored
	// Older is the cursor of the next, older page; "" on the last page.
	Older string
}

// List returns the messages older than the cursor before ("" for the
// newest), newest first, at most PageSize.
func (o *Outbox) List(ctx context.Context, before string) (Page, error) {
	if err := checkRead(ctx); err != nil {
		return Page{}, err
	}
	where, args := "", []any{PageSize + 1}
	if before != "" {
		if !id.Valid(before) {
			return Page{}, fmt.Errorf("mail: cursor %q: %w", before, apperr.ErrNotFound)
		}
		where, args = ` WHERE id < $2`, append(args, before)
	}
	rows, err := o.db.R.QueryContext(ctx, `SELECT `+storedColumns+` FROM mail_outbox`+where+` ORDER BY id DESC LIMIT $1`, args...)
	if err != nil {
		return Page{}, fmt.Errorf("mail: list: %w", err)
	}
	defer rows.Close()
	p := Page{Messages: []Stored{}}
	for rows.Next() {
		m, err := scanStored(rows)
		if err != nil {
			return Page{}, err
		}
		p.Messages = append(p.Messages, m)
	}
	if err := rows.Err(); err != nil {
		return Page{}, err
	}
	if len(p.Messages) > PageSize {
		p.Messages = p.Messages[:PageSize]
		p.Older = p.Messages[PageSize-1].ID
	}
	return p, nil
}
