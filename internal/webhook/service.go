package webhook

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/riverqueue/river"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/mail"
	"github.com/rapportcrm/rapport/internal/setting"
)

// AllowPrivateSetting is the settings key of "Allow webhooks to private
// addresses" ("true" or absent).
const AllowPrivateSetting = "webhooks_allow_private"

// Enqueuer inserts jobs inside a transaction; *jobs.Queue is one.
type Enqueuer interface {
	Enqueue(ctx context.Context, tx *db.Tx, args river.JobArgs, opts *river.InsertOpts) error
	EnqueueMany(ctx context.Context, tx *db.Tx, params []river.InsertManyParams) error
}

// Options configures a Service.
type Options struct {
	DB *db.DB
	// Outbox sends the email that a subscription was disabled; nil sends none.
	Outbox *mail.Outbox
	// BaseURL goes into links in emails.
	BaseURL string
	// Now is the clock (default db.Now); tests move it.
	Now func() time.Time
	// Resolver looks host names up when a URL is saved (default
	// net.DefaultResolver).
	Resolver Resolver
	// MaxConns bounds connections per receiver host (default 64).
	MaxConns int
	// Settle (PostgreSQL only) is how far behind the start of the oldest
	// open transaction (and the present) the dispatcher stays; default 1 s,
	// negative for none.
	Settle time.Duration
	// Batch is how many events one dispatcher run reads (default 500).
	Batch int
	// Timeout bounds one HTTP attempt (default Timeout); tests shorten it.
	Timeout time.Duration
}

// Service manages subscriptions and delivers events.
type Service struct {
	db       *db.DB
	queue    Enqueuer
	outbox   *mail.Outbox
	baseURL  string
	now      func() time.Time
	resolver Resolver
	settle   time.Duration
	batch    int
	timeout  time.Duration
	// strict refuses addresses inside the network; open does not.
	strict, open *http.Client
}

// New returns the webhook service of opts.DB. Without a queue (UseQueue)
// it manages subscriptions but delivers nothing.
func New(opts Options) *Service {
	s := &Service{db: opts.DB, outbox: opts.Outbox, baseURL: opts.BaseURL, now: opts.Now, resolver: opts.Resolver,
		settle: opts.Settle, batch: opts.Batch}
	if s.now == nil {
		s.now = db.Now
	}
	if s.resolver == nil {
		s.resolver = net.DefaultResolver
	}
	if s.settle == 0 {
		s.settle = time.Second
	}
	s.settle = max(s.settle, 0)
	if s.batch == 0 {
		s.batch = 500
	}
	conns := opts.MaxConns
	if conns == 0 {
		conns = 64
	}
	s.timeout = opts.Timeout
	if s.timeout == 0 {
		s.timeout = Timeout
	}
	s.strict = newClient(false, conns, s.timeout)
	s.open = newClient(true, conns, s.timeout)
	return s
}

// UseQueue gives the service its job queue.
func (s *Service) UseQueue(q Enqueuer) { s.queue = q }

// UseMail sets the outbox and the base URL of links in emails.
func (s *Service) UseMail(o *mail.Outbox, baseURL string) { s.outbox, s.baseURL = o, baseURL }

// Input is what a person sets on a subscription.
type Input struct {
	URL         string
	Description string
	EventTypes  []string
	// Enabled defaults to true on create and is left alone on update when nil.
	Enabled *bool
}

func (s *Service) validate(ctx context.Context, in *Input) error {
	var v apperr.Validation
	in.URL = strings.TrimSpace(in.URL)
	in.Description = strings.TrimSpace(in.Description)
	if in.URL == "" {
		v.Add("url", "Enter the URL that receives the webhooks.")
	} else if len(in.URL) > 2000 {
		v.Add("url", "A URL of at most 2,000 characters, please.")
	} else {
		allow, err := s.AllowPrivate(ctx)
		if err != nil {
			return err
		}
		if msg := CheckURL(ctx, s.resolver, in.URL, allow); msg != "" {
			v.Add("url", msg)
		}
	}
	if utf8.RuneCountInString(in.Description) > 500 {
		v.Add("description", "A description of at most 500 characters, please.")
	}
	var types []string
	for _, t := range in.EventTypes {
		t = strings.TrimSpace(t)
		if t == "" || slices.Contains(types, t) {
			continue
		}
		if !kindPattern.MatchString(t) {
			v.Add("event_types", fmt.Sprintf("%q is not an event type: use a kind like contact.created, contact.* or *.", t))
			break
		}
		types = append(types, t)
	}
	if len(types) == 0 && v.For("event_types") == "" {
		v.Add("event_types", "Choose at least one event type.")
	}
	slices.Sort(types)
	in.EventTypes = types
	return v.Err()
}

// Create adds a subscription with a fresh secret, which the result carries
// (pages show it once).
func (s *Service) Create(ctx context.Context, in Input) (Subscription, error) {
	actor, err := access.Check(ctx, Object, access.Create)
	if err != nil {
		return Subscription{}, err
	}
	if err := s.validate(ctx, &in); err != nil {
		return Subscription{}, err
	}
	sub := Subscription{ID: id.New(), URL: in.URL, Description: in.Description, EventTypes: in.EventTypes,
		Secret: NewSecret(), Enabled: in.Enabled == nil || *in.Enabled, CreatedBy: actor.UserID, CreatedAt: s.now()}
	sub.UpdatedAt = sub.CreatedAt
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := startCursor(ctx, tx); err != nil {
			return err
		}
		if err := insertSub(ctx, tx, sub); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "webhook.created", sub, nil)
	})
	return sub, err
}

func (s *Service) record(ctx context.Context, tx *db.Tx, actor access.Actor, kind string, sub Subscription, extra map[string]any) error {
	data := map[string]any{"url": sub.URL, "event_types": sub.EventTypes, "enabled": sub.Enabled}
	for k, v := range extra {
		data[k] = v
	}
	_, err := event.Record(ctx, tx, event.Event{Kind: kind, ActorID: actor.UserID, SubjectType: "webhook",
		SubjectID: sub.ID, Data: data})
	return err
}

// Update changes a subscription's URL, description, event types and,
// when in.Enabled is set, whether it is enabled. Enabling it again clears
// its failure record.
func (s *Service) Update(ctx context.Context, subID string, in Input) (Subscription, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Subscription{}, err
	}
	if err := s.validate(ctx, &in); err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if sub, err = subByID(ctx, tx, subID); err != nil {
			return err
		}
		sub.URL, sub.Description, sub.EventTypes = in.URL, in.Description, in.EventTypes
		if in.Enabled != nil {
			setEnabled(&sub, *in.Enabled)
		}
		sub.UpdatedAt = s.now()
		if err := updateSub(ctx, tx, sub); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "webhook.updated", sub, nil)
	})
	return sub, err
}

func setEnabled(sub *Subscription, on bool) {
	if on && !sub.Enabled {
		sub.DisabledReason, sub.FailingSince = "", time.Time{}
	}
	if !on && sub.Enabled {
		sub.DisabledReason = "Disabled by hand."
	}
	sub.Enabled = on
}

// SetEnabled enables or disables a subscription.
func (s *Service) SetEnabled(ctx context.Context, subID string, on bool) (Subscription, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if sub, err = subByID(ctx, tx, subID); err != nil {
			return err
		}
		if sub.Enabled == on {
			return nil
		}
		setEnabled(&sub, on)
		sub.UpdatedAt = s.now()
		if err := updateSub(ctx, tx, sub); err != nil {
			return err
		}
		kind := "webhook.enabled"
		if !on {
			kind = "webhook.disabled"
		}
		return s.record(ctx, tx, actor, kind, sub, map[string]any{"reason": sub.DisabledReason})
	})
	return sub, err
}

// RotateSecret gives a subscription a new secret and returns it (once).
func (s *Service) RotateSecret(ctx context.Context, subID string) (Subscription, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Subscription{}, err
	}
	var sub Subscription
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if sub, err = subByID(ctx, tx, subID); err != nil {
			return err
		}
		sub.Secret, sub.UpdatedAt = NewSecret(), s.now()
		if err := updateSub(ctx, tx, sub); err != nil {
			return err
		}
		return s.record(ctx, tx, actor, "webhook.secret_rotated", sub, nil)
	})
	return sub, err
}

// Delete removes a subscription with its delivery log. Jobs of its
// pending deliveries find nothing and end.
func (s *Service) Delete(ctx context.Context, subID string) error {
	actor, err := access.Check(ctx, Object, access.Delete)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		sub, err := subByID(ctx, tx, subID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_subscriptions WHERE id = $1`, subID); err != nil {
			return fmt.Errorf("webhook: delete: %w", err)
		}
		return s.record(ctx, tx, actor, "webhook.deleted", sub, nil)
	})
}

// List returns every subscription, oldest first.
func (s *Service) List(ctx context.Context) ([]Subscription, error) {
	if _, err := access.Check(ctx, Object, access.Read); err != nil {
		return nil, err
	}
	return listSubs(ctx, s.db.R, false)
}

// ByID returns one subscription.
func (s *Service) ByID(ctx context.Context, subID string) (Subscription, error) {
	if _, err := access.Check(ctx, Object, access.Read); err != nil {
		return Subscription{}, err
	}
	if !id.Valid(subID) {
		return Subscription{}, fmt.Errorf("webhook: subscription %q: %w", subID, apperr.ErrNotFound)
	}
	return subByID(ctx, s.db.R, subID)
}

// PageSize is how many deliveries a page of the log shows.
const PageSize = 50

// Deliveries returns a page of a subscription's delivery log, newest
// first, from before (a delivery id, "" for the first page); onlyFailed
// keeps failed and dead deliveries.
func (s *Service) Deliveries(ctx context.Context, subID string, onlyFailed bool, before string, limit int) (DeliveryPage, error) {
	if _, err := s.ByID(ctx, subID); err != nil {
		return DeliveryPage{}, err
	}
	if before != "" && !id.Valid(before) {
		return DeliveryPage{}, invalid("cursor", "This page cursor is not valid.")
	}
	if limit <= 0 || limit > 200 {
		limit = PageSize
	}
	return listDeliveries(ctx, s.db.R, subID, onlyFailed, before, limit)
}

// Delivery returns one delivery with its attempts, oldest first.
func (s *Service) Delivery(ctx context.Context, deliveryID string) (Delivery, []Attempt, error) {
	if _, err := access.Check(ctx, Object, access.Read); err != nil {
		return Delivery{}, nil, err
	}
	if !id.Valid(deliveryID) {
		return Delivery{}, nil, fmt.Errorf("webhook: delivery %q: %w", deliveryID, apperr.ErrNotFound)
	}
	d, err := deliveryByID(ctx, s.db.R, deliveryID)
	if err != nil {
		return d, nil, err
	}
	as, err := attemptsOf(ctx, s.db.R, deliveryID)
	return d, as, err
}

// Resend makes a new delivery of the same event with the same payload to
// the same subscription (a new webhook-id); the old delivery stays as it
// was.
func (s *Service) Resend(ctx context.Context, deliveryID string) (Delivery, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Delivery{}, err
	}
	if !id.Valid(deliveryID) {
		return Delivery{}, fmt.Errorf("webhook: delivery %q: %w", deliveryID, apperr.ErrNotFound)
	}
	var nd Delivery
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		old, err := deliveryByID(ctx, tx, deliveryID)
		if err != nil {
			return err
		}
		sub, err := subByID(ctx, tx, old.SubscriptionID)
		if err != nil {
			return err
		}
		if !sub.Enabled {
			return invalid("subscription", "Enable the webhook before resending.")
		}
		var last int
		if err := tx.QueryRowContext(ctx, `SELECT max(resend) FROM webhook_deliveries WHERE subscription_id = $1 AND event_id = $2`,
			old.SubscriptionID, old.EventID).Scan(&last); err != nil {
			return fmt.Errorf("webhook: resend: %w", err)
		}
		nd = Delivery{ID: id.New(), SubscriptionID: old.SubscriptionID, EventID: old.EventID, Resend: last + 1,
			EventKind: old.EventKind, ContactID: old.ContactID, Payload: old.Payload, Status: Pending, CreatedAt: s.now()}
		if _, err := insertDelivery(ctx, tx, nd); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, nd.ID, 1, time.Time{}); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "webhook.resent", ActorID: actor.UserID, SubjectType: "webhook",
			SubjectID: sub.ID, Data: map[string]any{"delivery_id": nd.ID, "resend_of": old.ID, "event_id": old.EventID}})
		return err
	})
	return nd, err
}

// TestKind is the kind of the test event.
const TestKind = "webhook.test"

// SendTest sends a test event (kind webhook.test) to a subscription,
// whatever kinds it subscribes to. The event exists only in the payload.
func (s *Service) SendTest(ctx context.Context, subID string) (Delivery, error) {
	actor, err := access.Check(ctx, Object, access.Update)
	if err != nil {
		return Delivery{}, err
	}
	if !id.Valid(subID) {
		return Delivery{}, fmt.Errorf("webhook: subscription %q: %w", subID, apperr.ErrNotFound)
	}
	var d Delivery
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		sub, err := subByID(ctx, tx, subID)
		if err != nil {
			return err
		}
		if !sub.Enabled {
			return invalid("subscription", "Enable the webhook before sending a test event.")
		}
		now := s.now()
		evID := id.New()
		body, err := encodePayload(TestKind, now, EventData{ID: evID, SubjectType: "webhook", SubjectID: sub.ID,
			ActorID: actor.UserID, Data: []byte(`{"message":"This is a test event from Rapport."}`)})
		if err != nil {
			return err
		}
		d = Delivery{ID: id.New(), SubscriptionID: sub.ID, EventID: evID, EventKind: TestKind, Payload: body,
			Status: Pending, CreatedAt: now}
		if _, err := insertDelivery(ctx, tx, d); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, d.ID, 1, time.Time{})
	})
	return d, err
}

// Kinds returns the event kinds a subscription can choose: those already
// recorded and those domains registered, sorted.
func (s *Service) Kinds(ctx context.Context) ([]string, error) {
	out := registeredKinds()
	rows, err := s.db.R.QueryContext(ctx, `WITH RECURSIVE k(kind) AS (SELECT min(kind) FROM events
		UNION ALL SELECT (SELECT min(kind) FROM events WHERE kind > k.kind) FROM k WHERE k.kind IS NOT NULL)
		SELECT kind FROM k WHERE kind IS NOT NULL`)
	if err != nil {
		return nil, fmt.Errorf("webhook: kinds: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, rows.Err()
}

// Domains returns the "domain.*" choices for kinds.
func Domains(kinds []string) []string {
	var out []string
	for _, k := range kinds {
		if d, _, ok := strings.Cut(k, "."); ok && !slices.Contains(out, d+".*") {
			out = append(out, d+".*")
		}
	}
	slices.Sort(out)
	return out
}

// AllowPrivate reports whether webhooks may reach private addresses.
func (s *Service) AllowPrivate(ctx context.Context) (bool, error) {
	v, err := setting.Get(ctx, s.db.R, AllowPrivateSetting, "")
	return v == "true", err
}

// SetAllowPrivate changes "Allow webhooks to private addresses"; only
// those who may change settings can.
func (s *Service) SetAllowPrivate(ctx context.Context, on bool) error {
	actor, err := access.Check(ctx, access.Settings, access.Update)
	if err != nil {
		return err
	}
	return s.db.WithTx(ctx, func(tx *db.Tx) error {
		before, err := setting.Get(ctx, tx, AllowPrivateSetting, "")
		if err != nil {
			return err
		}
		value := ""
		if on {
			value = "true"
		}
		if before == value {
			return nil
		}
		if err := setting.Set(ctx, tx, AllowPrivateSetting, value); err != nil {
			return err
		}
		_, err = event.Record(ctx, tx, event.Event{Kind: "setting.changed", ActorID: actor.UserID,
			SubjectType: "setting", SubjectID: "00000000-0000-0000-0000-000000000000",
			Data: map[string]any{"key": AllowPrivateSetting, "before": before == "true", "after": on}})
		return err
	})
}

// startCursor puts the dispatcher's cursor at the newest event when no
// subscription existed before, so the first subscription does not make it
// read the whole history.
func startCursor(ctx context.Context, tx *db.Tx) error {
	var cur string
	if err := tx.QueryRowContext(ctx, `SELECT event_id FROM webhook_cursor WHERE name = 'dispatch'`).Scan(&cur); err != nil {
		return fmt.Errorf("webhook: cursor: %w", err)
	}
	if cur != "" {
		return nil
	}
	var last sql.NullString
	if err := tx.QueryRowContext(ctx, `SELECT id FROM events WHERE id <= $1 ORDER BY id DESC LIMIT 1`,
		idBound(time.Now().Add(idSkew))).Scan(&last); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("webhook: cursor: %w", err)
	}
	start := last.String
	if start == "" {
		start = "00000000-0000-0000-0000-000000000000"
	}
	_, err := tx.ExecContext(ctx, `UPDATE webhook_cursor SET event_id = $1 WHERE name = 'dispatch'`, start)
	return err
}

func invalid(field, msg string) error {
	var v apperr.Validation
	v.Add(field, msg)
	return v.Err()
}
