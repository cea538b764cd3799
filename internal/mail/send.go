package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	gomail "github.com/wneessen/go-mail"

	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/jobs"
)

// MaxAttempts is how often a message is tried before it is marked failed.
// With River's backoff (attempt⁴ seconds) the attempts span about 1.5 hours.
const MaxAttempts = 8

// sendTimeout bounds one attempt: connecting, talking and sending.
const sendTimeout = 30 * time.Second

// sender talks to one mail server.
type sender struct {
	host string
	opts []gomail.Option
	from *mail.Address
}

// Server is where Deliver sends mail.
type Server struct {
	// URL is the --smtp setting: smtp://user:pass@host:port (STARTTLS when
	// the server offers it; port 587 when none is given) or
	// smtps://user:pass@host:port (TLS from the start; port 465). Query
	// parameters: "from" sets the sender address; "auth" picks plain, login
	// or cram-md5 instead of the strongest mechanism the server offers
	// (plain and login are refused over an unencrypted connection, except
	// to localhost).
	URL string
	// From is the sender when URL names none, e.g. "Rapport <rapport@example.com>".
	From string
}

// Deliver makes the outbox send mail through srv: from now on queued
// messages get a job on q that sends them. Messages kept before stay kept.
func (o *Outbox) Deliver(srv Server, q Enqueuer) error {
	s, err := newSender(srv)
	if err != nil {
		return err
	}
	if q == nil {
		return errors.New("mail: delivering needs a job queue")
	}
	o.sender, o.queue = s, q
	return nil
}

func newSender(srv Server) (*sender, error) {
	u, err := url.Parse(srv.URL)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, errors.New("mail: the mail server must look like smtp://user:pass@host:port or smtps://host:465")
	}
	from := srv.From
	if f := u.Query().Get("from"); f != "" {
		from = f
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: sender address %q: %w", from, err)
	}
	s := &sender{host: u.Hostname(), from: addr}
	port := 587
	if u.Scheme == "smtps" {
		port = 465
		s.opts = append(s.opts, gomail.WithSSL())
	} else {
		s.opts = append(s.opts, gomail.WithTLSPortPolicy(gomail.TLSOpportunistic))
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: port %q is not a number", p)
		}
	}
	s.opts = append(s.opts, gomail.WithPort(port), gomail.WithTimeout(sendTimeout))
	if u.User != nil && u.User.Username() != "" {
		pw, _ := u.User.Password()
		auth := gomail.SMTPAuthAutoDiscover
		switch strings.ToLower(u.Query().Get("auth")) {
		case "":
		case "plain":
			auth = gomail.SMTPAuthPlain
		case "login":
			auth = gomail.SMTPAuthLogin
		case "cram-md5":
			auth = gomail.SMTPAuthCramMD5
		default:
			return nil, fmt.Errorf("mail: auth %q must be plain, login or cram-md5 (or left out to discover)", u.Query().Get("auth"))
		}
		s.opts = append(s.opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pw))
	}
	return s, nil
}

// messageID is the Message-ID of outbox message m: the same on every
// attempt, so a receiver can tell a repeat after a crash.
func (s *sender) messageID(m Stored) string {
	domain := "rapport.invalid"
	if _, d, ok := strings.Cut(s.from.Address, "@"); ok && d != "" {
		domain = d
	}
	return m.ID + "@" + domain
}

func (s *sender) send(ctx context.Context, m Stored) (string, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	var err error
	if m.ToName != "" {
		err = msg.AddToFormat(m.ToName, m.To)
	} else {
		err = msg.To(m.To)
	}
	if err != nil {
		return "", permanent{fmt.Errorf("recipient %q: %w", m.To, err)}
	}
	msg.Subject(m.Subject)
	msgID := s.messageID(m)
	msg.SetMessageIDWithValue(msgID)
	msg.SetDate()
	msg.SetGenHeader("Auto-Submitted", "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return "", permanent{err}
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 {
			return "", permanent{err}
		}
		return "", err
	}
	return "<" + msgID + ">", nil
}

// permanent marks an error that trying again cannot fix (the server
// refused the message with a 5xx reply, or the message is malformed).
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }

// SendArgs is the job that sends one outbox message.
type SendArgs struct {
	MessageID string `json:"message_id"`
}

// Kind implements river.JobArgs.
func (SendArgs) Kind() string { return "mail.send" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (SendArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: MaxAttempts} }

// Worker sends outbox messages.
type Worker struct {
	river.WorkerDefaults[SendArgs]
	o *Outbox
}

// NewWorker returns the worker to register with the job queue.
func NewWorker(o *Outbox) *Worker { return &Worker{o: o} }

// Timeout implements river.Worker: one attempt and its bookkeeping.
func (w *Worker) Timeout(*river.Job[SendArgs]) time.Duration { return sendTimeout + 10*time.Second }

// Work sends the message once and records the result on it. A temporary
// failure is retried by the queue; a permanent one, or the last attempt,
// marks the message failed.
func (w *Worker) Work(ctx context.Context, job *river.Job[SendArgs]) error {
	d := w.o.db
	m, err := load(ctx, d.R, job.Args.MessageID)
	if err != nil {
		if errors.Is(err, apperr.ErrNotFound) {
			return nil
		}
		return err
	}
	if m.Status != Queued {
		return nil
	}
	if w.o.sender == nil {
		// The process runs without a mail server now: keep the message.
		return w.record(ctx, m.ID, Kept, "", "")
	}
	msgID, sendErr := w.o.sender.send(ctx, m)
	if sendErr == nil {
		return d.WithTx(ctx, func(tx *db.Tx) error {
			if err := finish(ctx, tx, m.ID, Sent, "", msgID); err != nil {
				return err
			}
			return jobs.CompleteTx(ctx, tx, job.JobRow)
		})
	}
	var perm permanent
	final := errors.As(sendErr, &perm) || job.Attempt >= job.MaxAttempts
	status := Queued
	if final {
		status = Failed
	}
	if err := w.record(ctx, m.ID, status, errText(sendErr), ""); err != nil {
		return errors.Join(sendErr, err)
	}
	if final {
		return river.JobCancel(sendErr)
	}
	return sendErr
}

func (w *Worker) record(ctx context.Context, msgID string, status Status, lastErr, messageID string) error {
	return w.o.db.WithTx(ctx, func(tx *db.Tx) error { return finish(ctx, tx, msgID, status, lastErr, messageID) })
}

// finish records an attempt's result on the message. A sent message loses
// its secrets; a failed one keeps them, as the outbox is then the only way
// to pass the link on.
func finish(ctx context.Context, tx *db.Tx, msgID string, status Status, lastErr, messageID string) error {
	now := db.Now()
	var sentAt db.Time
	attempt := 1
	if status == Sent {
		sentAt = db.T(now)
	}
	if status == Kept {
		attempt = 0
	}
	_, err := tx.ExecContext(ctx, `UPDATE mail_outbox SET status = $2, attempts = attempts + $3, last_error = $4,
		message_id = COALESCE(NULLIF($5, ''), message_id), sent_at = $6, updated_at = $7
		WHERE id = $1`, msgID, string(status), attempt, lastErr, messageID, sentAt, db.T(now))
	if err != nil {
		return fmt.Errorf("mail: record attempt: %w", err)
	}
	if status == Sent {
		return Redact(ctx, tx, msgID)
	}
	return nil
}

// errText is err as the outbox page shows it: one line, at most 500 bytes.
func errText(err error) string {
	s := strings.Join(strings.Fields(err.Error()), " ")
	if len(s) > 500 {
		s = s[:500]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
	}
	return s
}
