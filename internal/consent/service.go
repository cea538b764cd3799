package consent

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/record"
)

// Contacts is what consent needs from contacts: that one exists and the
// actor may see it.
type Contacts interface {
	ByID(ctx context.Context, contactID string) (contact.Contact, error)
}

// Service records and reads consent.
type Service struct {
	db       *db.DB
	contacts Contacts
}

// NewService returns a Service on d.
func NewService(d *db.DB, contacts Contacts) *Service {
	return &Service{db: d, contacts: contacts}
}

// Input is one grant or withdrawal to record.
type Input struct {
	Channel string `json:"channel"`
	// Granted is required: true grants consent, false withdraws it.
	Granted *bool  `json:"granted"`
	Source  string `json:"source"`
	Detail  string `json:"detail,omitempty"`
	// OccurredAt is when the person gave or withdrew consent; now when nil.
	OccurredAt *time.Time `json:"occurred_at,omitempty"`
}

// clock slack allowed for a time "now" sent by a client.
const futureSlack = 5 * time.Minute

func (in Input) check(now time.Time) (Change, error) {
	var v apperr.Validation
	c := Change{Channel: strings.TrimSpace(in.Channel), Source: strings.TrimSpace(in.Source), Detail: in.Detail,
		OccurredAt: now, RecordedAt: now}
	if !validChannel(c.Channel) {
		v.Add("channel", "Choose email marketing, phone or SMS.")
	}
	if in.Granted == nil {
		v.Add("granted", "Say whether consent is given or withdrawn.")
	} else {
		c.Granted = *in.Granted
	}
	if !validSource(c.Source) {
		v.Add("source", "Choose where the consent came from: form, import, API, entered by hand, ...")
	}
	record.Text(&v, "detail", &c.Detail, MaxDetail, false)
	if in.OccurredAt != nil && !in.OccurredAt.IsZero() {
		at := in.OccurredAt.UTC().Truncate(time.Microsecond)
		if at.After(now.Add(futureSlack)) {
			v.Add("occurred_at", "The time consent was given cannot be in the future.")
		}
		c.OccurredAt = at
	}
	return c, v.Err()
}

// Record adds a grant or withdrawal to a contact's history and writes a
// contact.consent_changed event on their timeline (and so in the audit
// log) in the same transaction.
func (s *Service) Record(ctx context.Context, contactID string, in Input) (Change, error) {
	actor, err := access.Check(ctx, access.Contacts, access.Update)
	if err != nil {
		return Change{}, err
	}
	ct, err := s.contacts.ByID(ctx, contactID)
	if err != nil {
		return Change{}, err
	}
	c, err := in.check(db.Now())
	if err != nil {
		return c, err
	}
	c.ID, c.ContactID, c.RecordedBy, c.RecordedByName = id.New(), ct.ID, actor.UserID, actor.Name
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO consent_changes (id, contact_id, channel, granted, source,
			detail, occurred_at, recorded_at, recorded_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			c.ID, c.ContactID, c.Channel, c.Granted, c.Source, c.Detail, db.T(c.OccurredAt), db.T(c.RecordedAt),
			db.NullString(c.RecordedBy)); err != nil {
			return fmt.Errorf("insert: %w", err)
		}
		_, err := event.Record(ctx, tx, event.Event{Kind: "contact.consent_changed", ActorID: actor.UserID,
			SubjectType: "contact", SubjectID: ct.ID, ContactID: ct.ID, CompanyID: ct.PrimaryCompany().ID,
			Data: map[string]any{"channel": c.Channel, "granted": c.Granted, "source": c.Source,
				"detail": c.Detail, "occurred_at": c.OccurredAt}})
		return err
	})
	if err != nil {
		return c, fmt.Errorf("consent: record: %w", err)
	}
	return c, nil
}

// Current returns the contact's consent per channel, every channel listed.
func (s *Service) Current(ctx context.Context, contactID string) ([]State, error) {
	h, err := s.History(ctx, contactID)
	if err != nil {
		return nil, err
	}
	return CurrentOf(h), nil
}

// History returns every consent change of the contact, newest first.
func (s *Service) History(ctx context.Context, contactID string) ([]Change, error) {
	if _, err := s.contacts.ByID(ctx, contactID); err != nil {
		return nil, err
	}
	return ListFor(ctx, s.db.R, contactID)
}

// Allows is the package's Allows on the service's database, for callers
// that hold a Service.
func (s *Service) Allows(ctx context.Context, contactID, channel string) (bool, error) {
	return Allows(ctx, s.db.R, contactID, channel)
}
