package contact

import (
	"context"
	"errors"
	"fmt"

	"github.com/rapportcrm/rapport/internal/access"
	"github.com/rapportcrm/rapport/internal/apperr"
	"github.com/rapportcrm/rapport/internal/company"
	"github.com/rapportcrm/rapport/internal/customfield"
	"github.com/rapportcrm/rapport/internal/db"
)

// BulkItem is one item of a bulk call: create a contact from Input, or
// update the contact ID with it.
type BulkItem struct {
	Update bool
	ID     string
	Input  Input
}

// BulkResult is one item's outcome. Err is nil when the item was
// written; otherwise it is a validation problem (v.Conflict for a taken
// email), apperr.ErrNotFound (no such contact, or one the actor may not
// see) or apperr.ErrConflict, and nothing of the item was written.
type BulkResult struct {
	Contact Contact
	Err     error
}

// Bulk applies items in order inside one transaction, each item under its
// own savepoint: an item is written whole or not at all, and a bad item
// leaves the others alone. Each item goes through the same preparation,
// checks and events as Create and Update, reading through the transaction
// so that an email taken by an earlier item counts. The actor must be
// allowed to create (if any item creates) and to update (if any item
// updates); a database failure fails the whole call and writes nothing.
func (s *Service) Bulk(ctx context.Context, items []BulkItem) ([]BulkResult, error) {
	var creates, updates bool
	for _, it := range items {
		creates = creates || !it.Update
		updates = updates || it.Update
	}
	var actor access.Actor
	var err error
	if creates {
		if actor, err = access.Check(ctx, access.Contacts, access.Create); err != nil {
			return nil, err
		}
	}
	if updates {
		if actor, err = access.Check(ctx, access.Contacts, access.Update); err != nil {
			return nil, err
		}
	}
	out := make([]BulkResult, len(items))
	err = s.db.WithTx(ctx, func(tx *db.Tx) error {
		// The phone region and custom field definitions do not change
		// during the call: read them once.
		env, err := s.newPrepEnv(ctx, tx)
		if err != nil {
			return err
		}
		for i, it := range items {
			if _, err := tx.ExecContext(ctx, "SAVEPOINT bulk_item"); err != nil {
				return fmt.Errorf("contact: bulk savepoint: %w", err)
			}
			c, err := s.bulkItem(ctx, tx, env, actor, it)
			if err != nil && !itemError(err) {
				return err
			}
			stmts := []string{"RELEASE SAVEPOINT bulk_item"}
			if err != nil {
				stmts = []string{"ROLLBACK TO SAVEPOINT bulk_item", "RELEASE SAVEPOINT bulk_item"}
			}
			for _, stmt := range stmts {
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return fmt.Errorf("contact: bulk savepoint: %w", err)
				}
			}
			out[i] = BulkResult{Contact: c, Err: err}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("contact: bulk: %w", err)
	}
	return out, nil
}

// itemError tells an item's own failure from a failure of the call.
func itemError(err error) bool {
	return apperr.AsValidation(err) != nil || errors.Is(err, apperr.ErrNotFound) || errors.Is(err, apperr.ErrConflict)
}

func (s *Service) bulkItem(ctx context.Context, tx *db.Tx, env *prepEnv, actor access.Actor, it BulkItem) (Contact, error) {
	var old, c Contact
	if it.Update {
		var err error
		if old, err = s.load(ctx, tx, it.ID); err != nil {
			return Contact{}, err
		}
		c = old
		c.Custom = customfield.Values{}
		for k, x := range old.Custom {
			c.Custom[k] = x
		}
	} else {
		c = Contact{Emails: []Email{}, Phones: []Phone{}, Companies: []company.Ref{}, Custom: customfield.Values{}}
	}
	var v apperr.Validation
	tags, err := s.prepareWith(ctx, env, &c, it.Input, &v)
	if err != nil {
		return Contact{}, err
	}
	taken, err := takenEmails(ctx, tx, c.ID, c.Emails)
	if err != nil {
		return Contact{}, err
	}
	for i := range c.Emails {
		if _, ok := taken[i]; ok {
			v.Add(fmt.Sprintf("emails[%d]", i), c.Emails[i].Address+" belongs to another contact.")
			v.Conflict = true
		}
	}
	if err := v.Err(); err != nil {
		return Contact{}, err
	}
	if it.Update {
		return c, updateTx(ctx, tx, actor, old, &c, tags, it.Input.Tags != nil)
	}
	return c, createTx(ctx, tx, actor, &c, tags, map[string]any{"name": c.DisplayName})
}
