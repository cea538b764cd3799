package gdpr

import (
	"context"
	"fmt"
	"time"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/audit"
	"github.com/rapportcrm/rapport/internal/db"
	"github.com/rapportcrm/rapport/internal/event"
	"github.com/rapportcrm/rapport/internal/id"
	"github.com/rapportcrm/rapport/internal/search"
)

// Erasure is the record of an erased person: no personal data, only what
// was removed and why.
type Erasure struct {
	ContactID string `json:"contact_id"`
	// MergedRecords are the person's duplicate records erased with them.
	MergedRecords []string  `json:"merged_records"`
	Reason        string    `json:"reason"`
	At            time.Time `json:"at"`
	// Counts of what went: activities and events deleted, rows of other
	// records the person was redacted from.
	Activities int `json:"activities"`
	Events     int `json:"events"`
	Redacted   int `json:"redacted"`
}

// Erase removes the person's personal data everywhere in one transaction:
// the contact and the duplicates merged into it (emails, phones, company
// and tag links), their activities, timeline events, search entries and
// consent history, every registered part's data; it replaces their name,
// emails and phone numbers where other records quote them, shreds the key
// that seals their audit details, and records the erasure (who, when, the
// reason category) without any of the data. It needs the delete right on
// contacts and a contact the actor may see.
func (s *Service) Erase(ctx context.Context, contactID, reason string) (Erasure, error) {
	if err := s.check(ctx, access.Delete, "contact.erased", contactID); err != nil {
		return Erasure{}, err
	}
	actor, _ := access.ActorFrom(ctx)
	c, err := s.contacts.ByID(ctx, contactID)
	if err != nil {
		return Erasure{}, err
	}
	if !validReason(reason) {
		var v apperr.Validation
		v.Add("reason", "Choose why the person is erased.")
		return Erasure{}, v.Err()
	}
	e := Erasure{ContactID: c.ID, Reason: reason, At: db.Now()}
	if e.MergedRecords, err = mergedInto(ctx, s.db.R, c.ID); err != nil {
		return e, err
	}
	ids := append([]string{c.ID}, e.MergedRecords...)
	found, err := identifiers(ctx, s.db.R, ids)
	if err != nil {
		return e, err
	}
	m := newMatcher(found)
	texts := append([]Column(nil), builtinTexts...)
	for _, p := range s.parts {
		texts = append(texts, p.Texts...)
	}
	// The search of other records runs before the transaction, so the one
	// writer is held only for the changes; rows written meanwhile (their
	// time-ordered ids not older than mark) are searched again inside it.
	mark := id.New()
	quoting, err := m.find(ctx, s.db.R, s.db.Engine, texts, "")
	if err != nil {
		return e, fmt.Errorf("gdpr: erase: %w", err)
	}
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		if err := s.erase(ctx, tx, ids, &e); err != nil {
			return err
		}
		late, err := m.find(ctx, tx, tx.Engine, texts, mark)
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range append(quoting, late...) {
			if seen[r.table+r.id] {
				continue
			}
			seen[r.table+r.id] = true
			changed, err := m.scrub(ctx, tx, r)
			if err != nil {
				return err
			}
			if changed {
				e.Redacted++
			}
		}
		for _, x := range ids {
			if err := audit.Shred(ctx, tx, x); err != nil {
				return err
			}
		}
		// The subject type is not "contact", so the entry is not sealed
		// with the key just shredded: who, when and why stay readable.
		_, err = event.Record(ctx, tx, event.Event{Kind: "contact.erased", ActorID: actor.UserID,
			SubjectType: "erasure", SubjectID: c.ID, OccurredAt: e.At, Data: e})
		return err
	})
	if err != nil {
		return e, fmt.Errorf("gdpr: erase: %w", err)
	}
	return e, nil
}

// erase deletes the people ids and everything hanging off them.
func (s *Service) erase(ctx context.Context, tx *db.Tx, ids []string, e *Erasure) error {
	// Still there? Someone may have erased or merged it meanwhile.
	var live int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM contacts WHERE id = $1 AND deleted_at IS NULL`,
		ids[0]).Scan(&live); err != nil {
		return err
	}
	if live == 0 {
		return fmt.Errorf("contact %s: %w", ids[0], apperr.ErrNotFound)
	}
	for _, p := range s.parts {
		if p.Erase == nil {
			continue
		}
		for _, x := range ids {
			if err := p.Erase(ctx, tx, x); err != nil {
				return fmt.Errorf("%s: %w", p.Name, err)
			}
		}
	}
	in, args := db.InList(ids, 0)
	res, err := tx.ExecContext(ctx, `DELETE FROM activities WHERE contact_id IN (`+in+`)`, args...)
	if err != nil {
		return fmt.Errorf("activities: %w", err)
	}
	n, _ := res.RowsAffected()
	e.Activities = int(n)
	cond, evArgs := personEvents("", ids)
	if res, err = tx.ExecContext(ctx, `DELETE FROM events WHERE `+cond, evArgs...); err != nil {
		return fmt.Errorf("events: %w", err)
	}
	n, _ = res.RowsAffected()
	e.Events = int(n)
	for _, x := range ids {
		if err := search.Remove(ctx, tx, tx.Engine, search.KindContact, x); err != nil {
			return err
		}
	}
	// The emails, phones, company and tag links go with the rows.
	if _, err := tx.ExecContext(ctx, `DELETE FROM contacts WHERE id IN (`+in+`)`, args...); err != nil {
		return fmt.Errorf("contacts: %w", err)
	}
	return nil
}
