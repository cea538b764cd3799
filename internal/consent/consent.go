// Package consent keeps what each person agreed to be contacted by: email
// marketing, phone calls and text messages. Every grant or withdrawal is
// kept with its source and time, so the history answers "since when, and
// how do we know?"; the newest change of a channel is the current state.
// Marketing sends ask Allows before they reach anyone.
package consent

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/rapportcrm/rapport/internal/db"
)

// Channels a person can consent to.
const (
	EmailMarketing = "email_marketing"
	Phone          = "phone"
	SMS            = "sms"
)

// Channels lists the channels in the order pages show them.
var Channels = []struct{ Key, Label string }{
	{EmailMarketing, "Email marketing"}, {Phone, "Phone calls"}, {SMS, "Text messages (SMS)"},
}

// Sources say how a consent change reached Rapport.
var Sources = []struct{ Key, Label string }{
	{"manual", "Entered by hand"}, {"form", "Web form"}, {"import", "Import"}, {"api", "API"},
	{"email", "Email from the person"}, {"phone", "Said on the phone"}, {"unsubscribe", "Unsubscribe link"},
	{"double_opt_in", "Confirmed by email (double opt-in)"},
}

// ChannelLabel is the readable name of a channel key.
func ChannelLabel(key string) string {
	for _, c := range Channels {
		if c.Key == key {
			return c.Label
		}
	}
	return key
}

// SourceLabel is the readable name of a source key.
func SourceLabel(key string) string {
	for _, s := range Sources {
		if s.Key == key {
			return s.Label
		}
	}
	return key
}

func validChannel(key string) bool {
	return slices.ContainsFunc(Channels, func(c struct{ Key, Label string }) bool { return c.Key == key })
}

func validSource(key string) bool {
	return slices.ContainsFunc(Sources, func(s struct{ Key, Label string }) bool { return s.Key == key })
}

// MaxDetail is the most characters of a change's detail.
const MaxDetail = 500

// Change is one grant or withdrawal.
type Change struct {
	ID        string `json:"id"`
	ContactID string `json:"contact_id"`
	Channel   string `json:"channel"`
	Granted   bool   `json:"granted"`
	Source    string `json:"source"`
	// Detail says more about the source: the form's name, the import
	// file, what the person wrote.
	Detail string `json:"detail,omitempty"`
	// OccurredAt is when the person gave or withdrew consent; RecordedAt
	// when Rapport learnt of it.
	OccurredAt     time.Time `json:"occurred_at"`
	RecordedAt     time.Time `json:"recorded_at"`
	RecordedBy     string    `json:"recorded_by,omitempty"`
	RecordedByName string    `json:"recorded_by_name,omitempty"`
}

// State is the current consent of one channel.
type State struct {
	Channel string `json:"channel"`
	Label   string `json:"label"`
	// Granted is true only when the newest change granted consent.
	Granted bool `json:"granted"`
	// Known is false when nothing was ever recorded for the channel.
	Known bool `json:"known"`
	// Last is the newest change, when Known.
	Last *Change `json:"last,omitempty"`
}

// Allows reports whether the contact's newest recorded change for channel
// granted consent. Nothing recorded means no: marketing needs a yes.
func Allows(ctx context.Context, q db.Querier, contactID, channel string) (bool, error) {
	var granted bool
	err := q.QueryRowContext(ctx, `SELECT granted FROM consent_changes WHERE contact_id = $1 AND channel = $2
		ORDER BY occurred_at DESC, id DESC LIMIT 1`, contactID, channel).Scan(&granted)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("consent: allows: %w", err)
	}
	return granted, nil
}

// ListFor returns every change of a contact's consent, newest first. It
// checks nothing: callers have checked the actor may see the contact.
func ListFor(ctx context.Context, q db.Querier, contactID string) ([]Change, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.id, c.contact_id, c.channel, c.granted, c.source, c.detail,
		c.occurred_at, c.recorded_at, c.recorded_by, COALESCE(u.name, '')
		FROM consent_changes c LEFT JOIN users u ON u.id = c.recorded_by
		WHERE c.contact_id = $1 ORDER BY c.occurred_at DESC, c.id DESC`, contactID)
	if err != nil {
		return nil, fmt.Errorf("consent: history: %w", err)
	}
	defer rows.Close()
	out := []Change{}
	for rows.Next() {
		var c Change
		var at, rec db.Time
		var by sql.NullString
		if err := rows.Scan(&c.ID, &c.ContactID, &c.Channel, &c.Granted, &c.Source, &c.Detail, &at, &rec, &by,
			&c.RecordedByName); err != nil {
			return nil, fmt.Errorf("consent: history: %w", err)
		}
		c.OccurredAt, c.RecordedAt, c.RecordedBy = at.Time, rec.Time, by.String
		out = append(out, c)
	}
	return out, rows.Err()
}

// Erase deletes a contact's consent history inside tx; erasing the person
// calls it.
func Erase(ctx context.Context, tx *db.Tx, contactID string) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM consent_changes WHERE contact_id = $1`, contactID); err != nil {
		return fmt.Errorf("consent: erase: %w", err)
	}
	return nil
}

// CurrentOf folds a history (newest first, as ListFor returns it) into one
// State per channel, every channel listed.
func CurrentOf(history []Change) []State {
	out := make([]State, len(Channels))
	for i, ch := range Channels {
		out[i] = State{Channel: ch.Key, Label: ch.Label}
		for _, c := range history {
			if c.Channel == ch.Key {
				c := c
				out[i].Known, out[i].Granted, out[i].Last = true, c.Granted, &c
				break
			}
		}
	}
	return out
}
