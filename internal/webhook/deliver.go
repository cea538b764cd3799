package webhook

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/jobs"
	"github.com/rapportcrm/rapport/internal/mail"
)

// DeliverArgs is the job of one attempt of one delivery. The next attempt
// after a failure is a new job, enqueued with the failure's record.
type DeliverArgs struct {
	DeliveryID string `json:"delivery_id"`
	Attempt    int    `json:"attempt"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return "webhook.deliver" }

// Queue is the job queue deliveries run in, apart from the default one so
// that receivers that hang until the time-out cannot hold up reminders,
// mail or imports. A process that works webhook jobs must have it (with
// QueueWorkers workers, say) in jobs.Options.Queues.
const Queue = "webhooks"

// QueueWorkers is how many deliveries one `rapport serve` runs at once.
const QueueWorkers = 50

// InsertOpts implements river.JobArgsWithInsertOpts: deliveries run in
// Queue; River's own retries only cover failures to record an outcome (the
// database was away).
func (DeliverArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: Queue, MaxAttempts: 10}
}

// DeliverWorker works delivery attempts.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	s *Service
}

// NewDeliverWorker returns the worker to register with the job queue.
func NewDeliverWorker(s *Service) *DeliverWorker { return &DeliverWorker{s: s} }

// Timeout implements river.Worker: the request's time-out and some.
func (w *DeliverWorker) Timeout(*river.Job[DeliverArgs]) time.Duration {
	return Timeout + 20*time.Second
}

// Work makes the attempt and records it.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	return w.s.attempt(ctx, job.Args, job.JobRow)
}

func (s *Service) enqueue(ctx context.Context, tx *db.Tx, deliveryID string, attempt int, at time.Time) error {
	if s.queue == nil {
		return nil
	}
	var opts *river.InsertOpts
	if !at.IsZero() {
		opts = &river.InsertOpts{ScheduledAt: at, Queue: Queue, MaxAttempts: 10}
	}
	return s.queue.Enqueue(ctx, tx, DeliverArgs{DeliveryID: deliveryID, Attempt: attempt}, opts)
}

func (s *Service) enqueueFirst(ctx context.Context, tx *db.Tx, ids []string) error {
	if s.queue == nil || len(ids) == 0 {
		return nil
	}
	params := make([]river.InsertManyParams, len(ids))
	for i, x := range ids {
		params[i] = river.InsertManyParams{Args: DeliverArgs{DeliveryID: x, Attempt: 1}}
	}
	return s.queue.EnqueueMany(ctx, tx, params)
}

// outcome is what one HTTP attempt came to.
type outcome struct {
	code     int
	excerpt  string
	err      string
	duration time.Duration
}

func (o outcome) ok() bool { return o.err == "" && o.code >= 200 && o.code < 300 }

// attempt makes attempt args.Attempt of a delivery unless its outcome is
// already recorded, then records it and completes job in one transaction.
func (s *Service) attempt(ctx context.Context, args DeliverArgs, job *rivertype.JobRow) error {
	complete := func(fn func(tx *db.Tx) error) error {
		return s.db.WithTx(ctx, func(tx *db.Tx) error {
			if fn != nil {
				if err := fn(tx); err != nil {
					return err
				}
			}
			if job == nil {
				return nil
			}
			return jobs.CompleteTx(ctx, tx, job)
		})
	}
	d, err := deliveryByID(ctx, s.db.R, args.DeliveryID)
	if errors.Is(err, apperr.ErrNotFound) {
		return complete(nil) // its subscription was deleted
	}
	if err != nil {
		return err
	}
	if d.Status == Succeeded || d.Status == Dead || d.Attempts != args.Attempt-1 {
		return complete(nil) // this attempt's outcome is recorded already
	}
	sub, err := subByID(ctx, s.db.R, d.SubscriptionID)
	if errors.Is(err, apperr.ErrNotFound) {
		return complete(nil)
	}
	if err != nil {
		return err
	}
	if !sub.Enabled {
		return complete(func(tx *db.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'dead', next_attempt_at = NULL,
				last_error = $3 WHERE id = $1 AND attempts = $2 AND status IN ('pending', 'failed')`,
				d.ID, d.Attempts, "Not sent: the webhook is disabled.")
			return err
		})
	}
	allow, err := s.AllowPrivate(ctx)
	if err != nil {
		return err
	}
	at := s.now()
	out := s.send(ctx, sub, d, at, allow)
	return complete(func(tx *db.Tx) error { return s.recordAttempt(ctx, tx, sub, d, args.Attempt, at, out) })
}

// send makes one HTTP attempt.
func (s *Service) send(ctx context.Context, sub Subscription, d Delivery, at time.Time, allowPrivate bool) outcome {
	sig, err := Sign(sub.Secret, d.ID, at, d.Payload)
	if err != nil {
		return outcome{err: "Cannot sign: " + err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, sub.URL, bytes.NewReader(d.Payload))
	if err != nil {
		return outcome{err: "Bad URL: " + err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Rapport-Webhooks/1")
	req.Header.Set("webhook-id", d.ID)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
	req.Header.Set("webhook-signature", sig)
	client := s.strict
	if allowPrivate {
		client = s.open
	}
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return outcome{err: s.transportError(err), duration: time.Since(start)}
	}
	defer resp.Body.Close()
	buf, _ := io.ReadAll(io.LimitReader(resp.Body, ResponseExcerpt))
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // so the connection can be reused
	o := outcome{code: resp.StatusCode, excerpt: excerpt(buf), duration: time.Since(start)}
	switch {
	case o.code >= 200 && o.code < 300:
	case o.code >= 300 && o.code < 400:
		o.err = fmt.Sprintf("The receiver answered %d, a redirect (to %q); redirects are not followed, so this counts as a failure.",
			o.code, resp.Header.Get("Location"))
	default:
		o.err = fmt.Sprintf("The receiver answered %d.", o.code)
	}
	return o
}

func (s *Service) transportError(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, ErrPrivateAddress):
		msg := err.Error()
		if i := strings.Index(msg, "webhook: "); i >= 0 {
			msg = msg[i+len("webhook: "):]
		}
		return "Refused: " + msg + ". An administrator can allow private addresses in the webhook settings."
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("No complete answer within %s (time-out).", s.timeout)
	}
	return "Could not reach the receiver: " + err.Error()
}

// excerpt is the start of a response body as valid UTF-8.
func excerpt(b []byte) string {
	// PostgreSQL text holds no NUL.
	s := strings.ReplaceAll(strings.ToValidUTF8(string(b), "�"), "\x00", "")
	for len(s) > ResponseExcerpt {
		_, n := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-n]
	}
	return s
}

// recordAttempt writes an attempt's log row and the delivery's new state,
// schedules the next attempt after a failure, and disables the
// subscription when every attempt has failed for DisableAfter.
func (s *Service) recordAttempt(ctx context.Context, tx *db.Tx, sub Subscription, d Delivery, n int, at time.Time, o outcome) error {
	var code any
	if o.code != 0 {
		code = o.code
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (id, delivery_id, attempt, at, status_code, duration_ms,
		response, error) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (delivery_id, attempt) DO NOTHING`,
		id.New(), d.ID, n, db.T(at), code, o.duration.Milliseconds(), o.excerpt, o.err)
	if err != nil {
		return fmt.Errorf("webhook: record attempt: %w", err)
	}
	if k, err := res.RowsAffected(); err != nil || k == 0 {
		return err // recorded already by an earlier run
	}
	if o.ok() {
		if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = 'succeeded', attempts = $2, last_status = $3,
			last_error = '', next_attempt_at = NULL, delivered_at = $4 WHERE id = $1`, d.ID, n, code, db.T(at)); err != nil {
			return fmt.Errorf("webhook: record success: %w", err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL`, sub.ID)
		return err
	}
	status, next := Dead, time.Time{}
	if wait, more := Backoff(n); more {
		status, next = Failed, at.Add(wait)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET status = $2, attempts = $3, last_status = $4,
		last_error = $5, next_attempt_at = $6 WHERE id = $1`, d.ID, status, n, code, o.err, db.T(next)); err != nil {
		return fmt.Errorf("webhook: record failure: %w", err)
	}
	if status == Failed {
		if err := s.enqueue(ctx, tx, d.ID, n+1, next); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE webhook_subscriptions SET failing_since = $2 WHERE id = $1 AND failing_since IS NULL`,
		sub.ID, db.T(at)); err != nil {
		return fmt.Errorf("webhook: record failure: %w", err)
	}
	cur, err := subByID(ctx, tx, sub.ID)
	if err != nil {
		return err
	}
	if cur.Enabled && !cur.FailingSince.IsZero() && !at.Before(cur.FailingSince.Add(DisableAfter)) {
		return s.disable(ctx, tx, cur, at, o.err)
	}
	return nil
}

// disable turns a failing subscription off, records webhook.disabled and
// emails whoever created it.
func (s *Service) disable(ctx context.Context, tx *db.Tx, sub Subscription, at time.Time, lastErr string) error {
	sub.Enabled = false
	sub.DisabledReason = fmt.Sprintf("Disabled automatically: every delivery failed from %s to %s. Last error: %s",
		sub.FailingSince.Format(time.RFC3339), at.Format(time.RFC3339), lastErr)
	sub.UpdatedAt = at
	if err := updateSub(ctx, tx, sub); err != nil {
		return err
	}
	if _, err := event.Record(ctx, tx, event.Event{Kind: "webhook.disabled", SubjectType: "webhook", SubjectID: sub.ID,
		Data: map[string]any{"url": sub.URL, "reason": sub.DisabledReason, "automatic": true}}); err != nil {
		return err
	}
	if s.outbox == nil || sub.CreatedBy == "" {
		return nil
	}
	var email, name string
	err := tx.QueryRowContext(ctx, `SELECT email, name FROM users WHERE id = $1 AND disabled_at IS NULL`, sub.CreatedBy).Scan(&email, &name)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("webhook: creator of %s: %w", sub.ID, err)
	}
	link := strings.TrimRight(s.baseURL, "/") + "/settings/webhooks/" + sub.ID
	text := "Rapport has disabled a webhook because every delivery to it failed for " +
		strconv.Itoa(int(DisableAfter/time.Hour)) + " hours.\n\nURL: " + sub.URL + "\n"
	if sub.Description != "" {
		text += "Description: " + sub.Description + "\n"
	}
	text += "Last error: " + lastErr + "\n\nNo more events are sent to it. Once the receiver works again, enable the webhook" +
		" and resend the failed deliveries from its delivery log:\n" + link + "\n"
	sctx := access.WithActor(ctx, access.SystemActor)
	_, err = s.outbox.Queue(sctx, tx, mail.Message{To: email, ToName: name, Kind: "webhook.disabled",
		Subject: "Webhook disabled: " + sub.URL, Text: text})
	return err
}
