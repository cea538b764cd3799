// Package gdpr answers a person's data-protection rights: Export gives
// them everything Rapport holds about them (as JSON and as a readable HTML
// page) and Erase removes it everywhere in one transaction, keeping only
// anonymous aggregates and a record that the erasure happened.
//
// Domains added later that keep data about a person (orders, tickets,
// email sends, ...) register a Part with the service when the app is wired
// up: its Export adds their data to the export and its Erase deletes or
// detaches it, so an order can keep its total without its buyer.
package gdpr

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/consent"
	"github.com/rapportcrm/rapport/internal/contact"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/id"
)

// Part is one domain's share of a person's data.
type Part struct {
	// Name keys the part's data in the export ("orders").
	Name string
	// Export returns what the domain holds about the contact, encodable as
	// JSON; nil leaves the part out of the export.
	Export func(ctx context.Context, q db.Querier, contactID string) (any, error)
	// Erase removes the contact's personal data from the domain inside the
	// erasure's transaction: delete what is personal, detach (set the
	// contact to NULL) what must stay as an anonymous aggregate. It runs
	// before the contact row is deleted.
	Erase func(ctx context.Context, tx *db.Tx, contactID string) error
	// Texts are further columns the erasure searches for the person's
	// name, emails and phone numbers, to replace them with Redacted.
	Texts []Column
}

// Column is a text or JSON column that may quote a person.
type Column struct {
	Table string
	// Key is the table's primary key column.
	Key string
	// Name is the column searched.
	Name string
	// JSON marks a column holding JSON.
	JSON bool
}

// Redacted replaces a person's name, email or phone number where another
// record quoted it.
const Redacted = "[erased]"

// Contacts is what the service needs from contacts: the contact, if the
// actor may see it.
type Contacts interface {
	ByID(ctx context.Context, contactID string) (contact.Contact, error)
}

// Service exports and erases people.
type Service struct {
	db       *db.DB
	contacts Contacts
	parts    []Part
}

// New returns a Service on d. The consent history is a built-in part.
func New(d *db.DB, contacts Contacts) *Service {
	s := &Service{db: d, contacts: contacts}
	s.Register(Part{Name: "consent",
		Erase: consent.Erase})
	// The picture goes with the person (its row is deleted with them).
	s.Register(Part{Name: "photo", Export: exportPhoto})
	return s
}

// exportPhoto is the person's picture as a data: URI, or nothing.
func exportPhoto(ctx context.Context, q db.Querier, contactID string) (any, error) {
	var mediaType string
	var data []byte
	err := q.QueryRowContext(ctx, `SELECT media_type, data FROM contact_photos WHERE contact_id = $1`, contactID).
		Scan(&mediaType, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("gdpr: photo: %w", err)
	}
	return map[string]string{"media_type": mediaType, "data_uri": "data:" + mediaType + ";base64," +
		base64.StdEncoding.EncodeToString(data)}, nil
}

// Register adds a domain's part; the app calls it while it is wired up.
func (s *Service) Register(p Part) { s.parts = append(s.parts, p) }

// Reasons are the grounds an erasure records, the categories of Article 17
// of the GDPR; the record keeps the category, never free text.
var Reasons = []struct{ Key, Label string }{
	{"request", "The person asked to be erased"},
	{"consent_withdrawn", "The person withdrew consent and nothing else allows keeping the data"},
	{"objection", "The person objected to the processing"},
	{"no_longer_needed", "The data is no longer needed"},
	{"unlawful", "The data was processed unlawfully"},
	{"legal_obligation", "The law requires erasure"},
}

// ReasonLabel is the readable name of a reason key.
func ReasonLabel(key string) string {
	for _, r := range Reasons {
		if r.Key == key {
			return r.Label
		}
	}
	return key
}

func validReason(key string) bool {
	return slices.ContainsFunc(Reasons, func(r struct{ Key, Label string }) bool { return r.Key == key })
}

// check asks whether the actor in ctx may do action to contacts and,
// when not, records the refused attempt in the audit log.
func (s *Service) check(ctx context.Context, action access.Action, auditAction, contactID string) error {
	_, err := access.Check(ctx, access.Contacts, action)
	if err == nil {
		return nil
	}
	object := contactID
	if !id.Valid(object) {
		object = ""
	}
	if aerr := audit.Record(ctx, s.db.W, audit.Entry{Action: auditAction, Outcome: audit.Denied,
		ObjectType: "contact", ObjectID: object}); aerr != nil {
		return errors.Join(err, aerr)
	}
	return err
}
